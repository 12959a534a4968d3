//! The chaos suite of the core (issue 28, "Core, on the host"): seeded, model-based episodes.
//!
//! Each episode makes one visitor with random options on the recording host of `tests.rs`
//! ([`Fake`], keeping its effects whole) and drives it through a random interleaving of every
//! input a shell can deliver: the page's calls (`authenticate` with and without `force`,
//! `getAccessToken` with several `minValidity`, `fetch()` and the API's answers to it, 401s
//! included, aborts, `forget`, `setStorage` to each kind, `stop`), answers to the auth request of
//! every kind (valid, garbage, another organization's, 3xx, refusals with and without the secret,
//! retryable failures with and without `Retry-After`, network errors, timeouts), lock grants,
//! refusals and hung locks, timers firing, the page's clock moved both ways, sleeps, page
//! events, other tabs' writes (sessions of the same or another identity, garbage, removals,
//! retry records near and far), and calls made right after an effect, before any time passes.
//!
//! After every input the [`World`] checks SPEC §2 and §3 against what it knows to be true (when
//! each token really expires, which secrets the API issued, what each call was promised), never
//! against the machine's own reckoning. The invariants are listed at [`World::check_state`],
//! [`World::replied`], [`World::emitted`], [`World::posted`] and [`World::check_storage`].
//!
//! A failure names its seed and the steps that led to it. `CHAOS_SEED=<seed>` replays that one
//! episode (`cargo test -p giosg-visitor --lib chaos -- --nocapture`); `CHAOS_EPISODES=<n>` runs
//! more or fewer than [`EPISODES`]. Seeds that once found a bug stay below as named cases.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::core::redact::Secret;

/// Episodes in one run of [`chaos_episodes_keep_every_invariant`], unless `CHAOS_EPISODES` says.
const EPISODES: u64 = 360;
/// How many inputs an episode delivers before its visitor stops, at the most.
const LONGEST_EPISODE: u32 = 2400;
/// How many of the latest steps a failure shows, unless `CHAOS_TRACE` says.
const TRACE: usize = 80;
/// The organization of an answer meant for another one.
const OTHER_ORG: &str = "0c7b5a3e-1d2f-4a6b-9c8d-7e6f5a4b3c2d";
/// Seconds a token of the simulated API lasts: short ones most, so that episodes renew often.
const LIFETIMES: [u32; 7] = [30, 30, 45, 60, 120, 600, 1800];

// ---- What the world does ----

/// An answer of the auth endpoint, as the world chose it (the trace shows it so).
#[derive(Clone, Debug)]
enum Answer {
    /// 200 with a valid session of `visitor` (secret `secret-<visitor>`).
    Session { visitor: String, token: String, expires_in: u32 },
    /// 200 with a body that is no valid session (its names are all `foreign`).
    Garbage(Garbage),
    /// 200 with a valid session of another organization.
    OtherOrg,
    /// A 3xx, its body a valid session of a foreign visitor (which must never be read).
    Redirect(u16),
    /// The browser stopped at a redirect (`redirect: "manual"`): the shell's opaque `http` error.
    Opaque,
    /// Any other status, with or without `Retry-After`.
    Status { status: u16, retry_after: Option<RetryAfter> },
    Network,
    Timeout,
}

#[derive(Clone, Copy, Debug)]
enum Garbage {
    NotJson,
    Empty,
    NotAnObject,
    WrongTypes,
    ZeroLifetime,
    LifetimeOverAYear,
    SocketNotHttp,
    OverSixtyFourKib,
}

#[derive(Clone, Copy, Debug)]
enum RetryAfter {
    Seconds(u64),
    /// An HTTP date this many milliseconds from the page's clock.
    Date(f64),
    Unreadable,
}

/// How the auth endpoint behaves for a while.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Weather {
    /// Every request gets a valid session.
    Up,
    /// Every request fails on the way or with 408, 429, 5xx.
    Down,
    /// Half the requests fail.
    Flaky,
    /// Anything at all.
    Hostile,
    /// The API has forgotten every secret: a request with one is refused, one without works.
    RefusesSecrets,
    /// The API answers with redirects, most of the time.
    Redirects,
}

/// What another tab of the visitor (or the page) does to `localStorage`.
#[derive(Clone, Copy, Debug)]
enum TabWrite {
    /// Renewed the identity stored there: a new session of it.
    Renewed,
    /// Stored an identity of its own: its secret and its session.
    NewIdentity,
    /// A session of the stored identity that has expired already.
    ExpiredSession,
    GarbageSecret,
    GarbageSession,
    /// A secret record of the right shape whose secret the API never issued.
    UnknownSecret,
    /// `forget()` in that tab: the secret, the session and the retry record go.
    Forgot,
    RemovedSession,
    /// `localStorage.clear()`.
    Cleared,
    /// A failed attempt of that tab: no tab's renewal before this many ms from now (within
    /// the hour the SDK writes at most, or far past it: garbage).
    RetryRecord(f64),
}

/// What the page's API answers to a `fetch()` sent with a token.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Api {
    /// 401 to expired tokens, mostly 200 otherwise.
    Normal,
    /// 401 to every token (the SPEC's "persistent 401").
    RefusesEveryToken,
}

// ---- What reaches the machine ----

/// One input to the machine, as the shell delivers it.
#[derive(Clone, Debug)]
enum Input {
    Load,
    Authenticate { call: u32, force: bool },
    Token { call: u32, min_ms: f64, want: Want },
    Sent { call: u32, status: u16, retried: bool, token: String },
    Forget { call: u32 },
    Abandon { call: u32 },
    SetStorage { call: u32, kind: StorageKind },
    Stop,
    Answered { seq: u32, answer: Answer },
    Locked { granted: bool },
    Tick,
    Woke,
    TabChanged { key: Option<String>, value: Option<String> },
}

/// What a call asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Asked {
    Session,
    Token { min_ms: f64 },
    Send,
    /// `forget()` or `setStorage()`: settled at once with `Done`.
    Done,
}

#[derive(Clone, Debug, PartialEq)]
enum CallState {
    /// Waiting for the machine, since this much awake time.
    Waiting { since: f64 },
    /// `fetch()` was handed `token`: its request is out (the shell ends it after the timeout).
    Sending { token: String, since: f64 },
    Over,
}

struct Call {
    asked: Asked,
    state: CallState,
    /// The API refused this `fetch()`'s token once (`sent()` said to send again).
    refused: bool,
    /// It was pending when `forget()` ran, here or in another tab.
    across_forget: bool,
}

/// An auth request out.
#[derive(Clone, Debug)]
struct Request {
    seq: u32,
    secret: Option<String>,
    sent_at: f64,
    timeout_ms: f64,
    /// The world's step when it was posted (other tabs' writes after it race with it).
    posted: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum LockState {
    Free,
    Asked { if_available: bool },
    Held,
}

/// The three storages of the host, each sorted, as they were at one moment.
#[derive(Clone, PartialEq)]
struct Stores([Vec<(String, String)>; 3]);

const KINDS: [StorageKind; 3] = [StorageKind::Local, StorageKind::Session, StorageKind::Memory];

impl Stores {
    fn of(host: &Fake) -> Self {
        Stores(KINDS.map(|kind| {
            let mut held = held_in(host, kind);
            held.sort();
            held
        }))
    }

    fn get(&self, kind: StorageKind, key: &str) -> Option<&str> {
        let at = KINDS.iter().position(|k| *k == kind).unwrap_or(0);
        self.0[at].iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The entries of `kind` that are new or changed since `before`.
    fn written_since<'a>(&'a self, before: &Stores, kind: StorageKind) -> Vec<&'a (String, String)> {
        let at = KINDS.iter().position(|k| *k == kind).unwrap_or(0);
        self.0[at].iter().filter(|entry| !before.0[at].contains(entry)).collect()
    }
}

/// The secret a stored secret record holds, when it is one the machine can read.
fn readable_secret(text: Option<&str>) -> Option<String> {
    text.and_then(|t| from_json::<SecretRecord>(t).ok()).and_then(SecretRecord::secret).map(|s| s.expose().to_owned())
}

/// Whether a name comes from an answer that must never be read, or from garbage.
fn is_foreign(name: &str) -> bool {
    name.contains("foreign")
}

/// An IMF-fixdate (`Tue, 14 Nov 2023 22:13:20 GMT`) of `ms` since the Unix epoch.
fn http_date(ms: f64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs((ms / 1000.0).floor().max(0.0) as u64))
}

// ---- The world ----

/// One episode: the machine, its host, and everything the world knows.
struct World {
    seed: u64,
    rng: StdRng,
    life: Lifecycle,
    host: Fake,
    /// The auth URL the options name (the only place the secret may go).
    auth_url: String,
    steps: u64,
    trace: VecDeque<String>,
    trace_length: usize,

    calls: BTreeMap<u32, Call>,
    next_call: u32,
    /// The auth request out (the machine makes one at a time).
    requests: Vec<Request>,
    /// Requests whose answer is no longer wanted (aborted, or overtaken).
    stale: Vec<u32>,
    lock: LockState,
    /// The page listeners are on (`woke` can come), and with `tabs`, other tabs' writes are heard.
    listening: bool,
    listening_tabs: bool,
    /// `stop()` ran: nothing may happen any more.
    stopped: bool,
    /// Time the page slept, in total (calls' bounds count awake time).
    asleep_ms: f64,
    /// The page's clock less the monotonic clock at the start: where the page's clock would
    /// be had nobody moved it.
    first_wall: f64,

