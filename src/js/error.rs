//! `invalid_options` for bad arguments, as the JS `VisitorError` the caller gets. The messages
//! and every other error are in `core::error`.

use wasm_bindgen::JsValue;

use crate::core::error;
use crate::web::shell::to_js;

pub fn invalid_options(message: &str) -> JsValue {
    to_js(&error::invalid_options(message))
}
