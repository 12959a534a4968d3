//! Browser suite of the cross-tab lock (SPEC §2, "Many tabs, one renewal"), in Chrome and
//! Firefox: two `Visitor` objects on one storage stand for two tabs (storage events do not reach
//! the page that wrote, so these tests exercise the lock and the look at storage under it; the
//! end-to-end suite covers real tabs in Chromium).
#![cfg(target_arch = "wasm32")]

mod support;

use giosg_visitor::web::locks::{self, Lock};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Two "tabs" of one visitor: the first authenticates, the second takes its cached session.
async fn two_tabs(env: &Env) -> (giosg_visitor::js::Visitor, giosg_visitor::js::Visitor) {
    let (first, second) = (env.visitor(&[]), env.visitor(&[]));
    authenticate(&first).await;
    authenticate(&second).await;
    assert_eq!(env.auth_requests().await, 1, "the second used the cached session");
    (first, second)
}

#[wasm_bindgen_test]
async fn two_tabs_due_at_once_send_one_request_under_the_lock() {
    let env = Env::new();
    let (first, second) = two_tabs(&env).await;
    let adopted = capture(&second, "session");
    // Both are past their renewal point (as after a sleep) and renew at once.
    let _jump = ClockJump::ahead(1_770_000.0);
    let min = || obj(&[("minValidity", 120.into())]);
    let (a, b) = (first.get_access_token(min()), second.get_access_token(min()));
    let (a, b) = (settle(a).await.unwrap(), settle(b).await.unwrap());
    assert_eq!(a, b, "both hold the one new token");
    assert_eq!(env.auth_requests().await, 2, "one request for both");
    assert_eq!(get_str(&adopted.all()[0], "source"), "tab");
}

#[wasm_bindgen_test]
async fn without_web_locks_tabs_still_renew_without_errors() {
    let env = Env::new();
    let (first, second) = two_tabs(&env).await;
    let errors = [capture(&first, "error"), capture(&second, "error")];
    let removed = remove_web_locks();
    let _jump = ClockJump::ahead(1_770_000.0);
    let min = || obj(&[("minValidity", 120.into())]);
    let (a, b) = (first.get_access_token(min()), second.get_access_token(min()));
    let (a, b) = (settle(a).await, settle(b).await);
    removed.call0(&JsValue::UNDEFINED).unwrap();
    assert!(a.is_ok() && b.is_ok());
    assert!(errors.iter().all(|e| e.len() == 0));
    // Without the lock, each renews on its own: both calls are made in the same task, so both
    // requests are out before either answer is stored (one for the first authentication, one
    // renewal each).
    assert_eq!(env.auth_requests().await, 3);
}

#[wasm_bindgen_test]
async fn a_lock_held_by_a_hung_tab_delays_the_renewal_but_does_not_stop_it() {
    let env = Env::new();
    let visitor = env.visitor(&[("requestTimeoutMs", 300.into())]);
    authenticate(&visitor).await;
    // Another "tab" takes the lock and never lets go (hung, or frozen by the browser).
    let release = hold_lock(&format!("{}:{}:auth", env.prefix, SERVER));
    let _jump = ClockJump::ahead(1_770_000.0);
    // It waits 1.6 s for the lock (two request timeouts and a second), then renews; the
    // deadline, for a loaded machine, only fails the test.
    let token = within(visitor.get_access_token(obj(&[("minValidity", 120.into())])), 30_000).await;
    release.call0(&JsValue::UNDEFINED).unwrap();
    let token = token.expect("the renewal waited for the hung lock without end");
    assert!(token.is_string(), "{token:?}");
    assert_eq!(env.auth_requests().await, 2);
}

