//! The lifecycle of one visitor (SPEC §2, §3) as a state machine: the cached session, the shared
//! auth request ("flight") with its cross-tab lock, retries and secret-rejection probe, adoption
//! of a new session, the renewal timer and what wakes it.
//!
//! Sans-IO: the machine never waits. Each input (a call from the page, an answer, a lock grant,
//! the timer, a page event, another tab's write) runs to completion and asks its [`Host`] for
//! the effects: send a request, take a lock, arm the one timer, emit an event, settle a call.
//! What the effects bring back comes in as the next input. The browser host (`web/`, `js/`)
//! does the effects with `fetch`, Web Locks, `setTimeout` and storage; the tests below use a
//! recording host on a fake clock.


use std::rc::Rc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::clock::Clock;
use super::error::{self, Code, Error};
use super::options::{OnSecretRejected, Options, StorageKind, StorageReason};
use super::record::{self, RetryRecord, SecretRecord, SessionRecord};
use super::redact::Secret;
use super::retry;
use super::session::{timer_delay_ms, Session};
use super::wire::{AuthAnswer, JsonProblem};

/// What the machine reads while it decides: the clock, chance, JSON and storage. These answer at
/// once and run no page code that could call the visitor back (the browser's storage is read
/// through its own handle, apart from the visitor's state).
pub trait Host {
    /// The page's clock (`Date.now()`), milliseconds since the Unix epoch; the page may move it.
    fn now(&self) -> f64;
    /// A monotonic clock (`performance.now()`), in milliseconds from any start; not finite when
    /// there is none. The machine schedules on both ([`Clock`]).
    fn monotonic(&self) -> f64;
    /// Uniform in `[0, 1)`.
    fn random(&self) -> f64;
    /// A JSON text as a serde type.
    fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, JsonProblem>;
    /// A serde value as a JSON text.
    fn stringify<T: Serialize>(&self, value: &T) -> String;
    fn get(&mut self, key: &str) -> Option<String>;
    fn set(&mut self, key: &str, value: &str);
    fn remove(&mut self, key: &str);
    /// Removes `key` from every storage things can be kept in (memory, `localStorage`,
    /// `sessionStorage`), not only the current one: consent withdrawn leaves no copy anywhere.
    fn erase(&mut self, key: &str);
    /// Why storage stopped working, if it did since last asked (each failure is given once).
    fn degraded(&mut self) -> Option<StorageReason>;
    /// From now on, keeps things in `kind` (`setStorage()`): reads and writes after this go
    /// there. Nothing is carried over; the machine writes what it wants kept.
    fn use_storage(&mut self, kind: StorageKind);
    /// Whether the browser has Web Locks.
    fn has_locks(&self) -> bool;
    /// Queues an effect: the host performs it after the input that asked for it has returned
    /// and the visitor's state is released, so no effect (nor the page code it may run) ever
    /// runs inside the machine.
    fn effect(&mut self, effect: Effect);

    /// The record stored under `key`; `None` when absent or unreadable.
    fn load<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let text = self.get(key)?;
        self.parse(&text).ok()
    }

    fn save<T: Serialize>(&mut self, key: &str, record: &T) {
        let text = self.stringify(record);
        self.set(key, &text);
    }
}

/// What the machine asks the host to do. Each is carried out after the input that asked has
/// returned; what it brings back comes later, as an input.
#[derive(Debug)]
pub enum Effect {
    /// POST the auth request (`{"visitor_secret_id": …}`, [`super::wire::AuthRequest`]) within
    /// `timeout_ms`; the outcome comes back as [`Lifecycle::answered`] with `seq`.
    Post { seq: u32, url: String, secret: Option<Secret>, timeout_ms: u32 },
    /// End the auth request in flight; its answer is no longer wanted.
    Abort,
    /// Ask for the exclusive Web Lock `name` (with `if_available`, only if free); the grant or
    /// refusal comes back as [`Lifecycle::locked`].
    Lock { name: String, if_available: bool },
    /// Release the lock held, or withdraw the request for it.
    Unlock,
    /// Arm the one timer (replacing it), which calls [`Lifecycle::tick`]; `None` disarms it.
    ArmTimer(Option<u32>),
    /// Listen (or stop listening) to the page events that wake the SDK ([`Lifecycle::woke`]),
    /// and with `tabs`, to other tabs' storage writes ([`Lifecycle::tab_changed`]).
    Listen { on: bool, tabs: bool },
    /// Tell the page's listeners.
    Emit(Event),
    /// Settle call `call` of the page.
    Reply { call: u32, outcome: Result<Reply, Error> },
}

/// Where an adopted session came from, as the `session` event reports it.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Source {
    /// An answer of the server to this visitor's request.
    Network,
    /// From storage, at start.
    Cache,
    /// Another tab renewed it and stored it.
    Tab,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Network => "network",
            Source::Cache => "cache",
            Source::Tab => "tab",
        }
    }
}

/// An event for the page's listeners.
#[derive(Debug)]
pub enum Event {
    Session { session: Session, source: Source },
    /// `visitorId` changed.
    IdentityChange { previous: Option<String>, current: Option<String> },
    /// A background renewal failed (once per failure streak).
    Error(Error),
    /// Where things are kept changed: degraded to memory (`reason` says why), or `setStorage()`
    /// (`reason` is [`StorageReason::Changed`]).
    Storage { reason: StorageReason, kind: StorageKind },
}

/// What a call waits for.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Want {
    /// `authenticate()`: the session.
    Session,
    /// `getAccessToken()`: the token.
    Token,
    /// `fetch()`: the token, to send the page's request with; `retried` after a 401.
    Send { retried: bool },
}

/// How a call is settled.
#[derive(Debug)]
pub enum Reply {
    Session(Session),
    Token(String),
    /// Send the page's request with this token.
    Send { token: String, retried: bool },
    /// `forget()` is done.
    Done,
}

/// An answer to an auth request: status, body and `Retry-After`.
pub struct Response {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
}

impl Response {
    /// The answer's `Retry-After`, in milliseconds from `now_ms`, if it has a readable one.
    fn retry_after_ms(&self, now_ms: f64) -> Option<f64> {
        self.retry_after.as_deref().and_then(|value| retry::parse_retry_after(value, now_ms))
    }
}

/// What the callers of a flight need.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Need {
    /// A session valid for this many milliseconds, which another tab may have stored.
    Valid(f64),
    /// A new session from the server (`force: true`, or the server refused the token).
    Fresh,
}

impl Need {
    /// The stronger of two needs.
    fn max(self, other: Need) -> Need {
        match (self, other) {
            (Need::Valid(a), Need::Valid(b)) => Need::Valid(a.max(b)),
            _ => Need::Fresh,
        }
    }
}

