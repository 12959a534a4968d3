//! The browser shell: [`Browser`] feeds the lifecycle its inputs and performs the effects it asks
//! for, each with the crate made for it:
//!
//! - `net.rs`: the auth request (`gloo-net`), its timeout (`AbortController`), `Retry-After`;
//! - `storage.rs`: `localStorage`/`sessionStorage` through `gloo-storage`, behind an availability
//!   check, with its fallback to memory;
//! - the timer: a `gloo-timers` `Timeout` (dropping it cancels);
//! - `page.rs`: `visibilitychange`, `pageshow`, `online` and `storage` listeners (`web-sys`);
//! - `copies.rs`: what tells other copies of the SDK in the page (the embed beside the npm
//!   entry) of this one's storage writes;
//! - `locks.rs`: Web Locks (`navigator.locks`, a typed binding);
//! - `calls.rs`: the calls waiting for the lifecycle, each with what settles it, and the
//!   caller's own request sent with the token;
//! - `guarded.rs`: every call into what the page can replace (`fetch`, `Date.now`, ...), as a
//!   `Result`, so that no exception of the page's unwinds through the shell;
//! - `listeners.rs`: the subscribers to the visitor's events;
//! - `realtime.rs` (feature `realtime`): the real-time channels' machine and its effects, over
//!   `socket.rs`, the transport (a `WebSocket`: the one inference, see there).
//!
//! Both APIs sit on this shell: the Rust `Visitor` (`crate::visitor`) and the JS class
//! (`crate::js`, behind the `js` feature) each open calls and subscribe here, and only turn what
//! comes back into their own types.
//!
//! Reentrancy: page code (a listener, a getter on `fetch()`'s `init`, a promise's `then`) may call
//! the visitor back at any moment. Every input therefore goes through one inbox: the lifecycle
//! is borrowed only while it decides, never while an effect runs, and an input that arrives
//! while another is being handled waits its turn instead of borrowing twice.

pub mod calls;
pub mod copies;
pub mod guarded;
pub mod listeners;
pub mod locks;
pub mod net;
pub mod page;
#[cfg(feature = "realtime")]
pub mod realtime;
#[cfg(feature = "realtime")]
pub mod socket;
pub mod storage;
pub mod urls;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::core::error::{self, Error};
use crate::core::clock::Clock;
use crate::core::lifecycle::{self, Effect, Host, Lifecycle, Response, Want};
use crate::core::options::{Options, StorageKind, StorageReason};
use crate::core::session::Session;
use crate::core::record;
use crate::core::wire::{AuthRequest, JsonProblem};
use calls::{Calls, Failure, Outcome, Outgoing, Settle};
use listeners::Listeners;
use storage::Storage;

