//! The auth endpoint's wire format: the request body we send and the answer we accept.
//!
//! Nothing from an answer is used or stored before [`AuthAnswer::validate`] has checked all of it
//! (SPEC §3, "Answers are validated").


use serde::{Deserialize, Serialize};

use super::ids::{split_scheme, OrganizationId};
use super::redact::{AccessToken, Secret};
use super::value::Field;

/// Answers larger than this are refused unread (SPEC §3).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// `expires_in` may not exceed one year.
pub const MAX_EXPIRES_IN: i64 = 365 * 24 * 60 * 60;

/// The body of `POST /api/v5/public/orgs/<org>/auth`: `{"visitor_secret_id": null}` for a new
/// visitor, the stored secret for a returning one.
#[derive(Serialize)]
pub struct AuthRequest<'a> {
    pub visitor_secret_id: Option<&'a str>,
}

impl<'a> AuthRequest<'a> {
    pub fn new(secret: Option<&'a Secret>) -> Self {
        Self { visitor_secret_id: secret.map(Secret::expose) }
    }
}

/// The auth answer as serde reads it: every member with whatever type it has (see [`Field`]);
/// [`AuthAnswer::validate`] checks each. Unknown members are ignored.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct WireAnswer {
    pub visitor_id: Field,
    pub visitor_secret_id: Field,
    pub organization_id: Field,
    pub socket_url: Field,
    pub access_token: Field,
    pub expires_at: Field,
    pub expires_in: Field,
    pub visitor_global_id: Field,
}

/// A validated answer of the auth endpoint.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuthAnswer {
    pub visitor_id: String,
    pub secret: Secret,
    pub organization_id: String,
    pub socket_url: String,
    pub access_token: AccessToken,
    /// The server's idea of the expiry, reported but never used for scheduling (SPEC §2).
    pub expires_at: String,
    /// Seconds of validity, from 1 to [`MAX_EXPIRES_IN`].
    pub expires_in: u32,
    /// Only in some versions of the API: accepted when present, never required.
    pub visitor_global_id: Option<String>,
}

/// Why an answer was refused. The text names the field and the problem, never a value that
/// could be a token or a secret.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum InvalidAnswer {
    TooLarge { bytes: usize },
    NotJson,
    NotAnObject,
    Missing(&'static str),
    WrongType { field: &'static str, expected: &'static str, found: &'static str },
    Empty(&'static str),
    OtherOrganization,
    ExpiresInOutOfRange(i64),
    SocketUrlNotHttp,
}

impl InvalidAnswer {
    /// What is wrong, in a sentence that names no value of the answer but numbers.
    pub fn message(&self) -> String {
        match self {
            Self::TooLarge { bytes } => format!("the auth answer is {bytes} bytes, more than the {MAX_ANSWER_BYTES} allowed"),
            Self::NotJson => "the auth answer is not valid JSON".into(),
            Self::NotAnObject => "the auth answer is not a JSON object".into(),
            Self::Missing(field) => format!("the auth answer has no `{field}`"),
            Self::WrongType { field, expected, found } => format!("`{field}` in the auth answer is {found}, expected {expected}"),
            Self::Empty(field) => format!("`{field}` in the auth answer is empty"),
            Self::OtherOrganization => "the auth answer is for another organization than the one requested".into(),
            Self::ExpiresInOutOfRange(n) => format!("`expires_in` in the auth answer is {n}, expected 1 to {MAX_EXPIRES_IN} seconds"),
            Self::SocketUrlNotHttp => "`socket_url` in the auth answer is not an http(s) URL".into(),
        }
    }
}

/// Why a JSON text did not become the serde type asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JsonProblem {
    /// Not JSON at all.
    NotJson,
    /// JSON, but not of the type's shape (for the answer: not an object).
    Shape,
}

impl AuthAnswer {
    /// Checks an answer body for the organization it was requested for: its size, then what
    /// `parse` (JSON into [`WireAnswer`] through serde) makes of it, then every field.
    pub fn read(body: &str, requested: &OrganizationId, parse: impl FnOnce(&str) -> Result<WireAnswer, JsonProblem>) -> Result<Self, InvalidAnswer> {
        if body.len() > MAX_ANSWER_BYTES {
            return Err(InvalidAnswer::TooLarge { bytes: body.len() });
        }
        match parse(body) {
            Ok(wire) => Self::validate(wire, requested),
            Err(JsonProblem::NotJson) => Err(InvalidAnswer::NotJson),
            Err(JsonProblem::Shape) => Err(InvalidAnswer::NotAnObject),
        }
    }

    /// SPEC §3's rules on the typed answer.
    pub fn validate(wire: WireAnswer, requested: &OrganizationId) -> Result<Self, InvalidAnswer> {
        let organization_id = string(&wire.organization_id, "organization_id")?;
        // Compare as UUIDs: a server may answer in another case than we asked in.
        if !organization_id.eq_ignore_ascii_case(requested.as_str()) {
            return Err(InvalidAnswer::OtherOrganization);
        }
        let expires_in = match &wire.expires_in {
            Field::Absent => return Err(InvalidAnswer::Missing("expires_in")),
            value => value.as_integer().ok_or(InvalidAnswer::WrongType { field: "expires_in", expected: "an integer", found: value.type_name() })?,
        };
        if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
            return Err(InvalidAnswer::ExpiresInOutOfRange(expires_in));
        }
        let socket_url = string(&wire.socket_url, "socket_url")?;
        if !is_http_url(&socket_url) {
            return Err(InvalidAnswer::SocketUrlNotHttp);
        }
        let visitor_global_id = match &wire.visitor_global_id {
            Field::Absent | Field::Null => None,
            value => Some(value.as_str().ok_or(InvalidAnswer::WrongType { field: "visitor_global_id", expected: "a string", found: value.type_name() })?.to_owned()),
        };
        Ok(Self {
            visitor_id: string(&wire.visitor_id, "visitor_id")?,
            secret: Secret::new(string(&wire.visitor_secret_id, "visitor_secret_id")?),
            organization_id: requested.as_str().to_owned(),
            socket_url,
            access_token: AccessToken::new(string(&wire.access_token, "access_token")?),
            expires_at: string(&wire.expires_at, "expires_at")?,
            // The range check above makes this lossless.
            expires_in: expires_in as u32,
            visitor_global_id,
        })
    }
}

