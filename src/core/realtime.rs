//! Real-time channels (SPEC §2a) as a state machine of their own, beside the token lifecycle:
//! the one socket of a visitor, the channels the page wants, their `sub`s and `__qr__`s, the
//! notifications, and what brings a lost socket back.
//!
//! Sans-IO like [`super::lifecycle`]: each input (a page call, a socket event, a frame, the
//! timer, a page event, a session) runs to completion and queues typed [`Effect`]s with its
//! [`Host`]: open a socket, send a frame, close it, arm the timer, ask for a session, emit an
//! event, deliver a change to a channel's listeners. What the effects bring back comes in as the
//! next input. The browser shell (`web/realtime.rs`) does them with a `WebSocket` (`web/socket.rs`), a gloo timer and the lifecycle;
//! the tests use a recording host on a fake clock.
//!
//! The machine never reads the lifecycle: it asks for a session with [`Effect::AskSession`] (the
//! shell calls `authenticate()`) and hears of one through [`Realtime::granted`] (the answer) and
//! [`Realtime::session`] (the lifecycle's `session` event); [`Realtime::identity_gone`] and
//! [`Realtime::forget`] tell it the identity went. The only thing it shares is the time line
//! ([`Clock`]), so that a session's expiry reads the same in both.
//!
//! The wire (shared/reference, "Real-time"), over a WebSocket to `socket_url` (`https` → `wss`,
//! `http` → `ws`), JSON text frames:
//! - out: `["sub", ["<channel>", "<token>"], {"query": <id>}]`;
//! - in: `["__qr__", [[]], {"query": <id>}]`, with `"fail": true` when refused;
//! - in: `["changed", ["<channel>", {"action", "resourceId" | "resource_id", "resource"}]]`.
//!
//! States of the socket ([`Phase`]): idle (none: no channel wanted, or waiting for a session to
//! learn `socket_url` from), connecting (asked to open; a move to a new `socket_url` or a new
//! identity goes through here too), open (subscribing, with query ids; channels confirmed; a probe
//! may be out after a page resume), backoff (closed or failed, waiting to reopen).


use core::marker::PhantomData;
use std::rc::Rc;

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::clock::Clock;
use super::error::{self, Error};
use super::ids::split_scheme;
use super::options::Options;
use super::redact::{AccessToken, Frame};
use super::retry::Backoff;
use super::session::{lead_ms, timer_delay_ms, Session};
use super::value::{is_valid_unicode, Field};
use super::wire::JsonProblem;

/// Frames longer than this (in bytes of UTF-8) are ignored unread (SPEC §2a).
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// On a page resume (`online`, `visibilitychange` to visible, `pageshow`), a closed socket is
/// reopened within this long (jittered, so that a network coming back is not met by every
/// visitor at once).
pub const RESUME_JITTER_MS: f64 = 1000.0;

/// What the machine reads while it decides: the clock, chance, JSON. These answer at once and run
/// no page code that could call the machine back.
pub trait Host {
    /// What a notification's `resource` is read as: any JSON value (the browser keeps the JS
    /// value `JSON.parse` made; the tests a `serde_json::Value`).
    type Resource: DeserializeOwned;
    /// The page's clock (`Date.now()`), milliseconds since the Unix epoch; the page may move it.
    fn now(&self) -> f64;
    /// A monotonic clock (`performance.now()`); not finite when there is none.
    fn monotonic(&self) -> f64;
    /// Uniform in `[0, 1)`.
    fn random(&self) -> f64;
    /// A JSON text as a serde type (frames are arrays: any JSON value may come).
    fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, JsonProblem>;
    /// A serde value as a JSON text.
    fn stringify<T: Serialize>(&self, value: &T) -> String;
    /// Queues an effect, performed after the input that asked for it has returned.
    fn effect(&mut self, effect: Effect<Self::Resource>);
}

/// A socket, as the machine numbers them: what the shell reports of a socket names it, and
/// reports of a socket the machine has let go are ignored.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SocketId(pub u32);

/// What the machine asks the host to do.
#[derive(Debug)]
pub enum Effect<R> {
    /// Open a WebSocket to `url` (`wss:`/`ws:`); report it with [`Realtime::opened`],
    /// [`Realtime::received`] and [`Realtime::closed`] under `socket`.
    Open { socket: SocketId, url: String },
    /// Send a text frame on `socket` (a `sub`: it holds a token, and never prints it).
    Send { socket: SocketId, frame: Frame },
    /// Close `socket`; nothing more of it is wanted.
    Close { socket: SocketId },
    /// Arm the machine's one timer (replacing it), which calls [`Realtime::tick`]; `None`
    /// disarms it.
    ArmTimer(Option<u32>),
    /// Ask the lifecycle for a session whose token is good for a `sub` (`authenticate()`: valid
    /// for at least `renewBeforeSeconds`, or half its lifetime when that is shorter), with
    /// `fresh` a new one from the server whatever the current one (`authenticate({force: true})`,
    /// after the server refused a channel). The answer comes back as [`Realtime::granted`].
    AskSession { fresh: bool },
    /// Tell the page's listeners.
    Emit(Event),
    /// Hand `change` to these listeners of its channel, in the order they subscribed (one that
    /// throws does not keep the next from hearing).
    Deliver { listeners: Vec<u32>, change: Change<R> },
    /// These listeners will hear nothing more (their channel ended, or `forget()`/`stop()`): the
    /// shell lets their functions go.
    Release { listeners: Vec<u32> },
}

