//! The browser APIs the SDK calls, bound directly.
//!
//! Not `js-sys`/`web-sys`: their generic wrappers, and exports such as `js-sys`'s JSPI task poll
//! (which keeps its wakers and panic formatting in the binary), cost more in the shipped `.wasm`
//! than these few declarations. The effects themselves (fetch, storage, timers, locks, events)
//! are in `effects.js`.

use wasm_bindgen::prelude::*;

use crate::core::ids::UrlParts;

#[wasm_bindgen(module = "/src/web/effects.js")]
extern "C" {
    /// A promise made by `effects.js`.
    pub type Promise;
    /// Helper `op` (below) of `effects.js`: one import for all of them (each import costs the
    /// shipped glue and `.wasm` a wrapper and a hashed name).
    fn helper(op: u32, v: &JsValue, a: &str, b: &str, n: f64) -> JsValue;
}

/// The helpers, numbered as in `effects.js`.
const FIELDS: u32 = 1;
const VISITOR_ERROR: u32 = 2;
const MEMBER: u32 = 3;
const PARSE: u32 = 4;
const NOW: u32 = 5;
const RANDOM: u32 = 6;
const KIND: u32 = 7;
const AT: u32 = 8;
const LENGTH: u32 = 9;
const URL: u32 = 10;

/// See `js::options::fields`: the values, or what is wrong.
pub fn fields(object: &JsValue, names: &str, kinds: &str, strict: bool) -> JsValue {
    helper(FIELDS, object, names, kinds, f64::from(u8::from(strict)))
}

/// A `VisitorError`: an `Error` with `name`, `code` and, for HTTP errors, `status`.
pub fn visitor_error(code: &str, message: &str, status: Option<u16>) -> JsValue {
    helper(VISITOR_ERROR, &JsValue::UNDEFINED, code, message, status.map_or(0.0, f64::from))
}

/// An own member of a plain object, or `undefined`.
pub fn member(object: &JsValue, key: &str) -> JsValue {
    helper(MEMBER, object, key, "", 0.0)
}

/// `JSON.parse(text)`, or `undefined` when `text` is not JSON.
pub fn parse(text: &str) -> JsValue {
    helper(PARSE, &JsValue::UNDEFINED, text, "", 0.0)
}

/// `Date.now()`.
pub fn now() -> f64 {
    helper(NOW, &JsValue::UNDEFINED, "", "", 0.0).as_f64().unwrap_or(0.0)
}

/// `Math.random()`.
pub fn random() -> f64 {
    helper(RANDOM, &JsValue::UNDEFINED, "", "", 0.0).as_f64().unwrap_or(0.0)
}

/// What a JS value is, by `kind`.
pub const UNDEFINED: u32 = 0;
pub const NULL: u32 = 1;
pub const BOOLEAN: u32 = 2;
pub const NUMBER: u32 = 3;
pub const STRING: u32 = 4;
pub const ARRAY: u32 = 5;
pub const OBJECT: u32 = 6;

/// What `value` is: `UNDEFINED` ... `OBJECT` above, or 7 for a function (anything else counts as
/// an object).
pub fn kind(value: &JsValue) -> u32 {
    helper(KIND, value, "", "", 0.0).as_f64().unwrap_or(0.0) as u32
}

/// `array[index]`.
pub fn at(array: &JsValue, index: u32) -> JsValue {
    helper(AT, array, "", "", index.into())
}

/// `array.length`.
pub fn length(array: &JsValue) -> u32 {
    helper(LENGTH, array, "", "", 0.0).as_f64().unwrap_or(0.0) as u32
}

/// An absolute URL as the browser parses it (`new URL(text)`, the parser `fetch` uses), or
/// `None` for what is not one.
pub fn parse_url(text: &str) -> Option<UrlParts> {
    let parts = helper(URL, &JsValue::UNDEFINED, text, "", 0.0);
    if kind(&parts) != ARRAY {
        return None;
    }
    let string = |i| at(&parts, i).as_string().unwrap_or_default();
    let flag = |i| at(&parts, i).as_f64() == Some(1.0);
    Some(UrlParts { protocol: string(0), hostname: string(1), origin: string(2), pathname: string(3), credentials: flag(4), query_or_fragment: flag(5) })
}
