//! Browser suite of the page around the SDK (SPEC §3, "the page is hostile ground"): a page that
//! wraps `fetch`, replaces `JSON`, `Date.now` or `Math.random`, pollutes `Object.prototype`, puts
//! a `<base href>` in its document, aborts, drops its visitors, withdraws consent. Each scenario
//! is in `tests/page/hostile.js`, run against the shipped package (`pkg/`, which the local server
//! serves) in Chrome, Firefox and WebKit; it fails with a message that says what broke.
#![cfg(target_arch = "wasm32")]

mod support;

use support::SERVER;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The scenarios of `tests/page/hostile.js`.
mod scenario {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/tests/page/hostile.js")]
    extern "C" {
        #[wasm_bindgen(catch, js_name = fetchWrapperMisbehavingOnce)]
        pub async fn fetch_wrapper_misbehaving_once(server: &str, how: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = fetchWrapperMisbehavingForThePagesRequest)]
        pub async fn fetch_wrapper_misbehaving_for_the_pages_request(server: &str, how: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = objectPrototypeThenPolluted)]
        pub async fn object_prototype_then_polluted(server: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = pageGlobalsReplaced)]
        pub async fn page_globals_replaced(server: &str, which: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = pageCodeCallsAVisitorFromInside)]
        pub async fn page_code_calls_a_visitor_from_inside(server: &str, hook: &str, action: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = tokenGoesOnlyWhereTheCheckAllowed)]
        pub async fn token_goes_only_where_the_check_allowed(server: &str, inputs: Vec<String>, base_href: Option<String>) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = withdrawalErasesEveryCopy)]
        pub async fn withdrawal_erases_every_copy(server: &str, path: Vec<String>) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = withdrawalNeverWaitsForTheNetwork)]
        pub async fn withdrawal_never_waits_for_the_network(server: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = abortSignalEndsTheCallAtOnce)]
        pub async fn abort_signal_ends_the_call_at_once(server: &str) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = garbageCollectionNeverStopsAVisitor)]
        pub async fn garbage_collection_never_stops_a_visitor(server: &str, jsc_allocations_between_gcs: u32) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = aVisitorKeptOnlyByItsListenerKeepsRenewing)]
        pub async fn a_visitor_kept_only_by_its_listener_keeps_renewing(server: &str, jsc_allocations_between_gcs: u32) -> Result<JsValue, JsValue>;
        #[wasm_bindgen(catch, js_name = aReleasedVisitorAnswersStopped)]
        pub async fn a_released_visitor_answers_stopped(server: &str) -> Result<JsValue, JsValue>;
    }
}

/// Fails the test with the scenario's own message.
fn passed(outcome: Result<JsValue, JsValue>) {
    if let Err(error) = outcome {
        let message = js_sys::Reflect::get(&error, &"message".into()).ok().and_then(|m| m.as_string());
        panic!("{}", message.unwrap_or_else(|| format!("{error:?}")));
    }
}

const FETCH_MISBEHAVIORS: [&str; 6] = ["throws", "notAResponse", "rejectsWithAString", "notAPromise", "thenableThatThrows", "neverSettles"];

#[wasm_bindgen_test]
async fn a_fetch_wrapper_that_fails_once_leaves_nothing_stuck() {
    for how in FETCH_MISBEHAVIORS {
        passed(scenario::fetch_wrapper_misbehaving_once(SERVER, how).await);
    }
}

#[wasm_bindgen_test]
async fn a_fetch_wrapper_that_fails_the_pages_request_rejects_it_as_network() {
    // A wrapper that never settles leaves the page's own request pending, as the platform would.
    for how in FETCH_MISBEHAVIORS.into_iter().filter(|how| *how != "neverSettles") {
        passed(scenario::fetch_wrapper_misbehaving_for_the_pages_request(SERVER, how).await);
    }
}

#[wasm_bindgen_test]
async fn a_polluted_object_prototype_then_leaves_nothing_stuck() {
    passed(scenario::object_prototype_then_polluted(SERVER).await);
}

