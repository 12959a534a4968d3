//! The lifecycle of one visitor (SPEC §2, §3): the cached session, the shared auth request
//! ("flight") with its retries and secret-rejection probe, adoption of a new session, the renewal
//! timer and the page events that wake it.
//!
//! Decisions come from the core (`session`, `retry`, `wire`, `record`); this file holds the state
//! and carries them out.

use crate::prelude::*;

use alloc::boxed::Box;
use alloc::rc::Rc;
use core::future::Future;
use core::pin::Pin;

use wasm_bindgen::prelude::*;

use super::error;
use super::events::{dispatch, object, Event, Listeners};
use crate::core::options::{OnSecretRejected, Options, StorageKind};
use crate::core::record;
use crate::core::redact::Secret;
use crate::core::retry;
use crate::core::session::{timer_delay_ms, Session};
use crate::core::text;
use crate::core::wire::{auth_request_body, AuthAnswer};
use crate::web::cell::LocalCell;
use crate::web::fetch::{post_json, Answer, FetchError};
use crate::web::json;
use crate::web::locks;
use crate::web::page::{PageEvents, StorageEvents};
use crate::web::storage::Store;
use crate::web::sys::{self, AbortController, Function, Promise};
use crate::web::task;
use crate::web::timer::{self, Timeout};

/// Where an adopted session came from, as the `session` event reports it.
#[derive(Clone, Copy)]
pub enum Source {
    Network,
    Cache,
    /// Another tab renewed it and stored it.
    Tab,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Network => "network",
            Source::Cache => "cache",
            Source::Tab => "tab",
        }
    }
}

/// The auth request in progress, with its retries: every caller shares it (single flight).
struct Flight {
    promise: Promise,
    /// When the flight stops retrying: 30 s after its first waiting caller, or never for a
    /// background renewal (which keeps trying while the page lives).
    deadline_ms: f64,
    /// What a session another tab stored must offer to be taken instead of a request.
    need: Need,
}

/// What the callers of a flight need.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Need {
    /// A session valid for this many milliseconds, which another tab may have stored.
    Valid(f64),
    /// A new session from the server (`force: true`, or the server refused the token).
    Fresh,
}

impl Need {
    /// The stronger of two needs.
    fn max(self, other: Need) -> Need {
        match (self, other) {
            (Need::Fresh, _) | (_, Need::Fresh) => Need::Fresh,
            (Need::Valid(a), Need::Valid(b)) => Need::Valid(a.max(b)),
        }
    }
}

pub struct Inner {
    pub options: Options,
    secret_key: String,
    session_key: String,
    store: Store,
    pub session: Option<Session>,
    /// Whether storage has been consulted for a cached session.
    loaded: bool,
    /// Auto-renewal is on: set by the first use, cleared by `forget()` and `stop()`.
    started: bool,
    pub stopped: bool,
    /// Bumped by `forget()` and `stop()`: an answer to a request sent before is not adopted.
    epoch: u32,
    flight: Option<Flight>,
    abort: Option<AbortController>,
    timer: Option<Timeout>,
    page: Option<PageEvents>,
    /// Other tabs' changes to `localStorage` (with `storage: "local"` only).
    tabs: Option<StorageEvents>,
    /// The Web Lock that makes auth requests one at a time across the origin's tabs (with
    /// `storage: "local"` only: other storage is not shared between tabs).
    lock_name: Option<String>,
    pub listeners: Listeners,
    /// The `reject` of every public call still pending, which `stop()` rejects with `stopped`.
    /// (Not a shared "stop" promise raced by each call: a promise that never settles keeps a
    /// reaction of every race alive.)
    pending: Vec<(u32, Function)>,
    next_call: u32,
    /// A background renewal failed and no session has been adopted since (one `error` event
    /// per streak).
    failing: bool,
    /// Failed attempts in a row, for the backoff.
    attempts: u32,
    /// The error of the latest failed attempt, for a caller who gives up waiting.
    last_error: Option<JsValue>,
    /// `forget()` was called: the next identity adopted is announced as a change from none.
    forgotten: bool,
}

pub type Shared = Rc<LocalCell<Inner>>;

