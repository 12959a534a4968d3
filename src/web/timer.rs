//! One-shot waits on `setTimeout`, freed once they fire.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &JsValue, ms: f64) -> JsValue;
}

/// A promise that resolves to `value` after `ms` milliseconds.
pub fn resolve_after(ms: f64, value: JsValue) -> Promise {
    Promise::new(&mut |resolve, _reject| {
        let value = value.clone();
        let fire = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::UNDEFINED, &value);
        });
        set_timeout(&fire, ms.clamp(0.0, 2_147_483_647.0));
    })
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: f64) {
    let _ = JsFuture::from(resolve_after(ms, JsValue::UNDEFINED)).await;
}