/// A required, non-empty string member.
fn string(value: &Field, field: &'static str) -> Result<String, InvalidAnswer> {
    match value {
        Field::Absent => Err(InvalidAnswer::Missing(field)),
        value => match value.as_str() {
            Some("") => Err(InvalidAnswer::Empty(field)),
            Some(s) => Ok(s.to_owned()),
            None => Err(InvalidAnswer::WrongType { field, expected: "a string", found: value.type_name() }),
        },
    }
}

/// `http://` or `https://` followed by a host, without spaces or control characters.
fn is_http_url(url: &str) -> bool {
    let Some((_, rest)) = split_scheme(url) else { return false };
    let host_end = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    host_end > 0 && !url.bytes().any(|b| b <= b' ' || b == 0x7f)
}

/// JSON text into a serde type through `serde_json`, as the host tests read answers and
/// records (the browser reads them with `JSON.parse` and `serde-wasm-bindgen`: the same types).
#[cfg(test)]
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, JsonProblem> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| JsonProblem::NotJson)?;
    if !value.is_object() {
        return Err(JsonProblem::Shape);
    }
    T::deserialize(value).map_err(|_| JsonProblem::Shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "e6a08f51-c250-4074-847b-58d444dbbeb1";
    /// The new-visitor answer of giosg's documentation, verbatim.
    const NEW_VISITOR: &str = r#"{
  "visitor_id": "8a60b202474547dbb8ce19737e4c166f",
  "visitor_secret_id": "2bc12b9cb90d4faf92141c45d560164584ad030d78cb06f91e",
  "organization_id": "e6a08f51-c250-4074-847b-58d444dbbeb1",
  "socket_url": "https://messagerouter.giosg.com/003/2/router",
  "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.we2snuuhq-cnPk-GMJVoBhyZ7ZKPa95Qxe_3VkEaf_E",
  "expires_at": "2015-12-22T11:25:30.595Z",
  "expires_in": 1800,
  "minimal_bar_version": 3
}"#;
    /// The returning-visitor answer of giosg's documentation, verbatim.
    const RETURNING_VISITOR: &str = r#"{
  "visitor_id": "8a60b202474547dbb8ce19737e4c166f",
  "visitor_secret_id": "a112586d51354fcbbcb9d55daee36e76",
  "organization_id": "e6a08f51-c250-4074-847b-58d444dbbeb1",
  "socket_url": "https://messagerouter.giosg.com/004/1/router",
  "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.LwimMJA3puF3ioGeS-tfczR3370GXBZMIL-bdpu4hOU",
  "expires_at": "2015-12-22T15:03:12.901Z",
  "expires_in": 1800,
  "minimal_bar_version": 3
}"#;

    fn org() -> OrganizationId {
        OrganizationId::parse(ORG).unwrap()
    }

    fn parse(body: &str) -> Result<AuthAnswer, InvalidAnswer> {
        AuthAnswer::read(body, &org(), from_json)
    }

    /// The documented answer with one member replaced (`None` removes it).
    fn with(field: &str, value: Option<&str>) -> String {
        let inner = NEW_VISITOR.trim().trim_start_matches('{').trim_end_matches('}');
        let key = format!("\"{field}\":");
        let mut members: Vec<String> = inner.lines().map(|l| l.trim().trim_end_matches(',').to_owned()).filter(|l| !l.is_empty() && !l.starts_with(&key)).collect();
        if let Some(v) = value {
            members.push(format!("{key}{v}"));
        }
        format!("{{{}}}", members.join(","))
    }

    #[test]
    fn accepts_the_documented_answers() {
        let answer = parse(NEW_VISITOR).unwrap();
        assert_eq!(answer.visitor_id, "8a60b202474547dbb8ce19737e4c166f");
        assert_eq!(answer.secret.expose(), "2bc12b9cb90d4faf92141c45d560164584ad030d78cb06f91e");
        assert_eq!(answer.organization_id, ORG);
        assert_eq!(answer.socket_url, "https://messagerouter.giosg.com/003/2/router");
        assert!(answer.access_token.expose().starts_with("eyJhbGci"));
        assert_eq!(answer.expires_at, "2015-12-22T11:25:30.595Z");
        assert_eq!(answer.expires_in, 1800);
        assert_eq!(answer.visitor_global_id, None);
        let returning = parse(RETURNING_VISITOR).unwrap();
        assert_eq!(returning.secret.expose(), "a112586d51354fcbbcb9d55daee36e76");
    }

    #[test]
    fn accepts_unknown_fields_and_the_optional_global_id() {
        let answer = parse(&with("visitor_global_id", Some("\"g-1\""))).unwrap();
        assert_eq!(answer.visitor_global_id.as_deref(), Some("g-1"));
        assert!(parse(&with("visitor_global_id", Some("null"))).unwrap().visitor_global_id.is_none());
        assert!(parse(&with("something_new", Some("{\"nested\":[1,2]}"))).is_ok());
        assert!(parse(&with("minimal_bar_version", None)).is_ok());
    }

    #[test]
    fn an_answer_in_upper_case_is_for_the_same_organization() {
        let answer = parse(&with("organization_id", Some("\"E6A08F51-C250-4074-847B-58D444DBBEB1\""))).unwrap();
        assert_eq!(answer.organization_id, ORG);
    }

    #[test]
    fn each_missing_required_field_is_named() {
        for field in ["visitor_id", "visitor_secret_id", "organization_id", "socket_url", "access_token", "expires_at", "expires_in"] {
            assert_eq!(parse(&with(field, None)), Err(InvalidAnswer::Missing(field)), "{field}");
        }
    }

    #[test]
    fn wrong_types_are_named() {
        let cases = [
            ("visitor_id", "123"),
            ("visitor_secret_id", "null"),
            ("organization_id", "[]"),
            ("socket_url", "{}"),
            ("access_token", "true"),
            ("expires_at", "1450783530"),
            ("expires_in", "\"1800\""),
            ("expires_in", "1800.5"),
            ("visitor_global_id", "7"),
        ];
        for (field, value) in cases {
            match parse(&with(field, Some(value))) {
                Err(InvalidAnswer::WrongType { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}={value}: {other:?}"),
            }
        }
    }

    #[test]
    fn empty_strings_are_refused() {
        for field in ["visitor_id", "visitor_secret_id", "access_token"] {
            assert_eq!(parse(&with(field, Some("\"\""))), Err(InvalidAnswer::Empty(field)));
        }
    }

    #[test]
    fn another_organization_is_refused() {
        let body = with("organization_id", Some("\"00000000-0000-4000-8000-000000000000\""));
        assert_eq!(parse(&body), Err(InvalidAnswer::OtherOrganization));
    }

    #[test]
    fn expires_in_must_be_positive_and_at_most_a_year() {
        for n in [0, -1, -1800, MAX_EXPIRES_IN + 1, 1 << 53] {
            assert_eq!(parse(&with("expires_in", Some(&n.to_string()))), Err(InvalidAnswer::ExpiresInOutOfRange(n)));
        }
        // Past 2^53 a JSON number is no longer an exact integer (as JSON.parse reads it).
        for inexact in ["99999999999999999999999", &i64::MAX.to_string()] {
            assert!(matches!(parse(&with("expires_in", Some(inexact))), Err(InvalidAnswer::WrongType { .. })), "{inexact}");
        }
        assert_eq!(parse(&with("expires_in", Some("1"))).unwrap().expires_in, 1);
        assert_eq!(parse(&with("expires_in", Some(&MAX_EXPIRES_IN.to_string()))).unwrap().expires_in, 31_536_000);
    }

    #[test]
    fn the_messages_spell_the_limits_out() {
        assert!(InvalidAnswer::TooLarge { bytes: 1 }.message().contains(&format!(" {MAX_ANSWER_BYTES} ")));
        assert!(InvalidAnswer::ExpiresInOutOfRange(0).message().contains(&format!(" {MAX_EXPIRES_IN} ")));
    }

    #[test]
    fn socket_url_must_be_http() {
        for bad in ["\"wss://x/router\"", "\"javascript:alert(1)\"", "\"https://\"", "\"/relative\"", "\"https://a b\"", "\"https://a/\\tb\"", "\"https://a/\\u0000\""] {
            assert_eq!(parse(&with("socket_url", Some(bad))), Err(InvalidAnswer::SocketUrlNotHttp), "{bad}");
        }
        assert!(parse(&with("socket_url", Some("\"http://127.0.0.1:8080/router\""))).is_ok());
    }

    #[test]
    fn an_exponent_that_makes_a_whole_number_is_that_number() {
        // JSON.parse (what ships) reads 1.8e3 as 1800: one parsing path, one answer.
        assert_eq!(parse(&with("expires_in", Some("1.8e3"))).unwrap().expires_in, 1800);
    }

    #[test]
    fn malformed_partial_and_oversized_bodies_are_refused() {
        assert_eq!(parse(""), Err(InvalidAnswer::NotJson));
        assert_eq!(parse("<html>502 Bad Gateway</html>"), Err(InvalidAnswer::NotJson));
        assert_eq!(parse(&NEW_VISITOR[..NEW_VISITOR.len() / 2]), Err(InvalidAnswer::NotJson));
        assert_eq!(parse("[1]"), Err(InvalidAnswer::NotAnObject));
        assert_eq!(parse("null"), Err(InvalidAnswer::NotAnObject));
        let padded = with("padding", Some(&format!("\"{}\"", "x".repeat(MAX_ANSWER_BYTES))));
        assert_eq!(parse(&padded), Err(InvalidAnswer::TooLarge { bytes: padded.len() }));
    }

    #[test]
    fn refusals_never_print_the_secret_or_the_token() {
        let bodies = [with("expires_in", Some("0")), with("socket_url", Some("1")), with("organization_id", Some("\"x\""))];
        for body in bodies {
            let err = parse(&body).unwrap_err();
            let text = format!("{} {err:?}", err.message());
            assert!(!text.contains("2bc12b9c") && !text.contains("eyJhbGci"), "{text}");
        }
        let answer = parse(NEW_VISITOR).unwrap();
        let text = format!("{answer:?}");
        assert!(!text.contains("2bc12b9c") && !text.contains("eyJhbGci"), "{text}");
    }

    #[test]
    fn request_bodies_for_new_and_returning_visitors() {
        assert_eq!(serde_json::to_string(&AuthRequest::new(None)).unwrap(), r#"{"visitor_secret_id":null}"#);
        let secret = Secret::new("a112586d\"51354".into());
        assert_eq!(serde_json::to_string(&AuthRequest::new(Some(&secret))).unwrap(), r#"{"visitor_secret_id":"a112586d\"51354"}"#);
    }
}
