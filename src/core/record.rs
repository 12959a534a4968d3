//! What the SDK keeps in storage, as versioned JSON (SPEC §4).
//!
//! Keys: `P:O:secret` holds the visitor secret of the API origin `O`. Values are JSON objects
//! with a version `v`, so that later versions can migrate them. Anything unreadable (not JSON,
//! another version, wrong types) reads as absent: garbage never crashes the SDK.

use super::ids::ApiBase;
use super::json::{self, Json};
use super::redact::Secret;

/// The version written into every record.
pub const VERSION: i64 = 1;

/// The storage key of the secret for an API origin.
pub fn secret_key(prefix: &str, api: &ApiBase) -> String {
    format!("{prefix}:{}:secret", api.origin())
}

/// `{"v":1,"secret":"…"}`
pub fn encode_secret(secret: &Secret) -> String {
    let mut out = format!("{{\"v\":{VERSION},\"secret\":");
    json::write_str(&mut out, secret.expose());
    out.push('}');
    out
}

/// The secret in a stored value, or `None` when the value is not a record of this version.
pub fn decode_secret(value: &str) -> Option<Secret> {
    let doc = Json::parse(value.as_bytes()).ok()?;
    if doc.get("v")?.as_i64()? != VERSION {
        return None;
    }
    match doc.get("secret")?.as_str()? {
        "" => None,
        s => Some(Secret::new(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_key_is_scoped_by_prefix_and_api_origin() {
        let api = ApiBase::parse("https://service.giosg.com/").unwrap();
        assert_eq!(secret_key("giosg", &api), "giosg:https://service.giosg.com:secret");
        let local = ApiBase::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(secret_key("app", &local), "app:http://127.0.0.1:8080:secret");
    }

    #[test]
    fn a_secret_round_trips() {
        let secret = Secret::new("2bc12b9c\"\\x".into());
        assert_eq!(decode_secret(&encode_secret(&secret)), Some(secret));
    }

    #[test]
    fn garbage_reads_as_absent() {
        for value in ["", "not json", "null", "[]", "{}", "\"secret\"", r#"{"v":2,"secret":"s"}"#, r#"{"v":"1","secret":"s"}"#, r#"{"v":1,"secret":5}"#, r#"{"v":1,"secret":""}"#, r#"{"v":1}"#] {
            assert_eq!(decode_secret(value), None, "{value}");
        }
    }
}