/// What reaches the lifecycle: the page's calls, and what the effects bring back.
pub enum Input {
    /// The visitor was made: the cached session, if any.
    Load,
    Authenticate { call: u32, force: bool },
    /// `getAccessToken()` (`Want::Token`) or `fetch()` (`Want::Send`).
    Token { call: u32, min_ms: f64, want: Want },
    /// The page's request of `fetch()` call `call`, sent with `token`, came back.
    Sent { call: u32, response: web_sys::Response, token: String, retried: bool },
    Forget { call: u32 },
    /// The page aborted `fetch()` call `call` (its `AbortSignal`) while it waited for a token.
    Abandon { call: u32 },
    /// `setStorage(kind)`.
    SetStorage { call: u32, kind: StorageKind },
    Stop,
    Answered { seq: u32, result: Result<Response, Error> },
    Locked { granted: bool },
    Tick,
    Woke,
    TabChanged { key: Option<String>, value: Option<String> },
    /// Another visitor of this page wrote `key` (`value`; `None`: removed) in the browser storage
    /// named `storage`: heard as another tab's write when this visitor keeps its things there.
    PageWrote { storage: &'static str, key: String, value: Option<String> },
    /// Another copy of the SDK in the page wrote to storage (or the page says so): what this
    /// visitor's keys hold is read again, as written by another tab.
    CopyWrote,
    /// The page's Content-Security-Policy refused a request: its `effectiveDirective` and
    /// `blockedURI`.
    RefusedByPolicy { directive: String, blocked: String },
    /// For the real-time channels' machine (`realtime.rs`), not the lifecycle.
    #[cfg(feature = "realtime")]
    Channels(realtime::ChannelInput),
}

/// The effects under way: each handle ends its effect when dropped or told to.
#[derive(Default)]
struct Running {
    timer: Option<Timeout>,
    request: Option<web_sys::AbortController>,
    lock: Option<locks::Lock>,
    page: Option<page::PageListeners>,
    /// From the first auth request on: the page's policy refusing one.
    policy: Option<page::PolicyListener>,
}

/// What the getters read: the visitor as the latest decision left it. Page code that the
/// lifecycle runs while it decides (a `Storage` override, a `Date.now` replacement) may read a
/// getter, and the lifecycle is borrowed then; this copy is not.
pub struct View {
    pub session: Option<Session>,
    /// Where things are kept now (memory after a fallback).
    pub storage: StorageKind,
    clock: Rc<Clock>,
}

/// One visitor in the browser: its lifecycle and everything that carries it out.
pub struct Browser {
    /// The options it was made with, shared with the lifecycle (which is borrowed while it decides).
    options: Rc<Options>,
    life: RefCell<Lifecycle>,
    view: RefCell<View>,
    storage: RefCell<Storage>,
    inbox: RefCell<VecDeque<Input>>,
    /// An input is being handled further up the stack: new ones wait in the inbox.
    busy: Cell<bool>,
    running: RefCell<Running>,
    calls: RefCell<Calls>,
    listeners: RefCell<Listeners>,
    /// Counts lock requests, so that the answer to a withdrawn one is not taken.
    lock_seq: Cell<u32>,
    /// This visitor's storage keys, the secret's first: read again when another copy of the SDK
    /// in the page wrote.
    keys: [String; 2],
    #[cfg(feature = "realtime")]
    channels: realtime::Channels,
    this: Weak<Browser>,
}

thread_local! {
    /// The visitors of this page. What one writes to storage reaches the others as another tab's
    /// write does, since the browser's `storage` event never fires in the page that wrote.
    static PAGE: RefCell<Vec<Weak<Browser>>> = RefCell::default();
}

/// A `gloo-timers` `Timeout` that runs `then` after `ms` (dropping it cancels). Every timer of the
/// shell goes through here, as a boxed closure: one instance of `Timeout::new` and of its glue,
/// not one per closure type.
pub fn timeout(ms: u32, then: Box<dyn FnOnce()>) -> Timeout {
    Timeout::new(ms, then)
}

/// How structured values become JS (`null`, not `undefined`, for what is absent).
pub const SERIALIZER: serde_wasm_bindgen::Serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);

impl Browser {
    /// A visitor's shell, with the session cached in storage (if valid) already current.
    pub fn new(options: Options) -> Rc<Browser> {
        let storage = Storage::open(options.storage);
        let keys = [record::secret_key(&options.prefix, &options.api), record::session_key(&options.prefix, &options.api, &options.org)];
        let life = Lifecycle::new(options);
        let options = life.options.clone();
        let view = View { session: None, storage: storage.kind(), clock: life.clock() };
        #[cfg(feature = "realtime")]
        let channels = realtime::Channels::new(crate::core::realtime::Realtime::new(crate::core::realtime::Settings::of(&options), life.clock()));
        let browser = Rc::new_cyclic(|this| Browser {
            options,
            life: RefCell::new(life),
            view: RefCell::new(view),
            storage: RefCell::new(storage),
            inbox: RefCell::default(),
            busy: Cell::new(false),
            running: RefCell::default(),
            calls: RefCell::default(),
            listeners: RefCell::default(),
            lock_seq: Cell::new(0),
            keys,
            #[cfg(feature = "realtime")]
            channels,
            this: this.clone(),
        });
        PAGE.with(|page| {
            let mut page = page.borrow_mut();
            page.retain(|other| other.strong_count() > 0);
            page.push(Rc::downgrade(&browser));
        });
        browser.deliver(Input::Load);
        browser
    }

