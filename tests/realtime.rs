//! Browser suite of real-time channels (SPEC §1 `subscribe()`, §2a): the JS class's
//! `subscribe()` over a real WebSocket to the local server's router, in Chrome, Firefox and
//! WebKit (`scripts/test.sh`), with the server's socket faults (`/__control/orgs/<org>/realtime`)
//! and its counts of sockets and `sub`s. Every wait has a deadline and waits for what it names (an
//! event, a count), never for time to pass.
#![cfg(target_arch = "wasm32")]

mod support;

use std::cell::RefCell;
use std::rc::Rc;

use giosg_visitor::js::Visitor;
use js_sys::{Function, Reflect};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Long enough for a loaded machine; each wait ends as soon as what it waits for happened.
const DEADLINE_MS: u32 = 20_000;

/// The changes a channel's listener heard, and the function that unsubscribes it.
struct Heard {
    changes: Rc<RefCell<Vec<JsValue>>>,
    off: Function,
}

impl Heard {
    fn count(&self) -> usize {
        self.changes.borrow().len()
    }

    fn unsubscribe(&self) {
        self.off.call0(&JsValue::UNDEFINED).unwrap();
    }
}

fn listen(visitor: &Visitor, channel: &str) -> Heard {
    let changes: Rc<RefCell<Vec<JsValue>>> = Rc::default();
    let sink = changes.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |change| sink.borrow_mut().push(change)).into_js_value();
    let off = visitor.subscribe(channel.into(), listener).unwrap().dyn_into().unwrap();
    Heard { changes, off }
}

/// The server's socket counts of `env`'s organization (`open`: the sockets open now).
async fn sockets(env: &Env) -> JsValue {
    get(&env.stats().await, "sockets")
}

async fn socket_count(env: &Env, name: &str) -> u32 {
    get(&sockets(env).await, name).as_f64().unwrap() as u32
}

async fn realtime_settings(env: &Env, settings: &str) {
    control("PUT", &format!("/orgs/{}/realtime", env.org), Some(settings)).await;
}

/// Waits until the `realtime` events captured say the socket is `state` with `channels`
/// subscribed.
async fn reported(events: &Captured, state: &str, channels: u32) {
    recorded(&events.details, |details| details.last().is_some_and(|d| get(d, "state").as_string().as_deref() == Some(state) && get(d, "channels").as_f64() == Some(f64::from(channels)))).await;
}

async fn heard(listener: &Heard, count: usize) {
    recorded(&listener.changes, |changes| changes.len() >= count).await;
}

/// Waits until what `list` recorded (events' details, a listener's changes) satisfies `holds`.
async fn recorded(list: &Rc<RefCell<Vec<JsValue>>>, holds: impl Fn(&[JsValue]) -> bool) {
    wait_until(DEADLINE_MS, || {
        let now = holds(&list.borrow());
        async move { now }
    })
    .await;
}

/// An operator comes online in `room` (notified `added` on the room's `online_users` channel),
/// in the resource id spelling given; returns the operator's id.
async fn operator_online(env: &Env, room: &str, spelling: Option<&str>) -> String {
    let body = spelling.map_or("{}".to_owned(), |s| format!("{{\"spelling\":\"{s}\"}}"));
    get_str(&control("POST", &format!("/orgs/{}/rooms/{room}/online_users", env.org), Some(&body)).await, "id")
}

fn online_users(env: &Env, room: &str) -> String {
    format!("/api/v5/public/orgs/{}/rooms/{room}/online_users", env.org)
}

/// A visitor of `env` (made with `extra` options) with the `online_users` channel of a new room
/// subscribed, and its `realtime` events captured since before it subscribed.
struct Subscribed {
    env: Env,
    room: String,
    visitor: Visitor,
    events: Captured,
    online: Heard,
}

impl Subscribed {
    async fn on(env: Env, extra: &[(&str, JsValue)]) -> Self {
        let room = env.room().await;
        let visitor = env.visitor(extra);
        let events = capture(&visitor, "realtime");
        let online = listen(&visitor, &online_users(&env, &room));
        reported(&events, "open", 1).await;
        Subscribed { env, room, visitor, events, online }
    }
}

/// An operator comes online in `room`; waits until `listener` has heard `count` changes in all.
async fn room_news_heard(env: &Env, room: &str, listener: &Heard, count: usize) {
    operator_online(env, room, None).await;
    heard(listener, count).await;
}

