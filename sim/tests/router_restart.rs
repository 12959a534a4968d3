//! Two thousand visitors for an hour, each tab holding a socket subscribed to two channels, when
//! giosg's router drops every socket at once: this SDK's real-time machine beside the naive
//! client (reopen at once, sub every channel again, no jitter). Properties asserted on the
//! simulation's counts, none on wall-clock time.

use giosg_visitor_sim::policy::Policy;
use giosg_visitor_sim::report::Row;
use giosg_visitor_sim::router::SocketRow;
use giosg_visitor_sim::scenario::{Fault, Scenario};
use giosg_visitor_sim::{run, Plan};

fn sockets<'a>(rows: &'a [Row], policy: &str, down: bool) -> &'a SocketRow {
    let scenarios = Scenario::all();
    let row = rows
        .iter()
        .find(|r| r.policy == policy && scenarios.iter().any(|s| s.name == r.scenario && matches!(s.fault, Fault::RouterRestart { down_ms } if (down_ms > 0) == down)))
        .expect("the run has this row");
    row.sockets.as_ref().expect("a router scenario's row counts sockets")
}

#[test]
fn after_a_router_restart_this_sdk_spreads_its_reconnects_and_renews_no_token_before_it_is_due() {
    let scenarios: Vec<Scenario> = Scenario::all().into_iter().filter(Scenario::has_sockets).collect();
    assert_eq!(scenarios.len(), 2, "back at once, and down 10 s");
    let plan = Plan { visitors: 2_000, seed: 11, threads: 2, policies: vec![Policy::SDK, Policy::NAIVE_SOCKETS], scenarios };
    let rows = run(&plan);
    // Only the router rows (the steady run made for its rate is not shown).
    assert_eq!(rows.len(), 4);
    let (sdk, naive) = (Policy::SDK.name(), Policy::NAIVE_SOCKETS.name());

    for down in [false, true] {
        let (ours, theirs) = (sockets(&rows, sdk, down), sockets(&rows, naive, down));
        // The restart did drop subscribed sockets (nearly every tab's), for both.
        assert!(ours.dropped > 2_000 && theirs.dropped > 2_000, "{} and {} tabs dropped", ours.dropped, theirs.dropped);
        // Every tab waited for was subscribed again within the hour, this SDK's within 2
        // minutes of the drop.
        assert!(ours.recovered_all_ms.is_some_and(|ms| ms <= 120_000), "{:?}", ours.recovered_all_ms);
        assert!(theirs.recovered_all_ms.is_some());
        // This SDK's tabs asked for no token with one that was not yet due for renewal: every
        // auth request made while a socket waited was for a token past its renewal point (a
        // renewal brought forward, not one more).
        assert_eq!(ours.auth_requests, ours.auth_requests_due, "down {down}");
        // The naive client reconnects at once: the busiest tenth of a second after the drop
        // is several times this SDK's, which spreads its reconnects over a second.
        assert!(
            ours.peak_connects_bin * 3 <= theirs.peak_connects_bin,
            "busiest 100 ms of connection attempts: this SDK {} /s, naive {} /s (down {down})",
            ours.peak_connects_bin,
            theirs.peak_connects_bin
        );
    }

    // Back at once: no tab of this SDK asked the auth endpoint because of the restart beyond
    // the few whose renewal was due; most runs have none at all at this size.
    let ours = sockets(&rows, sdk, false);
    assert!(ours.auth_requests * 1_000 <= ours.dropped, "{} auth requests for {} tabs", ours.auth_requests, ours.dropped);

    // Down for 10 s: the naive client tries again every round trip, this SDK backs off. Its
    // busiest second has a fifth of the naive's attempts at most, its first minute a tenth.
    let (ours, theirs) = (sockets(&rows, sdk, true), sockets(&rows, naive, true));
    assert!(ours.peak_connects_s * 5 <= theirs.peak_connects_s, "busiest second: this SDK {}, naive {}", ours.peak_connects_s, theirs.peak_connects_s);
    assert!(ours.connects_first_minute * 10 <= theirs.connects_first_minute, "first minute: this SDK {}, naive {}", ours.connects_first_minute, theirs.connects_first_minute);
}