    weather: Weather,
    api: Api,
    /// When each token really expires (monotonic time): the truth the machine's clocks may miss.
    tokens: HashMap<String, f64>,
    /// The visitor each token was issued to.
    visitor_of: HashMap<String, String>,
    /// Visitors forgotten (`forget()` here, or in another tab as this one heard): none of them
    /// may come back, neither to a call (SPEC §3: a call pending when `forget()` runs settles
    /// with the new visitor) nor as the current one.
    forgotten: HashSet<String>,
    /// Secrets the API issued (their visitor is the name after `secret-`).
    issued: HashSet<String>,
    next_visitor: u32,
    next_token: u32,
    /// Until then, a failure (of this visitor, or another tab's) may have put the renewal off:
    /// the renewal schedule's bound is checked from then on.
    unsettled_until: f64,
    /// The latest moment something put the renewal off: a token that expired before it (or
    /// during a sleep) may have been renewed late.
    unsettled_since: f64,
    /// The world's latest write of the secret key, as a step number.
    secret_written_by_tab: u64,

    /// The visitor the events announced last (`identitychange`, or the first `session`).
    announced: Option<String>,
    /// The identity was let go (`identitychange` to none): the next one must be announced.
    released: bool,
    /// An `error` event was emitted in the current failure streak.
    error_in_streak: bool,
    /// A renewal for a 401 is under way: the token it brings is one that renewing for a 401 brought.
    renewing_for_refusal: bool,
    /// Tokens that a renewal for a 401 brought, not yet taken by the API.
    brought_by_refusal: HashSet<String>,
    /// What the input being checked did: identity announced, request answered.
    identity_set_now: bool,
    answered_now: Option<Request>,
    /// How many ticks in a row came at one moment (a timer that fires at once forever is a bug).
    ticks_at_once: u32,
    /// The latest input's effects ran page code (a listener, a settled call).
    last_ran_page_code: bool,
    /// How often each situation worth reaching was reached (see [`MUST_REACH`]).
    reached: BTreeMap<&'static str, u64>,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let kind = *pick(&mut rng, &KINDS);
        let localhost = rng.random_bool(0.2);
        let prefixes = [None, None, None, Some("app".to_owned()), Some("é".repeat(60)), Some("p".repeat(100))];
        let raw = RawOptions {
            organization_id: Some(ORG.into()),
            api_base_url: localhost.then(|| "http://localhost:8080".into()),
            storage: Some(kind.name().into()),
            auto_renew: Some(rng.random_bool(0.9)),
            renew_before_seconds: *pick(&mut rng, &[None, None, Some(0.0), Some(5.0), Some(20.0), Some(300.0)]),
            request_timeout_ms: *pick(&mut rng, &[None, None, Some(3000.0)]),
            on_secret_rejected: Some((*pick(&mut rng, &["reset", "reset", "error"])).into()),
            // Up to 100 characters, as the README says (not UTF-8 bytes: 60 × "é" is 120).
            storage_key_prefix: pick(&mut rng, &prefixes).clone(),
            ..RawOptions::default()
        };
        let options = match Options::from_raw(&raw, parse_url) {
            Ok(options) => options,
            Err(problem) => panic!("chaos seed {seed} violated an invariant at step 0: the options {raw:?}, which the README allows, were refused: {problem}"),
        };
        let base = if localhost { "http://localhost:8080" } else { "https://service.giosg.com" };
        let auth_url = format!("{base}/api/v5/public/orgs/{ORG}/auth");
        let locks = rng.random_bool(0.85);
        let host = Fake { kind, locks, effects: Some(Vec::new()), ..Fake::new() };
        let weather = if rng.random_bool(0.6) { Weather::Up } else { *pick(&mut rng, &[Weather::Down, Weather::Flaky, Weather::Hostile, Weather::RefusesSecrets, Weather::Redirects]) };
        let mut world = World {
            seed,
            rng,
            life: Lifecycle::new(options),
            host,
            auth_url,
            steps: 0,
            trace: VecDeque::new(),
            trace_length: env_number("CHAOS_TRACE").map_or(TRACE, |n| n as usize),
            calls: BTreeMap::new(),
            next_call: 0,
            requests: Vec::new(),
            stale: Vec::new(),
            lock: LockState::Free,
            listening: false,
            listening_tabs: false,
            stopped: false,
            asleep_ms: 0.0,
            first_wall: 0.0,
            weather,
            api: Api::Normal,
            tokens: HashMap::new(),
            visitor_of: HashMap::new(),
            forgotten: HashSet::new(),
            issued: HashSet::new(),
            next_visitor: 0,
            next_token: 0,
            unsettled_until: 0.0,
            unsettled_since: 0.0,
            secret_written_by_tab: 0,
            announced: None,
            released: false,
            error_in_streak: false,
            renewing_for_refusal: false,
            brought_by_refusal: HashSet::new(),
            identity_set_now: false,
            answered_now: None,
            ticks_at_once: 0,
            last_ran_page_code: false,
            reached: BTreeMap::new(),
        };
        world.first_wall = world.host.now - world.host.mono;
        world.note(format!("options {raw:?}, locks {locks}, weather {weather:?}"));
        world.seed_storage();
        world.deliver(Input::Load);
        world
    }

    /// What the storage held when the page loaded: nothing, a returning visitor (its session
    /// valid or expired), garbage, or a retry record near or far.
    fn seed_storage(&mut self) {
        let kind = self.life.storage;
        if kind == StorageKind::Memory {
            return;
        }
        let (secret_key, session_key, retry_key) = (self.life.secret_key.clone(), self.life.session_key.clone(), self.life.retry_key.clone());
        let mut writes = Vec::new();
        match self.rng.random_range(0..6) {
            0 => {}
            1 | 2 => {
                self.reach("load: a returning visitor");
                let visitor = self.new_visitor();
                let lifetime = *pick(&mut self.rng, &LIFETIMES);
                let age = self.rng.random_range(0.0..f64::from(lifetime) * 1500.0);
                writes.push((secret_key, self.secret_record(&format!("secret-{visitor}"))));
                writes.push((session_key, self.session_record(&visitor, lifetime, age)));
            }
            3 => writes.push((secret_key, "{\"v\":1,\"secret\":".into())),
            4 => writes.push((session_key, "[1,2,3]".into())),
            _ => {
                let visitor = self.new_visitor();
                writes.push((secret_key, self.secret_record(&format!("secret-{visitor}"))));
                writes.push((session_key, self.session_record(&visitor, 60, 1000.0)));
                let ahead = *pick(&mut self.rng, &[30_000.0, 36e6]);
                if ahead > retry::MAX_RETRY_AFTER_MS {
                    self.reach("load: a retry record dated far ahead");
                }
                writes.push((retry_key, self.retry_record(ahead)));
            }
        }
        for (key, value) in writes {
            self.note(format!("stored at load: {key} = {value}"));
            self.host.storage.push((key, value));
        }
    }

    // ---- Running an episode ----

    fn run(&mut self) {
        let length = self.rng.random_range(100..LONGEST_EPISODE);
        let mut reentrant = false;
        for _ in 0..length {
            reentrant = self.step(reentrant);
        }
        if self.rng.random_bool(0.8) {
            self.deliver(Input::Stop);
            for _ in 0..20 {
                self.after_stop();
            }
        }
    }

    /// One random step of the world; `reentrant`: the last input's effects ran page code (a
    /// listener, a settled call), which calls the visitor right away. Returns whether this one
    /// did.
    fn step(&mut self, reentrant: bool) -> bool {
        let before = self.steps;
        if reentrant && self.rng.random_bool(0.3) {
            self.page_call();
        } else {
            match self.rng.random_range(0..100) {
                0..=13 => self.page_call(),
                14..=21 => self.api_responds(),
                22..=23 => self.abandon(),
                24 => self.forget(),
                25..=26 => self.set_storage(),
                27..=40 => self.answer(),
                41 => self.stale_answer(),
                42..=49 => self.answer_lock(),
                50..=59 => {
                    let ms = self.rng.random_range(0..3000);
                    self.pass(f64::from(ms));
                }
                60..=71 => self.until_the_timer(),
                72..=73 => {
                    let ms = self.rng.random_range(0..180_000);
                    self.pass(f64::from(ms));
                }
                74..=75 => self.jump(),
                76 => self.sleep(),
                77..=78 => self.woke(),
                79..=84 => self.tab_writes(),
                85 => self.change_weather(),
                86 => self.api = if self.rng.random_bool(0.3) { Api::RefusesEveryToken } else { Api::Normal },
                87 => self.spurious_tick(),
                _ => {
                    let ms = self.rng.random_range(0..20_000);
                    self.pass(f64::from(ms));
                }
            }
        }
        self.steps > before && self.last_ran_page_code
    }

    /// After `stop()`: what a shell can still deliver (answers of requests it had sent, a timer
    /// or page event already queued) changes nothing.
    fn after_stop(&mut self) {
        match self.rng.random_range(0..4) {
            0 => self.answer(),
            1 => self.stale_answer(),
            2 => self.deliver(Input::Tick),
            _ => self.deliver(Input::Woke),
        }
        let ms = self.rng.random_range(0..60_000);
        self.host.pass(f64::from(ms));
    }

    // ---- The page ----

    fn open(&mut self, asked: Asked) -> u32 {
        self.next_call += 1;
        let since = self.awake();
        self.calls.insert(self.next_call, Call { asked, state: CallState::Waiting { since }, refused: false, across_forget: false });
        self.next_call
    }

    /// `authenticate()`, `getAccessToken()` or `fetch()` (after `stop()` the shell settles it
    /// itself, with `stopped`, and the machine never hears of it).
    fn page_call(&mut self) {
        if self.stopped {
            return;
        }
        match self.rng.random_range(0..10) {
            0..=2 => {
                let call = self.open(Asked::Session);
                let force = self.rng.random_bool(0.25);
                self.deliver(Input::Authenticate { call, force });
            }
            3..=5 => {
                let min_ms = *pick(&mut self.rng, &[0.0, FETCH_MIN_VALIDITY_MS, FETCH_MIN_VALIDITY_MS, 20_000.0, 100_000.0, 7_200_000.0]);
                let call = self.open(Asked::Token { min_ms });
                self.deliver(Input::Token { call, min_ms, want: Want::Token });
            }
            _ => {
                let call = self.open(Asked::Send);
                self.deliver(Input::Token { call, min_ms: FETCH_MIN_VALIDITY_MS, want: Want::Send { retried: false } });
            }
        }
    }

    /// The API answers a `fetch()` sent with a token.
    fn api_responds(&mut self) {
        let sending: Vec<(u32, String)> = self.calls.iter().filter_map(|(id, c)| if let CallState::Sending { token, .. } = &c.state { Some((*id, token.clone())) } else { None }).collect();
        if sending.is_empty() {
            return;
        }
        let (call, token) = sending[self.rng.random_range(0..sending.len())].clone();
        let expired = self.tokens.get(&token).is_none_or(|at| *at < self.host.mono);
        let status = if self.api == Api::RefusesEveryToken || expired { 401 } else { *pick(&mut self.rng, &[200, 200, 200, 200, 204, 401, 404, 500]) };
        let retried = self.calls[&call].refused;
        self.deliver(Input::Sent { call, status, retried, token });
    }

    /// The page aborts a call's signal: the shell settles it and tells the machine.
    fn abandon(&mut self) {
        let open: Vec<u32> = self.calls.iter().filter(|(_, c)| c.asked != Asked::Done && c.state != CallState::Over).map(|(id, _)| *id).collect();
        if open.is_empty() || self.stopped {
            return;
        }
        let call = open[self.rng.random_range(0..open.len())];
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::Over;
        }
        self.deliver(Input::Abandon { call });
    }

    fn forget(&mut self) {
        if !self.stopped {
            // The current visitor goes, and whichever one is stored anywhere.
            let stores = Stores::of(&self.host);
            let stored = KINDS.into_iter().filter_map(|kind| readable_secret(stores.get(kind, &self.life.secret_key)));
            let stored: Vec<String> = stored.filter(|s| self.issued.contains(s)).map(|s| s.trim_start_matches("secret-").to_owned()).collect();
            self.forgotten.extend(stored);
            self.forget_current();
            let call = self.open(Asked::Done);
            self.deliver(Input::Forget { call });
        }
    }

    /// The machine's current visitor is forgotten (`forget()` here or in another tab).
    fn forget_current(&mut self) {
        if let Some(session) = &self.life.session {
            self.forgotten.insert(session.answer.visitor_id.clone());
        }
    }

    fn set_storage(&mut self) {
        if !self.stopped {
            let kind = *pick(&mut self.rng, &KINDS);
            let call = self.open(Asked::Done);
            self.deliver(Input::SetStorage { call, kind });
        }
    }

    // ---- The auth endpoint ----

    fn new_visitor(&mut self) -> String {
        self.next_visitor += 1;
        let visitor = format!("v{}", self.next_visitor);
        self.issued.insert(format!("secret-{visitor}"));
        visitor
    }

    fn new_token(&mut self, visitor: &str, expires_at: f64) -> String {
        self.next_token += 1;
        let token = format!("t{}", self.next_token);
        self.tokens.insert(token.clone(), expires_at);
        self.visitor_of.insert(token.clone(), visitor.to_owned());
        token
    }

    /// A valid session for a request sent at `sent_at` with `secret`: the same visitor for a
    /// secret the API issued, a new one without; a secret it never issued is refused.
    fn session_answer(&mut self, secret: Option<&str>, sent_at: f64) -> Answer {
        let visitor = match secret {
            Some(secret) if self.issued.contains(secret) => secret.trim_start_matches("secret-").to_owned(),
            Some(_) => return Answer::Status { status: 401, retry_after: None },
            None => self.new_visitor(),
        };
        let expires_in = *pick(&mut self.rng, &LIFETIMES);
        // The server took the request somewhere between its sending and now.
        let taken_at = sent_at + self.rng.random::<f64>() * (self.host.mono - sent_at);
        let token = self.new_token(&visitor, taken_at + f64::from(expires_in) * 1000.0);
        Answer::Session { visitor, token, expires_in }
    }

    fn failure(&mut self) -> Answer {
        let retry_after = match self.rng.random_range(0..8) {
            0 => Some(RetryAfter::Seconds(*pick(&mut self.rng, &[0, 1, 5, 40, 600, 3600, 99_999_999_999]))),
            1 => Some(RetryAfter::Date(*pick(&mut self.rng, &[-60_000.0, 10_000.0, 90_000.0, 7_200_000.0]))),
            2 => Some(RetryAfter::Unreadable),
            _ => None,
        };
        match self.rng.random_range(0..6) {
            0 => Answer::Network,
            1 => Answer::Timeout,
            _ => Answer::Status { status: *pick(&mut self.rng, &[408, 429, 500, 502, 503, 504]), retry_after },
        }
    }

    fn answer_for(&mut self, request: &Request) -> Answer {
        let secret = request.secret.as_deref();
        let weather = self.weather;
        match weather {
            Weather::Up => self.session_answer(secret, request.sent_at),
            Weather::Down => self.failure(),
            Weather::Flaky if self.rng.random_bool(0.5) => self.session_answer(secret, request.sent_at),
            Weather::Flaky => self.failure(),
            Weather::RefusesSecrets if secret.is_some() => Answer::Status { status: *pick(&mut self.rng, &[400, 401, 403, 404]), retry_after: None },
            Weather::RefusesSecrets => self.session_answer(None, request.sent_at),
            Weather::Redirects if self.rng.random_bool(0.25) => self.session_answer(secret, request.sent_at),
            Weather::Redirects if self.rng.random_bool(0.2) => Answer::Opaque,
            Weather::Redirects => Answer::Redirect(*pick(&mut self.rng, &[301, 302, 303, 307, 308])),
            Weather::Hostile => match self.rng.random_range(0..10) {
                0..=2 => self.session_answer(secret, request.sent_at),
                3 => Answer::Garbage(*pick(&mut self.rng, &[Garbage::NotJson, Garbage::Empty, Garbage::NotAnObject, Garbage::WrongTypes, Garbage::ZeroLifetime, Garbage::LifetimeOverAYear, Garbage::SocketNotHttp, Garbage::OverSixtyFourKib])),
                4 => Answer::OtherOrg,
                5 => Answer::Redirect(*pick(&mut self.rng, &[302, 307])),
                6 => Answer::Status { status: *pick(&mut self.rng, &[400, 401, 403, 404, 409, 422]), retry_after: None },
                _ => self.failure(),
            },
        }
    }

    /// The answer as the shell hands it to the machine.
    fn response(&self, answer: &Answer) -> Result<Response, Error> {
        let foreign = |visitor: &str| ok(visitor, &format!("{visitor}-token"), 1800).unwrap().body;
        let body = |status: u16, body: String| Ok(Response { status, body, retry_after: None });
        match answer {
            Answer::Session { visitor, token, expires_in } => ok(visitor, token, *expires_in),
            Answer::Garbage(garbage) => body(200, match garbage {
                Garbage::NotJson => "<html>Bad gateway</html>".into(),
                Garbage::Empty => String::new(),
                Garbage::NotAnObject => "[\"foreign\"]".into(),
                Garbage::WrongTypes => r#"{"visitor_id":7,"visitor_secret_id":"secret-foreign","organization_id":"x","access_token":null,"expires_in":"1800"}"#.into(),
                Garbage::ZeroLifetime => ok("foreign-zero", "foreign-zero-token", 0).unwrap().body,
                Garbage::LifetimeOverAYear => ok("foreign-long", "foreign-long-token", 31_536_001).unwrap().body,
                Garbage::SocketNotHttp => foreign("foreign-socket").replace("https://x/", "ftp://x/"),
                Garbage::OverSixtyFourKib => foreign("foreign-huge").replace("}", &format!(",\"pad\":\"{}\"}}", "x".repeat(66_000))),
            }),
            Answer::OtherOrg => body(200, foreign("foreign-org").replace(ORG, OTHER_ORG)),
            Answer::Redirect(status) => body(*status, foreign("foreign-redirect")),
            Answer::Opaque => Err(Error { code: error::Code::Http, message: "redirected".into(), status: None }),
            Answer::Status { status: code, retry_after } => {
                let text = retry_after.map(|after| match after {
                    RetryAfter::Seconds(s) => s.to_string(),
                    RetryAfter::Date(ms) => http_date(self.host.now + ms),
                    RetryAfter::Unreadable => "soon".into(),
                });
                status(*code, text.as_deref())
            }
            Answer::Network => Err(error::network()),
            Answer::Timeout => Err(error::timeout()),
        }
    }

    /// The latest request is answered, after a latency within its timeout.
    fn answer(&mut self) {
        let Some(request) = self.requests.first().cloned() else { return };
        let left = (request.sent_at + request.timeout_ms - self.host.mono).max(0.0);
        let latency = if self.rng.random_bool(0.7) { self.rng.random_range(0.0..300.0_f64) } else { self.rng.random_range(0.0..=left) };
        self.pass(latency.min(left).floor());
        if self.requests.first().is_some_and(|r| r.seq == request.seq) {
            let answer = self.answer_for(&request);
            self.deliver(Input::Answered { seq: request.seq, answer });
        }
    }

    /// An answer to a request whose answer is no longer wanted.
    fn stale_answer(&mut self) {
        let Some(&seq) = self.stale.last() else { return };
        let request = Request { seq, secret: None, sent_at: self.host.mono, timeout_ms: 0.0, posted: 0 };
        let answer = self.answer_for(&request);
        self.deliver(Input::Answered { seq, answer });
    }

    fn change_weather(&mut self) {
        self.weather = *pick(&mut self.rng, &[Weather::Up, Weather::Up, Weather::Up, Weather::Down, Weather::Flaky, Weather::Hostile, Weather::RefusesSecrets, Weather::Redirects]);
        self.note(format!("weather {:?}", self.weather));
    }

    /// The lock asked for is granted, refused (another tab holds it), or never answered.
    fn answer_lock(&mut self) {
        let LockState::Asked { if_available } = self.lock else { return };
        match self.rng.random_range(0..10) {
            0..=6 => {
                self.lock = LockState::Held;
                self.deliver(Input::Locked { granted: true });
            }
            7 | 8 if if_available => {
                // Another tab holds it: its attempt may put this tab's renewal off.
                self.unsettle(62_000.0);
                self.lock = LockState::Free;
                self.deliver(Input::Locked { granted: false });
            }
            _ => {
                // The holder hangs: the machine goes on without the lock after a while, and
                // waits its backoff behind the holder's attempt.
                self.unsettle(f64::from(self.life.options.request_timeout_ms) * 2.0 + 64_000.0);
                self.note("the lock hangs".into());
            }
        }
    }

    // ---- Time ----

    /// Time the calls' bounds count: what passed while the page was awake.
    fn awake(&self) -> f64 {
        self.host.mono - self.asleep_ms
    }

    /// `ms` pass; the timer fires when due, requests and page fetches time out.
    fn pass(&mut self, ms: f64) {
        let until = self.host.mono + ms;
        loop {
            let timer = self.host.timer.map(|delay| self.host.armed_at + f64::from(delay)).filter(|_| !self.stopped);
            let request = self.requests.first().map(|r| r.sent_at + r.timeout_ms);
            let timeout = f64::from(self.life.options.request_timeout_ms);
            let sending = self.calls.iter().filter_map(|(id, c)| if let CallState::Sending { since, .. } = c.state { Some((since + timeout + self.asleep_ms, *id)) } else { None }).min_by(|a, b| a.0.total_cmp(&b.0));
            let next = [timer, request, sending.map(|s| s.0)].into_iter().flatten().fold(f64::INFINITY, f64::min);
            if next > until {
                self.host.pass(until - self.host.mono);
                return;
            }
            self.host.pass((next - self.host.mono).max(0.0));
            if request == Some(next) {
                // The shell's own timeout of the auth request.
                let seq = self.requests[0].seq;
                self.deliver(Input::Answered { seq, answer: Answer::Timeout });
            } else if sending.is_some_and(|s| s.0 == next) {
                // The shell's timeout of the page's own request ends the call.
                let id = sending.map_or(0, |s| s.1);
                if let Some(call) = self.calls.get_mut(&id) {
                    call.state = CallState::Over;
                }
            } else {
                self.fire();
            }
        }
    }

    fn fire(&mut self) {
        // A timer fires once.
        self.host.timer = None;
        self.ticks_at_once = if self.host.mono == self.host.armed_at { self.ticks_at_once + 1 } else { 0 };
        if self.ticks_at_once > 50 {
            self.violated("the timer fires again and again at one moment");
        }
        self.deliver(Input::Tick);
    }

    fn until_the_timer(&mut self) {
        match self.host.timer {
            Some(delay) if !self.stopped => {
                let at = self.host.armed_at + f64::from(delay);
                self.pass((at - self.host.mono).max(0.0));
            }
            _ => self.pass(1000.0),
        }
    }

    /// The page moves its clock, back or forward; no time passes.
    fn jump(&mut self) {
        let ms = *pick(&mut self.rng, &[-3_600_000.0, -600_000.0, -15_000.0, -2_000.0, 2_000.0, 15_000.0, 600_000.0, 3_600_000.0]);
        self.note(format!("the page's clock moves {ms} ms"));
        if self.life.session.is_some() && self.life.started {
            self.reach(if ms < 0.0 { "the clock moved back while renewing" } else { "the clock moved forward while renewing" });
        }
        self.host.jump(ms);
    }

    /// The computer sleeps: time passes, nothing runs; then the page is visible again.
    fn sleep(&mut self) {
        let ms = *pick(&mut self.rng, &[30_000.0, 300_000.0, 3_600_000.0]);
        self.note(format!("asleep for {ms} ms"));
        self.host.pass(ms);
        self.asleep_ms += ms;
        // Nothing could renew while the page slept.
        self.unsettle(0.0);
        if self.listening {
            self.deliver(Input::Woke);
        }
        self.pass(0.0);
    }

    fn woke(&mut self) {
        if self.listening {
            self.deliver(Input::Woke);
        }
    }

    /// The timer fires early (a clamped delay): the machine checks and arms it again.
    fn spurious_tick(&mut self) {
        if self.host.timer.is_some() && !self.stopped {
            self.host.timer = None;
            self.deliver(Input::Tick);
        }
    }

    // ---- Other tabs ----

    fn secret_record(&self, secret: &str) -> String {
        serde_json::to_string(&SecretRecord::new(&Secret::new(secret.to_owned()))).unwrap()
    }

    /// The record of a session of `visitor` taken `age` ms ago, lasting `lifetime` s (a token
    /// the world knows the expiry of).
    fn session_record(&mut self, visitor: &str, lifetime: u32, age: f64) -> String {
        let expires = self.host.mono - age + f64::from(lifetime) * 1000.0;
        let token = self.new_token(visitor, expires);
        let answer = AuthAnswer::read(&ok(visitor, &token, lifetime).unwrap().body, &self.life.options.org, from_json).unwrap();
        let session = Session::new(answer, self.host.now - age, self.life.options.renew_before_ms, self.rng.random());
        serde_json::to_string(&SessionRecord::new(&session, 0.0)).unwrap()
    }

    fn retry_record(&self, ahead_ms: f64) -> String {
        serde_json::to_string(&RetryRecord::new(self.host.now + ahead_ms, 3)).unwrap()
    }

    /// The visitor stored in `localStorage` now, if the API issued its secret.
    fn stored_visitor(&self) -> Option<String> {
        let secret = readable_secret(Stores::of(&self.host).get(StorageKind::Local, &self.life.secret_key))?;
        self.issued.contains(&secret).then(|| secret.trim_start_matches("secret-").to_owned())
    }

    /// Another tab (or the page) writes `localStorage`; this tab hears of it when it listens.
    fn tab_writes(&mut self) {
        let write = *pick(
            &mut self.rng,
            &[
                TabWrite::Renewed,
                TabWrite::Renewed,
                TabWrite::NewIdentity,
                TabWrite::ExpiredSession,
                TabWrite::GarbageSecret,
                TabWrite::GarbageSession,
                TabWrite::UnknownSecret,
                TabWrite::Forgot,
                TabWrite::RemovedSession,
                TabWrite::Cleared,
                TabWrite::RetryRecord(40_000.0),
                TabWrite::RetryRecord(36e6),
            ],
        );
        self.note(format!("another tab: {write:?}"));
        let (secret_key, session_key, retry_key) = (self.life.secret_key.clone(), self.life.session_key.clone(), self.life.retry_key.clone());
        let lifetime = *pick(&mut self.rng, &LIFETIMES);
        if matches!(write, TabWrite::Forgot | TabWrite::Cleared) && self.listening_tabs && !self.stopped {
            // Heard here: the stored visitor and this tab's go.
            if let Some(visitor) = self.stored_visitor() {
                self.forgotten.insert(visitor);
            }
            self.forget_current();
        }
        let writes: Vec<(Option<String>, Option<String>)> = match write {
            TabWrite::Renewed | TabWrite::ExpiredSession => {
                let Some(visitor) = self.stored_visitor() else { return };
                let age = if matches!(write, TabWrite::Renewed) { self.rng.random_range(0.0..3000.0) } else { f64::from(lifetime) * 1000.0 + 1.0 };
                vec![(Some(session_key), Some(self.session_record(&visitor, lifetime, age)))]
            }
            TabWrite::NewIdentity => {
                let visitor = self.new_visitor();
                let secret = self.secret_record(&format!("secret-{visitor}"));
                vec![(Some(secret_key), Some(secret)), (Some(session_key), Some(self.session_record(&visitor, lifetime, 500.0)))]
            }
            TabWrite::GarbageSecret => vec![(Some(secret_key), Some(pick(&mut self.rng, &["", "null", "{\"v\":2,\"secret\":\"s\"}", "{\"v\":1,\"secret\":\"\"}"]).to_string()))],
            TabWrite::GarbageSession => vec![(Some(session_key), Some(pick(&mut self.rng, &["{", "{\"v\":1}", "\"x\""]).to_string()))],
            TabWrite::UnknownSecret => vec![(Some(secret_key), Some(self.secret_record(&format!("unknown-{}", self.steps))))],
            TabWrite::Forgot => vec![(Some(secret_key), None), (Some(session_key), None), (Some(retry_key), None)],
            TabWrite::RemovedSession => vec![(Some(session_key), None)],
            TabWrite::Cleared => vec![(None, None)],
            TabWrite::RetryRecord(ahead) => {
                if ahead > retry::MAX_RETRY_AFTER_MS && self.host.now < self.host.mono + self.first_wall - retry::MAX_RETRY_AFTER_MS {
                    self.reach("tab: a retry record dated far ahead, the page's clock hours behind");
                }
                if ahead <= retry::MAX_RETRY_AFTER_MS {
                    // Another tab's backoff, which this tab honors.
                    self.unsettle(ahead + 2000.0);
                }
                vec![(Some(retry_key), Some(self.retry_record(ahead)))]
            }
        };
        for (key, value) in writes {
            self.write_local(key.as_deref(), value.as_deref());
            if self.listening_tabs && !self.stopped {
                self.reach(match write {
                    TabWrite::Renewed => "tab: renewed",
                    TabWrite::NewIdentity => "tab: another identity",
                    TabWrite::ExpiredSession => "tab: an expired session",
                    TabWrite::GarbageSecret | TabWrite::GarbageSession => "tab: garbage",
                    TabWrite::UnknownSecret => "tab: a secret the API never issued",
                    TabWrite::Forgot => "tab: forget()",
                    TabWrite::RemovedSession => "tab: the session removed",
                    TabWrite::Cleared => "tab: storage cleared",
                    TabWrite::RetryRecord(_) => "tab: a retry record",
                });
                self.deliver(Input::TabChanged { key, value });
            }
        }
    }

    /// Writes `localStorage` as another tab does (`key` none: cleared).
    fn write_local(&mut self, key: Option<&str>, value: Option<&str>) {
        if key == Some(self.life.secret_key.as_str()) || key.is_none() {
            self.secret_written_by_tab = self.steps;
        }
        let local = if self.host.kind == StorageKind::Local {
            &mut self.host.storage
        } else {
            if !self.host.shelved.iter().any(|(k, _)| *k == StorageKind::Local) {
                self.host.shelved.push((StorageKind::Local, Vec::new()));
            }
            match self.host.shelved.iter_mut().find(|(k, _)| *k == StorageKind::Local) {
                Some((_, local)) => local,
                None => return,
            }
        };
        match (key, value) {
            (None, _) => local.clear(),
            (Some(key), value) => {
                local.retain(|(k, _)| k != key);
                if let Some(value) = value {
                    local.push((key.to_owned(), value.to_owned()));
                }
            }
        }
    }

    /// Whether the visitor's storage holds a retry record dated beyond the hour (garbage).
    fn far_retry_record(&self) -> bool {
        let record = held_in(&self.host, self.life.storage).into_iter().find(|(k, _)| *k == self.life.retry_key);
        record.and_then(|(_, text)| from_json::<RetryRecord>(&text).ok()).is_some_and(|r| r.not_before_ms as f64 - self.host.now > retry::MAX_RETRY_AFTER_MS)
    }

    /// From now on, for `ms`, a failure may put the renewal off (backoff, `Retry-After`).
    fn unsettle(&mut self, ms: f64) {
        self.unsettled_since = self.unsettled_since.max(self.host.mono);
        self.unsettled_until = self.unsettled_until.max(self.host.mono + ms);
    }

    // ---- Delivering and checking ----

    fn reach(&mut self, what: &'static str) {
        *self.reached.entry(what).or_default() += 1;
    }

    fn note(&mut self, line: String) {
        if self.trace.len() >= self.trace_length {
            self.trace.pop_front();
        }
        self.trace.push_back(format!("{:>9.0} {line}", self.host.mono));
    }

    fn violated(&self, what: &str) -> ! {
        let trace: Vec<&str> = self.trace.iter().map(String::as_str).collect();
        panic!(
            "chaos seed {} violated an invariant at step {}: {what}\nreplay: CHAOS_SEED={} cargo test -p giosg-visitor --lib chaos -- --nocapture\nlast steps (monotonic ms, input; effects):\n{}",
            self.seed,
            self.steps,
            self.seed,
            trace.join("\n")
        );
    }

    fn current_token(&self) -> Option<String> {
        self.life.session.as_ref().map(|s| s.answer.access_token.expose().to_owned())
    }

    /// A token of a forgotten visitor is a violation: `forget()` ends the identity for good.
    fn not_forgotten(&self, token: &str, what: &str) {
        if let Some(visitor) = self.visitor_of.get(token).filter(|v| self.forgotten.contains(*v)) {
            self.violated(&format!("{what} got {token} of {visitor}, who was forgotten"));
        }
    }

    /// When `token` really expires; a token the world never made is a violation.
    fn expiry_of(&self, token: &str, what: &str) -> f64 {
        match self.tokens.get(token) {
            Some(at) if !is_foreign(token) => *at,
            _ => self.violated(&format!("{what}: the token {token} was never issued by the API")),
        }
    }

    /// Hands `input` to the machine and checks what it did.
    fn deliver(&mut self, input: Input) {
        self.steps += 1;
        let text = format!("{input:?}");
        self.note(match text.char_indices().nth(300) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        });
        self.reach(match &input {
            _ if self.stopped => "an input after stop()",
            Input::Load => "load",
            Input::Authenticate { force: false, .. } => "authenticate()",
            Input::Authenticate { force: true, .. } => "authenticate({ force: true })",
            Input::Token { want: Want::Token, .. } => "getAccessToken()",
            Input::Token { .. } => "fetch()",
            Input::Sent { status: 401, retried: false, .. } => "the API refused a token",
            Input::Sent { status: 401, .. } => "the API refused a token twice",
            Input::Sent { .. } => "the API took a token",
            Input::Forget { .. } => "forget()",
            Input::Abandon { .. } => "an aborted call",
            Input::SetStorage { .. } => "setStorage()",
            Input::Stop => "stop()",
            Input::Answered { .. } if !self.requests.iter().any(|r| matches!(&input, Input::Answered { seq, .. } if *seq == r.seq)) => "an answer no longer wanted",
            Input::Answered { .. } => "an answer",
            Input::Locked { granted: true } => "a lock granted",
            Input::Locked { granted: false } => "a lock refused",
            Input::Tick => "the timer",
            Input::Woke => "a page event",
            Input::TabChanged { .. } => "another tab's write heard",
        });
        let before = Stores::of(&self.host);
        let kind_before = self.life.storage;
        let token_before = self.current_token();
        self.identity_set_now = false;
        self.answered_now = None;
        if let Input::Answered { seq, .. } = &input {
            if let Some(at) = self.requests.iter().position(|r| r.seq == *seq) {
                self.answered_now = Some(self.requests.remove(at));
            }
        }
        let response = match &input {
            Input::Answered { answer, .. } => Some(self.response(answer)),
            _ => None,
        };
        self.host.random = self.rng.random();
        let mut taken = None;
        let (life, host) = (&mut self.life, &mut self.host);
        match &input {
            Input::Load => life.load(host),
            Input::Authenticate { call, force } => life.authenticate(*call, *force, host),
            Input::Token { call, min_ms, want } => life.token(*call, *min_ms, *want, host),
            Input::Sent { call, status, retried, token } => taken = Some(life.sent(*call, *status, *retried, token, host)),
            Input::Forget { call } => life.forget(*call, host),
            Input::Abandon { call } => life.abandon(*call, host),
            Input::SetStorage { call, kind } => life.set_storage(*call, *kind, host),
            Input::Stop => life.stop(host),
            Input::Answered { seq, .. } => {
                if let Some(result) = response {
                    life.answered(*seq, result, host);
                }
            }
            Input::Locked { granted } => life.locked(*granted, host),
            Input::Tick => life.tick(host),
            Input::Woke => life.woke(host),
            Input::TabChanged { key, value } => life.tab_changed(key.as_deref(), value.as_deref(), host),
        }
        let effects = self.host.effects.replace(Vec::new()).unwrap_or_default();
        self.note(format!("    → {}", summary(&effects)));
        if self.forgetting(&input) && effects.iter().any(|e| matches!(e, Effect::Abort)) {
            // The work under way was cancelled with the identity (before this tab had a session
            // of it, no identitychange says so): a new failure streak starts.
            self.error_in_streak = false;
            self.renewing_for_refusal = false;
        }
        if self.forgetting(&input) && !self.stopped {
            if self.life.session.is_none() && self.answered_now.is_none() && self.requests.iter().any(|r| r.secret.is_some()) && matches!(input, Input::TabChanged { .. }) {
                self.reach("another tab's forget() while asking with the secret, before a session");
            }
            // SPEC §3: the calls pending when forget() runs (here or in another tab) are served
            // as calls made right after it: their bound counts from now.
            let since = self.awake();
            for call in self.calls.values_mut() {
                if matches!(call.state, CallState::Waiting { .. }) && call.asked != Asked::Done {
                    call.state = CallState::Waiting { since };
                    call.across_forget = true;
                    *self.reached.entry("a call pending at forget()").or_default() += 1;
                }
            }
        }
        self.last_ran_page_code = effects.iter().any(|e| matches!(e, Effect::Emit(_) | Effect::Reply { .. }));
        let was_stopped = self.stopped;
        for effect in effects.iter() {
            if was_stopped && !matches!(effect, Effect::ArmTimer(None) | Effect::Unlock | Effect::Abort | Effect::Listen { on: false, .. }) {
                self.violated(&format!("after stop(), {input:?} did {effect:?}"));
            }
        }
        if let (Input::Sent { call, .. }, Some(false)) = (&input, taken) {
            // To be sent again: the call waits for the machine once more (its reply may be
            // among these effects).
            let since = self.awake();
            if let Some(c) = self.calls.get_mut(call) {
                if matches!(c.state, CallState::Sending { .. }) {
                    c.state = CallState::Waiting { since };
                    c.refused = true;
                    self.renewing_for_refusal = true;
                }
            }
        }
        // Whether this input set out to renew: a request, or the lock asked for before one.
        let renewing = effects.iter().any(|e| matches!(e, Effect::Post { .. } | Effect::Lock { .. }));
        for effect in effects {
            self.effect(effect, &input);
        }
        if self.life.flight.is_none() {
            // The renewal for a 401 is over (its session, if it brought one, was counted above):
            // the next one is another renewal's.
            self.renewing_for_refusal = false;
        }
        self.check_input(&input, taken, token_before.as_deref(), renewing);
        self.check_storage(&input, &before, kind_before);
        self.check_state();
    }

    fn effect(&mut self, effect: Effect, input: &Input) {
        match effect {
            Effect::Post { seq, url, secret, timeout_ms } => self.posted(seq, &url, secret.as_ref().map(|s| s.expose()), timeout_ms),
            Effect::Abort => {
                // The flight ended (or goes again for another visitor): whatever it brings is
                // not counted as brought by a renewal for a 401.
                self.renewing_for_refusal = false;
                for request in self.requests.drain(..) {
                    self.stale.push(request.seq);
                }
            }
            Effect::Lock { .. } if !self.host.locks => self.violated("asked for a lock where there are no Web Locks"),
            Effect::Lock { if_available, .. } => self.lock = LockState::Asked { if_available },
            Effect::Unlock => {
                if matches!(input, Input::Tick) && matches!(self.lock, LockState::Asked { .. }) {
                    // The lock never came: its holder hangs. The machine goes on without it
                    // after a while, and may wait its backoff behind the holder's attempt.
                    self.unsettle(f64::from(self.life.options.request_timeout_ms) * 2.0 + 64_000.0);
                }
                self.lock = LockState::Free;
            }
            Effect::ArmTimer(_) => {}
            Effect::Listen { on, tabs } => {
                self.listening = on;
                self.listening_tabs = on && tabs;
            }
            Effect::Emit(event) => self.emitted(event, input),
            Effect::Reply { call, outcome } => self.replied(call, outcome, input),
        }
    }

    /// The auth request: only to the API's auth URL, one at a time, never with a secret from
    /// an answer that must not be read.
    fn posted(&mut self, seq: u32, url: &str, secret: Option<&str>, timeout_ms: u32) {
        if url != self.auth_url {
            self.violated(&format!("the auth request went to {url}, not {}", self.auth_url));
        }
        if secret.is_some_and(is_foreign) {
            self.violated("a secret from an answer that must not be read was sent");
        }
        if let Some(out) = self.requests.first() {
            self.violated(&format!("request {seq} was made while request {} is out", out.seq));
        }
        if f64::from(timeout_ms) != f64::from(self.life.options.request_timeout_ms) {
            self.violated("the auth request's timeout is not requestTimeoutMs");
        }
        self.requests.push(Request { seq, secret: secret.map(str::to_owned), sent_at: self.host.mono, timeout_ms: f64::from(timeout_ms), posted: self.steps });
    }

    /// Every call settles once, with what it asked for: a token valid (in real time) for as
    /// long as it asked, a session whose token has not expired, `Done` for `forget()` and
    /// `setStorage()`; an error of a code SPEC names for it, `stopped` only from `stop()`.
    fn replied(&mut self, id: u32, outcome: Result<Reply, Error>, input: &Input) {
        let Some(call) = self.calls.get(&id) else { self.violated(&format!("call {id}, never made, was settled")) };
        let (asked, refused, across_forget) = (call.asked, call.refused, call.across_forget);
        match &call.state {
            CallState::Waiting { .. } => {}
            CallState::Sending { .. } => self.violated(&format!("call {id} was settled while the request it was handed a token for is out")),
            CallState::Over => self.violated(&format!("call {id} was settled twice (or after it was abandoned)")),
        }
        let now = self.host.mono;
        let mut next = CallState::Over;
        if across_forget && matches!(outcome, Ok(Reply::Session(_) | Reply::Token(_) | Reply::Send { .. })) {
            self.reach("a call pending at forget() served by the next visitor");
        }
        match (asked, outcome) {
            (Asked::Session, Ok(Reply::Session(session))) => {
                let token = session.answer.access_token.expose();
                self.not_forgotten(token, &format!("authenticate() (call {id})"));
                if self.expiry_of(token, "authenticate()") < now || is_foreign(&session.answer.visitor_id) {
                    self.violated(&format!("authenticate() (call {id}) got an expired or foreign session"));
                }
            }
            (Asked::Token { min_ms }, Ok(Reply::Token(token))) => {
                self.not_forgotten(&token, &format!("getAccessToken() (call {id})"));
                if self.expiry_of(&token, "getAccessToken()") - now < min_ms {
                    self.violated(&format!("getAccessToken({min_ms} ms) (call {id}) got a token valid for less"));
                }
            }
            (Asked::Send, Ok(Reply::Send { token, retried })) => {
                self.not_forgotten(&token, &format!("fetch() (call {id})"));
                if self.expiry_of(&token, "fetch()") - now < FETCH_MIN_VALIDITY_MS {
                    self.violated(&format!("fetch() (call {id}) was handed a token valid for less than 5 s"));
                }
                if retried != refused {
                    self.violated(&format!("fetch() (call {id}) was told retried: {retried} after {} refusal", u8::from(refused)));
                }
                next = CallState::Sending { token, since: self.awake() };
            }
            (Asked::Done, Ok(Reply::Done)) => {}
            (Asked::Done, other) => self.violated(&format!("forget()/setStorage() (call {id}) settled with {other:?}")),
            (_, Err(error)) => {
                if let Some(CallState::Waiting { since }) = self.calls.get(&id).map(|c| &c.state) {
                    if self.awake() - since >= retry::GIVE_UP_MS {
                        self.reach("a call gave up after 30 s");
                    }
                }
                if error.code == error::Code::SecretRejected {
                    self.reach("secret_rejected");
                }
                let fits = match error.code {
                    error::Code::Network | error::Code::Timeout | error::Code::InvalidResponse | error::Code::SecretRejected => true,
                    error::Code::Http => error.status.is_none_or(|s| !(200..300).contains(&s)),
                    error::Code::InvalidOptions => matches!(asked, Asked::Token { min_ms } if min_ms > FETCH_MIN_VALIDITY_MS),
                    error::Code::Stopped => matches!(input, Input::Stop),
                    _ => false,
                };
                if !fits {
                    self.violated(&format!("call {id} ({asked:?}) settled by {input:?} with {error:?}"));
                }
                if refused {
                    // The renewal for this call's 401 ended in failure.
                    self.renewing_for_refusal = false;
                }
            }
            (_, Ok(other)) => self.violated(&format!("call {id} asked for {asked:?} and got {other:?}")),
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.state = next;
        }
    }

    /// Events: a new identity is announced before its session, one `error` per failure streak,
    /// every session's token issued by the API and not expired.
    fn emitted(&mut self, event: Event, input: &Input) {
        match event {
            Event::Session { session, source } => {
                let (token, visitor) = (session.answer.access_token.expose().to_owned(), session.answer.visitor_id.clone());
                self.not_forgotten(&token, "a session event");
                if self.expiry_of(&token, "the session event") < self.host.mono || is_foreign(&visitor) {
                    self.violated("a session event announced an expired or foreign session");
                }
                if (source == Source::Cache) != matches!(input, Input::Load) {
                    self.violated(&format!("a session from {} came of {input:?}", source.name()));
                }
                match &self.announced {
                    Some(announced) if *announced != visitor => self.violated(&format!("visitor {announced} became {visitor} without identitychange")),
                    None if self.released => self.violated(&format!("visitor {visitor} came after forget without identitychange")),
                    _ => {}
                }
                self.announced = Some(visitor);
                self.error_in_streak = false;
                if source == Source::Network && core::mem::take(&mut self.renewing_for_refusal) {
                    self.brought_by_refusal.insert(token);
                }
            }
            Event::IdentityChange { previous, current } => {
                if previous != self.announced {
                    self.violated(&format!("identitychange from {previous:?}, but the visitor was {:?}", self.announced));
                }
                self.released = current.is_none();
                if self.released {
                    // The work under way was cancelled with the identity.
                    self.error_in_streak = false;
                    self.renewing_for_refusal = false;
                }
                if previous.is_some() && current.is_some() {
                    self.reach("identitychange from one visitor to another");
                }
                self.identity_set_now |= current.is_some();
                self.announced = current;
            }
            Event::Error(error) => {
                if self.error_in_streak {
                    self.violated(&format!("a second error event ({}) in one failure streak", error.code.as_str()));
                }
                self.error_in_streak = true;
                self.reach("an error event");
            }
            Event::Storage { reason, .. } => {
                if reason == StorageReason::Changed && !matches!(input, Input::SetStorage { .. }) {
                    self.violated("a storage event of setStorage() without setStorage()");
                }
            }
        }
    }

    /// Whether `input` is `forget()`, here or in another tab (the secret removed, storage
    /// cleared).
    fn forgetting(&self, input: &Input) -> bool {
        match input {
            Input::Forget { .. } => true,
            Input::TabChanged { key, value } => key.is_none() || (key.as_deref() == Some(self.life.secret_key.as_str()) && value.is_none()),
            _ => false,
        }
    }

    /// What each input must do beyond its effects.
    fn check_input(&mut self, input: &Input, taken: Option<bool>, token_before: Option<&str>, renewing: bool) {
        match input {
            Input::Forget { call } | Input::SetStorage { call, .. } => {
                if self.calls.get(call).is_some_and(|c| c.state != CallState::Over) {
                    self.violated(&format!("{input:?} did not settle at once"));
                }
                if matches!(input, Input::Forget { .. }) {
                    self.error_in_streak = false;
                    self.renewing_for_refusal = false;
                }
            }
            Input::Stop => {
                self.stopped = true;
                // The shell settles every call still pending with `stopped`.
                for call in self.calls.values_mut() {
                    call.state = CallState::Over;
                }
            }
            Input::Sent { call, status, retried, token } => {
                let taken = taken.unwrap_or(true);
                if !taken && (*status != 401 || *retried) {
                    self.violated(&format!("sent({status}, retried: {retried}) asked to send again"));
                }
                // SPEC §3: one renewal per token. A first 401 to the token that renewing for a 401
                // brought, still current, is the caller's answer: it is not renewed again.
                let brought = *status == 401 && !*retried && Some(token.as_str()) == token_before && self.brought_by_refusal.contains(token);
                if brought {
                    self.reach("a 401 to the token a renewal for a 401 brought");
                    if !taken || renewing {
                        self.violated(&format!("a 401 to {token}, which renewing for a 401 brought, was renewed again"));
                    }
                }
                if *status != 401 {
                    // The API took it.
                    self.brought_by_refusal.remove(token);
                }
                if taken {
                    if let Some(c) = self.calls.get_mut(call) {
                        if matches!(c.state, CallState::Sending { .. }) {
                            c.state = CallState::Over;
                        }
                    }
                    return;
                }
                // Handed the current token at once: no renewal under way for it.
                if self.calls.get(call).is_some_and(|c| matches!(c.state, CallState::Sending { .. })) {
                    self.renewing_for_refusal = false;
                }
            }
            Input::Answered { seq, answer } => {
                let wanted = self.answered_now.is_some();
                if !wanted {
                    return;
                }
                let _ = seq;
                let with_secret = self.answered_now.as_ref().is_some_and(|r| r.secret.is_some());
                self.reach(match answer {
                    Answer::Session { .. } => "answer: a session",
                    Answer::Garbage(_) => "answer: garbage",
                    Answer::OtherOrg => "answer: another organization's session",
                    Answer::Redirect(_) => "answer: a redirect",
                    Answer::Opaque => "answer: a redirect the browser stopped at",
                    Answer::Status { status: 400 | 401 | 403 | 404, .. } if with_secret => "answer: a refusal of the secret",
                    Answer::Status { status: 400 | 401 | 403 | 404, .. } => "answer: a refusal without a secret",
                    Answer::Status { retry_after: Some(RetryAfter::Seconds(_)), .. } => "answer: Retry-After in seconds",
                    Answer::Status { retry_after: Some(RetryAfter::Date(_)), .. } => "answer: Retry-After as a date",
                    Answer::Status { status: 408 | 429 | 500..=599, .. } => "answer: a retryable status",
                    Answer::Status { .. } => "answer: another status",
                    Answer::Network => "answer: a network error",
                    Answer::Timeout => "answer: a timeout",
                });
                match answer {
                    Answer::Session { .. } => {}
                    Answer::Redirect(_) | Answer::Opaque => {
                        // SPEC §3: a redirect is an `http` error, not retried: every caller has it.
                        if let Some((id, _)) = self.calls.iter().find(|(_, c)| matches!(c.state, CallState::Waiting { .. }) && c.asked != Asked::Done) {
                            self.violated(&format!("call {id} still waits after a redirect"));
                        }
                        if !self.requests.is_empty() {
                            self.violated("a redirect was followed by another request at once");
                        }
                        self.unsettle(62_000.0);
                    }
                    Answer::Status { retry_after, .. } => {
                        let after = match retry_after {
                            Some(RetryAfter::Seconds(s)) => (*s as f64 * 1000.0).min(retry::MAX_RETRY_AFTER_MS),
                            Some(RetryAfter::Date(ms)) => ms.clamp(0.0, retry::MAX_RETRY_AFTER_MS),
                            _ => 0.0,
                        };
                        self.unsettle(after.max(60_000.0) + 2000.0);
                    }
                    _ => self.unsettle(62_000.0),
                }
            }
            _ => {}
        }
    }

    /// Storage: the machine writes only where the visitor is kept now; nothing persistent after
    /// consent is withdrawn; a move leaves nothing where the visitor was; the stored secret goes
    /// only by `forget()` or a reset; nothing of an answer that is not a session is stored;
    /// nothing at all after `stop()`.
    fn check_storage(&mut self, input: &Input, before: &Stores, kind_before: StorageKind) {
        let after = Stores::of(&self.host);
        let kind = self.life.storage;
        if self.host.kind != kind {
            self.violated(&format!("the machine keeps things in {kind:?}, the host in {:?}", self.host.kind));
        }
        if self.stopped && after != *before {
            self.violated(&format!("{input:?} changed storage after stop()"));
        }
        for other in KINDS.into_iter().filter(|k| *k != kind) {
            let written = after.written_since(before, other);
            if !written.is_empty() {
                self.violated(&format!("{input:?} wrote {written:?} to {other:?}, while the visitor is kept in {kind:?}"));
            }
        }
        let keys = [self.life.secret_key.clone(), self.life.session_key.clone(), self.life.retry_key.clone()];
        if let Input::SetStorage { kind: to, .. } = input {
            let moved = *to != kind_before;
            if moved {
                self.reach(match (kind_before, to) {
                    (StorageKind::Local, StorageKind::Session) => "a move from local to session",
                    (_, StorageKind::Memory) => "consent withdrawn",
                    _ => "another move",
                });
            }
            for left in [StorageKind::Local, StorageKind::Session].into_iter().filter(|k| moved && *k != *to && (*k == kind_before || *to == StorageKind::Memory)) {
                if let Some(key) = keys.iter().find(|key| after.get(left, key).is_some()) {
                    self.violated(&format!("setStorage({to:?}) from {kind_before:?} left {key} in {left:?}"));
                }
            }
        }
        if let Some((key, _)) = after.0.iter().flatten().find(|(_, v)| is_foreign(v)) {
            self.violated(&format!("something of an answer that must not be read was stored under {key}"));
        }
        if let (Input::Answered { answer, .. }, Some(_)) = (input, &self.answered_now) {
            let refusal = matches!(answer, Answer::Status { status: 400 | 401 | 403 | 404, .. });
            if !matches!(answer, Answer::Session { .. }) && !refusal {
                for kind in KINDS {
                    for key in &keys[..2] {
                        if before.get(kind, key) != after.get(kind, key) {
                            self.violated(&format!("an answer that is no session ({answer:?}) changed {key} in {kind:?}"));
                        }
                    }
                }
            }
        }
        // The stored secret goes only by forget(), a move, or a reset after two refusals.
        for kind in KINDS {
            let Some(was) = readable_secret(before.get(kind, &keys[0])) else { continue };
            let now = readable_secret(after.get(kind, &keys[0]));
            if now.as_deref() == Some(was.as_str()) || matches!(input, Input::Forget { .. } | Input::SetStorage { .. }) || self.identity_set_now {
                continue;
            }
            // An answer to a request made with this secret, or one that raced with another tab's
            // write of the secret, stores what it brought.
            let raced = self.answered_now.as_ref().is_some_and(|r| r.secret == now || self.secret_written_by_tab >= r.posted);
            if !raced {
                self.violated(&format!("{input:?} replaced the stored secret {was} in {kind:?} with {now:?}"));
            }
        }
    }

    /// After every input: no token reported valid after it really expired; every call settled
    /// within its bound; while auto-renewal runs with the endpoint working, the renewal is due
    /// before the token expires (however the page's clock moved); no lock held while nothing
    /// is under way.
    fn check_state(&mut self) {
        let now = self.host.mono;
        if let Some(token) = self.current_token() {
            let expiry = self.expiry_of(&token, "the current session");
            if expiry < now && self.host.now < self.host.mono + self.first_wall - 1000.0 {
                self.reach("an expired token with the page's clock behind");
            }
            if self.life.is_authenticated(self.host.now, self.host.mono) && expiry < now {
                self.violated(&format!("isAuthenticated is true {} ms after the token expired", now - expiry));
            }
        }
        if self.stopped {
            return;
        }
        let bound = retry::GIVE_UP_MS + 3.0 * f64::from(self.life.options.request_timeout_ms) + 1000.0 + 2.0;
        let awake = self.awake();
        for (id, call) in &self.calls {
            if let CallState::Waiting { since } = call.state {
                if awake - since > bound {
                    self.violated(&format!("call {id} ({:?}) has waited {} ms, past its bound of {bound} ms", call.asked, awake - since));
                }
            }
        }
        let in_attempt = self.life.flight.as_ref().is_some_and(|f| !matches!(f.phase, Phase::Backoff { .. }));
        if self.lock != LockState::Free && !in_attempt {
            self.violated(&format!("the lock is {:?} while no attempt is under way", self.lock));
        }
        let life = &self.life;
        if !life.started || life.secret_refused || now < self.unsettled_until || in_attempt {
            return;
        }
        let Some(token) = self.current_token() else { return };
        let expiry = self.expiry_of(&token, "the current session");
        if expiry < self.unsettled_since {
            return;
        }
        self.reach("the renewal schedule checked");
        if self.host.now < self.host.mono + self.first_wall - 1000.0 {
            self.reach("the renewal schedule checked with the page's clock behind");
        }
        if self.far_retry_record() {
            self.reach("the renewal schedule checked beside a retry record dated far ahead");
        }
        let fires_at = self.host.timer.map(|delay| self.host.armed_at + f64::from(delay));
        if !fires_at.is_some_and(|at| at <= expiry) {
            let fires = fires_at.map_or("never".into(), |at| format!("{} ms after", at - expiry));
            self.violated(&format!("with the endpoint working, the renewal of {token} comes {fires} it expires"));
        }
    }
}

