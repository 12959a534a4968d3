//! JSON through the browser's `JSON.parse`: the core's checks of answers and records read the
//! result through `core::json::Document`, so the shipped `.wasm` carries no JSON reader.

use wasm_bindgen::prelude::*;

use crate::core::json::{Document, Value};
use crate::web::sys;

#[wasm_bindgen(module = "/src/web/effects.js")]
extern "C" {
    /// An own member of a plain object, or `undefined`.
    fn member(object: &JsValue, key: &str) -> JsValue;
}

/// A value `JSON.parse` made.
pub struct JsJson(JsValue);

/// `JSON.parse(text)`, or `None` when `text` is not JSON.
pub fn parse(text: &str) -> Option<JsJson> {
    sys::parse(text).ok().map(JsJson)
}

/// Most a number may be to count as an integer here: 2^53, where doubles stop being exact.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

impl Document for JsJson {
    fn is_object(&self) -> bool {
        self.0.is_object() && !sys::is_array(&self.0)
    }

    fn member(&self, key: &str) -> Option<Value> {
        // Own members only: a page may have added properties to `Object.prototype`.
        let value = member(&self.0, key);
        Some(if value.is_undefined() {
            return None;
        } else if value.is_null() {
            Value::Null
        } else if let Some(s) = value.as_string() {
            // Lone surrogates come out of the conversion as U+FFFD: such a string is refused,
            // as the crate's own reader refuses it (none of the SDK's fields holds U+FFFD).
            if s.chars().any(|c| c == '\u{FFFD}') {
                Value::BadString
            } else {
                Value::String(s)
            }
        } else if let Some(n) = value.as_f64() {
            let exact = n.abs() <= MAX_EXACT && crate::core::text::is_whole(n);
            Value::Number(exact.then_some(n as i64))
        } else if value.as_bool().is_some() {
            Value::Bool
        } else if sys::is_array(&value) {
            Value::Array
        } else {
            Value::Object
        })
    }
}