/// Two visitors of one page follow each other as tabs do, though the browser tells a page nothing
/// of its own storage writes: `forget()` in one lets the identity go in the other, at once.
#[wasm_bindgen_test]
async fn forget_in_one_visitor_reaches_another_in_the_same_page() {
    let env = Env::new();
    let (a, b) = two_tabs(&env).await;
    let forgotten = get_str(&authenticate(&b).await, "accessToken");
    let changes = capture(&b, "identitychange");
    let before = b.visitor_id();
    settle(a.forget()).await.unwrap();
    assert!(b.visitor_id().is_null() && b.access_token().is_null() && !b.is_authenticated(), "b kept the forgotten visitor");
    let events = changes.all();
    assert_eq!(events.len(), 1);
    assert_eq!(get(&events[0], "previousVisitorId"), before);
    assert!(get(&events[0], "visitorId").is_null());
    // b no longer hands out the forgotten visitor's token.
    let token = settle(b.get_access_token(JsValue::UNDEFINED)).await.unwrap();
    assert_ne!(token.as_string(), Some(forgotten));
}

/// A new session that one visitor of the page gets reaches the other (as `source: "tab"`), with
/// no request of its own.
#[wasm_bindgen_test]
async fn a_new_session_in_one_visitor_reaches_another_in_the_same_page() {
    let env = Env::new();
    let (a, b) = two_tabs(&env).await;
    authenticate(&b).await;
    let requests = env.auth_requests().await;
    let sessions = capture(&b, "session");
    let renewed = settle(a.authenticate(obj(&[("force", true.into())]))).await.unwrap();
    assert_eq!(b.access_token(), get(&renewed, "accessToken"));
    settle(js_sys::Promise::resolve(&JsValue::UNDEFINED)).await.unwrap();
    let events = sessions.all();
    assert_eq!(events.len(), 1);
    assert_eq!(get_str(&events[0], "source"), "tab");
    assert_eq!(env.auth_requests().await, requests + 1, "b asked the server too");
}