/// What an input's effects were, in one line.
fn summary(effects: &[Effect]) -> String {
    let words: Vec<String> = effects
        .iter()
        .map(|effect| match effect {
            Effect::Post { seq, secret, .. } => format!("post {seq}{}", if secret.is_some() { " with the secret" } else { "" }),
            Effect::Abort => "abort".into(),
            Effect::Lock { if_available, .. } => format!("lock{}", if *if_available { " if available" } else { "" }),
            Effect::Unlock => "unlock".into(),
            Effect::ArmTimer(delay) => format!("timer {delay:?}"),
            Effect::Listen { on, tabs } => format!("listen {on} tabs {tabs}"),
            Effect::Emit(Event::Session { session, source }) => format!("session {} {} ({})", session.answer.visitor_id, session.answer.access_token.expose(), source.name()),
            Effect::Emit(Event::IdentityChange { previous, current }) => format!("identitychange {previous:?} → {current:?}"),
            Effect::Emit(Event::Error(e)) => format!("error {}", e.code.as_str()),
            Effect::Emit(Event::Storage { reason, kind }) => format!("storage {} {kind:?}", reason.code()),
            Effect::Reply { call, outcome } => match outcome {
                Ok(Reply::Session(s)) => format!("reply {call}: session {} {}", s.answer.visitor_id, s.answer.access_token.expose()),
                Ok(Reply::Token(t)) => format!("reply {call}: token {t}"),
                Ok(Reply::Send { token, retried }) => format!("reply {call}: send {token} retried {retried}"),
                Ok(Reply::Done) => format!("reply {call}: done"),
                Err(e) => format!("reply {call}: {} {:?}", e.code.as_str(), e.status),
            },
        })
        .collect();
    words.join(", ")
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// What a run reached: inputs delivered, and how often each situation came.
#[derive(Default)]
struct Reached {
    episodes: u64,
    steps: u64,
    situations: BTreeMap<&'static str, u64>,
}

/// Runs episode `seed`; a violation (or a panic of the machine) names the seed.
fn episode(seed: u64) -> Reached {
    let mut world = World::new(seed);
    world.run();
    Reached { episodes: 1, steps: world.steps, situations: world.reached }
}

/// Runs the episodes of `seeds`; the failures, each with its seed, fail the test together.
fn episodes(seeds: impl Iterator<Item = u64>) -> Reached {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut reached = Reached::default();
    let mut failures = Vec::new();
    for seed in seeds {
        match catch_unwind(AssertUnwindSafe(|| episode(seed))) {
            Ok(one) => {
                reached.episodes += one.episodes;
                reached.steps += one.steps;
                for (what, n) in one.situations {
                    *reached.situations.entry(what).or_default() += n;
                }
            }
            Err(panic) => {
                let message = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
                let message = if message.starts_with("chaos seed") { message } else { format!("chaos seed {seed}: the machine panicked: {message}") };
                failures.push(message);
            }
        }
    }
    std::panic::set_hook(quiet);
    if let Some(first) = failures.first() {
        let seeds: Vec<&str> = failures.iter().filter_map(|f| f.split_whitespace().nth(2)).collect();
        let firsts: Vec<&str> = failures.iter().map(|f| f.lines().next().unwrap_or_default()).collect();
        panic!("{} episodes failed (seeds {}):\n{}\n\nthe first in full:\n{first}", failures.len(), seeds.join(", "), firsts.join("\n"));
    }
    reached
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|text| text.trim().parse().ok())
}

