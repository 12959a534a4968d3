//! The Rust API: [`Visitor`], for web apps written in Rust (Leptos, Yew, Dioxus, plain
//! wasm-bindgen). It runs the same lifecycle and browser shell as the JS class (which is a thin
//! layer over this one): one request per renewal cycle across tabs, the secret kept through
//! failures, storage fallbacks, consent.
//!
//! - `options.rs`: [`VisitorOptions`], checked by the rules the JS options follow;
//! - `session.rs`: [`Session`];
//! - `events.rs`: [`Event`] and the [`Subscription`] that ends when dropped;
//! - `call.rs`: [`Call`], the future of each call (dropping it abandons the call);
//! - `channel.rs` (feature `realtime`): a real-time channel's [`Change`] and the
//!   [`ChannelSubscription`] that ends when dropped.

#![warn(missing_docs)]

mod call;
#[cfg(feature = "realtime")]
mod channel;
mod events;
mod options;
mod session;

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use call::Call;
#[cfg(feature = "realtime")]
pub use channel::{Action, Change, ChannelSubscription, SocketState};
pub use events::{Event, Subscription};
pub use options::VisitorOptions;
pub use session::Session;

use crate::core::error::{self, Error};
use crate::core::lifecycle::{Want, FETCH_MIN_VALIDITY_MS};
use crate::core::options::StorageKind;
use crate::web::calls::{Outcome, Outgoing};
use crate::web::{urls, Browser, Input};

/// A visitor of one giosg organization: authenticated once, remembered across page loads, its
/// token renewed before it expires.
///
/// Clones share one visitor (one lifecycle, one flight of requests): hand a clone to each
/// component that needs it. When the last clone is dropped, the visitor stops (timers, listeners,
/// the request in flight); [`Visitor::stop`] stops it before that.
///
/// Every call starts when it is made and ends with its future; dropping the future abandons it.
///
/// ```no_run
/// use giosg_visitor::{Visitor, VisitorOptions};
///
/// # async fn run() -> Result<(), giosg_visitor::Error> {
/// let visitor = Visitor::new(VisitorOptions::new("e6a08f51-c250-4074-847b-58d444dbbeb1"))?;
/// let session = visitor.authenticate().await?;
/// println!("visitor {}", session.visitor_id());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Visitor {
    shared: Rc<Shared>,
}

/// What the clones share; when the last goes, the visitor stops.
struct Shared {
    browser: Rc<Browser>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.browser.stop();
    }
}

fn session(outcome: Outcome) -> Option<Session> {
    match outcome {
        Outcome::Session(session) => Some(Session(session)),
        _ => None,
    }
}

fn token(outcome: Outcome) -> Option<String> {
    match outcome {
        Outcome::Token(token) => Some(token),
        _ => None,
    }
}

fn done(outcome: Outcome) -> Option<()> {
    matches!(outcome, Outcome::Done).then_some(())
}

fn response(outcome: Outcome) -> Option<gloo_net::http::Response> {
    match outcome {
        Outcome::Response(response) => Some(response.into()),
        _ => None,
    }
}

impl Visitor {
    /// A visitor set up with `options`, or [`Code::InvalidOptions`](crate::Code::InvalidOptions)
    /// naming the bad one. A session cached in storage that is still valid is current at once
    /// (no request); nothing is sent until the first call.
    pub fn new(options: VisitorOptions) -> Result<Self, Error> {
        Ok(Self::from_checked(options.check()?))
    }

    /// A visitor of options already checked (the JS class reads and checks its own).
    pub(crate) fn from_checked(options: crate::core::options::Options) -> Self {
        Self { shared: Rc::new(Shared { browser: Browser::new(options) }) }
    }

    /// The browser shell under this visitor (the JS class calls through it too).
    pub(crate) fn browser(&self) -> &Rc<Browser> {
        &self.shared.browser
    }

