//! The page events that wake the SDK (`visibilitychange` to visible, `pageshow`, `online`),
//! other tabs' storage writes (`storage`) and other copies' of the SDK in this page
//! (`copies::EVENT`), and the page's Content-Security-Policy refusing a request
//! (`securitypolicyviolation`), as `web-sys` listeners kept in `Closure`s; dropping
//! [`PageListeners`] or [`PolicyListener`] removes them.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{EventTarget, StorageEvent};

use super::{copies, Input};

type Listener = Closure<dyn FnMut(web_sys::Event)>;

pub struct PageListeners {
    window: EventTarget,
    document: EventTarget,
    /// The wake events, and other copies' of the SDK in this page (told apart by name).
    wake: Listener,
    /// With `storage: "local"`: other tabs' writes.
    tabs: Option<Listener>,
}

const WINDOW_WAKE_EVENTS: [&str; 2] = ["pageshow", "online"];

impl PageListeners {
    /// Listens for the page; `deliver` gets [`Input::Woke`], [`Input::CopyWrote`] and, with
    /// `tabs`, [`Input::TabChanged`]. `None` outside a window (a worker).
    pub fn listen(tabs: bool, deliver: impl Fn(Input) + 'static) -> Option<Self> {
        let window = web_sys::window()?;
        let document: EventTarget = window.document()?.into();
        let window: EventTarget = window.into();
        let deliver = std::rc::Rc::new(deliver);
        let wake = {
            let (deliver, document) = (deliver.clone(), document.clone());
            Listener::new(move |event: web_sys::Event| {
                let name = event.type_();
                if name == copies::EVENT {
                    if copies::from_elsewhere(&event) {
                        deliver(Input::CopyWrote);
                    }
                } else if !(name == "visibilitychange" && document.unchecked_ref::<web_sys::Document>().hidden()) {
                    deliver(Input::Woke);
                }
            })
        };
        let _ = document.add_event_listener_with_callback("visibilitychange", wake.as_ref().unchecked_ref());
        for name in WINDOW_WAKE_EVENTS {
            let _ = window.add_event_listener_with_callback(name, wake.as_ref().unchecked_ref());
        }
        let _ = window.add_event_listener_with_callback(copies::EVENT, wake.as_ref().unchecked_ref());
        let tabs = tabs.then(|| {
            let listener = Listener::new(move |event: web_sys::Event| {
                if let Some(event) = event.dyn_ref::<StorageEvent>() {
                    deliver(Input::TabChanged { key: event.key(), value: event.new_value() });
                }
            });
            let _ = window.add_event_listener_with_callback("storage", listener.as_ref().unchecked_ref());
            listener
        });
        Some(PageListeners { window, document, wake, tabs })
    }
}

impl Drop for PageListeners {
    fn drop(&mut self) {
        let wake = self.wake.as_ref().unchecked_ref();
        let _ = self.document.remove_event_listener_with_callback("visibilitychange", wake);
        for name in WINDOW_WAKE_EVENTS {
            let _ = self.window.remove_event_listener_with_callback(name, wake);
        }
        let _ = self.window.remove_event_listener_with_callback(copies::EVENT, wake);
        if let Some(tabs) = &self.tabs {
            let _ = self.window.remove_event_listener_with_callback("storage", tabs.as_ref().unchecked_ref());
        }
    }
}

/// `securitypolicyviolation` on the document: the page's Content-Security-Policy refused a
/// request (the browser refuses it at once, as a network failure that says nothing of why).
/// Heard from the visitor's first auth request on, until it stops.
pub struct PolicyListener {
    document: EventTarget,
    listener: Listener,
}

const POLICY_EVENT: &str = "securitypolicyviolation";

impl PolicyListener {
    /// `deliver` gets [`Input::RefusedByPolicy`] for each violation the browser reports (not one
    /// the page dispatched). Its members are read through `Reflect.get`, which returns what a
    /// page's getter throws instead of unwinding. `None` outside a window.
    pub fn listen(deliver: impl Fn(Input) + 'static) -> Option<Self> {
        let document: EventTarget = web_sys::window()?.document()?.into();
        let listener = Listener::new(move |event: web_sys::Event| {
            // `isTrusted` is the event's own, unforgeable member: only the browser sets it.
            if !event.is_trusted() {
                return;
            }
            let read = |name: &str| js_sys::Reflect::get(&event, &JsValue::from_str(name)).ok().and_then(|value| value.as_string()).unwrap_or_default();
            deliver(Input::RefusedByPolicy { directive: read("effectiveDirective"), blocked: read("blockedURI") });
        });
        let _ = document.add_event_listener_with_callback(POLICY_EVENT, listener.as_ref().unchecked_ref());
        Some(PolicyListener { document, listener })
    }
}

impl Drop for PolicyListener {
    fn drop(&mut self) {
        let _ = self.document.remove_event_listener_with_callback(POLICY_EVENT, self.listener.as_ref().unchecked_ref());
    }
}