/// Where a flight is.
///
/// A refused secret (SPEC §3) takes three requests, so that one stray answer never costs the
/// visitor its identity: `Ask` with the secret is refused, `Probe` without it shows the endpoint
/// working, and `Recheck` asks with the same secret again. Only a second refusal resets.
#[derive(Clone, Debug)]
enum Phase {
    /// Waiting for the cross-tab lock (`waiting`: after `ifAvailable` found it taken), until
    /// `until`, after which the attempt goes on without it.
    Lock { waiting: bool, until: f64 },
    /// Holding the lock after another holder: looking for the session it stored, again at `at`,
    /// `left` more times.
    Look { left: u32, at: f64, contended: bool },
    /// The auth request is out, with the stored secret if there was one.
    Ask { secret: Option<Secret>, sent_at: f64 },
    /// The request with `secret` was refused with `status`: asking without it, to see whether
    /// the endpoint works at all.
    Probe { secret: Secret, status: u16, sent_at: f64 },
    /// The probe brought `probed` (validated, neither stored nor adopted): the endpoint works, so
    /// the request goes again with the same secret. Refused again, the secret is bad and `probed`
    /// is the new identity; any other outcome drops `probed` with this phase.
    Recheck { probed: Box<Session>, sent_at: f64 },
    /// Waiting before the next attempt.
    Backoff { until: f64 },
}

/// The auth request in progress, with its retries: every caller shares it (single flight).
struct Flight {
    /// When the flight stops retrying: 30 s after its first waiting caller, or never for a
    /// background renewal (which keeps trying while the page lives).
    deadline: f64,
    need: Need,
    phase: Phase,
    /// Failed attempts of this flight, for its backoff: each flight starts from the first step.
    attempts: u32,
    /// No attempt before this: the server's `Retry-After` (0 when it named none).
    not_before: f64,
    /// A caller whose request the API refused (401) waits for it: the token it brings is one
    /// that renewing for a 401 brought.
    for_refusal: bool,
}

/// Whether `session`'s token is valid now on `clock`, with the page's clock read as `wall` and
/// the monotonic clock as `mono` (`isAuthenticated`).
pub fn valid_now(session: Option<&Session>, clock: &Clock, wall: f64, mono: f64) -> bool {
    let now = clock.now(wall, mono);
    session.is_some_and(|s| s.valid_for(now, 0.0))
}

/// A call waiting for the flight.
struct Waiter {
    call: u32,
    want: Want,
    /// When the caller stops waiting (a background flight never gives up; its callers do).
    give_up_at: f64,
    /// How long the token must stay valid for this caller.
    min_ms: f64,
}

/// How long the token `fetch()` sends must stay valid, and `getAccessToken()`'s default
/// `minValidity`.
pub const FETCH_MIN_VALIDITY_MS: f64 = 5000.0;

/// How often, and how far apart, a tab that waited for the lock looks for the session the
/// holder stored: 10 × 20 ms covers the storage sync between tabs, which takes a few to tens
/// of milliseconds.
const SYNC_LOOKS: u32 = 10;
const SYNC_LOOK_MS: f64 = 20.0;

pub struct Lifecycle {
    /// Shared with the shell, which reads them while the lifecycle decides.
    pub options: Rc<Options>,
    secret_key: String,
    session_key: String,
    /// When the visitor's tabs may next ask, after a failed attempt of one of them.
    retry_key: String,
    /// The Web Lock that makes auth requests one at a time across the origin's tabs (with
    /// `storage: "local"` only: other storage is not shared between tabs).
    lock_name: Option<String>,
    /// Where things are kept now (`options.storage` at first, then what `setStorage()` says).
    pub storage: StorageKind,
    pub session: Option<Session>,
    /// Whether storage has been consulted for a cached session.
    loaded: bool,
    /// Auto-renewal is on: set by the first use, cleared by `forget()` and `stop()`.
    started: bool,
    pub stopped: bool,
    /// `forget()` was called: the next identity adopted is announced as a change from none.
    forgotten: bool,
    /// With `onSecretRejected: "error"`, the server refused the stored secret: no background
    /// renewal until the page calls `authenticate()` or `forget()`.
    secret_refused: bool,
    /// A background renewal failed and no session has been adopted since (one `error` event
    /// per streak).
    failing: bool,
    /// After a flight gave up: when the background tries again.
    retry_at: Option<f64>,
    /// Failed attempts since the last session was adopted (or the work was cancelled): the
    /// background's wait after a flight that gave up grows with it.
    streak: u32,
    /// The error of the latest failed attempt, for a caller who gives up waiting.
    last_error: Option<Error>,
    /// Numbers the auth requests: an answer to any but the latest is not wanted.
    seq: u32,
    flight: Option<Flight>,
    waiters: Vec<Waiter>,
    /// The current session came from a renewal for a 401, and the API has not taken its token
    /// since: a 401 to it is the caller's answer (one renewal per token, SPEC §3).
    renewed_for_refusal: bool,
    /// The page's Content-Security-Policy refused the auth request under way (its
    /// `securitypolicyviolation` came before the request's failure): that failure is the policy's.
    refused_by_policy: bool,
    /// The time line every time above is on: the page's clock, as far as time has really passed.
    /// Shared with the getters' view of the visitor (see [`Lifecycle::clock`]).
    clock: Rc<Clock>,
}

impl Lifecycle {
    pub fn new(options: impl Into<Rc<Options>>) -> Self {
        let options = options.into();
        Self {
            lock_name: lock_name(&options, options.storage),
            storage: options.storage,
            secret_key: record::secret_key(&options.prefix, &options.api),
            session_key: record::session_key(&options.prefix, &options.api, &options.org),
            retry_key: record::retry_key(&options.prefix, &options.api, &options.org),
            options,
            session: None,
            loaded: false,
            started: false,
            stopped: false,
            forgotten: false,
            secret_refused: false,
            failing: false,
            retry_at: None,
            streak: 0,
            last_error: None,
            seq: 0,
            flight: None,
            waiters: Vec::new(),
            renewed_for_refusal: false,
            refused_by_policy: false,
            clock: Rc::default(),
        }
    }

    /// Now, on the machine's time line.
    #[inline(never)]
    fn now<S: Host>(&self, host: &S) -> f64 {
        self.clock.now(host.now(), host.monotonic())
    }

    /// Whether the current token is valid now (`isAuthenticated`), with the page's clock read
    /// as `wall` and the monotonic clock as `mono`.
    pub fn is_authenticated(&self, wall: f64, mono: f64) -> bool {
        valid_now(self.session.as_ref(), &self.clock, wall, mono)
    }

    /// The time line, for a reader of the visitor's state outside the lifecycle (the shell's
    /// getters, which may be read while the lifecycle decides).
    pub fn clock(&self) -> Rc<Clock> {
        self.clock.clone()
    }

    // ---- Calls from the page ----

