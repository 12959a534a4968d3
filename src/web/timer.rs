//! Timers: a callback after a delay (`Timeout`), a promise that resolves after a delay (`Timer`),
//! and a sleep. All of them clear their `setTimeout` when dropped, so a caller that stops waiting
//! leaves nothing behind.

use alloc::boxed::Box;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

use crate::web::sys::Promise;
use crate::web::task;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Closure<dyn FnMut()>, ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// `callback` once after `ms` milliseconds, unless dropped first.
pub struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    pub fn new(ms: u32, callback: impl FnOnce() + 'static) -> Self {
        let mut callback = Some(callback);
        let callback = Closure::wrap(Box::new(move || {
            if let Some(f) = callback.take() {
                f();
            }
        }) as Box<dyn FnMut()>);
        Self { id: set_timeout(&callback, ms), _callback: callback }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

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
    let _ = task::wait(&timer.promise).await;
}