/// The socket's state, as the `realtime` event reports it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SocketState {
    Connecting,
    Open,
    Closed,
}

impl SocketState {
    pub fn name(self) -> &'static str {
        match self {
            SocketState::Connecting => "connecting",
            SocketState::Open => "open",
            SocketState::Closed => "closed",
        }
    }
}

/// An event for the page's listeners.
#[derive(Clone, PartialEq, Debug)]
pub enum Event {
    /// `realtime`: the socket's state changed, or how many channels are subscribed.
    Realtime { state: SocketState, channels: u32 },
    /// `resync`: the socket was down since `since_ms` (the page's clock), so notifications may
    /// have been missed; every channel still wanted is subscribed again (`channels` of them).
    Resync { channels: u32, since_ms: f64 },
    /// The server refused `channel` also with a renewed token: it ended (`error` with code
    /// `channel_refused`, and the channel).
    ChannelRefused { channel: String, error: Error },
}

/// What a notification says happened.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// A resource was added: `resource` is all of it.
    Added,
    /// A resource changed: `resource` holds the changed attributes.
    Changed,
    /// A resource was removed: no `resource`.
    Removed,
}

impl Action {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "added" => Action::Added,
            "changed" => Action::Changed,
            "removed" => Action::Removed,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Action::Added => "added",
            Action::Changed => "changed",
            Action::Removed => "removed",
        }
    }
}

/// A notification for a channel's listeners (SPEC §1, `Change`).
#[derive(Clone, PartialEq, Debug)]
pub struct Change<R> {
    pub channel: String,
    pub action: Action,
    /// `resourceId`, or `resource_id` (the current docs' spelling); a string, or an integer
    /// written out.
    pub resource_id: Option<String>,
    pub resource: Option<R>,
}

/// What the machine needs of a session: who, where the socket goes, and the token with its
/// expiry on the shared time line.
#[derive(Clone, PartialEq, Debug)]
pub struct Credentials {
    pub visitor_id: String,
    pub socket_url: String,
    pub token: AccessToken,
    /// When the token stops being valid, on the time line ([`Clock`]) the machine shares.
    pub expires_at_ms: f64,
    /// The token's lifetime in seconds.
    pub expires_in: u32,
}

impl Credentials {
    pub fn of(session: &Session) -> Self {
        Credentials {
            visitor_id: session.answer.visitor_id.clone(),
            socket_url: session.answer.socket_url.clone(),
            token: session.answer.access_token.clone(),
            expires_at_ms: session.expires_at_ms,
            expires_in: session.answer.expires_in,
        }
    }

    /// Whether the token may go in a `sub` at `now_ms`: valid for at least `renewBeforeSeconds`
    /// (half its lifetime when that is shorter: the rule `authenticate()` hands tokens out by),
    /// and not claiming more validity than its lifetime (a clock gone back).
    pub fn good_for_sub(&self, now_ms: f64, renew_before_ms: f64) -> bool {
        let remaining = self.expires_at_ms - now_ms;
        remaining >= lead_ms(self.expires_in, renew_before_ms) && remaining <= f64::from(self.expires_in) * 1000.0
    }
}

/// The options the machine goes by.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Settings {
    pub renew_before_ms: f64,
    /// A socket that does not open, or answer a `sub`, within this long is replaced.
    pub request_timeout_ms: u32,
    /// How lost sockets (and failed asks for a session) are spaced: SPEC §3's.
    pub backoff: Backoff,
}

impl Settings {
    pub fn of(options: &Options) -> Self {
        Settings { renew_before_ms: options.renew_before_ms, request_timeout_ms: options.request_timeout_ms, backoff: options.backoff }
    }
}

/// Whether `channel` is one (SPEC §1): the path of an API endpoint, starting with `/`, not ending
/// with `/`, without a query, fragment or origin (`//host`); nor an empty segment, a space, a
/// control character or a backslash (which URL parsers read as `/`), nor text that was not valid
/// Unicode.
pub fn check_channel(channel: &str) -> Result<(), Error> {
    let bytes = channel.as_bytes();
    let shaped = bytes.first() == Some(&b'/') && bytes.last() != Some(&b'/') && !bytes.windows(2).any(|w| w == b"//");
    let clean = !bytes.iter().any(|&b| matches!(b, b'?' | b'#' | b'\\' | 0..=b' ' | 0x7f));
    if shaped && clean && is_valid_unicode(channel) {
        Ok(())
    } else {
        Err(error::invalid_channel())
    }
}

