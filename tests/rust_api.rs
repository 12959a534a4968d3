//! Browser suite of the Rust API (`giosg_visitor::Visitor`), in Chrome, Firefox and WebKit against the
//! local server: what a Rust app relies on. The same lifecycle and shell run under the JS class,
//! whose suites (browser.rs, faults.rs, tabs.rs, page.rs) cover the rest.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use giosg_visitor::{Code, Event, Source, StorageKind, Visitor, VisitorOptions};
use gloo_net::http::Request;
use support::{local_storage, new_org, pause, wait_until, ClockJump, Env, SERVER};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn options(env: &Env) -> VisitorOptions {
    VisitorOptions::new(env.org.to_uppercase()).api_base_url(SERVER).storage_key_prefix(&env.prefix)
}

fn visitor(env: &Env) -> Visitor {
    Visitor::new(options(env)).expect("valid options")
}

/// Every event a visitor emits, kept in order while the subscription lives.
fn record(visitor: &Visitor) -> (Rc<RefCell<Vec<Event>>>, giosg_visitor::Subscription) {
    let events: Rc<RefCell<Vec<Event>>> = Rc::default();
    let sink = events.clone();
    let subscription = visitor.subscribe(move |event| sink.borrow_mut().push(event.clone()));
    (events, subscription)
}

