//! The table: one row per policy and scenario.

use crate::policy::Policy;
use crate::router::{SocketRow, BIN_MS};
use crate::scenario::{Fault, Scenario, DURATION_S, FAULT_START_S, STEADY_FROM_S};
use crate::settle::{self, Settling};
use crate::world::{self, RunOutcome};

#[derive(Clone)]
pub struct Row {
    pub policy: &'static str,
    pub scenario: &'static str,
    pub faulty: bool,
    pub visitors: u32,
    /// Requests per second at the endpoint, before the fault.
    pub steady_rate: f64,
    /// The busiest second from the fault's start to the end of the run.
    pub peak: u32,
    /// Seconds from the fault's end until 99.9 % of open tabs hold a valid token (`None`: not
    /// within the run).
    pub recovered_999_s: Option<u64>,
    /// Seconds from the fault's end until the last tab that had no valid token then got one.
    pub last_recovered_s: f64,
    /// Tab-seconds without a valid token, over the run.
    pub without_token_s: f64,
    pub refused: u64,
    /// Sessions issued per second during the fault (`None`: no fault).
    pub issued_during_fault: Option<f64>,
    /// Requests per second the endpoint took during an overload.
    pub overload_capacity: Option<f64>,
    /// Whether the request rate settles after the fault's end (`None`: no fault).
    pub settling: Option<Settling>,
    pub lost_identity: u64,
    pub requests: Vec<u32>,
    pub tabs: u64,
    pub inputs: u64,
    pub cpu_s: f64,
    /// The router scenarios: what the router counted (these rows have a table of their own).
    pub sockets: Option<SocketRow>,
}

impl Row {
    pub fn new(policy: &Policy, scenario: &Scenario, visitors: u32, outcome: RunOutcome, cpu_s: f64) -> Row {
        let m = &outcome.measure;
        let seconds = DURATION_S as usize;
        let fault_start = FAULT_START_S as usize;
        let steady_rate = m.requests[STEADY_FROM_S as usize..fault_start].iter().map(|&n| f64::from(n)).sum::<f64>() / (fault_start - STEADY_FROM_S as usize) as f64;
        let peak = m.requests[fault_start..seconds].iter().copied().max().unwrap_or(0);
        let without = m.without_token.totals();
        let asleep = m.asleep.totals();
        let fault_end = scenario.fault_end_s() as usize;
        let share_without = |s: usize| {
            let open_ms = outcome.tabs as f64 * 1000.0 - asleep[s] as f64;
            if open_ms <= 0.0 {
                0.0
            } else {
                without[s] as f64 / open_ms
            }
        };
        let recovered_999_s = (fault_end..seconds).find(|&s| share_without(s) <= 0.001).map(|s| (s - fault_end) as u64);
        let faulty = scenario.fault != Fault::None;
        let issued_during_fault = faulty.then(|| m.issued[fault_start..fault_end].iter().map(|&n| f64::from(n)).sum::<f64>() / (fault_end - fault_start).max(1) as f64);
        Row {
            policy: policy.name(),
            scenario: scenario.name,
            faulty,
            visitors,
            steady_rate,
            peak,
            recovered_999_s,
            last_recovered_s: m.longest_after_fault_ms as f64 / 1000.0,
            without_token_s: m.without_token_ms as f64 / 1000.0,
            refused: m.refused,
            issued_during_fault,
            overload_capacity: outcome.overload_capacity,
            settling: if faulty { settle::after_fault(&m.requests[..seconds], fault_end, fault_start + world::soonest_renewal_s() as usize) } else { None },
            lost_identity: outcome.visitors_who_lost_identity,
            requests: m.requests.clone(),
            tabs: outcome.tabs,
            inputs: outcome.inputs,
            cpu_s,
            sockets: outcome.sockets,
        }
    }

    /// Per million visitors.
    pub fn per_million(&self, value: f64) -> f64 {
        value * 1e6 / f64::from(self.visitors)
    }

    /// The peak as a multiple of this policy's own steady rate.
    pub fn peak_multiple(&self) -> f64 {
        f64::from(self.peak) / self.steady_rate.max(f64::MIN_POSITIVE)
    }
}