impl Inner {
    pub fn new(options: Options) -> Self {
        let lock_name = (options.storage == StorageKind::Local).then(|| text::cat(&[&options.prefix, ":", options.api.origin(), ":auth"]));
        Self {
            lock_name,
            tabs: None,
            secret_key: record::secret_key(&options.prefix, &options.api),
            session_key: record::session_key(&options.prefix, &options.api, &options.org),
            store: Store::new(options.storage),
            options,
            session: None,
            loaded: false,
            started: false,
            stopped: false,
            epoch: 0,
            flight: None,
            abort: None,
            timer: None,
            page: None,
            listeners: Listeners::default(),
            pending: Vec::new(),
            next_call: 0,
            failing: false,
            attempts: 0,
            last_error: None,
            forgotten: false,
        }
    }
}

/// The JS object of a session: `{visitorId, organizationId, socketUrl, accessToken, expiresAt,
/// expiresIn, visitorGlobalId?}`. Never the secret.
pub fn session_object(session: &Session) -> JsValue {
    let a = &session.answer;
    let mut pairs = vec![
        ("visitorId", JsValue::from_str(&a.visitor_id)),
        ("organizationId", JsValue::from_str(&a.organization_id)),
        ("socketUrl", JsValue::from_str(&a.socket_url)),
        ("accessToken", JsValue::from_str(a.access_token.expose())),
        ("expiresAt", sys::date(session.expires_at_ms)),
        ("expiresIn", a.expires_in.into()),
    ];
    if let Some(global) = &a.visitor_global_id {
        pairs.push(("visitorGlobalId", JsValue::from_str(global)));
    }
    object(&pairs)
}

pub fn emit(inner: &Shared, event: Event, detail: &JsValue) {
    let listeners = inner.borrow().listeners.of(event);
    dispatch(listeners, detail);
}

/// Reports a storage degradation, once per occurrence.
fn report_storage(inner: &Shared) {
    let reason = inner.borrow_mut().store.take_degradation();
    if let Some(reason) = reason {
        emit(inner, Event::Storage, &object(&[("reason", reason.into())]));
    }
}

fn stored_secret(inner: &mut Inner) -> Option<Secret> {
    let key = inner.secret_key.clone();
    inner.store.get(&key).and_then(|v| json::parse(&v)).and_then(|doc| record::decode_secret(&doc))
}

/// The session stored for this organization, if it belongs to the stored secret and is readable.
fn stored_session(inner: &mut Inner) -> Option<Session> {
    let key = inner.session_key.clone();
    let secret = stored_secret(inner)?;
    record::decode_session(&json::parse(&inner.store.get(&key)?)?, &inner.options.org, secret)
}

/// Consults storage once for a cached session of this organization (SPEC §2, "Caching").
pub fn load_cache(inner: &Shared) {
    let cached = {
        let mut s = inner.borrow_mut();
        if s.loaded {
            return;
        }
        s.loaded = true;
        stored_session(&mut s).filter(|session| session.valid_for(sys::now(), 0.0))
    };
    report_storage(inner);
    if let Some(session) = cached {
        adopt(inner, session, Source::Cache, false);
    }
}

/// Stores a session from the server: its secret, and the session as the most recent one.
fn persist(inner: &Shared, session: &Session) {
    let mut s = inner.borrow_mut();
    let (secret_key, session_key) = (s.secret_key.clone(), s.session_key.clone());
    s.store.set(&secret_key, &record::encode_secret(&session.answer.secret));
    s.store.set(&session_key, &record::encode_session(session));
}

/// Makes `session` the current one (already stored), schedules its renewal, and tells the
/// listeners. `reset`: the stored secret was refused and replaced.
fn adopt(inner: &Shared, session: Session, source: Source, reset: bool) {
    let (previous, forgotten, detail) = {
        let mut s = inner.borrow_mut();
        let previous = s.session.as_ref().map(|p| p.answer.visitor_id.clone());
        let detail = session_object(&session);
        s.session = Some(session);
        s.failing = false;
        s.attempts = 0;
        s.last_error = None;
        (previous, core::mem::take(&mut s.forgotten), detail)
    };
    schedule(inner);
    report_storage(inner);
    let current = inner.borrow().session.as_ref().map(|s| s.answer.visitor_id.clone()).unwrap_or_default();
    let changed = match &previous {
        Some(previous) => *previous != current,
        None => forgotten || reset,
    };
    if changed {
        let previous = previous.map_or(JsValue::NULL, JsValue::from);
        emit(inner, Event::IdentityChange, &object(&[("previousVisitorId", previous), ("visitorId", current.into())]));
    }
    emit(inner, Event::Session, &object(&[("session", detail), ("source", source.name().into())]));
}

