//! The page's listeners (`visitor.on(event, listener)`): kept here by event name, and reached
//! through one subscription to the shell's events, which turns each event into the detail the
//! page gets (`objects.rs`) and calls the listeners of its name. A listener that throws does not
//! stop the others.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::objects::{self, Snapshot};
use crate::core::lifecycle::Event;

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

type List = Rc<RefCell<Vec<(u32, EventName, Function)>>>;

/// The page's listeners of one visitor; cleared when it stops or is freed.
pub struct JsListeners {
    list: List,
    next: Cell<u32>,
}

impl JsListeners {
    /// The listeners of `visitor`, subscribed to its events for as long as it runs.
    pub fn new(visitor: &crate::Visitor, snapshot: &Rc<RefCell<Snapshot>>) -> Self {
        let list = List::default();
        let (weak, snapshot) = (Rc::downgrade(&list), snapshot.clone());
        visitor.browser().subscribe(Rc::new(move |event: &Event| {
            if let Some(list) = weak.upgrade() {
                call(&list, event, &snapshot);
            }
        }));
        Self { list, next: Cell::new(0) }
    }

    /// Subscribes; returns the function that unsubscribes.
    pub fn add(&self, name: EventName, listener: Function) -> JsValue {
        let id = self.next.get().wrapping_add(1);
        self.next.set(id);
        self.list.borrow_mut().push((id, name, listener));
        let list = Rc::downgrade(&self.list);
        Closure::<dyn FnMut()>::new(move || {
            if let Some(list) = list.upgrade() {
                list.borrow_mut().retain(|(other, _, _)| *other != id);
            }
        })
        .into_js_value()
    }

    pub fn clear(&self) {
        self.list.borrow_mut().clear();
    }
}

impl Drop for JsListeners {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Calls the listeners of `event`'s name with its detail (a `session` event's holds the very
/// `Session` object `visitor.session` hands out): those subscribed now, each only while it still
/// is (a listener may unsubscribe another, or stop the visitor); the list is not borrowed while
/// they run.
fn call(list: &List, event: &Event, snapshot: &RefCell<Snapshot>) {
    let name = EventName::of(event);
    let ids: Vec<u32> = list.borrow().iter().filter(|(_, n, _)| *n == name).map(|(id, _, _)| *id).collect();
    if ids.is_empty() {
        return;
    }
    let session = match event {
        Event::Session { session, .. } => Some(snapshot.borrow_mut().of(session)),
        _ => None,
    };
    let detail = objects::detail(event, session.as_ref());
    for id in ids {
        let listener = list.borrow().iter().find(|(other, _, _)| *other == id).map(|(_, _, f)| f.clone());
        let Some(listener) = listener else { continue };
        if let Err(thrown) = listener.call1(&JsValue::UNDEFINED, &detail) {
            let _ = report_error(&thrown);
        }
    }
}