#[wasm_bindgen_test]
async fn a_notification_reaches_its_listener_in_both_resource_id_spellings() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let events = capture(&visitor, "realtime");
    let channel = online_users(&env, &room);
    let listener = listen(&visitor, &channel);
    reported(&events, "open", 1).await;

    let documented = operator_online(&env, &room, None).await;
    heard(&listener, 1).await;
    let current = operator_online(&env, &room, Some("resource_id")).await;
    heard(&listener, 2).await;
    let changes = listener.changes.borrow().clone();
    for (change, id) in changes.iter().zip([&documented, &current]) {
        assert_eq!(get_str(change, "channel"), channel);
        assert_eq!(get_str(change, "action"), "added");
        assert_eq!(get(change, "resourceId").as_string().as_ref(), Some(id));
        assert_eq!(get_str(&get(change, "resource"), "id"), *id);
    }
    // One socket, one `sub`, authorized by the visitor's first token: one auth request.
    assert_eq!((socket_count(&env, "opened").await, socket_count(&env, "subs").await), (1, 1));
    assert_eq!(env.auth_requests().await, 1);
    visitor.stop();
}

#[wasm_bindgen_test]
async fn no_socket_before_subscribe_one_for_many_channels_and_the_last_unsubscribe_closes_it() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let session = authenticate(&visitor).await;
    // A token alone opens nothing.
    assert_eq!(socket_count(&env, "opened").await, 0);

    let events = capture(&visitor, "realtime");
    let chats = listen(&visitor, &format!("/api/v5/public/visitors/{}/chats", get_str(&session, "visitorId")));
    let online = listen(&visitor, &online_users(&env, &room));
    reported(&events, "open", 2).await;
    assert_eq!((socket_count(&env, "opened").await, socket_count(&env, "subs").await, socket_count(&env, "open").await), (1, 2, 1));

    online.unsubscribe();
    online.unsubscribe();
    // The other channel keeps the socket; an operator online in the room reaches nobody.
    operator_online(&env, &room, None).await;
    assert_eq!(socket_count(&env, "open").await, 1);
    chats.unsubscribe();
    reported(&events, "closed", 0).await;
    wait_until(DEADLINE_MS, || async { socket_count(&env, "open").await == 0 }).await;
    assert_eq!(online.count(), 0);
    assert_eq!(socket_count(&env, "opened").await, 1);
    // No auth request for any of it: the token was good.
    assert_eq!(env.auth_requests().await, 1);
    visitor.stop();
}

#[wasm_bindgen_test]
async fn stop_closes_the_socket_and_subscribe_afterwards_throws_stopped() {
    let Subscribed { env, room, visitor, .. } = Subscribed::on(Env::new(), &[]).await;
    visitor.stop();
    wait_until(DEADLINE_MS, || async { socket_count(&env, "open").await == 0 }).await;
    let refused = visitor.subscribe(online_users(&env, &room).into(), Function::new_no_args("").into()).unwrap_err();
    assert_eq!(code(&refused), "stopped");
}

#[wasm_bindgen_test]
async fn what_is_not_a_channel_throws_invalid_channel_and_opens_nothing() {
    let env = Env::new();
    let visitor = env.visitor(&[]);
    let listener: JsValue = Function::new_no_args("").into();
    for bad in [JsValue::from_str("chats"), "/api/v5/public/x/".into(), "/a?b=c".into(), "https://service.giosg.com/api".into(), "//host/x".into(), JsValue::from_f64(1.0), JsValue::NULL] {
        let error = visitor.subscribe(bad.clone(), listener.clone()).unwrap_err();
        assert_eq!(code(&error), "invalid_channel", "{bad:?}");
    }
    let error = visitor.subscribe("/api/v5/public/visitors/x/chats".into(), JsValue::from_str("not a function")).unwrap_err();
    assert_eq!(code(&error), "invalid_options");
    assert_eq!(socket_count(&env, "opened").await, 0);
    assert_eq!(env.auth_requests().await, 0);
    visitor.stop();
}

#[wasm_bindgen_test]
async fn a_dropped_socket_reopens_every_channel_is_subscribed_again_and_resync_comes_once() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let session = authenticate(&visitor).await;
    let events = capture(&visitor, "realtime");
    let resyncs = capture(&visitor, "resync");
    let online = listen(&visitor, &online_users(&env, &room));
    let _chats = listen(&visitor, &format!("/api/v5/public/visitors/{}/chats", get_str(&session, "visitorId")));
    reported(&events, "open", 2).await;

    let dropped_at = js_sys::Date::now();
    control("POST", &format!("/orgs/{}/realtime/drop", env.org), None).await;
    recorded(&resyncs.details, |details| !details.is_empty()).await;
    reported(&events, "open", 2).await;
    let resync = resyncs.all()[0].clone();
    assert_eq!(get(&resync, "channels").as_f64(), Some(2.0));
    let since: js_sys::Date = get(&resync, "since").dyn_into().unwrap();
    assert!(since.get_time() <= js_sys::Date::now() && since.get_time() >= dropped_at - 1000.0, "since {}", since.get_time());
    // Reopened once, both channels subscribed again on it, with the token it had.
    assert_eq!((socket_count(&env, "opened").await, socket_count(&env, "subs").await), (2, 4));
    assert_eq!(env.auth_requests().await, 1);
    // The state went through closed and connecting on the way.
    let states: Vec<String> = events.all().iter().map(|d| get_str(d, "state")).collect();
    assert!(states.windows(3).any(|w| w == ["closed", "connecting", "open"]), "{states:?}");

    room_news_heard(&env, &room, &online, 1).await;
    assert_eq!(resyncs.len(), 1);
    visitor.stop();
}

