//! `cargo run --release -p giosg-visitor-sim -- [--visitors N] [--seed N] [--threads N] [--out DIR] [--readme FILE]`
//!
//! Prints the table (Markdown) and what the simulation cost; writes the table and one chart per
//! scenario with a fault into `--out` (default `sim/results`), with its numbers per second as CSV;
//! with `--readme`, also puts the table in that file, between its markers. The router scenarios
//! have a table of their own, after the main one in `table.md` and between markers of its own in
//! the README; a run of only one kind of scenario (`--scenario router`) leaves the other table
//! as it was.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use giosg_visitor_sim::policy::Policy;
use giosg_visitor_sim::scenario::Scenario;
use giosg_visitor_sim::{chart, report, run, Plan};

const USAGE: &str = "usage: giosg-visitor-sim [--visitors N] [--seed N] [--threads N] [--out DIR] [--readme FILE] [--policy TEXT] [--scenario TEXT]\n  --readme: also replace the table between the file's markers\n  --policy, --scenario: only those whose name contains TEXT";

/// Where the results go.
struct Output {
    dir: PathBuf,
    readme: Option<PathBuf>,
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok((plan, output)) => simulate(&plan, &output),
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(Plan, Output), String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut plan = Plan { visitors: 1_000_000, seed: 1, threads, policies: Policy::all(), scenarios: Scenario::all() };
    let mut output = Output { dir: PathBuf::from("sim/results"), readme: None };
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
            "--out" => output.dir = PathBuf::from(value),
            "--readme" => output.readme = Some(PathBuf::from(value)),
            "--policy" => plan.policies.retain(|p| p.name().contains(value.as_str())),
            "--scenario" => plan.scenarios.retain(|s| s.name.contains(value.as_str())),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if plan.policies.is_empty() || plan.scenarios.is_empty() {
        return Err("--policy and --scenario leave nothing to run".into());
    }
    Ok((plan, output))
}

fn simulate(plan: &Plan, output: &Output) -> ExitCode {
    let out = &output.dir;
    let started = Instant::now();
    eprintln!("simulating {} visitors, {} policies × {} scenarios, on {} threads", plan.visitors, plan.policies.len(), plan.scenarios.len(), plan.threads);
    let rows = run(plan);
    let wall_s = started.elapsed().as_secs_f64();
    // The main table (scenarios without sockets) and the router table, each with what its runs
    // cost (the wall time is the whole command's).
    let (router_rows, main_rows): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.sockets.is_some());
    let main_rows: Vec<_> = main_rows.into_iter().cloned().collect();
    let router_rows: Vec<_> = router_rows.into_iter().cloned().collect();
    let main = (!main_rows.is_empty()).then(|| (report::table(&main_rows), report::cost(&main_rows, wall_s, peak_memory_kb())));
    let router = (!router_rows.is_empty()).then(|| (report::router_table(&router_rows), report::cost(&router_rows, wall_s, peak_memory_kb())));
    for (table, cost) in main.iter().chain(&router) {
        println!("{table}\n{cost}");
    }
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let results = out.join("table.md");
    let existing = std::fs::read_to_string(&results).ok();
    let mut files = vec![(results, report::results_file(existing.as_deref(), as_refs(&main), as_refs(&router)))];
    for scenario in &plan.scenarios {
        let Some(slug) = scenario.slug() else { continue };
        let scenario_rows: Vec<_> = rows.iter().filter(|r| r.scenario == scenario.name).collect();
        let title = format!("{}: {} visitors", scenario.name, plan.visitors);
        files.push((out.join(format!("requests-{slug}.svg")), chart::svg(&title, &scenario_rows, scenario.fault_end_s())));
        files.push((out.join(format!("requests-{slug}.csv")), chart::csv(&scenario_rows)));
    }
    if let Some(readme) = &output.readme {
        let updated = std::fs::read_to_string(readme).map_err(|error| error.to_string()).and_then(|text| {
            let text = match &main {
                Some((table, cost)) => report::into_readme(&text, table, cost)?,
                None => text,
            };
            match &router {
                Some((table, cost)) => report::router_into_readme(&text, table, cost),
                None => Ok(text),
            }
        });
        match updated {
            Ok(text) => files.push((readme.clone(), text)),
            Err(error) => {
                eprintln!("cannot put the table into {}: {error}", readme.display());
                return ExitCode::FAILURE;
            }
        }
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

fn as_refs(part: &Option<(String, String)>) -> Option<(&str, &str)> {
    part.as_ref().map(|(table, cost)| (table.as_str(), cost.as_str()))
}

/// The process's peak resident memory, from Linux's /proc (kB).
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
