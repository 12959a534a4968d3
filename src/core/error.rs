//! The errors of SPEC §1 (`VisitorError`): a code, a readable message and, for HTTP errors, the
//! status. Every message is written here, from values that are never tokens or secrets; the
//! browser shell only turns an `Error` into a JS `VisitorError` object.

use std::borrow::Cow;

use super::wire::InvalidAnswer;

/// SPEC's error codes, as `VisitorError.code` spells them (`Display` and [`Code::as_str`] give
/// that spelling).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Code {
    /// A bad option or argument (the message names it).
    InvalidOptions,
    /// The request could not be made or the connection broke (CORS, offline, dropped).
    Network,
    /// No full answer within the request timeout.
    Timeout,
    /// The server answered with an error status ([`Error::status`]).
    Http,
    /// The server's answer was not a valid auth answer.
    InvalidResponse,
    /// The server refused the stored secret, and the options say to keep it.
    SecretRejected,
    /// A request to an origin the token may not go to: nothing was sent.
    OriginNotAllowed,
    /// The visitor was stopped (or `forget()` cut the call short).
    Stopped,
    /// `subscribe()` was given something that is not a channel (the path of an API endpoint).
    #[cfg(feature = "realtime")]
    InvalidChannel,
    /// The server refused a channel, also with a renewed token: the channel ended
    /// (the event that reports it names the channel).
    #[cfg(feature = "realtime")]
    ChannelRefused,
    /// The environment cannot run the SDK: not a browser, or no WebAssembly (the package entry
    /// raises it, before any Rust runs).
    Unsupported,
}

impl Code {
    /// The code as SPEC spells it: `"invalid_options"`, `"network"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidOptions => "invalid_options",
            Code::Network => "network",
            Code::Timeout => "timeout",
            Code::Http => "http",
            Code::InvalidResponse => "invalid_response",
            Code::SecretRejected => "secret_rejected",
            Code::OriginNotAllowed => "origin_not_allowed",
            Code::Stopped => "stopped",
            #[cfg(feature = "realtime")]
            Code::InvalidChannel => "invalid_channel",
            #[cfg(feature = "realtime")]
            Code::ChannelRefused => "channel_refused",
            Code::Unsupported => "unsupported",
        }
    }
}

/// What went wrong: a [`Code`], a readable message, and for HTTP errors the status. The JS class
/// hands it to the page as a `VisitorError`; the Rust API returns it (`Display` gives
/// `code: message`).
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// What kind of failure (SPEC's error codes).
    pub code: Code,
    /// Readable English; never a token or a secret. Most messages are fixed sentences.
    pub message: Cow<'static, str>,
    /// The HTTP status, for [`Code::Http`].
    pub status: Option<u16>,
}

fn error(code: Code, message: impl Into<Cow<'static, str>>) -> Error {
    Error { code, message: message.into(), status: None }
}

pub fn invalid_options(message: impl Into<Cow<'static, str>>) -> Error {
    error(Code::InvalidOptions, message)
}

/// The request could not be made or the connection broke (CORS, offline, dropped).
pub fn network() -> Error {
    error(Code::Network, "the request failed: the network or the server did not answer")
}

/// The page's Content-Security-Policy does not let the page connect to the API's `origin` (a
/// URL of the options, never a token).
pub fn refused_by_policy(origin: &str) -> Error {
    error(Code::Network, format!("the page's Content-Security-Policy refused the request: add {origin} to its connect-src"))
}

/// No full answer within the timeout.
pub fn timeout() -> Error {
    error(Code::Timeout, "the request timed out")
}

pub fn http(status: u16) -> Error {
    Error { status: Some(status), ..error(Code::Http, format!("the server answered with HTTP status {status}")) }
}

/// The server answered the auth request with a redirect, which is never followed (the browser
/// hides its status and where it points: no `status`).
pub fn redirected() -> Error {
    error(Code::Http, "the server answered with a redirect, which is not followed")
}

pub fn invalid_response(reason: &InvalidAnswer) -> Error {
    error(Code::InvalidResponse, reason.message())
}

/// `stop()` was called: pending and later calls end with this.
pub fn stopped() -> Error {
    error(Code::Stopped, "the visitor was stopped")
}

/// `getAccessToken({ minValidity })` asked for more validity than the server's tokens have.
pub fn longer_than_granted(min_ms: f64, lifetime_s: u32) -> Error {
    let asked = (min_ms / 1000.0).ceil() as u64;
    invalid_options(format!("minValidity asks for {asked} s, longer than the {lifetime_s} s the server's tokens are valid: ask for less"))
}

pub fn origin_not_allowed() -> Error {
    error(Code::OriginNotAllowed, "fetch() sends the token only to apiBaseUrl's origin and allowedOrigins; nothing was sent")
}

pub fn secret_rejected() -> Error {
    error(Code::SecretRejected, "the server refused the stored visitor secret; it was kept, since onSecretRejected is \"error\"")
}

/// `subscribe()` was given something that is not a channel (SPEC §1: the path of an API endpoint).
#[cfg(feature = "realtime")]
pub fn invalid_channel() -> Error {
    error(Code::InvalidChannel, "a channel is the path of an API endpoint: it starts with /, does not end with /, and has no empty segment, query, fragment, origin, space or backslash")
}

/// The server refused `channel` twice, the second time with a renewed token: it ended. The
/// channel is a path the page chose (checked by `invalid_channel`'s rules), never a token.
#[cfg(feature = "realtime")]
pub fn channel_refused(channel: &str) -> Error {
    error(Code::ChannelRefused, format!("the server refused the channel {channel}, also with a renewed token; it was ended"))
}

/// The caller's own signal aborted its request (the Rust API's `send()`; the JS class rejects
/// with the signal's reason instead).
pub fn aborted() -> Error {
    error(Code::Network, "the request was aborted by its signal")
}

impl Error {
    /// Whether this is [`redirected`]: the one `http` error without a status.
    pub fn is_redirect(&self) -> bool {
        self.code == Code::Http && self.status.is_none()
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `code: message`, as a log line would want it (never a token or a secret: the message never
/// holds one).
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// A call was settled with a value of another kind than it asked for (a defect of the SDK, never
/// expected).
pub fn unexpected() -> Error {
    error(Code::InvalidResponse, "the visitor settled this call with a value of another kind")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_code_then_the_message() {
        assert_eq!(http(503).to_string(), "http: the server answered with HTTP status 503");
        assert_eq!(Code::OriginNotAllowed.to_string(), "origin_not_allowed");
        let boxed: Box<dyn std::error::Error> = Box::new(stopped());
        assert_eq!(boxed.to_string(), "stopped: the visitor was stopped");
        #[cfg(feature = "realtime")]
        assert_eq!(Code::InvalidChannel.to_string(), "invalid_channel");
        #[cfg(feature = "realtime")]
        assert_eq!(channel_refused("/api/v5/public/visitors/v1/chats").to_string(), "channel_refused: the server refused the channel /api/v5/public/visitors/v1/chats, also with a renewed token; it was ended");
    }
}