#[wasm_bindgen_test]
async fn a_refused_channel_is_renewed_once_and_refused_twice_it_ends_with_channel_refused() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    authenticate(&visitor).await;
    let events = capture(&visitor, "realtime");
    let errors = capture(&visitor, "error");

    // Refused once: a new token, and the channel is subscribed with it.
    realtime_settings(&env, r#"{"refuse_next": 1}"#).await;
    let online = listen(&visitor, &online_users(&env, &room));
    reported(&events, "open", 1).await;
    assert_eq!(env.auth_requests().await, 2);
    assert_eq!((socket_count(&env, "refused").await, socket_count(&env, "confirmed").await), (1, 1));

    // Refused twice: the channel ends, reported as an `error` with its channel.
    realtime_settings(&env, r#"{"refuse_next": 2}"#).await;
    let other_room = env.room().await;
    let refused_channel = online_users(&env, &other_room);
    let refused = listen(&visitor, &refused_channel);
    recorded(&errors.details, |details| !details.is_empty()).await;
    let error = errors.all()[0].clone();
    assert_eq!(code(&error), "channel_refused");
    assert_eq!(get_str(&error, "channel"), refused_channel);
    assert!(!get_str(&error, "message").contains(&visitor.access_token().as_string().unwrap()));
    assert_eq!(env.auth_requests().await, 3);
    // The first channel lives on; the refused one hears nothing.
    operator_online(&env, &other_room, None).await;
    room_news_heard(&env, &room, &online, 1).await;
    assert_eq!(refused.count(), 0);
    visitor.stop();
}

#[wasm_bindgen_test]
async fn a_silent_router_is_replaced_within_the_request_timeout() {
    let env = Env::new();
    let room = env.room().await;
    realtime_settings(&env, r#"{"silent": true}"#).await;
    let visitor = env.visitor(&[("requestTimeoutMs", JsValue::from_f64(1000.0))]);
    let events = capture(&visitor, "realtime");
    let online = listen(&visitor, &online_users(&env, &room));
    // The `sub` goes unanswered: the socket is given up and another opened.
    wait_until(DEADLINE_MS, || async { socket_count(&env, "opened").await >= 2 }).await;
    assert!(socket_count(&env, "unanswered").await >= 1);
    realtime_settings(&env, r#"{"silent": false}"#).await;
    reported(&events, "open", 1).await;
    room_news_heard(&env, &room, &online, 1).await;
    visitor.stop();
}

#[wasm_bindgen_test]
async fn renewals_through_three_token_lifetimes_keep_one_socket_and_lose_no_notification() {
    let env = Env::new();
    env.set_lifetime(3).await;
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let events = capture(&visitor, "realtime");
    let sessions = capture(&visitor, "session");
    let online = listen(&visitor, &online_users(&env, &room));
    reported(&events, "open", 1).await;
    let mut sent = 0;
    // One notification per renewal, until three renewals happened.
    while sessions.len() < 4 {
        operator_online(&env, &room, None).await;
        sent += 1;
        heard(&online, sent).await;
        let seen = sessions.len();
        recorded(&sessions.details, |details| details.len() > seen).await;
    }
    operator_online(&env, &room, None).await;
    heard(&online, sent + 1).await;
    assert_eq!(socket_count(&env, "opened").await, 1);
    assert_eq!(socket_count(&env, "subs").await, 1);
    visitor.stop();
}

#[wasm_bindgen_test]
async fn a_server_that_ends_subscriptions_at_token_expiry_is_answered_by_a_reconnect_with_the_fresh_token() {
    let env = Env::new();
    env.set_lifetime(3).await;
    realtime_settings(&env, r#"{"end_at_expiry": true}"#).await;
    let Subscribed { env, room, visitor, events, online } = Subscribed::on(env, &[]).await;
    wait_until(DEADLINE_MS, || async { socket_count(&env, "closed_at_expiry").await >= 1 }).await;
    wait_until(DEADLINE_MS, || async { socket_count(&env, "opened").await >= 2 && socket_count(&env, "open").await == 1 }).await;
    reported(&events, "open", 1).await;
    // The new socket's `sub` carried a token the server took, so it notifies on it.
    let confirmed = socket_count(&env, "confirmed").await;
    assert!(confirmed >= 2, "{confirmed}");
    room_news_heard(&env, &room, &online, 1).await;
    visitor.stop();
}

#[wasm_bindgen_test]
async fn a_new_session_with_another_socket_url_moves_the_socket() {
    let Subscribed { env, room, visitor, events, online } = Subscribed::on(Env::new(), &[]).await;
    realtime_settings(&env, r#"{"socket_url": "/004/1/router"}"#).await;
    let session = settle(visitor.authenticate(obj(&[("force", JsValue::TRUE)]))).await.unwrap();
    assert!(get_str(&session, "socketUrl").contains("/004/1/router"));
    wait_until(DEADLINE_MS, || async { socket_count(&env, "opened").await == 2 && socket_count(&env, "open").await == 1 }).await;
    reported(&events, "open", 1).await;
    room_news_heard(&env, &room, &online, 1).await;
    visitor.stop();
}

#[wasm_bindgen_test]
async fn online_visibilitychange_and_pageshow_probe_an_open_socket() {
    let Subscribed { env, room, visitor, online, .. } = Subscribed::on(Env::new(), &[]).await;
    // Each resume sends one probe `sub` on the open socket, which the server answers.
    for (name, on_document) in [("online", false), ("visibilitychange", true), ("pageshow", false)] {
        let (subs, confirmed) = (socket_count(&env, "subs").await, socket_count(&env, "confirmed").await);
        dispatch(name, on_document);
        wait_until(DEADLINE_MS, || async { socket_count(&env, "confirmed").await > confirmed }).await;
        assert_eq!(socket_count(&env, "subs").await, subs + 1, "{name}");
    }
    assert_eq!(socket_count(&env, "opened").await, 1);
    room_news_heard(&env, &room, &online, 1).await;
    visitor.stop();
}

#[wasm_bindgen_test]
async fn forget_ends_every_subscription_and_closes_the_socket() {
    let Subscribed { env, room, visitor, events, online } = Subscribed::on(Env::new(), &[]).await;
    settle(visitor.forget()).await.unwrap();
    reported(&events, "closed", 0).await;
    wait_until(DEADLINE_MS, || async { socket_count(&env, "open").await == 0 }).await;
    operator_online(&env, &room, None).await;
    // A new subscription after it is the next visitor's, on a new socket.
    let again = listen(&visitor, &online_users(&env, &room));
    reported(&events, "open", 1).await;
    operator_online(&env, &room, None).await;
    heard(&again, 1).await;
    assert_eq!(online.count(), 0);
    assert_eq!(env.auth_requests().await, 2);
    visitor.stop();
}

#[wasm_bindgen_test]
async fn garbage_frames_reach_no_listener_and_a_throwing_listener_does_not_keep_the_next_from_hearing() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let events = capture(&visitor, "realtime");
    let channel = online_users(&env, &room);
    let thrower = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| wasm_bindgen::throw_str("a listener that throws")).into_js_value();
    let _throwing = visitor.subscribe(channel.as_str().into(), thrower).unwrap();
    let listener = listen(&visitor, &channel);
    reported(&events, "open", 1).await;
    let big = format!(r#"["changed",["{channel}",{{"action":"added","resourceId":"big","resource":{{"pad":"{}"}}}}]]"#, "x".repeat(1024 * 1024));
    let frames = [
        "not json".to_owned(),
        "[\"changed\"".to_owned(),
        "{}".to_owned(),
        "[]".to_owned(),
        format!(r#"["changed",["/api/v5/public/other",{{"action":"added","resourceId":"x"}}]]"#),
        format!(r#"["changed",["{channel}",{{"action":"exploded","resourceId":"x"}}]]"#),
        format!(r#"["changed",["{channel}","not an object"]]"#),
        r#"["__qr__",[[]],{"query":999999,"fail":true}]"#.to_owned(),
        big,
    ];
    let body = js_sys::JSON::stringify(&obj(&[("frames", frames.iter().map(|f| JsValue::from_str(f)).collect::<js_sys::Array>().into())])).unwrap().as_string().unwrap();
    control("POST", &format!("/orgs/{}/realtime/frames", env.org), Some(&body)).await;
    // A real notification after them, on the same socket: it arrives, and it is the only one.
    let id = operator_online(&env, &room, None).await;
    heard(&listener, 1).await;
    assert_eq!(listener.count(), 1);
    assert_eq!(get(&listener.changes.borrow()[0], "resourceId").as_string(), Some(id));
    assert_eq!(socket_count(&env, "opened").await, 1);
    reported(&events, "open", 1).await;
    visitor.stop();
}

/// Replaces `window.WebSocket` for as long as it lives.
struct ReplacedWebSocket {
    original: JsValue,
}

impl ReplacedWebSocket {
    fn with(replacement: &JsValue) -> Self {
        let window = js_sys::global();
        let original = get(&window, "WebSocket");
        Reflect::set(&window, &"WebSocket".into(), replacement).unwrap();
        Self { original }
    }
}

impl Drop for ReplacedWebSocket {
    fn drop(&mut self) {
        Reflect::set(&js_sys::global(), &"WebSocket".into(), &self.original).unwrap();
    }
}

#[wasm_bindgen_test]
async fn a_page_websocket_that_throws_or_is_wrapped_keeps_the_visitor_working() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let events = capture(&visitor, "realtime");
    // A constructor that throws: the socket counts as closed, and is tried again after the backoff.
    let throwing = ReplacedWebSocket::with(&Function::new_no_args("throw new Error('no sockets here')").into());
    let online = listen(&visitor, &online_users(&env, &room));
    recorded(&events.details, |details| details.iter().any(|d| get(d, "state").as_string().as_deref() == Some("closed"))).await;
    // The visitor still answers.
    authenticate(&visitor).await;
    drop(throwing);
    // A page that wraps the class (a subclass that counts, as analytics scripts do): it works.
    let counted = js_sys::eval("(() => { const Base = window.WebSocket; window.__sockets = 0; return class extends Base { constructor(url) { super(url); window.__sockets++; } send(data) { return super.send(data); } }; })()").unwrap();
    let _wrapped = ReplacedWebSocket::with(&counted);
    reported(&events, "open", 1).await;
    assert!(get(&js_sys::global(), "__sockets").as_f64().unwrap() >= 1.0);
    room_news_heard(&env, &room, &online, 1).await;
    visitor.stop();
}

#[wasm_bindgen_test]
async fn a_page_websocket_whose_send_throws_is_a_lost_socket_not_a_broken_visitor() {
    let env = Env::new();
    let room = env.room().await;
    let visitor = env.visitor(&[]);
    let events = capture(&visitor, "realtime");
    let proto = get(&get(&js_sys::global(), "WebSocket"), "prototype");
    let send = get(&proto, "send");
    let throws: JsValue = Function::new_no_args("throw new Error('send refused')").into();
    Reflect::set(&proto, &"send".into(), &throws).unwrap();
    let online = listen(&visitor, &online_users(&env, &room));
    // The socket opens, the `sub` cannot be sent: the socket is let go, and tried again.
    wait_until(DEADLINE_MS, || async { socket_count(&env, "opened").await >= 1 }).await;
    recorded(&events.details, |details| {
        details.iter().filter(|d| get(d, "state").as_string().as_deref() == Some("closed")).count() >= 1 && details.iter().any(|d| get(d, "state").as_string().as_deref() == Some("connecting"))
    })
    .await;
    assert_eq!(socket_count(&env, "subs").await, 0);
    Reflect::set(&proto, &"send".into(), &send).unwrap();
    reported(&events, "open", 1).await;
    room_news_heard(&env, &room, &online, 1).await;
    visitor.stop();
}

#[wasm_bindgen_test]
async fn a_reset_identity_subscribes_every_channel_again_with_its_own_token() {
    let Subscribed { env, room, visitor, events, online } = Subscribed::on(Env::new(), &[]).await;
    let before = visitor.visitor_id().as_string().unwrap();
    // The server no longer knows the stored secret: the next renewal resets the identity.
    local_storage().set_item(&env.secret_key(), r#"{"v":1,"secret":"a112586d51354fcbbcb9d55daee36e76"}"#).unwrap();
    let session = settle(visitor.authenticate(obj(&[("force", JsValue::TRUE)]))).await.unwrap();
    assert_ne!(get_str(&session, "visitorId"), before);
    // The old visitor's socket goes; a new one subscribes the channel with the new token.
    wait_until(DEADLINE_MS, || async { socket_count(&env, "opened").await == 2 && socket_count(&env, "open").await == 1 && socket_count(&env, "confirmed").await == 2 }).await;
    reported(&events, "open", 1).await;
    room_news_heard(&env, &room, &online, 1).await;
    visitor.stop();
}
