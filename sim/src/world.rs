//! One run: a population of visitors, each with its tabs, storage and lock, under one policy,
//! against the endpoint of one scenario, on a simulated clock.
//!
//! Everything that happens is an [`Scheduled`] input on one queue, in time order. A tab of this
//! SDK is the shipped machine ([`Lifecycle`]) with a simulated browser as its [`Host`]: what the
//! machine asks for (a request, the lock, the timer, listening) becomes later inputs, exactly as
//! the browser shell (`src/web/`) does it with `fetch`, Web Locks, `setTimeout` and storage.
//!
//! In the router scenarios every tab also holds a socket ([`router`]): a tab of this SDK runs the
//! real-time machine that the feature `realtime` builds ([`Realtime`]) beside its lifecycle, with
//! the simulated browser as its host too. What it asks for becomes later inputs as the shell
//! will do it: `Open`, `Send` and `Close` go to the router, `ArmTimer` is a second timer of the
//! tab (throttled as the other when the tab is hidden), `AskSession` calls the lifecycle's
//! `authenticate()` (`{force: true}` when it asks for a fresh one), whose answer comes back as
//! `granted`; the lifecycle's `session` events reach it as `session`, and a page resume (the
//! laptop waking) as `resumed`.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

use giosg_visitor::core::error;
use giosg_visitor::core::ids::UrlParts;
use giosg_visitor::core::lifecycle::{self, Effect, Host, Lifecycle, Response};
use giosg_visitor::core::options::{Options, RawOptions, StorageKind, StorageReason};
use giosg_visitor::core::realtime::{self, Credentials, Realtime, Settings, SocketId, SocketState};
use giosg_visitor::core::record::{secret_key, session_key, SecretRecord, SessionRecord};
use giosg_visitor::core::session::{renew_at, Session};
use giosg_visitor::core::wire::{AuthAnswer, JsonProblem};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::endpoint::{Disposition, Endpoint, LIFETIME_S};
use crate::measure::Measure;
use crate::policy::{PerTab, Policy};
use crate::population;
use crate::router::{Router, SocketRow, ANSWER_MS, CHANNELS};
use crate::scenario::{Scenario, DURATION_S};

pub const ORG: &str = "7f9e9580-095b-42c7-838c-c04e667b26a7";
/// The local clock at the start of a run (any date; the machine only compares times).
const EPOCH_MS: f64 = 1_790_000_000_000.0;
/// How long another tab's storage write takes to reach a tab as a `storage` event.
const STORAGE_EVENT_MS: u64 = 10;
/// Hidden tabs' timers fire on whole minutes (each browser on its own phase).
const THROTTLED_MS: u64 = 60_000;
/// The real-time machine's timer in a hidden tab fires on whole seconds (on the same phase).
const HIDDEN_MS: u64 = 1000;
/// The request timeout of the per-tab policies (this SDK's comes with each request).
const PER_TAB_TIMEOUT_MS: u64 = 10_000;

/// An input for one tab (or, for sleep and wake, a visitor), at a time.
struct Scheduled {
    at: u64,
    /// Ties in time keep the order they were scheduled in.
    order: u64,
    visitor: u32,
    tab: u8,
    /// The page of the tab it is for: an input for a page since replaced is dropped.
    page: u32,
    what: What,
}

enum What {
    /// The tab loads its next page.
    PageLoad,
    Timer { generation: u32 },
    Answer { seq: u32, outcome: Outcome },
    Locked { ticket: u32, granted: bool },
    /// Another tab wrote (or removed) a key of this visitor's storage.
    StorageChanged { session: bool, value: Option<Box<str>> },
    Sleep { until: u64 },
    Wake,
    // ---- The router scenarios ----
    /// The router drops every socket (for all tabs at once).
    RouterDrop,
    /// The real-time machine's timer.
    SocketTimer { generation: u32 },
    /// The tab's socket `socket` opened, closed (or failed to open), or brought the `__qr__`
    /// of query `query`.
    SocketOpened { socket: u32 },
    SocketClosed { socket: u32 },
    Answered { socket: u32, query: u32 },
    /// The real-time machine asked for a session: the lifecycle's `authenticate()`.
    AskSession { fresh: bool },
    /// What the lifecycle brings the real-time machine: the answer to its ask, a session
    /// event, the identity gone.
    Granted(Result<Box<Credentials>, Box<error::Error>>),
    SessionAdopted(Box<Credentials>),
    IdentityGone,
}

#[derive(Clone, Copy)]
enum Outcome {
    Granted { identity: u32, token: u64, issued_ms: u64 },
    Refused { status: u16, retry_after_s: u32 },
    /// Answered 401: the secret sent is not this visitor's.
    UnknownSecret,
    NetworkError,
    Timeout,
}

/// The inputs to come, in time order: a heap for the current second, a bucket for each later one
/// (moved into the heap when its second comes), so that the heap stays small.
struct Queue {
    now_s: usize,
    heap: BinaryHeap<Scheduled>,
    later: Vec<Vec<Scheduled>>,
}

impl Queue {
    fn new(seconds: usize) -> Self {
        Queue { now_s: 0, heap: BinaryHeap::new(), later: (0..seconds).map(|_| Vec::new()).collect() }
    }

    /// Inputs past the last second are never run, so they are not kept.
    fn push(&mut self, input: Scheduled) {
        let second = (input.at / 1000) as usize;
        if second <= self.now_s {
            self.heap.push(input);
        } else if let Some(bucket) = self.later.get_mut(second) {
            bucket.push(input);
        }
    }

    fn pop(&mut self) -> Option<Scheduled> {
        loop {
            if let Some(input) = self.heap.pop() {
                return Some(input);
            }
            self.now_s += 1;
            let bucket = std::mem::take(self.later.get_mut(self.now_s)?);
            self.heap = BinaryHeap::from(bucket);
        }
    }
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    /// Reversed: the heap's greatest is the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.order).cmp(&(self.at, self.order))
    }
}

struct Visitor {
    tabs: Vec<Tab>,
    /// The visitor's `localStorage` (this SDK's two records).
    storage: Vec<(String, String)>,
    /// The Web Lock of auth requests: who holds it (tab, ticket), who waits.
    holder: Option<(u8, u32)>,
    waiting: Vec<(u8, u32)>,
    sleep: Option<(u64, u64)>,
    timer_phase_ms: u64,
    /// Identities the endpoint has made for this browser beyond its first: each one means the
    /// visitor lost its secret.
    identity: u32,
}

