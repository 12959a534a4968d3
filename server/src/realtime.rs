//! giosg's socket API (shared/reference, "Real-time") over a WebSocket at the `socket_url` of the
//! auth answers: `sub` → `__qr__` (with `fail` when refused), `changed` notifications, and the
//! faults the control surface can set per organization.
//!
//! The messages are documented, the transport is not: a WebSocket with JSON text frames is the
//! project's inference (README, "Real-time"). A socket belongs to the organization named by the
//! `org` query member of its URL (the auth answers put it there); without one, to the organization
//! of the first token it subscribes with. Faults and counts apply per organization.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::state::{AppState, Inner};

/// The paths a socket is served at: giosg's examples show both (`socket_url` may change from one
/// auth answer to the next).
pub const ROUTER_PATHS: [&str; 2] = ["/003/2/router", "/004/1/router"];

/// The close code sent when a subscription's token expires under the `end_at_expiry` fault.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;

/// How a notification spells the resource id.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Spelling {
    /// The socket API page: `{"action", "resourceId", "resource"}`.
    #[default]
    #[serde(rename = "resourceId")]
    Documented,
    /// The current real-time page and the webhooks: `{"channel", "action", "resource_id", "resource"}`.
    #[serde(rename = "resource_id")]
    Current,
}

/// The socket faults and settings of an organization (`/__control/orgs/<org>/realtime`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The next this many `sub`s are answered with `"fail": true`, whatever their token.
    #[serde(default)]
    pub refuse_next: u32,
    /// No `__qr__` and no notification until cleared; the sockets stay open.
    #[serde(default)]
    pub silent: bool,
    /// A socket is closed (code 4001) when a token it subscribed with expires.
    #[serde(default)]
    pub end_at_expiry: bool,
    /// `socket_url` in the next auth answers: a path of this server (`/004/1/router`) or a whole URL.
    #[serde(default)]
    pub socket_url: Option<String>,
    /// How many auth answers `socket_url` is for; absent: until cleared.
    #[serde(default)]
    pub socket_url_times: Option<u32>,
    /// How notifications spell the resource id.
    #[serde(default)]
    pub spelling: Spelling,
}

/// What the control surface may change of [`Settings`]: the members given, the rest stays.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    refuse_next: Option<u32>,
    silent: Option<bool>,
    end_at_expiry: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    socket_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    socket_url_times: Option<Option<u32>>,
    spelling: Option<Spelling>,
}

/// A member that is present (`null` included) is `Some`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl Settings {
    pub fn apply(&mut self, change: SettingsChange) -> Result<(), &'static str> {
        if change.socket_url_times == Some(Some(0)) {
            return Err("socket_url_times must be at least 1 (null: until cleared)");
        }
        if let Some(Some(url)) = &change.socket_url {
            let path = url.starts_with('/') && !url.contains(['?', '#']);
            if !path && !url.starts_with("http://") && !url.starts_with("https://") {
                return Err("socket_url must be a path of this server (/004/1/router, no query) or an http(s) URL");
            }
        }
        if let Some(value) = change.refuse_next {
            self.refuse_next = value;
        }
        if let Some(value) = change.silent {
            self.silent = value;
        }
        if let Some(value) = change.end_at_expiry {
            self.end_at_expiry = value;
        }
        if let Some(value) = change.socket_url {
            self.socket_url = value;
        }
        if let Some(value) = change.socket_url_times {
            self.socket_url_times = value;
        }
        if let Some(value) = change.spelling {
            self.spelling = value;
        }
        Ok(())
    }
}

/// Socket counts of an organization, in `GET /__control/orgs/<org>/stats` as `sockets` (with
/// `open`, the sockets open now).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Counts {
    /// WebSocket connections accepted.
    pub opened: u64,
    /// `sub` messages received (answered or not).
    pub subs: u64,
    /// Answered without `fail`.
    pub confirmed: u64,
    /// Answered with `"fail": true`.
    pub refused: u64,
    /// Not answered (the `silent` fault).
    pub unanswered: u64,
    /// `changed` messages sent.
    pub notifications: u64,
    /// Sockets closed by the `drop` control.
    pub dropped: u64,
    /// Sockets closed because a token they subscribed with expired (`end_at_expiry`).
    pub closed_at_expiry: u64,
}