/// What a full run must reach at least once each: a generator that stops reaching one of
/// them no longer tests what it claims to.
const MUST_REACH: [&str; 58] = [
    "load",
    "authenticate()",
    "authenticate({ force: true })",
    "getAccessToken()",
    "fetch()",
    "the API refused a token",
    "the API refused a token twice",
    "the API took a token",
    "forget()",
    "a call pending at forget()",
    "a call pending at forget() served by the next visitor",
    "another tab's forget() while asking with the secret, before a session",
    "an aborted call",
    "setStorage()",
    "stop()",
    "an input after stop()",
    "an answer",
    "an answer no longer wanted",
    "a lock granted",
    "a lock refused",
    "the timer",
    "a page event",
    "another tab's write heard",
    "answer: a session",
    "answer: garbage",
    "answer: another organization's session",
    "answer: a redirect",
    "answer: a redirect the browser stopped at",
    "answer: a refusal of the secret",
    "answer: a refusal without a secret",
    "answer: Retry-After in seconds",
    "answer: Retry-After as a date",
    "answer: a retryable status",
    "answer: another status",
    "answer: a network error",
    "answer: a timeout",
    "a call gave up after 30 s",
    "secret_rejected",
    "identitychange from one visitor to another",
    "an error event",
    "a 401 to the token a renewal for a 401 brought",
    "a move from local to session",
    "consent withdrawn",
    "another move",
    "the renewal schedule checked",
    "the renewal schedule checked with the page's clock behind",
    "the renewal schedule checked beside a retry record dated far ahead",
    "an expired token with the page's clock behind",
    "the clock moved back while renewing",
    "the clock moved forward while renewing",
    "tab: renewed",
    "tab: another identity",
    "tab: garbage",
    "tab: forget()",
    "tab: a retry record",
    "load: a retry record dated far ahead",
    "load: a returning visitor",
    "tab: a retry record dated far ahead, the page's clock hours behind",
];

