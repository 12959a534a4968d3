//! The page's listeners (`visitor.on(event, listener)`), and the events the lifecycle emits to
//! them: each detail is made when the event happens and delivered from a microtask, so that no
//! listener runs inside the SDK's own work; a listener that throws does not stop the others.

use std::rc::Rc;
use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::core::lifecycle::Event;
use crate::js::objects;

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

/// The listeners, shared with the microtasks that call them.
#[derive(Default)]
pub struct Listeners {
    list: Rc<RefCell<Vec<(u32, EventName, Function)>>>,
    next: u32,
}

#[wasm_bindgen]
extern "C" {
    /// `reportError(error)`: an exception a listener threw, reported as the page reports uncaught
    /// ones (where the browser has it).
    #[wasm_bindgen(js_name = reportError, catch)]
    fn report_error(error: &JsValue) -> Result<(), JsValue>;
}

impl Listeners {
    /// Subscribes; returns the function that unsubscribes.
    pub fn add(&mut self, name: EventName, listener: Function) -> JsValue {
        self.next = self.next.wrapping_add(1);
        let id = self.next;
        self.list.borrow_mut().push((id, name, listener));
        let list = Rc::downgrade(&self.list);
        Closure::<dyn FnMut()>::new(move || {
            if let Some(list) = list.upgrade() {
                list.borrow_mut().retain(|(other, _, _)| *other != id);
            }
        })
        .into_js_value()
    }

    pub fn clear(&mut self) {
        self.list.borrow_mut().clear();
    }

    /// Calls the listeners of `event` from a microtask, with its detail as of now (a `session`
    /// event's holds `session_object`).
    pub fn emit(&self, event: &Event, session_object: Option<&JsValue>) {
        let name = EventName::of(event);
        let detail = objects::detail(event, session_object);
        let list = Rc::downgrade(&self.list);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(list) = list.upgrade() else { return };
            // Those subscribed when the microtask runs, each only while it still is (a listener may
            // unsubscribe another, or stop the visitor); the list is not borrowed while they run.
            let ids: Vec<u32> = list.borrow().iter().filter(|(_, n, _)| *n == name).map(|(id, _, _)| *id).collect();
            for id in ids {
                let listener = list.borrow().iter().find(|(other, _, _)| *other == id).map(|(_, _, f)| f.clone());
                let Some(listener) = listener else { continue };
                if let Err(thrown) = listener.call1(&JsValue::UNDEFINED, &detail) {
                    let _ = report_error(&thrown);
                }
            }
        });
    }
}
