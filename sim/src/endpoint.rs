//! The simulated auth endpoint, `POST /api/v5/public/orgs/<org>/auth`: a latency, a capacity per
//! second, and the scenario's fault.

use rand::Rng;
use rand_distr::{Distribution, LogNormal};

use crate::scenario::{Fault, Scenario, FAULT_START_S};

/// Seconds of validity of every token (the documented default).
pub const LIFETIME_S: u32 = 1800;
/// What the overloaded endpoint answers in `Retry-After`.
pub const RETRY_AFTER_S: u32 = 30;

/// What becomes of one request.
#[derive(Clone, Copy, Debug)]
pub enum Disposition {
    /// Answered 200 (the world fills in who it is for).
    Served,
    /// Answered `status` with `Retry-After`, turned away by the capacity limit.
    Refused { status: u16, retry_after_s: u32 },
    /// The connection failed.
    Failed,
    /// No answer: the client's timeout ends it.
    Hung,
}

pub struct Endpoint {
    latency: LogNormal<f64>,
    fault: Fault,
    fault_end_ms: u64,
    /// Requests per second it takes normally, and during an overload.
    normal_capacity: f64,
    reduced_capacity: f64,
    /// Requests it has taken, per second of the run (arrivals it served).
    served: Vec<u32>,
}

impl Endpoint {
    /// `steady_rate`: this SDK's steady rate for the population, in requests per second, which
    /// the capacities are multiples of.
    pub fn new(scenario: &Scenario, steady_rate: f64, normal_multiple: f64, duration_s: u64) -> Self {
        let reduced = scenario.overload_capacity().map_or(f64::INFINITY, |capacity| capacity * steady_rate);
        Endpoint {
            // Median 80 ms, a long tail (one in a thousand over a second).
            latency: LogNormal::new((0.08f64).ln(), 0.8).expect("constant parameters are valid"),
            fault: scenario.fault,
            fault_end_ms: scenario.fault_end_s() * 1000,
            normal_capacity: normal_multiple * steady_rate,
            reduced_capacity: reduced,
            served: vec![0; duration_s as usize + 2],
        }
    }

    /// Requests per second it takes during an overload (`None`: the scenario has none): the
    /// first `⌈capacity⌉` of each second, which a small population makes more than `capacity`.
    pub fn overload_capacity(&self) -> Option<f64> {
        self.reduced_capacity.is_finite().then_some(self.reduced_capacity.ceil())
    }

    /// A request sent at `sent_ms`: when it reaches the endpoint, how long until its outcome,
    /// and what the outcome is.
    pub fn request(&mut self, sent_ms: u64, timeout_ms: u64, rng: &mut impl Rng) -> (u64, u64, Disposition) {
        let latency_ms = ((self.latency.sample(rng) * 1000.0) as u64).max(1);
        let arrival = sent_ms + latency_ms / 2;
        let faulty = (FAULT_START_S * 1000..self.fault_end_ms).contains(&arrival);
        let disposition = match self.fault {
            Fault::Outage { retry_after_s: None, .. } if faulty => Disposition::Failed,
            Fault::Outage { retry_after_s: Some(retry_after_s), .. } if faulty => Disposition::Refused { status: 503, retry_after_s },
            Fault::Hang { .. } if faulty => Disposition::Hung,
            _ => {
                let capacity = if faulty { self.reduced_capacity } else { self.normal_capacity };
                let second = (arrival / 1000) as usize;
                match self.served.get_mut(second) {
                    Some(served) if f64::from(*served) >= capacity => Disposition::Refused { status: 429, retry_after_s: RETRY_AFTER_S },
                    Some(served) => {
                        *served += 1;
                        Disposition::Served
                    }
                    None => Disposition::Served,
                }
            }
        };
        // An answer slower than the client's timeout is never seen (the endpoint did the work).
        let disposition = if latency_ms > timeout_ms { Disposition::Hung } else { disposition };
        let done = match disposition {
            Disposition::Hung => sent_ms + timeout_ms,
            _ => sent_ms + latency_ms,
        };
        (arrival, done, disposition)
    }
}
