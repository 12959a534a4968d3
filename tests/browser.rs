//! Browser suite of the `Visitor` class (SPEC §1, §2, §4) in one page: the wasm build in real
//! Chrome, Firefox and WebKit (`scripts/test.sh`), against the local server whose URL
//! `scripts/test.sh` passes in `GIOSG_LOCAL_SERVER`. Token lifetimes are a few seconds, set per
//! organization through the server's control surface.
#![cfg(target_arch = "wasm32")]

mod support;

use giosg_visitor::js::Visitor;
use js_sys::{Date, Promise};
use support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_new_visitor_is_authenticated_through_fetch() {
    let env = Env::new();
    let visitor = Visitor::new(obj(&[
        ("organizationId", env.org.to_uppercase().into()),
        ("apiBaseUrl", SERVER.into()),
        ("storageKeyPrefix", env.prefix.as_str().into()),
    ]))
    .unwrap();
    assert_eq!(visitor.organization_id(), env.org);
    assert!(!visitor.is_authenticated());
    assert!(visitor.session().is_null() && visitor.visitor_id().is_null());
    let before = Date::now();
    let session = authenticate(&visitor).await;
    let visitor_id = get_str(&session, "visitorId");
    assert_eq!(visitor_id.len(), 32);
    assert_eq!(get_str(&session, "organizationId"), env.org);
    assert_eq!(get(&session, "expiresIn").as_f64(), Some(1800.0));
    let expires: Date = get(&session, "expiresAt").dyn_into().unwrap();
    assert!(expires.get_time() >= before + 1_800_000.0 && expires.get_time() <= Date::now() + 1_800_000.0);
    // The server's own expiry, as it sent it (the local server's clock is this machine's).
    let server: Date = get(&session, "serverExpiresAt").dyn_into().expect("serverExpiresAt is a Date");
    assert!((server.get_time() - expires.get_time()).abs() < 5_000.0, "{} vs {}", server.get_time(), expires.get_time());
    // The local server's own router (`http`: the SDK turns it into `ws`).
    assert!(get_str(&session, "socketUrl").starts_with("http://") && get_str(&session, "socketUrl").contains("/003/2/router"));
    assert!(get(&session, "visitor_secret_id").is_undefined());
    assert_eq!(visitor.visitor_id().as_string(), Some(visitor_id.clone()));
    assert_eq!(visitor.access_token().as_string(), Some(get_str(&session, "accessToken")));
    assert!(visitor.is_authenticated());

    assert_eq!(env.auth_requests().await, 1);
    let log = env.auth_log().await;
    assert_eq!(get(&log[0], "secret_sent").as_bool(), Some(false));
    assert_eq!(get(&log[0], "visitor_id").as_string(), Some(visitor_id));
    // Stored per SPEC §4: the secret per API origin, the session per organization.
    assert!(env.stored_secret().is_some());
    let cached = local_storage().get_item(&env.session_key()).unwrap().unwrap();
    assert!(cached.contains("\"v\":1") && !cached.contains(&env.stored_secret().unwrap()));
}

