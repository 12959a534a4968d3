//! The renewal and retry policies compared, each on the same population and endpoint.

use giosg_visitor::core::retry::Backoff;

use crate::scenario::Scenario;

/// How a visitor's tabs keep a token.
#[derive(Clone, Copy, Debug)]
pub enum Policy {
    /// This SDK: the lifecycle machine of `src/core/` itself, one per tab, with tabs sharing
    /// storage, a lock and each other's sessions. `backoff` is SPEC §3's as it ships, or a
    /// variant; `honors_retry_after: false` hides the endpoint's `Retry-After` from the machine.
    Sdk { name: &'static str, backoff: Backoff, honors_retry_after: bool },
    /// A policy other SDKs ship: every tab on its own, authenticating at each page load and
    /// renewing at a fixed lead before expiry, retrying every `retry_ms` on failure.
    PerTab(PerTab),
}

/// A policy where each tab renews on its own, with no jitter and no backoff.
#[derive(Clone, Copy, Debug)]
pub struct PerTab {
    pub name: &'static str,
    /// Renews this long before the token expires (counted from when the answer came back).
    pub lead_ms: u64,
    /// After a failure, the next attempt comes this much later, always.
    pub retry_ms: u64,
    /// A naive real-time client on top (the router scenarios only, and only there): the tab's
    /// socket is reopened at once when it closes (no jitter, no backoff, no probe), every
    /// channel subscribed again on it with the token the tab holds (a new one asked for first
    /// only when that one has expired).
    pub naive_sockets: bool,
}

impl Policy {
    pub fn name(&self) -> &'static str {
        match self {
            Policy::Sdk { name, .. } => name,
            Policy::PerTab(per_tab) => per_tab.name,
        }
    }

    pub fn is_sdk(&self) -> bool {
        matches!(self, Policy::Sdk { .. })
    }

    /// Whether the policy has a row in `scenario`. The router scenarios compare this SDK as it
    /// ships, with the core's real-time machine (`core::realtime::Realtime`, the machine the
    /// package runs) beside its lifecycle, with the naive real-time client; the naive client runs nowhere else (its tokens are the naive
    /// policy's, whose rows those are). The SDK's variants differ in their auth backoff, which
    /// the real-time machine uses too: they are not run with sockets.
    pub fn runs_in(&self, scenario: &Scenario) -> bool {
        let naive_sockets = matches!(self, Policy::PerTab(PerTab { naive_sockets: true, .. }));
        if scenario.has_sockets() {
            naive_sockets || self.name() == Policy::SDK.name()
        } else {
            !naive_sockets
        }
    }

    /// This SDK as it ships.
    pub const SDK: Policy = Policy::sdk_variant("this SDK (ships: SPEC §3, cap 60 s)", Backoff::SPEC);

    /// The naive real-time client (the router scenarios): tokens as the naive policy keeps them,
    /// the socket reopened at once on every close and every channel subscribed again, no jitter.
    pub const NAIVE_SOCKETS: Policy = Policy::PerTab(PerTab { name: "naive sockets (per tab: reopen at once on close, sub every channel again, no jitter)", lead_ms: 60_000, retry_ms: 1_000, naive_sockets: true });

    /// The machine with another backoff, honoring `Retry-After`.
    const fn sdk_variant(name: &'static str, backoff: Backoff) -> Policy {
        Policy::Sdk { name, backoff, honors_retry_after: true }
    }

    /// Every policy of a run, this SDK first.
    pub fn all() -> Vec<Policy> {
        let long_cap = Backoff { long_cap_after: 8, long_cap_ms: 300_000.0, ..Backoff::SPEC };
        let spread = Backoff { spread_by_validity: true, ..Backoff::SPEC };
        let both = Backoff { spread_by_validity: true, ..long_cap };
        let own = Backoff { shared_by_tabs: false, ..Backoff::SPEC };
        let slow = Backoff { base_ms: 30_000.0, cap_ms: 300_000.0, long_cap_ms: 300_000.0, ..Backoff::SPEC };
        vec![
            Policy::SDK,
            Policy::Sdk { name: "SDK variant: ignores Retry-After", backoff: Backoff::SPEC, honors_retry_after: false },
            Policy::sdk_variant("SDK variant: cap 300 s after 8 failures", long_cap),
            Policy::sdk_variant("SDK variant: spread by validity left", spread),
            Policy::sdk_variant("SDK variant: cap 300 s + spread by validity", both),
            Policy::sdk_variant("SDK variant: base 30 s, cap 300 s", slow),
            Policy::sdk_variant("SDK variant: each tab backs off on its own (before the shared record)", own),
            Policy::PerTab(PerTab { name: "naive (per tab, 60 s lead, retry 1 s)", lead_ms: 60_000, retry_ms: 1_000, naive_sockets: false }),
            Policy::PerTab(PerTab { name: "giosg sample (per tab, expires_in - 10 s, retry 10 s)", lead_ms: 10_000, retry_ms: 10_000, naive_sockets: false }),
            Policy::NAIVE_SOCKETS,
        ]
    }
}
