//! Identifiers: the organization id (a UUID) and the API base URL with its origin.



/// An organization id: a UUID in the 8-4-4-4-12 hex form, normalized to lower case
/// (giosg's ids are lower-case dashed UUIDs; users paste them in any case).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct OrganizationId(String);

impl OrganizationId {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 {
            return Err("organizationId must be a UUID like e6a08f51-c250-4074-847b-58d444dbbeb1");
        }
        for (i, b) in bytes.iter().enumerate() {
            let ok = match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            };
            if !ok {
                return Err("organizationId must be a UUID like e6a08f51-c250-4074-847b-58d444dbbeb1");
            }
        }
        Ok(Self(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A URL as a WHATWG URL parser splits it: in the browser `new URL(text)`, the parser `fetch`
/// itself uses, so that no URL reads as one origin here and as another when it is fetched.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct UrlParts {
    /// `https:`, `http:`, ...
    pub protocol: String,
    /// In lower case; an IPv6 address in brackets.
    pub hostname: String,
    /// `scheme://host[:port]`, without the scheme's default port.
    pub origin: String,
    /// `/` at least.
    pub pathname: String,
    /// The URL names a user or a password.
    pub credentials: bool,
    /// The text has a `?` or a `#` (even an empty query or fragment).
    pub query_or_fragment: bool,
    /// The whole URL, serialized: what a request to it is sent to.
    pub href: String,
}

/// The API base URL: `https://` anywhere, `http://` only on loopback hosts.
///
/// `origin` is what the token may be sent to and what storage keys are scoped by; `base` is
/// the URL without a trailing slash, to which API paths are appended (so a base with a path
/// prefix, such as a reverse proxy's, keeps it).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ApiBase {
    origin: String,
    base: String,
}

impl ApiBase {
    pub const DEFAULT: &'static str = "https://service.giosg.com";

    /// The base in `url` (parsed from the text the user gave), or why it cannot be one.
    pub fn from_url(url: Option<UrlParts>) -> Result<Self, &'static str> {
        const SCHEME: &str = "apiBaseUrl must start with https:// (or http:// for localhost, 127.0.0.1 or [::1])";
        let url = url.ok_or("apiBaseUrl is not a valid URL")?;
        let loopback = matches!(url.hostname.as_str(), "localhost" | "127.0.0.1" | "[::1]");
        if !(url.protocol == "https:" || url.protocol == "http:" && loopback) {
            return Err(SCHEME);
        }
        if url.credentials {
            return Err("apiBaseUrl must not contain a user name or password");
        }
        if url.query_or_fragment {
            return Err("apiBaseUrl must not have a query or a fragment");
        }
        let path = url.pathname.as_bytes();
        let trimmed = path.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        let base = format!("{}{}", url.origin, url.pathname.get(..trimmed).unwrap_or(""));
        Ok(Self { origin: url.origin, base })
    }

    /// `scheme://host[:port]`, lower case, without the default port.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether the base is its origin alone (no path).
    pub fn is_origin(&self) -> bool {
        self.base == self.origin
    }

    /// The URL of an API path (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The auth endpoint of an organization.
    pub fn auth_url(&self, org: &OrganizationId) -> String {
        format!("{}/api/v5/public/orgs/{}/auth", self.base, org.as_str())
    }
}

/// `http` or `https` (in any case, returned in lower case) and what follows `://`.
pub fn split_scheme(url: &str) -> Option<(&'static str, &str)> {
    let (scheme, rest) = split_at_byte(url, b':');
    let rest = rest.strip_prefix("://")?;
    if scheme.eq_ignore_ascii_case("https") {
        Some(("https", rest))
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(("http", rest))
    } else {
        None
    }
}

/// `text` split before the first `byte` (an ASCII byte): `(before, from the byte on)`, or
/// `(text, "")` without one.
pub fn split_at_byte(text: &str, byte: u8) -> (&str, &str) {
    let at = text.bytes().position(|b| b == byte).unwrap_or(text.len());
    (text.get(..at).unwrap_or(text), text.get(at..).unwrap_or(""))
}

