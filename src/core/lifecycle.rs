//! The lifecycle of one visitor (SPEC §2, §3) as a state machine: the cached session, the shared
//! auth request ("flight") with its cross-tab lock, retries and secret-rejection probe, adoption
//! of a new session, the renewal timer and what wakes it.
//!
//! Sans-IO: the machine never waits. Each input (a call from the page, an answer, a lock grant,
//! the timer, a page event, another tab's write) runs to completion and asks its [`Shell`] for
//! the effects: send a request, take a lock, arm the one timer, emit an event, settle a call.
//! What the effects bring back comes in as the next input. The browser shell (`web/`, `js/`)
//! does the effects with `fetch`, Web Locks, `setTimeout` and storage; the tests below use a
//! recording shell on a fake clock.

use crate::prelude::*;

use super::error::{self, Error};
use super::json::Document;
use super::options::{OnSecretRejected, Options, StorageKind};
use super::record;
use super::redact::Secret;
use super::retry;
use super::session::{timer_delay_ms, Session};
use super::text;
use super::wire::{auth_request_body, AuthAnswer};

/// The effects the machine asks for. None of them calls back into the machine before it returns:
/// what they bring comes later, as an input.
pub trait Shell {
    type Doc: Document;
    /// The local clock, milliseconds since the Unix epoch.
    fn now(&self) -> f64;
    /// Uniform in `[0, 1)`.
    fn random(&self) -> f64;
    /// A JSON text read, `None` when it is not JSON.
    fn parse(&self, text: &str) -> Option<Self::Doc>;
    fn get(&mut self, key: &str) -> Option<String>;
    fn set(&mut self, key: &str, value: &str);
    fn remove(&mut self, key: &str);
    /// Why storage stopped working, if it did since last asked (each reason is given once).
    fn degraded(&mut self) -> Option<String>;
    /// POSTs `body` to `url`; the answer comes back as [`Lifecycle::answered`] with `seq`.
    fn post(&mut self, seq: u32, url: &str, body: &str, timeout_ms: u32);
    /// Ends the request in flight; its answer is no longer wanted.
    fn abort(&mut self);
    /// Asks for the exclusive Web Lock `name` (with `if_available`, only if free); the grant or
    /// refusal comes back as [`Lifecycle::locked`]. `false`: the browser has no Web Locks.
    fn lock(&mut self, name: &str, if_available: bool) -> bool;
    /// Releases the lock held, or withdraws the request for it.
    fn unlock(&mut self);
    /// Arms the one timer (replacing it), which calls [`Lifecycle::tick`]; `None` disarms it.
    fn timer(&mut self, delay_ms: Option<u32>);
    /// Listens (or stops listening) to the page events that wake the SDK, and with `tabs`, to
    /// other tabs' storage writes.
    fn listen(&mut self, on: bool, tabs: bool);
    fn emit(&mut self, detail: Detail<'_>);
    fn reply(&mut self, call: u32, reply: Result<Reply<'_>, &Error>);
}

/// Where an adopted session came from, as the `session` event reports it.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Source {
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
pub enum Detail<'a> {
    Session(&'a Session, Source),
    /// `visitorId` changed: from, to.
    IdentityChange(Option<&'a str>, Option<&'a str>),
    /// A background renewal failed (once per failure streak).
    Error(&'a Error),
    /// Storage is degraded: why.
    Storage(&'a str),
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
pub enum Reply<'a> {
    Session(&'a Session),
    Token(&'a str),
    /// Send the page's request with this token.
    Send(&'a str, bool),
}

/// An answer to an auth request: status, body and `Retry-After`.
pub struct Response {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
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
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Waiting for the cross-tab lock (`waiting`: after `ifAvailable` found it taken), until
    /// `until`, after which the attempt goes on without it.
    Lock { waiting: bool, until: f64 },
    /// Holding the lock after another holder: looking for the session it stored, again at `at`,
    /// `left` more times.
    Look { left: u32, at: f64 },
    /// The auth request is out, with the stored secret if there was one.
    Ask { secret: bool, sent_at: f64 },
    /// The request with the secret was refused with `status`: asking without it.
    Probe { status: u16, sent_at: f64 },
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
}

/// A call waiting for the flight.
struct Waiter {
    call: u32,
    want: Want,
    /// When the caller stops waiting (a background flight never gives up; its callers do).
    give_up_at: f64,
}

/// How often, and how far apart, a tab that waited for the lock looks for the session the
/// holder stored: 10 × 20 ms covers the storage sync between tabs, which takes a few to tens
/// of milliseconds.
const SYNC_LOOKS: u32 = 10;
const SYNC_LOOK_MS: f64 = 20.0;

pub struct Lifecycle {
    pub options: Options,
    secret_key: String,
    session_key: String,
    /// The Web Lock that makes auth requests one at a time across the origin's tabs (with
    /// `storage: "local"` only: other storage is not shared between tabs).
    lock_name: Option<String>,
    pub session: Option<Session>,
    /// Whether storage has been consulted for a cached session.
    loaded: bool,
    /// Auto-renewal is on: set by the first use, cleared by `forget()` and `stop()`.
    started: bool,
    pub stopped: bool,
    /// `forget()` was called: the next identity adopted is announced as a change from none.
    forgotten: bool,
    /// A background renewal failed and no session has been adopted since (one `error` event
    /// per streak).
    failing: bool,
    /// Failed attempts in a row, for the backoff.
    attempts: u32,
    /// After a flight gave up: when the background tries again.
    retry_at: Option<f64>,
    /// The error of the latest failed attempt, for a caller who gives up waiting.
    last_error: Option<Error>,
    /// Numbers the auth requests: an answer to any but the latest is not wanted.
    seq: u32,
    flight: Option<Flight>,
    waiters: Vec<Waiter>,
}

impl Lifecycle {
    pub fn new(options: Options) -> Self {
        Self {
            lock_name: (options.storage == StorageKind::Local).then(|| text::cat(&[&options.prefix, ":", options.api.origin(), ":auth"])),
            secret_key: record::secret_key(&options.prefix, &options.api),
            session_key: record::session_key(&options.prefix, &options.api, &options.org),
            options,
            session: None,
            loaded: false,
            started: false,
            stopped: false,
            forgotten: false,
            failing: false,
            attempts: 0,
            retry_at: None,
            last_error: None,
            seq: 0,
            flight: None,
            waiters: Vec::new(),
        }
    }

    // ---- Calls from the page ----

    /// `authenticate({force})`: the session when it qualifies, else a new one.
    pub fn authenticate<S: Shell>(&mut self, call: u32, force: bool, shell: &mut S) {
        self.begin(shell);
        let now = shell.now();
        match &self.session {
            Some(session) if !force && session.qualifies(now, self.options.renew_before_ms) => shell.reply(call, Ok(Reply::Session(session))),
            _ => self.renew(Some((call, Want::Session)), if force { Need::Fresh } else { Need::Valid(0.0) }, shell),
        }
        self.rearm(shell);
    }

    /// `getAccessToken({minValidity})` (`Want::Token`) or `fetch()` (`Want::Send`): a token valid
    /// for `min_ms`, renewing first when needed; a renewal point that has passed starts a
    /// background renewal while the current token is still good enough.
    pub fn token<S: Shell>(&mut self, call: u32, min_ms: f64, want: Want, shell: &mut S) {
        self.begin(shell);
        let now = shell.now();
        match &self.session {
            Some(session) if session.valid_for(now, min_ms) => {
                let due = session.due(now);
                reply_with(shell, call, want, session);
                if due {
                    self.renew(None, Need::Valid(0.0), shell);
                }
            }
            _ => self.renew(Some((call, want)), Need::Valid(min_ms), shell),
        }
        self.rearm(shell);
    }

    /// The page's request of `fetch()` came back with `status`: `true` when that is the
    /// answer; `false` when the server refused the token (401) for the first time, and the
    /// request goes again with a new one.
    pub fn sent<S: Shell>(&mut self, call: u32, status: u16, retried: bool, shell: &mut S) -> bool {
        if status != 401 || retried || self.stopped {
            return true;
        }
        self.renew(Some((call, Want::Send { retried: true })), Need::Fresh, shell);
        self.rearm(shell);
        false
    }

    /// `forget()`: erases the secret and the session from storage and memory, stops the timers;
    /// the next call makes a new visitor.
    pub fn forget<S: Shell>(&mut self, shell: &mut S) {
        self.halt(shell);
        shell.remove(&self.secret_key);
        shell.remove(&self.session_key);
        self.loaded = true;
        self.report(shell);
        self.let_identity_go(shell);
    }

    /// `stop()`: stops timers, listeners and the request in flight, for good.
    pub fn stop<S: Shell>(&mut self, shell: &mut S) {
        if !self.stopped {
            self.stopped = true;
            self.halt(shell);
        }
    }

    // ---- What the effects bring back ----

    /// The answer (or the failure) of auth request `seq`.
    pub fn answered<S: Shell>(&mut self, seq: u32, result: Result<Response, Error>, shell: &mut S) {
        let phase = match &self.flight {
            Some(Flight { phase: phase @ (Phase::Ask { .. } | Phase::Probe { .. }), .. }) if seq == self.seq => *phase,
            _ => return,
        };
        let now = shell.now();
        match phase {
            Phase::Ask { secret, sent_at } => match result {
                Err(error) => self.fail(error, true, None, shell),
                Ok(answer) if answer.status == 200 => match self.session_from(&answer, sent_at, shell) {
                    Ok(session) => self.succeed_stored(session, false, shell),
                    Err(error) => self.fail(error, false, None, shell),
                },
                Ok(answer) if secret && retry::may_refuse_secret(answer.status) => {
                    // Is it the secret, or the organization? Ask as a new visitor.
                    self.post(None, Phase::Probe { status: answer.status, sent_at: now }, shell);
                }
                Ok(answer) => {
                    let retry_after = answer.retry_after.as_deref().and_then(|v| retry::parse_retry_after(v, now));
                    self.fail(error::http(answer.status), retry::is_retryable_status(answer.status), retry_after, shell);
                }
            },
            Phase::Probe { status, sent_at } => {
                let fresh = result.ok().filter(|p| p.status == 200).and_then(|p| self.session_from(&p, sent_at, shell).ok());
                match (fresh, self.options.on_secret_rejected) {
                    (Some(session), OnSecretRejected::Reset) => self.succeed_stored(session, true, shell),
                    (Some(_), OnSecretRejected::Error) => self.fail(error::secret_rejected(), false, None, shell),
                    // Refused without the secret too: not the secret's fault. It is kept.
                    (None, _) => self.fail(error::http(status), false, None, shell),
                }
            }
            _ => {}
        }
        self.rearm(shell);
    }

    /// The cross-tab lock was granted (`true`) or refused: `ifAvailable` found it taken, or the
    /// request failed.
    pub fn locked<S: Shell>(&mut self, granted: bool, shell: &mut S) {
        let Some(Flight { phase: Phase::Lock { waiting, .. }, .. }) = self.flight else { return };
        if granted {
            // Whoever held the lock before may have just stored a session.
            self.look(waiting, shell);
        } else if waiting || !self.ask_lock(false, shell) {
            self.look(false, shell);
        }
        self.rearm(shell);
    }

    /// The timer fired: whatever was due.
    pub fn tick<S: Shell>(&mut self, shell: &mut S) {
        let now = shell.now();
        // Callers who waited long enough get the latest error.
        let mut i = 0;
        while i < self.waiters.len() {
            if self.waiters[i].give_up_at <= now {
                let waiter = self.waiters.swap_remove(i);
                let error = self.last_error.clone().unwrap_or_else(error::timeout);
                shell.reply(waiter.call, Err(&error));
            } else {
                i += 1;
            }
        }
        match self.flight.as_ref().map(|f| f.phase) {
            Some(Phase::Lock { waiting, until }) if until <= now => {
                shell.unlock();
                if waiting || !self.ask_lock(false, shell) {
                    self.look(false, shell);
                }
            }
            Some(Phase::Look { left, at }) if at <= now => {
                if !self.take_stored(shell) {
                    self.look_again(left, shell);
                }
            }
            Some(Phase::Backoff { until }) if until <= now => self.attempt(shell),
            Some(_) => {}
            None => {
                if self.retry_at.is_some_and(|at| at <= now) {
                    self.retry_at = None;
                    if self.failing {
                        self.renew(None, Need::Valid(0.0), shell);
                    }
                }
                self.wake(shell);
            }
        }
        self.rearm(shell);
    }

    /// The page became visible, was shown again or came online: timers may have been throttled
    /// or stopped during sleep, so the token is checked now.
    pub fn woke<S: Shell>(&mut self, shell: &mut S) {
        if self.started && self.failing {
            self.renew(None, Need::Valid(0.0), shell);
        }
        self.wake(shell);
        self.rearm(shell);
    }

    /// Another tab wrote `key` (`None`: it cleared storage) with `value` (`None`: removed).
    pub fn tab_changed<S: Shell>(&mut self, key: Option<&str>, value: Option<&str>, shell: &mut S) {
        if key.is_none() || (key == Some(&self.secret_key) && value.is_none()) {
            // Another tab called `forget()` (or cleared storage): this tab lets the identity go
            // too, and keeps listening, so that it adopts the next identity a tab makes.
            if self.session.is_some() {
                self.cancel(false, shell);
                self.let_identity_go(shell);
            }
        } else if key == Some(&self.session_key) && value.is_some() {
            let now = shell.now();
            let current = self.session.as_ref().map(|x| x.answer.access_token.clone());
            if let Some(session) = self.stored_session(shell).filter(|x| x.valid_for(now, 0.0) && current.as_ref() != Some(&x.answer.access_token)) {
                self.adopt(session, Source::Tab, false, shell);
            }
        }
        self.rearm(shell);
    }

    // ---- Inside ----

    /// The first use: the cached session, and auto-renewal.
    fn begin<S: Shell>(&mut self, shell: &mut S) {
        if !self.loaded {
            self.loaded = true;
            let now = shell.now();
            let cached = self.stored_session(shell).filter(|session| session.valid_for(now, 0.0));
            self.report(shell);
            if let Some(session) = cached {
                self.adopt(session, Source::Cache, false, shell);
            }
        }
        if !self.started && !self.stopped && self.options.auto_renew {
            self.started = true;
            shell.listen(true, self.lock_name.is_some());
        }
    }

    /// Renews in the background when the renewal point has passed.
    fn wake<S: Shell>(&mut self, shell: &mut S) {
        let now = shell.now();
        if self.started && self.session.as_ref().is_some_and(|s| s.due(now)) {
            self.renew(None, Need::Valid(0.0), shell);
        }
    }

    /// A new session from the server, through the flight in progress or a new one, for `caller`
    /// (who waits 30 s at most), or for nobody: a background renewal, which keeps the flight
    /// retrying while the page lives.
    fn renew<S: Shell>(&mut self, caller: Option<(u32, Want)>, need: Need, shell: &mut S) {
        let now = shell.now();
        let deadline = if caller.is_some() { now + retry::GIVE_UP_MS } else { f64::INFINITY };
        if let Some((call, want)) = caller {
            self.waiters.push(Waiter { call, want, give_up_at: deadline });
        }
        match &mut self.flight {
            Some(flight) => {
                flight.deadline = flight.deadline.max(deadline);
                flight.need = flight.need.max(need);
            }
            None => {
                // A new flight is one whose first attempt is due now; `attempt` moves it on.
                self.flight = Some(Flight { deadline, need, phase: Phase::Backoff { until: now } });
                self.attempt(shell);
            }
        }
    }

    /// One attempt: under the cross-tab lock where there is one, first a look at what another
    /// tab may have stored meanwhile, then the request.
    fn attempt<S: Shell>(&mut self, shell: &mut S) {
        if !self.ask_lock(true, shell) {
            self.look(false, shell);
        }
    }

    /// Asks for the lock; `false` where there is none to ask for.
    fn ask_lock<S: Shell>(&mut self, if_available: bool, shell: &mut S) -> bool {
        let Some(name) = &self.lock_name else { return false };
        if !shell.lock(name, if_available) {
            return false;
        }
        // The holder's attempt is a request and perhaps a probe; past that, it hangs or is frozen.
        let until = shell.now() + 2.0 * f64::from(self.options.request_timeout_ms) + 1000.0;
        self.set_phase(Phase::Lock { waiting: !if_available, until });
        true
    }

    /// The look for another tab's session, then the request. `contended`: another holder had the
    /// lock; what it stored may reach this tab's storage a few milliseconds late (browsers sync
    /// storage between tabs asynchronously), so this tab looks again for a while.
    fn look<S: Shell>(&mut self, contended: bool, shell: &mut S) {
        if !self.take_stored(shell) {
            self.look_again(if contended { SYNC_LOOKS } else { 1 }, shell);
        }
    }

    fn look_again<S: Shell>(&mut self, left: u32, shell: &mut S) {
        if left > 1 && matches!(self.flight_need(), Some(Need::Valid(_))) {
            let at = shell.now() + SYNC_LOOK_MS;
            self.set_phase(Phase::Look { left: left - 1, at });
        } else {
            let secret = self.stored_secret(shell);
            self.report(shell);
            let now = shell.now();
            self.post(secret.as_ref(), Phase::Ask { secret: secret.is_some(), sent_at: now }, shell);
        }
    }

    fn flight_need(&self) -> Option<Need> {
        self.flight.as_ref().map(|f| f.need)
    }

    /// Ends the flight with a session another tab stored, when the flight's callers can take it:
    /// valid for what they need, and not yet due for renewal.
    fn take_stored<S: Shell>(&mut self, shell: &mut S) -> bool {
        let Some(Need::Valid(min_ms)) = self.flight_need() else { return false };
        let now = shell.now();
        match self.stored_session(shell).filter(|s| s.valid_for(now, min_ms) && !s.due(now)) {
            Some(session) => {
                self.succeed(session, Source::Tab, false, shell);
                true
            }
            None => false,
        }
    }

    fn post<S: Shell>(&mut self, secret: Option<&Secret>, phase: Phase, shell: &mut S) {
        self.seq = self.seq.wrapping_add(1);
        let url = self.options.api.auth_url(&self.options.org);
        shell.post(self.seq, &url, &auth_request_body(secret), self.options.request_timeout_ms);
        self.set_phase(phase);
    }

    fn set_phase(&mut self, phase: Phase) {
        if let Some(flight) = &mut self.flight {
            flight.phase = phase;
        }
    }

    /// A validated session from a 200 answer, or `invalid_response`.
    fn session_from<S: Shell>(&self, answer: &Response, sent_at: f64, shell: &S) -> Result<Session, Error> {
        let parsed = AuthAnswer::parse_with(&answer.body, &self.options.org, |text| shell.parse(text)).map_err(|e| error::invalid_response(&e))?;
        Ok(Session::new(parsed, sent_at, self.options.renew_before_ms, shell.random()))
    }

    /// A session from the server: stored (its secret, and itself as the most recent session)
    /// before the lock is released, so that the next tab to take the lock finds it.
    fn succeed_stored<S: Shell>(&mut self, session: Session, reset: bool, shell: &mut S) {
        shell.set(&self.secret_key, &record::encode_secret(&session.answer.secret));
        shell.set(&self.session_key, &record::encode_session(&session));
        self.succeed(session, Source::Network, reset, shell);
    }

    /// The flight brought `session`: adopted, and handed to every waiting caller.
    fn succeed<S: Shell>(&mut self, session: Session, source: Source, reset: bool, shell: &mut S) {
        shell.unlock();
        self.flight = None;
        // Another tab's session that this tab already holds needs no adoption.
        let known = self.session.as_ref().is_some_and(|s| s.answer.access_token == session.answer.access_token);
        if source != Source::Tab || !known {
            self.adopt(session, source, reset, shell);
        }
        // The listeners hear of it first (their events are queued before the replies).
        if let Some(session) = &self.session {
            for waiter in core::mem::take(&mut self.waiters) {
                reply_with(shell, waiter.call, waiter.want, session);
            }
        }
    }

    /// An attempt failed: wait and try again while the flight's deadline allows and the error is
    /// worth it; else the flight ends with `error`, and the background tries again later.
    fn fail<S: Shell>(&mut self, error: Error, retryable: bool, retry_after_ms: Option<f64>, shell: &mut S) {
        shell.unlock();
        let now = shell.now();
        self.attempts = self.attempts.saturating_add(1);
        let deadline = self.flight.as_ref().map_or(0.0, |f| f.deadline);
        if deadline == f64::INFINITY && !self.failing {
            self.failing = true;
            shell.emit(Detail::Error(&error));
        }
        let delay = retry::retry_delay_ms(self.attempts, shell.random(), retry_after_ms);
        match retry::wait_within(deadline, now, delay, retry_after_ms).filter(|_| retryable) {
            Some(wait) => self.set_phase(Phase::Backoff { until: now + wait }),
            None => {
                self.flight = None;
                for waiter in core::mem::take(&mut self.waiters) {
                    shell.reply(waiter.call, Err(&error));
                }
                if self.started {
                    self.retry_at = Some(now + retry::retry_delay_ms(self.attempts, shell.random(), None));
                }
            }
        }
        self.last_error = Some(error);
    }

    /// Makes `session` the current one (already stored), and tells the listeners. `reset`: the
    /// stored secret was refused and replaced.
    fn adopt<S: Shell>(&mut self, session: Session, source: Source, reset: bool, shell: &mut S) {
        let previous = self.session.take().map(|p| p.answer.visitor_id);
        self.failing = false;
        self.attempts = 0;
        self.retry_at = None;
        self.last_error = None;
        let forgotten = core::mem::take(&mut self.forgotten);
        self.report(shell);
        let session = self.session.insert(session);
        let current = &session.answer.visitor_id;
        let changed = match &previous {
            Some(previous) => previous != current,
            None => forgotten || reset,
        };
        if changed {
            shell.emit(Detail::IdentityChange(previous.as_deref(), Some(current)));
        }
        shell.emit(Detail::Session(session, source));
    }

    /// Cancels the work under way: the request in flight (whose answer will not be adopted), its
    /// retries and the callers waiting for it, the timer.
    fn cancel<S: Shell>(&mut self, stop: bool, shell: &mut S) {
        if self.flight.take().is_some() {
            shell.abort();
            shell.unlock();
        }
        let error = error::stopped_by(stop);
        for waiter in core::mem::take(&mut self.waiters) {
            shell.reply(waiter.call, Err(&error));
        }
        self.failing = false;
        self.attempts = 0;
        self.retry_at = None;
    }

    /// Stops timers, page listeners and the request in flight.
    fn halt<S: Shell>(&mut self, shell: &mut S) {
        self.cancel(self.stopped, shell);
        if self.started {
            self.started = false;
            shell.listen(false, false);
        }
        shell.timer(None);
    }

    /// Drops the current identity (`forget()`, here or in another tab) and announces it; the next
    /// identity adopted is announced as a change from none.
    fn let_identity_go<S: Shell>(&mut self, shell: &mut S) {
        self.forgotten = true;
        if let Some(previous) = self.session.take() {
            shell.emit(Detail::IdentityChange(Some(&previous.answer.visitor_id), None));
        }
    }

    /// Arms the timer for the earliest of: a waiting caller giving up, the flight's next step,
    /// the background retry, the renewal point.
    fn rearm<S: Shell>(&mut self, shell: &mut S) {
        let mut next = self.waiters.iter().map(|w| w.give_up_at).fold(f64::INFINITY, f64::min);
        match &self.flight {
            Some(Flight { phase: Phase::Lock { until: at, .. } | Phase::Look { at, .. } | Phase::Backoff { until: at }, .. }) => next = next.min(*at),
            Some(_) => {}
            None if self.started => {
                let renew_at = self.session.as_ref().map_or(f64::INFINITY, |s| s.renew_at_ms);
                next = next.min(renew_at).min(self.retry_at.unwrap_or(f64::INFINITY));
            }
            None => {}
        }
        shell.timer((next != f64::INFINITY).then(|| timer_delay_ms(next, shell.now())));
    }

    /// Reports a storage degradation, once per occurrence.
    fn report<S: Shell>(&mut self, shell: &mut S) {
        if let Some(reason) = shell.degraded() {
            shell.emit(Detail::Storage(&reason));
        }
    }

    fn stored_secret<S: Shell>(&self, shell: &mut S) -> Option<Secret> {
        let text = shell.get(&self.secret_key)?;
        let doc = shell.parse(&text)?;
        record::decode_secret(&doc)
    }

    /// The session stored for this organization, if it belongs to the stored secret and is
    /// readable.
    fn stored_session<S: Shell>(&self, shell: &mut S) -> Option<Session> {
        let secret = self.stored_secret(shell)?;
        let text = shell.get(&self.session_key)?;
        let doc = shell.parse(&text)?;
        record::decode_session(&doc, &self.options.org, secret)
    }
}

fn reply_with<S: Shell>(shell: &mut S, call: u32, want: Want, session: &Session) {
    let token = session.answer.access_token.expose();
    shell.reply(
        call,
        Ok(match want {
            Want::Session => Reply::Session(session),
            Want::Token => Reply::Token(token),
            Want::Send { retried } => Reply::Send(token, retried),
        }),
    );
}

#[cfg(test)]
mod tests;
