//! URLs as the browser parses them (`new URL()`, the parser `fetch` itself uses), so that no URL
//! reads as one origin here and as another where it is sent: the options' URLs, and where a
//! caller's request may take the token.

use crate::core::error::{self, Error};
use crate::core::ids::UrlParts;
use crate::core::options::Options;

/// An absolute URL as the browser parses it (`new URL(text)`, the parser `fetch` itself uses), or
/// `None`.
pub fn parse_url(text: &str) -> Option<UrlParts> {
    parts(web_sys::Url::new(text).ok()?, text)
}

fn parts(url: web_sys::Url, text: &str) -> Option<UrlParts> {
    Some(UrlParts {
        protocol: url.protocol(),
        hostname: url.hostname(),
        origin: url.origin(),
        pathname: url.pathname(),
        credentials: !url.username().is_empty() || !url.password().is_empty(),
        query_or_fragment: text.bytes().any(|b| b == b'?' || b == b'#'),
        href: url.href(),
    })
}

/// The URL `fetch(input)` sends to: a path (`/...`) under `apiBaseUrl`; anything else resolved
/// as the platform's `fetch` resolves it (against the document's base URL, so that `http:host/x`
/// or a `<base href>` cannot make the URL checked and the URL sent two different ones). Its
/// serialization, when the token may go there.
#[cfg(feature = "js")]
pub fn target_url(options: &Options, text: &str) -> Result<String, Error> {
    let first_segment_has_scheme = text.split('/').next().is_some_and(|first| first.contains(':'));
    let url = if text.starts_with('/') && !text.starts_with("//") {
        parse_url(&options.api.url(text))
    } else if web_sys::Url::new(text).is_err() && !text.starts_with("//") && !first_segment_has_scheme {
        return Err(error::invalid_options("fetch(input): a path must start with \"/\" (\"/api/v5/...\"), or be an absolute URL; nothing was sent"));
    } else {
        let base = document_base();
        web_sys::Url::new_with_base(text, base.as_deref().unwrap_or("about:blank")).ok().and_then(|url| parts(url, text))
    };
    allowed(options, url)
}

/// The serialization of `url` (as parsed; `None` when it could not be), when the token may go
/// there.
fn allowed(options: &Options, url: Option<UrlParts>) -> Result<String, Error> {
    match url {
        Some(url) if options.may_send_token_to(&url) => Ok(url.href),
        _ => Err(error::origin_not_allowed()),
    }
}

/// `document.baseURI`: what the platform resolves a relative URL against.
#[cfg(feature = "js")]
fn document_base() -> Option<String> {
    let document = web_sys::window()?.document()?;
    js_sys::Reflect::get(&document, &"baseURI".into()).ok()?.as_string()
}

/// The URL of a request built elsewhere (already absolute, resolved when it was built), when
/// the token may go there.
pub fn checked(options: &Options, url: &str) -> Result<(), Error> {
    allowed(options, parse_url(url)).map(drop)
}
