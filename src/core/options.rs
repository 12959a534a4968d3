//! The `Visitor` options (SPEC §1): defaults, ranges, and the checks behind `invalid_options`.
//!
//! The JS layer reads each option with its JS type and hands the values here; every rule about
//! what a value may be lives in this file, so the host tests cover all of them.


use super::ids::{ApiBase, OrganizationId, UrlParts};
use super::retry::Backoff;

/// Where the visitor's secret and session are kept.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StorageKind {
    /// `localStorage`: the visitor is remembered across page loads and tabs (the default).
    Local,
    /// `sessionStorage`: remembered in this tab only, until it closes.
    Session,
    /// Memory: forgotten with the page (before consent, say).
    Memory,
}

impl StorageKind {
    /// The kind named as the `storage` option and `setStorage()` spell it.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "local" => Self::Local,
            "session" => Self::Session,
            "memory" => Self::Memory,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Session => "session",
            Self::Memory => "memory",
        }
    }
}

/// Why where things are kept changed, as the `storage` event's `reason` gives it: a code, with
/// a readable sentence beside it (neither ever holds a key's value, a token or the secret).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StorageReason {
    /// The browser's storage is missing, or threw something other than the two below.
    Unavailable,
    /// A write hit the storage's quota (`QuotaExceededError`).
    Quota,
    /// The browser refused access (`SecurityError`: privacy settings, blocked cookies, a
    /// sandboxed iframe).
    Security,
    /// `setStorage()` moved the visitor.
    Changed,
}

impl StorageReason {
    /// The reason for a storage call that threw the exception named `name` (a `DOMException`'s
    /// `name`; `None` when what was thrown has none).
    pub fn of_exception(name: Option<&str>) -> Self {
        match name {
            Some("QuotaExceededError") => Self::Quota,
            Some("SecurityError") => Self::Security,
            _ => Self::Unavailable,
        }
    }

    /// The code the `storage` event's `reason` gives.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Quota => "quota",
            Self::Security => "security",
            Self::Changed => "changed",
        }
    }

    /// The `storage` event's `message`: the reason in words.
    pub fn message(self) -> &'static str {
        match self {
            Self::Unavailable => "Storage is unavailable; the visitor is kept in memory.",
            Self::Quota => "Storage is full; the visitor is kept in memory.",
            Self::Security => "The browser blocks storage; the visitor is kept in memory.",
            Self::Changed => "setStorage() moved the visitor.",
        }
    }
}

/// What happens when the server refuses the stored visitor secret.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OnSecretRejected {
    /// Start over as a new visitor (the default), once the refusal is confirmed.
    Reset,
    /// Keep the secret and fail with `secret_rejected`.
    Error,
}

/// The names a user may pass, space-separated; anything else is a typo worth an error.
/// (`js/options.rs` reads them by position: keep the order.)
pub const NAMES: &str = "organizationId apiBaseUrl storage storageKeyPrefix autoRenew renewBeforeSeconds requestTimeoutMs allowedOrigins onSecretRejected";

/// Options as the user gave them, each already of its JS type; `None` means "not given".
#[derive(Clone, Default, Debug)]
pub struct RawOptions {
    pub organization_id: Option<String>,
    pub api_base_url: Option<String>,
    pub storage: Option<String>,
    pub storage_key_prefix: Option<String>,
    pub auto_renew: Option<bool>,
    pub renew_before_seconds: Option<f64>,
    pub request_timeout_ms: Option<f64>,
    pub allowed_origins: Option<Vec<String>>,
    pub on_secret_rejected: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub org: OrganizationId,
    pub api: ApiBase,
    pub storage: StorageKind,
    pub prefix: String,
    pub auto_renew: bool,
    pub renew_before_ms: f64,
    pub request_timeout_ms: u32,
    /// Normalized origins `fetch()` may send the token to, the API's first.
    pub allowed_origins: Vec<String>,
    pub on_secret_rejected: OnSecretRejected,
    /// How failed auth requests are retried: always [`Backoff::SPEC`] in the SDK (no option sets
    /// it); the simulator sets variants.
    pub backoff: Backoff,
}

/// Most a timeout may be: ten minutes. (The messages below spell the limits out: static
/// sentences, no float formatting in the shipped code.)
pub const MAX_TIMEOUT_MS: f64 = 600_000.0;
/// Most `renewBeforeSeconds` may be: a day.
pub const MAX_RENEW_BEFORE_S: f64 = 86_400.0;