struct Tab {
    hidden: bool,
    page: u32,
    kind: TabKind,
    timer_at: Option<u64>,
    timer_generation: u32,
    lock_ticket: u32,
    listening: bool,
    listening_to_tabs: bool,
    calls: u32,
    /// Until when the token this tab holds is valid (`0`: none since the start).
    valid_until: u64,
    /// Since when the tab has been open and awake (time without a token counts from here).
    watched_from: u64,
    /// The router scenarios: the socket side of the tab's current page.
    socket: Option<Box<TabSocket>>,
    /// The router dropped this tab's subscribed socket, and the tab has not been subscribed
    /// again since (on any page).
    resubscribe_pending: bool,
}

/// The socket side of a page (the router scenarios).
struct TabSocket {
    /// This SDK's real-time machine (`None`: the naive client).
    machine: Option<Realtime>,
    timer_at: Option<u64>,
    timer_generation: u32,
    /// The socket the router holds for the page, and when it took it.
    server: Option<(u32, u64)>,
    /// Every channel is subscribed on an open socket.
    subscribed: bool,
    /// This SDK: the real-time machine's ask for a session is out, as this call of the page.
    asking: Option<u32>,
    /// The naive client: its socket (numbered by the page), whether it is open, how many
    /// channels its `__qr__`s confirmed, and whether it waits for a token to connect with.
    naive_socket: u32,
    naive_open: bool,
    naive_confirmed: usize,
    naive_waits_for_token: bool,
}

impl TabSocket {
    fn new(machine: Option<Realtime>) -> Box<TabSocket> {
        Box::new(TabSocket { machine, timer_at: None, timer_generation: 0, server: None, subscribed: false, asking: None, naive_socket: 0, naive_open: false, naive_confirmed: 0, naive_waits_for_token: false })
    }
}

enum TabKind {
    Sdk(Box<Lifecycle>),
    PerTab { in_flight: bool },
}

/// What a finished run tells.
pub struct RunOutcome {
    pub measure: Measure,
    pub tabs: u64,
    pub visitors_who_lost_identity: u64,
    pub inputs: u64,
    /// Requests per second the endpoint took during an overload (`None`: no overload).
    pub overload_capacity: Option<f64>,
    /// The router scenarios: what the router counted.
    pub sockets: Option<SocketRow>,
}

pub struct World {
    policy: Policy,
    options: Options,
    secret_key: String,
    session_key: String,
    visitors: Vec<Visitor>,
    queue: Queue,
    order: u64,
    now: u64,
    rng: RefCell<SmallRng>,
    endpoint: Endpoint,
    measure: Measure,
    tokens: u64,
    inputs: u64,
    /// Scratch space of one input: the machine's effects and storage writes.
    effects: Vec<Effect>,
    writes: Vec<(bool, Option<String>)>,
    /// The router scenarios: the router, and the real-time machine's effects of one input.
    router: Option<Router>,
    socket_effects: Vec<realtime::Effect<IgnoredAny>>,
}

/// The browser as one tab's machine sees it while it decides.
struct TabHost<'a> {
    now_ms: f64,
    rng: &'a RefCell<SmallRng>,
    storage: &'a mut Vec<(String, String)>,
    secret_key: &'a str,
    session_key: &'a str,
    /// Writes of the secret (`false`) or the session (`true`), which the other tabs hear of; the
    /// machine's other records (its retry record) need no event, as in the browser its
    /// `tab_changed` ignores them.
    writes: &'a mut Vec<(bool, Option<String>)>,
    effects: &'a mut Vec<Effect>,
}

impl Host for TabHost<'_> {
    fn now(&self) -> f64 {
        self.now_ms
    }
    fn monotonic(&self) -> f64 {
        // The simulated clocks are never moved: time passing is all they tell.
        self.now_ms
    }
    fn random(&self) -> f64 {
        self.rng.borrow_mut().random()
    }
    fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, JsonProblem> {
        serde_json::from_str(text).map_err(|e| if e.is_data() { JsonProblem::Shape } else { JsonProblem::NotJson })
    }
    fn stringify<T: Serialize>(&self, value: &T) -> String {
        serde_json::to_string(value).unwrap_or_default()
    }
    fn get(&mut self, key: &str) -> Option<String> {
        self.storage.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
    fn set(&mut self, key: &str, value: &str) {
        match self.storage.iter_mut().find(|(k, _)| k == key) {
            Some((_, stored)) => *stored = value.to_owned(),
            None => self.storage.push((key.to_owned(), value.to_owned())),
        }
        if key == self.session_key || key == self.secret_key {
            self.writes.push((key == self.session_key, Some(value.to_owned())));
        }
    }
    fn remove(&mut self, key: &str) {
        let before = self.storage.len();
        self.storage.retain(|(k, _)| k != key);
        if self.storage.len() != before && (key == self.session_key || key == self.secret_key) {
            self.writes.push((key == self.session_key, None));
        }
    }
    fn erase(&mut self, key: &str) {
        // A simulated tab keeps things in one storage only.
        self.remove(key);
    }
    fn degraded(&mut self) -> Option<StorageReason> {
        None
    }
    fn use_storage(&mut self, _kind: StorageKind) {}
    fn has_locks(&self) -> bool {
        true
    }
    fn effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }
}

/// The browser as one tab's real-time machine sees it while it decides.
struct SocketHost<'a> {
    now_ms: f64,
    rng: &'a RefCell<SmallRng>,
    effects: &'a mut Vec<realtime::Effect<IgnoredAny>>,
}

impl realtime::Host for SocketHost<'_> {
    /// Nothing is ever delivered: the router sends no notifications.
    type Resource = IgnoredAny;
    fn now(&self) -> f64 {
        self.now_ms
    }
    fn monotonic(&self) -> f64 {
        self.now_ms
    }
    fn random(&self) -> f64 {
        self.rng.borrow_mut().random()
    }
    fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, JsonProblem> {
        serde_json::from_str(text).map_err(|e| if e.is_data() { JsonProblem::Shape } else { JsonProblem::NotJson })
    }
    fn stringify<T: Serialize>(&self, value: &T) -> String {
        serde_json::to_string(value).unwrap_or_default()
    }
    fn effect(&mut self, effect: realtime::Effect<IgnoredAny>) {
        self.effects.push(effect);
    }
}