/// The WebSocket URL of a `socket_url`: `https` → `wss`, `http` → `ws`, without a fragment (which
/// a WebSocket URL may not have). The rest is opaque (the local server adds `?org=`).
pub fn socket_address(socket_url: &str) -> String {
    let url = socket_url.find('#').map_or(socket_url, |at| &socket_url[..at]);
    match split_scheme(url) {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some((_, rest)) => format!("ws://{rest}"),
        None => url.to_owned(),
    }
}

/// Where a channel's subscription is, on the socket open now (or the next).
#[derive(Clone, Debug)]
enum Sub {
    /// Not asked for on this socket yet.
    Pending,
    /// `sub` sent with `token` as query `query`; without its `__qr__` by `deadline`, the socket
    /// is taken for dead.
    Sent { query: u32, token: AccessToken, deadline: f64 },
    /// Its `__qr__` confirmed it: notifications are delivered.
    Confirmed,
    /// Refused once with `token`: waits for another token (or a fresh one from the server) to be
    /// asked for again.
    Refused { token: AccessToken },
}

#[derive(Debug)]
struct Channel {
    path: String,
    /// Who listens, in the order they subscribed.
    listeners: Vec<u32>,
    sub: Sub,
    /// The server refused it and it has not been confirmed since: the next refusal ends it.
    refused_once: bool,
}

/// A `sub` sent as a probe after a page resume: is the socket still there?
#[derive(Clone, Copy, Debug)]
struct Probe {
    query: u32,
    deadline: f64,
}

/// Where the socket is.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// No socket: no channel is wanted, or the machine waits for a session (its `socket_url`).
    Idle,
    /// Asked to open; failing to by `deadline`, it is given up.
    Connecting { socket: SocketId, deadline: f64 },
    Open { socket: SocketId, probe: Option<Probe> },
    /// Closed or failed: reopened at `until`.
    Backoff { until: f64 },
}

/// The machine's ask for a session.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Ask {
    /// None out.
    Idle,
    Out { fresh: bool },
    /// The last failed: none before `until`.
    Wait { until: f64 },
}

/// The real-time channels of one visitor.
pub struct Realtime {
    settings: Settings,
    clock: Rc<Clock>,
    /// The channels the page wants, in the order first subscribed.
    channels: Vec<Channel>,
    /// The latest session heard of.
    credentials: Option<Credentials>,
    /// The identity went (another tab's `forget()`): no session is asked for until one is told.
    identity_gone: bool,
    phase: Phase,
    /// Numbers the sockets and the queries; neither is ever 0.
    sockets: u32,
    queries: u32,
    /// Sockets lost since all wanted channels were last confirmed: the backoff's attempt.
    failures: u32,
    ask: Ask,
    /// Failed asks in a row: their backoff's attempt.
    ask_failures: u32,
    /// The last session granted was not good for a `sub`: the next ask is for a fresh one.
    ask_fresh_next: bool,
    /// A page resume found the socket open: a probe goes once a token allows.
    probe_wanted: bool,
    /// A socket with subscribed channels was lost then (the page's clock), and `resync` has not
    /// been emitted since.
    down_since: Option<f64>,
    /// The state and count the last `realtime` event gave.
    reported: (SocketState, u32),
    stopped: bool,
}

impl Realtime {
    pub fn new(settings: Settings, clock: Rc<Clock>) -> Self {
        Realtime {
            settings,
            clock,
            channels: Vec::new(),
            credentials: None,
            identity_gone: false,
            phase: Phase::Idle,
            sockets: 0,
            queries: 0,
            failures: 0,
            ask: Ask::Idle,
            ask_failures: 0,
            ask_fresh_next: false,
            probe_wanted: false,
            down_since: None,
            reported: (SocketState::Closed, 0),
            stopped: false,
        }
    }

    // ---- What can be read ----

    /// The socket's state as the `realtime` event reports it.
    pub fn state(&self) -> SocketState {
        match self.phase {
            Phase::Idle | Phase::Backoff { .. } => SocketState::Closed,
            Phase::Connecting { .. } => SocketState::Connecting,
            Phase::Open { .. } => SocketState::Open,
        }
    }

    /// How many channels are subscribed (confirmed on the socket open now).
    pub fn subscribed(&self) -> u32 {
        self.channels.iter().filter(|c| matches!(c.sub, Sub::Confirmed)).count() as u32
    }

    /// Whether the page wants `channel` (a listener subscribed and the channel has not ended).
    pub fn wants(&self, channel: &str) -> bool {
        self.channels.iter().any(|c| c.path == channel)
    }

    /// Whether `channel` is subscribed: notifications for it are delivered.
    pub fn is_subscribed(&self, channel: &str) -> bool {
        self.channels.iter().any(|c| c.path == channel && matches!(c.sub, Sub::Confirmed))
    }

    // ---- Calls from the page ----