/// What a socket's task is told to do.
enum Command {
    /// Send this text frame.
    Text(String),
    /// Close: with a close frame of this code, or abruptly (no close frame) for `None`.
    Close(Option<u16>),
    /// Look again at the subscriptions' expiries (a setting changed).
    Recheck,
}

/// One subscription of a socket, as the hub routes notifications.
struct Subscription {
    channel: String,
    /// The organization of the token it was made with, and the token's expiry.
    org: String,
    expires: Instant,
}

struct Socket {
    org: Option<String>,
    commands: mpsc::UnboundedSender<Command>,
    subscriptions: Vec<Subscription>,
}

/// Every open socket, for routing notifications and applying faults.
#[derive(Default)]
pub struct Hub {
    sockets: HashMap<u64, Socket>,
}

/// Socket ids are unique for the life of the process (a reset makes a new hub; a task of the old
/// one must not take a new socket for its own).
static NEXT_SOCKET: AtomicU64 = AtomicU64::new(1);

impl Hub {
    /// Sockets open now for `org`.
    pub fn open(&self, org: &str) -> usize {
        self.sockets.values().filter(|s| s.org.as_deref() == Some(org)).count()
    }

    fn send(&self, org: &str, command: impl Fn() -> Command) -> usize {
        let mut sent = 0;
        for socket in self.sockets.values().filter(|s| s.org.as_deref() == Some(org)) {
            if socket.commands.send(command()).is_ok() {
                sent += 1;
            }
        }
        sent
    }

    /// Closes every socket of `org` (abruptly, or with a close frame of `code`).
    pub fn drop_all(&self, org: &str, code: Option<u16>) -> usize {
        self.send(org, || Command::Close(code))
    }

    /// Sends raw text frames to every socket of `org`.
    pub fn send_frames(&self, org: &str, frames: &[String]) -> usize {
        let mut reached = 0;
        for socket in self.sockets.values().filter(|s| s.org.as_deref() == Some(org)) {
            if frames.iter().all(|f| socket.commands.send(Command::Text(f.clone())).is_ok()) {
                reached += 1;
            }
        }
        reached
    }

    /// Tells the sockets of `org` that the expiry setting changed.
    pub fn recheck(&self, org: &str) {
        self.send(org, || Command::Recheck);
    }

    /// Closes every socket (the whole state is being forgotten).
    pub fn close_all(&self) {
        for socket in self.sockets.values() {
            let _ = socket.commands.send(Command::Close(None));
        }
    }
}

/// A change to a resource, as notified on its channel.
pub struct Change<'a> {
    pub org: &'a str,
    pub channel: String,
    pub action: Action,
    pub resource_id: Value,
    /// The whole resource (`added`), the changed attributes (`changed`), none (`removed`).
    pub resource: Option<Value>,
    /// The spelling of this notification; `None`: the organization's.
    pub spelling: Option<Spelling>,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Added,
    Changed,
    Removed,
}

/// Notifies `change` on every socket subscribed to its channel (none while the organization is
/// silent). Returns how many sockets it was sent to.
pub fn notify(inner: &mut Inner, change: Change<'_>) -> usize {
    let org = inner.org(change.org);
    if org.realtime.silent {
        return 0;
    }
    let spelling = change.spelling.unwrap_or(org.realtime.spelling);
    let mut body = serde_json::Map::new();
    match spelling {
        Spelling::Documented => {
            body.insert("action".into(), json!(change.action));
            body.insert("resourceId".into(), change.resource_id);
        }
        Spelling::Current => {
            body.insert("channel".into(), json!(change.channel));
            body.insert("action".into(), json!(change.action));
            body.insert("resource_id".into(), change.resource_id);
        }
    }
    if let Some(resource) = change.resource {
        body.insert("resource".into(), resource);
    }
    let frame = json!(["changed", [change.channel, body]]).to_string();
    let mut sent = 0u64;
    for socket in inner.realtime.sockets.values() {
        if socket.subscriptions.iter().any(|s| s.channel == change.channel) && socket.commands.send(Command::Text(frame.clone())).is_ok() {
            sent += 1;
        }
    }
    inner.org(change.org).sockets.notifications += sent;
    sent as usize
}

