//! [`Session`]: a visitor's session as the Rust API hands it out.

use std::time::Duration;

use crate::core::session;

/// A session: the visitor, its access token and when the token expires. It holds no visitor
/// secret; its `Debug` output shows no token.
#[derive(Clone, PartialEq)]
pub struct Session(pub(crate) session::Session);

impl Session {
    /// The visitor's id (32 characters).
    pub fn visitor_id(&self) -> &str {
        &self.0.answer.visitor_id
    }

    /// The organization's id, as the server spells it.
    pub fn organization_id(&self) -> &str {
        &self.0.answer.organization_id
    }

    /// The access token, for `Authorization: Bearer` (what
    /// [`Visitor::send`](super::Visitor::send) adds for you). It may have expired:
    /// [`Visitor::access_token`](super::Visitor::access_token) gives one that has not.
    pub fn access_token(&self) -> &str {
        self.0.answer.access_token.expose()
    }

    /// The real-time message router's URL for this visitor.
    pub fn socket_url(&self) -> &str {
        &self.0.answer.socket_url
    }

    /// When the token expires on the local clock, in milliseconds since the Unix epoch (as
    /// `Date.now()` counts): the moment the request was sent plus [`Session::expires_in`].
    // The page's clock, not the SDK's own time line (`expires_at_ms` of the core's session),
    // which a page's clock moved back falls behind.
    #[allow(clippy::misnamed_getters)]
    pub fn expires_at_ms(&self) -> f64 {
        self.0.page_expires_at_ms
    }

    /// How long the token was granted for.
    pub fn expires_in(&self) -> Duration {
        Duration::from_secs(u64::from(self.0.answer.expires_in))
    }

    /// The server's own expiry, as it sent it (for reporting: client clocks are wrong).
    pub fn server_expires_at(&self) -> &str {
        &self.0.answer.expires_at
    }

    /// The visitor's global id, when the API version sends one.
    pub fn visitor_global_id(&self) -> Option<&str> {
        self.0.answer.visitor_global_id.as_deref()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("visitor_id", &self.visitor_id())
            .field("organization_id", &self.organization_id())
            .field("access_token", &self.0.answer.access_token)
            .field("expires_at_ms", &self.expires_at_ms())
            .field("expires_in", &self.expires_in())
            .finish_non_exhaustive()
    }
}