#[test]
fn chaos_episodes_keep_every_invariant() {
    let started = std::time::Instant::now();
    let replay = env_number("CHAOS_SEED");
    let reached = match replay {
        Some(seed) => episodes(std::iter::once(seed)),
        None => episodes(0..env_number("CHAOS_EPISODES").unwrap_or(EPISODES)),
    };
    println!("chaos: {} episodes, {} inputs in {:.1} s", reached.episodes, reached.steps, started.elapsed().as_secs_f64());
    for (what, n) in &reached.situations {
        println!("{n:>9}  {what}");
    }
    if replay.is_none() {
        let missed: Vec<&str> = MUST_REACH.iter().copied().filter(|what| !reached.situations.contains_key(what)).collect();
        assert!(missed.is_empty(), "the episodes never reached: {missed:?}");
    }
}

// ---- Seeds that found bugs ----
//
// The suite ran on the core of 043ad39 (before issue 28's fixes), ported only where the API
// differed (README, "The chaos suite of the core"), and these seeds found the bugs named. Each runs
// here on today's core: it must keep every invariant, and still reach the situation that found
// the bug (a change of the generator gives every seed another episode; then the seeds are found
// again on 043ad39).

/// Runs `seed` alone; it must keep every invariant and reach `situation`.
fn found_once(seed: u64, situation: &str) {
    let reached = episodes(std::iter::once(seed));
    assert!(reached.situations.contains_key(situation), "seed {seed} no longer reaches {situation:?}: the generator changed, find the seed again");
}