/// A channel id, by giosg's rule (the path of the resource or collection's endpoint).
#[derive(Debug, PartialEq, Eq)]
pub enum Channel<'a> {
    VisitorChats { visitor: &'a str },
    VisitorChatMemberships { visitor: &'a str },
    ChatMemberships { visitor: &'a str, chat: &'a str },
    ChatMessages { visitor: &'a str, chat: &'a str },
    RoomOnlineUsers { org: &'a str, room: &'a str },
    RoomVisitors { org: &'a str, room: &'a str },
}

impl<'a> Channel<'a> {
    pub fn parse(channel: &'a str) -> Option<Self> {
        let segments: Vec<&str> = channel.strip_prefix("/api/v5/public/")?.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        Some(match segments.as_slice() {
            ["visitors", visitor, "chats"] => Self::VisitorChats { visitor },
            ["visitors", visitor, "chats_memberships"] => Self::VisitorChatMemberships { visitor },
            ["visitors", visitor, "chats", chat, "memberships"] => Self::ChatMemberships { visitor, chat },
            ["visitors", visitor, "chats", chat, "messages"] => Self::ChatMessages { visitor, chat },
            ["orgs", org, "rooms", room, "online_users"] => Self::RoomOnlineUsers { org, room },
            ["orgs", org, "rooms", room, "visitors"] => Self::RoomVisitors { org, room },
            _ => return None,
        })
    }
}

/// The channel ids the server notifies on.
pub fn visitor_chats(visitor: &str) -> String {
    format!("/api/v5/public/visitors/{visitor}/chats")
}
pub fn visitor_chat_memberships(visitor: &str) -> String {
    format!("/api/v5/public/visitors/{visitor}/chats_memberships")
}
pub fn chat_memberships(visitor: &str, chat: &str) -> String {
    format!("/api/v5/public/visitors/{visitor}/chats/{chat}/memberships")
}
pub fn chat_messages(visitor: &str, chat: &str) -> String {
    format!("/api/v5/public/visitors/{visitor}/chats/{chat}/messages")
}
pub fn room_online_users(org: &str, room: &str) -> String {
    format!("/api/v5/public/orgs/{org}/rooms/{room}/online_users")
}
pub fn room_visitors(org: &str, room: &str) -> String {
    format!("/api/v5/public/orgs/{org}/rooms/{room}/visitors")
}

/// The `socket_url` of an auth answer of `org` received at `host`: this server's router (or the
/// one the `socket_url` setting names, using up one of its `socket_url_times`).
pub fn socket_url(inner: &mut Inner, org: &str, host: &str) -> String {
    let settings = &mut inner.org(org).realtime;
    let chosen = settings.socket_url.clone();
    if chosen.is_some() {
        match &mut settings.socket_url_times {
            Some(1) => {
                settings.socket_url = None;
                settings.socket_url_times = None;
            }
            Some(n) => *n -= 1,
            None => {}
        }
    }
    match chosen {
        Some(url) if !url.starts_with('/') => url,
        Some(path) => format!("http://{host}{path}?org={org}"),
        None => format!("http://{host}{}?org={org}", ROUTER_PATHS[0]),
    }
}

#[derive(Deserialize)]
pub struct SocketQuery {
    org: Option<String>,
}

/// `GET <router path>` with a WebSocket upgrade. The socket is registered (and counted) before
/// the upgrade is answered, so that a client that sees its socket open sees it counted.
pub async fn upgrade(State(state): State<AppState>, Query(query): Query<SocketQuery>, ws: WebSocketUpgrade) -> Response {
    let org = query.org.filter(|o| crate::state::is_uuid(o)).map(|o| o.to_ascii_lowercase());
    let id = NEXT_SOCKET.fetch_add(1, Ordering::Relaxed);
    let (commands, incoming) = mpsc::unbounded_channel();
    {
        let mut inner = state.lock();
        if let Some(org) = &org {
            inner.org(org).sockets.opened += 1;
        }
        inner.realtime.sockets.insert(id, Socket { org, commands, subscriptions: Vec::new() });
    }
    let registration = Registration { state, id };
    ws.on_upgrade(move |socket| run(registration, incoming, socket))
}

/// A socket's place in the hub, given up when the socket ends (or its upgrade fails).
struct Registration {
    state: AppState,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.state.lock().realtime.sockets.remove(&self.id);
    }
}