    /// Tells the other visitors of the page what this one wrote to the storage they share.
    fn share_writes(&self) {
        let written = self.storage.borrow_mut().take_written();
        if written.is_empty() {
            return;
        }
        copies::tell();
        let others: Vec<Rc<Browser>> = PAGE.with(|page| {
            page.borrow().iter().filter_map(Weak::upgrade).filter(|other| !std::ptr::eq(Rc::as_ptr(other), self)).collect()
        });
        // Each hears every write, and tells for itself whether it keeps its things there: another
        // visitor may be deciding further up the stack (page code called this one from its
        // `Storage` override), its storage borrowed; the write then waits in its inbox.
        for other in others.iter().filter(|other| !other.is_stopped()) {
            for write in &written {
                other.deliver(Input::PageWrote { storage: write.storage, key: write.key.clone(), value: write.value.clone() });
            }
        }
    }

    /// The options the visitor was made with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Whether the current token is valid now, by the time that has really passed (the clocks
    /// are read first: the page may have replaced them).
    pub fn is_authenticated(&self) -> bool {
        let (wall, mono) = (guarded::now(), guarded::monotonic());
        let view = self.view.borrow();
        lifecycle::valid_now(view.session.as_ref(), &view.clock, wall, mono)
    }

    /// The current session, as the latest decision left it (a copy: page code may run while
    /// the caller uses it, a getter building JS objects).
    pub fn session(&self) -> Option<Session> {
        self.view.borrow().session.clone()
    }

    /// Where things are kept now (memory after a fallback).
    pub fn storage_kind(&self) -> StorageKind {
        self.view.borrow().storage
    }

    /// A new call, with what settles it, watched for its signal's abort: its number, for the
    /// input the caller then delivers (`None` after `stop()`, when `settle` has heard `stopped`).
    pub fn open(&self, request: Option<Outgoing>, settle: Settle) -> Option<u32> {
        let call = self.calls.borrow_mut().open(request, settle)?;
        calls::watch_abort(self, call);
        Some(call)
    }

    /// The caller of call `call` no longer wants it (a dropped future): it ends without being
    /// settled, and the lifecycle stops waiting for it.
    pub fn abandon(&self, call: u32) {
        let pending = self.calls.borrow_mut().take(call);
        if pending.is_some() {
            drop(pending);
            self.deliver(Input::Abandon { call });
        }
    }

    /// Whether `stop()` was called.
    pub fn is_stopped(&self) -> bool {
        self.calls.borrow().stopped
    }

    /// Subscribes `listener` to every event; the number that unsubscribes it.
    pub fn subscribe(&self, listener: listeners::Listener) -> u32 {
        self.listeners.borrow_mut().add(listener)
    }

    pub fn unsubscribe(&self, id: u32) {
        self.listeners.borrow().remove(id);
    }

    /// Hands `event` to the subscribers (from a microtask).
    fn emit(&self, event: listeners::Event) {
        self.listeners.borrow().emit(event);
    }

    /// Hands `input` to the lifecycle, and performs what it asks for; an input that arrives
    /// meanwhile (from page code an effect ran) is handled right after.
    pub fn deliver(&self, input: Input) {
        self.inbox.borrow_mut().push_back(input);
        if self.busy.replace(true) {
            return;
        }
        loop {
            let next = self.inbox.borrow_mut().pop_front();
            let Some(input) = next else { break };
            #[cfg(feature = "realtime")]
            let input = match input {
                Input::Channels(input) => {
                    // A socket that closed (or was given up by the shell) is let go here, where
                    // nothing is borrowed: ending it runs what the page may have replaced.
                    if let realtime::ChannelInput::Socket { socket, event: socket::SocketEvent::Closed } = &input {
                        drop(self.channels.take_socket(*socket));
                    }
                    for effect in self.decide_channels(input) {
                        self.perform_channel(effect);
                    }
                    continue;
                }
                input => input,
            };
            #[cfg(feature = "realtime")]
            let cue = realtime::Cue::of(&input);
            let (effects, sent) = self.decide(input);
            self.refresh_view();
            self.share_writes();
            #[cfg(feature = "realtime")]
            let channel_effects = self.follow_lifecycle(cue, &effects);
            if let Some((call, response)) = sent {
                calls::settle(self, call, Ok(Outcome::Response(response)));
            }
            for effect in effects {
                self.perform(effect);
            }
            #[cfg(feature = "realtime")]
            for effect in channel_effects {
                self.perform_channel(effect);
            }
        }
        self.busy.set(false);
    }

