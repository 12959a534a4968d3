//! A million visitors against giosg's auth endpoint: what the SDK's renewal and retry policy does
//! to it on a bad day, against the simple policies others ship; and against giosg's socket
//! router, when it restarts and drops every visitor's socket at once.
//!
//! Each tab of this SDK runs the lifecycle machine that ships (`giosg_visitor::core`), driven by
//! a simulated browser ([`world`]): storage shared by a visitor's tabs, a Web Lock per visitor,
//! timers (throttled to whole minutes in hidden tabs), page loads, laptops that sleep. The
//! endpoint ([`endpoint`]) has a latency, a capacity, and the scenario's fault ([`scenario`]). In
//! the router scenarios each tab of this SDK also runs the real-time machine (the feature
//! `realtime`), against the simulated router ([`router`]).
//! The policies compared are in [`policy`]; what each run counts, in [`measure`]; whether the
//! rate settles after a fault, in [`settle`]; the table and the chart, in [`report`] and
//! [`chart`].

pub mod chart;
pub mod endpoint;
pub mod measure;
pub mod policy;
pub mod population;
pub mod report;
pub mod router;
pub mod scenario;
pub mod settle;
pub mod world;

use std::sync::Mutex;
use std::time::Instant;

use policy::Policy;
use report::Row;
use scenario::{Scenario, NORMAL_CAPACITY};
use world::World;

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub visitors: u32,
    pub seed: u64,
    pub threads: usize,
    pub policies: Vec<Policy>,
    pub scenarios: Vec<Scenario>,
}

/// Runs every policy in every scenario. This SDK's steady rate is measured first (with the naive
/// policy's, beside it): the endpoint's capacities are multiples of it, the same for every
/// policy.
pub fn run(plan: &Plan) -> Vec<Row> {
    let steady = Scenario::all().into_iter().find(|s| s.fault == scenario::Fault::None).expect("a steady scenario exists");
    // An estimate for the first run's capacity (which a steady load never reaches): one renewal
    // per visitor every lifetime - lead - mean jitter.
    let estimate = f64::from(plan.visitors) / 1650.0;
    let sdk_steady = plan.policies.iter().find(|p| p.is_sdk()).copied().unwrap_or(Policy::SDK);
    let mut first = vec![(sdk_steady, steady)];
    let mut rest = Vec::new();
    for policy in &plan.policies {
        for scenario in &plan.scenarios {
            if (policy.name(), scenario.name) == (sdk_steady.name(), steady.name) || !policy.runs_in(scenario) {
                continue;
            }
            // The SDK's variants differ only in how they retry: with nothing failing they are the
            // SDK as it ships, so the steady row is run for that one only.
            if scenario.fault == scenario::Fault::None && policy.is_sdk() {
                continue;
            }
            // Another steady run needs no measured rate: it runs beside the first.
            if scenario.fault == scenario::Fault::None && first.len() < plan.threads {
                first.push((*policy, *scenario));
            } else {
                rest.push((*policy, *scenario));
            }
        }
    }
    let mut rows = run_jobs(plan, first, estimate);
    let steady_rate = rows.iter().find(|r| r.policy == sdk_steady.name() && r.scenario == steady.name).map_or(estimate, |r| r.steady_rate);
    rows.extend(run_jobs(plan, rest, steady_rate));
    // The steady run is always made (for its rate); its row is shown with the other rows of the
    // main table, and not when only router scenarios were asked for.
    if plan.scenarios.iter().all(|s| s.has_sockets()) {
        rows.retain(|row| row.sockets.is_some());
    }
    // In the plan's order.
    let position = |row: &Row| {
        let p = plan.policies.iter().position(|p| p.name() == row.policy);
        let s = plan.scenarios.iter().position(|s| s.name == row.scenario);
        (s, p)
    };
    rows.sort_by_key(position);
    rows
}

/// Runs jobs on `plan.threads` threads, each run on one.
fn run_jobs(plan: &Plan, jobs: Vec<(Policy, Scenario)>, steady_rate: f64) -> Vec<Row> {
    let jobs = Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let rows = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..plan.threads.max(1) {
            scope.spawn(|| loop {
                let Some((_, (policy, scenario))) = jobs.lock().ok().and_then(|mut jobs| jobs.pop()) else { break };
                let (started, cpu_before) = (Instant::now(), thread_cpu_s());
                let world = World::new(policy, &scenario, plan.visitors, steady_rate, NORMAL_CAPACITY, plan.seed);
                let outcome = world.run();
                // The thread's CPU time where Linux tells it; else the run's wall time (the same on
                // a machine with a free core per thread, more on a busy one).
                let cpu_s = match (cpu_before, thread_cpu_s()) {
                    (Some(before), Some(after)) => after - before,
                    _ => started.elapsed().as_secs_f64(),
                };
                let row = Row::new(&policy, &scenario, plan.visitors, outcome, cpu_s);
                if let Ok(mut rows) = rows.lock() {
                    rows.push(row);
                }
            });
        }
    });
    rows.into_inner().unwrap_or_default()
}

/// The CPU time of the calling thread so far, in seconds, from Linux's
/// `/proc/thread-self/schedstat` (its first field: nanoseconds on a CPU).
fn thread_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanoseconds: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanoseconds as f64 / 1e9)
}
