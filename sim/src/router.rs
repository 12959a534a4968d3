//! The simulated router of giosg's real-time sockets (the router scenarios): where every tab's
//! socket goes, what it counts, and the restart that drops every socket at once.
//!
//! Its network is the endpoint's: a round trip is log-normal with a median of 80 ms. A
//! connection attempt reaches the router half a round trip after it is made (that is when it is
//! counted); the socket is open for the page three round trips after it was asked for (TCP, TLS
//! and the WebSocket upgrade), or, while the router is down, closed one round trip after (the
//! connection refused). A `sub` reaches the router half a round trip after it is sent (counted
//! then), and its `__qr__` is back at the page one round trip and [`ANSWER_MS`] after it was
//! sent. The router takes every token: the SDK never sends an expired one, and what matters here
//! is how many come and when. When it restarts, every socket it holds is dropped at that moment,
//! and each page hears of it (its `close` event) half a round trip later; a `sub` that reaches
//! a dropped socket is lost.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::scenario::{Fault, Scenario, FAULT_START_S};

/// Channels each tab subscribes to (a visitor's chats and its chat memberships).
pub const CHANNELS: usize = 2;
/// How long the router takes to answer a `sub`.
pub const ANSWER_MS: u64 = 5;
/// The finer counts are per this many milliseconds.
pub const BIN_MS: u64 = 100;

pub struct Router {
    latency: LogNormal<f64>,
    /// The restart: every socket is dropped at `drop_at_ms`, and connection attempts that reach
    /// the router before `back_at_ms` are refused.
    pub drop_at_ms: u64,
    pub back_at_ms: u64,
    /// Connection attempts and `sub`s reaching the router, per [`BIN_MS`] of the run.
    pub connects: Vec<u32>,
    pub subs: Vec<u32>,
    /// Tabs subscribed to every channel when the router dropped their socket, with an awake
    /// page: each is waited for until it is subscribed again (on any page of the tab).
    pub dropped: u64,
    /// Of those, tabs whose laptop went to sleep before they were subscribed again: no longer
    /// waited for.
    pub left: u64,
    /// For each of the others, how long after the drop it was subscribed again.
    pub resubscribed_after_ms: Vec<u64>,
    /// Auth requests a tab made while its socket waited for a session: this SDK's tabs from
    /// the real-time machine's ask for a session (`AskSession`, the lifecycle's
    /// `authenticate()`) until its answer, the naive client's when its token had expired as it
    /// went to reconnect.
    pub auth_requests: u64,
    /// Of those, the requests made when the tab's token was already past its renewal point
    /// (this SDK: the lifecycle would have renewed it at its next timer, which a hidden tab's
    /// throttling puts off to its whole minute; the naive client: its token had expired).
    pub auth_requests_due: u64,
}

impl Router {
    /// The router of `scenario`, if it has sockets.
    pub fn new(scenario: &Scenario, duration_s: u64) -> Option<Router> {
        let Fault::RouterRestart { down_ms } = scenario.fault else { return None };
        let drop_at_ms = FAULT_START_S * 1000;
        let bins = (duration_s * 1000 / BIN_MS) as usize + 2;
        Some(Router {
            // The endpoint's network: a median round trip of 80 ms, a long tail.
            latency: LogNormal::new((0.08f64).ln(), 0.8).expect("constant parameters are valid"),
            drop_at_ms,
            back_at_ms: drop_at_ms + down_ms,
            connects: vec![0; bins],
            subs: vec![0; bins],
            dropped: 0,
            left: 0,
            resubscribed_after_ms: Vec::new(),
            auth_requests: 0,
            auth_requests_due: 0,
        })
    }

    /// One round trip, in whole milliseconds (at least 2).
    pub fn round_trip_ms(&self, rng: &mut impl Rng) -> u64 {
        ((self.latency.sample(rng) * 1000.0) as u64).max(2)
    }

    /// Whether a connection attempt reaching the router at `at_ms` is refused.
    pub fn refuses(&self, at_ms: u64) -> bool {
        (self.drop_at_ms..self.back_at_ms).contains(&at_ms)
    }

    pub fn count_connect(&mut self, at_ms: u64) {
        count(&mut self.connects, at_ms);
    }

    pub fn count_sub(&mut self, at_ms: u64) {
        count(&mut self.subs, at_ms);
    }
}

fn count(bins: &mut [u32], at_ms: u64) {
    if let Some(bin) = bins.get_mut((at_ms / BIN_MS) as usize) {
        *bin += 1;
    }
}

/// What a router scenario's row says.
#[derive(Clone, Debug)]
pub struct SocketRow {
    /// Tabs whose subscribed socket the restart dropped (see [`Router::dropped`]).
    pub dropped: u64,
    /// From the drop to the end of the run: the busiest second's connection attempts and
    /// `sub`s, and the busiest [`BIN_MS`]'s, as a rate per second.
    pub peak_connects_s: u32,
    pub peak_connects_bin: u32,
    pub peak_subs_s: u32,
    pub peak_subs_bin: u32,
    /// Connection attempts in the minute from the drop.
    pub connects_first_minute: u64,
    /// Milliseconds from the drop until 99.9 % of the dropped tabs (those still waited for)
    /// were subscribed again, and until the last of them was (`None`: not within the run).
    pub recovered_999_ms: Option<u64>,
    pub recovered_all_ms: Option<u64>,
    pub auth_requests: u64,
    pub auth_requests_due: u64,
}

impl SocketRow {
    pub fn of(router: &Router) -> SocketRow {
        let from_bin = (router.drop_at_ms / BIN_MS) as usize;
        let bins = &router.connects[from_bin..];
        let per_s = |bins: &[u32]| bins.chunks((1000 / BIN_MS) as usize).map(|c| c.iter().sum::<u32>()).max().unwrap_or(0);
        let per_bin = |bins: &[u32]| bins.iter().copied().max().unwrap_or(0) * (1000 / BIN_MS) as u32;
        let minute = (60_000 / BIN_MS) as usize;
        let waited = (router.dropped - router.left) as usize;
        let mut times = router.resubscribed_after_ms.clone();
        times.sort_unstable();
        // The 99.9th percentile: the smallest time by which at least 99.9 % of them were.
        let needed = (waited as f64 * 0.999).ceil() as usize;
        let recovered_999_ms = if needed == 0 { Some(0) } else { times.get(needed - 1).copied() };
        let recovered_all_ms = if times.len() == waited { Some(times.last().copied().unwrap_or(0)) } else { None };
        SocketRow {
            dropped: router.dropped,
            peak_connects_s: per_s(bins),
            peak_connects_bin: per_bin(bins),
            peak_subs_s: per_s(&router.subs[from_bin..]),
            peak_subs_bin: per_bin(&router.subs[from_bin..]),
            connects_first_minute: bins.iter().take(minute).map(|&n| u64::from(n)).sum(),
            recovered_999_ms,
            recovered_all_ms,
            auth_requests: router.auth_requests,
            auth_requests_due: router.auth_requests_due,
        }
    }
}