    /// The view of the getters, as the decision just made left the visitor.
    fn refresh_view(&self) {
        let session = self.life.borrow().session.clone();
        let storage = self.storage.borrow().kind();
        let mut view = self.view.borrow_mut();
        view.session = session;
        view.storage = storage;
    }

    /// The lifecycle's decision on one input: its effects, and for a page request that came back
    /// as the final answer, that answer.
    fn decide(&self, input: Input) -> (Vec<Effect>, Option<(u32, web_sys::Response)>) {
        let mut life = self.life.borrow_mut();
        let mut storage = self.storage.borrow_mut();
        let mut host = BrowserHost { storage: &mut storage, effects: Vec::new() };
        let mut sent = None;
        match input {
            Input::Load => life.load(&mut host),
            Input::Authenticate { call, force } => life.authenticate(call, force, &mut host),
            Input::Token { call, min_ms, want } => life.token(call, min_ms, want, &mut host),
            Input::Sent { call, response, token, retried } => {
                if life.sent(call, response.status(), retried, &token, &mut host) {
                    sent = Some((call, response));
                }
            }
            Input::Forget { call } => life.forget(call, &mut host),
            Input::Abandon { call } => life.abandon(call, &mut host),
            Input::SetStorage { call, kind } => life.set_storage(call, kind, &mut host),
            Input::Stop => life.stop(&mut host),
            Input::Answered { seq, result } => life.answered(seq, result, &mut host),
            Input::Locked { granted } => life.locked(granted, &mut host),
            Input::Tick => life.tick(&mut host),
            Input::Woke => life.woke(&mut host),
            Input::TabChanged { key, value } => life.tab_changed(key.as_deref(), value.as_deref(), &mut host),
            Input::PageWrote { storage, key, value } => {
                if host.storage.shared() == Some(storage) {
                    life.tab_changed(Some(&key), value.as_deref(), &mut host);
                }
            }
            Input::RefusedByPolicy { directive, blocked } => life.refused_by_policy(&directive, &blocked, &mut host),
            // Handled before the lifecycle is asked (`deliver`).
            #[cfg(feature = "realtime")]
            Input::Channels(_) => {}
            Input::CopyWrote => {
                // Nothing of the event is trusted: what the keys hold is read from storage.
                for key in &self.keys {
                    if let Some(value) = host.storage.peek(key) {
                        life.tab_changed(Some(key), value.as_deref(), &mut host);
                    }
                }
            }
        }
        (host.effects, sent)
    }

    /// Hands each input to this visitor, as long as it lives: what its page listeners call.
    fn deliverer(&self) -> impl Fn(Input) + 'static {
        let this = self.this.clone();
        move |input| {
            if let Some(browser) = this.upgrade() {
                browser.deliver(input);
            }
        }
    }

    /// Carries one effect out. The lifecycle is not borrowed here: page code may run.
    fn perform(&self, effect: Effect) {
        let this = self.this.clone();
        match effect {
            Effect::Post { seq, url, secret, timeout_ms } => {
                if self.running.borrow().policy.is_none() {
                    // Not borrowed while it listens: the page may have wrapped `addEventListener`.
                    let policy = page::PolicyListener::listen(self.deliverer());
                    self.running.borrow_mut().policy = policy;
                }
                let body = stringify(&AuthRequest::new(secret.as_ref()));
                let controller = net::post(url, body, timeout_ms, move |result| {
                    if let Some(browser) = this.upgrade() {
                        browser.deliver(Input::Answered { seq, result });
                    }
                });
                self.running.borrow_mut().request = controller;
            }
            Effect::Abort => {
                if let Some(controller) = self.running.borrow_mut().request.take() {
                    controller.abort();
                }
            }
            Effect::Lock { name, if_available } => {
                let seq = self.lock_seq.get().wrapping_add(1);
                self.lock_seq.set(seq);
                let lock = locks::request(&name, if_available, move |granted| {
                    if let Some(browser) = this.upgrade().filter(|b| b.lock_seq.get() == seq) {
                        browser.deliver(Input::Locked { granted });
                    }
                });
                // A browser without Web Locks, or one whose request throws: go on without.
                let refused = lock.is_none();
                self.running.borrow_mut().lock = lock;
                if refused {
                    self.deliver(Input::Locked { granted: false });
                }
            }
            Effect::Unlock => {
                self.lock_seq.set(self.lock_seq.get().wrapping_add(1));
                let lock = self.running.borrow_mut().lock.take();
                if let Some(lock) = lock {
                    lock.release();
                }
            }
            Effect::ArmTimer(delay) => {
                let timer = delay.map(|ms| {
                    timeout(ms, Box::new(move || {
                        if let Some(browser) = this.upgrade() {
                            browser.deliver(Input::Tick);
                        }
                    }))
                });
                // Replacing the old `Timeout` drops it, which cancels it.
                let old = std::mem::replace(&mut self.running.borrow_mut().timer, timer);
                drop(old);
            }
            Effect::Listen { on, tabs } => {
                let listeners = on.then(|| page::PageListeners::listen(tabs, self.deliverer()));
                // The old listeners are removed when dropped.
                let old = std::mem::replace(&mut self.running.borrow_mut().page, listeners.flatten());
                drop(old);
            }
            Effect::Emit(event) => self.emit(listeners::Event::Visitor(event)),
            Effect::Reply { call, outcome } => calls::reply(self, call, outcome),
        }
    }

    /// `stop()`: the lifecycle stops; every pending call rejects, listeners go, and later calls
    /// reject at once.
    pub fn stop(&self) {
        self.calls.borrow_mut().stopped = true;
        self.deliver(Input::Stop);
        let pending = self.calls.borrow_mut().take_all();
        for call in pending {
            call.settle(Err(Failure::Error(error::stopped())));
        }
        self.listeners.borrow_mut().clear();
        #[cfg(feature = "realtime")]
        self.channels.end();
        // Dropped once no longer borrowed: ending them calls what the page may have replaced
        // (`clearTimeout`, `removeEventListener`), which may call the visitor back.
        let running = std::mem::take(&mut *self.running.borrow_mut());
        drop(running);
    }
}

