//! Browser suite of SPEC §3: the fault matrix driven by the local server's control surface, a
//! rejected secret under both settings, broken storage, and giving up. Each row checks that the
//! stored secret is unchanged unless the row is a real rejection, the error code, and recovery
//! once the fault is gone.
#![cfg(target_arch = "wasm32")]

mod support;

use giosg_visitor::Visitor;
use js_sys::Date;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// An authenticated visitor, and what storage held after it.
struct Authenticated {
    env: Env,
    visitor: Visitor,
    visitor_id: String,
    secret: String,
    session_record: String,
}

async fn authenticated(extra: &[(&str, JsValue)]) -> Authenticated {
    authenticated_with(Env::new(), extra).await
}

async fn authenticated_with(env: Env, extra: &[(&str, JsValue)]) -> Authenticated {
    let visitor = env.visitor(extra);
    let visitor_id = get_str(&authenticate(&visitor).await, "visitorId");
    let secret = env.stored_secret().unwrap();
    let session_record = local_storage().get_item(&env.session_key()).unwrap().unwrap();
    Authenticated { env, visitor, visitor_id, secret, session_record }
}

impl Authenticated {
    /// Storage holds exactly what it held after the first authentication.
    fn assert_storage_untouched(&self, row: &str) {
        assert_eq!(self.env.stored_secret().as_deref(), Some(self.secret.as_str()), "{row}: the secret changed");
        let record = local_storage().get_item(&self.env.session_key()).unwrap();
        assert_eq!(record.as_deref(), Some(self.session_record.as_str()), "{row}: the session record changed");
    }

    async fn force(&self) -> Result<JsValue, JsValue> {
        settle(self.visitor.authenticate(obj(&[("force", true.into())]))).await
    }
}

/// A retried fault, seen through the background renewal of a 2 s token (due after 1 to 1.2 s).
/// The first failure is reported as an `error` event; once the fault is used up, the retry
/// renews with the same identity.
async fn background_row(row: &str, fault: &str, extra: &[(&str, JsValue)], expected_code: &str, status: Option<u16>) -> (Authenticated, Vec<JsValue>) {
    let env = Env::new();
    env.set_lifetime(2).await;
    let a = authenticated_with(env, extra).await;
    a.env.fault(fault).await;
    let errors = capture(&a.visitor, "error");
    let error = next_event(&a.visitor, "error", 4000, |_| true).await;
    assert_eq!(code(&error), expected_code, "{row}");
    assert_eq!(get(&error, "status").as_f64().map(|s| s as u16), status, "{row}");
    a.assert_storage_untouched(row);
    // The token is still valid (at least 0.5 s of its 2 s are left): it stays in use while the
    // renewal fails.
    let token = settle(a.visitor.get_access_token(obj(&[("minValidity", 0.2.into())]))).await.unwrap();
    assert_eq!(token.as_string(), a.visitor.access_token().as_string(), "{row}");
    let renewed = next_event(&a.visitor, "session", 8000, |_| true).await;
    assert_eq!(get_str(&get(&renewed, "session"), "visitorId"), a.visitor_id, "{row}");
    assert_eq!(errors.len(), 1, "{row}: one error event per failure streak");
    assert_eq!(a.env.stored_secret().as_deref(), Some(a.secret.as_str()), "{row}");
    let log = a.env.auth_log().await;
    (a, log)
}

/// Milliseconds between two log entries of the server.
fn gap_ms(log: &[JsValue], from: usize, to: usize) -> f64 {
    get(&log[to], "at_ms").as_f64().unwrap() - get(&log[from], "at_ms").as_f64().unwrap()
}

