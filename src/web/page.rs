//! Page events that mean "check the token now": timers are throttled in hidden tabs and stop
//! during sleep, so `visibilitychange` (to visible), `pageshow` and `online` wake the SDK up.

use crate::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::EventTarget;

/// Listeners on the page; dropping this removes them.
pub struct PageEvents {
    listeners: Vec<(EventTarget, &'static str)>,
    callback: Closure<dyn FnMut(web_sys::Event)>,
}

impl PageEvents {
    /// Calls `on_wake` when the page becomes visible, is shown again (back/forward cache), or
    /// comes back online. Outside a window (a worker), listens to nothing.
    pub fn listen(mut on_wake: impl FnMut() + 'static) -> Self {
        let callback = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let hidden = event.type_() == "visibilitychange"
                && web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
            if !hidden {
                on_wake();
            }
        });
        let mut listeners = Vec::new();
        if let Some(window) = web_sys::window() {
            let function = callback.as_ref().unchecked_ref();
            if let Some(document) = window.document() {
                let target: EventTarget = document.into();
                if target.add_event_listener_with_callback("visibilitychange", function).is_ok() {
                    listeners.push((target, "visibilitychange"));
                }
            }
            let target: EventTarget = window.into();
            for name in ["pageshow", "online"] {
                if target.add_event_listener_with_callback(name, function).is_ok() {
                    listeners.push((target.clone(), name));
                }
            }
        }
        Self { listeners, callback }
    }
}

impl Drop for PageEvents {
    fn drop(&mut self) {
        for (target, name) in &self.listeners {
            let _ = target.remove_event_listener_with_callback(name, self.callback.as_ref().unchecked_ref());
        }
    }
}

/// `storage` events: another tab of the origin changed `localStorage`. Dropping this stops
/// listening.
pub struct StorageEvents {
    window: Option<web_sys::Window>,
    callback: Closure<dyn FnMut(web_sys::Event)>,
}

impl StorageEvents {
    /// Calls `on_change(key, new_value)`; `key` is `None` when the other tab cleared storage.
    pub fn listen(mut on_change: impl FnMut(Option<String>, Option<String>) + 'static) -> Self {
        let callback = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let field = |name: &str| js_sys::Reflect::get(&event, &name.into()).ok().and_then(|v| v.as_string());
            on_change(field("key"), field("newValue"));
        });
        let window = web_sys::window();
        if let Some(window) = &window {
            let _ = window.add_event_listener_with_callback("storage", callback.as_ref().unchecked_ref());
        }
        Self { window, callback }
    }
}

impl Drop for StorageEvents {
    fn drop(&mut self) {
        if let Some(window) = &self.window {
            let _ = window.remove_event_listener_with_callback("storage", self.callback.as_ref().unchecked_ref());
        }
    }
}
