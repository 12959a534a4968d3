//! Reading the options object: each option with its JS type; the rules are in `core::options`.

use wasm_bindgen::JsValue;

use super::error;
use crate::core::options::{Options, RawOptions, NAMES};
use crate::web::sys;

/// The members `names` (space-separated) of `object`, each of its JS type (`kinds`: a letter
/// per name, `s` string, `n` number, `b` boolean (read as 1 or 0), `a` array of strings), read
/// by `effects.js`; with `strict`, any other member is an error. `invalid_options` for what is
/// wrong.
pub fn fields(object: &JsValue, names: &str, kinds: &str, strict: bool) -> Result<Fields, JsValue> {
    let values = sys::fields(object, names, kinds, strict);
    match values.as_string() {
        Some(problem) => Err(error::invalid_options(&problem)),
        None => Ok(Fields(values)),
    }
}

/// The values `fields` read, by position.
pub struct Fields(JsValue);

impl Fields {
    pub fn at(&self, index: u32) -> JsValue {
        sys::at(&self.0, index)
    }
}

/// The options of `new Visitor(options)`, checked; `invalid_options` for anything wrong,
/// including names that are not options (a typo would otherwise go unnoticed).
pub fn read(options: &JsValue) -> Result<Options, JsValue> {
    if !matches!(sys::kind(options), sys::OBJECT | sys::ARRAY) {
        return Err(error::invalid_options("new Visitor(options) needs an options object"));
    }
    let values = fields(options, NAMES, "ssssbnnas", true)?;
    let text = |i| values.at(i).as_string();
    let origins = values.at(7);
    let raw = RawOptions {
        organization_id: text(0),
        api_base_url: text(1),
        storage: text(2),
        storage_key_prefix: text(3),
        auto_renew: values.at(4).as_f64().map(|b| b != 0.0),
        renew_before_seconds: values.at(5).as_f64(),
        request_timeout_ms: values.at(6).as_f64(),
        allowed_origins: (sys::kind(&origins) != sys::UNDEFINED).then(|| (0..sys::length(&origins)).filter_map(|i| sys::at(&origins, i).as_string()).collect()),
        on_secret_rejected: text(8),
    };
    Options::from_raw(&raw, sys::parse_url).map_err(error::invalid_options)
}