    /// `subscribe(channel, listener)`: `listener` (the shell's number for the page's function)
    /// hears `channel`'s notifications once it is subscribed. The first channel opens the socket.
    /// A listener number already in use moves to `channel`.
    pub fn subscribe<H: Host>(&mut self, listener: u32, channel: &str, host: &mut H) -> Result<(), Error> {
        if self.stopped {
            return Err(error::stopped());
        }
        check_channel(channel)?;
        self.detach(listener);
        match self.channels.iter_mut().find(|c| c.path == channel) {
            Some(wanted) => wanted.listeners.push(listener),
            None => self.channels.push(Channel { path: channel.to_owned(), listeners: vec![listener], sub: Sub::Pending, refused_once: false }),
        }
        self.drive(host);
        Ok(())
    }

    /// The function `subscribe()` returned was called: harmless twice. A channel nobody listens
    /// to any more is dropped (the wire has no unsubscribe: its notifications are ignored); the
    /// last one closes the socket.
    pub fn unsubscribe<H: Host>(&mut self, listener: u32, host: &mut H) {
        if self.detach(listener) {
            self.drive(host);
        }
    }

    /// `forget()`: the socket closes, every channel is dropped and its listeners released; the
    /// next `subscribe()` starts over (with the next visitor).
    pub fn forget<H: Host>(&mut self, host: &mut H) {
        if self.stopped {
            return;
        }
        self.drop_everything(host);
        self.identity_gone = false;
        self.drive(host);
    }