fn stopped_error(inner: &Inner) -> JsValue {
    if inner.stopped {
        error::stopped("the visitor was stopped")
    } else {
        error::stopped("forget() was called while this request was pending")
    }
}

/// Why one attempt failed, and whether another is worth it.
struct Failure {
    error: JsValue,
    retryable: bool,
    retry_after_ms: Option<f64>,
}

impl Failure {
    fn fatal(error: JsValue) -> Self {
        Self { error, retryable: false, retry_after_ms: None }
    }
}

/// One POST to the auth endpoint, abortable by `stop()`/`forget()`: the time it is sent, and
/// the answer to come.
fn post(inner: &Shared, secret: Option<&Secret>) -> (f64, impl Future<Output = Result<Answer, FetchError>>) {
    let (url, timeout_ms, controller) = {
        let mut s = inner.borrow_mut();
        let controller = AbortController::new().ok();
        s.abort = controller.clone();
        (s.options.api.auth_url(&s.options.org), s.options.request_timeout_ms, controller)
    };
    (sys::now(), post_json(url, auth_request_body(secret), timeout_ms, controller))
}

/// A validated session from a 200 answer, or `invalid_response`.
fn session_from(inner: &Shared, answer: &Answer, sent_at: f64) -> Result<Session, JsValue> {
    let s = inner.borrow();
    let parsed = AuthAnswer::parse_with(&answer.body, &s.options.org, json::parse).map_err(|e| error::invalid_response(&e))?;
    Ok(Session::new(parsed, sent_at, s.options.renew_before_ms, sys::random()))
}

/// What an attempt brought.
enum Outcome {
    /// A session from the server; `reset`: the stored secret was refused and replaced.
    Network { session: Session, reset: bool },
    /// A session another tab stored, fresh enough that no request was needed.
    Tab(Session),
}

/// One attempt, under the cross-tab lock: first a look at what another tab may have stored
/// meanwhile, then the request, whose session is stored before the lock is released (so that
/// the next tab to take the lock finds it).
async fn attempt(inner: &Shared, epoch: u32, need: Need) -> Result<Outcome, Failure> {
    let (lock_name, wait_ms) = {
        let s = inner.borrow();
        // The holder's attempt is a request and perhaps a probe; past that, it hangs or is frozen.
        (s.lock_name.clone(), 2.0 * f64::from(s.options.request_timeout_ms) + 1000.0)
    };
    let Some(lock_name) = lock_name else { return request(inner, epoch).await };
    locks::exclusive(&lock_name, wait_ms, |contended| async move {
        if let Need::Valid(min_ms) = need {
            // After another holder, its session may reach this tab's storage a few
            // milliseconds late (browsers sync storage between tabs asynchronously): look again
            // for a while before asking the server.
            let looks = if contended { SYNC_LOOKS } else { 1 };
            for look in 0..looks {
                if look > 0 {
                    timer::sleep(SYNC_LOOK_MS).await;
                }
                if let Some(session) = fresh_session(inner, min_ms) {
                    return Ok(Outcome::Tab(session));
                }
            }
        }
        request(inner, epoch).await
    })
    .await
}

/// How often, and how far apart, a tab that waited for the lock looks for the session the
/// holder stored: 10 × 20 ms covers the storage sync between tabs, which takes a few to tens
/// of milliseconds.
const SYNC_LOOKS: u32 = 10;
const SYNC_LOOK_MS: f64 = 20.0;

/// A session another tab stored (or this tab adopted from it) that makes a request needless:
/// valid for `min_ms` and not yet due for renewal.
fn fresh_session(inner: &Shared, min_ms: f64) -> Option<Session> {
    let now = sys::now();
    stored_session(&mut inner.borrow_mut()).filter(|s| s.valid_for(now, min_ms) && !s.due(now))
}

/// A session from the server, stored before the lock is released.
fn stored_outcome(inner: &Shared, session: Session, reset: bool) -> Result<Outcome, Failure> {
    persist(inner, &session);
    Ok(Outcome::Network { session, reset })
}