    /// `authenticate({force})`: the session when it qualifies, else a new one.
    pub fn authenticate<S: Host>(&mut self, call: u32, force: bool, host: &mut S) {
        self.secret_refused = false;
        let first = self.begin(host);
        let now = self.now(host);
        match &self.session {
            Some(session) if !force && session.qualifies(now, self.options.renew_before_ms) => host.effect(Effect::Reply { call, outcome: Ok(Reply::Session(session.clone())) }),
            _ => self.renew(Some((call, Want::Session)), if force { Need::Fresh } else { Need::Valid(0.0) }, host),
        }
        self.listen(first, host);
        self.finish(host);
    }

    /// `getAccessToken({minValidity})` (`Want::Token`) or `fetch()` (`Want::Send`): a token valid
    /// for `min_ms`, renewing first when needed; a renewal point that has passed starts a
    /// background renewal while the current token is still good enough.
    pub fn token<S: Host>(&mut self, call: u32, min_ms: f64, want: Want, host: &mut S) {
        let first = self.begin(host);
        let now = self.now(host);
        match &self.session {
            Some(session) if session.valid_for(now, min_ms) => {
                let due = session.due(now);
                reply_with(host, call, want, session);
                if due {
                    self.renew(None, Need::Valid(0.0), host);
                }
            }
            _ => self.renew(Some((call, want)), Need::Valid(min_ms), host),
        }
        self.listen(first, host);
        self.finish(host);
    }

    /// The page's request of `fetch()`, sent with `token`, came back with `status`: `true` when
    /// that is the answer; `false` when the server refused the token (401) for the first time,
    /// and the request goes again: with the current token when another renewal has already
    /// replaced the refused one, else with a new one. A token that renewing for a 401 brought
    /// is not renewed for a 401 again: one renewal per token, however many calls meet 401s.
    pub fn sent<S: Host>(&mut self, call: u32, status: u16, retried: bool, token: &str, host: &mut S) -> bool {
        if status != 401 {
            // Taken: the token that renewing for a 401 brought is good after all; should the API
            // refuse it later, that is worth a renewal.
            if self.session.as_ref().is_some_and(|s| s.answer.access_token.expose() == token) {
                self.renewed_for_refusal = false;
            }
            return true;
        }
        if retried || self.stopped {
            return true;
        }
        let now = self.now(host);
        match &self.session {
            Some(session) if session.answer.access_token.expose() != token && session.valid_for(now, FETCH_MIN_VALIDITY_MS) => {
                reply_with(host, call, Want::Send { retried: true }, session);
            }
            // Refused, the token that renewing for a 401 brought: that is the answer.
            Some(session) if self.renewed_for_refusal && session.answer.access_token.expose() == token => return true,
            _ => {
                self.renew(Some((call, Want::Send { retried: true })), Need::Fresh, host);
                if let Some(flight) = &mut self.flight {
                    flight.for_refusal = true;
                }
            }
        }
        self.finish(host);
        false
    }

    /// `forget()`: erases the secret and the session from every storage and memory, stops the timers;
    /// the next call makes a new visitor.
    pub fn forget<S: Host>(&mut self, call: u32, host: &mut S) {
        self.secret_refused = false;
        let waiting = core::mem::take(&mut self.waiters);
        self.halt(host);
        host.erase(&self.secret_key);
        host.erase(&self.session_key);
        host.erase(&self.retry_key);
        self.loaded = true;
        self.report(host);
        self.let_identity_go(host);
        host.effect(Effect::Reply { call, outcome: Ok(Reply::Done) });
        self.serve_again(waiting, host);
        self.finish(host);
    }

    /// The page no longer waits for call `call` (it aborted its `fetch()`). The flight goes on for
    /// its other callers and the background; with neither, it ends.
    pub fn abandon<S: Host>(&mut self, call: u32, host: &mut S) {
        let before = self.waiters.len();
        self.waiters.retain(|waiter| waiter.call != call);
        if self.waiters.len() < before && self.waiters.is_empty() && !self.started && self.flight.take().is_some() {
            host.effect(Effect::Abort);
            host.effect(Effect::Unlock);
        }
        self.finish(host);
    }

    /// `stop()`: stops timers, listeners and the request in flight, for good.
    pub fn stop<S: Host>(&mut self, host: &mut S) {
        if !self.stopped {
            self.stopped = true;
            self.halt(host);
        }
    }

    /// At construction: the session cached in storage, when it is still valid, becomes the
    /// current one at once (no request; `session` with `source: "cache"`).
    pub fn load<S: Host>(&mut self, host: &mut S) {
        if !self.loaded {
            self.loaded = true;
            let now = self.now(host);
            let cached = self.stored_session(host).filter(|session| session.valid_for(now, 0.0));
            self.report(host);
            if let Some(session) = cached {
                self.adopt(session, Source::Cache, false, host);
            }
        }
    }

    // ---- What the effects bring back ----

    /// The answer (or the failure) of auth request `seq`.
    pub fn answered<S: Host>(&mut self, seq: u32, result: Result<Response, Error>, host: &mut S) {
        let phase = match &self.flight {
            Some(Flight { phase: phase @ (Phase::Ask { .. } | Phase::Probe { .. } | Phase::Recheck { .. }), .. }) if seq == self.seq => phase.clone(),
            _ => return,
        };
        // Refused by the page's policy: the browser refuses every retry alike.
        if core::mem::take(&mut self.refused_by_policy) && result.as_ref().is_err_and(|e| e.code == Code::Network) {
            return self.fail_by_policy(host);
        }
        let now = self.now(host);
        match phase {
            Phase::Ask { secret, sent_at } => match result {
                Err(error) => self.fail(error, true, None, host),
                Ok(answer) if retry::is_success(answer.status) => match self.session_from(&answer, sent_at, host) {
                    Ok(session) => self.succeed_stored(session, false, host),
                    Err(error) => self.fail(error, false, None, host),
                },
                Ok(answer) => match secret {
                    Some(secret) if retry::may_refuse_secret(answer.status) => {
                        // Is it the secret, or the organization (or a stray answer)? Ask as a new
                        // visitor.
                        self.post(None, Phase::Probe { secret, status: answer.status, sent_at: now }, host);
                    }
                    _ => self.fail_with_status(&answer, host),
                },
            },
            Phase::Probe { secret, status, sent_at } => match result {
                // The probe failed on the way (network, timeout, 408, 429, 5xx): it is retried
                // like any request, within the same deadline.
                Err(error) => self.fail(error, true, None, host),
                Ok(answer) if retry::is_retryable_status(answer.status) => self.fail_with_status(&answer, host),
                Ok(answer) => match retry::is_success(answer.status).then(|| self.session_from(&answer, sent_at, host).ok()).flatten() {
                    // The endpoint works: one refusal may have been a stray answer (a misrouted
                    // deploy, a proxy), so the secret is asked about once more before it goes.
                    Some(probed) => self.post(Some(&secret), Phase::Recheck { probed: Box::new(probed), sent_at: now }, host),
                    // Refused without the secret too: not the secret's fault. It is kept.
                    None => self.fail(error::http(status), false, None, host),
                },
            },
            Phase::Recheck { probed, sent_at } => match result {
                // On the way (network, timeout, 408, 429, 5xx): a failure like any other, retried
                // from the start; the secret is kept and the probe's session dropped.
                Err(error) => self.fail(error, true, None, host),
                // Accepted this time: the first refusal was a stray answer. The visitor keeps its
                // identity (and expiry counts from this request, the one that brought it).
                Ok(answer) if retry::is_success(answer.status) => match self.session_from(&answer, sent_at, host) {
                    Ok(session) => self.succeed_stored(session, false, host),
                    Err(error) => self.fail(error, false, None, host),
                },
                // Refused twice, with the endpoint shown working in between: the secret is bad.
                Ok(answer) if retry::may_refuse_secret(answer.status) => match self.options.on_secret_rejected {
                    // The probe's session is the new identity; it expires as counted from the
                    // probe, the request that brought it.
                    OnSecretRejected::Reset => self.succeed_stored(*probed, true, host),
                    OnSecretRejected::Error => {
                        // Renewing would only probe again and make another visitor on the
                        // server each time: the background waits for the page to act.
                        self.secret_refused = true;
                        self.fail(error::secret_rejected(), false, None, host);
                    }
                },
                Ok(answer) => self.fail_with_status(&answer, host),
            },
            _ => {}
        }
        self.finish(host);
    }