    /// A session valid for at least the renewal lead: the current one when it is (no request),
    /// else a new one from the server (a returning visitor keeps its id). Starts auto-renewal.
    /// Calls made while a request is in flight, from any clone, share it.
    pub fn authenticate(&self) -> impl Future<Output = Result<Session, Error>> + 'static {
        Call::make(self.browser(), None, |call| Input::Authenticate { call, force: false }, session)
    }

    /// A new session from the server now, whatever the current one (the JS class's
    /// `authenticate({ force: true })`).
    pub fn renew(&self) -> impl Future<Output = Result<Session, Error>> + 'static {
        Call::make(self.browser(), None, |call| Input::Authenticate { call, force: true }, session)
    }

    /// A token valid for at least 5 seconds, renewed first when needed.
    pub fn access_token(&self) -> impl Future<Output = Result<String, Error>> + 'static {
        self.access_token_valid_for(Duration::from_millis(FETCH_MIN_VALIDITY_MS as u64))
    }

    /// A token valid for at least `min_validity` (at most a day), renewed first when needed.
    pub fn access_token_valid_for(&self, min_validity: Duration) -> impl Future<Output = Result<String, Error>> + 'static {
        let min_ms = min_validity.as_secs_f64() * 1000.0;
        if min_ms > 86_400_000.0 {
            return Call::failed(error::invalid_options("access_token_valid_for(min_validity): at most a day"));
        }
        Call::make(self.browser(), None, |call| Input::Token { call, min_ms, want: Want::Token }, token)
    }

    /// The URL of `path` (`"/api/v5/..."`) under the options' API base URL, for building the
    /// requests [`Visitor::send`] takes.
    pub fn api_url(&self, path: &str) -> String {
        self.browser().options().api.url(path)
    }

    /// Sends `request` (built with `gloo_net`) with `Authorization: Bearer <token>`, a token
    /// valid for at least 5 seconds. Only to the API's origin and the allowed origins, else
    /// [`Code::OriginNotAllowed`](crate::Code::OriginNotAllowed) and nothing is sent. A `401`
    /// renews the token once and sends the request once more (unless the token a renewal for a
    /// 401 just brought is refused: that 401 is the answer); any other answer is the caller's
    /// to read. No answer within `requestTimeoutMs` is [`Code::Timeout`](crate::Code::Timeout).
    ///
    /// ```no_run
    /// use gloo_net::http::Request;
    /// # async fn run(visitor: giosg_visitor::Visitor) -> Result<(), Box<dyn std::error::Error>> {
    /// let request = Request::get(&visitor.api_url("/api/v5/public/visitors/me")).build()?;
    /// let response = visitor.send(request).await?;
    /// println!("HTTP {}", response.status());
    /// # Ok(())
    /// # }
    /// ```
    pub fn send(&self, request: gloo_net::http::Request) -> impl Future<Output = Result<gloo_net::http::Response, Error>> + 'static {
        let request = web_sys::Request::from(request);
        if let Err(error) = urls::checked(self.browser().options(), &request.url()) {
            return Call::failed(error);
        }
        let want = Want::Send { retried: false };
        Call::make(self.browser(), Some(Outgoing::request(request)), |call| Input::Token { call, min_ms: FETCH_MIN_VALIDITY_MS, want }, response)
    }

    /// Erases the secret and the session from storage and memory and stops the timers; the next
    /// [`Visitor::authenticate`] makes a new visitor.
    pub fn forget(&self) -> impl Future<Output = Result<(), Error>> + 'static {
        Call::make(self.browser(), None, |call| Input::Forget { call }, done)
    }

    /// Moves the secret and the session to `kind` of storage at once (consent given, or
    /// withdrawn: [`StorageKind::Memory`] erases them from the browser's storages), keeping the
    /// visitor.
    ///
    /// ```no_run
    /// use giosg_visitor::{StorageKind, Visitor, VisitorOptions};
    ///
    /// # async fn run(org: &str) -> Result<(), giosg_visitor::Error> {
    /// // Nothing is stored before consent...
    /// let visitor = Visitor::new(VisitorOptions::new(org).storage(StorageKind::Memory))?;
    /// visitor.authenticate().await?;
    /// // ...and the same visitor is remembered once it is given.
    /// visitor.set_storage(StorageKind::Local).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_storage(&self, kind: StorageKind) -> impl Future<Output = Result<(), Error>> + 'static {
        Call::make(self.browser(), None, |call| Input::SetStorage { call, kind }, done)
    }

    /// Stops the visitor for every clone: timers, listeners, the request in flight; pending and
    /// later calls end with [`Code::Stopped`](crate::Code::Stopped).
    pub fn stop(&self) {
        self.browser().stop();
    }

    /// Whether [`Visitor::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.browser().is_stopped()
    }

    /// Calls `listener` with each [`Event`] until the [`Subscription`] is dropped. Listeners run
    /// from a microtask, never inside the SDK's own work, so they may call the visitor.
    ///
    /// ```no_run
    /// use giosg_visitor::{Event, Visitor};
    ///
    /// fn watch(visitor: &Visitor) -> giosg_visitor::Subscription {
    ///     visitor.subscribe(|event| match event {
    ///         Event::Session { session, .. } => println!("token until {}", session.expires_at_ms()),
    ///         Event::Error(error) => eprintln!("renewal failed: {error}"),
    ///         _ => {}
    ///     })
    /// }
    /// ```
    pub fn subscribe(&self, listener: impl Fn(&Event) + 'static) -> Subscription {
        let id = self.browser().subscribe(Rc::new(move |event| listener(&Event::of(event))));
        Subscription { browser: Rc::downgrade(self.browser()), id: Some(id) }
    }

    /// Listens to one of giosg's real-time channels, `channel` the path of the matching HTTP
    /// endpoint (`/api/v5/public/visitors/<visitor id>/chats`), until the
    /// [`ChannelSubscription`] is dropped; [`Code::InvalidChannel`](crate::Code::InvalidChannel)
    /// for what is not one, [`Code::Stopped`](crate::Code::Stopped) after [`Visitor::stop`]. The
    /// first channel opens the visitor's socket (authenticating first when needed), the last one
    /// dropped closes it. The socket stays authorized by itself: renewals, drops, sleeps and a
    /// moved router are handled, and [`Event::Resync`] says when notifications may have been
    /// missed. Listeners run from the socket's event, and may call the visitor.
    ///
    /// ```no_run
    /// use giosg_visitor::Visitor;
    ///
    /// fn watch_chats(visitor: &Visitor, visitor_id: &str) -> Result<giosg_visitor::ChannelSubscription, giosg_visitor::Error> {
    ///     visitor.subscribe_channel(&format!("/api/v5/public/visitors/{visitor_id}/chats"), |change| {
    ///         println!("{:?} {:?}", change.action(), change.resource_id());
    ///     })
    /// }
    /// ```
    #[cfg(feature = "realtime")]
    pub fn subscribe_channel(&self, channel: &str, listener: impl Fn(&Change) + 'static) -> Result<ChannelSubscription, Error> {
        let id = self.browser().subscribe_channel(channel, Rc::new(move |change| listener(&Change(change.clone()))))?;
        Ok(ChannelSubscription { browser: Rc::downgrade(self.browser()), id })
    }

    /// The organization's id, in lower case.
    pub fn organization_id(&self) -> String {
        self.browser().options().org.as_str().to_owned()
    }

    /// The current session (`None` before the first one, and after [`Visitor::forget`]).
    pub fn session(&self) -> Option<Session> {
        self.browser().session().map(Session)
    }

    /// The current visitor's id (`None` without a session).
    pub fn visitor_id(&self) -> Option<String> {
        self.browser().session().map(|s| s.answer.visitor_id)
    }

    /// Where the secret and the session are kept now ([`StorageKind::Memory`] after a fallback,
    /// too).
    pub fn storage_kind(&self) -> StorageKind {
        self.browser().storage_kind()
    }

    /// Whether the current token is still valid: by the time that has passed, whatever the
    /// page did to its clock.
    pub fn is_authenticated(&self) -> bool {
        self.browser().is_authenticated()
    }
}

/// Two `Visitor`s are equal when they are clones of one visitor (what a UI framework's context or
/// props compare to know whether the value changed).
impl PartialEq for Visitor {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for Visitor {}

impl std::fmt::Debug for Visitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visitor").field("organization_id", &self.organization_id()).field("visitor_id", &self.visitor_id()).finish_non_exhaustive()
    }
}
