//! Page events that mean "check the token now": timers are throttled in hidden tabs and stop
//! during sleep, so `visibilitychange` (to visible), `pageshow` and `online` wake the SDK up.
//! And `storage` events: another tab of the origin changed `localStorage`.

use crate::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::web::sys::{self, EventTarget};

/// The window and its document, or `None` outside a window (a worker).
fn window_and_document() -> Option<(JsValue, JsValue)> {
    let window = sys::global();
    let document = sys::prop(&window, "document");
    document.is_object().then_some((window, document))
}

/// Listeners on the page; dropping this removes them.
pub struct PageEvents {
    listeners: Vec<(JsValue, &'static str)>,
    callback: Closure<dyn FnMut(JsValue)>,
}

impl PageEvents {
    /// Calls `on_wake` when the page becomes visible, is shown again (back/forward cache), or
    /// comes back online. Outside a window (a worker), listens to nothing.
    pub fn listen(mut on_wake: impl FnMut() + 'static) -> Self {
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let hidden = sys::string_prop(&event, "type").as_deref() == Some("visibilitychange")
                && window_and_document().is_some_and(|(_, document)| sys::prop(&document, "hidden").as_bool() == Some(true));
            if !hidden {
                on_wake();
            }
        });
        let mut listeners = Vec::new();
        if let Some((window, document)) = window_and_document() {
            for (target, name) in [(document, "visibilitychange"), (window.clone(), "pageshow"), (window, "online")] {
                target.unchecked_ref::<EventTarget>().add_event_listener(name, callback.as_ref());
                listeners.push((target, name));
            }
        }
        Self { listeners, callback }
    }
}

impl Drop for PageEvents {
    fn drop(&mut self) {
        for (target, name) in &self.listeners {
            target.unchecked_ref::<EventTarget>().remove_event_listener(name, self.callback.as_ref());
        }
    }
}

/// `storage` events. Dropping this stops listening.
pub struct StorageEvents {
    window: Option<JsValue>,
    callback: Closure<dyn FnMut(JsValue)>,
}

impl StorageEvents {
    /// Calls `on_change(key, new_value)`; `key` is `None` when the other tab cleared storage.
    pub fn listen(mut on_change: impl FnMut(Option<String>, Option<String>) + 'static) -> Self {
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            on_change(sys::string_prop(&event, "key"), sys::string_prop(&event, "newValue"));
        });
        let window = window_and_document().map(|(window, _)| window);
        if let Some(window) = &window {
            window.unchecked_ref::<EventTarget>().add_event_listener("storage", callback.as_ref());
        }
        Self { window, callback }
    }
}

impl Drop for StorageEvents {
    fn drop(&mut self) {
        if let Some(window) = &self.window {
            window.unchecked_ref::<EventTarget>().remove_event_listener("storage", self.callback.as_ref());
        }
    }
}