/// forget() ended the calls pending with `stopped` (SPEC §3 decided: served by the new visitor).
#[test]
fn chaos_seed_3_a_call_pending_at_forget_is_kept() {
    found_once(3, "a call pending at forget()");
}

/// The same, for another tab's forget().
#[test]
fn chaos_seed_2_a_call_pending_at_another_tabs_forget_is_kept() {
    found_once(2, "a call pending at forget() served by the next visitor");
}

/// Bug 7: narrowing consent from local to session left the copy in localStorage.
#[test]
fn chaos_seed_17_a_move_from_local_to_session_leaves_nothing_in_local() {
    found_once(17, "a move from local to session");
}

/// Bug 7's other direction: a move from session to local left the copy in sessionStorage.
#[test]
fn chaos_seed_0_a_move_from_session_to_local_leaves_nothing_in_session() {
    found_once(0, "another move");
}

/// Bug 4: the page's clock moved back an hour; isAuthenticated true for an expired token.
#[test]
fn chaos_seed_29_a_clock_moved_back_reports_no_expired_token_valid() {
    found_once(29, "an expired token with the page's clock behind");
}

/// Bug 4: the clock moved back postponed a caller's 30 s deadline by the jump.
#[test]
fn chaos_seed_11_a_clock_moved_back_postpones_no_deadline() {
    found_once(11, "the clock moved back while renewing");
}