    /// `stop()` (`free()`, `[Symbol.dispose]`): the socket closes, every listener is released,
    /// the timer disarmed, for good; no event follows.
    pub fn stop<H: Host>(&mut self, host: &mut H) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        self.drop_everything(host);
        host.effect(Effect::ArmTimer(None));
    }

    // ---- What the socket brings ----

    /// Socket `socket` opened: every wanted channel is subscribed on it.
    pub fn opened<H: Host>(&mut self, socket: SocketId, host: &mut H) {
        if let Phase::Connecting { socket: connecting, .. } = self.phase {
            if connecting == socket {
                self.phase = Phase::Open { socket, probe: None };
                self.probe_wanted = false;
                self.drive(host);
            }
        }
    }

    /// A text frame came on `socket`. Ignored: frames over [`MAX_FRAME_BYTES`], not JSON, of no
    /// known message or shape, answers to queries not out, notifications for channels not
    /// subscribed, anything on a socket let go.
    pub fn received<H: Host>(&mut self, socket: SocketId, text: &str, host: &mut H) {
        if self.open_socket() != Some(socket) || text.len() > MAX_FRAME_BYTES {
            return;
        }
        match host.parse::<Incoming<H::Resource>>(text) {
            Ok(Incoming::Answer { query, fail }) => self.answered(&query, fail, host),
            Ok(Incoming::Changed { channel, body }) => self.notified(channel, body, host),
            Ok(Incoming::Other) | Err(_) => return,
        }
        self.drive(host);
    }

    /// Socket `socket` closed or failed (by the server, the network, or never opening): reopened
    /// after the backoff.
    pub fn closed<H: Host>(&mut self, socket: SocketId, host: &mut H) {
        if self.socket() == Some(socket) {
            self.lose(false, host);
            self.drive(host);
        }
    }

    /// The timer fired: whatever was due (a socket that did not open or answer in time is
    /// replaced; a backoff ends; a failed ask for a session is made again).
    pub fn tick<H: Host>(&mut self, host: &mut H) {
        if self.stopped {
            return;
        }
        let now = self.now(host);
        let overdue = match self.phase {
            Phase::Connecting { deadline, .. } => deadline <= now,
            Phase::Open { probe, .. } => probe.is_some_and(|p| p.deadline <= now) || self.channels.iter().any(|c| matches!(c.sub, Sub::Sent { deadline, .. } if deadline <= now)),
            Phase::Backoff { until } => {
                if until <= now {
                    self.phase = Phase::Idle;
                }
                false
            }
            Phase::Idle => false,
        };
        if overdue {
            self.lose(true, host);
        }
        if let Ask::Wait { until } = self.ask {
            if until <= now {
                self.ask = Ask::Idle;
            }
        }
        self.drive(host);
    }

    /// The page came online, became visible or was shown again: a closed socket is reopened now
    /// (within a second), an open one probed with a `sub` (no `__qr__` within the request
    /// timeout: it is replaced), and a failed ask for a session made again.
    pub fn resumed<H: Host>(&mut self, host: &mut H) {
        if self.stopped {
            return;
        }
        let now = self.now(host);
        match self.phase {
            Phase::Backoff { until } => self.phase = Phase::Backoff { until: until.min(now + host.random().clamp(0.0, 1.0) * RESUME_JITTER_MS) },
            Phase::Open { probe: None, .. } => self.probe_wanted = self.subscribed() > 0,
            _ => {}
        }
        if let Ask::Wait { .. } = self.ask {
            self.ask = Ask::Idle;
        }
        self.drive(host);
    }

    // ---- What the lifecycle brings ----

    /// The answer to [`Effect::AskSession`]: a session, or why there is none (then asked again
    /// after a backoff; the lifecycle reports its own failures).
    pub fn granted<H: Host>(&mut self, result: Result<Credentials, Error>, host: &mut H) {
        if self.stopped {
            return;
        }
        let Ask::Out { fresh } = self.ask else {
            // Not asked for (or asked before a forget()): a session is news all the same.
            if let Ok(credentials) = result {
                self.adopt(credentials, false, host);
                self.drive(host);
            }
            return;
        };
        self.ask = Ask::Idle;
        let now = self.now(host);
        match result {
            Ok(credentials) => {
                let good = credentials.good_for_sub(now, self.settings.renew_before_ms);
                self.adopt(credentials, fresh, host);
                if good {
                    self.ask_failures = 0;
                } else if fresh {
                    // Even a fresh token is not good for a `sub` (its answer took longer than half
                    // its lifetime): a failure, not asked again at once.
                    self.ask_failed(now, host);
                } else {
                    self.ask_fresh_next = true;
                }
            }
            Err(_) => self.ask_failed(now, host),
        }
        self.drive(host);
    }

    /// The lifecycle adopted a session (its `session` event: renewed, from another tab, a reset
    /// identity, a new `socket_url`). A renewal alone does not touch the socket; another
    /// `socket_url` moves it; another visitor subscribes everything again on a new socket.
    pub fn session<H: Host>(&mut self, credentials: Credentials, host: &mut H) {
        if self.stopped {
            return;
        }
        self.adopt(credentials, false, host);
        self.drive(host);
    }

    /// The identity went without this page's `forget()` (another tab's, or storage cleared): its
    /// subscriptions go with the socket; the channels stay wanted and are subscribed again once
    /// a session of the next identity is told. None is asked for meanwhile (that would make one).
    pub fn identity_gone<H: Host>(&mut self, host: &mut H) {
        if self.stopped {
            return;
        }
        self.credentials = None;
        self.identity_gone = true;
        self.let_socket_go(host);
        self.phase = Phase::Idle;
        self.failures = 0;
        self.drive(host);
    }

    // ---- Inside ----

    /// Now, on the shared time line.
    fn now<H: Host>(&self, host: &H) -> f64 {
        self.clock.now(host.now(), host.monotonic())
    }

    /// The socket asked for or open, if any.
    fn socket(&self) -> Option<SocketId> {
        match self.phase {
            Phase::Connecting { socket, .. } | Phase::Open { socket, .. } => Some(socket),
            _ => None,
        }
    }

    fn open_socket(&self) -> Option<SocketId> {
        match self.phase {
            Phase::Open { socket, .. } => Some(socket),
            _ => None,
        }
    }

    /// Takes `listener` off its channel, dropping a channel left without listeners; `false` if
    /// it listened to none.
    fn detach(&mut self, listener: u32) -> bool {
        let Some(at) = self.channels.iter().position(|c| c.listeners.contains(&listener)) else { return false };
        self.channels[at].listeners.retain(|l| *l != listener);
        if self.channels[at].listeners.is_empty() {
            self.channels.remove(at);
        }
        true
    }

    /// Closes the socket (if any), releases every listener and forgets every channel and session.
    fn drop_everything<H: Host>(&mut self, host: &mut H) {
        if let Some(socket) = self.socket() {
            host.effect(Effect::Close { socket });
        }
        let listeners: Vec<u32> = self.channels.drain(..).flat_map(|c| c.listeners).collect();
        if !listeners.is_empty() {
            host.effect(Effect::Release { listeners });
        }
        self.phase = Phase::Idle;
        self.credentials = None;
        self.failures = 0;
        self.ask = Ask::Idle;
        self.ask_failures = 0;
        self.ask_fresh_next = false;
        self.probe_wanted = false;
        self.down_since = None;
    }

    /// Closes the socket (if any), and every channel waits to be subscribed on the next; a loss
    /// of subscribed channels is remembered for `resync`.
    fn let_socket_go<H: Host>(&mut self, host: &mut H) {
        if let Some(socket) = self.socket() {
            host.effect(Effect::Close { socket });
        }
        self.unsubscribe_all(host);
    }

    /// Every channel waits to be subscribed on the next socket.
    fn unsubscribe_all<H: Host>(&mut self, host: &H) {
        let mut lost = false;
        for channel in &mut self.channels {
            match channel.sub {
                Sub::Confirmed => {
                    lost = true;
                    channel.sub = Sub::Pending;
                }
                Sub::Sent { .. } => channel.sub = Sub::Pending,
                Sub::Pending | Sub::Refused { .. } => {}
            }
        }
        if lost && self.down_since.is_none() {
            let now = self.now(host);
            self.down_since = Some(now + self.clock.to_page());
        }
        self.probe_wanted = false;
    }

    /// The socket is lost (closed, failed, or taken for dead: then `close`d): backoff.
    fn lose<H: Host>(&mut self, close: bool, host: &mut H) {
        if close {
            if let Some(socket) = self.socket() {
                host.effect(Effect::Close { socket });
            }
        }
        self.unsubscribe_all(host);
        self.failures = self.failures.saturating_add(1);
        let now = self.now(host);
        let delay = self.settings.backoff.delay_ms(self.failures, host.random(), None, None);
        self.phase = Phase::Backoff { until: now + delay };
    }

    /// Takes a session: a new visitor or a new `socket_url` replaces the socket at once; a
    /// renewal only gives the next `sub`s their token. `fresh`: the server made it for this
    /// machine's ask after a refusal, so refused channels go again with it.
    fn adopt<H: Host>(&mut self, credentials: Credentials, fresh: bool, host: &mut H) {
        let previous = self.credentials.take();
        let identity = previous.as_ref().map_or(self.identity_gone, |p| p.visitor_id != credentials.visitor_id);
        let moved = previous.as_ref().is_some_and(|p| p.socket_url != credentials.socket_url);
        self.identity_gone = false;
        if identity {
            // A new visitor: what the server refused the last one counts no more.
            for channel in &mut self.channels {
                channel.refused_once = false;
                if let Sub::Refused { .. } = channel.sub {
                    channel.sub = Sub::Pending;
                }
            }
        }
        if fresh {
            for channel in &mut self.channels {
                if let Sub::Refused { .. } = channel.sub {
                    channel.sub = Sub::Pending;
                }
            }
        }
        self.credentials = Some(credentials);
        if (identity || moved) && !matches!(self.phase, Phase::Idle) {
            // The subscriptions of another visitor (or at another place) go with their socket;
            // the next one opens now, at the session's `socket_url`.
            self.let_socket_go(host);
            self.phase = Phase::Idle;
            self.failures = 0;
        }
    }

    /// An ask for a session failed: asked again after a backoff.
    fn ask_failed<H: Host>(&mut self, now: f64, host: &H) {
        self.ask_failures = self.ask_failures.saturating_add(1);
        let delay = self.settings.backoff.delay_ms(self.ask_failures, host.random(), None, None);
        self.ask = Ask::Wait { until: now + delay };
    }

    /// An `__qr__` for `query`.
    fn answered<H: Host>(&mut self, query: &Field, fail: bool, host: &mut H) {
        let Some(query) = query.as_integer().and_then(|q| u32::try_from(q).ok()) else { return };
        if let Phase::Open { socket, probe: Some(probe) } = self.phase {
            if probe.query == query {
                // The socket answers. (A probe re-subscribes a channel subscribed already: its
                // answer says nothing new about the channel, whose subscription was authorized
                // when it was made.)
                self.phase = Phase::Open { socket, probe: None };
                return;
            }
        }
        let Some(at) = self.channels.iter().position(|c| matches!(c.sub, Sub::Sent { query: q, .. } if q == query)) else { return };
        let channel = &mut self.channels[at];
        let Sub::Sent { token, .. } = core::mem::replace(&mut channel.sub, Sub::Pending) else { return };
        if !fail {
            channel.sub = Sub::Confirmed;
            channel.refused_once = false;
        } else if !channel.refused_once {
            // Refused: the token is renewed once (unless another has come meanwhile), and the
            // channel asked for again with it.
            channel.refused_once = true;
            channel.sub = Sub::Refused { token };
        } else {
            let ended = self.channels.remove(at);
            let error = error::channel_refused(&ended.path);
            host.effect(Effect::Emit(Event::ChannelRefused { channel: ended.path, error }));
            host.effect(Effect::Release { listeners: ended.listeners });
        }
    }

    /// A `changed` notification for `channel`: delivered when the channel is subscribed.
    fn notified<H: Host>(&mut self, channel: String, body: Members<H::Resource>, host: &mut H) {
        let Some(wanted) = self.channels.iter().find(|c| c.path == channel && matches!(c.sub, Sub::Confirmed)) else { return };
        let Some(action) = body.action.as_str().and_then(Action::parse) else { return };
        let resource_id = id_text(&body.resource_id_documented).or_else(|| id_text(&body.resource_id));
        let listeners = wanted.listeners.clone();
        host.effect(Effect::Deliver { listeners, change: Change { channel, action, resource_id, resource: body.resource } });
    }

    fn next_query(&mut self) -> u32 {
        self.queries = self.queries.checked_add(1).unwrap_or(1);
        self.queries
    }

    fn send_sub<H: Host>(&mut self, socket: SocketId, channel: &str, token: &AccessToken, host: &mut H) -> u32 {
        let query = self.next_query();
        let text = host.stringify(&SubFrame("sub", (channel, token.expose()), SubOptions { query }));
        host.effect(Effect::Send { socket, frame: Frame::new(text) });
        query
    }

    /// Asks the lifecycle for a session, unless an ask is out or waits, or the identity went
    /// (asking would make the next visitor: one comes when the page or another tab makes it).
    fn ask<H: Host>(&mut self, fresh: bool, host: &mut H) {
        if self.ask == Ask::Idle && !self.identity_gone {
            let fresh = fresh || core::mem::take(&mut self.ask_fresh_next);
            host.effect(Effect::AskSession { fresh });
            self.ask = Ask::Out { fresh };
        }
    }

    /// The end of every input: what the state calls for (open, subscribe, probe, ask for a
    /// session, close, `resync`), then the `realtime` event if anything it reports changed, and
    /// the timer.
    fn drive<H: Host>(&mut self, host: &mut H) {
        if self.stopped {
            return;
        }
        let now = self.now(host);
        if self.channels.is_empty() {
            // Nothing wanted: no socket.
            if let Some(socket) = self.socket() {
                host.effect(Effect::Close { socket });
            }
            self.phase = Phase::Idle;
            self.failures = 0;
            self.probe_wanted = false;
            self.down_since = None;
            if let Ask::Wait { .. } = self.ask {
                self.ask = Ask::Idle;
            }
        } else {
            self.step(now, host);
        }
        self.report(host);
        self.rearm(now, host);
    }

    fn step<H: Host>(&mut self, now: f64, host: &mut H) {
        // A channel refused with a token that has since been replaced goes again.
        if let Some(credentials) = &self.credentials {
            for channel in &mut self.channels {
                if matches!(&channel.sub, Sub::Refused { token } if *token != credentials.token) {
                    channel.sub = Sub::Pending;
                }
            }
        }
        if let (Phase::Idle, Some(credentials)) = (self.phase, &self.credentials) {
            let url = socket_address(&credentials.socket_url);
            self.sockets = self.sockets.checked_add(1).unwrap_or(1);
            let socket = SocketId(self.sockets);
            host.effect(Effect::Open { socket, url });
            self.phase = Phase::Connecting { socket, deadline: now + f64::from(self.settings.request_timeout_ms) };
        }
        if self.credentials.is_none() && !self.identity_gone {
            // The socket's place comes with a session.
            self.ask(false, host);
        }
        let Phase::Open { socket, probe } = self.phase else { return };
        let pending = self.channels.iter().any(|c| matches!(c.sub, Sub::Pending));
        let confirmed = self.channels.iter().position(|c| matches!(c.sub, Sub::Confirmed));
        if confirmed.is_none() {
            self.probe_wanted = false;
        }
        let probing = self.probe_wanted && probe.is_none();
        if pending || probing {
            let renew_before_ms = self.settings.renew_before_ms;
            match self.credentials.as_ref().filter(|c| c.good_for_sub(now, renew_before_ms)).map(|c| c.token.clone()) {
                Some(token) => {
                    let deadline = now + f64::from(self.settings.request_timeout_ms);
                    for at in 0..self.channels.len() {
                        if matches!(self.channels[at].sub, Sub::Pending) {
                            let path = core::mem::take(&mut self.channels[at].path);
                            let query = self.send_sub(socket, &path, &token, host);
                            let channel = &mut self.channels[at];
                            channel.path = path;
                            channel.sub = Sub::Sent { query, token: token.clone(), deadline };
                        }
                    }
                    if let (true, Some(at)) = (probing, confirmed) {
                        let path = core::mem::take(&mut self.channels[at].path);
                        let query = self.send_sub(socket, &path, &token, host);
                        self.channels[at].path = path;
                        self.phase = Phase::Open { socket, probe: Some(Probe { query, deadline }) };
                        self.probe_wanted = false;
                    }
                }
                // The token is not good for a `sub`: renewed first.
                None => self.ask(false, host),
            }
        }
        if self.channels.iter().any(|c| matches!(c.sub, Sub::Refused { .. })) {
            // Refused with the current token: a fresh one from the server.
            self.ask(true, host);
        }
        if self.channels.iter().all(|c| matches!(c.sub, Sub::Confirmed)) {
            // Every channel wanted is subscribed: the socket is healthy again.
            self.failures = 0;
            if let Some(since_ms) = self.down_since.take() {
                host.effect(Effect::Emit(Event::Resync { channels: self.subscribed(), since_ms }));
            }
        }
    }

    /// The `realtime` event, when the state or the count of subscribed channels changed.
    fn report<H: Host>(&mut self, host: &mut H) {
        let now = (self.state(), self.subscribed());
        if now != self.reported {
            self.reported = now;
            host.effect(Effect::Emit(Event::Realtime { state: now.0, channels: now.1 }));
        }
    }

    /// Arms the timer for the earliest of: the socket's deadline to open, a `sub`'s or the
    /// probe's deadline, the end of the backoff, the next ask for a session.
    fn rearm<H: Host>(&self, now: f64, host: &mut H) {
        let mut next = match self.phase {
            Phase::Idle => f64::INFINITY,
            Phase::Connecting { deadline, .. } => deadline,
            Phase::Open { probe, .. } => probe.map_or(f64::INFINITY, |p| p.deadline),
            Phase::Backoff { until } => until,
        };
        for channel in &self.channels {
            if let Sub::Sent { deadline, .. } = channel.sub {
                next = next.min(deadline);
            }
        }
        if let Ask::Wait { until } = self.ask {
            if !self.channels.is_empty() {
                next = next.min(until);
            }
        }
        let delay = (next != f64::INFINITY).then(|| timer_delay_ms(next, now));
        host.effect(Effect::ArmTimer(delay));
    }
}