#[wasm_bindgen_test]
async fn a_500_is_retried_and_reported_once() {
    background_row("500", r#"{"status":500,"times":2}"#, &[], "http", Some(500)).await;
}

#[wasm_bindgen_test]
async fn a_502_is_retried() {
    background_row("502", r#"{"status":502,"times":1}"#, &[], "http", Some(502)).await;
}

#[wasm_bindgen_test]
async fn a_503_with_retry_after_in_seconds_waits_that_long() {
    let (_, log) = background_row("503", r#"{"status":503,"retry_after":"2","times":1}"#, &[], "http", Some(503)).await;
    // log: the first authentication, the 503, the retry.
    assert_eq!(get(&log[1], "status").as_f64(), Some(503.0));
    assert!(gap_ms(&log, 1, 2) >= 1950.0, "retried {} ms after a Retry-After of 2 s", gap_ms(&log, 1, 2));
}

#[wasm_bindgen_test]
async fn a_429_with_retry_after_as_an_http_date_waits_until_then() {
    let (_, log) = background_row("429", r#"{"status":429,"retry_after_date_in":3,"times":1}"#, &[], "http", Some(429)).await;
    // The date has whole seconds: 3 s ahead is at least 2 s away.
    assert!(gap_ms(&log, 1, 2) >= 1950.0, "retried {} ms after a Retry-After date 3 s ahead", gap_ms(&log, 1, 2));
}

#[wasm_bindgen_test]
async fn a_delay_beyond_the_request_timeout_is_a_timeout() {
    background_row("timeout", r#"{"delay_ms":1500,"times":1}"#, &[("requestTimeoutMs", 300.into())], "timeout", None).await;
}

#[wasm_bindgen_test]
async fn a_dropped_connection_is_a_network_error() {
    // Twice: a browser may resend a request once itself when a reused connection closes
    // without an answer (Chrome does), and that resend must fail too to reach the SDK.
    background_row("drop", r#"{"drop":true,"times":2}"#, &[], "network", None).await;
}

#[wasm_bindgen_test]
async fn a_body_cut_short_is_a_network_error() {
    background_row("partial", r#"{"partial":true,"times":1}"#, &[], "network", None).await;
}

/// An answer that fails validation: not retried, nothing stored, and the next request works.
async fn invalid_row(row: &str, fault: &str) {
    let a = authenticated(&[]).await;
    a.env.fault(fault).await;
    let error = a.force().await.unwrap_err();
    assert_eq!(code(&error), "invalid_response", "{row}");
    assert!(!get_str(&error, "message").contains(&a.secret), "{row}");
    a.assert_storage_untouched(row);
    assert_eq!(a.visitor.visitor_id().as_string(), Some(a.visitor_id.clone()), "{row}");
    assert_eq!(a.env.auth_requests().await, 2, "{row}: an invalid answer is not retried");
    let recovered = a.force().await.unwrap();
    assert_eq!(get_str(&recovered, "visitorId"), a.visitor_id, "{row}");
}

#[wasm_bindgen_test]
async fn invalid_answers_are_refused_and_nothing_is_stored() {
    let big = "x".repeat(70_000);
    let rows = [
        ("malformed JSON", r#"{"body":"{\"visitor_id\": ","times":1}"#.to_owned()),
        ("missing field", r#"{"remove":["access_token"],"times":1}"#.to_owned()),
        ("wrong field type", r#"{"set":{"visitor_id":42},"times":1}"#.to_owned()),
        ("another organization", r#"{"set":{"organization_id":"00000000-0000-4000-8000-000000000000"},"times":1}"#.to_owned()),
        ("expires_in 0", r#"{"set":{"expires_in":0},"times":1}"#.to_owned()),
        ("expires_in negative", r#"{"set":{"expires_in":-1800},"times":1}"#.to_owned()),
        ("expires_in absurd", r#"{"set":{"expires_in":1e300},"times":1}"#.to_owned()),
        ("expires_in over a year", r#"{"set":{"expires_in":31536001},"times":1}"#.to_owned()),
        ("over 64 KiB", format!(r#"{{"set":{{"padding":"{big}"}},"times":1}}"#)),
    ];
    for (row, fault) in rows {
        invalid_row(row, &fault).await;
    }
}

#[wasm_bindgen_test]
async fn an_invalid_answer_to_a_new_visitor_stores_nothing() {
    let env = Env::new();
    env.fault(r#"{"remove":["visitor_secret_id"],"times":1}"#).await;
    let visitor = env.visitor(&[]);
    assert_eq!(code(&settle(visitor.authenticate(JsValue::UNDEFINED)).await.unwrap_err()), "invalid_response");
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
    assert!(local_storage().get_item(&env.session_key()).unwrap().is_none());
    authenticate(&visitor).await;
    assert!(env.stored_secret().is_some());
}

#[wasm_bindgen_test]
async fn an_answer_with_a_lone_surrogate_in_a_string_is_refused() {
    let env = Env::new();
    let body = format!(
        r#"{{"visitor_id":"\ud800","visitor_secret_id":"5e1","organization_id":"{}","socket_url":"https://x.example/","access_token":"t","expires_at":"2030-01-01T00:00:00Z","expires_in":1800}}"#,
        env.org
    );
    let spec = js_sys::JSON::stringify(&obj(&[("body", body.into()), ("times", 1.into())])).unwrap();
    env.fault(&String::from(spec)).await;
    let visitor = env.visitor(&[]);
    let error = settle(visitor.authenticate(JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(get_str(&error, "message"), "`visitor_id` in the auth answer is a string that is not valid Unicode, expected a string");
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
}

#[wasm_bindgen_test]
async fn members_a_page_added_to_object_prototype_do_not_fill_an_answer() {
    let env = Env::new();
    env.fault(r#"{"remove":["access_token"],"times":1}"#).await;
    let prototype: JsValue = js_sys::Object::get_prototype_of(&js_sys::Object::new().into()).into();
    js_sys::Reflect::set(&prototype, &"access_token".into(), &"planted".into()).unwrap();
    let result = settle(env.visitor(&[]).authenticate(JsValue::UNDEFINED)).await;
    js_sys::Reflect::delete_property(prototype.unchecked_ref::<js_sys::Object>(), &"access_token".into()).unwrap();
    let error = result.unwrap_err();
    assert_eq!(code(&error), "invalid_response");
    assert_eq!(get_str(&error, "message"), "the auth answer has no `access_token`");
}

/// A stored secret the server never issued, as after the server lost its visitors.
fn plant_unknown_secret(env: &Env) {
    local_storage().set_item(&env.secret_key(), r#"{"v":1,"secret":"a112586d51354fcbbcb9d55daee36e76"}"#).unwrap();
    local_storage().remove_item(&env.session_key()).unwrap();
}

#[wasm_bindgen_test]
async fn an_unknown_secret_is_reset_to_a_new_identity_by_default() {
    let a = authenticated(&[]).await;
    plant_unknown_secret(&a.env);
    let changes = capture(&a.visitor, "identitychange");
    let session = a.force().await.unwrap();
    let new_id = get_str(&session, "visitorId");
    assert_ne!(new_id, a.visitor_id);
    let stored = a.env.stored_secret().unwrap();
    assert!(stored != a.secret && stored != "a112586d51354fcbbcb9d55daee36e76");
    let log = a.env.auth_log().await;
    assert_eq!((get(&log[1], "status").as_f64(), get(&log[1], "secret_sent").as_bool()), (Some(401.0), Some(true)));
    assert_eq!((get(&log[2], "status").as_f64(), get(&log[2], "secret_sent").as_bool()), (Some(200.0), Some(false)));
    let events = changes.all();
    assert_eq!(events.len(), 1);
    assert_eq!((get_str(&events[0], "previousVisitorId"), get_str(&events[0], "visitorId")), (a.visitor_id.clone(), new_id.clone()));
    // On a fresh page (no identity in memory), the reset is announced too.
    plant_unknown_secret(&a.env);
    let fresh = a.env.visitor(&[]);
    let fresh_changes = capture(&fresh, "identitychange");
    authenticate(&fresh).await;
    assert_eq!(fresh_changes.len(), 1);
    assert!(get(&fresh_changes.all()[0], "previousVisitorId").is_null());
}

#[wasm_bindgen_test]
async fn an_unknown_secret_is_an_error_and_kept_with_on_secret_rejected_error() {
    let env = Env::new();
    plant_unknown_secret(&env);
    let visitor = env.visitor(&[("onSecretRejected", "error".into())]);
    let error = settle(visitor.authenticate(JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(code(&error), "secret_rejected");
    assert_eq!(env.stored_secret().as_deref(), Some("a112586d51354fcbbcb9d55daee36e76"));
    assert!(local_storage().get_item(&env.session_key()).unwrap().is_none());
    assert!(visitor.session().is_null());
}

#[wasm_bindgen_test]
async fn a_403_for_the_organization_itself_keeps_the_secret() {
    let a = authenticated(&[]).await;
    a.env.fault(r#"{"status":403}"#).await;
    let error = a.force().await.unwrap_err();
    assert_eq!((code(&error), get(&error, "status").as_f64()), ("http".to_owned(), Some(403.0)));
    a.assert_storage_untouched("403");
    // It asked once more without the secret, and both were refused.
    let log = a.env.auth_log().await;
    assert_eq!(log.len(), 3);
    assert_eq!(get(&log[2], "secret_sent").as_bool(), Some(false));
    a.env.clear_faults().await;
    assert_eq!(get_str(&a.force().await.unwrap(), "visitorId"), a.visitor_id);
}

#[wasm_bindgen_test]
async fn other_4xx_answers_are_not_retried() {
    let a = authenticated(&[]).await;
    a.env.fault(r#"{"status":409,"times":1}"#).await;
    assert_eq!(get(&a.force().await.unwrap_err(), "status").as_f64(), Some(409.0));
    assert_eq!(a.env.auth_requests().await, 2);
    a.assert_storage_untouched("409");
}

#[wasm_bindgen_test]
async fn a_retried_failure_then_success_resolves_authenticate() {
    let a = authenticated(&[]).await;
    a.env.fault(r#"[{"status":503,"times":1},{"drop":true,"times":1}]"#).await;
    let session = a.force().await.unwrap();
    assert_eq!(get_str(&session, "visitorId"), a.visitor_id);
    assert_eq!(a.env.auth_requests().await, 4);
}

#[wasm_bindgen_test]
async fn authenticate_gives_up_after_about_thirty_seconds_with_the_last_error() {
    let a = authenticated(&[("autoRenew", false.into())]).await;
    a.env.fault(r#"{"status":503}"#).await;
    let started = Date::now();
    let error = a.force().await.unwrap_err();
    let waited = Date::now() - started;
    assert_eq!((code(&error), get(&error, "status").as_f64()), ("http".to_owned(), Some(503.0)));
    // "About 30 s": the last attempt is made at the deadline, and a single attempt is quick here.
    assert!((25_000.0..45_000.0).contains(&waited), "gave up after {waited} ms");
    assert!(a.env.auth_requests().await >= 4, "too few attempts");
    a.assert_storage_untouched("give up");
    a.env.clear_faults().await;
}

#[wasm_bindgen_test]
async fn storage_that_throws_on_read_and_write_degrades_to_memory_once() {
    let broken = BrokenStorage::security();
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let reports = capture(&visitor, "storage");
    let first = get_str(&authenticate(&visitor).await, "visitorId");
    let again = get_str(&settle(visitor.authenticate(obj(&[("force", true.into())]))).await.unwrap(), "visitorId");
    drop(broken);
    assert_eq!(first, again, "the secret kept in memory was sent again");
    assert_eq!(reports.len(), 1);
    assert!(get_str(&reports.all()[0], "reason").contains("SecurityError"));
    let log = env.auth_log().await;
    assert_eq!(get(&log[1], "secret_known").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn a_missing_local_storage_degrades_to_memory() {
    let broken = BrokenStorage::missing();
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let reports = capture(&visitor, "storage");
    authenticate(&visitor).await;
    drop(broken);
    assert_eq!(reports.len(), 1);
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_full_storage_keeps_the_visitor_in_memory() {
    let a = authenticated(&[]).await;
    let reports = capture(&a.visitor, "storage");
    let broken = BrokenStorage::quota();
    let renewed = a.force().await.unwrap();
    let again = a.force().await.unwrap();
    drop(broken);
    assert_eq!(get_str(&renewed, "visitorId"), a.visitor_id);
    assert_eq!(get_str(&again, "visitorId"), a.visitor_id);
    assert_eq!(reports.len(), 1);
    assert!(get_str(&reports.all()[0], "reason").contains("QuotaExceededError"));
    // What could not be written is not lost from storage either: the old values remain.
    assert_eq!(a.env.stored_secret().as_deref(), Some(a.secret.as_str()));
}

#[wasm_bindgen_test]
async fn garbage_in_storage_reads_as_absent() {
    let garbage = ["", "not json", "null", "[]", "42", "{}", r#"{"v":2,"secret":"s"}"#, r#"{"v":"1","secret":"s"}"#, r#"{"v":1,"secret":7}"#, r#"{"v":1,"secret":""}"#, "{\"v\":1,\"secret\":\"\\ud800\"}"];
    for value in garbage {
        let env = Env::new();
        local_storage().set_item(&env.secret_key(), value).unwrap();
        local_storage().set_item(&env.session_key(), value).unwrap();
        let visitor = env.visitor(&[]);
        let session = settle(visitor.authenticate(JsValue::UNDEFINED)).await.unwrap_or_else(|e| panic!("{value:?}: {:?}", get(&e, "message")));
        assert!(get(&session, "visitorId").is_string());
        let log = env.auth_log().await;
        assert_eq!(get(&log[0], "secret_sent").as_bool(), Some(false), "{value:?}");
        assert!(env.stored_secret().is_some(), "{value:?}: replaced by a valid record");
    }
}

#[wasm_bindgen_test]
async fn a_garbage_session_record_beside_a_good_secret_keeps_the_visitor() {
    let a = authenticated(&[]).await;
    for value in ["garbage", r#"{"v":1}"#, r#"{"v":1,"visitorId":5}"#] {
        local_storage().set_item(&a.env.session_key(), value).unwrap();
        let session = authenticate(&a.env.visitor(&[])).await;
        assert_eq!(get_str(&session, "visitorId"), a.visitor_id, "{value}");
    }
}

/// Breaks `localStorage` until dropped.
struct BrokenStorage {
    restore: js_sys::Function,
}

#[wasm_bindgen(inline_js = r#"
export function break_storage(mode) {
  const proto = Storage.prototype;
  const saved = { getItem: proto.getItem, setItem: proto.setItem, removeItem: proto.removeItem };
  const fail = (name) => function () { throw new DOMException("storage is blocked", name); };
  let descriptor = null;
  if (mode === "security") {
    proto.getItem = fail("SecurityError");
    proto.setItem = fail("SecurityError");
    proto.removeItem = fail("SecurityError");
  } else if (mode === "quota") {
    proto.setItem = fail("QuotaExceededError");
  } else if (mode === "missing") {
    descriptor = Object.getOwnPropertyDescriptor(window, "localStorage");
    Object.defineProperty(window, "localStorage", {
      configurable: true,
      get() { throw new DOMException("access denied", "SecurityError"); },
    });
  }
  return () => {
    Object.assign(proto, saved);
    if (descriptor) Object.defineProperty(window, "localStorage", descriptor);
  };
}
"#)]
extern "C" {
    fn break_storage(mode: &str) -> js_sys::Function;
}

impl BrokenStorage {
    fn security() -> Self {
        Self { restore: break_storage("security") }
    }
    fn quota() -> Self {
        Self { restore: break_storage("quota") }
    }
    fn missing() -> Self {
        Self { restore: break_storage("missing") }
    }
}

impl Drop for BrokenStorage {
    fn drop(&mut self) {
        self.restore.call0(&JsValue::UNDEFINED).unwrap();
    }
}
