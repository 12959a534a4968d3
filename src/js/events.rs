//! The page's listeners (`visitor.on(event, listener)`): each a subscriber to the shell's events
//! that turns the events of its name into the detail the page gets (`objects.rs`). A listener
//! that throws does not stop the others.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::objects::{self, Snapshot};
use crate::core::lifecycle;
#[cfg(feature = "realtime")]
use crate::core::realtime;
use crate::web::listeners::Event;
use crate::web::Browser;

/// The events of `on()`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EventName {
    Session,
    IdentityChange,
    Error,
    Storage,
    #[cfg(feature = "realtime")]
    Realtime,
    #[cfg(feature = "realtime")]
    Resync,
}

/// What `on()` says of an unknown event name.
#[cfg(not(feature = "realtime"))]
pub const EVENT_NAMES: &str = "on(event): event must be \"session\", \"identitychange\", \"error\" or \"storage\"";
#[cfg(feature = "realtime")]
pub const EVENT_NAMES: &str = "on(event): event must be \"session\", \"identitychange\", \"error\", \"storage\", \"realtime\" or \"resync\"";

impl EventName {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "session" => Self::Session,
            "identitychange" => Self::IdentityChange,
            "error" => Self::Error,
            "storage" => Self::Storage,
            #[cfg(feature = "realtime")]
            "realtime" => Self::Realtime,
            #[cfg(feature = "realtime")]
            "resync" => Self::Resync,
            _ => return None,
        })
    }

    fn of(event: &Event) -> Self {
        match event {
            Event::Visitor(lifecycle::Event::Session { .. }) => Self::Session,
            Event::Visitor(lifecycle::Event::IdentityChange { .. }) => Self::IdentityChange,
            Event::Visitor(lifecycle::Event::Error(_)) => Self::Error,
            Event::Visitor(lifecycle::Event::Storage { .. }) => Self::Storage,
            #[cfg(feature = "realtime")]
            Event::Channels(realtime::Event::Realtime { .. }) => Self::Realtime,
            #[cfg(feature = "realtime")]
            Event::Channels(realtime::Event::Resync { .. }) => Self::Resync,
            #[cfg(feature = "realtime")]
            Event::Channels(realtime::Event::ChannelRefused { .. }) => Self::Error,
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// `reportError(error)`: an exception a listener threw, reported as the page reports uncaught
    /// ones (where the browser has it).
    #[wasm_bindgen(js_name = reportError, catch)]
    fn report_error(error: &JsValue) -> Result<(), JsValue>;
}

/// Calls the page's `listener` with `value`; what it throws is reported, not raised.
pub fn call_reporting(listener: &Function, value: &JsValue) {
    if let Err(thrown) = listener.call1(&JsValue::UNDEFINED, value) {
        let _ = report_error(&thrown);
    }
}

/// Subscribes `listener` (a page function) to the events named `name` of `browser`, each handed
/// the detail the page gets (a `session` event's holds the very `Session` object
/// `visitor.session` hands out); returns the function that unsubscribes. A listener that throws
/// is reported, and the others still run.
pub fn subscribe(browser: &Rc<Browser>, name: EventName, listener: Function, snapshot: &Rc<RefCell<Snapshot>>) -> JsValue {
    let snapshot = snapshot.clone();
    let id = browser.subscribe(Rc::new(move |event: &Event| {
        if EventName::of(event) != name {
            return;
        }
        let detail = match event {
            Event::Visitor(event) => {
                let session = match event {
                    lifecycle::Event::Session { session, .. } => Some(snapshot.borrow_mut().of(session)),
                    _ => None,
                };
                objects::detail(event, session.as_ref())
            }
            #[cfg(feature = "realtime")]
            Event::Channels(event) => objects::channel_detail(event),
        };
        call_reporting(&listener, &detail);
    }));
    unsubscriber(browser, move |browser| browser.unsubscribe(id))
}

/// The function `on()` and `subscribe()` return: `off` on the visitor while it lives (it does not
/// keep it alive), harmless after.
pub fn unsubscriber(browser: &Rc<Browser>, off: impl Fn(&Browser) + 'static) -> JsValue {
    let browser = Rc::downgrade(browser);
    Closure::<dyn FnMut()>::new(move || {
        if let Some(browser) = browser.upgrade() {
            off(&browser);
        }
    })
    .into_js_value()
}
