//! JSON through the browser's `JSON.parse`: the core's checks of answers and records read the
//! result through `core::json::Document`, so the shipped `.wasm` carries no JSON reader.

use wasm_bindgen::JsValue;

use crate::core::json::{Document, Value};
use crate::web::sys;

/// A value `JSON.parse` made.
pub struct JsJson(JsValue);

/// `JSON.parse(text)`, or `None` when `text` is not JSON.
pub fn parse(text: &str) -> Option<JsJson> {
    let value = sys::parse(text);
    (!value.is_undefined()).then_some(JsJson(value))
}

/// Most a number may be to count as an integer here: 2^53, where doubles stop being exact.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

impl Document for JsJson {
    fn is_object(&self) -> bool {
        sys::kind(&self.0) == sys::OBJECT
    }

    fn member(&self, key: &str) -> Option<Value> {
        // Own members only: a page may have added properties to `Object.prototype`.
        let value = sys::member(&self.0, key);
        Some(match sys::kind(&value) {
            sys::UNDEFINED => return None,
            sys::NULL => Value::Null,
            sys::BOOLEAN => Value::Bool,
            sys::NUMBER => {
                let n = value.as_f64().unwrap_or(f64::NAN);
                let exact = n.abs() <= MAX_EXACT && crate::core::text::is_whole(n);
                Value::Number(exact.then_some(n as i64))
            }
            // Lone surrogates come out of the conversion as U+FFFD: such a string is refused,
            // as the crate's own reader refuses it (none of the SDK's fields holds U+FFFD).
            sys::STRING => match value.as_string() {
                Some(s) if !s.chars().any(|c| c == '\u{FFFD}') => Value::String(s),
                _ => Value::BadString,
            },
            sys::ARRAY => Value::Array,
            _ => Value::Object,
        })
    }
}
