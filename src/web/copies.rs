//! Copies of the SDK in one page (the npm entry and the script-tag embed: two wasm instances,
//! each with its own registry of visitors) hear each other's storage writes as other tabs' are
//! heard (SPEC §3). The browser's `storage` event never fires in the page that wrote, so a copy
//! that wrote a key of the SDK's tells the others with an [`EVENT`] on `window`: a bare `Event`,
//! with nothing in it to trust. The page can dispatch one too; whoever hears one re-reads its own
//! keys from storage (see `Browser::heard_copy`), so a fake one changes nothing.
//!
//! A copy ignores the events it is dispatching itself: its own visitors heard its writes already,
//! through the registry.

use std::cell::RefCell;

use wasm_bindgen::JsValue;

/// The event one copy dispatches on `window` after writing to the storage the copies share.
pub const EVENT: &str = "giosg-visitor:storage";

thread_local! {
    /// The event this copy is dispatching now, innermost first: dispatch is synchronous, and a
    /// listener may make this copy dispatch another meanwhile, which `tell` then puts back. A
    /// listener of this copy's hears an event only while its dispatch is the innermost one of
    /// this copy's (nested ones have ended by then), so the innermost is the one to compare with.
    static SENDING: RefCell<Option<JsValue>> = RefCell::default();
}

/// Tells the other copies of the SDK in this page that this one wrote to storage. What the page
/// made of `Event` or `dispatchEvent` may throw: then they hear nothing, as with a page that
/// silences `storage` events.
pub fn tell() {
    let (Some(window), Ok(event)) = (web_sys::window(), web_sys::Event::new(EVENT)) else { return };
    let outer = SENDING.with(|sending| sending.replace(Some(event.clone().into())));
    let _ = window.dispatch_event(&event);
    SENDING.with(|sending| *sending.borrow_mut() = outer);
}

/// Whether `event` came from another copy (or the page), not from this one.
pub fn from_elsewhere(event: &web_sys::Event) -> bool {
    SENDING.with(|sending| sending.borrow().as_ref() != Some(AsRef::<JsValue>::as_ref(event)))
}
