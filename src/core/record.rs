//! What the SDK keeps in storage, as versioned JSON (SPEC §4).
//!
//! Keys, with `P` the prefix and `O` the API origin: `P:O:secret` holds the visitor secret,
//! shared by every organization on that API; `P:O:<org>:session` the most recent session of one
//! organization (never the secret). Values are JSON objects with a version `v`, so that later
//! versions can migrate them. Anything unreadable (not JSON, another version, wrong types) reads
//! as absent: garbage never crashes the SDK.

use crate::prelude::*;

use super::ids::{ApiBase, OrganizationId};
use super::text;
use super::json::{self, Document, Value};
use super::redact::{AccessToken, Secret};
use super::session::Session;
use super::wire::{AuthAnswer, MAX_EXPIRES_IN};

/// The version written into every record.
pub const VERSION: i64 = 1;

/// The storage key of the secret for an API origin.
pub fn secret_key(prefix: &str, api: &ApiBase) -> String {
    text::cat(&[prefix, ":", api.origin(), ":secret"])
}

/// The storage key of an organization's cached session.
pub fn session_key(prefix: &str, api: &ApiBase, org: &OrganizationId) -> String {
    text::cat(&[prefix, ":", api.origin(), ":", org.as_str(), ":session"])
}

/// `{"v":1,"visitorId":…,"accessToken":…,"expiresAtMs":…,"renewAtMs":…,…}`: the whole session
/// but the secret. Times are whole milliseconds on the local clock.
pub fn encode_session(session: &Session) -> String {
    let a = &session.answer;
    let mut out = String::from("{\"v\":");
    text::push_int(&mut out, VERSION);
    for (key, value) in [
        ("visitorId", a.visitor_id.as_str()),
        ("organizationId", a.organization_id.as_str()),
        ("socketUrl", a.socket_url.as_str()),
        ("accessToken", a.access_token.expose()),
        ("expiresAt", a.expires_at.as_str()),
    ] {
        out.push(',');
        json::write_str(&mut out, key);
        out.push(':');
        json::write_str(&mut out, value);
    }
    out.push_str(",\"secretTag\":");
    json::write_str(&mut out, &secret_tag(&a.secret));
    if let Some(global) = &a.visitor_global_id {
        out.push_str(",\"visitorGlobalId\":");
        json::write_str(&mut out, global);
    }
    out.push_str(",\"expiresIn\":");
    text::push_int(&mut out, i64::from(a.expires_in));
    out.push_str(",\"expiresAtMs\":");
    text::push_int(&mut out, text::round(session.expires_at_ms));
    out.push_str(",\"renewAtMs\":");
    text::push_int(&mut out, text::round(session.renew_at_ms));
    out.push('}');
    out
}

/// The session in a stored value (parsed), for `org`. The secret is not in the record: the caller
/// gives the one it holds, so a session is never used without the secret it belongs to.
pub fn decode_session(doc: &impl Document, org: &OrganizationId, secret: Secret) -> Option<Session> {
    if doc.member("v")?.as_i64()? != VERSION {
        return None;
    }
    let text = |key: &str| doc.member(key).and_then(Value::into_string).filter(|s| !s.is_empty());
    let number = |key: &str| doc.member(key).and_then(|v| v.as_i64());
    // A session cached under another secret (say, before `forget()` at another organization
    // of the same API) belongs to another visitor.
    if text("organizationId")? != org.as_str() || text("secretTag")? != secret_tag(&secret) {
        return None;
    }
    let expires_in = number("expiresIn").filter(|n| (1..=MAX_EXPIRES_IN).contains(n))?;
    let visitor_global_id = match doc.member("visitorGlobalId") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return None,
    };
    let answer = AuthAnswer {
        visitor_id: text("visitorId")?,
        secret,
        organization_id: org.as_str().to_owned(),
        socket_url: text("socketUrl")?,
        access_token: AccessToken::new(text("accessToken")?),
        expires_at: text("expiresAt")?,
        expires_in: expires_in as u32,
        visitor_global_id,
    };
    let expires_at_ms = number("expiresAtMs")? as f64;
    let renew_at_ms = number("renewAtMs")? as f64;
    if renew_at_ms > expires_at_ms {
        return None;
    }
    Some(Session { answer, expires_at_ms, renew_at_ms })
}

/// A short tag that tells whether a cached session belongs to the stored secret: 64 bits of
/// FNV-1a. It reveals nothing useful: whoever can read it can read the secret beside it.
fn secret_tag(secret: &Secret) -> String {
    let hash = secret.expose().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let mut out = String::with_capacity(16);
    text::push_hex64(&mut out, hash);
    out
}