/// A resource id as the page is given it: a string, or an integer written out (by the float's
/// `Display`, which writes a whole number without a fraction or an exponent, and is in the
/// `.wasm` already: an integer's would add its own).
fn id_text(field: &Field) -> Option<String> {
    match field {
        Field::String(_) => field.as_str().map(str::to_owned),
        // `+ 0.0`: -0 is written 0.
        Field::Number(n) => field.as_integer().map(|_| (n + 0.0).to_string()),
        _ => None,
    }
}

// ---- The wire ----

/// `["sub", ["<channel>", "<token>"], {"query": <id>}]`. Never printed: it holds a token.
#[derive(Serialize)]
struct SubFrame<'a>(&'static str, (&'a str, &'a str), SubOptions);

#[derive(Serialize)]
struct SubOptions {
    query: u32,
}

/// A frame from the server, as far as the machine reads it.
enum Incoming<R> {
    /// `["__qr__", [[]], {"query": <id>, "fail"?: true}]`.
    Answer { query: Field, fail: bool },
    /// `["changed", ["<channel>", {...}]]`.
    Changed { channel: String, body: Members<R> },
    /// An array of another message.
    Other,
}

/// The members of a message's object that the machine reads: `{"query": <id>, "fail": true}` of
/// a `__qr__`'s options, `{"action", "resourceId" | "resource_id", "resource"}` of a `changed`'s
/// body. Other members (`channel`, in the current docs' spelling of a body) are ignored. One type,
/// read by one visitor, for both: each visitor is compiled once per kind of map access the
/// browser's deserializer has.
struct Members<R> {
    query: Field,
    /// Refused only when it is `true`.
    fail: Field,
    action: Field,
    resource_id_documented: Field,
    resource_id: Field,
    resource: Option<R>,
}

