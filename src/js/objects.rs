//! What the page gets: `Session` objects and the events' details, made by `serde-wasm-bindgen`
//! from the types below. Dates are `Date` objects, kept as they are by `serde_wasm_bindgen::preserve`.
//! None of them has a field for the visitor secret.

use js_sys::Date;
use serde::Serialize;
use wasm_bindgen::JsValue;

use super::error::to_js;
use crate::core::lifecycle::Event;
use crate::core::session::Session;
use crate::web::SERIALIZER;

/// A `Session`: `{visitorId, organizationId, socketUrl, accessToken, expiresAt, serverExpiresAt,
/// expiresIn, visitorGlobalId?}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionObject<'a> {
    visitor_id: &'a str,
    organization_id: &'a str,
    socket_url: &'a str,
    access_token: &'a str,
    /// The local-clock expiry, used for scheduling.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    expires_at: Date,
    /// The server's `expires_at` as sent (`null` when it is not a date).
    #[serde(with = "serde_wasm_bindgen::preserve")]
    server_expires_at: JsValue,
    expires_in: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    visitor_global_id: Option<&'a str>,
}

#[derive(Serialize)]
struct SessionDetail {
    /// The `Session` object, the very one `visitor.session` hands out.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    session: JsValue,
    source: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityChangeDetail<'a> {
    previous_visitor_id: Option<&'a str>,
    visitor_id: Option<&'a str>,
}

/// `{ reason, message, kind }`: `reason` a code, `message` the same in words.
#[derive(Serialize)]
struct StorageDetail {
    reason: &'static str,
    message: &'static str,
    /// Where things are kept now.
    kind: &'static str,
}

fn session_object(session: &Session) -> SessionObject<'_> {
    let a = &session.answer;
    let server = Date::new(&JsValue::from_str(&a.expires_at));
    SessionObject {
        visitor_id: &a.visitor_id,
        organization_id: &a.organization_id,
        socket_url: &a.socket_url,
        access_token: a.access_token.expose(),
        expires_at: Date::new(&JsValue::from_f64(session.page_expires_at_ms)),
        server_expires_at: if server.get_time().is_nan() { JsValue::NULL } else { server.into() },
        expires_in: a.expires_in,
        visitor_global_id: a.visitor_global_id.as_deref(),
    }
}

fn to_value<T: Serialize>(value: &T) -> JsValue {
    value.serialize(&SERIALIZER).unwrap_or(JsValue::NULL)
}

/// A new `Session` object of a session (`Snapshot` keeps one per session).
pub fn session(session: &Session) -> JsValue {
    to_value(&session_object(session))
}

/// The `Session` object of the current session: the same object for as long as the session is
/// the same (a snapshot a UI store compares by identity: React's `useSyncExternalStore`), a new
/// one when another session is adopted.
#[derive(Default)]
pub struct Snapshot {
    /// The access token of the session the object was made of, and the object.
    current: Option<(String, JsValue)>,
}

impl Snapshot {
    pub fn of(&mut self, session: &Session) -> JsValue {
        let token = session.answer.access_token.expose();
        match &self.current {
            Some((made_of, object)) if made_of == token => object.clone(),
            _ => {
                let object = self::session(session);
                self.current = Some((token.to_owned(), object.clone()));
                object
            }
        }
    }
}

/// The detail an event's listeners get; a `session` event's holds `session_object`.
pub fn detail(event: &Event, session_object: Option<&JsValue>) -> JsValue {
    match event {
        Event::Session { source, .. } => to_value(&SessionDetail { session: session_object.cloned().unwrap_or(JsValue::NULL), source: source.name() }),
        Event::IdentityChange { previous, current } => to_value(&IdentityChangeDetail { previous_visitor_id: previous.as_deref(), visitor_id: current.as_deref() }),
        Event::Error(error) => to_js(error),
        Event::Storage { reason, kind } => to_value(&StorageDetail { reason: reason.code(), message: reason.message(), kind: kind.name() }),
    }
}

/// `{ state, channels }`: the socket's state and how many channels are subscribed.
#[cfg(feature = "realtime")]
#[derive(Serialize)]
struct RealtimeDetail {
    state: &'static str,
    channels: u32,
}

/// `{ channels, since }`: the socket was down since `since`.
#[cfg(feature = "realtime")]
#[derive(Serialize)]
struct ResyncDetail {
    channels: u32,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    since: Date,
}

/// A `Change`: `{ channel, action, resourceId, resource }` (`resource` the very value the frame
/// held, `null` when it held none).
#[cfg(feature = "realtime")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeObject<'a> {
    channel: &'a str,
    action: &'static str,
    resource_id: Option<&'a str>,
    resource: Option<&'a crate::web::realtime::Resource>,
}

/// The detail of a real-time event: `realtime`, `resync`, or the `error` of a channel refused
/// (a `VisitorError` `channel_refused` with the `channel`).
#[cfg(feature = "realtime")]
pub fn channel_detail(event: &crate::core::realtime::Event) -> JsValue {
    use crate::core::realtime::Event;
    match event {
        Event::Realtime { state, channels } => to_value(&RealtimeDetail { state: state.name(), channels: *channels }),
        Event::Resync { channels, since_ms } => to_value(&ResyncDetail { channels: *channels, since: Date::new(&JsValue::from_f64(*since_ms)) }),
        Event::ChannelRefused { channel, error } => {
            let error = to_js(error);
            let _ = js_sys::Reflect::set(&error, &JsValue::from_str("channel"), &JsValue::from_str(channel));
            error
        }
    }
}

/// What a channel's listeners get of a notification.
#[cfg(feature = "realtime")]
pub fn change(change: &crate::core::realtime::Change<crate::web::realtime::Resource>) -> JsValue {
    to_value(&ChangeObject { channel: &change.channel, action: change.action.name(), resource_id: change.resource_id.as_deref(), resource: change.resource.as_ref() })
}
