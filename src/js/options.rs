//! Reading what the page passes in: the options object of `new Visitor(options)` and the
//! optional arguments of the methods, through `serde-wasm-bindgen`. Each value's JS type is
//! checked here, with a message that names the option; what a valid value is, `core::options`
//! decides.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::core::error::{self, Error};
use crate::core::lifecycle::FETCH_MIN_VALIDITY_MS;
use crate::core::options::{Options, RawOptions};
use crate::web::guarded;
use crate::web::urls::parse_url;

/// One member of an object as the page gave it (any JS value).
#[derive(Deserialize)]
struct Given(#[serde(with = "serde_wasm_bindgen::preserve")] JsValue);

/// The members of an object, in order, each as given.
struct Members(Vec<(String, JsValue)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
        let mut members = Vec::new();
        while let Some((name, Given(value))) = map.next_entry::<String, Given>()? {
            members.push((name, value));
        }
        Ok(Members(members))
    }
}

/// The own enumerable members of `object`, read with `Object.entries` (a getter of the page's
/// that throws makes the object unreadable: `invalid_options`, never the page's exception), the
/// pairs then by `serde-wasm-bindgen`. Members whose value is `undefined` count as not given.
fn members(object: &JsValue, what: &'static str) -> Result<Vec<(String, JsValue)>, Error> {
    let unreadable = || error::invalid_options(what);
    if !object.is_object() {
        return Err(unreadable());
    }
    let entries = guarded::entries(object).ok_or_else(unreadable)?;
    let Members(members) = serde_wasm_bindgen::from_value(entries).map_err(|_| unreadable())?;
    Ok(members.into_iter().filter(|(_, value)| !value.is_undefined()).collect())
}

/// The member `name` of `object`, if given (`null`, like `undefined`, is not given).
fn member(object: &JsValue, name: &str, what: &'static str) -> Result<Option<JsValue>, Error> {
    Ok(members(object, what)?.into_iter().find(|(n, value)| n == name && !value.is_null()).map(|(_, value)| value))
}

fn string(value: &JsValue, problem: &'static str) -> Result<String, Error> {
    value.as_string().ok_or(error::invalid_options(problem))
}

fn number(value: &JsValue, problem: &'static str) -> Result<f64, Error> {
    value.as_f64().ok_or(error::invalid_options(problem))
}

fn boolean(value: &JsValue, problem: &'static str) -> Result<bool, Error> {
    value.as_bool().ok_or(error::invalid_options(problem))
}

/// The options of `new Visitor(options)`, checked; `invalid_options` for anything wrong,
/// including names that are not options (a typo would otherwise go unnoticed). (serde's
/// `deny_unknown_fields` cannot say it here: `serde-wasm-bindgen` reads a struct by its field
/// names only, so each option is matched by name below.)
pub fn read(options: &JsValue) -> Result<Options, Error> {
    let mut raw = RawOptions::default();
    for (name, value) in members(options, "new Visitor(options) needs an options object")? {
        match name.as_str() {
            "organizationId" => raw.organization_id = Some(string(&value, "organizationId must be a string")?),
            // `null` means "not given", as `undefined` does: the default, for every option but
            // the required one (a `null` organizationId is refused above: it is not a string).
            "apiBaseUrl" | "storage" | "storageKeyPrefix" | "autoRenew" | "renewBeforeSeconds" | "requestTimeoutMs" | "allowedOrigins" | "onSecretRejected" if value.is_null() => {}
            "apiBaseUrl" => raw.api_base_url = Some(string(&value, "apiBaseUrl must be a string")?),
            "storage" => raw.storage = Some(string(&value, "storage must be a string")?),
            "storageKeyPrefix" => raw.storage_key_prefix = Some(string(&value, "storageKeyPrefix must be a string")?),
            "autoRenew" => raw.auto_renew = Some(boolean(&value, "autoRenew must be true or false")?),
            "renewBeforeSeconds" => raw.renew_before_seconds = Some(number(&value, "renewBeforeSeconds must be a number")?),
            "requestTimeoutMs" => raw.request_timeout_ms = Some(number(&value, "requestTimeoutMs must be a number")?),
            "allowedOrigins" => {
                let origins: Vec<Given> = serde_wasm_bindgen::from_value(value).map_err(|_| error::invalid_options("allowedOrigins must be an array of strings"))?;
                let origins = origins.iter().map(|Given(o)| string(o, "allowedOrigins must be an array of strings")).collect::<Result<_, _>>()?;
                raw.allowed_origins = Some(origins);
            }
            "onSecretRejected" => raw.on_secret_rejected = Some(string(&value, "onSecretRejected must be a string")?),
            _ => return Err(error::invalid_options(format!("unknown option \"{name}\""))),
        }
    }
    Options::from_raw(&raw, parse_url).map_err(error::invalid_options)
}

/// `force` of `authenticate({ force })`.
pub fn force(opts: &JsValue) -> Result<bool, Error> {
    if opts.is_undefined() || opts.is_null() {
        return Ok(false);
    }
    match member(opts, "force", "authenticate(opts): opts must be an object")? {
        None => Ok(false),
        Some(value) => boolean(&value, "force must be true or false"),
    }
}

/// `minValidity` of `getAccessToken({ minValidity })` in seconds (default 5, at most a day), as
/// milliseconds.
pub fn min_validity_ms(opts: &JsValue) -> Result<f64, Error> {
    const PROBLEM: &str = "minValidity must be a number of seconds from 0 to 86400";
    if opts.is_undefined() || opts.is_null() {
        return Ok(FETCH_MIN_VALIDITY_MS);
    }
    match member(opts, "minValidity", "getAccessToken(opts): opts must be an object")? {
        None => Ok(FETCH_MIN_VALIDITY_MS),
        Some(value) => match number(&value, PROBLEM)? {
            s if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s * 1000.0),
            _ => Err(error::invalid_options(PROBLEM)),
        },
    }
}