/// A `sub` as the router reads it: `["sub", ["<channel>", "<token>"], {"query": <id>}]`.
#[derive(Deserialize)]
struct SubFrame(IgnoredAny, IgnoredAny, SubOptions);

#[derive(Deserialize)]
struct SubOptions {
    query: u32,
}

/// The channels every tab subscribes to: the visitor's chats and its chat memberships.
fn channels(visitor: u32) -> [String; CHANNELS] {
    [format!("/api/v5/public/visitors/{visitor}/chats"), format!("/api/v5/public/visitors/{visitor}/chats_memberships")]
}

fn secret_of(visitor: u32, identity: u32) -> String {
    format!("secret-{visitor}-{identity}")
}

/// The endpoint's answer body, as giosg documents it.
fn answer_body(visitor: u32, identity: u32, token: u64, issued_ms: u64) -> String {
    let expires_s = (EPOCH_MS as u64 + issued_ms) / 1000 + u64::from(LIFETIME_S);
    format!(
        r#"{{"visitor_id":"visitor-{visitor}-{identity}","visitor_secret_id":"{}","organization_id":"{ORG}","socket_url":"https://service.giosg.com/","access_token":"token-{token}","expires_at":"{expires_s}","expires_in":{LIFETIME_S}}}"#,
        secret_of(visitor, identity)
    )
}

/// The options every tab of this SDK gets: the organization, and the defaults.
fn sdk_options() -> Options {
    let raw = RawOptions { organization_id: Some(ORG.into()), ..RawOptions::default() };
    // The default API base, as the browser's URL parser splits it.
    let api = |_: &str| Some(UrlParts { protocol: "https:".into(), hostname: "service.giosg.com".into(), origin: "https://service.giosg.com".into(), pathname: "/".into(), ..UrlParts::default() });
    Options::from_raw(&raw, api).expect("the simulator's options are valid")
}

/// How long after a session is issued this SDK renews it at the soonest (the lead and the whole
/// random extra before its expiry), in whole seconds: what a fault did to the renewal schedule
/// comes back no sooner than this after the fault's start. The per-tab policies renew later
/// (a fixed lead of 60 s or 10 s).
pub fn soonest_renewal_s() -> u64 {
    let lifetime_ms = f64::from(LIFETIME_S) * 1000.0;
    (renew_at(lifetime_ms, LIFETIME_S, sdk_options().renew_before_ms, 1.0) / 1000.0).floor() as u64
}

impl World {
    /// A population of `visitors` in steady state: each already holds a token of some age.
    pub fn new(policy: Policy, scenario: &Scenario, visitors: u32, steady_rate: f64, normal_capacity: f64, seed: u64) -> Self {
        let mut options = sdk_options();
        if let Policy::Sdk { backoff, .. } = policy {
            options.backoff = backoff;
        }
        let duration_ms = DURATION_S * 1000;
        let mut world = World {
            policy,
            secret_key: secret_key(&options.prefix, &options.api),
            session_key: session_key(&options.prefix, &options.api, &options.org),
            options,
            visitors: Vec::with_capacity(visitors as usize),
            queue: Queue::new(DURATION_S as usize),
            order: 0,
            now: 0,
            rng: RefCell::new(SmallRng::seed_from_u64(seed ^ 0x5eed_0f_d1ce)),
            endpoint: Endpoint::new(scenario, steady_rate, normal_capacity, DURATION_S),
            measure: Measure::new(DURATION_S as usize, scenario.fault_end_s() * 1000),
            tokens: 0,
            inputs: 0,
            effects: Vec::new(),
            writes: Vec::new(),
            router: Router::new(scenario, DURATION_S),
            socket_effects: Vec::new(),
        };
        // The population comes from the seed alone: every policy meets the same visitors.
        let mut people = SmallRng::seed_from_u64(seed);
        for v in 0..visitors {
            let rng = &mut people;
            let tab_count = population::tab_count(rng);
            let sleep = population::sleep(rng, duration_ms);
            let timer_phase_ms = rng.random_range(0..THROTTLED_MS);
            let tabs = (0..tab_count)
                .map(|_| Tab {
                    hidden: rng.random::<f64>() < population::HIDDEN_SHARE,
                    page: 0,
                    kind: TabKind::PerTab { in_flight: false },
                    timer_at: None,
                    timer_generation: 0,
                    lock_ticket: 0,
                    listening: false,
                    listening_to_tabs: false,
                    calls: 0,
                    valid_until: 0,
                    watched_from: 0,
                    socket: None,
                    resubscribe_pending: false,
                })
                .collect();
            world.visitors.push(Visitor { tabs, storage: Vec::new(), holder: None, waiting: Vec::new(), sleep, timer_phase_ms, identity: 0 });
            world.seed_visitor(v);
            if let Some((from, until)) = sleep {
                world.schedule(from, v, 0, 0, What::Sleep { until });
                world.schedule(until, v, 0, 0, What::Wake);
            }
        }
        if let Some(drop_at) = world.router.as_ref().map(|r| r.drop_at_ms) {
            world.schedule(drop_at, 0, 0, 0, What::RouterDrop);
        }
        world
    }

    /// The visitor as it is at the start: its secret stored, and a token issued some time ago.
    fn seed_visitor(&mut self, v: u32) {
        let tab_count = self.visitors[v as usize].tabs.len() as u8;
        match self.policy {
            Policy::Sdk { .. } => {
                // The token's age is uniform over the time until its renewal point, so that
                // renewals are spread as in a steady state.
                let random: f64 = self.rng.get_mut().random();
                let answer = AuthAnswer::read(&answer_body(v, 0, 0, 0), &self.options.org, |text| serde_json::from_str(text).map_err(|_| JsonProblem::NotJson));
                let Ok(answer) = answer else { unreachable!("the simulator's answers are valid") };
                let fresh = Session::new(answer.clone(), EPOCH_MS, self.options.renew_before_ms, random);
                let age = self.rng.get_mut().random::<f64>() * (fresh.renew_at_ms - EPOCH_MS);
                let session = Session::new(answer, EPOCH_MS - age, self.options.renew_before_ms, random);
                let secret = serde_json::to_string(&SecretRecord::new(&session.answer.secret)).unwrap_or_default();
                let record = serde_json::to_string(&SessionRecord::new(&session, 0.0)).unwrap_or_default();
                let visitor = &mut self.visitors[v as usize];
                visitor.storage.push((self.secret_key.clone(), secret));
                visitor.storage.push((self.session_key.clone(), record));
                // Every tab's page is loaded at the start (from the cache: no request).
                for tab in 0..tab_count {
                    self.schedule(0, v, tab, 0, What::PageLoad);
                }
            }
            Policy::PerTab(per_tab) => {
                for tab in 0..tab_count {
                    // A token of uniform age up to its renewal point, and the timer for it.
                    let cycle = u64::from(LIFETIME_S) * 1000 - per_tab.lead_ms;
                    let age = self.rng.get_mut().random_range(0..cycle);
                    let expires = u64::from(LIFETIME_S) * 1000 - age;
                    let next_page = population::next_page_ms(self.rng.get_mut());
                    self.visitors[v as usize].tabs[tab as usize].valid_until = expires;
                    self.schedule(next_page, v, tab, 0, What::PageLoad);
                    self.arm(v, tab, Some(cycle - age));
                    if self.router.is_some() {
                        // The open page's socket, with the token the tab holds.
                        self.visitors[v as usize].tabs[tab as usize].socket = Some(TabSocket::new(None));
                        self.naive_connect(v, tab);
                    }
                }
            }
        }
    }