#[wasm_bindgen_test]
async fn a_reload_with_a_valid_cached_session_sends_no_request() {
    let env = Env::new();
    let first = authenticate(&env.visitor(&[])).await;
    assert_eq!(env.auth_requests().await, 1);

    let reloaded = env.visitor(&[]);
    // Current from construction on, before any call and without a request.
    assert!(reloaded.is_authenticated());
    assert_eq!(reloaded.visitor_id(), get(&first, "visitorId"));
    assert_eq!(reloaded.access_token(), get(&first, "accessToken"));
    assert_eq!(get(&reloaded.session(), "accessToken"), get(&first, "accessToken"));
    assert!(reloaded.expires_at().is_instance_of::<Date>());
    // A listener added in the same task hears of it.
    let sessions = capture(&reloaded, "session");
    settle(js_sys::Promise::resolve(&JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(sessions.len(), 1, "the cached session was not announced to a listener added at once");
    let second = authenticate(&reloaded).await;
    assert_eq!(get(&second, "visitorId"), get(&first, "visitorId"));
    assert_eq!(get(&second, "accessToken"), get(&first, "accessToken"));
    assert_eq!(env.auth_requests().await, 1, "the cached session must be used without a request");
    let events = sessions.all();
    assert_eq!(events.len(), 1);
    assert_eq!(get_str(&events[0], "source"), "cache");
}

#[wasm_bindgen_test]
async fn a_returning_visitor_keeps_its_id_and_sends_the_stored_secret() {
    let env = Env::new();
    let first = authenticate(&env.visitor(&[])).await;
    let secret = env.stored_secret().unwrap();
    // A reload after the cached token expired: only the secret remains useful.
    local_storage().remove_item(&env.session_key()).unwrap();
    let second = authenticate(&env.visitor(&[])).await;
    assert_eq!(get(&second, "visitorId"), get(&first, "visitorId"));
    assert_ne!(get(&second, "accessToken"), get(&first, "accessToken"));
    let log = env.auth_log().await;
    assert_eq!(log.len(), 2);
    assert_eq!(get(&log[1], "secret_sent").as_bool(), Some(true));
    assert_eq!(get(&log[1], "secret_known").as_bool(), Some(true));
    assert_eq!(env.stored_secret(), Some(secret));
}

#[wasm_bindgen_test]
async fn the_same_secret_at_a_second_organization_is_the_same_visitor_there() {
    let env = Env::new();
    let here = authenticate(&env.visitor(&[])).await;
    let other = Env { org: new_org(), prefix: env.prefix.clone() };
    let there = authenticate(&other.visitor(&[])).await;
    assert_ne!(get(&there, "visitorId"), get(&here, "visitorId"));
    let (log_here, log_there) = (env.auth_log().await, other.auth_log().await);
    assert_eq!(get(&log_there[0], "secret_sent").as_bool(), Some(true));
    let global = get_str(&log_here[0], "visitor_global_id");
    assert_eq!(get_str(&log_there[0], "visitor_global_id"), global);
}

#[wasm_bindgen_test]
async fn renewal_happens_before_expiry_without_a_call_from_the_page() {
    let env = Env::new();
    // A 10 s token renews 4 to 5 s after it was asked for, at least 5 s before it expires: room
    // enough for a loaded machine to run the renewal and this test's check before expiry (a 2 s
    // token left under a second). The deadline only fails the test.
    env.set_lifetime(10).await;
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let first = authenticate(&visitor).await;
    let first_expiry = get(&first, "expiresAt").dyn_into::<Date>().unwrap().get_time();
    let event = next_event(&visitor, "session", 30_000, |d| get(d, "source").as_string().as_deref() == Some("network")).await;
    assert!(Date::now() < first_expiry, "renewed only after the token expired");
    let renewed = get(&event, "session");
    assert_ne!(get(&renewed, "accessToken"), get(&first, "accessToken"));
    assert_eq!(get(&renewed, "visitorId"), get(&first, "visitorId"));
    let url = format!("{SERVER}/api/v5/public/orgs/{}/rooms/{room}", env.org);
    assert_eq!(get_with_token(&url, &get_str(&renewed, "accessToken")).await, 200);
    assert_eq!(get(&env.auth_log().await[1], "secret_sent").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn ten_concurrent_token_requests_make_one_request() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let calls: Vec<_> = (0..10).map(|_| visitor.get_access_token(JsValue::UNDEFINED)).collect();
    let mut tokens = Vec::new();
    for call in calls {
        tokens.push(settle(call).await.unwrap().as_string().unwrap());
    }
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    assert_eq!(env.auth_requests().await, 1);
}

#[wasm_bindgen_test]
async fn get_access_token_renews_when_the_token_is_too_short_lived() {
    let env = Env::new();
    env.set_lifetime(30).await;
    let visitor = env.visitor(&[("autoRenew", false.into())]);
    let first = settle(visitor.get_access_token(obj(&[("minValidity", 1.into())]))).await.unwrap();
    let same = settle(visitor.get_access_token(obj(&[("minValidity", 1.into())]))).await.unwrap();
    assert_eq!(first, same);
    assert_eq!(env.auth_requests().await, 1);
    // 25 s later, the 30 s token has 5 s left: not enough for 10.
    let jump = ClockJump::ahead(25_000.0);
    let fresh = settle(visitor.get_access_token(obj(&[("minValidity", 10.into())]))).await.unwrap();
    drop(jump);
    assert_ne!(fresh, first);
    assert_eq!(env.auth_requests().await, 2);
    // More than the server's tokens ever have: refused, never a token that breaks the promise.
    let long = settle(visitor.get_access_token(obj(&[("minValidity", 60.into())]))).await.unwrap_err();
    assert_eq!(code(&long), "invalid_options");
    assert!(get_str(&long, "message").contains("30 s"), "{:?}", get(&long, "message"));
    let bad = settle(visitor.get_access_token(obj(&[("minValidity", (-1).into())]))).await.unwrap_err();
    assert_eq!(code(&bad), "invalid_options");
}

#[wasm_bindgen_test]
async fn authenticate_force_always_asks_the_server() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let first = authenticate(&visitor).await;
    let again = settle(visitor.authenticate(obj(&[("force", true.into())]))).await.unwrap();
    assert_ne!(get(&again, "accessToken"), get(&first, "accessToken"));
    assert_eq!(env.auth_requests().await, 2);
}

#[wasm_bindgen_test]
async fn fetch_adds_the_token_and_resolves_paths_against_the_api() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let path = format!("/api/v5/public/orgs/{}/rooms/{room}", env.org);
    let response: web_sys::Response = settle(visitor.fetch(path.as_str().into(), JsValue::UNDEFINED)).await.unwrap().dyn_into().unwrap();
    assert_eq!(response.status(), 200);
    let body = settle(response.json().unwrap()).await.unwrap();
    assert_eq!(get_str(&body, "id"), room);
    // An absolute URL of the API origin, with the caller's own headers kept.
    let init = obj(&[("headers", obj(&[("Accept", "application/json".into())]))]);
    let url = format!("{SERVER}{path}");
    let response: web_sys::Response = settle(visitor.fetch(url.as_str().into(), init)).await.unwrap().dyn_into().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(env.api_requests().await, 2);
}

#[wasm_bindgen_test]
async fn fetch_refuses_a_foreign_origin_and_sends_nothing() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    authenticate(&visitor).await;
    // The local server on another host name is another origin.
    let foreign = SERVER.replace("127.0.0.1", "localhost");
    let port = SERVER.rsplit(':').next().unwrap();
    for url in [
        format!("{foreign}/api/v5/public/orgs/{}/rooms/x", env.org),
        "https://example.com/x".into(),
        "//example.com/x".into(),
        format!("http://127.0.0.1:{port}.evil.com/x"),
        format!("http://127.0.0.1.evil.com:{port}/x"),
        format!("https://127.0.0.1:{port}/x"),
        format!("http://user:pw@127.0.0.1:{port}/x"),
        "javascript:alert(1)".into(),
    ] {
        let error = settle(visitor.fetch(url.as_str().into(), JsValue::UNDEFINED)).await.unwrap_err();
        assert_eq!(code(&error), "origin_not_allowed", "{url}");
    }
    // A path without its leading slash: an input error that says so, nothing sent.
    let error = settle(visitor.fetch("api/v5/public/rooms".into(), JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(code(&error), "invalid_options");
    assert!(get_str(&error, "message").contains("must start with \"/\""), "{:?}", get(&error, "message"));
    // Not a path or a URL at all (a Request object, nothing): an input error, nothing sent.
    let request = web_sys::Request::new_with_str(&format!("{SERVER}/api/v5/public/orgs/{}/rooms/x", env.org)).unwrap();
    for input in [JsValue::from(request), JsValue::UNDEFINED, JsValue::from(5)] {
        let error = settle(visitor.fetch(input, JsValue::UNDEFINED)).await.unwrap_err();
        assert_eq!(code(&error), "invalid_options");
    }
    assert_eq!(env.api_requests().await, 0);
    assert_eq!(env.auth_requests().await, 1);
    // Allowed once listed (as the browser reads URLs: in any case, with a trailing slash).
    let listed = format!("{}/", foreign.to_uppercase());
    let allowed = env.visitor(&[("allowedOrigins", js_sys::Array::of1(&listed.as_str().into()).into())]);
    let room = env.room().await;
    let url = format!("{foreign}/api/v5/public/orgs/{}/rooms/{room}", env.org);
    let response: web_sys::Response = settle(allowed.fetch(url.as_str().into(), JsValue::UNDEFINED)).await.unwrap().dyn_into().unwrap();
    assert_eq!(response.status(), 200);
}

#[wasm_bindgen_test]
async fn fetch_takes_url_objects_and_reports_each_failure_as_it_is() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[("allowedOrigins", js_sys::Array::of1(&"http://127.0.0.1:1".into()).into())]);
    let url = format!("{SERVER}/api/v5/public/orgs/{}/rooms/{room}", env.org);
    // A URL object is taken for its href.
    let object = web_sys::Url::new(&url).unwrap();
    let response: web_sys::Response = settle(visitor.fetch(object.into(), JsValue::UNDEFINED)).await.unwrap().dyn_into().unwrap();
    assert_eq!(response.status(), 200);
    // The caller's own abort stays the platform's AbortError.
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let aborted = settle(visitor.fetch(url.as_str().into(), obj(&[("signal", controller.signal().into())]))).await.unwrap_err();
    assert_eq!(get_str(&aborted, "name"), "AbortError");
    // Headers the platform refuses: the caller's mistake, nothing sent.
    let bad = obj(&[("headers", js_sys::Array::of1(&js_sys::Array::of2(&"bad name".into(), &"x".into())).into())]);
    let error = settle(visitor.fetch(url.as_str().into(), bad)).await.unwrap_err();
    assert_eq!(code(&error), "invalid_options");
    // Nobody listening there: a network error.
    let error = settle(visitor.fetch("http://127.0.0.1:1/x".into(), JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(code(&error), "network");
    assert_eq!(env.api_requests().await, 1);
}

/// SPEC §3: `fetch()` sets `Authorization` itself. An `init` that brings its own (in any
/// spelling of the name, in any form of headers), or an `init` that is not an object, is the
/// caller's mistake: `invalid_options`, and nothing is sent, not even an auth request.
#[wasm_bindgen_test]
async fn fetch_refuses_an_init_with_its_own_authorization_or_not_an_object() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let path = format!("/api/v5/public/orgs/{}/rooms/{room}", env.org);
    let pair = |name: &str| js_sys::Array::of1(&js_sys::Array::of2(&name.into(), &"Bearer page-token".into()).into());
    let headers = web_sys::Headers::new().unwrap();
    headers.set("Authorization", "Basic abc").unwrap();
    for (what, init) in [
        ("an object", obj(&[("headers", obj(&[("Authorization", "Bearer page-token".into())]))])),
        ("lower case", obj(&[("headers", obj(&[("authorization", "Bearer page-token".into())]))])),
        ("pairs", obj(&[("headers", pair("AUTHORIZATION").into())])),
        ("a Headers", obj(&[("headers", headers.into())])),
        ("a string init", "GET".into()),
        ("a number init", 5.into()),
    ] {
        let error = settle(visitor.fetch(path.as_str().into(), init)).await.unwrap_err();
        assert_eq!(code(&error), "invalid_options", "{what}");
        assert!(!get_str(&error, "message").contains("page-token"), "{what}: the message repeats the page's header");
    }
    assert_eq!((env.auth_requests().await, env.api_requests().await), (0, 0));
    // Left out or null, init is no init; other headers are the caller's own, sent as given.
    for init in [JsValue::UNDEFINED, JsValue::NULL, obj(&[("headers", obj(&[("Accept", "application/json".into())]))])] {
        let response: web_sys::Response = settle(visitor.fetch(path.as_str().into(), init)).await.unwrap().dyn_into().unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(env.api_requests().await, 3);
}

#[wasm_bindgen_test]
async fn fetch_renews_and_repeats_once_on_a_401() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let first = authenticate(&visitor).await;
    env.fault(r#"{"scope":"api","status":401,"times":1}"#).await;
    let path = format!("/api/v5/public/orgs/{}/rooms/{room}", env.org);
    let response: web_sys::Response = settle(visitor.fetch(path.as_str().into(), JsValue::UNDEFINED)).await.unwrap().dyn_into().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(env.auth_requests().await, 2);
    assert_eq!(env.api_requests().await, 2);
    assert_ne!(visitor.access_token(), get(&first, "accessToken"));
    // Only once: a server that keeps answering 401 gets two requests, and the 401 is returned.
    env.fault(r#"{"scope":"api","status":401}"#).await;
    let response: web_sys::Response = settle(visitor.fetch(path.as_str().into(), JsValue::UNDEFINED)).await.unwrap().dyn_into().unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(env.api_requests().await, 4);
    assert_eq!(env.auth_requests().await, 3);
}

#[wasm_bindgen_test]
async fn forget_yields_a_new_visitor() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let changes = capture(&visitor, "identitychange");
    let first = get_str(&authenticate(&visitor).await, "visitorId");
    settle(visitor.forget()).await.unwrap();
    assert!(visitor.session().is_null());
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
    assert!(local_storage().get_item(&env.session_key()).unwrap().is_none());
    let second = get_str(&authenticate(&visitor).await, "visitorId");
    assert_ne!(first, second);
    let log = env.auth_log().await;
    assert_eq!(get(&log[1], "secret_sent").as_bool(), Some(false));
    let events = changes.all();
    assert_eq!(events.len(), 2);
    assert_eq!((get_str(&events[0], "previousVisitorId"), get(&events[0], "visitorId")), (first, JsValue::NULL));
    assert_eq!((get(&events[1], "previousVisitorId"), get_str(&events[1], "visitorId")), (JsValue::NULL, second));
}

/// SPEC §3: `forget()` ends the identity, not the calls: one pending when it runs (its request
/// held back by the server, carrying the old secret) is served as one made right after it, by a
/// new visitor, never `stopped`.
#[wasm_bindgen_test]
async fn a_call_pending_when_forget_runs_is_served_by_the_new_visitor() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let first = get_str(&authenticate(&visitor).await, "visitorId");
    env.fault(r#"{"delay_ms":3000,"times":1}"#).await;
    let pending = visitor.authenticate(obj(&[("force", true.into())]));
    settle(visitor.forget()).await.unwrap();
    let session = settle(pending).await.expect("the pending authenticate() settles with a session");
    let second = get_str(&session, "visitorId");
    assert_ne!(second, first);
    assert_eq!(visitor.visitor_id().as_string().as_deref(), Some(second.as_str()));
    assert!(env.stored_secret().is_some());
    // The request made after forget() carried no secret.
    let log = env.auth_log().await;
    assert_eq!(get(log.last().unwrap(), "secret_sent").as_bool(), Some(false));
}

#[wasm_bindgen_test]
async fn stop_rejects_pending_calls_with_stopped() {
    let env = Env::new();
    env.fault(r#"{"delay_ms":3000,"times":1}"#).await;
    let visitor = env.visitor(&[]);
    let pending = visitor.authenticate(JsValue::UNDEFINED);
    let token = visitor.get_access_token(JsValue::UNDEFINED);
    visitor.stop();
    for call in [pending, token] {
        let outcome = within(call, 1000).await.expect("a pending call did not settle after stop()");
        assert_eq!(code(&get(&outcome, "__rejected__")), "stopped");
    }
    let later = settle(visitor.authenticate(JsValue::UNDEFINED)).await.unwrap_err();
    assert_eq!(code(&later), "stopped");
    assert!(get(&later, "message").as_string().unwrap().contains("stopped"));
}

#[wasm_bindgen_test]
async fn unsubscribed_listeners_hear_nothing() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let sessions = capture(&visitor, "session");
    sessions.off.call0(&JsValue::UNDEFINED).unwrap();
    let kept = capture(&visitor, "session");
    authenticate(&visitor).await;
    assert_eq!((sessions.len(), kept.len()), (0, 1));
    assert_eq!(get_str(&kept.all()[0], "source"), "network");
    for (event, listener) in [("sessions", JsValue::from(js_sys::Function::new_no_args(""))), ("session", JsValue::from(5))] {
        let error = visitor.on(event.into(), listener).unwrap_err();
        assert_eq!(code(&error), "invalid_options");
    }
}

#[wasm_bindgen_test]
fn every_invalid_option_is_rejected_with_invalid_options() {
    let org = JsValue::from_str(&new_org());
    let with = |pairs: &[(&str, JsValue)]| {
        let mut all = vec![("organizationId", org.clone())];
        all.extend(pairs.iter().cloned());
        obj(&all)
    };
    // Each case, with what its message must name.
    let bad = [
        ("options", JsValue::UNDEFINED),
        ("options", JsValue::NULL),
        ("options", JsValue::from("e6a08f51-c250-4074-847b-58d444dbbeb1")),
        ("organizationId", obj(&[])),
        ("organizationId", obj(&[("organizationId", "not-a-uuid".into())])),
        ("organizationId", obj(&[("organizationId", 42.into())])),
        // The one required option: null is not a default there.
        ("organizationId", obj(&[("organizationId", JsValue::NULL)])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "http://example.com".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "ftp://localhost".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", 1.into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "not a URL".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "localhost:8080".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "http://127.0.0.2".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "http://localhost.example.com".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "https://user:pw@service.example.com".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "https://service.example.com/?".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "https://service.example.com/#x".into())])),
        ("apiBaseUrl", with(&[("apiBaseUrl", "https://host:99999".into())])),
        ("storage", with(&[("storage", "cookies".into())])),
        ("storage", with(&[("storage", true.into())])),
        ("storageKeyPrefix", with(&[("storageKeyPrefix", "".into())])),
        ("storageKeyPrefix", with(&[("storageKeyPrefix", 7.into())])),
        ("autoRenew", with(&[("autoRenew", "yes".into())])),
        ("autoRenew", with(&[("autoRenew", 0.into())])),
        ("renewBeforeSeconds", with(&[("renewBeforeSeconds", (-1).into())])),
        ("renewBeforeSeconds", with(&[("renewBeforeSeconds", "60".into())])),
        ("renewBeforeSeconds", with(&[("renewBeforeSeconds", f64::NAN.into())])),
        ("requestTimeoutMs", with(&[("requestTimeoutMs", 0.into())])),
        ("requestTimeoutMs", with(&[("requestTimeoutMs", 2.5.into())])),
        ("requestTimeoutMs", with(&[("requestTimeoutMs", f64::INFINITY.into())])),
        ("requestTimeoutMs", with(&[("requestTimeoutMs", "1000".into())])),
        ("allowedOrigins", with(&[("allowedOrigins", "https://a.example".into())])),
        ("allowedOrigins", with(&[("allowedOrigins", js_sys::Array::of1(&5.into()).into())])),
        ("allowedOrigins", with(&[("allowedOrigins", js_sys::Array::of1(&JsValue::NULL).into())])),
        ("allowedOrigins", with(&[("allowedOrigins", js_sys::Array::of1(&"https://a.example/path".into()).into())])),
        ("allowedOrigins", with(&[("allowedOrigins", js_sys::Array::of1(&"http://a.example".into()).into())])),
        ("onSecretRejected", with(&[("onSecretRejected", "ignore".into())])),
        ("onSecretRejected", with(&[("onSecretRejected", false.into())])),
        ("organisationId", with(&[("organisationId", "typo".into())])),
        // An unknown name is refused even as null (a typo stays a typo).
        ("apiBaseURL", with(&[("apiBaseURL", JsValue::NULL)])),
    ];
    for (i, (names, value)) in bad.into_iter().enumerate() {
        let Err(error) = Visitor::new(value) else { panic!("case {i} ({names}) was accepted") };
        assert_eq!(get(&error, "name").as_string().as_deref(), Some("VisitorError"), "case {i}");
        assert_eq!(code(&error), "invalid_options", "case {i}");
        assert!(error.is_instance_of::<js_sys::Error>(), "case {i}");
        let message = get_str(&error, "message");
        assert!(message.contains(names), "case {i}: {message:?} does not name {names}");
    }
    let good = with(&[
        ("apiBaseUrl", "http://[::1]:9".into()),
        ("storage", "memory".into()),
        ("autoRenew", false.into()),
        ("renewBeforeSeconds", 0.5.into()),
        ("requestTimeoutMs", 100.into()),
        ("allowedOrigins", js_sys::Array::of1(&"https://a.example".into()).into()),
        ("onSecretRejected", "error".into()),
    ]);
    assert!(Visitor::new(good).is_ok());
}

/// `null` means "not given", as `undefined` does, for every optional option (and for the
/// methods' optional `force` and `minValidity`): the default is used.
#[wasm_bindgen_test]
async fn null_means_the_default_for_every_optional_option() {
    const OPTIONAL: [&str; 8] = ["apiBaseUrl", "storage", "storageKeyPrefix", "autoRenew", "renewBeforeSeconds", "requestTimeoutMs", "allowedOrigins", "onSecretRejected"];
    let org = new_org();
    for name in OPTIONAL {
        match Visitor::new(obj(&[("organizationId", org.as_str().into()), (name, JsValue::NULL)])) {
            Ok(visitor) => assert_eq!(visitor.storage_kind(), "local", "{name}: null"),
            Err(error) => panic!("{name}: null was refused: {:?}", get(&error, "message")),
        }
    }
    // All of them null at once but apiBaseUrl (the local server): the defaults hold, among them
    // localStorage under the prefix "giosg".
    let env = Env { org, prefix: "giosg".into() };
    local_storage().remove_item(&env.secret_key()).unwrap();
    let mut pairs = vec![("organizationId", JsValue::from_str(&env.org)), ("apiBaseUrl", SERVER.into())];
    pairs.extend(OPTIONAL[1..].iter().map(|name| (*name, JsValue::NULL)));
    let visitor = Visitor::new(obj(&pairs)).unwrap();
    assert_eq!(visitor.storage_kind(), "local");
    let first = settle(visitor.authenticate(JsValue::UNDEFINED)).await;
    let stored = env.stored_secret();
    // With a session in hand, neither call below needs a request (null refused would reject;
    // null read as `force: true` would send one).
    let again = settle(visitor.authenticate(obj(&[("force", JsValue::NULL)]))).await;
    let token = settle(visitor.get_access_token(obj(&[("minValidity", JsValue::NULL)]))).await;
    visitor.stop();
    local_storage().remove_item(&env.secret_key()).unwrap();
    local_storage().remove_item(&env.session_key()).unwrap();
    let message = |e: JsValue| get(&e, "message").as_string().unwrap_or_default();
    let first = first.unwrap_or_else(|e| panic!("authenticate(): {}", message(e)));
    assert!(stored.is_some(), "the secret was not kept in localStorage under the default prefix");
    let again = again.unwrap_or_else(|e| panic!("authenticate({{ force: null }}): {}", message(e)));
    assert_eq!(get(&again, "accessToken"), get(&first, "accessToken"));
    let token = token.unwrap_or_else(|e| panic!("getAccessToken({{ minValidity: null }}): {}", message(e)));
    assert_eq!(token, get(&first, "accessToken"));
    assert_eq!(env.auth_requests().await, 1, "force: null sent a request");
}

#[wasm_bindgen_test]
async fn the_secret_never_appears_in_events_errors_or_the_console() {
    let console = ConsoleCapture::start();
    let mut seen: Vec<JsValue> = Vec::new();
    // A visitor with 2 s tokens: renewals, and a background renewal that times out.
    let renewing = Env::new();
    renewing.set_lifetime(2).await;
    let visitor = renewing.visitor(&[("requestTimeoutMs", 500.into())]);
    let captured: Vec<Captured> = ["session", "identitychange", "error", "storage"].iter().map(|e| capture(&visitor, e)).collect();
    authenticate(&visitor).await;
    // Each renewal is due about a second after the last; the deadlines, for a loaded machine,
    // only fail the test.
    next_event(&visitor, "session", 30_000, |d| get(d, "source").as_string().as_deref() == Some("network")).await;
    renewing.fault(r#"{"delay_ms":1500}"#).await;
    seen.push(next_event(&visitor, "error", 30_000, |_| true).await);
    renewing.clear_faults().await;
    let live = visitor.session();
    assert!(live.is_object(), "a renewed visitor has a session");
    visitor.stop();
    // A visitor with long-lived tokens (no background renewal to take the faults): failures that
    // are not retried, a rejected secret, and a forget.
    let failing = Env::new();
    let other = failing.visitor(&[]);
    let mut all = captured;
    all.extend(["session", "identitychange", "error", "storage"].iter().map(|e| capture(&other, e)));
    authenticate(&other).await;
    for fault in [r#"{"status":409,"times":1}"#, r#"{"set":{"expires_in":"x"},"times":1}"#, r#"{"body":"not json","times":1}"#] {
        failing.fault(fault).await;
        seen.push(settle(other.authenticate(obj(&[("force", true.into())]))).await.unwrap_err());
    }
    // A reload with the secret but no cached session, set to report a refused secret: refused,
    // the probe without it let through (a fault that changes nothing), refused again.
    local_storage().remove_item(&failing.session_key()).unwrap();
    let strict = failing.visitor(&[("onSecretRejected", "error".into())]);
    failing.fault(r#"[{"status":401,"times":1},{"delay_ms":0,"times":1},{"status":401,"times":1}]"#).await;
    seen.push(settle(strict.authenticate(JsValue::UNDEFINED)).await.unwrap_err());
    let secrets = [renewing.stored_secret().unwrap(), failing.stored_secret().unwrap()];
    settle(other.forget()).await.unwrap();
    for c in &all {
        seen.extend(c.all());
    }
    assert!(other.session().is_null(), "forget() left a session");
    seen.push(live);
    let lines = console.restore();
    let codes: Vec<String> = seen[..5].iter().map(code).collect();
    assert_eq!(codes, ["timeout", "http", "invalid_response", "invalid_response", "secret_rejected"]);
    for secret in &secrets {
        for value in &seen {
            let text = js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()).unwrap_or_default();
            let message = get(value, "message").as_string().unwrap_or_default();
            assert!(!text.contains(secret) && !message.contains(secret), "{text} {message}");
        }
        for line in &lines {
            assert!(!line.contains(secret), "console: {line}");
        }
    }
}

/// `free()` and `[Symbol.dispose]()` of the exported JS class (what `using` calls) stop the
/// visitor: its pending call rejects with `stopped`, the object is released (calling it throws),
/// and neither its timer, nor page events, nor its listeners do anything any more.
#[wasm_bindgen_test]
async fn free_and_dispose_stop_the_visitor() {
    let dispose = get(&get(&js_sys::global(), "Symbol"), "dispose");
    for how in ["free", "dispose"] {
        if how == "dispose" && dispose.is_undefined() {
            continue; // A browser without explicit resource management has no `using` either.
        }
        let env = Env::new();
        env.set_lifetime(2).await;
        let visitor = env.visitor(&[]);
        authenticate(&visitor).await;
        let sessions = capture(&visitor, "session");
        // The answer is held a minute: longer than the wait below may take on a loaded machine,
        // so that the call is still pending when the visitor is freed.
        env.fault(r#"{"delay_ms":60000,"times":1}"#).await;
        let pending = visitor.authenticate(obj(&[("force", true.into())]));
        // Once the server has the request:
        wait_until(30_000, || async { env.auth_requests().await == 2 }).await;
        let object = JsValue::from(visitor);
        let method = if how == "free" { get(&object, "free") } else { js_sys::Reflect::get(&object, &dispose).unwrap() };
        method.dyn_into::<js_sys::Function>().unwrap().call0(&object).unwrap();
        // Rejected from a microtask: no load makes the deadline's timer come first.
        let outcome = within(pending, 1000).await.expect("the pending call did not settle");
        assert_eq!(code(&get(&outcome, "__rejected__")), "stopped", "{how}");
        // The object is released: its members throw (as the declarations say).
        let stop = get(&object, "stop").dyn_into::<js_sys::Function>().unwrap();
        assert!(stop.call0(&object).is_err(), "{how}: the released object could still be called");
        // A live visitor would renew about a second after its token came, and on these events
        // once that is due.
        dispatch("online", false);
        dispatch("pageshow", false);
        dispatch("visibilitychange", true);
        // Nothing happens, for as long as a live visitor takes to act: a control with the same
        // 2 s tokens, made after this one's token came, renews twice (its second renewal is due
        // later than this one's first would have been), however slow the machine.
        let control_env = Env::new();
        control_env.set_lifetime(2).await;
        let control = control_env.visitor(&[]);
        let renewals = capture(&control, "session");
        authenticate(&control).await;
        let from_network = |c: &Captured| c.all().iter().filter(|d| get(d, "source").as_string().as_deref() == Some("network")).count();
        wait_until(30_000, || async { from_network(&renewals) >= 3 }).await;
        control.stop();
        assert_eq!(env.auth_requests().await, 2, "{how}: a stopped visitor sent a request");
        assert_eq!(sessions.len(), 0, "{how}: a stopped visitor's listener was called");
        env.clear_faults().await;
    }
}

#[wasm_bindgen_test]
async fn page_resume_events_renew_a_token_whose_renewal_point_passed_in_sleep() {
    for (event, on_document) in [("visibilitychange", true), ("pageshow", false), ("online", false)] {
        let env = Env::new();
        let visitor = env.visitor(&[]);
        authenticate(&visitor).await;
        // 1800 s tokens renew 60 to 240 s before expiry: 30 s before it, renewal is overdue,
        // while the real timer is still half an hour away.
        let _jump = ClockJump::ahead(1_770_000.0);
        dispatch(event, on_document);
        // At once; the deadline, for a loaded machine, only fails the test.
        let renewed = next_event(&visitor, "session", 30_000, |_| true).await;
        assert_eq!(get_str(&renewed, "source"), "network", "{event}");
        assert_eq!(env.auth_requests().await, 2, "{event}");
    }
}

#[wasm_bindgen_test]
async fn after_a_sleep_past_expiry_the_first_use_returns_a_fresh_token() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let first = get_str(&authenticate(&visitor).await, "accessToken");
    let _jump = ClockJump::ahead(2_000_000.0);
    assert!(!visitor.is_authenticated());
    let token = settle(visitor.get_access_token(JsValue::UNDEFINED)).await.unwrap().as_string().unwrap();
    assert_ne!(token, first);
    assert!(visitor.is_authenticated());
    assert_eq!(env.auth_requests().await, 2);
}

/// Consent given: a visitor kept in memory moves to localStorage, keeps its identity and sends
/// nothing; a reload after that is a returning visitor, from its cache.
#[wasm_bindgen_test]
async fn set_storage_to_local_keeps_the_visitor_and_sends_nothing() {
    let env = Env::new();
    let visitor = env.visitor(&[("storage", "memory".into())]);
    assert_eq!(visitor.storage_kind(), "memory");
    let session = authenticate(&visitor).await;
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
    let changes = capture(&visitor, "storage");
    settle(visitor.set_storage("local".into())).await.unwrap();
    assert_eq!(visitor.storage_kind(), "local");
    assert_eq!(visitor.visitor_id(), get(&session, "visitorId"));
    assert!(env.stored_secret().is_some() && local_storage().get_item(&env.session_key()).unwrap().is_some());
    assert_eq!(env.auth_requests().await, 1, "moving sent a request");
    let events = changes.all();
    assert_eq!((get_str(&events[0], "reason"), get_str(&events[0], "kind")), ("changed".into(), "local".into()));
    // The next page load: the same visitor, no request.
    let reloaded = env.visitor(&[]);
    assert_eq!(reloaded.visitor_id(), get(&session, "visitorId"));
    assert_eq!(get_str(&authenticate(&reloaded).await, "visitorId"), get_str(&session, "visitorId"));
    assert_eq!(env.auth_requests().await, 1);
    let bad = settle(visitor.set_storage("cookie".into())).await.unwrap_err();
    assert_eq!(code(&bad), "invalid_options");
}

/// Consent withdrawn: the keys leave localStorage (and the other visitors of the page let the
/// identity go, as after forget()), the visitor goes on in memory.
#[wasm_bindgen_test]
async fn set_storage_to_memory_erases_the_keys_here_and_for_the_others() {
    let env = Env::new();
    let (visitor, other) = (env.visitor(&[]), env.visitor(&[]));
    let id = get_str(&authenticate(&visitor).await, "visitorId");
    assert_eq!(other.visitor_id().as_string(), Some(id.clone()));
    settle(visitor.set_storage("memory".into())).await.unwrap();
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
    assert!(local_storage().get_item(&env.session_key()).unwrap().is_none());
    assert!(other.visitor_id().is_null(), "another visitor of the page kept the withdrawn identity");
    // This one is the same visitor, in memory: a renewal sends its secret.
    assert_eq!(visitor.storage_kind(), "memory");
    let renewed = settle(visitor.authenticate(obj(&[("force", true.into())]))).await.unwrap();
    assert_eq!(get_str(&renewed, "visitorId"), id);
    let log = env.auth_log().await;
    assert_eq!(get(&log[1], "secret_sent").as_bool(), Some(true));
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none(), "written back to localStorage");
}

/// A change asked for while a renewal is out happens at once; the renewal brings its answer
/// where the visitor now lives.
#[wasm_bindgen_test]
async fn set_storage_during_a_pending_renewal_applies_at_once_and_keeps_what_it_brings() {
    let env = Env::new();
    let visitor = env.visitor(&[("storage", "memory".into())]);
    authenticate(&visitor).await;
    env.fault(r#"{"delay_ms":1500,"times":1}"#).await;
    let renewal = visitor.authenticate(obj(&[("force", true.into())]));
    let moved = visitor.set_storage("local".into());
    // Consent given applies at once, while the renewal's answer is still 1.5 s away.
    assert!(within(moved, 1000).await.is_some(), "setStorage waited for the request in flight");
    assert_eq!(visitor.storage_kind(), "local");
    let renewed = settle(renewal).await.unwrap();
    let cached = local_storage().get_item(&env.session_key()).unwrap().unwrap();
    assert!(cached.contains(&get_str(&renewed, "accessToken")), "the renewal's answer was not kept where the visitor now lives");
    assert_eq!(env.auth_requests().await, 2);
}

/// Another tab stored a visitor earlier (it consented there): moving to localStorage takes that
/// visitor, so that one browser stays one visitor.
#[wasm_bindgen_test]
async fn set_storage_to_a_storage_that_holds_another_visitor_takes_it() {
    let env = Env::new();
    let stored = authenticate(&env.visitor(&[])).await;
    let here = env.visitor(&[("storage", "memory".into())]);
    let own = authenticate(&here).await;
    assert_ne!(get(&own, "visitorId"), get(&stored, "visitorId"));
    let changes = capture(&here, "identitychange");
    let secret = env.stored_secret();
    settle(here.set_storage("local".into())).await.unwrap();
    assert_eq!(here.visitor_id(), get(&stored, "visitorId"));
    assert_eq!(env.stored_secret(), secret, "the stored visitor was overwritten");
    settle(js_sys::Promise::resolve(&JsValue::UNDEFINED)).await.unwrap();
    let events = changes.all();
    assert_eq!((get(&events[0], "previousVisitorId"), get(&events[0], "visitorId")), (get(&own, "visitorId"), get(&stored, "visitorId")));
    assert_eq!(env.auth_requests().await, 2, "taking the stored visitor sent a request");
}

/// `visitor.session` is one object until the session changes (a snapshot React's
/// `useSyncExternalStore` can compare by identity), and it is the object `authenticate()` resolves
/// with and the `session` event hands out.
#[wasm_bindgen_test]
async fn session_is_one_object_until_the_session_changes() {
    let env = Env::new();
    let visitor = env.visitor(&[("storage", "memory".into())]);
    let sessions = capture(&visitor, "session");
    let first = authenticate(&visitor).await;
    assert!(js_sys::Object::is(&visitor.session(), &visitor.session()), "two reads gave two objects");
    assert!(js_sys::Object::is(&visitor.session(), &first), "authenticate() resolved with another object");
    assert_eq!(sessions.len(), 1);
    assert!(js_sys::Object::is(&get(&sessions.all()[0], "session"), &first), "the session event handed out another object");
    let renewed = settle(visitor.authenticate(obj(&[("force", true.into())]))).await.unwrap();
    assert!(!js_sys::Object::is(&renewed, &first), "a new session kept the old object");
    assert!(js_sys::Object::is(&visitor.session(), &renewed));
    assert!(js_sys::Object::is(&get(&sessions.all()[1], "session"), &renewed));
}

/// SPEC §3: any move erases the copies in the storages the visitor leaves. Narrowed from
/// `local` to `session`, nothing is left in localStorage (the next visit would be the same
/// visitor); widened from `session` to `local`, nothing in sessionStorage. The visitor itself
/// moves, and sends nothing.
#[wasm_bindgen_test]
async fn set_storage_between_local_and_session_leaves_nothing_where_the_visitor_was() {
    let session_storage = || web_sys::window().unwrap().session_storage().unwrap().unwrap();
    for (from, to) in [("local", "session"), ("session", "local")] {
        let env = Env::new();
        let visitor = env.visitor(&[("storage", from.into())]);
        let id = get_str(&authenticate(&visitor).await, "visitorId");
        let (left, entered) = if from == "local" { (local_storage(), session_storage()) } else { (session_storage(), local_storage()) };
        assert!(left.get_item(&env.secret_key()).unwrap().is_some(), "{from}: not stored at first");
        settle(visitor.set_storage(to.into())).await.unwrap();
        assert_eq!(visitor.storage_kind(), to);
        for key in [env.secret_key(), env.session_key()] {
            assert!(left.get_item(&key).unwrap().is_none(), "{from} → {to}: {key} left in {from}Storage");
            assert!(entered.get_item(&key).unwrap().is_some(), "{from} → {to}: {key} not moved to {to}Storage");
        }
        assert_eq!(visitor.visitor_id().as_string(), Some(id));
        assert_eq!(env.auth_requests().await, 1, "{from} → {to}: moving sent a request");
        visitor.stop();
        entered.remove_item(&env.secret_key()).unwrap();
        entered.remove_item(&env.session_key()).unwrap();
    }
}

/// SPEC §3: a 401 to a token that was just renewed because of a 401 is the caller's answer:
/// one renewal per token, however many calls meet 401s. Against an API that refuses every
/// token, ten `fetch()` calls together and ten one after another each end with the 401, and the
/// refusals cost one renewal.
#[wasm_bindgen_test]
async fn an_api_that_refuses_every_token_costs_one_renewal_per_token() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    authenticate(&visitor).await;
    let room = env.room().await;
    env.fault(r#"{"scope":"api","status":401}"#).await;
    let path = format!("/api/v5/public/orgs/{}/rooms/{room}", env.org);
    let together: Vec<Promise> = (0..10).map(|_| visitor.fetch(path.as_str().into(), JsValue::UNDEFINED)).collect();
    for call in together {
        let response: web_sys::Response = settle(call).await.unwrap().dyn_into().unwrap();
        assert_eq!(response.status(), 401);
    }
    for _ in 0..10 {
        let response: web_sys::Response = settle(visitor.fetch(path.as_str().into(), JsValue::UNDEFINED)).await.unwrap().dyn_into().unwrap();
        assert_eq!(response.status(), 401);
    }
    assert_eq!(env.auth_requests().await, 2, "the first authentication and one renewal");
    // Each call of the ten together was sent with the refused token, then once more with the
    // new one; each call after them once.
    assert_eq!(env.api_requests().await, 30);
}

/// SPEC §3: a token is reported valid only while it is, whatever the page does to its clock.
/// 4 s tokens; 2.5 s in, the page moves `Date.now` back 2 s. By its clock the token still has
/// time left when 4.5 s have passed; it has expired all the same, and `isAuthenticated` says so.
#[wasm_bindgen_test]
async fn a_clock_moved_back_does_not_make_an_expired_token_valid() {
    let env = Env::new();
    env.set_lifetime(4).await;
    let visitor = env.visitor(&[("autoRenew", false.into())]);
    let first = get_str(&authenticate(&visitor).await, "accessToken");
    pause(2500).await;
    let _jump = ClockJump::ahead(-2000.0);
    pause(2000).await;
    assert!(!visitor.is_authenticated(), "an expired token is reported valid");
    // And the next use renews first.
    let token = settle(visitor.get_access_token(JsValue::UNDEFINED)).await.unwrap().as_string().unwrap();
    assert_ne!(token, first);
    assert!(visitor.is_authenticated());
    assert_eq!(env.auth_requests().await, 2);
}

/// The `storageKeyPrefix` limit counts characters (the README's 1 to 100), not UTF-8 bytes.
#[wasm_bindgen_test]
async fn a_storage_key_prefix_of_non_ascii_characters_is_taken() {
    let env = Env { prefix: "é".repeat(100), ..Env::new() };
    let visitor = env.visitor(&[]);
    authenticate(&visitor).await;
    assert!(env.stored_secret().is_some());
    visitor.stop();
    local_storage().remove_item(&env.secret_key()).unwrap();
    local_storage().remove_item(&env.session_key()).unwrap();
    let refused = Visitor::new(Env { prefix: "é".repeat(101), ..Env::new() }.options(&[])).err().expect("101 characters were taken");
    assert_eq!(code(&refused), "invalid_options");
}

/// An object whose member `name` is a getter that throws (the page's own exception).
fn throwing_getter(base: JsValue, name: &str) -> JsValue {
    let descriptor = obj(&[("get", js_sys::Function::new_no_args("throw new Error('the page\\'s getter threw')").into()), ("enumerable", true.into())]);
    js_sys::Object::define_property(base.unchecked_ref::<js_sys::Object>(), &name.into(), descriptor.unchecked_ref());
    base
}

/// SPEC §3: getters on what the page passes may throw. The constructor then throws a
/// `VisitorError` `invalid_options`, and the methods reject with it, instead of letting the
/// page's own exception out (synchronously, from a method that returns a promise).
#[wasm_bindgen_test]
async fn throwing_getters_on_options_are_invalid_options() {
    let env = Env::new();
    for name in ["storage", "organizationId"] {
        let thrown = Visitor::new(throwing_getter(env.options(&[]), name)).err().expect("the constructor took the options");
        assert_eq!((get_str(&thrown, "name"), code(&thrown)), ("VisitorError".into(), "invalid_options".into()), "{name}: {thrown:?}");
    }
    let visitor = env.visitor(&[]);
    // (On a build that lets the page's exception out, it ends this test where it is thrown.)
    let rejection = settle(visitor.authenticate(throwing_getter(obj(&[]), "force"))).await.unwrap_err();
    assert_eq!(code(&rejection), "invalid_options", "authenticate: {rejection:?}");
    let rejection = settle(visitor.get_access_token(throwing_getter(obj(&[]), "minValidity"))).await.unwrap_err();
    assert_eq!(code(&rejection), "invalid_options", "getAccessToken: {rejection:?}");
    // Nothing is stuck: the visitor works.
    authenticate(&visitor).await;
}

/// A page's `fetch` wrapper that never settles the page's own requests to the API (the auth
/// request goes through): `visitor.fetch()` settles all the same, with `timeout` once
/// `requestTimeoutMs` has passed; nothing is left waiting, and the visitor goes on working.
#[wasm_bindgen_test]
async fn a_fetch_through_a_page_fetch_that_never_settles_times_out() {
    let env = Env::new();
    let visitor = env.visitor(&[("requestTimeoutMs", 1000.into())]);
    authenticate(&visitor).await;
    let window = js_sys::global();
    let original = get(&window, "fetch");
    let wrap = js_sys::Function::new_with_args(
        "original",
        "return (input, init) => (typeof input === 'string' ? input : input.url).includes('/rooms/') ? new Promise(() => {}) : original(input, init);",
    );
    js_sys::Reflect::set(&window, &"fetch".into(), &wrap.call1(&JsValue::UNDEFINED, &original).unwrap()).unwrap();
    let path = format!("/api/v5/public/orgs/{}/rooms/{}", env.org, "00000000-0000-4000-8000-000000000000");
    // The bound is wide: the call must settle, at requestTimeoutMs, however slow the machine.
    let settled = within(visitor.fetch(path.as_str().into(), JsValue::UNDEFINED), 20_000).await;
    js_sys::Reflect::set(&window, &"fetch".into(), &original).unwrap();
    let rejection = get(&settled.expect("fetch() through a page fetch that never settles never settled"), "__rejected__");
    assert_eq!(code(&rejection), "timeout", "{rejection:?}");
    let token = settle(visitor.get_access_token(JsValue::UNDEFINED)).await.unwrap();
    assert!(token.as_string().is_some());
}
