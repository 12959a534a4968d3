//! `cargo run --release -p giosg-visitor-sim -- [--visitors N] [--seed N] [--threads N] [--out DIR] [--readme FILE]`
//!
//! Prints the table (Markdown) and what the simulation cost; writes the table and one chart per
//! scenario with a fault into `--out` (default `sim/results`), with its numbers per second as CSV;
//! with `--readme`, also puts the table in that file, between its markers.

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
    let table = report::table(&rows);
    let cost = report::cost(&rows, started.elapsed().as_secs_f64(), peak_memory_kb());
    println!("{table}\n{cost}");
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let mut files = vec![(out.join("table.md"), format!("{table}\n{cost}"))];
    for scenario in &plan.scenarios {
        let Some(slug) = scenario.slug() else { continue };
        let scenario_rows: Vec<_> = rows.iter().filter(|r| r.scenario == scenario.name).collect();
        let title = format!("{}: {} visitors", scenario.name, plan.visitors);
        files.push((out.join(format!("requests-{slug}.svg")), chart::svg(&title, &scenario_rows, scenario.fault_end_s())));
        files.push((out.join(format!("requests-{slug}.csv")), chart::csv(&scenario_rows)));
    }
    if let Some(readme) = &output.readme {
        let updated = std::fs::read_to_string(readme).map_err(|error| error.to_string()).and_then(|text| report::into_readme(&text, &table, &cost));
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

/// The process's peak resident memory, from Linux's /proc (kB).
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
