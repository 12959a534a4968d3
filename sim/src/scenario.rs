//! What happens to the endpoint during a run: the scenarios, each a row of the table.

/// A simulated hour, with the fault (if any) from minute 20.
pub const DURATION_S: u64 = 3600;
pub const FAULT_START_S: u64 = 1200;
/// The steady rate is measured over minutes 5 to 20 (before any fault).
pub const STEADY_FROM_S: u64 = 300;

/// The endpoint's normal capacity, as a multiple of this SDK's steady rate: it is sized with
/// headroom, as production services are.
pub const NORMAL_CAPACITY: f64 = 10.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// Nothing goes wrong.
    None,
    /// For `seconds`, every request fails at once: the connection is refused, or (with
    /// `retry_after_s`) a load balancer with no backend answers 503 with that `Retry-After`.
    Outage { seconds: u64, retry_after_s: Option<u32> },
    /// For `seconds`, every request hangs until the client gives up.
    Hang { seconds: u64 },
    /// For `seconds`, the endpoint takes at most `capacity` times this SDK's steady rate; above
    /// it, it answers 429 with `Retry-After: 30`.
    Overload { seconds: u64, capacity: f64 },
    /// The auth endpoint is fine; every tab holds a socket to giosg's real-time router,
    /// subscribed to [`crate::router::CHANNELS`] channels, and at minute 20 the router drops
    /// every socket at once. It takes connections again after `down_ms` (0: at once; before
    /// then, each connection attempt is refused), and answers every `sub` with `__qr__`.
    RouterRestart { down_ms: u64 },
}

#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub name: &'static str,
    pub fault: Fault,
}

impl Scenario {
    pub fn all() -> Vec<Scenario> {
        vec![
            Scenario { name: "steady", fault: Fault::None },
            Scenario { name: "outage 5 min (requests fail)", fault: Fault::Outage { seconds: 300, retry_after_s: None } },
            Scenario { name: "outage 5 min (503, Retry-After: 120)", fault: Fault::Outage { seconds: 300, retry_after_s: Some(120) } },
            Scenario { name: "overload 10 min (capacity 1.2x)", fault: Fault::Overload { seconds: 600, capacity: 1.2 } },
            Scenario { name: "overload 10 min (capacity 0.8x)", fault: Fault::Overload { seconds: 600, capacity: 0.8 } },
            Scenario { name: "overload 10 min (capacity 0.5x)", fault: Fault::Overload { seconds: 600, capacity: 0.5 } },
            Scenario { name: "router restart (every socket dropped, back at once)", fault: Fault::RouterRestart { down_ms: 0 } },
            Scenario { name: "router restart (every socket dropped, down 10 s)", fault: Fault::RouterRestart { down_ms: 10_000 } },
        ]
    }

    /// Whether every tab holds a socket (the router scenarios: their own table).
    pub fn has_sockets(&self) -> bool {
        matches!(self.fault, Fault::RouterRestart { .. })
    }

    /// The name of the scenario's chart and CSV files (`requests-<slug>.svg`); `None` for the
    /// steady scenario, which has none.
    pub fn slug(&self) -> Option<String> {
        match self.fault {
            Fault::None | Fault::RouterRestart { .. } => None,
            Fault::Outage { retry_after_s: None, .. } => Some("outage".into()),
            Fault::Outage { retry_after_s: Some(_), .. } => Some("outage-retry-after".into()),
            Fault::Hang { .. } => Some("hang".into()),
            Fault::Overload { capacity, .. } => Some(format!("overload-{capacity}x")),
        }
    }

    /// The endpoint's capacity during the fault, as a multiple of this SDK's steady rate (an
    /// overload only).
    pub fn overload_capacity(&self) -> Option<f64> {
        match self.fault {
            Fault::Overload { capacity, .. } => Some(capacity),
            _ => None,
        }
    }

    /// When the fault ends (the steady scenario: when it would have; a router restart: when the
    /// router takes connections again, to the whole second).
    pub fn fault_end_s(&self) -> u64 {
        FAULT_START_S
            + match self.fault {
                Fault::None => 0,
                Fault::RouterRestart { down_ms } => down_ms.div_ceil(1000),
                Fault::Outage { seconds, .. } | Fault::Hang { seconds } | Fault::Overload { seconds, .. } => seconds,
            }
    }
}
