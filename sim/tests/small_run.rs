//! Ten thousand visitors for an hour, this SDK beside the naive per-tab policy, in every
//! scenario: properties of what the SDK does on a bad day, asserted on the simulation's counts
//! (no timings).

use giosg_visitor_sim::policy::Policy;
use giosg_visitor_sim::report::Row;
use giosg_visitor_sim::scenario::{Fault, Scenario};
use giosg_visitor_sim::settle::Verdict;
use giosg_visitor_sim::{run, Plan};

fn row<'a>(rows: &'a [Row], policy: &str, fault: fn(&Fault) -> bool) -> &'a Row {
    let scenarios = Scenario::all();
    rows.iter()
        .find(|r| r.policy == policy && scenarios.iter().any(|s| s.name == r.scenario && fault(&s.fault)))
        .expect("the run has this row")
}

#[test]
fn ten_thousand_visitors_keep_their_identity_and_recover_from_an_outage_and_an_overload() {
    let naive = Policy::all().into_iter().find(|p| p.name().starts_with("naive")).expect("the naive policy is compared");
    // The scenarios of the auth endpoint (the router's have a test of their own).
    let scenarios: Vec<Scenario> = Scenario::all().into_iter().filter(|s| !s.has_sockets()).collect();
    let plan = Plan { visitors: 10_000, seed: 7, threads: 2, policies: vec![Policy::SDK, naive], scenarios: scenarios.clone() };
    let rows = run(&plan);
    assert_eq!(rows.len(), 2 * scenarios.len());
    let sdk = Policy::SDK.name();
    for row in rows.iter().filter(|r| r.policy == sdk) {
        assert_eq!(row.lost_identity, 0, "visitors of this SDK lost their identity in {}", row.scenario);
        assert!(row.steady_rate > 0.0, "the visitors renewed before the fault");
    }
    let outage = |f: &Fault| matches!(f, Fault::Outage { .. });
    let (sdk_outage, naive_outage) = (row(&rows, sdk, outage), row(&rows, naive.name(), outage));
    assert!(
        sdk_outage.peak * 10 <= naive_outage.peak,
        "this SDK's busiest second from the outage on ({}) is more than a tenth of the naive policy's ({})",
        sdk_outage.peak,
        naive_outage.peak
    );
    assert!(sdk_outage.last_recovered_s <= 300.0, "a tab of this SDK was without a valid token {} s after the outage", sdk_outage.last_recovered_s);
    // The outage did bite (tabs were without a token when it ended), so the bound above says
    // something.
    assert!(sdk_outage.last_recovered_s > 0.0 && sdk_outage.without_token_s > 0.0);
    // The steady hour costs this SDK fewer requests than the per-tab policy.
    let steady = |f: &Fault| *f == Fault::None;
    assert!(row(&rows, sdk, steady).steady_rate < row(&rows, naive.name(), steady).steady_rate);

    // An endpoint that takes half of this SDK's steady rate for 10 minutes: it is refused, the
    // endpoint is kept busy to its capacity, and the rate settles once the overload is over.
    let half = |f: &Fault| matches!(f, Fault::Overload { capacity, .. } if *capacity <= 0.5);
    let (sdk_half, naive_half) = (row(&rows, sdk, half), row(&rows, naive.name(), half));
    assert!(sdk_half.refused > 0, "an endpoint at half this SDK's steady rate refused nothing");
    let (issued, capacity) = (sdk_half.issued_during_fault.expect("a fault"), sdk_half.overload_capacity.expect("an overload"));
    assert!(issued <= capacity && issued >= 0.9 * capacity, "this SDK got {issued} sessions a second from an endpoint that takes {capacity}");
    assert!(matches!(sdk_half.settling.map(|s| s.verdict), Some(Verdict::Settles { after_s }) if after_s <= 300), "{:?}", sdk_half.settling);
    assert!(naive_half.refused > 10 * sdk_half.refused, "the naive policy was refused {} times, this SDK {}", naive_half.refused, sdk_half.refused);
}