    /// The page's Content-Security-Policy refused a request (the browser's
    /// `securitypolicyviolation`: the directive, and the URL it blocked). When it is the auth
    /// request, the flight ends at once with an error that says so, without a retry: the browser
    /// refuses every retry alike (the background tries again later, as after any error). The
    /// event comes before the request's failure or after it, so either ends the flight.
    pub fn refused_by_policy<S: Host>(&mut self, directive: &str, blocked: &str, host: &mut S) {
        let api = self.options.api.origin();
        let to_api = blocked.strip_prefix(api).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if directive != "connect-src" || !to_api {
            return;
        }
        match self.flight.as_ref().map(|f| &f.phase) {
            Some(Phase::Ask { .. } | Phase::Probe { .. } | Phase::Recheck { .. }) => self.refused_by_policy = true,
            Some(Phase::Backoff { .. }) if self.last_error.as_ref().is_some_and(|e| e.code == Code::Network) => self.fail_by_policy(host),
            _ => {}
        }
    }

    fn fail_by_policy<S: Host>(&mut self, host: &mut S) {
        let error = error::refused_by_policy(self.options.api.origin());
        self.fail(error, false, None, host);
        self.finish(host);
    }

    /// An answer that is neither a session nor a refused secret: an `http` error, retried when
    /// its status is worth it, after the server's `Retry-After` if it named one.
    fn fail_with_status<S: Host>(&mut self, answer: &Response, host: &mut S) {
        // An HTTP date is a date: read against the page's clock.
        let retry_after = answer.retry_after_ms(host.now());
        self.fail(error::http(answer.status), retry::is_retryable_status(answer.status), retry_after, host);
    }

    /// The cross-tab lock was granted (`true`) or refused: `ifAvailable` found it taken, or the
    /// request failed.
    pub fn locked<S: Host>(&mut self, granted: bool, host: &mut S) {
        let Some(Flight { phase: Phase::Lock { waiting, .. }, .. }) = self.flight else { return };
        if granted {
            // Whoever held the lock before may have just stored a session.
            self.look(waiting, host);
        } else if waiting || !self.ask_lock(false, host) {
            self.look(false, host);
        }
        self.finish(host);
    }

    /// The timer fired: whatever was due.
    pub fn tick<S: Host>(&mut self, host: &mut S) {
        let now = self.now(host);
        match self.flight.as_ref().map(|f| f.phase.clone()) {
            Some(Phase::Lock { waiting, until }) if until <= now => {
                host.effect(Effect::Unlock);
                if waiting || !self.ask_lock(false, host) {
                    self.look(false, host);
                }
            }
            Some(Phase::Look { left, at, contended }) if at <= now => {
                if !self.take_stored(host) {
                    self.look_again(left, contended, host);
                }
            }
            Some(Phase::Backoff { until }) if until <= now => self.attempt(host),
            Some(_) => {}
            None => {
                if self.retry_at.is_some_and(|at| at <= now) {
                    self.retry_at = None;
                    if self.failing {
                        self.renew(None, Need::Valid(0.0), host);
                    }
                }
                self.wake(host);
            }
        }
        self.give_up(now, host);
        self.finish(host);
    }

    /// Callers who waited long enough get the latest error. One whose time is up while an
    /// attempt is under way (the last one, made at its deadline) waits for that attempt's outcome,
    /// as long as an attempt can take: a request, perhaps a probe and a recheck, and the lock
    /// before them. One whose time is up before the server's `Retry-After` allows the next
    /// attempt gives up at once: waiting could only end in the same error (SPEC §3); the flight
    /// goes on for those who can wait, or for the background.
    fn give_up<S: Host>(&mut self, now: f64, host: &mut S) {
        let grace = self.grace_ms();
        let not_before = match &self.flight {
            Some(Flight { phase: Phase::Backoff { .. }, not_before, .. }) => *not_before,
            _ => 0.0,
        };
        let mut i = 0;
        while i < self.waiters.len() {
            let give_up_at = self.waiters[i].give_up_at;
            if give_up_at + grace <= now || give_up_at < not_before {
                let waiter = self.waiters.swap_remove(i);
                let error = self.last_error.clone().unwrap_or_else(error::timeout);
                host.effect(Effect::Reply { call: waiter.call, outcome: Err(error) });
            } else {
                i += 1;
            }
        }
    }

    /// How long past their time callers wait for the attempt under way, if one is.
    fn grace_ms(&self) -> f64 {
        match self.flight.as_ref().map(|f| &f.phase) {
            Some(Phase::Lock { .. } | Phase::Look { .. } | Phase::Ask { .. } | Phase::Probe { .. } | Phase::Recheck { .. }) => self.attempt_bound_ms(),
            _ => 0.0,
        }
    }

    /// The longest one attempt can take: a request, perhaps a probe and a recheck, and the lock
    /// before them.
    fn attempt_bound_ms(&self) -> f64 {
        3.0 * f64::from(self.options.request_timeout_ms) + 1000.0
    }