/// The table in Markdown (the rows of the scenarios without sockets).
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | policy | steady auth req/s per 1M | peak req/s per 1M from minute 20 (× steady) | 99.9 % of tabs valid again after | last tab valid again after | tab-seconds without a valid token per 1M visitors | refused (429) per 1M | sessions issued per s per 1M during the fault (share of capacity) | request rate after the fault (10-s rate in minutes 5–10 after it, × steady); its echo (from one renewal cycle after its start to the end of the hour) | visitors who lost their identity |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
    );
    for row in rows.iter().filter(|r| r.sockets.is_none()) {
        let recovered = match (row.faulty, row.recovered_999_s) {
            (false, _) => "n/a".to_owned(),
            (true, Some(s)) => format!("{s} s"),
            (true, None) => "not within the hour".to_owned(),
        };
        let last = if row.faulty { format!("{:.0} s", row.last_recovered_s) } else { "n/a".to_owned() };
        let goodput = match (row.issued_during_fault, row.overload_capacity) {
            (Some(issued), Some(capacity)) => format!("{:.0} ({:.2})", row.per_million(issued), issued / capacity.max(f64::MIN_POSITIVE)),
            (Some(issued), None) => format!("{:.0}", row.per_million(issued)),
            (None, _) => "n/a".to_owned(),
        };
        let settling = match (row.faulty, row.settling) {
            (false, _) => "n/a".to_owned(),
            (true, Some(settling)) => settling.describe(),
            (true, None) => "no steady rate".to_owned(),
        };
        out += &format!(
            "| {} | {} | {:.0} | {:.0} ({:.1}×) | {} | {} | {:.0} | {:.0} | {} | {} | {} |\n",
            row.scenario,
            row.policy,
            row.per_million(row.steady_rate),
            row.per_million(f64::from(row.peak)),
            row.peak_multiple(),
            recovered,
            last,
            row.per_million(row.without_token_s),
            row.per_million(row.refused as f64),
            goodput,
            settling,
            row.lost_identity,
        );
    }
    out
}

