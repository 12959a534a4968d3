//! The renewal and retry policies compared, each on the same population and endpoint.

use giosg_visitor::core::retry::Backoff;

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

    /// This SDK as it ships.
    pub const SDK: Policy = Policy::sdk_variant("this SDK (ships: SPEC §3, cap 60 s)", Backoff::SPEC);

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
            Policy::PerTab(PerTab { name: "naive (per tab, 60 s lead, retry 1 s)", lead_ms: 60_000, retry_ms: 1_000 }),
            Policy::PerTab(PerTab { name: "giosg sample (per tab, expires_in - 10 s, retry 10 s)", lead_ms: 10_000, retry_ms: 10_000 }),
        ]
    }
}
