//! The transport of real-time channels: **the one inference of the SDK**. giosg documents the
//! socket API's messages (`sub`, `__qr__`, `changed`) but not how they travel; its own types
//! call `socket_url` "the base URL for a WebSocket connection". So a channel's frames go as JSON
//! text over a `web_sys::WebSocket` to `socket_url` (`https` → `wss`, `http` → `ws`: the core's
//! `realtime::socket_address`). Should giosg's transport prove to be another, this module is
//! what changes (README, "Real-time").
//!
//! The page may replace `WebSocket` or its prototype (SPEC §3): the constructor, `send` and
//! `close` are `catch` bindings, events are heard through `addEventListener` (a `catch` binding
//! too) and only when the browser dispatched them (`isTrusted`), and a message's `data` is read
//! through `Reflect.get` and used only when it is a string. Chosen over gloo-net's `websocket`
//! by measure (README, "Real-time"): 0.7 KB gzip against 4.3 KB, and gloo-net's reads
//! (`binaryType`, `MessageEvent.data`) are not `catch` bindings.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::WebSocket;

/// What a socket reports.
pub enum SocketEvent {
    Opened,
    /// A text frame.
    Frame(String),
    /// Closed, or failed (the browser's `error` is always followed by `close`; both count once
    /// for the machine, which ignores reports of a socket it let go).
    Closed,
}

/// The events a socket is heard on; one listener for all, told apart by the event's `type`.
const EVENTS: [&str; 4] = ["open", "message", "close", "error"];

type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// An open (or opening) WebSocket; dropping it removes its listeners and closes it.
pub struct Socket {
    socket: WebSocket,
    listener: Listener,
}

impl Socket {
    /// Opens a WebSocket to `url`; `report` hears its events. `None` when the constructor threw
    /// (a URL the browser refuses, the page's policy, a replaced `WebSocket` that throws): the
    /// caller reports the socket closed.
    pub fn open(url: &str, report: impl Fn(SocketEvent) + 'static) -> Option<Socket> {
        let socket = WebSocket::new(url).ok()?;
        let listener = Listener::new(move |event: web_sys::Event| {
            if !event.is_trusted() {
                return;
            }
            let kind = js_sys::Reflect::get(&event, &JsValue::from_str("type")).ok().and_then(|kind| kind.as_string());
            match kind.as_deref() {
                Some("open") => report(SocketEvent::Opened),
                Some("message") => {
                    // Binary frames (a `Blob` or `ArrayBuffer`) are not the API's: ignored.
                    if let Some(text) = js_sys::Reflect::get(&event, &JsValue::from_str("data")).ok().and_then(|data| data.as_string()) {
                        report(SocketEvent::Frame(text));
                    }
                }
                Some(_) => report(SocketEvent::Closed),
                None => {}
            }
        });
        for name in EVENTS {
            let _ = socket.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
        Some(Socket { socket, listener })
    }

    /// Sends a text frame; `false` when the socket refused it (not open, or a page's `send`
    /// that throws).
    pub fn send(&self, text: &str) -> bool {
        self.socket.send_with_str(text).is_ok()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        for name in EVENTS {
            let _ = self.socket.remove_event_listener_with_callback(name, self.listener.as_ref().unchecked_ref());
        }
        let _ = self.socket.close();
    }
}