impl Options {
    /// The options, or why not: every reason is a fixed sentence. `parse_url` splits URLs (in
    /// the browser, its own parser).
    pub fn from_raw(raw: &RawOptions, parse_url: impl Fn(&str) -> Option<UrlParts>) -> Result<Self, &'static str> {
        let org = OrganizationId::parse(raw.organization_id.as_deref().ok_or("organizationId is required")?)?;
        let api = ApiBase::from_url(parse_url(raw.api_base_url.as_deref().unwrap_or(ApiBase::DEFAULT)))?;
        let storage = match raw.storage.as_deref() {
            None => StorageKind::Local,
            Some(name) => StorageKind::parse(name).ok_or("storage must be \"local\", \"session\" or \"memory\"")?,
        };
        let prefix = raw.storage_key_prefix.as_deref().unwrap_or("giosg");
        // Characters (Unicode scalar values: the bytes that do not continue one), as the message
        // and the README say, not UTF-8 bytes.
        if prefix.is_empty() || prefix.bytes().filter(|b| b & 0xC0 != 0x80).count() > 100 {
            return Err("storageKeyPrefix must be 1 to 100 characters");
        }
        let renew_before_s = raw.renew_before_seconds.unwrap_or(60.0);
        if !(renew_before_s.is_finite() && (0.0..=MAX_RENEW_BEFORE_S).contains(&renew_before_s)) {
            return Err("renewBeforeSeconds must be a number from 0 to 86400");
        }
        let timeout = raw.request_timeout_ms.unwrap_or(10_000.0);
        if !(timeout.is_finite() && timeout.fract() == 0.0 && (1.0..=MAX_TIMEOUT_MS).contains(&timeout)) {
            return Err("requestTimeoutMs must be a whole number from 1 to 600000");
        }
        let mut allowed_origins = vec![api.origin().to_owned()];
        for origin in raw.allowed_origins.iter().flatten() {
            let parsed = ApiBase::from_url(parse_url(origin))
                .ok()
                .filter(ApiBase::is_origin)
                .ok_or("allowedOrigins must hold origins like https://example.com (http only for localhost)")?;
            allowed_origins.push(parsed.origin().to_owned());
        }
        let on_secret_rejected = match raw.on_secret_rejected.as_deref() {
            None | Some("reset") => OnSecretRejected::Reset,
            Some("error") => OnSecretRejected::Error,
            Some(_) => return Err("onSecretRejected must be \"reset\" or \"error\""),
        };
        Ok(Self {
            org,
            api,
            storage,
            prefix: prefix.to_owned(),
            auto_renew: raw.auto_renew.unwrap_or(true),
            renew_before_ms: renew_before_s * 1000.0,
            request_timeout_ms: timeout as u32,
            allowed_origins,
            on_secret_rejected,
            backoff: Backoff::SPEC,
        })
    }

    /// Whether `fetch()` may send the token to `url` (as the browser parses it: the parser
    /// `fetch` itself uses, so that no URL reads as one origin here and as another there): of
    /// `apiBaseUrl`'s origin or one of `allowedOrigins`, and naming no user or password.
    pub fn may_send_token_to(&self, url: &UrlParts) -> bool {
        !url.credentials && self.allowed_origins.contains(&url.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::parse_url;

    const ORG: &str = "e6a08f51-c250-4074-847b-58d444dbbeb1";

    fn raw() -> RawOptions {
        RawOptions { organization_id: Some(ORG.into()), ..Default::default() }
    }

    #[test]
    fn defaults_follow_the_spec() {
        let o = Options::from_raw(&raw(), parse_url).unwrap();
        assert_eq!(o.api.origin(), "https://service.giosg.com");
        assert_eq!(o.storage, StorageKind::Local);
        assert_eq!(o.prefix, "giosg");
        assert!(o.auto_renew);
        assert_eq!(o.renew_before_ms, 60_000.0);
        assert_eq!(o.request_timeout_ms, 10_000);
        assert_eq!(o.allowed_origins, ["https://service.giosg.com"]);
        assert_eq!(o.on_secret_rejected, OnSecretRejected::Reset);
    }

    #[test]
    fn every_bad_value_is_refused_with_a_message() {
        let cases: Vec<(&str, RawOptions)> = vec![
            ("organizationId", RawOptions::default()),
            ("organizationId", RawOptions { organization_id: Some("x".into()), ..raw() }),
            ("apiBaseUrl", RawOptions { api_base_url: Some("http://example.com".into()), ..raw() }),
            ("apiBaseUrl", RawOptions { api_base_url: Some("".into()), ..raw() }),
            ("storage", RawOptions { storage: Some("cookie".into()), ..raw() }),
            ("storageKeyPrefix", RawOptions { storage_key_prefix: Some("".into()), ..raw() }),
            ("storageKeyPrefix", RawOptions { storage_key_prefix: Some("p".repeat(101)), ..raw() }),
            ("renewBeforeSeconds", RawOptions { renew_before_seconds: Some(-1.0), ..raw() }),
            ("renewBeforeSeconds", RawOptions { renew_before_seconds: Some(f64::NAN), ..raw() }),
            ("renewBeforeSeconds", RawOptions { renew_before_seconds: Some(f64::INFINITY), ..raw() }),
            ("renewBeforeSeconds", RawOptions { renew_before_seconds: Some(86_401.0), ..raw() }),
            ("requestTimeoutMs", RawOptions { request_timeout_ms: Some(0.0), ..raw() }),
            ("requestTimeoutMs", RawOptions { request_timeout_ms: Some(1.5), ..raw() }),
            ("requestTimeoutMs", RawOptions { request_timeout_ms: Some(600_001.0), ..raw() }),
            ("allowedOrigins", RawOptions { allowed_origins: Some(vec!["https://a.com/path".into()]), ..raw() }),
            ("allowedOrigins", RawOptions { allowed_origins: Some(vec!["http://a.com".into()]), ..raw() }),
            ("allowedOrigins", RawOptions { allowed_origins: Some(vec!["a.com".into()]), ..raw() }),
            ("onSecretRejected", RawOptions { on_secret_rejected: Some("ignore".into()), ..raw() }),
        ];
        for (name, options) in cases {
            let message = Options::from_raw(&options, parse_url).unwrap_err();
            assert!(message.contains(name), "{name}: {message}");
        }
    }

    #[test]
    fn good_values_are_taken() {
        let o = Options::from_raw(&RawOptions {
            api_base_url: Some("http://127.0.0.1:8080".into()),
            storage: Some("memory".into()),
            storage_key_prefix: Some("app".into()),
            auto_renew: Some(false),
            renew_before_seconds: Some(2.5),
            request_timeout_ms: Some(500.0),
            allowed_origins: Some(vec!["https://CDN.example.com:443/".into(), "http://localhost:3000".into()]),
            on_secret_rejected: Some("error".into()),
            ..raw()
        }, parse_url)
        .unwrap();
        assert_eq!(o.storage, StorageKind::Memory);
        assert!(!o.auto_renew);
        assert_eq!(o.renew_before_ms, 2500.0);
        assert_eq!(o.request_timeout_ms, 500);
        assert_eq!(o.allowed_origins, ["http://127.0.0.1:8080", "https://cdn.example.com", "http://localhost:3000"]);
        assert_eq!(o.on_secret_rejected, OnSecretRejected::Error);
    }

    /// The limit is in characters, as the README says, not in UTF-8 bytes: 100 of "é" (200
    /// bytes) or of an emoji (400 bytes) are a good prefix, 101 are not.
    #[test]
    fn the_prefix_limit_counts_characters_not_bytes() {
        for ok in ["é".repeat(60), "é".repeat(100), "😀".repeat(100), "p".repeat(100)] {
            let o = Options::from_raw(&RawOptions { storage_key_prefix: Some(ok.clone()), ..raw() }, parse_url);
            assert_eq!(o.map(|o| o.prefix).ok().as_deref(), Some(ok.as_str()), "{ok} refused");
        }
        for bad in ["é".repeat(101), "😀".repeat(101)] {
            let message = Options::from_raw(&RawOptions { storage_key_prefix: Some(bad.clone()), ..raw() }, parse_url).unwrap_err();
            assert_eq!(message, "storageKeyPrefix must be 1 to 100 characters", "{bad}");
        }
    }

    #[test]
    fn storage_exceptions_are_told_apart_by_name() {
        for (name, code) in [
            (Some("QuotaExceededError"), "quota"),
            (Some("SecurityError"), "security"),
            (Some("InvalidStateError"), "unavailable"),
            (Some("TypeError"), "unavailable"),
            (None, "unavailable"),
        ] {
            assert_eq!(StorageReason::of_exception(name).code(), code, "{name:?}");
        }
    }

    #[test]
    fn storage_reasons_have_distinct_codes_and_plain_messages() {
        let all = [StorageReason::Unavailable, StorageReason::Quota, StorageReason::Security, StorageReason::Changed];
        let codes: Vec<_> = all.iter().map(|r| r.code()).collect();
        assert_eq!(codes, ["unavailable", "quota", "security", "changed"]);
        for reason in all {
            let message = reason.message();
            assert!(message.ends_with('.') && message.len() < 120, "{message}");
            assert!(all.iter().all(|other| *other == reason || other.message() != message), "{message}");
        }
    }

    #[test]
    fn the_token_goes_only_to_allowed_origins() {
        let o = Options::from_raw(&RawOptions { allowed_origins: Some(vec!["https://files.example.com".into()]), ..raw() }, parse_url).unwrap();
        let may = |url: &str| parse_url(url).is_some_and(|url| o.may_send_token_to(&url));
        for ok in ["https://service.giosg.com/api/v5/x", "https://SERVICE.giosg.com:443/x?y#z", "https://files.example.com"] {
            assert!(may(ok), "{ok}");
        }
        // Read by the test parser here; the browser suite sends the same kinds of URL through
        // the browser's.
        for bad in [
            "https://service.giosg.com.evil.com/x",
            "https://evil.com/https://service.giosg.com",
            "http://service.giosg.com/x",
            "https://service.giosg.com:8443/x",
            "https://user@service.giosg.com/x",
        ] {
            assert!(!may(bad), "{bad}");
        }
    }
}