/// The auth request with the stored secret and, when its refusal may mean the secret was
/// refused, the probe without it (SPEC §3). A session it brings is stored before it returns.
async fn request(inner: &Shared, epoch: u32) -> Result<Outcome, Failure> {
    let secret = {
        let mut s = inner.borrow_mut();
        stored_secret(&mut s)
    };
    report_storage(inner);
    let (sent_at, answer) = post(inner, secret.as_ref());
    let result = answer.await;
    if inner.borrow().epoch != epoch {
        return Err(Failure::fatal(stopped_error(&inner.borrow())));
    }
    let answer = result.map_err(|e| Failure { error: error::from_fetch(e), retryable: true, retry_after_ms: None })?;
    if answer.status == 200 {
        return session_from(inner, &answer, sent_at).map_err(Failure::fatal).and_then(|session| stored_outcome(inner, session, false));
    }
    if secret.is_some() && retry::may_refuse_secret(answer.status) {
        // Is it the secret, or the organization? Ask as a new visitor.
        let (probe_sent_at, probe) = post(inner, None);
        let probe = probe.await;
        if inner.borrow().epoch != epoch {
            return Err(Failure::fatal(stopped_error(&inner.borrow())));
        }
        let fresh = probe.ok().filter(|p| p.status == 200).and_then(|p| session_from(inner, &p, probe_sent_at).ok());
        let on_rejected = inner.borrow().options.on_secret_rejected;
        return match (fresh, on_rejected) {
            (Some(session), OnSecretRejected::Reset) => stored_outcome(inner, session, true),
            (Some(_), OnSecretRejected::Error) => Err(Failure::fatal(error::secret_rejected())),
            // Refused without the secret too: not the secret's fault. It is kept.
            (None, _) => Err(Failure::fatal(error::http(answer.status))),
        };
    }
    let retry_after_ms = answer.retry_after.as_deref().and_then(|v| retry::parse_retry_after(v, sys::now()));
    Err(Failure { error: error::http(answer.status), retryable: retry::is_retryable_status(answer.status), retry_after_ms })
}

/// The body of a flight: attempts, with backoff between them, until a session is adopted, an
/// error is not worth retrying, or the flight's deadline would pass.
async fn fly(inner: Shared, epoch: u32) -> Result<JsValue, JsValue> {
    loop {
        let need = inner.borrow().flight.as_ref().map_or(Need::Fresh, |f| f.need);
        let result = attempt(&inner, epoch, need).await;
        if inner.borrow().epoch != epoch {
            return Err(stopped_error(&inner.borrow()));
        }
        let failure = match result {
            Ok(outcome) => {
                let current = {
                    let mut s = inner.borrow_mut();
                    s.flight = None;
                    s.abort = None;
                    s.session.as_ref().map(|x| x.answer.access_token.clone())
                };
                let (session, source, reset) = match outcome {
                    Outcome::Network { session, reset } => (session, Source::Network, reset),
                    Outcome::Tab(session) => (session, Source::Tab, false),
                };
                let detail = session_object(&session);
                // Another tab's session that this tab already holds needs no adoption.
                if !matches!(source, Source::Tab) || current.as_ref() != Some(&session.answer.access_token) {
                    adopt(&inner, session, source, reset);
                }
                return Ok(detail);
            }
            Err(failure) => failure,
        };
        let (delay, deadline, first_of_streak) = {
            let mut s = inner.borrow_mut();
            s.attempts = s.attempts.saturating_add(1);
            s.last_error = Some(failure.error.clone());
            let deadline = s.flight.as_ref().map_or(0.0, |f| f.deadline_ms);
            let background = deadline == f64::INFINITY;
            let first = background && !s.failing;
            if background {
                s.failing = true;
            }
            (retry::retry_delay_ms(s.attempts, sys::random(), failure.retry_after_ms), deadline, first)
        };
        if first_of_streak {
            emit(&inner, Event::Error, &failure.error);
        }
        let wait = retry::wait_within(deadline, sys::now(), delay, failure.retry_after_ms);
        let Some(wait) = wait.filter(|_| failure.retryable) else {
            inner.borrow_mut().flight = None;
            retry_later(&inner);
            return Err(failure.error);
        };
        timer::sleep(wait).await;
        if inner.borrow().epoch != epoch {
            return Err(stopped_error(&inner.borrow()));
        }
    }
}

