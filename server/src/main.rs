//! `giosg-local-server [--port N] [--host ADDR] [--expires-in SECONDS] [--www DIR] [--pkg DIR]`
//!
//! Prints `giosg local server: http://HOST:PORT/` once it listens, then serves until killed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use giosg_local_server::{serve, AppState, Config};

const USAGE: &str = "usage: giosg-local-server [--port N (default 8080, 0 = any free port)] [--host ADDR (default 127.0.0.1)]
                          [--expires-in SECONDS (default 1800)] [--www DIR] [--pkg DIR]";

struct Args {
    host: String,
    port: u16,
    config: Config,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { host: "127.0.0.1".into(), port: 8080, config: Config::default() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => args.port = value.parse().map_err(|_| format!("--port: not a port: {value}"))?,
            "--host" => args.host = value,
            "--expires-in" => {
                args.config.expires_in = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("--expires-in: not a positive number: {value}"))?
            }
            "--www" => args.config.www = Some(PathBuf::from(value)),
            "--pkg" => args.config.pkg = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {}:{}: {e}", args.host, args.port);
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("cannot read the listening address: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("giosg local server: http://{addr}/");
    let _ = std::io::stdout().flush();
    match serve(listener, AppState::new(args.config)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