/// What the lifecycle reads while it decides: the clock, chance, JSON (through `JSON.parse` and
/// `serde-wasm-bindgen`), storage; its effects are collected, to be performed afterwards.
struct BrowserHost<'a> {
    storage: &'a mut Storage,
    effects: Vec<Effect>,
}

impl Host for BrowserHost<'_> {
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
        parse(text)
    }

    fn stringify<T: Serialize>(&self, value: &T) -> String {
        stringify(value)
    }

    fn get(&mut self, key: &str) -> Option<String> {
        self.storage.get(key)
    }

    fn set(&mut self, key: &str, value: &str) {
        self.storage.set(key, value);
    }

    fn remove(&mut self, key: &str) {
        self.storage.remove(key);
    }

    fn erase(&mut self, key: &str) {
        self.storage.erase(key);
    }

    fn degraded(&mut self) -> Option<StorageReason> {
        self.storage.degraded()
    }

    fn use_storage(&mut self, kind: StorageKind) {
        self.storage.switch(kind);
    }

    fn has_locks(&self) -> bool {
        locks::lock_manager().is_some()
    }

    fn effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }
}

/// A JSON text as a serde type: `JSON.parse`, then `serde-wasm-bindgen`. Only an object's own
/// members count: members a page added to `Object.prototype` must not fill a missing field.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, JsonProblem> {
    serde_wasm_bindgen::from_value(parsed(text)?).map_err(|_| JsonProblem::Shape)
}

/// `parse` up to the serde type (one copy, not one per type).
#[inline(never)]
fn parsed(text: &str) -> Result<JsValue, JsonProblem> {
    let value = js_sys::JSON::parse(text).map_err(|_| JsonProblem::NotJson)?;
    if value.is_object() && !guarded::drop_prototype(&value) {
        // A page's `JSON.parse` handed back something that cannot lose its prototype (frozen,
        // or a proxy): its members could come from anywhere.
        return Err(JsonProblem::Shape);
    }
    Ok(value)
}

/// A serde value as a JSON text: `serde-wasm-bindgen`, then `JSON.stringify`.
pub fn stringify<T: Serialize>(value: &T) -> String {
    text_of(value.serialize(&SERIALIZER).ok())
}

/// `stringify` from the JS value on (one copy, not one per type).
#[inline(never)]
fn text_of(js: Option<JsValue>) -> String {
    js.and_then(|js| js_sys::JSON::stringify(&js).ok()).and_then(|text| text.as_string()).unwrap_or_default()
}
