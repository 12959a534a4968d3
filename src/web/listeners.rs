//! The subscribers to a visitor's events (the Rust API's subscriptions; the JS class's `on()`
//! listeners, through one subscription of its own). Each event is delivered from a microtask, so
//! that no subscriber runs inside the SDK's own work.

use std::cell::RefCell;
use std::rc::Rc;

use crate::core::lifecycle;
#[cfg(feature = "realtime")]
use crate::core::realtime;

/// An event of a visitor: its token lifecycle's, or its real-time channels'.
pub enum Event {
    Visitor(lifecycle::Event),
    #[cfg(feature = "realtime")]
    Channels(realtime::Event),
}

/// What an event is handed to.
pub type Listener = Rc<dyn Fn(&Event)>;

/// The subscribers, shared with the microtasks that call them.
#[derive(Default)]
pub struct Listeners {
    list: Rc<RefCell<Vec<(u32, Listener)>>>,
    next: u32,
}

impl Listeners {
    /// Subscribes `listener`; the number [`Listeners::remove`] takes.
    pub fn add(&mut self, listener: Listener) -> u32 {
        self.next = self.next.wrapping_add(1);
        self.list.borrow_mut().push((self.next, listener));
        self.next
    }

    pub fn remove(&self, id: u32) {
        self.list.borrow_mut().retain(|(other, _)| *other != id);
    }

    pub fn clear(&mut self) {
        self.list.borrow_mut().clear();
    }

    /// Hands `event` to the subscribers from a microtask: those subscribed when it runs, each only
    /// while it still is (one may unsubscribe another, or stop the visitor); the list is not
    /// borrowed while they run.
    pub fn emit(&self, event: Event) {
        let list = Rc::downgrade(&self.list);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(list) = list.upgrade() else { return };
            let ids: Vec<u32> = list.borrow().iter().map(|(id, _)| *id).collect();
            for id in ids {
                let listener = list.borrow().iter().find(|(other, _)| *other == id).map(|(_, listener)| listener.clone());
                if let Some(listener) = listener {
                    listener(&event);
                }
            }
        });
    }
}
