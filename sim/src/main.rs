//! `cargo run --release -p giosg-visitor-sim -- [--visitors N] [--seed N] [--threads N] [--out DIR]`
//!
//! Prints the table (Markdown) and what the simulation cost; writes the table and one chart per
//! scenario with a fault into `--out` (default `sim/results`), with its numbers per second as CSV.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use giosg_visitor_sim::policy::Policy;
use giosg_visitor_sim::scenario::{Fault, Scenario};
use giosg_visitor_sim::{chart, report, run, Plan};

const USAGE: &str = "usage: giosg-visitor-sim [--visitors N] [--seed N] [--threads N] [--out DIR] [--policy TEXT] [--scenario TEXT]\n  --policy, --scenario: only those whose name contains TEXT";

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok((plan, out)) => simulate(&plan, &out),
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(Plan, PathBuf), String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut plan = Plan { visitors: 1_000_000, seed: 1, threads, policies: Policy::all(), scenarios: Scenario::all() };
    let mut out = PathBuf::from("sim/results");
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err("A million visitors against giosg's auth endpoint, simulated with the SDK's own lifecycle machine.".into());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{flag} takes a whole number, not {value:?}"));
        match flag.as_str() {
            "--visitors" => plan.visitors = u32::try_from(number()?).ok().filter(|n| *n > 0).ok_or("--visitors must be from 1 to 4294967295")?,
            "--seed" => plan.seed = number()?,
            "--threads" => plan.threads = usize::try_from(number()?).ok().filter(|n| *n > 0).ok_or("--threads must be at least 1")?,
            "--out" => out = PathBuf::from(value),
            "--policy" => plan.policies.retain(|p| p.name().contains(value.as_str())),
            "--scenario" => plan.scenarios.retain(|s| s.name.contains(value.as_str())),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if plan.policies.is_empty() || plan.scenarios.is_empty() {
        return Err("--policy and --scenario leave nothing to run".into());
    }
    Ok((plan, out))
}

fn simulate(plan: &Plan, out: &PathBuf) -> ExitCode {
    let started = Instant::now();
    eprintln!("simulating {} visitors, {} policies × {} scenarios, on {} threads", plan.visitors, plan.policies.len(), plan.scenarios.len(), plan.threads);
    let rows = run(plan);
    let table = report::table(&rows);
    let cost = report::cost(&rows, started.elapsed().as_secs_f64(), peak_memory_kb());
    println!("{table}\n{cost}");
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let mut files = vec![(out.join("table.md"), format!("{table}\n{cost}"))];
    for scenario in &plan.scenarios {
        let slug = match scenario.fault {
            Fault::None => continue,
            Fault::Outage { retry_after_s: None, .. } => "outage",
            Fault::Outage { retry_after_s: Some(_), .. } => "outage-retry-after",
            Fault::Hang { .. } => "hang",
            Fault::Overload { .. } => "overload",
        };
        let scenario_rows: Vec<_> = rows.iter().filter(|r| r.scenario == scenario.name).collect();
        let title = format!("{}: {} visitors", scenario.name, plan.visitors);
        files.push((out.join(format!("requests-{slug}.svg")), chart::svg(&title, &scenario_rows, scenario.fault_end_s())));
        files.push((out.join(format!("requests-{slug}.csv")), chart::csv(&scenario_rows)));
    }
    for (path, text) in files {
        if let Err(error) = std::fs::write(&path, text) {
            eprintln!("cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

/// The process's peak resident memory, from Linux's /proc (kB).
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