/// One socket, until it closes or is closed.
async fn run(registration: Registration, mut incoming: mpsc::UnboundedReceiver<Command>, mut socket: WebSocket) {
    let (state, id) = (&registration.state, registration.id);
    loop {
        let next_expiry = next_expiry(state, id);
        let expiry = async {
            match next_expiry {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let answer = receive(state, id, text.as_str());
                    if let Some(answer) = answer {
                        if socket.send(Message::Text(answer.into())).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Err(_)) | None => break,
                // The client closes: the next read sends the close frame that answers it (the
                // WebSocket layer queues it), then ends the socket. Binary frames, pings and
                // pongs: nothing of the wire.
                Some(Ok(_)) => {}
            },
            command = incoming.recv() => match command {
                Some(Command::Text(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Command::Close(code)) => {
                    count(state, id, |c| c.dropped += 1);
                    if let Some(code) = code {
                        let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: "closed by the control surface".into() }))).await;
                    }
                    break;
                }
                Some(Command::Recheck) => {}
                // The hub was replaced (a reset): this socket is forgotten.
                None => break,
            },
            () = expiry => {}
        }
        if expired_under_fault(state, id) {
            count(state, id, |c| c.closed_at_expiry += 1);
            let frame = CloseFrame { code: CLOSE_TOKEN_EXPIRED, reason: "token expired".into() };
            let _ = socket.send(Message::Close(Some(frame))).await;
            break;
        }
    }
}

fn count(state: &AppState, id: u64, change: impl FnOnce(&mut Counts)) {
    let mut inner = state.lock();
    let Some(org) = inner.realtime.sockets.get(&id).and_then(|s| s.org.clone()) else { return };
    change(&mut inner.org(&org).sockets);
}

/// The earliest expiry, still to come, of a token this socket subscribed with.
fn next_expiry(state: &AppState, id: u64) -> Option<Instant> {
    let now = Instant::now();
    let inner = state.lock();
    inner.realtime.sockets.get(&id)?.subscriptions.iter().map(|s| s.expires).filter(|at| *at > now).min()
}

/// Whether a token this socket subscribed with has expired and its organization ends such
/// subscriptions.
fn expired_under_fault(state: &AppState, id: u64) -> bool {
    let now = Instant::now();
    let mut inner = state.lock();
    let Some(socket) = inner.realtime.sockets.get(&id) else { return false };
    let expired: Vec<String> = socket.subscriptions.iter().filter(|s| s.expires <= now).map(|s| s.org.clone()).collect();
    expired.iter().any(|org| inner.org(org).realtime.end_at_expiry)
}

/// A `sub` as the wire has it: `["sub", ["<channel>", "<token>"], {"query": <id>}]`. Anything
/// else is not one, and is ignored. Never printed: it carries a token.
#[derive(Deserialize)]
struct Sub(SubTag, (String, String), SubOptions);

#[derive(Deserialize)]
enum SubTag {
    #[serde(rename = "sub")]
    Sub,
}

#[derive(Deserialize)]
struct SubOptions {
    query: Value,
}

/// Handles a text frame from the client; returns the answer to send, if any.
fn receive(state: &AppState, id: u64, text: &str) -> Option<String> {
    let Ok(Sub(SubTag::Sub, (channel, token), SubOptions { query })) = serde_json::from_str::<Sub>(text) else {
        return None;
    };
    if query.is_null() {
        return None;
    }
    let now = Instant::now();
    let mut inner = state.lock();
    let token = inner.check_token(&token, now).ok().map(|t| (t.org.clone(), t.visitor_id.clone(), t.expires));
    // The socket's organization: its URL's, else the first valid token's.
    let org = {
        let socket = inner.realtime.sockets.get_mut(&id)?;
        if socket.org.is_none() {
            if let Some((org, _, _)) = &token {
                socket.org = Some(org.clone());
                let org = org.clone();
                inner.org(&org).sockets.opened += 1;
            }
        }
        inner.realtime.sockets.get(&id)?.org.clone()
    };
    let Some(org) = org else {
        // An unknown token on a socket of no organization: refused, counted nowhere.
        return Some(answer(query, true));
    };
    let settings = &mut inner.org(&org).realtime;
    let silent = settings.silent;
    let forced_refusal = !silent && settings.refuse_next > 0;
    if forced_refusal {
        settings.refuse_next -= 1;
    }
    let counts = &mut inner.org(&org).sockets;
    counts.subs += 1;
    if silent {
        counts.unanswered += 1;
        return None;
    }
    let granted = !forced_refusal && token.as_ref().is_some_and(|(token_org, visitor, _)| grants(&inner, token_org, visitor, &channel));
    let counts = &mut inner.org(&org).sockets;
    if granted {
        counts.confirmed += 1;
    } else {
        counts.refused += 1;
    }
    if let (true, Some((token_org, _, expires))) = (granted, token) {
        if let Some(socket) = inner.realtime.sockets.get_mut(&id) {
            socket.subscriptions.retain(|s| s.channel != channel);
            socket.subscriptions.push(Subscription { channel, org: token_org, expires });
        }
    }
    Some(answer(query, !granted))
}