/// A WHATWG-like URL parser for host tests, for the URLs the tests use (the browser's parser is
/// what the shipped SDK uses).
#[cfg(test)]
pub fn parse_url(text: &str) -> Option<UrlParts> {
    let (scheme, rest) = split_scheme(text)?;
    let end = rest.bytes().position(|b| matches!(b, b'?' | b'#')).unwrap_or(rest.len());
    let (authority, path) = split_at_byte(rest.get(..end)?, b'/');
    let (credentials, authority) = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => (true, authority.get(at + 1..)?),
        None => (false, authority),
    };
    let (host, port) = split_host_port(authority)?;
    let host = host.to_ascii_lowercase();
    let default_port = if scheme == "https" { 443 } else { 80 };
    let origin = match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    };
    Some(UrlParts {
        protocol: format!("{scheme}:"),
        hostname: host,
        origin,
        pathname: if path.is_empty() { "/".into() } else { path.into() },
        credentials,
        query_or_fragment: end < rest.len(),
        href: text.to_owned(),
    })
}

/// Splits `host[:port]`, checking that the host is a plausible name or bracketed IPv6 literal
/// and the port a number.
#[cfg(test)]
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let (inner, rest) = split_at_byte(authority, b']');
        let rest = rest.strip_prefix(']')?;
        let inner = inner.strip_prefix('[')?;
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return None;
        }
        let host = authority.get(..inner.len() + 2)?;
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match split_at_byte(authority, b':') {
            (h, "") => (h, None),
            (h, p) => (h, Some(p.strip_prefix(':')?)),
        }
    };
    let valid_name = |h: &str| {
        !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'[' || b == b']' || b == b':')
    };
    if !valid_name(host) {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            let n = p.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
            Some(u16::try_from(n).ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ApiBase, &'static str> {
        ApiBase::from_url(parse_url(text))
    }

    #[test]
    fn organization_ids_are_uuids_normalized_to_lower_case() {
        let org = OrganizationId::parse("E6A08F51-C250-4074-847B-58D444DBBEB1").unwrap();
        assert_eq!(org.as_str(), "e6a08f51-c250-4074-847b-58d444dbbeb1");
        for bad in ["", "e6a08f51c2504074847b58d444dbbeb1", "e6a08f51-c250-4074-847b-58d444dbbeb", "g6a08f51-c250-4074-847b-58d444dbbeb1", "e6a08f51-c250-4074-847b-58d444dbbeb1 ", "e6a08f51_c250-4074-847b-58d444dbbeb1"] {
            assert!(OrganizationId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn https_bases_and_their_origins() {
        let base = parse("https://service.giosg.com").unwrap();
        assert_eq!(base.origin(), "https://service.giosg.com");
        let org = OrganizationId::parse("e6a08f51-c250-4074-847b-58d444dbbeb1").unwrap();
        assert_eq!(base.auth_url(&org), "https://service.giosg.com/api/v5/public/orgs/e6a08f51-c250-4074-847b-58d444dbbeb1/auth");
        let base = parse("HTTPS://Service.Example.com:443/proxy/").unwrap();
        assert_eq!(base.origin(), "https://service.example.com");
        assert_eq!(base.url("/api/x"), "https://service.example.com/proxy/api/x");
        assert_eq!(parse("https://h:8443").unwrap().origin(), "https://h:8443");
    }

    #[test]
    fn http_only_on_loopback() {
        for ok in ["http://localhost:8080", "http://127.0.0.1:1", "http://[::1]:9000", "http://localhost"] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(parse("http://[::1]:80/").unwrap().origin(), "http://[::1]");
        for bad in ["http://example.com", "http://127.0.0.2", "http://localhost.example.com", "ftp://localhost", "localhost:8080", "https://", "https://user:pw@host", "https://host:99999", "https://host:abc", "https://host/?q", "https://host/#f", "https://ho st"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
