//! The shell of real-time channels (SPEC §2a): the core's [`Realtime`] machine, fed by the page's
//! `subscribe()` calls, the socket's events, its timer and the lifecycle's news, and its effects
//! carried out: sockets (`socket.rs`, the transport), a `gloo-timers` timeout, sessions asked of
//! the lifecycle as an `authenticate()` call, notifications handed to the channels' listeners,
//! events to the visitor's subscribers.
//!
//! The machine and the lifecycle never read each other: what the lifecycle decided reaches the
//! machine through [`Browser::follow_lifecycle`], from the lifecycle's own events and the input
//! it handled (a `session` event, an identity gone, a page resume, `stop()`, `forget()`), and the
//! machine's ask for a session reaches the lifecycle as an `Input::Authenticate` call.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use wasm_bindgen::JsValue;

use super::calls::{Failure, Outcome};
use super::socket::{Socket, SocketEvent};
use super::{guarded, listeners, timeout, Browser, Input};
use crate::core::error::{self, Error};
use crate::core::lifecycle::{self, Event};
use crate::core::realtime::{self, Change, Credentials, Effect, Host, Realtime, SocketId};
use crate::core::wire::JsonProblem;

/// A notification's `resource`: the very JS value `JSON.parse` made of the frame (an object, or
/// `null`), handed to the page as it is.
#[derive(Clone, Debug)]
pub struct Resource(pub JsValue);

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_wasm_bindgen::preserve::deserialize(deserializer).map(Resource)
    }
}

impl Serialize for Resource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_wasm_bindgen::preserve::serialize(&self.0, serializer)
    }
}

/// What a channel's notification is handed to (a page function, through the JS class, or a Rust
/// closure).
pub type ChangeListener = Rc<dyn Fn(&Change<Resource>)>;

/// What reaches the machine from the page, the socket, the timer and the asks for a session.
pub enum ChannelInput {
    Subscribe { listener: u32, channel: String },
    Unsubscribe { listener: u32 },
    Socket { socket: SocketId, event: SocketEvent },
    Tick,
    Granted(Result<Credentials, Error>),
}

/// What the input the lifecycle just handled means for the machine, beside its events.
#[derive(Clone, Copy, PartialEq)]
pub enum Cue {
    None,
    /// The page came online, became visible or was shown again.
    Resumed,
    /// This page's `forget()`.
    Forgot,
    Stopped,
}

impl Cue {
    pub fn of(input: &Input) -> Self {
        match input {
            Input::Woke => Cue::Resumed,
            Input::Forget { .. } => Cue::Forgot,
            Input::Stop => Cue::Stopped,
            _ => Cue::None,
        }
    }
}

/// The real-time side of a visitor's shell: the machine, its listeners and what is under way.
pub struct Channels {
    machine: RefCell<Realtime>,
    listeners: RefCell<Vec<(u32, ChangeListener)>>,
    next_listener: std::cell::Cell<u32>,
    /// The sockets open or opening (one, but for a moment two while it moves), each shared with
    /// the effect using it (page code may run in `send`).
    sockets: RefCell<Vec<(SocketId, Rc<Socket>)>>,
    timer: RefCell<Option<gloo_timers::callback::Timeout>>,
}

impl Channels {
    pub fn new(machine: Realtime) -> Self {
        Channels {
            machine: RefCell::new(machine),
            listeners: RefCell::default(),
            next_listener: std::cell::Cell::new(0),
            sockets: RefCell::default(),
            timer: RefCell::default(),
        }
    }

    /// Takes socket `socket` out of those under way, to be dropped by the caller.
    pub fn take_socket(&self, socket: SocketId) -> Option<Rc<Socket>> {
        let mut sockets = self.sockets.borrow_mut();
        let at = sockets.iter().position(|(id, _)| *id == socket)?;
        Some(sockets.remove(at).1)
    }

    /// Lets every socket and the timer go (`stop()`): not borrowed while they end, since ending
    /// them runs what the page may have replaced.
    pub fn end(&self) {
        let sockets = std::mem::take(&mut *self.sockets.borrow_mut());
        let timer = self.timer.borrow_mut().take();
        self.listeners.borrow_mut().clear();
        drop((sockets, timer));
    }
}

/// What the machine reads while it decides; its effects are collected, to be performed after.
struct ChannelHost {
    effects: Vec<Effect<Resource>>,
}

impl Host for ChannelHost {
    type Resource = Resource;

    fn now(&self) -> f64 {
        guarded::now()
    }

    fn monotonic(&self) -> f64 {
        guarded::monotonic()
    }

    fn random(&self) -> f64 {
        guarded::random()
    }

    fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, JsonProblem> {
        super::parse(text)
    }

    fn stringify<T: Serialize>(&self, value: &T) -> String {
        super::stringify(value)
    }

    fn effect(&mut self, effect: Effect<Resource>) {
        self.effects.push(effect);
    }
}

impl Browser {
    /// `subscribe(channel, listener)`: the listener's number, which unsubscribes it; `stopped`
    /// after `stop()`, `invalid_channel` for what is not a channel (nothing is done then).
    pub fn subscribe_channel(&self, channel: &str, listener: ChangeListener) -> Result<u32, Error> {
        if self.is_stopped() {
            return Err(error::stopped());
        }
        realtime::check_channel(channel)?;
        let channels = &self.channels;
        let id = channels.next_listener.get().checked_add(1).unwrap_or(1);
        channels.next_listener.set(id);
        channels.listeners.borrow_mut().push((id, listener));
        self.deliver(Input::Channels(ChannelInput::Subscribe { listener: id, channel: channel.to_owned() }));
        Ok(id)
    }