#[wasm_bindgen_test]
async fn replaced_json_clock_and_chance_leave_nothing_stuck() {
    for which in ["jsonParseThrows", "jsonParseFrozen", "dateNowThrows", "dateNowNotANumber", "mathRandomThrows"] {
        passed(scenario::page_globals_replaced(SERVER, which).await);
    }
}

/// SPEC §3: a call made from page code the SDK is running, into this visitor or another, waits
/// its turn and settles; the getters read the visitors as they are.
#[wasm_bindgen_test]
async fn page_code_the_sdk_runs_may_call_any_visitor_back() {
    for hook in ["setItem", "dateNow", "jsonParse"] {
        for action in ["forgetAnother", "setStorageAnother", "readGetters", "callItself"] {
            passed(scenario::page_code_calls_a_visitor_from_inside(SERVER, hook, action).await);
        }
    }
}

/// URLs that parse differently with a base and without one, or hide tabs, newlines and
/// backslashes, beside one that must be sent.
fn tricky_inputs() -> Vec<String> {
    let host = SERVER.trim_start_matches("http://");
    [
        format!("{SERVER}/api/v5/public/orgs/x/rooms"),
        format!("http:{host}/api/v5/public/orgs/x/rooms"),
        format!("https:{host}/api/v5/public/orgs/x/rooms"),
        format!("http:\\\\{host}\\api\\v5\\public"),
        format!("h\ttp:{host}/api/v5/public"),
        format!("http:/\n/{host}/api/v5/public"),
        format!("//{host}/api/v5/public"),
        format!("\t//{host}/api/v5/public"),
    ]
    .into()
}

#[wasm_bindgen_test]
async fn the_token_goes_only_to_the_url_whose_origin_passed() {
    passed(scenario::token_goes_only_where_the_check_allowed(SERVER, tricky_inputs(), None).await);
}

#[wasm_bindgen_test]
async fn a_base_href_on_another_origin_cannot_take_the_token_there() {
    // The same server under another name: another origin to the browser.
    let other = SERVER.replace("127.0.0.1", "localhost");
    passed(scenario::token_goes_only_where_the_check_allowed(SERVER, tricky_inputs(), Some(format!("{other}/"))).await);
}

#[wasm_bindgen_test]
async fn consent_withdrawn_erases_every_storage_the_visitor_was_in() {
    for path in [["local", "session"], ["session", "local"]] {
        passed(scenario::withdrawal_erases_every_copy(SERVER, path.map(String::from).into()).await);
    }
}

#[wasm_bindgen_test]
async fn consent_withdrawn_never_waits_for_the_network() {
    passed(scenario::withdrawal_never_waits_for_the_network(SERVER).await);
}

#[wasm_bindgen_test]
async fn the_pages_abort_signal_ends_a_fetch_at_once() {
    passed(scenario::abort_signal_ends_the_call_at_once(SERVER).await);
}

/// How the garbage-collection tests force a full collection in WebKit, which has no hook a page
/// can call: JavaScriptCore's option `slowPathAllocsBetweenGCs` (every Nth refill of an
/// allocator is a full collection), set as `JSC_slowPathAllocsBetweenGCs=N` in the environment
/// that WebKitWebDriver and its browser inherit. `cargo test` builds this suite and runs it in one
/// environment, so the value read here when it is built is the one the browser runs with; the
/// page allocates enough for N refills. Unset (0), and without Chromium's `gc()` or Firefox's
/// `TestUtils.gc()`, the tests fail at once and say how to run them.
fn jsc_allocations_between_gcs() -> u32 {
    option_env!("JSC_slowPathAllocsBetweenGCs").and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[wasm_bindgen_test]
async fn garbage_collection_never_stops_a_visitor() {
    passed(scenario::garbage_collection_never_stops_a_visitor(SERVER, jsc_allocations_between_gcs()).await);
}

#[wasm_bindgen_test]
async fn a_visitor_kept_only_by_its_listener_keeps_renewing() {
    passed(scenario::a_visitor_kept_only_by_its_listener_keeps_renewing(SERVER, jsc_allocations_between_gcs()).await);
}

#[wasm_bindgen_test]
async fn a_released_visitor_answers_every_use_with_stopped() {
    passed(scenario::a_released_visitor_answers_stopped(SERVER).await);
}