fn answer(query: Value, fail: bool) -> String {
    let options = if fail { json!({ "query": query, "fail": true }) } else { json!({ "query": query }) };
    json!(["__qr__", [[]], options]).to_string()
}

/// Whether a valid token of `org`'s `visitor` grants `channel`.
fn grants(inner: &Inner, org: &str, visitor: &str, channel: &str) -> bool {
    let own_chat = |v: &str, chat: &str| v == visitor && inner.chats.iter().any(|c| c.id == chat && c.visitor_id == visitor && c.organization_id == org);
    let room = |o: &str, room: &str| o == org && inner.rooms.contains_key(&(org.to_owned(), room.to_owned()));
    match Channel::parse(channel) {
        Some(Channel::VisitorChats { visitor: v } | Channel::VisitorChatMemberships { visitor: v }) => v == visitor,
        Some(Channel::ChatMemberships { visitor: v, chat } | Channel::ChatMessages { visitor: v, chat }) => own_chat(v, chat),
        Some(Channel::RoomOnlineUsers { org: o, room: r } | Channel::RoomVisitors { org: o, room: r }) => room(o, r),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_parse_by_the_documented_rule() {
        assert_eq!(Channel::parse("/api/v5/public/visitors/v1/chats"), Some(Channel::VisitorChats { visitor: "v1" }));
        assert_eq!(
            Channel::parse("/api/v5/public/visitors/v1/chats/c1/messages"),
            Some(Channel::ChatMessages { visitor: "v1", chat: "c1" })
        );
        assert_eq!(
            Channel::parse("/api/v5/public/orgs/o/rooms/r/online_users"),
            Some(Channel::RoomOnlineUsers { org: "o", room: "r" })
        );
        for bad in ["", "/", "/api/v5/public/visitors/v1/chats/", "/api/v5/public/visitors//chats", "api/v5/public/visitors/v1/chats", "/api/v5/public/visitors/v1/secrets"] {
            assert_eq!(Channel::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_the_exact_sub_shape_is_a_sub() {
        assert!(serde_json::from_str::<Sub>(r#"["sub", ["/c", "t"], {"query": 1}]"#).is_ok());
        for garbage in [r#"["sub", ["/c"], {"query": 1}]"#, r#"["unsub", ["/c", "t"], {"query": 1}]"#, r#"{"sub": 1}"#, "[]", "null", r#"["sub", ["/c", 5], {"query": 1}]"#] {
            assert!(serde_json::from_str::<Sub>(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn settings_change_only_what_is_given() {
        let mut settings = Settings { silent: true, socket_url: Some("/004/1/router".into()), ..Settings::default() };
        settings.apply(serde_json::from_str(r#"{"refuse_next": 2}"#).unwrap()).unwrap();
        assert!(settings.silent && settings.refuse_next == 2 && settings.socket_url.is_some());
        settings.apply(serde_json::from_str(r#"{"socket_url": null, "spelling": "resource_id"}"#).unwrap()).unwrap();
        assert_eq!((settings.socket_url, settings.spelling), (None, Spelling::Current));
        for bad in [r#"{"socket_url": "ws:x"}"#, r#"{"socket_url": "/004/1/router?a=b"}"#, r#"{"socket_url": "x"}"#, r#"{"socket_url_times": 0}"#] {
            assert!(Settings::default().apply(serde_json::from_str(bad).unwrap()).is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<SettingsChange>(r#"{"silnet": true}"#).is_err());
    }
}