    fn schedule(&mut self, at: u64, visitor: u32, tab: u8, page: u32, what: What) {
        self.order += 1;
        self.queue.push(Scheduled { at, order: self.order, visitor, tab, page, what });
    }

    /// Runs to the end of the simulated hour.
    pub fn run(mut self) -> RunOutcome {
        let end_ms = DURATION_S * 1000;
        while let Some(input) = self.queue.pop() {
            if input.at >= end_ms {
                break;
            }
            self.now = input.at;
            self.inputs += 1;
            self.handle(input);
        }
        self.now = end_ms;
        let mut tabs = 0;
        for v in 0..self.visitors.len() {
            let asleep = self.visitors[v].sleep.is_some_and(|(from, until)| (from..until).contains(&end_ms));
            for tab in 0..self.visitors[v].tabs.len() {
                tabs += 1;
                if !asleep {
                    self.stop_watching(v as u32, tab as u8);
                }
            }
        }
        let lost = self.visitors.iter().filter(|v| v.identity > 0).count() as u64;
        let overload_capacity = self.endpoint.overload_capacity();
        let sockets = self.router.as_ref().map(SocketRow::of);
        RunOutcome { measure: self.measure, tabs, visitors_who_lost_identity: lost, inputs: self.inputs, overload_capacity, sockets }
    }