/// Bug 4: the clock moved back postponed the renewal past the token's expiry.
#[test]
fn chaos_seed_5_a_clock_moved_back_postpones_no_renewal() {
    found_once(5, "the renewal schedule checked with the page's clock behind");
}

/// Bug 4: with the clock moved back, a session another tab stored was taken while expired.
#[test]
fn chaos_seed_1142_a_clock_moved_back_takes_no_expired_stored_session() {
    found_once(1142, "an expired token with the page's clock behind");
}

/// Bug 3: a retry record dated ten hours ahead put the renewal off by an hour, past expiry.
#[test]
fn chaos_seed_1174_a_retry_record_dated_far_ahead_is_garbage() {
    found_once(1174, "load: a retry record dated far ahead");
}

/// Bug 1, as far as the core sees it: 043ad39's shell followed redirects, and the other origin's
/// session was adopted and stored (the port hands it over as the API's answer).
#[test]
fn chaos_seed_13_nothing_of_a_redirect_is_read() {
    found_once(13, "answer: a redirect the browser stopped at");
}

/// The 401 rule: a 401 to the token a renewal for a 401 brought was renewed again.
#[test]
fn chaos_seed_598_one_renewal_per_token_on_401() {
    found_once(598, "a 401 to the token a renewal for a 401 brought");
}