    /// How long a tab waits for the lock before it takes the holder for hung or frozen and goes
    /// on without it: two requests' time. That covers the holder's attempt (one request, or a
    /// refused request and its probe) but for the rare recheck after a refusal whose three
    /// answers all come slowly; such a holder is overtaken (the other tab asks on its own, and
    /// the two meet again through storage). Longer would cost more elsewhere: a hidden tab whose
    /// timers the browser throttles can hold the lock for minutes (the simulator sees about one
    /// such hold per hundred visitors in an hour with an outage), and the others wait out this
    /// bound each time.
    fn lock_wait_ms(&self) -> f64 {
        2.0 * f64::from(self.options.request_timeout_ms) + 1000.0
    }

    /// A flight waiting out its backoff makes its next attempt now, or when the server's
    /// `Retry-After` allows.
    fn cut_backoff_short<S: Host>(&mut self, host: &mut S) {
        let now = self.now(host);
        let Some(flight) = &mut self.flight else { return };
        if let Phase::Backoff { until } = &mut flight.phase {
            *until = until.min(flight.not_before.max(now));
            if *until <= now {
                self.attempt(host);
            }
        }
    }

    /// The page became visible, was shown again or came online: timers may have been throttled
    /// or stopped during sleep, so the token is checked now.
    pub fn woke<S: Host>(&mut self, host: &mut S) {
        // Back online or visible again: callers waiting out a backoff need not wait any longer.
        if !self.waiters.is_empty() {
            self.cut_backoff_short(host);
        }
        if self.started && self.failing {
            // Back online or visible: the background's planned retry is now.
            self.retry_at = None;
            self.renew(None, Need::Valid(0.0), host);
        }
        self.wake(host);
        self.finish(host);
    }

    /// Another tab wrote `key` (`None`: it cleared storage) with `value` (`None`: removed).
    pub fn tab_changed<S: Host>(&mut self, key: Option<&str>, value: Option<&str>, host: &mut S) {
        if key.is_none() || (key == Some(&self.secret_key) && value.is_none()) {
            // Another tab called `forget()` (or cleared storage): this tab lets the identity go
            // too, and keeps listening, so that it adopts the next identity a tab makes. That
            // holds also before this tab has a session: a request out with the forgotten secret
            // (or a probe and recheck about it) would bring that visitor back and store it again.
            if self.session.is_some() || self.asking_with_secret() {
                let waiting = core::mem::take(&mut self.waiters);
                self.cancel(host);
                self.let_identity_go(host);
                self.serve_again(waiting, host);
            }
        } else if key == Some(&self.session_key) && value.is_some() {
            let now = self.now(host);
            let current = self.session.as_ref().map(|x| x.answer.access_token.clone());
            if let Some(session) = self.stored_session(host).filter(|x| x.valid_for(now, 0.0) && current.as_ref() != Some(&x.answer.access_token)) {
                self.adopt(session, Source::Tab, false, host);
            }
        }
        self.finish(host);
    }

    // ---- Inside ----

    /// Whether the request out is about the stored secret: made with it, or the probe and
    /// recheck after it was refused.
    fn asking_with_secret(&self) -> bool {
        matches!(self.flight.as_ref().map(|f| &f.phase), Some(Phase::Ask { secret: Some(_), .. } | Phase::Probe { .. } | Phase::Recheck { .. }))
    }

    /// The first use: the cached session, and auto-renewal; `true` when this use starts it (the
    /// caller then listens to the page, see [`Lifecycle::listen`]).
    fn begin<S: Host>(&mut self, host: &mut S) -> bool {
        self.load(host);
        let first = !self.started && !self.stopped && self.options.auto_renew;
        self.started |= first;
        first
    }

    /// The page listeners of auto-renewal, asked for once the first use has asked for what it
    /// needs (the lock, the request): adding them takes the browser some milliseconds (a
    /// `storage` listener most), which then pass while the lock or the request is on its way
    /// instead of before it. Nothing can reach a listener before the input's effects are done.
    fn listen<S: Host>(&self, first: bool, host: &mut S) {
        if first && self.started {
            host.effect(Effect::Listen { on: true, tabs: self.storage == StorageKind::Local });
        }
    }

    /// Renews in the background when the renewal point has passed.
    fn wake<S: Host>(&mut self, host: &mut S) {
        let now = self.now(host);
        if self.started && self.session.as_ref().is_some_and(|s| s.due(now)) {
            self.renew(None, Need::Valid(0.0), host);
        }
    }

    /// A new session from the server, through the flight in progress or a new one, for `caller`
    /// (who waits 30 s at most), or for nobody: a background renewal, which keeps the flight
    /// retrying while the page lives.
    fn renew<S: Host>(&mut self, caller: Option<(u32, Want)>, need: Need, host: &mut S) {
        let now = self.now(host);
        // No background renewal while it waits to try again after a flight that gave up.
        if caller.is_none() && (self.secret_refused || self.retry_at.is_some_and(|at| at > now)) {
            return;
        }
        let deadline = if caller.is_some() { now + retry::GIVE_UP_MS } else { f64::INFINITY };
        // A caller who finds the flight waiting out a backoff that nobody waits for (a background
        // renewal failing, or callers who gave up) starts it over: its first attempt now (or when
        // the server's Retry-After allows), its backoff from the first step.
        let restart = caller.is_some() && self.waiters.is_empty();
        if let Some((call, want)) = caller {
            let min_ms = match need {
                Need::Valid(min_ms) => min_ms,
                Need::Fresh => 0.0,
            };
            self.waiters.push(Waiter { call, want, give_up_at: deadline, min_ms });
        }
        match &mut self.flight {
            Some(flight) => {
                flight.deadline = flight.deadline.max(deadline);
                flight.need = flight.need.max(need);
                if restart {
                    flight.attempts = 0;
                    self.cut_backoff_short(host);
                }
                // A flight held back by the server's Retry-After past this caller's deadline
                // cannot serve it: it gives up at once.
                self.give_up(now, host);
            }
            None => {
                // A new flight is one whose first attempt is due now; `attempt` moves it on.
                self.flight = Some(Flight { deadline, need, phase: Phase::Backoff { until: now }, attempts: 0, not_before: 0.0, for_refusal: false });
                self.attempt(host);
            }
        }
    }

    /// One attempt: under the cross-tab lock where there is one, first a look at what another
    /// tab may have stored meanwhile, then the request.
    fn attempt<S: Host>(&mut self, host: &mut S) {
        if !self.ask_lock(true, host) {
            self.look(false, host);
        }
    }

    /// Asks for the lock; `false` where there is none to ask for.
    fn ask_lock<S: Host>(&mut self, if_available: bool, host: &mut S) -> bool {
        let Some(name) = &self.lock_name else { return false };
        if !host.has_locks() {
            return false;
        }
        host.effect(Effect::Lock { name: name.clone(), if_available });
        let until = self.now(host) + self.lock_wait_ms();
        self.set_phase(Phase::Lock { waiting: !if_available, until });
        true
    }

