//! Events: what [`Visitor::subscribe`](super::Visitor::subscribe) hands its listener, and the
//! [`Subscription`] that ends when dropped.

use std::rc::Weak;

use super::Session;
use crate::core::error::Error;
use crate::core::lifecycle::{self, Source};
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
}

impl Event {
    pub(crate) fn of(event: &lifecycle::Event) -> Self {
        match event {
            lifecycle::Event::Session { session, source } => Event::Session { session: Session(session.clone()), source: *source },
            lifecycle::Event::IdentityChange { previous, current } => Event::IdentityChange { previous: previous.clone(), current: current.clone() },
            lifecycle::Event::Error(error) => Event::Error(error.clone()),
            lifecycle::Event::Storage { reason, kind } => Event::Storage { reason: *reason, kind: *kind },
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