/// The arguments of a `changed`: the channel and the body.
#[derive(Deserialize)]
#[serde(bound = "R: Deserialize<'de>")]
struct ChangedArgs<R>(String, Members<R>);

// Read by hand from a JSON object only (serde's derive would read a struct from an array too, by
// position: `[2]` would be `{"query": 2}`), member by member, each member's name read as a `Field`
// (one type for every name); a member named twice counts as the last one, as `JSON.parse` keeps it.
impl<'de, R: Deserialize<'de>> Deserialize<'de> for Members<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor(PhantomData))
    }
}

struct MembersVisitor<R>(PhantomData<R>);

impl<'de, R: Deserialize<'de>> Visitor<'de> for MembersVisitor<R> {
    type Value = Members<R>;

    fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<R>, A::Error> {
        let mut members = Members { query: Field::Absent, fail: Field::Absent, action: Field::Absent, resource_id_documented: Field::Absent, resource_id: Field::Absent, resource: None };
        while let Some(name) = map.next_key::<Field>()? {
            match name.as_str() {
                Some("query") => members.query = map.next_value()?,
                Some("fail") => members.fail = map.next_value()?,
                Some("action") => members.action = map.next_value()?,
                Some("resourceId") => members.resource_id_documented = map.next_value()?,
                Some("resource_id") => members.resource_id = map.next_value()?,
                Some("resource") => members.resource = map.next_value()?,
                _ => drop(map.next_value::<IgnoredAny>()?),
            }
        }
        Ok(members)
    }
}

impl<'de, R: Deserialize<'de>> Deserialize<'de> for Incoming<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(IncomingVisitor(PhantomData))
    }
}

struct IncomingVisitor<R>(PhantomData<R>);

impl<'de, R: Deserialize<'de>> Visitor<'de> for IncomingVisitor<R> {
    type Value = Incoming<R>;

    fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("a message of the socket API (an array)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Incoming<R>, A::Error> {
        let name: Field = seq.next_element()?.unwrap_or_default();
        let incoming = match name.as_str() {
            Some("__qr__") => {
                let _results: Option<IgnoredAny> = seq.next_element()?;
                match seq.next_element::<Members<R>>()? {
                    Some(options) => Incoming::Answer { query: options.query, fail: options.fail == Field::Bool(true) },
                    None => Incoming::Other,
                }
            }
            Some("changed") => match seq.next_element::<ChangedArgs<R>>()? {
                Some(ChangedArgs(channel, body)) => Incoming::Changed { channel, body },
                None => Incoming::Other,
            },
            _ => Incoming::Other,
        };
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(incoming)
    }
}

#[cfg(test)]
mod tests;