/// A new session from the server, through the flight in progress or a new one. A `foreground`
/// caller waits 30 s at most, then gets the latest error; a background renewal keeps the flight
/// retrying while the page lives.
pub async fn renew(inner: &Shared, foreground: bool, need: Need) -> Result<JsValue, JsValue> {
    let deadline = if foreground { sys::now() + retry::GIVE_UP_MS } else { f64::INFINITY };
    let promise = {
        let mut s = inner.borrow_mut();
        match &mut s.flight {
            Some(flight) => {
                flight.deadline_ms = flight.deadline_ms.max(deadline);
                flight.need = flight.need.max(need);
                flight.promise.clone()
            }
            None => {
                let promise = task::promise(fly(inner.clone(), s.epoch));
                s.flight = Some(Flight { promise: promise.clone(), deadline_ms: deadline, need });
                promise
            }
        }
    };
    if !foreground {
        return task::wait(&promise).await;
    }
    // The flight may be a background one that never gives up: the caller does, after 30 s.
    let marker = sys::object();
    let timeout = timer::Timer::new(retry::GIVE_UP_MS, marker.clone());
    match task::wait(&Promise::race(&sys::pair(&promise, &timeout.promise))).await {
        Ok(value) if value == marker => {
            let last = inner.borrow().last_error.clone();
            Err(last.unwrap_or_else(|| error::from_fetch(FetchError::Timeout)))
        }
        other => other,
    }
}

/// Turns auto-renewal on (first use): the timer and the page events.
pub fn start(inner: &Shared) {
    let weak = Rc::downgrade(inner);
    {
        let mut s = inner.borrow_mut();
        if s.started || s.stopped || !s.options.auto_renew {
            return;
        }
        s.started = true;
        s.page = Some(PageEvents::listen(move || {
            if let Some(inner) = weak.upgrade() {
                wake(&inner);
            }
        }));
        if s.lock_name.is_some() {
            let weak = Rc::downgrade(inner);
            s.tabs = Some(StorageEvents::listen(move |key, value| {
                if let Some(inner) = weak.upgrade() {
                    other_tab_changed(&inner, key, value);
                }
            }));
        }
    }
    schedule(inner);
}

/// Another tab changed storage: adopt the session it stored, or follow its `forget()`.
fn other_tab_changed(inner: &Shared, key: Option<String>, value: Option<String>) {
    let (is_secret, is_session) = {
        let s = inner.borrow();
        (key.as_deref() == Some(s.secret_key.as_str()), key.as_deref() == Some(s.session_key.as_str()))
    };
    if key.is_none() || (is_secret && value.is_none()) {
        forgotten_elsewhere(inner);
    } else if is_session && value.is_some() {
        let fresh = {
            let mut s = inner.borrow_mut();
            let current = s.session.as_ref().map(|x| x.answer.access_token.clone());
            stored_session(&mut s).filter(|x| x.valid_for(sys::now(), 0.0) && current.as_ref() != Some(&x.answer.access_token))
        };
        if let Some(session) = fresh {
            adopt(inner, session, Source::Tab, false);
        }
    }
}

/// Another tab called `forget()` (or cleared storage): this tab lets the identity go too, and
/// keeps listening, so that it adopts the next identity a tab makes.
fn forgotten_elsewhere(inner: &Shared) {
    let abort = {
        let mut s = inner.borrow_mut();
        if s.session.is_none() {
            return;
        }
        cancel(&mut s)
    };
    if let Some(abort) = abort {
        abort.abort();
    }
    let_identity_go(inner);
}

/// Cancels the work under way: the request in flight (whose answer will not be adopted), its
/// retries, the timer. Returns the request's controller, to be aborted once no borrow is held.
fn cancel(s: &mut Inner) -> Option<AbortController> {
    s.epoch = s.epoch.wrapping_add(1);
    s.flight = None;
    s.timer = None;
    s.failing = false;
    s.attempts = 0;
    s.abort.take()
}

/// Drops the current identity (`forget()`, here or in another tab) and announces it; the next
/// identity adopted is announced as a change from none.
pub fn let_identity_go(inner: &Shared) {
    let previous = {
        let mut s = inner.borrow_mut();
        s.forgotten = true;
        s.session.take().map(|x| x.answer.visitor_id)
    };
    if let Some(previous) = previous {
        emit(inner, Event::IdentityChange, &object(&[("previousVisitorId", previous.into()), ("visitorId", JsValue::NULL)]));
    }
}

/// Arms the timer to call `wake` after `delay_ms`.
fn arm(inner: &Shared, delay_ms: u32) {
    let weak = Rc::downgrade(inner);
    inner.borrow_mut().timer = Some(Timeout::new(delay_ms, move || {
        if let Some(inner) = weak.upgrade() {
            wake(&inner);
        }
    }));
}