    /// The look for another tab's session, then the request. `contended`: another holder had the
    /// lock; what it stored may reach this tab's storage a few milliseconds late (browsers sync
    /// storage between tabs asynchronously), so this tab looks again for a while.
    fn look<S: Host>(&mut self, contended: bool, host: &mut S) {
        if !self.take_stored(host) {
            self.look_again(if contended { SYNC_LOOKS } else { 1 }, contended, host);
        }
    }

    fn look_again<S: Host>(&mut self, left: u32, contended: bool, host: &mut S) {
        if left > 1 && matches!(self.flight_need(), Some(Need::Valid(_))) {
            let at = self.now(host) + SYNC_LOOK_MS;
            self.set_phase(Phase::Look { left: left - 1, at, contended });
        } else {
            let secret = self.stored_secret(host);
            self.report(host);
            if secret.is_none() && self.session.is_some() {
                // The secret's record is gone while this visitor holds one: the page cleared
                // storage (another tab's clearing arrives as an event, and means the same). That
                // counts as `forget()`: the identity goes, and a new one is made only when asked.
                self.let_identity_go(host);
                if self.waiters.is_empty() {
                    self.cancel(host);
                    return;
                }
            }
            if self.waiters.is_empty() && self.wait_for_the_tabs_backoff(host) {
                return;
            }
            if contended && self.waiters.is_empty() && self.flight.as_ref().is_some_and(|f| f.deadline == f64::INFINITY) {
                self.wait_behind_another_tab(host);
                return;
            }
            let now = self.now(host);
            self.post(secret.as_ref(), Phase::Ask { secret: secret.clone(), sent_at: now }, host);
        }
    }

    /// A background renewal that waited for another tab's attempt, which stored no session: that
    /// attempt failed (or its page closed). Asking again at once would make one request per tab
    /// each round; this tab waits its next backoff step instead, as if it had failed itself (its
    /// page hears of the failure from its own attempts only). Callers who wait are not kept
    /// waiting: with them, the request goes.
    fn wait_behind_another_tab<S: Host>(&mut self, host: &mut S) {
        host.effect(Effect::Unlock);
        let now = self.now(host);
        let Some(flight) = &mut self.flight else { return };
        flight.attempts = flight.attempts.saturating_add(1);
        let (attempts, not_before) = (flight.attempts, flight.not_before);
        let delay = self.backoff_ms(attempts, None, true, now, host);
        self.set_phase(Phase::Backoff { until: now + delay.max(not_before - now) });
    }

    /// Whether the visitor's tabs back off as one here: the policy says so, and the storage is
    /// one they share.
    fn backoff_shared(&self) -> bool {
        self.options.backoff.shared_by_tabs && self.lock_name.is_some()
    }

    /// A background renewal that finds the visitor's tabs backing off (a tab's failed attempt
    /// named when they may ask again) waits until then, going on from that tab's failures,
    /// instead of asking now: one visitor's tabs retry as one, not each on its own. Callers who
    /// wait are never held back by another tab's backoff.
    fn wait_for_the_tabs_backoff<S: Host>(&mut self, host: &mut S) -> bool {
        if !self.backoff_shared() {
            return false;
        }
        let now = self.now(host);
        // The record is dated on the page's clock (see `share_backoff`): one dated beyond the
        // hour on it is garbage, however far the page's clock was moved back since. Honored, it
        // is waited for until the earlier of its two readings, the date taken as a time on the
        // line (the page's clock is never ahead of the line): a record written before the page's
        // clock moved back is not stretched by the jump, and no wait reaches past the hour.
        let page_now = now + self.clock.to_page();
        let Some((not_before, failures)) = host.load::<RetryRecord>(&self.retry_key).and_then(|r| r.read(page_now)) else { return false };
        if not_before <= now {
            return false;
        }
        host.effect(Effect::Unlock);
        let Some(flight) = &mut self.flight else { return false };
        flight.attempts = flight.attempts.max(failures);
        self.set_phase(Phase::Backoff { until: not_before });
        true
    }

    /// Tells the visitor's other tabs when this one asks next, after its failed attempt
    /// (`failures` so far).
    fn share_backoff<S: Host>(&self, not_before: f64, failures: u32, host: &mut S) {
        if self.backoff_shared() {
            host.save(&self.retry_key, &RetryRecord::new(not_before + self.clock.to_page(), failures));
        }
    }

    fn flight_need(&self) -> Option<Need> {
        self.flight.as_ref().map(|f| f.need)
    }

    /// Ends the flight with a session another tab stored, when the flight's callers can take it:
    /// valid for what they need, and not yet due for renewal.
    fn take_stored<S: Host>(&mut self, host: &mut S) -> bool {
        let Some(Need::Valid(min_ms)) = self.flight_need() else { return false };
        let now = self.now(host);
        match self.stored_session(host).filter(|s| s.valid_for(now, min_ms) && !s.due(now)) {
            Some(session) => {
                self.succeed(session, Source::Tab, false, host);
                true
            }
            None => false,
        }
    }

    fn post<S: Host>(&mut self, secret: Option<&Secret>, phase: Phase, host: &mut S) {
        self.seq = self.seq.wrapping_add(1);
        self.refused_by_policy = false;
        let url = self.options.api.auth_url(&self.options.org);
        host.effect(Effect::Post { seq: self.seq, url, secret: secret.cloned(), timeout_ms: self.options.request_timeout_ms });
        self.set_phase(phase);
    }

    fn set_phase(&mut self, phase: Phase) {
        if let Some(flight) = &mut self.flight {
            flight.phase = phase;
        }
    }

    /// A validated session from a 200 answer, or `invalid_response`.
    fn session_from<S: Host>(&self, answer: &Response, sent_at: f64, host: &S) -> Result<Session, Error> {
        let parsed = AuthAnswer::read(&answer.body, &self.options.org, |text| host.parse(text)).map_err(|e| error::invalid_response(&e))?;
        Ok(Session::new(parsed, sent_at, self.options.renew_before_ms, host.random()))
    }

    /// A session from the server: stored (its secret, and itself as the most recent session)
    /// before the lock is released, so that the next tab to take the lock finds it.
    fn succeed_stored<S: Host>(&mut self, session: Session, reset: bool, host: &mut S) {
        host.save(&self.secret_key, &SecretRecord::new(&session.answer.secret));
        host.save(&self.session_key, &SessionRecord::new(&session, self.clock.to_page()));
        if self.backoff_shared() {
            host.remove(&self.retry_key);
        }
        self.succeed(session, Source::Network, reset, host);
    }