/// A reset in one visitor of the page (the server refused the stored secret, and a new identity
/// was made) reaches the other, which takes the new identity without a request of its own.
#[wasm_bindgen_test]
async fn a_reset_in_one_visitor_reaches_another_in_the_same_page() {
    let env = Env::new();
    let (a, b) = two_tabs(&env).await;
    let before = b.visitor_id();
    // Another script puts a secret the server does not know where the visitor's was.
    local_storage().set_item(&env.secret_key(), r#"{"v":1,"secret":"a112586d51354fcbbcb9d55daee36e76"}"#).unwrap();
    let changes = capture(&b, "identitychange");
    let reset = settle(a.authenticate(obj(&[("force", true.into())]))).await.unwrap();
    assert_ne!(get(&reset, "visitorId"), before);
    assert_eq!(b.visitor_id(), get(&reset, "visitorId"), "b kept the old identity");
    settle(js_sys::Promise::resolve(&JsValue::UNDEFINED)).await.unwrap();
    let events = changes.all();
    assert_eq!(events.len(), 1);
    assert_eq!((get(&events[0], "previousVisitorId"), get(&events[0], "visitorId")), (before, get(&reset, "visitorId")));
    // The first authentication, a's refused request, its probe and its refused recheck: nothing
    // from b.
    assert_eq!(env.auth_requests().await, 4);
}

/// Lock `name` asked for as a visitor asks for it, and the promise of its first answer:
/// granted (`true`) or refused (`false`).
fn ask_lock(name: &str, if_available: bool) -> (Lock, js_sys::Promise) {
    let mut resolve = None;
    let answer = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
    let resolve = resolve.unwrap();
    let lock = locks::request(name, if_available, move |granted| {
        resolve.call1(&JsValue::UNDEFINED, &granted.into()).unwrap();
    });
    (lock.expect("this browser has Web Locks"), answer)
}

/// The first answer to a lock request; the deadline, for a loaded machine, only fails the test.
async fn answer(promise: js_sys::Promise) -> JsValue {
    within(promise, 30_000).await.expect("the lock request was answered")
}

/// Whether `promise` has settled already: its reactions run in microtasks, before the timer's
/// task.
async fn settled_now(promise: &js_sys::Promise) -> bool {
    within(promise.clone(), 0).await.is_some()
}

#[wasm_bindgen_test]
async fn the_lock_is_refused_if_available_only_while_another_holder_has_it() {
    let name = format!("{}:contention", new_prefix());
    // Free: granted at once, however long the browser takes to say so.
    let (first, granted) = ask_lock(&name, true);
    assert_eq!(answer(granted).await, true);
    // Held by the first: `ifAvailable` is refused (this tab then waits, and looks at what the
    // holder stored)...
    let (_refused_lock, refused) = ask_lock(&name, true);
    assert_eq!(answer(refused).await, false);
    // ... and a waiting request is granted once the holder lets go: not before. The browser
    // answers a lock's requests in order, so by the time it has refused one asked after the
    // waiting one, it would have granted the waiting one, had it been going to.
    let (second, waiting) = ask_lock(&name, false);
    let (_later_lock, later) = ask_lock(&name, true);
    assert_eq!(answer(later).await, false);
    assert!(!settled_now(&waiting).await, "granted while another held it");
    first.release();
    assert_eq!(answer(waiting).await, true);
    // Released by `release()` (a moment later: the browser lets go once the holder's promise
    // settles), so the next waiting request gets it.
    second.release();
    let (_next_lock, next) = ask_lock(&name, false);
    assert_eq!(answer(next).await, true, "release() let the lock go");
}

#[wasm_bindgen_test]
async fn a_grant_that_comes_after_the_request_was_withdrawn_is_let_go_at_once() {
    let name = format!("{}:withdrawn", new_prefix());
    // Withdrawn before the browser answers: whatever it grants is let go, so the next one gets it.
    let (early, _) = ask_lock(&name, true);
    early.release();
    let (_next_lock, next) = ask_lock(&name, false);
    assert_eq!(answer(next).await, true, "a withdrawn request kept the lock");
}

#[wasm_bindgen(inline_js = r#"
export function remove_web_locks() {
  Object.defineProperty(navigator, "locks", { value: undefined, configurable: true });
  return () => { delete navigator.locks; };
}
export function hold_lock(name) {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  navigator.locks.request(name, () => held);
  return release;
}
"#)]
extern "C" {
    fn remove_web_locks() -> js_sys::Function;
    fn hold_lock(name: &str) -> js_sys::Function;
}


/// A tab's failed renewal holds back the other tab's background renewal until the time it named
/// (here the server's `Retry-After: 2`): the visitor's tabs back off as one, so the next request
/// of either comes no sooner. (Each on its own, the second tab would ask within its first backoff
/// step, under a second.)
#[wasm_bindgen_test]
async fn a_failed_renewal_in_one_tab_holds_back_the_others_background_renewal() {
    let env = Env::new();
    let (first, second) = two_tabs(&env).await;
    env.fault(r#"{"status":503,"retry_after":"2"}"#).await;
    // Both are past their renewal point, their token still good: each call answers at once and
    // renews in the background.
    let _jump = ClockJump::ahead(1_750_000.0);
    settle(first.get_access_token(JsValue::UNDEFINED)).await.unwrap();
    // The deadlines, for a loaded machine, only fail the test.
    wait_until(30_000, || async { env.auth_requests().await >= 2 }).await;
    settle(second.get_access_token(JsValue::UNDEFINED)).await.unwrap();
    wait_until(30_000, || async { env.auth_requests().await >= 3 }).await;
    let log = env.auth_log().await;
    let gap = get(&log[2], "at_ms").as_f64().unwrap() - get(&log[1], "at_ms").as_f64().unwrap();
    assert!(gap >= 1900.0, "a tab asked {gap} ms after the other's failure, within its Retry-After");
    // The endpoint back, one renewal serves both tabs.
    env.clear_faults().await;
    next_event(&second, "session", 30_000, |_| true).await;
    let renewed = env.auth_log().await.iter().filter(|e| get(e, "status").as_f64() == Some(200.0)).count();
    assert_eq!(renewed, 2, "the first authentication and one renewal for both tabs");
}

// ---- Copies of the SDK in one page ----
//
// The package as the local server serves it (`pkg/index.js`, imported at run time) beside this
// suite's own build: two wasm instances in one page, as the npm entry and the script-tag embed
// are. Neither's writes reach the other through its own registry of visitors, nor through the
// browser's `storage` event (which never fires in the page that wrote): SPEC §3 wants them heard
// all the same.

#[wasm_bindgen(inline_js = r#"
export async function package_copy(server) {
  const sdk = await import(`${server}/pkg/index.js`);
  await sdk.ready;
  return sdk.Visitor;
}
export function construct_copy(Visitor, options) { return new Visitor(options); }
export function call_copy(visitor, method, argument) { return visitor[method](argument); }
export function read_copy(visitor, getter) { return visitor[getter]; }
export function capture_copy(visitor, event) {
  const seen = [];
  visitor.on(event, (detail) => seen.push(detail));
  return seen;
}
"#)]
extern "C" {
    async fn package_copy(server: &str) -> JsValue;
    fn construct_copy(class: &JsValue, options: &JsValue) -> JsValue;
    fn call_copy(visitor: &JsValue, method: &str, argument: &JsValue) -> JsValue;
    fn read_copy(visitor: &JsValue, getter: &str) -> JsValue;
    fn capture_copy(visitor: &JsValue, event: &str) -> js_sys::Array;
}

/// A visitor of this suite's build and one of the served package's, on `env`'s storage, both
/// authenticated (the second from the first's cached session).
async fn two_copies(env: &Env) -> (giosg_visitor::js::Visitor, JsValue) {
    let own = env.visitor(&[]);
    authenticate(&own).await;
    let copy = construct_copy(&package_copy(SERVER).await, &env.options(&[]));
    settle(call_copy(&copy, "authenticate", &JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(read_copy(&copy, "visitorId"), own.visitor_id(), "the copy took the stored visitor");
    assert_eq!(env.auth_requests().await, 1, "the copy used the cached session");
    (own, copy)
}

/// The bound of what is heard at once, for a loaded machine: it only fails the test.
const HEARD_WITHIN_MS: u32 = 30_000;

#[wasm_bindgen_test]
async fn forget_in_one_copy_of_the_sdk_reaches_another_copy_in_the_page() {
    let env = Env::new();
    let (own, copy) = two_copies(&env).await;
    let before = own.visitor_id();
    let changes = capture_copy(&copy, "identitychange");
    settle(own.forget()).await.unwrap();
    wait_until(HEARD_WITHIN_MS, || async { changes.length() >= 1 }).await;
    assert!(read_copy(&copy, "visitorId").is_null() && read_copy(&copy, "accessToken").is_null(), "the copy kept the forgotten visitor");
    assert_eq!(get(&changes.get(0), "previousVisitorId"), before);
    // The next identity made here reaches the copy too, with no request of its own.
    let next = get_str(&authenticate(&own).await, "visitorId");
    wait_until(HEARD_WITHIN_MS, || async { read_copy(&copy, "visitorId").as_string().as_deref() == Some(next.as_str()) }).await;
    assert_eq!(read_copy(&copy, "accessToken"), own.access_token());
    assert_eq!(env.auth_requests().await, 2, "the copy asked the server itself");
    // And the other way: forget() in the copy reaches this build's visitor.
    settle(call_copy(&copy, "forget", &JsValue::UNDEFINED)).await.unwrap();
    wait_until(HEARD_WITHIN_MS, || async { own.visitor_id().is_null() }).await;
    call_copy(&copy, "stop", &JsValue::UNDEFINED);
}

#[wasm_bindgen_test]
async fn consent_withdrawn_in_one_copy_of_the_sdk_reaches_another_copy_in_the_page() {
    let env = Env::new();
    let (own, copy) = two_copies(&env).await;
    settle(call_copy(&copy, "setStorage", &"memory".into())).await.unwrap();
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
    wait_until(HEARD_WITHIN_MS, || async { own.visitor_id().is_null() }).await;
    assert!(own.access_token().is_null() && !own.is_authenticated(), "this build's visitor kept the withdrawn identity");
    call_copy(&copy, "stop", &JsValue::UNDEFINED);
}
