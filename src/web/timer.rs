//! Waits on timers: a promise that resolves after a delay, and a sleep. Both cancel their timer
//! when dropped (gloo-timers' `Timeout`), so a caller that stops waiting leaves nothing behind.

use gloo_timers::callback::Timeout;
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// A promise that resolves to a value after a delay, until dropped.
pub struct Timer {
    pub promise: Promise,
    _timeout: Option<Timeout>,
}

impl Timer {
    pub fn new(ms: f64, value: JsValue) -> Self {
        let mut resolve = None;
        let promise = Promise::new(&mut |r, _| resolve = Some(r));
        let timeout = resolve.map(|resolve| {
            Timeout::new(ms.clamp(0.0, 2_147_483_647.0) as u32, move || {
                let _ = resolve.call1(&JsValue::UNDEFINED, &value);
            })
        });
        Self { promise, _timeout: timeout }
    }
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: f64) {
    let timer = Timer::new(ms, JsValue::UNDEFINED);
    let _ = JsFuture::from(timer.promise.clone()).await;
}