/// `{"v":1,"secret":"…"}`
pub fn encode_secret(secret: &Secret) -> String {
    let mut out = String::from("{\"v\":");
    text::push_int(&mut out, VERSION);
    out.push_str(",\"secret\":");
    json::write_str(&mut out, secret.expose());
    out.push('}');
    out
}

/// The secret in a stored value (parsed), or `None` when it is not a record of this version.
pub fn decode_secret(doc: &impl Document) -> Option<Secret> {
    if doc.member("v")?.as_i64()? != VERSION {
        return None;
    }
    doc.member("secret")?.into_string().filter(|s| !s.is_empty()).map(Secret::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::parse_url;
    use crate::core::json::Json;

    /// The decoders on text, read with the crate's JSON reader.
    fn decode_secret(value: &str) -> Option<Secret> {
        Json::parse(value.as_bytes()).ok().and_then(|doc| super::decode_secret(&doc))
    }

    fn decode_session(value: &str, org: &OrganizationId, secret: Secret) -> Option<Session> {
        Json::parse(value.as_bytes()).ok().and_then(|doc| super::decode_session(&doc, org, secret))
    }

    #[test]
    fn the_secret_key_is_scoped_by_prefix_and_api_origin() {
        let api = ApiBase::from_url(parse_url("https://service.giosg.com/")).unwrap();
        assert_eq!(secret_key("giosg", &api), "giosg:https://service.giosg.com:secret");
        let local = ApiBase::from_url(parse_url("http://127.0.0.1:8080")).unwrap();
        assert_eq!(secret_key("app", &local), "app:http://127.0.0.1:8080:secret");
    }

    #[test]
    fn a_secret_round_trips() {
        let secret = Secret::new("2bc12b9c\"\\x".into());
        assert_eq!(decode_secret(&encode_secret(&secret)), Some(secret));
    }

    fn org() -> OrganizationId {
        OrganizationId::parse("e6a08f51-c250-4074-847b-58d444dbbeb1").unwrap()
    }

    fn session() -> Session {
        let body = br#"{"visitor_id":"8a60b202474547dbb8ce19737e4c166f","visitor_secret_id":"2bc12b9cb90d4faf92141c45d560164584ad030d78cb06f91e","organization_id":"e6a08f51-c250-4074-847b-58d444dbbeb1","socket_url":"https://messagerouter.giosg.com/003/2/router","access_token":"eyJ.e30.sig","expires_at":"2015-12-22T11:25:30.595Z","expires_in":1800,"visitor_global_id":"g\"1"}"#;
        Session::new(AuthAnswer::parse(body, &org()).unwrap(), 1_700_000_000_123.0, 60_000.0, 0.5)
    }

    #[test]
    fn the_session_key_is_per_organization() {
        let api = ApiBase::from_url(parse_url("https://service.giosg.com")).unwrap();
        assert_eq!(session_key("giosg", &api, &org()), "giosg:https://service.giosg.com:e6a08f51-c250-4074-847b-58d444dbbeb1:session");
    }

    #[test]
    fn a_session_round_trips_without_its_secret() {
        let s = session();
        let stored = encode_session(&s);
        assert!(!stored.contains("2bc12b9c"), "{stored}");
        let back = decode_session(&stored, &org(), s.answer.secret.clone()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn a_session_of_another_organization_or_garbage_reads_as_absent() {
        let s = session();
        let stored = encode_session(&s);
        let other = OrganizationId::parse("11111111-2222-4333-8444-555555555555").unwrap();
        assert_eq!(decode_session(&stored, &other, s.answer.secret.clone()), None);
        assert_eq!(decode_session(&stored, &org(), Secret::new("another visitor".into())), None);
        let bad = [
            String::new(),
            "garbage".into(),
            stored.replace("\"v\":1", "\"v\":2"),
            stored.replace("\"expiresIn\":1800", "\"expiresIn\":0"),
            stored.replace("\"expiresIn\":1800", "\"expiresIn\":\"1800\""),
            stored.replace("\"accessToken\":\"eyJ.e30.sig\"", "\"accessToken\":\"\""),
            stored.replace("\"visitorGlobalId\":\"g\\\"1\"", "\"visitorGlobalId\":5"),
            stored.replace("\"expiresAtMs\"", "\"other\""),
        ];
        for value in bad {
            assert_eq!(decode_session(&value, &org(), s.answer.secret.clone()), None, "{value}");
        }
    }

    #[test]
    fn garbage_reads_as_absent() {
        for value in ["", "not json", "null", "[]", "{}", "\"secret\"", r#"{"v":2,"secret":"s"}"#, r#"{"v":"1","secret":"s"}"#, r#"{"v":1,"secret":5}"#, r#"{"v":1,"secret":""}"#, r#"{"v":1}"#] {
            assert_eq!(decode_secret(value), None, "{value}");
        }
    }
}