    /// The function `subscribe()` returned was called (harmless twice): the listener hears
    /// nothing more from now on, even of a notification being handed out.
    pub fn unsubscribe_channel(&self, listener: u32) {
        let removed = {
            let mut listeners = self.channels.listeners.borrow_mut();
            let before = listeners.len();
            listeners.retain(|(id, _)| *id != listener);
            listeners.len() != before
        };
        if removed {
            self.deliver(Input::Channels(ChannelInput::Unsubscribe { listener }));
        }
    }

    /// The machine's decision on one of its inputs.
    pub(super) fn decide_channels(&self, input: ChannelInput) -> Vec<Effect<Resource>> {
        let mut host = ChannelHost { effects: Vec::new() };
        let mut machine = self.channels.machine.borrow_mut();
        match input {
            ChannelInput::Subscribe { listener, channel } => {
                // Checked by `subscribe_channel`; after a `stop()` that came meanwhile, the
                // machine refuses it and the listener goes.
                if machine.subscribe(listener, &channel, &mut host).is_err() {
                    host.effect(Effect::Release { listeners: vec![listener] });
                }
            }
            ChannelInput::Unsubscribe { listener } => machine.unsubscribe(listener, &mut host),
            ChannelInput::Socket { socket, event } => match event {
                SocketEvent::Opened => machine.opened(socket, &mut host),
                SocketEvent::Frame(text) => machine.received(socket, &text, &mut host),
                SocketEvent::Closed => machine.closed(socket, &mut host),
            },
            ChannelInput::Tick => machine.tick(&mut host),
            ChannelInput::Granted(result) => machine.granted(result, &mut host),
        }
        host.effects
    }

    /// What the lifecycle just decided, told to the machine: its sessions, an identity gone, a
    /// page resume, `forget()` and `stop()`.
    pub(super) fn follow_lifecycle(&self, cue: Cue, effects: &[lifecycle::Effect]) -> Vec<Effect<Resource>> {
        let mut host = ChannelHost { effects: Vec::new() };
        let mut machine = self.channels.machine.borrow_mut();
        for effect in effects {
            match effect {
                lifecycle::Effect::Emit(Event::Session { session, .. }) => machine.session(Credentials::of(session), &mut host),
                lifecycle::Effect::Emit(Event::IdentityChange { current: None, .. }) if cue != Cue::Forgot => machine.identity_gone(&mut host),
                _ => {}
            }
        }
        match cue {
            Cue::Resumed => machine.resumed(&mut host),
            Cue::Forgot => machine.forget(&mut host),
            Cue::Stopped => machine.stop(&mut host),
            Cue::None => {}
        }
        host.effects
    }

    /// Carries one of the machine's effects out. Nothing is borrowed while page code runs.
    pub(super) fn perform_channel(&self, effect: Effect<Resource>) {
        let this = self.this.clone();
        let channels = &self.channels;
        match effect {
            Effect::Open { socket, url } => {
                let opened = Socket::open(&url, move |event| {
                    if let Some(browser) = this.upgrade() {
                        browser.deliver(Input::Channels(ChannelInput::Socket { socket, event }));
                    }
                });
                match opened {
                    Some(opened) => channels.sockets.borrow_mut().push((socket, Rc::new(opened))),
                    None => self.deliver(Input::Channels(ChannelInput::Socket { socket, event: SocketEvent::Closed })),
                }
            }
            Effect::Send { socket, frame } => {
                let open = channels.sockets.borrow().iter().find(|(id, _)| *id == socket).map(|(_, s)| s.clone());
                if !open.is_some_and(|open| open.send(frame.expose())) {
                    self.deliver(Input::Channels(ChannelInput::Socket { socket, event: SocketEvent::Closed }));
                }
            }
            Effect::Close { socket } => drop(channels.take_socket(socket)),
            Effect::ArmTimer(delay) => {
                let timer = delay.map(|ms| {
                    timeout(ms, Box::new(move || {
                        if let Some(browser) = this.upgrade() {
                            browser.deliver(Input::Channels(ChannelInput::Tick));
                        }
                    }))
                });
                let old = std::mem::replace(&mut *channels.timer.borrow_mut(), timer);
                drop(old);
            }
            Effect::AskSession { fresh } => {
                let settle = Box::new(move |outcome: Result<Outcome, Failure>| {
                    let result = match outcome {
                        Ok(Outcome::Session(session)) => Ok(Credentials::of(&session)),
                        Ok(_) | Err(Failure::Aborted(_)) => Err(error::stopped()),
                        Err(Failure::Error(error)) => Err(error),
                    };
                    if let Some(browser) = this.upgrade() {
                        browser.deliver(Input::Channels(ChannelInput::Granted(result)));
                    }
                });
                if let Some(call) = self.open(None, settle) {
                    self.deliver(Input::Authenticate { call, force: fresh });
                }
            }
            Effect::Emit(event) => self.emit(listeners::Event::Channels(event)),
            Effect::Deliver { listeners, change } => {
                for id in listeners {
                    // Looked up for each: an earlier listener may have unsubscribed this one.
                    let listener = channels.listeners.borrow().iter().find(|(other, _)| *other == id).map(|(_, l)| l.clone());
                    if let Some(listener) = listener {
                        listener(&change);
                    }
                }
            }
            Effect::Release { listeners } => channels.listeners.borrow_mut().retain(|(id, _)| !listeners.contains(id)),
        }
    }
}