/// Bug 10: a storageKeyPrefix of 60 × "é" (60 characters, 120 bytes) was refused.
#[test]
fn chaos_seed_1_a_prefix_is_counted_in_characters() {
    found_once(1, "load");
}

/// Not in issue 28: with onSecretRejected "error" and the secret refused, the timer fired at
/// once forever (fixed with `a_background_that_waits_for_the_page_leaves_the_timer_idle`).
#[test]
fn chaos_seed_72_a_refused_secret_leaves_the_timer_idle() {
    found_once(72, "secret_rejected");
}

/// Not in issue 28: another tab's forget() heard while this tab asked with the secret, before it
/// had a session, let the answer bring the forgotten visitor back and store it again (fixed with
/// `another_tab_forgetting_before_this_tab_has_a_session_ends_the_request_with_the_old_secret`).
#[test]
fn chaos_seed_384_another_tabs_forget_before_a_session_is_kept() {
    found_once(384, "another tab's forget() while asking with the secret, before a session");
}

/// Found on today's code: a session stored expiring between two milliseconds was stored rounded
/// up, and read back valid 0.23 ms past its expiry (fixed with
/// `core::record::tests::a_stored_expiry_is_never_later_than_the_one_computed`).
#[test]
fn chaos_seed_2732_a_stored_expiry_is_never_later() {
    found_once(2732, "load: a returning visitor");
}

/// Found on today's code: after the page's clock moved back hours in all, a retry record dated
/// ten hours ahead on it was read against the SDK's time line, where it was within the hour, and
/// held the renewal back past expiry (fixed with
/// `a_retry_record_dated_far_ahead_is_garbage_after_the_clock_moved_back`).
#[test]
fn chaos_seed_10938_a_far_retry_record_is_garbage_after_the_clock_moved_back() {
    found_once(10938, "tab: a retry record dated far ahead, the page's clock hours behind");
}

#[test]
fn chaos_seed_19330_a_far_retry_record_is_garbage_after_the_clock_moved_back() {
    found_once(19330, "tab: a retry record dated far ahead, the page's clock hours behind");
}