    /// The flight brought `session`: adopted, and handed to every waiting caller.
    fn succeed<S: Host>(&mut self, session: Session, source: Source, reset: bool, host: &mut S) {
        host.effect(Effect::Unlock);
        let for_refusal = self.flight.take().is_some_and(|flight| flight.for_refusal);
        // Another tab's session that this tab already holds needs no adoption.
        let known = self.session.as_ref().is_some_and(|s| s.answer.access_token == session.answer.access_token);
        if source != Source::Tab || !known {
            self.adopt(session, source, reset, host);
            self.renewed_for_refusal = for_refusal;
        }
        // The listeners hear of it first (their events are queued before the replies).
        if let Some(session) = &self.session {
            let now = self.now(host);
            for waiter in core::mem::take(&mut self.waiters) {
                // Up to the default 5 s, a fresh token is handed out as it is (servers set to
                // grant shorter ones exist only for tests).
                if waiter.min_ms <= FETCH_MIN_VALIDITY_MS || session.valid_for(now, waiter.min_ms) {
                    reply_with(host, waiter.call, waiter.want, session);
                } else {
                    // Even a fresh token is not valid for as long as asked: say so, never hand
                    // out a token that breaks the promise.
                    let outcome = Err(error::longer_than_granted(waiter.min_ms, session.answer.expires_in));
                    host.effect(Effect::Reply { call: waiter.call, outcome });
                }
            }
        }
    }

    /// An attempt failed: wait and try again while the flight's deadline allows and the error is
    /// worth it; else the flight ends with `error`, and the background tries again later.
    fn fail<S: Host>(&mut self, error: Error, retryable: bool, retry_after_ms: Option<f64>, host: &mut S) {
        // A redirect is never followed, nor asked for again (SPEC §3).
        let retryable = retryable && !error.is_redirect();
        host.effect(Effect::Unlock);
        let now = self.now(host);
        let Some(flight) = &mut self.flight else { return };
        flight.attempts = flight.attempts.saturating_add(1);
        self.streak = self.streak.saturating_add(1);
        flight.not_before = retry_after_ms.map_or(0.0, |after| now + after.min(retry::MAX_RETRY_AFTER_MS));
        // The callers' time is up (or the server's Retry-After reaches past it), but with
        // auto-renewal on the page wants a visitor all the same: what is worth retrying goes on
        // in the background (a tab loaded during an outage gets its token when the endpoint is
        // back, without the page calling again), while the callers give up (`give_up`).
        if retryable && self.started && retry::wait_within(flight.deadline, now, 0.0, retry_after_ms).is_none() {
            flight.deadline = f64::INFINITY;
        }
        let (attempts, deadline) = (flight.attempts, flight.deadline);
        if deadline == f64::INFINITY && !self.failing {
            self.failing = true;
            host.effect(Effect::Emit(Event::Error(error.clone())));
        }
        let delay = self.backoff_ms(attempts, retry_after_ms, deadline == f64::INFINITY, now, host);
        match retry::wait_within(deadline, now, delay, retry_after_ms).filter(|_| retryable) {
            Some(wait) => {
                self.set_phase(Phase::Backoff { until: now + wait });
                self.share_backoff(now + wait, attempts, host);
                // Those whose time ran out during this attempt have its outcome now, and so do
                // those whose time runs out before the server allows the next attempt.
                self.last_error = Some(error.clone());
                self.give_up(now, host);
            }
            None => {
                self.flight = None;
                for waiter in core::mem::take(&mut self.waiters) {
                    host.effect(Effect::Reply { call: waiter.call, outcome: Err(error.clone()) });
                }
                if self.started {
                    // Backed off by every failure since the last session, so that an answer
                    // that is refused for good is not asked again every second.
                    let retry_at = now + self.options.backoff.delay_ms(self.streak, host.random(), None, None);
                    self.retry_at = Some(retry_at);
                    self.share_backoff(retry_at, self.streak, host);
                }
            }
        }
        self.last_error = Some(error);
    }

    /// The wait before the flight's next attempt (its `attempts`-th retry). A `background`
    /// renewal tells the backoff how long its token stays good (some policies spread by it).
    fn backoff_ms<S: Host>(&self, attempts: u32, retry_after_ms: Option<f64>, background: bool, now: f64, host: &S) -> f64 {
        let valid_ms = self.session.as_ref().map(|s| s.remaining_ms(now)).filter(|ms| background && *ms > 0.0);
        self.options.backoff.delay_ms(attempts, host.random(), retry_after_ms, valid_ms)
    }

    /// Makes `session` the current one (already stored), and tells the listeners. `reset`: the
    /// stored secret was refused and replaced.
    fn adopt<S: Host>(&mut self, session: Session, source: Source, reset: bool, host: &mut S) {
        let previous = self.session.take().map(|p| p.answer.visitor_id);
        self.renewed_for_refusal = false;
        self.failing = false;
        self.streak = 0;
        self.retry_at = None;
        self.last_error = None;
        let forgotten = core::mem::take(&mut self.forgotten);
        self.report(host);
        let mut session = session;
        session.page_expires_at_ms = session.expires_at_ms + self.clock.to_page();
        let session = self.session.insert(session);
        let current = &session.answer.visitor_id;
        let changed = match &previous {
            Some(previous) => previous != current,
            None => forgotten || reset,
        };
        if changed {
            host.effect(Effect::Emit(Event::IdentityChange { previous, current: Some(current.clone()) }));
        }
        host.effect(Effect::Emit(Event::Session { session: session.clone(), source }));
    }

    /// Cancels the work under way: the request in flight (whose answer will not be adopted), its
    /// retries and the callers waiting for it, the timer.
    fn cancel<S: Host>(&mut self, host: &mut S) {
        if self.flight.take().is_some() {
            host.effect(Effect::Abort);
            host.effect(Effect::Unlock);
        }
        for waiter in core::mem::take(&mut self.waiters) {
            host.effect(Effect::Reply { call: waiter.call, outcome: Err(error::stopped()) });
        }
        self.failing = false;
        self.streak = 0;
        self.retry_at = None;
    }

    /// Stops timers, page listeners and the request in flight.
    fn halt<S: Host>(&mut self, host: &mut S) {
        self.cancel(host);
        if self.started {
            self.started = false;
            host.effect(Effect::Listen { on: false, tabs: false });
        }
        host.effect(Effect::ArmTimer(None));
    }

    /// The calls that were waiting when the identity went (`forget()`, here or in another tab),
    /// served as calls made right after it: by the next visitor, each with a deadline from now.
    fn serve_again<S: Host>(&mut self, waiting: Vec<Waiter>, host: &mut S) {
        for waiter in waiting {
            let first = self.begin(host);
            self.renew(Some((waiter.call, waiter.want)), Need::Valid(waiter.min_ms), host);
            self.listen(first, host);
        }
    }