/// The table of the router scenarios in Markdown (their rows only).
pub fn router_table(rows: &[Row]) -> String {
    let bins_per_s = 1000 / BIN_MS;
    let mut out = format!(
        "| scenario | policy | subscribed tabs whose socket was dropped, per 1M visitors | connection attempts per s per 1M from the drop: busiest second (busiest {BIN_MS} ms × {bins_per_s}) | `sub`s per s per 1M from the drop: busiest second (busiest {BIN_MS} ms × {bins_per_s}) | connection attempts per 1M in the minute from the drop | 99.9 % of those tabs subscribed again after | the last after | auth requests while a socket waited for a session, per 1M (of them, for a token past its renewal point) | auth req/s per 1M: steady; busiest second from the drop (× steady) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    let seconds = |ms: Option<u64>| ms.map_or("not within the hour".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0));
    for row in rows {
        let Some(sockets) = &row.sockets else { continue };
        let million = |n: f64| row.per_million(n);
        out += &format!(
            "| {} | {} | {:.0} | {:.0} ({:.0}) | {:.0} ({:.0}) | {:.0} | {} | {} | {:.0} ({:.0}) | {:.0}; {:.0} ({:.1}×) |\n",
            row.scenario,
            row.policy,
            million(sockets.dropped as f64),
            million(f64::from(sockets.peak_connects_s)),
            million(f64::from(sockets.peak_connects_bin)),
            million(f64::from(sockets.peak_subs_s)),
            million(f64::from(sockets.peak_subs_bin)),
            million(sockets.connects_first_minute as f64),
            seconds(sockets.recovered_999_ms),
            seconds(sockets.recovered_all_ms),
            million(sockets.auth_requests as f64),
            million(sockets.auth_requests_due as f64),
            million(row.steady_rate),
            million(f64::from(row.peak)),
            row.peak_multiple(),
        );
    }
    out
}

/// The README's markers around the generated table (`--readme`).
pub const README_START: &str = "<!-- generated by giosg-visitor-sim --readme: edit sim/src/report.rs, not the table -->";
pub const README_END: &str = "<!-- end of the generated table -->";
/// The markers around the router scenarios' table, in the README and in `sim/results/table.md`.
pub const ROUTER_START: &str = "<!-- generated by giosg-visitor-sim --readme: the router scenarios; edit sim/src/report.rs, not the table -->";
pub const ROUTER_END: &str = "<!-- end of the generated router table -->";

/// `readme` with the text between its markers replaced by `table` and `cost`.
pub fn into_readme(readme: &str, table: &str, cost: &str) -> Result<String, String> {
    between(readme, README_START, README_END, &format!("\n{table}\n{cost}"))
}

/// `readme` with the text between the router table's markers replaced by `table` and `cost`.
pub fn router_into_readme(readme: &str, table: &str, cost: &str) -> Result<String, String> {
    between(readme, ROUTER_START, ROUTER_END, &format!("\n{table}\n{cost}"))
}

/// `text` with what is between `start` and `end` replaced by `content`.
fn between(text: &str, start_marker: &str, end_marker: &str, content: &str) -> Result<String, String> {
    let missing = || format!("the markers {start_marker:?} and {end_marker:?}, in that order, are not in it");
    let start = text.find(start_marker).ok_or_else(missing)? + start_marker.len();
    let end = start + text[start..].find(end_marker).ok_or_else(missing)?;
    Ok(format!("{}{content}{}", &text[..start], &text[end..]))
}

/// `sim/results/table.md`: the main table and its cost, then the router table between its
/// markers. A run with rows of one kind only keeps what `existing` has of the other.
pub fn results_file(existing: Option<&str>, main: Option<(&str, &str)>, router: Option<(&str, &str)>) -> String {
    let existing = existing.unwrap_or_default();
    let (head, tail) = match existing.find(ROUTER_START) {
        Some(at) => existing.split_at(at),
        None => (existing, ""),
    };
    let head = match main {
        Some((table, cost)) => format!("{table}\n{cost}"),
        None => head.trim_end_matches('\n').to_owned() + if head.is_empty() { "" } else { "\n" },
    };
    let router = match router {
        Some((table, cost)) => format!("{ROUTER_START}\n{table}\n{cost}{ROUTER_END}\n"),
        None => tail.to_owned(),
    };
    match (head.is_empty(), router.is_empty()) {
        (false, false) => format!("{head}\n{router}"),
        _ => format!("{head}{router}"),
    }
}

/// What the simulation itself cost.
pub fn cost(rows: &[Row], wall_s: f64, peak_memory: Option<u64>) -> String {
    let cpu: f64 = rows.iter().map(|r| r.cpu_s).sum();
    let visitor_hours: f64 = rows.iter().map(|r| f64::from(r.visitors) * DURATION_S as f64 / 3600.0).sum();
    let inputs: u64 = rows.iter().map(|r| r.inputs).sum();
    let memory = peak_memory.map_or("unknown".to_owned(), |kb| format!("{:.1} GiB", kb as f64 / (1024.0 * 1024.0)));
    format!(
        "{} runs of {} visitors ({} tabs) for {} simulated minutes each: {:.0} s of CPU (one core per run), {:.0} s wall, {:.0} simulated visitor-hours per CPU second, {:.1} M inputs to tabs, peak memory {memory}\n",
        rows.len(),
        rows.first().map_or(0, |r| r.visitors),
        rows.first().map_or(0, |r| r.tabs),
        DURATION_S / 60,
        cpu,
        wall_s,
        visitor_hours / cpu.max(f64::MIN_POSITIVE),
        inputs as f64 / 1e6,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_gets_the_table_between_its_markers_only() {
        let readme = format!("# Title\n{README_START}\nold table\n{README_END}\n\nprose\n");
        let updated = into_readme(&readme, "| new |\n", "cost\n");
        assert_eq!(updated, Ok(format!("# Title\n{README_START}\n| new |\n\ncost\n{README_END}\n\nprose\n")));
        assert!(into_readme("no markers", "| new |\n", "cost\n").is_err());
        assert!(into_readme(&format!("{README_END} {README_START}"), "| new |\n", "cost\n").is_err());
    }

    #[test]
    fn the_router_table_has_markers_of_its_own() {
        let readme = format!("{README_START}\nmain\n{README_END}\nprose\n{ROUTER_START}\nold\n{ROUTER_END}\nmore\n");
        let updated = router_into_readme(&readme, "| router |\n", "cost\n").expect("the markers are there");
        assert_eq!(updated, format!("{README_START}\nmain\n{README_END}\nprose\n{ROUTER_START}\n| router |\n\ncost\n{ROUTER_END}\nmore\n"));
        // Each table replaces its own part only.
        assert!(into_readme(&updated, "| new |\n", "cost\n").is_ok_and(|text| text.contains("| router |") && text.contains("| new |") && !text.contains("main")));
        assert!(router_into_readme("no markers", "| router |\n", "cost\n").is_err());
    }

    #[test]
    fn the_results_file_keeps_the_table_a_run_did_not_make() {
        let both = results_file(None, Some(("| main |\n", "cost\n")), Some(("| router |\n", "rcost\n")));
        assert_eq!(both, format!("| main |\n\ncost\n\n{ROUTER_START}\n| router |\n\nrcost\n{ROUTER_END}\n"));
        let router_again = results_file(Some(&both), None, Some(("| router 2 |\n", "rcost\n")));
        assert_eq!(router_again, format!("| main |\n\ncost\n\n{ROUTER_START}\n| router 2 |\n\nrcost\n{ROUTER_END}\n"));
        let main_again = results_file(Some(&router_again), Some(("| main 2 |\n", "cost\n")), None);
        assert_eq!(main_again, format!("| main 2 |\n\ncost\n\n{ROUTER_START}\n| router 2 |\n\nrcost\n{ROUTER_END}\n"));
        // The file as it was before the router table: the main table only.
        assert_eq!(results_file(Some("| main |\n\ncost\n"), None, Some(("| r |\n", "c\n"))), format!("| main |\n\ncost\n\n{ROUTER_START}\n| r |\n\nc\n{ROUTER_END}\n"));
        assert_eq!(results_file(Some("| main |\n\ncost\n"), Some(("| m |\n", "c\n")), None), "| m |\n\nc\n");
    }
}
