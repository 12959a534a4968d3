//! Events: what [`Visitor::subscribe`](super::Visitor::subscribe) hands its listener, and the
//! [`Subscription`] that ends when dropped.

use std::rc::Weak;

use super::Session;
use crate::core::error::Error;
use crate::core::lifecycle::{self, Source};
#[cfg(feature = "realtime")]
use crate::core::realtime::{self, SocketState};
use crate::web::listeners;
use crate::core::options::{StorageKind, StorageReason};
use crate::web::Browser;

/// Something that happened to a visitor (the JS class's `session`, `identitychange`, `error`
/// and `storage` events).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A new session became current: authenticated or renewed ([`Source::Network`]), read from
    /// storage at start ([`Source::Cache`]), or renewed by another tab ([`Source::Tab`]).
    Session {
        /// The session, now [`Visitor::session`](super::Visitor::session).
        session: Session,
        /// Where it came from.
        source: Source,
    },
    /// The visitor's id changed (a new visitor, `forget()`, another tab's change); `None` when
    /// there is no visitor.
    IdentityChange {
        /// The visitor's id before.
        previous: Option<String>,
        /// The visitor's id now.
        current: Option<String>,
    },
    /// A background renewal failed (once per streak of failures; it is retried).
    Error(Error),
    /// Where the visitor is kept changed: storage failed and it went to memory (`reason` says
    /// why), or [`Visitor::set_storage`](super::Visitor::set_storage) moved it.
    Storage {
        /// Why.
        reason: StorageReason,
        /// Where the visitor is kept now.
        kind: StorageKind,
    },
    /// The real-time socket's state changed, or how many channels are subscribed on it (the JS
    /// class's `realtime` event).
    #[cfg(feature = "realtime")]
    Realtime {
        /// Connecting, open or closed.
        state: SocketState,
        /// How many channels are subscribed.
        channels: u32,
    },
    /// The socket was down, so notifications may have been missed: fetch those lists again over
    /// HTTP (the JS class's `resync` event). Every channel still wanted is subscribed again.
    #[cfg(feature = "realtime")]
    Resync {
        /// How many channels are subscribed again.
        channels: u32,
        /// Since when (milliseconds since the Unix epoch, on the page's clock).
        since_ms: f64,
    },
    /// The server refused a channel also with a renewed token: it ended, and its listeners hear
    /// nothing more (the JS class's `error` event with code `channel_refused` and `channel`).
    #[cfg(feature = "realtime")]
    ChannelRefused {
        /// The channel.
        channel: String,
        /// Its `channel_refused` error.
        error: Error,
    },
}

impl Event {
    pub(crate) fn of(event: &listeners::Event) -> Self {
        match event {
            listeners::Event::Visitor(event) => match event {
                lifecycle::Event::Session { session, source } => Event::Session { session: Session(session.clone()), source: *source },
                lifecycle::Event::IdentityChange { previous, current } => Event::IdentityChange { previous: previous.clone(), current: current.clone() },
                lifecycle::Event::Error(error) => Event::Error(error.clone()),
                lifecycle::Event::Storage { reason, kind } => Event::Storage { reason: *reason, kind: *kind },
            },
            #[cfg(feature = "realtime")]
            listeners::Event::Channels(event) => match event {
                realtime::Event::Realtime { state, channels } => Event::Realtime { state: *state, channels: *channels },
                realtime::Event::Resync { channels, since_ms } => Event::Resync { channels: *channels, since_ms: *since_ms },
                realtime::Event::ChannelRefused { channel, error } => Event::ChannelRefused { channel: channel.clone(), error: error.clone() },
            },
        }
    }
}

/// A listener's subscription: the listener is called until this is dropped (or
/// [`Subscription::forget`] keeps it for the visitor's lifetime). It does not keep the visitor
/// alive.
#[must_use = "the listener is unsubscribed when the Subscription is dropped"]
pub struct Subscription {
    pub(crate) browser: Weak<Browser>,
    pub(crate) id: Option<u32>,
}

impl Subscription {
    /// Keeps the listener subscribed for as long as the visitor runs.
    pub fn forget(mut self) {
        self.id = None;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let (Some(id), Some(browser)) = (self.id, self.browser.upgrade()) {
            browser.unsubscribe(id);
        }
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("subscribed", &self.id.is_some()).finish()
    }
}
