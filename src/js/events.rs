//! The page's listeners (`visitor.on(event, listener)`): each a subscriber to the shell's events
//! that turns the events of its name into the detail the page gets (`objects.rs`). A listener
//! that throws does not stop the others.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::objects::{self, Snapshot};
use crate::core::lifecycle::Event;
use crate::web::Browser;

/// The events of `on()`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EventName {
    Session,
    IdentityChange,
    Error,
    Storage,
}

impl EventName {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "session" => Self::Session,
            "identitychange" => Self::IdentityChange,
            "error" => Self::Error,
            "storage" => Self::Storage,
            _ => return None,
        })
    }

    fn of(event: &Event) -> Self {
        match event {
            Event::Session { .. } => Self::Session,
            Event::IdentityChange { .. } => Self::IdentityChange,
            Event::Error(_) => Self::Error,
            Event::Storage { .. } => Self::Storage,
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
        let session = match event {
            Event::Session { session, .. } => Some(snapshot.borrow_mut().of(session)),
            _ => None,
        };
        if let Err(thrown) = listener.call1(&JsValue::UNDEFINED, &objects::detail(event, session.as_ref())) {
            let _ = report_error(&thrown);
        }
    }));
    let browser = Rc::downgrade(browser);
    Closure::<dyn FnMut()>::new(move || {
        if let Some(browser) = browser.upgrade() {
            browser.unsubscribe(id);
        }
    })
    .into_js_value()
}