    fn handle(&mut self, input: Scheduled) {
        let Scheduled { at, visitor: v, tab, page, what, .. } = input;
        let vi = v as usize;
        match what {
            What::Sleep { until } => return self.fall_asleep(v, until),
            What::Wake => return self.wake(v),
            What::RouterDrop => return self.router_drop(),
            _ => {}
        }
        // Nothing runs on a sleeping laptop: its inputs wait for it to wake (a request in flight
        // fails then).
        if let Some((from, until)) = self.visitors[vi].sleep {
            if (from..until).contains(&at) {
                let what = match what {
                    What::Answer { seq, .. } => What::Answer { seq, outcome: Outcome::NetworkError },
                    other => other,
                };
                return self.schedule(until, v, tab, page, what);
            }
        }
        if page != self.visitors[vi].tabs[tab as usize].page && !matches!(what, What::PageLoad) {
            return;
        }
        match what {
            What::PageLoad => self.load_page(v, tab),
            What::Timer { generation } => {
                let t = &mut self.visitors[vi].tabs[tab as usize];
                if generation != t.timer_generation {
                    return;
                }
                t.timer_at = None;
                match t.kind {
                    TabKind::Sdk(_) => self.with_machine(v, tab, |life, host| life.tick(host)),
                    TabKind::PerTab { .. } => self.per_tab_request(v, tab),
                }
            }
            What::Answer { seq, outcome } => match self.visitors[vi].tabs[tab as usize].kind {
                TabKind::Sdk(_) => {
                    let honors = matches!(self.policy, Policy::Sdk { honors_retry_after: true, .. });
                    let result = match outcome {
                        Outcome::Granted { identity, token, issued_ms } => Ok(Response { status: 200, body: answer_body(v, identity, token, issued_ms), retry_after: None }),
                        Outcome::Refused { status, retry_after_s } => Ok(Response { status, body: String::new(), retry_after: honors.then(|| retry_after_s.to_string()) }),
                        Outcome::UnknownSecret => Ok(Response { status: 401, body: String::new(), retry_after: None }),
                        Outcome::NetworkError => Err(error::network()),
                        Outcome::Timeout => Err(error::timeout()),
                    };
                    self.with_machine(v, tab, |life, host| life.answered(seq, result, host));
                }
                TabKind::PerTab { .. } => self.per_tab_answer(v, tab, outcome),
            },
            What::Locked { ticket, granted } => {
                if ticket == self.visitors[vi].tabs[tab as usize].lock_ticket {
                    self.with_machine(v, tab, |life, host| life.locked(granted, host));
                }
            }
            What::StorageChanged { session, value } => {
                if self.visitors[vi].tabs[tab as usize].listening_to_tabs {
                    let key = if session { self.session_key.clone() } else { self.secret_key.clone() };
                    self.with_machine(v, tab, |life, host| life.tab_changed(Some(&key), value.as_deref(), host));
                }
            }
            What::SocketTimer { generation } => {
                let Some(socket) = self.visitors[vi].tabs[tab as usize].socket.as_deref_mut() else { return };
                if generation == socket.timer_generation {
                    socket.timer_at = None;
                    self.with_socket_machine(v, tab, |rt, host| rt.tick(host));
                }
            }
            What::SocketOpened { socket } => {
                if self.server_socket(v, tab) == Some(socket) {
                    if self.is_naive(v, tab) {
                        self.naive_opened(v, tab, socket);
                    } else {
                        self.with_socket_machine(v, tab, |rt, host| rt.opened(SocketId(socket), host));
                    }
                }
            }
            What::SocketClosed { socket } => {
                if self.is_naive(v, tab) {
                    self.naive_closed(v, tab, socket);
                } else {
                    self.with_socket_machine(v, tab, |rt, host| rt.closed(SocketId(socket), host));
                }
            }
            What::Answered { socket, query } => {
                if self.is_naive(v, tab) {
                    self.naive_answered(v, tab, socket);
                } else {
                    let frame = format!(r#"["__qr__",[[]],{{"query":{query}}}]"#);
                    self.with_socket_machine(v, tab, |rt, host| rt.received(SocketId(socket), &frame, host));
                }
            }
            What::AskSession { fresh } => {
                let call = self.next_call(v, tab);
                if let Some(socket) = self.visitors[vi].tabs[tab as usize].socket.as_deref_mut() {
                    socket.asking = Some(call);
                }
                self.with_machine(v, tab, |life, host| life.authenticate(call, fresh, host));
            }
            What::Granted(result) => {
                let result = result.map(|c| *c).map_err(|e| *e);
                self.with_socket_machine(v, tab, |rt, host| rt.granted(result, host));
            }
            What::SessionAdopted(credentials) => self.with_socket_machine(v, tab, |rt, host| rt.session(*credentials, host)),
            What::IdentityGone => self.with_socket_machine(v, tab, |rt, host| rt.identity_gone(host)),
            What::Sleep { .. } | What::Wake | What::RouterDrop => {}
        }
    }

    /// The tab's current page closes (if one is open) and the next one loads.
    fn load_page(&mut self, v: u32, tab: u8) {
        let (vi, ti) = (v as usize, tab as usize);
        let first = self.visitors[vi].tabs[ti].page == 0;
        if !first {
            if let TabKind::Sdk(_) = self.visitors[vi].tabs[ti].kind {
                self.with_machine(v, tab, |life, host| life.stop(host));
                self.with_socket_machine(v, tab, |rt, host| rt.stop(host));
            }
            // The page's socket closes with it.
            if let Some(socket) = self.visitors[vi].tabs[ti].socket.as_deref_mut() {
                socket.server = None;
            }
            self.release_lock(v, tab);
        }
        let now = self.now;
        let next_page = now + population::next_page_ms(self.rng.get_mut());
        let t = &mut self.visitors[vi].tabs[ti];
        t.page += 1;
        t.timer_at = None;
        t.timer_generation += 1;
        t.lock_ticket += 1;
        t.listening = false;
        t.listening_to_tabs = false;
        // The new page holds no token until it has one.
        t.valid_until = t.valid_until.min(now);
        let page = t.page;
        self.schedule(next_page, v, tab, page, What::PageLoad);
        let sockets = self.router.is_some();
        match self.policy {
            Policy::Sdk { .. } => {
                let life = Lifecycle::new(self.options.clone());
                // The real-time machine shares the lifecycle's time line.
                let machine = sockets.then(|| Realtime::new(Settings::of(&self.options), life.clock()));
                let t = &mut self.visitors[vi].tabs[ti];
                t.kind = TabKind::Sdk(Box::new(life));
                t.socket = machine.map(|machine| TabSocket::new(Some(machine)));
                // As the page does: `new Visitor(...)` reads the cache, then `authenticate()`.
                self.with_machine(v, tab, |life, host| life.load(host));
                let call = self.next_call(v, tab);
                self.with_machine(v, tab, |life, host| life.authenticate(call, false, host));
                // Then `subscribe()` to each channel (listeners 1 and 2).
                if sockets {
                    for (listener, channel) in channels(v).iter().enumerate() {
                        self.with_socket_machine(v, tab, |rt, host| rt.subscribe(listener as u32 + 1, channel, host).expect("the simulator's channels are channels"));
                    }
                }
            }
            Policy::PerTab(_) => {
                let t = &mut self.visitors[vi].tabs[ti];
                t.kind = TabKind::PerTab { in_flight: false };
                // The naive client connects once the page's first token has come.
                t.socket = sockets.then(|| {
                    let mut socket = TabSocket::new(None);
                    socket.naive_waits_for_token = true;
                    socket
                });
                self.per_tab_request(v, tab);
            }
        }
    }

    fn next_call(&mut self, v: u32, tab: u8) -> u32 {
        let t = &mut self.visitors[v as usize].tabs[tab as usize];
        t.calls += 1;
        t.calls
    }

    /// One input to a tab's machine, then what it asked for.
    fn with_machine(&mut self, v: u32, tab: u8, input: impl FnOnce(&mut Lifecycle, &mut TabHost<'_>)) {
        let visitor = &mut self.visitors[v as usize];
        let TabKind::Sdk(life) = &mut visitor.tabs[tab as usize].kind else { return };
        let mut host = TabHost {
            now_ms: EPOCH_MS + self.now as f64,
            rng: &self.rng,
            storage: &mut visitor.storage,
            secret_key: &self.secret_key,
            session_key: &self.session_key,
            writes: &mut self.writes,
            effects: &mut self.effects,
        };
        input(life, &mut host);
        let held = life.session.as_ref().map(|s| (s.expires_at_ms - EPOCH_MS).max(0.0) as u64);
        self.perform(v, tab);
        self.observe(v, tab, held);
    }

    /// Carries out the effects the machine asked for, as the browser shell does.
    fn perform(&mut self, v: u32, tab: u8) {
        let (vi, ti) = (v as usize, tab as usize);
        let page = self.visitors[vi].tabs[ti].page;
        let mut effects = std::mem::take(&mut self.effects);
        for effect in effects.drain(..) {
            match effect {
                Effect::Post { seq, secret, timeout_ms, .. } => {
                    if let (Some(router), Some(TabSocket { asking: Some(_), .. })) = (&mut self.router, self.visitors[vi].tabs[ti].socket.as_deref()) {
                        router.auth_requests += 1;
                        // Whether the lifecycle's token was past its renewal point: a renewal
                        // the ask brought forward, not one more.
                        let line_now = EPOCH_MS + self.now as f64;
                        let due = match &self.visitors[vi].tabs[ti].kind {
                            TabKind::Sdk(life) => life.session.as_ref().is_none_or(|s| s.renew_at_ms <= line_now),
                            TabKind::PerTab { .. } => true,
                        };
                        router.auth_requests_due += u64::from(due);
                    }
                    let secret = secret.map(|s| s.expose().to_owned());
                    let (at, outcome) = self.send(v, secret.as_deref(), u64::from(timeout_ms));
                    self.schedule(at, v, tab, page, What::Answer { seq, outcome });
                }
                // The answer of an aborted request is not wanted: the machine ignores any answer
                // but the latest's (the request still reached the endpoint).
                Effect::Abort => {}
                Effect::Lock { if_available, .. } => {
                    let t = &mut self.visitors[vi].tabs[ti];
                    t.lock_ticket += 1;
                    let ticket = t.lock_ticket;
                    let visitor = &mut self.visitors[vi];
                    if visitor.holder.is_none() {
                        visitor.holder = Some((tab, ticket));
                        self.schedule(self.now, v, tab, page, What::Locked { ticket, granted: true });
                    } else if if_available {
                        self.schedule(self.now, v, tab, page, What::Locked { ticket, granted: false });
                    } else {
                        visitor.waiting.push((tab, ticket));
                    }
                }
                Effect::Unlock => {
                    self.visitors[vi].tabs[ti].lock_ticket += 1;
                    self.release_lock(v, tab);
                }
                Effect::ArmTimer(delay) => {
                    self.arm(v, tab, delay.map(u64::from));
                }
                Effect::Listen { on, tabs } => {
                    let t = &mut self.visitors[vi].tabs[ti];
                    t.listening = on;
                    t.listening_to_tabs = on && tabs;
                }
                // What the real-time machine hears of the lifecycle (the router scenarios).
                Effect::Emit(lifecycle::Event::Session { session, .. }) if self.visitors[vi].tabs[ti].socket.is_some() => {
                    self.schedule(self.now, v, tab, page, What::SessionAdopted(Box::new(Credentials::of(&session))));
                }
                Effect::Emit(lifecycle::Event::IdentityChange { current: None, .. }) if self.visitors[vi].tabs[ti].socket.is_some() => {
                    self.schedule(self.now, v, tab, page, What::IdentityGone);
                }
                Effect::Reply { call, outcome } => {
                    let Some(socket) = self.visitors[vi].tabs[ti].socket.as_deref_mut() else { continue };
                    if socket.asking != Some(call) {
                        continue;
                    }
                    socket.asking = None;
                    let result = match outcome {
                        Ok(lifecycle::Reply::Session(session)) => Ok(Box::new(Credentials::of(&session))),
                        Ok(_) => Err(Box::new(error::network())),
                        Err(error) => Err(Box::new(error)),
                    };
                    self.schedule(self.now, v, tab, page, What::Granted(result));
                }
                Effect::Emit(_) => {}
            }
        }
        // The buffer is kept for the next input (no allocation per input).
        self.effects = effects;
        // Other tabs hear of the storage writes a moment later.
        let mut writes = std::mem::take(&mut self.writes);
        for (session, value) in writes.drain(..) {
            for other in 0..self.visitors[vi].tabs.len() as u8 {
                if other != tab {
                    let page = self.visitors[vi].tabs[other as usize].page;
                    let value = value.as_deref().map(Box::from);
                    self.schedule(self.now + STORAGE_EVENT_MS, v, other, page, What::StorageChanged { session, value });
                }
            }
        }
        self.writes = writes;
    }

    /// The tab gives the lock up (or its request for it); the next waiting tab gets it.
    fn release_lock(&mut self, v: u32, tab: u8) {
        let visitor = &mut self.visitors[v as usize];
        visitor.waiting.retain(|(t, _)| *t != tab);
        if visitor.holder.is_some_and(|(t, _)| t == tab) {
            visitor.holder = None;
            if !visitor.waiting.is_empty() {
                let (next, ticket) = visitor.waiting.remove(0);
                visitor.holder = Some((next, ticket));
                let page = visitor.tabs[next as usize].page;
                self.schedule(self.now, v, next, page, What::Locked { ticket, granted: true });
            }
        }
    }

    /// Arms the tab's one timer (`None` disarms it); a hidden tab's fires on its whole minute.
    fn arm(&mut self, v: u32, tab: u8, delay_ms: Option<u64>) {
        let visitor = &mut self.visitors[v as usize];
        let phase = visitor.timer_phase_ms;
        let t = &mut visitor.tabs[tab as usize];
        let at = delay_ms.map(|delay| {
            let at = self.now + delay;
            if t.hidden {
                (at + phase).div_ceil(THROTTLED_MS) * THROTTLED_MS - phase
            } else {
                at
            }
        });
        if at == t.timer_at {
            return;
        }
        t.timer_generation += 1;
        t.timer_at = at;
        let (generation, page) = (t.timer_generation, t.page);
        if let Some(at) = at {
            self.schedule(at, v, tab, page, What::Timer { generation });
        }
    }

    /// A request reaches the endpoint: when its outcome comes back, and what it is.
    fn send(&mut self, v: u32, secret: Option<&str>, timeout_ms: u64) -> (u64, Outcome) {
        let (arrival, done, disposition) = self.endpoint.request(self.now, timeout_ms, self.rng.get_mut());
        self.measure.request(arrival);
        let visitor = &mut self.visitors[v as usize];
        let outcome = match disposition {
            Disposition::Served => match secret {
                Some(secret) if secret != secret_of(v, visitor.identity) => Outcome::UnknownSecret,
                known => {
                    if known.is_none() {
                        // A request without the secret: the endpoint makes a new visitor.
                        visitor.identity += 1;
                    }
                    self.tokens += 1;
                    self.measure.issued(arrival);
                    Outcome::Granted { identity: visitor.identity, token: self.tokens, issued_ms: arrival }
                }
            },
            Disposition::Refused { status, retry_after_s } => {
                self.measure.refused += u64::from(status == 429);
                Outcome::Refused { status, retry_after_s }
            }
            Disposition::Failed => Outcome::NetworkError,
            Disposition::Hung => Outcome::Timeout,
        };
        (done, outcome)
    }

    // ---- The per-tab policies ----

    fn per_tab_request(&mut self, v: u32, tab: u8) {
        let (vi, ti) = (v as usize, tab as usize);
        if let TabKind::PerTab { in_flight: in_flight @ false } = &mut self.visitors[vi].tabs[ti].kind {
            *in_flight = true;
            // They keep the secret too, and send it.
            let secret = secret_of(v, self.visitors[vi].identity);
            let (at, outcome) = self.send(v, Some(&secret), PER_TAB_TIMEOUT_MS);
            let page = self.visitors[vi].tabs[ti].page;
            self.schedule(at, v, tab, page, What::Answer { seq: 0, outcome });
        }
    }

    fn per_tab_answer(&mut self, v: u32, tab: u8, outcome: Outcome) {
        let Policy::PerTab(PerTab { lead_ms, retry_ms, .. }) = self.policy else { return };
        if let TabKind::PerTab { in_flight } = &mut self.visitors[v as usize].tabs[tab as usize].kind {
            *in_flight = false;
        }
        match outcome {
            Outcome::Granted { issued_ms, .. } => {
                let lifetime = u64::from(LIFETIME_S) * 1000;
                self.observe(v, tab, Some(issued_ms + lifetime));
                self.arm(v, tab, Some(lifetime - lead_ms));
                self.naive_token(v, tab);
            }
            _ => self.arm(v, tab, Some(retry_ms)),
        }
    }

    // ---- Time without a token ----

    /// After an input: the token the tab holds now (its expiry), if any.
    fn observe(&mut self, v: u32, tab: u8, held_until: Option<u64>) {
        let now = self.now;
        let t = &mut self.visitors[v as usize].tabs[tab as usize];
        match held_until {
            Some(until) if until > now && until != t.valid_until => {
                if t.valid_until < now {
                    let from = t.valid_until.max(t.watched_from);
                    self.measure.without_token(from, now);
                }
                t.valid_until = until;
            }
            Some(_) => {}
            None => t.valid_until = t.valid_until.min(now),
        }
    }

    /// The tab stops being watched (its laptop sleeps, or the run ends): the time it has been
    /// without a token until now counts.
    fn stop_watching(&mut self, v: u32, tab: u8) {
        let now = self.now;
        let t = &self.visitors[v as usize].tabs[tab as usize];
        if t.valid_until < now {
            let from = t.valid_until.max(t.watched_from);
            self.measure.without_token(from, now);
        }
    }

    fn fall_asleep(&mut self, v: u32, until: u64) {
        for tab in 0..self.visitors[v as usize].tabs.len() as u8 {
            self.stop_watching(v, tab);
            self.measure.asleep.add(self.now, until.min(DURATION_S * 1000));
            // A tab that waited to be subscribed again after the restart is waited for no more.
            let t = &mut self.visitors[v as usize].tabs[tab as usize];
            if t.resubscribe_pending {
                t.resubscribe_pending = false;
                if let Some(router) = self.router.as_mut() {
                    router.left += 1;
                }
            }
        }
    }

    /// The laptop wakes: the page is visible again and online, which the SDK listens for.
    fn wake(&mut self, v: u32) {
        for tab in 0..self.visitors[v as usize].tabs.len() as u8 {
            let t = &mut self.visitors[v as usize].tabs[tab as usize];
            t.watched_from = self.now;
            if t.listening {
                self.with_machine(v, tab, |life, host| life.woke(host));
            }
            // The real-time machine hears the page resume too (`online`, `visibilitychange`).
            self.with_socket_machine(v, tab, |rt, host| rt.resumed(host));
        }
    }
}

// ---- The router scenarios: sockets ----

impl World {
    /// One input to a tab's real-time machine (this SDK's tabs in a router scenario), then what
    /// it asked for.
    fn with_socket_machine(&mut self, v: u32, tab: u8, input: impl FnOnce(&mut Realtime, &mut SocketHost<'_>)) {
        let Some(socket) = self.visitors[v as usize].tabs[tab as usize].socket.as_deref_mut() else { return };
        let Some(machine) = socket.machine.as_mut() else { return };
        let mut host = SocketHost { now_ms: EPOCH_MS + self.now as f64, rng: &self.rng, effects: &mut self.socket_effects };
        input(machine, &mut host);
        let subscribed = machine.state() == SocketState::Open && machine.subscribed() as usize == CHANNELS;
        self.perform_socket(v, tab);
        self.observe_socket(v, tab, subscribed);
    }

    /// Carries out the real-time machine's effects, as the browser shell will.
    fn perform_socket(&mut self, v: u32, tab: u8) {
        let page = self.visitors[v as usize].tabs[tab as usize].page;
        let mut effects = std::mem::take(&mut self.socket_effects);
        for effect in effects.drain(..) {
            match effect {
                realtime::Effect::Open { socket, .. } => self.connect(v, tab, socket.0),
                realtime::Effect::Send { socket, frame } => {
                    // The router reads the query id (the channel and token it takes as they are).
                    if let Ok(SubFrame(_, _, SubOptions { query })) = serde_json::from_str(frame.expose()) {
                        self.send_sub(v, tab, socket.0, query);
                    }
                }
                realtime::Effect::Close { socket } => {
                    if let Some(tab_socket) = self.visitors[v as usize].tabs[tab as usize].socket.as_deref_mut() {
                        if tab_socket.server.is_some_and(|(id, _)| id == socket.0) {
                            tab_socket.server = None;
                        }
                    }
                }
                realtime::Effect::ArmTimer(delay) => self.arm_socket_timer(v, tab, delay.map(u64::from)),
                realtime::Effect::AskSession { fresh } => self.schedule(self.now, v, tab, page, What::AskSession { fresh }),
                realtime::Effect::Emit(_) | realtime::Effect::Deliver { .. } | realtime::Effect::Release { .. } => {}
            }
        }
        self.socket_effects = effects;
    }

    /// The machine's timer (`None` disarms it); a hidden tab's fires on its whole second. That is
    /// the throttling every hidden page's timers get; Chrome's intensive throttling (whole
    /// minutes, which the lifecycle's timer gets here) is for timers set by timers five deep,
    /// and this one is set again by each socket event, which starts the count over.
    fn arm_socket_timer(&mut self, v: u32, tab: u8, delay_ms: Option<u64>) {
        let visitor = &mut self.visitors[v as usize];
        let phase = visitor.timer_phase_ms % HIDDEN_MS;
        let t = &mut visitor.tabs[tab as usize];
        let hidden = t.hidden;
        let page = t.page;
        let Some(socket) = t.socket.as_deref_mut() else { return };
        let at = delay_ms.map(|delay| {
            let at = self.now + delay;
            if hidden {
                (at + phase).div_ceil(HIDDEN_MS) * HIDDEN_MS - phase
            } else {
                at
            }
        });
        if at == socket.timer_at {
            return;
        }
        socket.timer_generation += 1;
        socket.timer_at = at;
        let generation = socket.timer_generation;
        if let Some(at) = at {
            self.schedule(at, v, tab, page, What::SocketTimer { generation });
        }
    }

    /// The socket the router holds for the tab's page.
    fn server_socket(&self, v: u32, tab: u8) -> Option<u32> {
        self.visitors[v as usize].tabs[tab as usize].socket.as_deref().and_then(|s| s.server).map(|(id, _)| id)
    }

    fn is_naive(&self, v: u32, tab: u8) -> bool {
        self.visitors[v as usize].tabs[tab as usize].socket.as_deref().is_some_and(|s| s.machine.is_none())
    }

    /// The page asks for socket `socket`: it reaches the router half a round trip later, and
    /// opens three round trips after it was asked for (or is refused one round trip after).
    fn connect(&mut self, v: u32, tab: u8, socket: u32) {
        let Some(router) = self.router.as_mut() else { return };
        let round_trip = router.round_trip_ms(self.rng.get_mut());
        let arrival = self.now + round_trip / 2;
        router.count_connect(arrival);
        let refused = router.refuses(arrival);
        let t = &mut self.visitors[v as usize].tabs[tab as usize];
        let page = t.page;
        let Some(tab_socket) = t.socket.as_deref_mut() else { return };
        if refused {
            self.schedule(self.now + round_trip, v, tab, page, What::SocketClosed { socket });
        } else {
            tab_socket.server = Some((socket, arrival));
            self.schedule(self.now + 3 * round_trip, v, tab, page, What::SocketOpened { socket });
        }
    }

    /// A `sub` with query `query` on `socket`: counted where it reaches the router, answered.
    fn send_sub(&mut self, v: u32, tab: u8, socket: u32, query: u32) {
        let Some(server) = self.visitors[v as usize].tabs[tab as usize].socket.as_deref().and_then(|s| s.server) else { return };
        let Some(router) = self.router.as_mut() else { return };
        if server.0 != socket {
            return;
        }
        let round_trip = router.round_trip_ms(self.rng.get_mut());
        let arrival = self.now + round_trip / 2;
        // A `sub` that reaches a socket the restart dropped is lost.
        if server.1 < router.drop_at_ms && arrival + ANSWER_MS >= router.drop_at_ms {
            return;
        }
        router.count_sub(arrival);
        let page = self.visitors[v as usize].tabs[tab as usize].page;
        self.schedule(self.now + round_trip + ANSWER_MS, v, tab, page, What::Answered { socket, query });
    }

    /// The restart: every socket the router holds is dropped now, and each page hears of it
    /// half a round trip later.
    fn router_drop(&mut self) {
        let Some(router) = self.router.as_mut() else { return };
        let now = self.now;
        let mut closes = Vec::new();
        for (v, visitor) in self.visitors.iter_mut().enumerate() {
            let awake = !visitor.sleep.is_some_and(|(from, until)| (from..until).contains(&now));
            for (tab, t) in visitor.tabs.iter_mut().enumerate() {
                let Some(socket) = t.socket.as_deref_mut() else { continue };
                let Some((id, _)) = socket.server.take() else { continue };
                if socket.subscribed && awake && !t.resubscribe_pending {
                    t.resubscribe_pending = true;
                    router.dropped += 1;
                }
                let round_trip = router.round_trip_ms(self.rng.get_mut());
                closes.push((now + round_trip / 2, v as u32, tab as u8, t.page, id));
            }
        }
        for (at, v, tab, page, socket) in closes {
            self.schedule(at, v, tab, page, What::SocketClosed { socket });
        }
    }

    /// After an input to the socket side: whether the tab is subscribed to every channel now.
    fn observe_socket(&mut self, v: u32, tab: u8, subscribed: bool) {
        let now = self.now;
        let t = &mut self.visitors[v as usize].tabs[tab as usize];
        let Some(socket) = t.socket.as_deref_mut() else { return };
        if subscribed == socket.subscribed {
            return;
        }
        socket.subscribed = subscribed;
        if subscribed && t.resubscribe_pending {
            t.resubscribe_pending = false;
            if let Some(router) = self.router.as_mut() {
                router.resubscribed_after_ms.push(now - router.drop_at_ms);
            }
        }
    }

    // ---- The naive client ----

    /// Opens a socket now with the token the tab holds; with none valid, asks for one first
    /// (and connects when it comes).
    fn naive_connect(&mut self, v: u32, tab: u8) {
        let now = self.now;
        let t = &mut self.visitors[v as usize].tabs[tab as usize];
        let valid = t.valid_until > now;
        let Some(socket) = t.socket.as_deref_mut() else { return };
        if valid {
            socket.naive_waits_for_token = false;
            socket.naive_socket += 1;
            socket.naive_open = false;
            socket.naive_confirmed = 0;
            let id = socket.naive_socket;
            self.connect(v, tab, id);
        } else {
            socket.naive_waits_for_token = true;
            if let TabKind::PerTab { in_flight: false } = t.kind {
                if let Some(router) = self.router.as_mut() {
                    // Its token has expired: past its renewal point.
                    router.auth_requests += 1;
                    router.auth_requests_due += 1;
                }
                self.per_tab_request(v, tab);
            }
        }
    }

    /// A token came: a client that waits for one connects.
    fn naive_token(&mut self, v: u32, tab: u8) {
        if self.visitors[v as usize].tabs[tab as usize].socket.as_deref().is_some_and(|s| s.naive_waits_for_token) {
            self.naive_connect(v, tab);
        }
    }

    /// Open: every channel is subscribed.
    fn naive_opened(&mut self, v: u32, tab: u8, socket: u32) {
        let Some(tab_socket) = self.visitors[v as usize].tabs[tab as usize].socket.as_deref_mut() else { return };
        if tab_socket.naive_socket != socket {
            return;
        }
        tab_socket.naive_open = true;
        tab_socket.naive_confirmed = 0;
        for query in 0..CHANNELS as u32 {
            self.send_sub(v, tab, socket, query);
        }
    }

    fn naive_answered(&mut self, v: u32, tab: u8, socket: u32) {
        let Some(tab_socket) = self.visitors[v as usize].tabs[tab as usize].socket.as_deref_mut() else { return };
        if tab_socket.naive_socket != socket || !tab_socket.naive_open {
            return;
        }
        tab_socket.naive_confirmed += 1;
        let subscribed = tab_socket.naive_confirmed >= CHANNELS;
        self.observe_socket(v, tab, subscribed);
    }

    /// Closed (or refused): reopened at once.
    fn naive_closed(&mut self, v: u32, tab: u8, socket: u32) {
        let Some(tab_socket) = self.visitors[v as usize].tabs[tab as usize].socket.as_deref_mut() else { return };
        if tab_socket.naive_socket != socket {
            return;
        }
        if tab_socket.server.is_some_and(|(id, _)| id == socket) {
            tab_socket.server = None;
        }
        tab_socket.naive_open = false;
        tab_socket.naive_confirmed = 0;
        self.observe_socket(v, tab, false);
        self.naive_connect(v, tab);
    }
}