fn network_sessions(events: &RefCell<Vec<Event>>) -> Vec<String> {
    events
        .borrow()
        .iter()
        .filter_map(|event| match event {
            Event::Session { session, source: Source::Network } => Some(session.access_token().to_owned()),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn a_new_visitor_then_a_returning_one() {
    let env = Env::new();
    let first = visitor(&env);
    assert_eq!(first.organization_id(), env.org, "the id in lower case");
    assert!(first.session().is_none() && first.visitor_id().is_none() && !first.is_authenticated());
    let session = first.authenticate().await.expect("a session");
    assert_eq!(session.visitor_id().len(), 32);
    assert_eq!(session.organization_id(), env.org);
    assert_eq!(session.expires_in(), Duration::from_secs(1800));
    assert!(session.expires_at_ms() > js_sys::Date::now() + 1_790_000.0);
    assert!(first.is_authenticated());
    assert_eq!(first.visitor_id().as_deref(), Some(session.visitor_id()));
    assert_eq!(first.storage_kind(), StorageKind::Local);
    assert!(env.stored_secret().is_some(), "the secret is kept in localStorage");
    // Neither `Debug` nor `Display` of anything shows the token or the secret.
    let secret = env.stored_secret().unwrap();
    for text in [format!("{session:?}"), format!("{first:?}")] {
        assert!(!text.contains(session.access_token()) && !text.contains(&secret), "{text}");
    }
    drop(first);

    // A page load later: the cached session, no request; a renewal keeps the visitor.
    let again = visitor(&env);
    assert_eq!(again.visitor_id().as_deref(), Some(session.visitor_id()), "the cached session is current at once");
    let cached = again.authenticate().await.unwrap();
    assert_eq!((cached.visitor_id(), cached.access_token()), (session.visitor_id(), session.access_token()));
    assert_eq!(env.auth_requests().await, 1);
    let renewed = again.renew().await.unwrap();
    assert_eq!(renewed.visitor_id(), session.visitor_id());
    assert_ne!(renewed.access_token(), session.access_token());
    assert_eq!(env.auth_requests().await, 2);
}

#[wasm_bindgen_test]
async fn clones_share_one_visitor_and_one_request() {
    let env = Env::new();
    let visitor = visitor(&env);
    let clone = visitor.clone();
    // Both calls are made before either is awaited: one flight.
    let (a, b) = (visitor.authenticate(), clone.access_token());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a.access_token(), b);
    assert_eq!(env.auth_requests().await, 1);
    assert_eq!(clone.session(), Some(a));
}

#[wasm_bindgen_test]
async fn the_token_is_renewed_in_the_background() {
    let env = Env::new();
    env.set_lifetime(2).await;
    let visitor = visitor(&env);
    let (events, _subscription) = record(&visitor);
    let first = visitor.authenticate().await.unwrap();
    // Renewed at about a second before expiry, without a call; the deadline, for a loaded
    // machine, only fails the test.
    wait_until(30_000, || async { network_sessions(&events).len() >= 2 }).await;
    let tokens = network_sessions(&events);
    assert_eq!(tokens[0], first.access_token());
    assert_ne!(tokens[1], tokens[0]);
    assert_eq!(visitor.session().unwrap().access_token(), tokens[1]);
    assert_eq!(visitor.visitor_id().as_deref(), Some(first.visitor_id()));
}

#[wasm_bindgen_test]
async fn failures_are_typed_errors() {
    let bad = Visitor::new(VisitorOptions::new("not an organization")).unwrap_err();
    assert_eq!(bad.code, Code::InvalidOptions);
    assert!(bad.to_string().starts_with("invalid_options: ") && bad.to_string().contains("organizationId"), "{bad}");
    let bad = Visitor::new(VisitorOptions::new(new_org()).request_timeout(Duration::ZERO)).unwrap_err();
    assert!(bad.message.contains("requestTimeoutMs"), "{bad}");

    let env = Env::new();
    let visitor = visitor(&env);
    let first = visitor.authenticate().await.unwrap();
    env.fault(r#"{"remove":["access_token"],"times":1}"#).await;
    let error = visitor.renew().await.unwrap_err();
    assert_eq!(error.code, Code::InvalidResponse);
    let error: Box<dyn std::error::Error> = Box::new(error);
    assert!(!error.to_string().contains(&env.stored_secret().unwrap()));
    assert_eq!(visitor.session(), Some(first), "the session is kept");

    // The organization refused (asked with the secret and without): an HTTP error, not retried.
    env.fault(r#"{"status":403}"#).await;
    let error = visitor.renew().await.unwrap_err();
    assert_eq!((error.code, error.status), (Code::Http, Some(403)));
    assert_eq!(error.to_string(), "http: the server answered with HTTP status 403");
}

#[wasm_bindgen_test]
async fn send_adds_the_token_renews_on_a_401_and_keeps_to_the_allowed_origins() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = visitor(&env);
    let url = visitor.api_url(&format!("/api/v5/public/orgs/{}/rooms/{room}", env.org));
    assert!(url.starts_with(SERVER));
    let response = visitor.send(Request::get(&url).build().unwrap()).await.unwrap();
    assert_eq!(response.status(), 200, "authenticated first, then sent with the token");
    assert_eq!((env.auth_requests().await, env.api_requests().await), (1, 1));

    env.fault(r#"{"scope":"api","status":401,"times":1}"#).await;
    let response = visitor.send(Request::get(&url).build().unwrap()).await.unwrap();
    assert_eq!(response.status(), 200, "renewed and sent again");
    assert_eq!((env.auth_requests().await, env.api_requests().await), (2, 3));

    for elsewhere in ["https://example.com/api/v5/x", "http://127.0.0.1:1/api"] {
        let error = visitor.send(Request::get(elsewhere).build().unwrap()).await.unwrap_err();
        assert_eq!(error.code, Code::OriginNotAllowed, "{elsewhere}");
    }
    assert_eq!(env.api_requests().await, 3, "nothing was sent elsewhere");
}

#[wasm_bindgen_test]
async fn dropping_the_last_clone_stops_everything() {
    let env = Env::new();
    env.set_lifetime(2).await;
    let visitor = visitor(&env);
    let clone = visitor.clone();
    visitor.authenticate().await.unwrap();
    let (events, subscription) = record(&visitor);
    drop(visitor);
    assert!(!clone.is_stopped(), "a clone keeps it running");
    // A pending call ends with `stopped` when the last clone goes (before its request: the lock
    // is always granted later than now).
    let pending = clone.renew();
    drop(clone);
    assert_eq!(pending.await.unwrap_err().code, Code::Stopped);
    drop(subscription);

    // A control visitor with the same token lifetime, made after the dropped one's token came,
    // renews twice (its second renewal is due later than the dropped one's first would have
    // been, however slow the machine); the dropped one never asks again.
    let control_env = Env::new();
    control_env.set_lifetime(2).await;
    let control = self::visitor(&control_env);
    let (control_events, _control_subscription) = record(&control);
    control.authenticate().await.unwrap();
    wait_until(30_000, || async { network_sessions(&control_events).len() >= 3 }).await;
    assert_eq!(env.auth_requests().await, 1, "only the first authentication");
    assert!(network_sessions(&events).len() <= 1);
}

#[wasm_bindgen_test]
async fn a_dropped_subscription_hears_nothing_more() {
    let env = Env::new();
    let visitor = visitor(&env);
    let (kept, _kept_subscription) = record(&visitor);
    let (dropped, subscription) = record(&visitor);
    visitor.authenticate().await.unwrap();
    // Events come from a microtask; the deadlines, for a loaded machine, only fail the test.
    wait_until(30_000, || async { network_sessions(&dropped).len() == 1 }).await;
    drop(subscription);
    visitor.renew().await.unwrap();
    // The kept subscription hears the renewal, then the other is checked.
    wait_until(30_000, || async { network_sessions(&kept).len() == 2 }).await;
    assert_eq!(network_sessions(&dropped).len(), 1);
}

/// The output of `future`, or `None` if it is not ready within `ms` (asked every 20 ms).
async fn settled_within<T: 'static>(future: impl std::future::Future<Output = T> + 'static, ms: u32) -> Option<T> {
    let slot: Rc<RefCell<Option<T>>> = Rc::default();
    let filled = slot.clone();
    wasm_bindgen_futures::spawn_local(async move { *filled.borrow_mut() = Some(future.await) });
    let mut waited = 0;
    while slot.borrow().is_none() && waited < ms {
        pause(20).await;
        waited += 20;
    }
    let output = slot.borrow_mut().take();
    output
}

#[wasm_bindgen_test]
async fn a_dropped_call_is_abandoned_and_the_next_one_works() {
    let env = Env::new();
    // The first answer is held a minute, and the visitor waits for it (no timeout before): a new
    // call that joined the abandoned request would wait that long.
    let visitor = Visitor::new(options(&env).auto_renew(false).request_timeout(Duration::from_secs(120))).unwrap();
    env.fault(r#"{"delay_ms":60000,"times":1}"#).await;
    let abandoned = visitor.authenticate();
    // Dropped once the server has its request (however long that takes).
    wait_until(30_000, || async { env.auth_requests().await == 1 }).await;
    drop(abandoned);
    // Nobody else wanted that request: it was ended, and a new call asks again, answered at once.
    let session = settled_within(visitor.authenticate(), 30_000).await.expect("the next call waited for the abandoned request").unwrap();
    assert_eq!(session.visitor_id().len(), 32);
    assert_eq!(env.auth_requests().await, 2);
}

#[wasm_bindgen_test]
async fn two_tabs_due_at_once_send_one_request() {
    let env = Env::new();
    let (first, second) = (visitor(&env), visitor(&env));
    first.authenticate().await.unwrap();
    second.authenticate().await.unwrap();
    assert_eq!(env.auth_requests().await, 1, "the second took the cached session");
    // Both past their renewal point at once (as after a sleep).
    let _jump = ClockJump::ahead(1_770_000.0);
    let (a, b) = (first.access_token_valid_for(Duration::from_secs(120)), second.access_token_valid_for(Duration::from_secs(120)));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a, b, "both hold the one new token");
    assert_eq!(env.auth_requests().await, 2, "one request for both");
}

#[wasm_bindgen_test]
async fn consent_moves_the_visitor_between_storages() {
    let env = Env::new();
    let visitor = Visitor::new(options(&env).storage(StorageKind::Memory)).unwrap();
    let session = visitor.authenticate().await.unwrap();
    assert!(env.stored_secret().is_none(), "nothing stored before consent");
    visitor.set_storage(StorageKind::Local).await.unwrap();
    assert!(env.stored_secret().is_some());
    visitor.set_storage(StorageKind::Memory).await.unwrap();
    assert!(env.stored_secret().is_none(), "withdrawn: erased");
    assert_eq!(visitor.visitor_id().as_deref(), Some(session.visitor_id()), "the same visitor");
    visitor.set_storage(StorageKind::Session).await.unwrap();
    let in_session_storage = web_sys::window().unwrap().session_storage().unwrap().unwrap().get_item(&env.secret_key()).unwrap();
    assert!(in_session_storage.is_some_and(|record| !record.is_empty()));
    visitor.forget().await.unwrap();
    assert!(visitor.session().is_none());
    assert!(local_storage().get_item(&env.secret_key()).unwrap().is_none());
}

/// An operator's record as the room's `online_users` channel sends it, read into a Rust type.
#[derive(serde::Deserialize)]
struct Operator {
    id: String,
    public_name: String,
}

#[wasm_bindgen_test]
async fn a_channel_subscription_hears_its_notifications_until_dropped() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = visitor(&env);
    let (events, _events_subscription) = record(&visitor);
    let channel = format!("/api/v5/public/orgs/{}/rooms/{room}/online_users", env.org);
    assert_eq!(visitor.subscribe_channel("chats", |_| {}).unwrap_err().code, Code::InvalidChannel);
    let heard: Rc<RefCell<Vec<(giosg_visitor::Action, Option<String>, Option<String>)>>> = Rc::default();
    let sink = heard.clone();
    let subscription = visitor
        .subscribe_channel(&channel, move |change| {
            let operator = change.resource_as::<Operator>();
            assert_eq!(operator.as_ref().map(|o| o.id.as_str()), change.resource_id());
            sink.borrow_mut().push((change.action(), change.resource_id().map(str::to_owned), operator.map(|o| o.public_name)));
        })
        .unwrap();
    let subscribed = |events: &RefCell<Vec<Event>>, channels: u32| events.borrow().iter().any(|e| matches!(e, Event::Realtime { state: giosg_visitor::SocketState::Open, channels: c } if *c == channels));
    wait_until(30_000, || async { subscribed(&events, 1) }).await;
    let operator = support::get_str(&support::control("POST", &format!("/orgs/{}/rooms/{room}/online_users", env.org), Some(r#"{"public_name":"Ada"}"#)).await, "id");
    wait_until(30_000, || async { !heard.borrow().is_empty() }).await;
    assert_eq!(heard.borrow()[0], (giosg_visitor::Action::Added, Some(operator), Some("Ada".to_owned())));
    // Dropped: the visitor's last channel, so the socket closes.
    drop(subscription);
    wait_until(30_000, || async { events.borrow().iter().any(|e| matches!(e, Event::Realtime { state: giosg_visitor::SocketState::Closed, .. })) }).await;
    wait_until(30_000, || async { support::get(&support::get(&env.stats().await, "sockets"), "open").as_f64() == Some(0.0) }).await;
}
