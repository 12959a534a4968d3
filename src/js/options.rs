//! Reading the options object: each option with its JS type; the rules are in `core::options`.

use crate::prelude::*;

use wasm_bindgen::{JsCast, JsValue};

use super::error;
use crate::core::options::{Options, RawOptions, NAMES};
use crate::core::text;
use crate::web::sys::{self, Array};

/// An array of strings, or `None`.
fn strings(value: &JsValue) -> Option<Vec<String>> {
    if !sys::is_array(value) {
        return None;
    }
    let array: &Array = value.unchecked_ref();
    (0..array.length()).map(|i| array.at(i).as_string()).collect()
}

/// The options of `new Visitor(options)`, checked; `invalid_options` for anything wrong,
/// including names that are not options (a typo would otherwise go unnoticed).
pub fn read(options: &JsValue) -> Result<Options, JsValue> {
    if !options.is_object() || options.is_function() {
        return Err(error::invalid_options("new Visitor(options) needs an options object"));
    }
    let keys = sys::keys(options);
    for i in 0..keys.length() {
        let key = keys.at(i).as_string().unwrap_or_default();
        if !NAMES.contains(&key.as_str()) {
            return Err(error::invalid_options(&text::cat(&["unknown option \"", &key, "\""])));
        }
    }
    // One loop over the names (in `NAMES`' order), each value checked for its JS type.
    let mut raw = RawOptions::default();
    for (i, name) in NAMES.iter().enumerate() {
        let wrong = |what: &str| error::invalid_options(&text::cat(&[name, what]));
        let value = sys::get(options, &(*name).into()).map_err(|_| wrong(" could not be read"))?;
        if value.is_undefined() {
            continue;
        }
        match i {
            4 => raw.auto_renew = Some(value.as_bool().ok_or_else(|| wrong(" must be true or false"))?),
            5 | 6 => {
                let number = Some(value.as_f64().ok_or_else(|| wrong(" must be a number"))?);
                *if i == 5 { &mut raw.renew_before_seconds } else { &mut raw.request_timeout_ms } = number;
            }
            7 => raw.allowed_origins = Some(strings(&value).ok_or_else(|| wrong(" must be an array of strings"))?),
            _ => {
                let string = Some(value.as_string().ok_or_else(|| wrong(" must be a string"))?);
                *match i {
                    0 => &mut raw.organization_id,
                    1 => &mut raw.api_base_url,
                    2 => &mut raw.storage,
                    3 => &mut raw.storage_key_prefix,
                    _ => &mut raw.on_secret_rejected,
                } = string;
            }
        }
    }
    Options::from_raw(&raw).map_err(error::invalid_options)
}