/// (Re)arms the renewal timer for the current session.
fn schedule(inner: &Shared) {
    let renew_at = {
        let mut s = inner.borrow_mut();
        s.timer = None;
        match &s.session {
            Some(session) if s.started && !s.stopped => session.renew_at_ms,
            _ => return,
        }
    };
    arm(inner, timer_delay_ms(renew_at, sys::now()));
}

/// After a flight ended in failure, the background tries again later (with backoff), as long as
/// auto-renewal is on.
fn retry_later(inner: &Shared) {
    let delay = {
        let s = inner.borrow();
        if !s.started || s.stopped {
            return;
        }
        retry::retry_delay_ms(s.attempts.max(1), sys::random(), None)
    };
    arm(inner, delay as u32);
}

/// The timer fired or the page woke up: renew if due (or failing), else re-arm the timer (it may
/// have been throttled, or stopped during sleep).
fn wake(inner: &Shared) {
    let due = {
        let s = inner.borrow();
        if !s.started || s.stopped {
            return;
        }
        s.failing || s.session.as_ref().is_some_and(|session| session.due(sys::now()))
    };
    if due {
        renew_in_background(inner);
    } else {
        schedule(inner);
    }
}

/// Renews without a caller waiting; failures are reported as `error` events by the flight.
fn renew_in_background(inner: &Shared) {
    let inner = inner.clone();
    task::spawn(async move {
        let _ = renew(&inner, false, Need::Valid(0.0)).await;
    });
}

/// A session valid for at least `min_ms`, renewing first when needed; kicks a background renewal
/// when the renewal point has passed but the token is still good enough.
pub async fn ensure_token(inner: Shared, min_ms: f64) -> Result<JsValue, JsValue> {
    load_cache(&inner);
    start(&inner);
    let (current, due) = {
        let s = inner.borrow();
        let now = sys::now();
        match &s.session {
            Some(session) if session.valid_for(now, min_ms) => (Some(session_object(session)), session.due(now)),
            _ => (None, false),
        }
    };
    match current {
        Some(session) => {
            if due {
                renew_in_background(&inner);
            }
            Ok(session)
        }
        None => renew(&inner, true, Need::Valid(min_ms)).await,
    }
}

/// Erases the secret and the session from storage.
pub fn erase(inner: &Shared) {
    {
        let mut s = inner.borrow_mut();
        let (secret_key, session_key) = (s.secret_key.clone(), s.session_key.clone());
        s.store.remove(&secret_key);
        s.store.remove(&session_key);
        s.loaded = true;
    }
    report_storage(inner);
}

/// Stops timers, page listeners and the request in flight; `stopping` also ends the object.
pub fn halt(inner: &Shared, stopping: bool) {
    let (abort, pending) = {
        let mut s = inner.borrow_mut();
        let abort = cancel(&mut s);
        s.page = None;
        s.tabs = None;
        s.started = false;
        let pending = if stopping {
            s.stopped = true;
            s.listeners.clear();
            core::mem::take(&mut s.pending)
        } else {
            Vec::new()
        };
        (abort, pending)
    };
    if let Some(abort) = abort {
        abort.abort();
    }
    for (_, reject) in pending {
        let _ = reject.call1(&JsValue::UNDEFINED, &error::stopped("the visitor was stopped"));
    }
}

/// A public call: a promise of `work` that `stop()` rejects with `stopped` if it is still
/// pending then.
pub fn guarded(inner: &Shared, work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    // One instantiation of the rest for every kind of call.
    guard(inner, Box::pin(work))
}

type Work = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

fn guard(inner: &Shared, work: Work) -> Promise {
    if inner.borrow().stopped {
        return Promise::reject(&error::stopped("the visitor was stopped"));
    }
    let (mut resolve, mut reject) = (None, None);
    let promise = Promise::new(&mut |res, rej| {
        resolve = Some(res);
        reject = Some(rej);
    });
    let (Some(resolve), Some(reject)) = (resolve, reject) else { return promise };
    let id = {
        let mut s = inner.borrow_mut();
        s.next_call = s.next_call.wrapping_add(1);
        let id = s.next_call;
        s.pending.push((id, reject.clone()));
        id
    };
    let inner = inner.clone();
    task::spawn(async move {
        let result = work.await;
        let still_pending = {
            let mut s = inner.borrow_mut();
            let before = s.pending.len();
            s.pending.retain(|(call, _)| *call != id);
            s.pending.len() != before
        };
        if still_pending {
            let _ = match result {
                Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
                Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
            };
        }
    });
    promise
}
