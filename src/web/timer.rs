//! One-shot waits on `setTimeout`: a promise that resolves after a delay, and a sleep.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &JsValue, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A promise that resolves to a value after a delay. Dropping it first cancels the timer and
/// frees it at once (a caller that stopped waiting leaves nothing behind for the delay).
pub struct Timer {
    pub promise: Promise,
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timer {
    pub fn new(ms: f64, value: JsValue) -> Self {
        let mut resolve = None;
        let promise = Promise::new(&mut |r, _| resolve = Some(r));
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(resolve) = &resolve {
                let _ = resolve.call1(&JsValue::UNDEFINED, &value);
            }
        });
        let id = set_timeout(callback.as_ref(), ms.clamp(0.0, 2_147_483_647.0));
        Self { promise, id, _callback: callback }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: f64) {
    let timer = Timer::new(ms, JsValue::UNDEFINED);
    let _ = JsFuture::from(timer.promise.clone()).await;
}
