//! Real-time channels (feature `realtime`): what [`Visitor::subscribe_channel`](super::Visitor::subscribe_channel)
//! hands its listener, and the [`ChannelSubscription`] that ends when dropped.

use std::rc::Weak;

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use crate::core::realtime;
pub use crate::core::realtime::{Action, SocketState};
use crate::web::realtime::Resource;
use crate::web::Browser;

/// A notification of a channel (the JS class's `Change`): a resource of the channel's list was
/// added, changed or removed.
#[derive(Clone, Debug)]
pub struct Change(pub(crate) realtime::Change<Resource>);

impl Change {
    /// The channel, as subscribed.
    pub fn channel(&self) -> &str {
        &self.0.channel
    }

    /// What happened.
    pub fn action(&self) -> Action {
        self.0.action
    }

    /// The resource's id (`resourceId` or `resource_id` on the wire), if the server sent one.
    pub fn resource_id(&self) -> Option<&str> {
        self.0.resource_id.as_deref()
    }

    /// The resource as the server sent it (all of it for [`Action::Added`], the changed
    /// attributes for [`Action::Changed`], none for [`Action::Removed`]), as a JS value.
    pub fn resource(&self) -> Option<&JsValue> {
        self.0.resource.as_ref().map(|r| &r.0)
    }

    /// The resource read as `T` (with `serde-wasm-bindgen`); `None` when there is none or it is
    /// not of `T`'s shape (the server's resources are not typed here: take only what you need).
    pub fn resource_as<T: DeserializeOwned>(&self) -> Option<T> {
        serde_wasm_bindgen::from_value(self.resource()?.clone()).ok()
    }
}

/// A channel's subscription: its listener hears the channel's notifications until this is
/// dropped. The last one of a visitor closes its socket. It does not keep the visitor alive.
#[must_use = "the channel is unsubscribed when the ChannelSubscription is dropped"]
pub struct ChannelSubscription {
    pub(crate) browser: Weak<Browser>,
    pub(crate) id: u32,
}

impl Drop for ChannelSubscription {
    fn drop(&mut self) {
        if let Some(browser) = self.browser.upgrade() {
            browser.unsubscribe_channel(self.id);
        }
    }
}

impl std::fmt::Debug for ChannelSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelSubscription").finish_non_exhaustive()
    }
}
