//! Event listeners: `on(event, listener)` and the details it passes.

use crate::prelude::*;

use wasm_bindgen::prelude::*;

use crate::web::sys::{self, Function};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Event {
    Session,
    IdentityChange,
    Error,
    Storage,
}

impl Event {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "session" => Self::Session,
            "identitychange" => Self::IdentityChange,
            "error" => Self::Error,
            "storage" => Self::Storage,
            _ => return None,
        })
    }
}

#[wasm_bindgen]
extern "C" {
    /// Reports a listener's exception the way the page reports uncaught ones, without
    /// interrupting the SDK. Missing in old browsers: then the exception is dropped.
    #[wasm_bindgen(js_name = reportError, catch)]
    fn report_error(error: &JsValue) -> Result<(), JsValue>;
}

#[derive(Default)]
pub struct Listeners {
    next_id: u32,
    list: Vec<(u32, Event, Function)>,
}

impl Listeners {
    pub fn add(&mut self, event: Event, listener: Function) -> u32 {
        self.next_id += 1;
        self.list.push((self.next_id, event, listener));
        self.next_id
    }

    pub fn remove(&mut self, id: u32) {
        self.list.retain(|(i, _, _)| *i != id);
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// The listeners of `event`, to be called once no borrow of the visitor is held.
    pub fn of(&self, event: Event) -> Vec<Function> {
        self.list.iter().filter(|(_, e, _)| *e == event).map(|(_, _, f)| f.clone()).collect()
    }
}

/// Calls each listener with `detail`; one that throws does not stop the others.
pub fn dispatch(listeners: Vec<Function>, detail: &JsValue) {
    for listener in listeners {
        if let Err(error) = listener.call1(&JsValue::UNDEFINED, detail) {
            let _ = report_error(&error);
        }
    }
}

/// A plain object from key-value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = sys::object();
    for (key, value) in pairs {
        // Defining a property on a fresh plain object cannot fail.
        let _ = sys::set(&object, &(*key).into(), value);
    }
    object
}
