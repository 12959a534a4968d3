//! [`VisitorOptions`]: the options of [`Visitor::new`](super::Visitor::new), with the same
//! defaults and rules as the JS class's options object (the rules live in
//! `core::options`, shared by both).

use std::time::Duration;

use crate::core::error::{self, Error};
use crate::core::options::{OnSecretRejected, Options, RawOptions, StorageKind};
use crate::web::urls::parse_url;

/// How a [`Visitor`](super::Visitor) is set up: an organization id, and everything else with the
/// SDK's defaults unless set (each setter consumes and returns the options).
///
/// ```no_run
/// use std::time::Duration;
/// use giosg_visitor::{StorageKind, VisitorOptions};
///
/// let options = VisitorOptions::new("e6a08f51-c250-4074-847b-58d444dbbeb1")
///     .api_base_url("http://localhost:8080")
///     .storage(StorageKind::Memory)
///     .renew_before(Duration::from_secs(30));
/// ```
#[derive(Clone, Debug)]
pub struct VisitorOptions {
    raw: RawOptions,
}

impl VisitorOptions {
    /// Options for the giosg organization `organization_id` (a UUID, any case).
    pub fn new(organization_id: impl Into<String>) -> Self {
        Self { raw: RawOptions { organization_id: Some(organization_id.into()), ..RawOptions::default() } }
    }

    /// The API's base URL (`https://service.giosg.com` by default): `https`, or `http` for
    /// `localhost` and loopback addresses.
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.raw.api_base_url = Some(url.into());
        self
    }

    /// Where the visitor's secret and session are kept ([`StorageKind::Local`] by default).
    pub fn storage(mut self, kind: StorageKind) -> Self {
        self.raw.storage = Some(kind.name().to_owned());
        self
    }

    /// The prefix of the storage keys (`"giosg"` by default; 1 to 100 characters).
    pub fn storage_key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.raw.storage_key_prefix = Some(prefix.into());
        self
    }

    /// Whether the token is renewed before it expires, in the background (`true` by default).
    pub fn auto_renew(mut self, on: bool) -> Self {
        self.raw.auto_renew = Some(on);
        self
    }

    /// How long before expiry the token is renewed (60 s by default, at most a day; never more
    /// than half the token's lifetime).
    pub fn renew_before(mut self, lead: Duration) -> Self {
        self.raw.renew_before_seconds = Some(lead.as_secs_f64());
        self
    }

    /// How long an auth request may take (10 s by default; 1 ms to 10 minutes, in whole
    /// milliseconds).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.raw.request_timeout_ms = Some(timeout.as_secs_f64() * 1000.0);
        self
    }

    /// Another origin (`https://files.example.com`) that [`Visitor::send`](super::Visitor::send)
    /// may send the token to, beside the API's own; call once per origin.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.raw.allowed_origins.get_or_insert_with(Vec::new).push(origin.into());
        self
    }

    /// What happens when the server refuses the stored secret: a new visitor
    /// ([`OnSecretRejected::Reset`], the default) or an error that keeps it.
    pub fn on_secret_rejected(mut self, choice: OnSecretRejected) -> Self {
        self.raw.on_secret_rejected = Some(
            match choice {
                OnSecretRejected::Reset => "reset",
                OnSecretRejected::Error => "error",
            }
            .to_owned(),
        );
        self
    }

    /// The options checked: [`Code::InvalidOptions`](crate::Code::InvalidOptions) names the
    /// first bad one.
    pub(crate) fn check(&self) -> Result<Options, Error> {
        Options::from_raw(&self.raw, parse_url).map_err(error::invalid_options)
    }
}
