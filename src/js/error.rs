//! `VisitorError`: the core's [`Error`] as the JS object the page gets, an `Error` with `name`
//! `"VisitorError"`, `code` and, for HTTP errors, `status`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::core::error::Error;

pub fn to_js(error: &Error) -> JsValue {
    let object = js_sys::Error::new(&error.message);
    object.set_name("VisitorError");
    let _ = Reflect::set(&object, &"code".into(), &error.code.as_str().into());
    if let Some(status) = error.status {
        let _ = Reflect::set(&object, &"status".into(), &status.into());
    }
    object.into()
}
