//! Reading the options object: each option with its JS type; the rules are in `core::options`.

use crate::prelude::*;

use wasm_bindgen::{JsCast, JsValue};

use super::error;
use crate::core::options::{Options, RawOptions, NAMES};
use crate::core::text;
use crate::web::sys::{self, Array};

fn field(options: &JsValue, name: &str) -> Result<Option<JsValue>, JsValue> {
    let value = sys::get(options, &name.into()).map_err(|_| error::invalid_options(&text::cat(&["option ", name, " could not be read"])))?;
    Ok(if value.is_undefined() { None } else { Some(value) })
}

fn string(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    field(options, name)?
        .map(|v| v.as_string().ok_or_else(|| error::invalid_options(&text::cat(&[name, " must be a string"]))))
        .transpose()
}

fn number(options: &JsValue, name: &str) -> Result<Option<f64>, JsValue> {
    field(options, name)?
        .map(|v| v.as_f64().ok_or_else(|| error::invalid_options(&text::cat(&[name, " must be a number"]))))
        .transpose()
}

fn boolean(options: &JsValue, name: &str) -> Result<Option<bool>, JsValue> {
    field(options, name)?
        .map(|v| v.as_bool().ok_or_else(|| error::invalid_options(&text::cat(&[name, " must be true or false"]))))
        .transpose()
}

fn strings(options: &JsValue, name: &str) -> Result<Option<Vec<String>>, JsValue> {
    let Some(value) = field(options, name)? else { return Ok(None) };
    let not_strings = || error::invalid_options(&text::cat(&[name, " must be an array of strings"]));
    if !sys::is_array(&value) {
        return Err(not_strings());
    }
    let array: &Array = value.unchecked_ref();
    (0..array.length()).map(|i| array.at(i).as_string().ok_or_else(not_strings)).collect::<Result<_, _>>().map(Some)
}

/// The options of `new Visitor(options)`, checked; `invalid_options` for anything wrong,
/// including names that are not options (a typo would otherwise go unnoticed).
#[allow(clippy::field_reassign_with_default)]
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
    // Filled in place, so that an early return drops it whole (a struct literal with `?` in
    // each field drops the fields read so far one by one, at every `?`: bytes of drop code).
    let mut raw = RawOptions::default();
    raw.organization_id = string(options, "organizationId")?;
    raw.api_base_url = string(options, "apiBaseUrl")?;
    raw.storage = string(options, "storage")?;
    raw.storage_key_prefix = string(options, "storageKeyPrefix")?;
    raw.auto_renew = boolean(options, "autoRenew")?;
    raw.renew_before_seconds = number(options, "renewBeforeSeconds")?;
    raw.request_timeout_ms = number(options, "requestTimeoutMs")?;
    raw.allowed_origins = strings(options, "allowedOrigins")?;
    raw.on_secret_rejected = string(options, "onSecretRejected")?;
    Options::from_raw(&raw).map_err(error::invalid_options)
}