    /// Drops the current identity (`forget()`, here or in another tab) and announces it; the next
    /// identity adopted is announced as a change from none.
    fn let_identity_go<S: Host>(&mut self, host: &mut S) {
        self.forgotten = true;
        if let Some(previous) = self.session.take() {
            host.effect(Effect::Emit(Event::IdentityChange { previous: Some(previous.answer.visitor_id), current: None }));
        }
    }

    /// The end of every input: the timer is armed.
    fn finish<S: Host>(&mut self, host: &mut S) {
        self.rearm(host);
    }

    /// `setStorage(kind)`: keeps the visitor, and moves where it is kept, at once: consent given or
    /// withdrawn never waits on the network. Withdrawn (`"memory"`), the visitor is erased from
    /// every storage it could be in; moved between `local` and `session`, from the one it
    /// leaves. What a request in flight brings back is kept where the visitor lives by then.
    pub fn set_storage<S: Host>(&mut self, call: u32, kind: StorageKind, host: &mut S) {
        if kind != self.storage {
            // What this visitor has kept: the records as they are where it was.
            let kept = [host.get(&self.secret_key), host.get(&self.session_key)];
            for key in [&self.secret_key, &self.session_key, &self.retry_key] {
                if kind == StorageKind::Memory {
                    // Consent withdrawn: no copy of the visitor stays in any storage, whichever
                    // it was kept in before (other tabs let the identity go, as after forget());
                    // it goes on in memory.
                    host.erase(key);
                } else {
                    // Moved between the browser's storages (consent narrowed from `local` to
                    // `session`, or widened): no copy stays in the one it leaves. The one it
                    // goes to is not touched: another visitor stored there wins (below).
                    host.remove(key);
                }
            }
            host.use_storage(kind);
            self.report(host);
            let mut taken = false;
            let ours = kept[0].as_deref().and_then(|text| host.parse::<SecretRecord>(text).ok()).and_then(SecretRecord::secret);
            let theirs = host.load::<SecretRecord>(&self.secret_key).and_then(SecretRecord::secret);
            match theirs {
                // The storage already holds another visitor (one who consented earlier in another
                // tab): that one wins, so that one browser stays one visitor.
                Some(theirs) if Some(&theirs) != ours.as_ref() => {
                    self.take_stored_visitor(host);
                    taken = true;
                }
                _ => {
                    for (key, text) in [&self.secret_key, &self.session_key].into_iter().zip(kept) {
                        if let Some(text) = text {
                            host.set(key, &text);
                        }
                    }
                }
            }
            self.storage = kind;
            self.lock_name = lock_name(&self.options, kind);
            // A request out for this page's former visitor would bring back a second one: it goes
            // again, for the visitor just taken (its answer is no longer wanted).
            if taken && matches!(self.flight.as_ref().map(|f| &f.phase), Some(Phase::Ask { .. } | Phase::Probe { .. } | Phase::Recheck { .. })) {
                host.effect(Effect::Abort);
                host.effect(Effect::Unlock);
                self.attempt(host);
            }
            if self.started {
                host.effect(Effect::Listen { on: true, tabs: kind == StorageKind::Local });
            }
            host.effect(Effect::Emit(Event::Storage { reason: StorageReason::Changed, kind }));
        }
        host.effect(Effect::Reply { call, outcome: Ok(Reply::Done) });
        self.finish(host);
    }

    /// Takes the visitor stored where things are kept now: its cached session when still valid
    /// (`identitychange`, and `session` from `"tab"`), else this identity goes until the next
    /// request, which is made with that visitor's secret.
    fn take_stored_visitor<S: Host>(&mut self, host: &mut S) {
        let now = self.now(host);
        match self.stored_session(host).filter(|s| s.valid_for(now, 0.0)) {
            Some(session) => self.adopt(session, Source::Tab, false, host),
            None => self.let_identity_go(host),
        }
    }

    /// Arms the timer for the earliest of: a waiting caller giving up, the flight's next step,
    /// the background retry, the renewal point.
    fn rearm<S: Host>(&mut self, host: &mut S) {
        let grace = self.grace_ms();
        let mut next = self.waiters.iter().map(|w| w.give_up_at + grace).fold(f64::INFINITY, f64::min);
        match &self.flight {
            Some(Flight { phase: Phase::Lock { until: at, .. } | Phase::Look { at, .. } | Phase::Backoff { until: at }, .. }) => next = next.min(*at),
            Some(_) => {}
            // A refused secret holds the background until the page acts: nothing to wake for.
            None if self.started && !self.secret_refused => {
                // After a flight gave up, its planned retry comes before the renewal point
                // (which has passed, if that flight was a renewal).
                let renew_at = self.session.as_ref().map_or(f64::INFINITY, |s| s.renew_at_ms);
                next = next.min(self.retry_at.unwrap_or(renew_at));
            }
            None => {}
        }
        let delay = (next != f64::INFINITY).then(|| timer_delay_ms(next, self.now(host)));
        host.effect(Effect::ArmTimer(delay));
    }

    /// Reports a storage degradation, once per occurrence.
    fn report<S: Host>(&mut self, host: &mut S) {
        if let Some(reason) = host.degraded() {
            host.effect(Effect::Emit(Event::Storage { reason, kind: StorageKind::Memory }));
        }
    }

    /// The stored secret. A readable record is the visitor (another tab may have chosen it); one
    /// that cannot be read (a page wrote garbage over it) while this visitor holds its secret is
    /// repaired from memory, so that no storage glitch costs the visitor its identity.
    fn stored_secret<S: Host>(&self, host: &mut S) -> Option<Secret> {
        let text = host.get(&self.secret_key)?;
        if let Some(secret) = host.parse::<SecretRecord>(&text).ok().and_then(SecretRecord::secret) {
            return Some(secret);
        }
        let held = self.session.as_ref()?.answer.secret.clone();
        host.save(&self.secret_key, &SecretRecord::new(&held));
        Some(held)
    }

    /// The session stored for this organization, if it belongs to the stored secret and is
    /// readable.
    fn stored_session<S: Host>(&self, host: &mut S) -> Option<Session> {
        let secret = self.stored_secret(host)?;
        host.load::<SessionRecord>(&self.session_key)?.session(&self.options.org, secret)
    }
}

/// The Web Lock of auth requests, when things are kept in `localStorage` (the only storage
/// tabs share).
fn lock_name(options: &Options, kind: StorageKind) -> Option<String> {
    (kind == StorageKind::Local).then(|| format!("{}:{}:auth", options.prefix, options.api.origin()))
}

fn reply_with<S: Host>(host: &mut S, call: u32, want: Want, session: &Session) {
    let token = session.answer.access_token.expose().to_owned();
    let reply = match want {
        Want::Session => Reply::Session(session.clone()),
        Want::Token => Reply::Token(token),
        Want::Send { retried } => Reply::Send { token, retried },
    };
    host.effect(Effect::Reply { call, outcome: Ok(reply) });
}

#[cfg(test)]
mod tests;
