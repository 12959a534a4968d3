//! The real-time machine on a fake clock, with a shell that records what it is asked for. One
//! test (at least) per rule of SPEC §2a, then the frames a server (or anything on the way) may
//! send that are not what the wire says.

use serde_json::{json, Value};

use super::*;

const URL: &str = "https://messagerouter.giosg.com/003/2/router";
const WSS: &str = "wss://messagerouter.giosg.com/003/2/router";
const OTHER_URL: &str = "https://messagerouter.giosg.com/004/1/router";
const OTHER_WSS: &str = "wss://messagerouter.giosg.com/004/1/router";
const CHATS: &str = "/api/v5/public/visitors/v1/chats";
const ROOM: &str = "/api/v5/public/orgs/e6a08f51-c250-4074-847b-58d444dbbeb1/rooms/r1/online_users";
const MESSAGES: &str = "/api/v5/public/visitors/v1/chats/c1/messages";

/// What the machine asked for, in order (the timer apart: see [`Fake::timer`]).
#[derive(Debug, PartialEq, Clone)]
enum Did {
    Open(u32, String),
    /// A `sub` on a socket: its channel, its token and its query id, read back from the frame.
    Sub { socket: u32, channel: String, token: String, query: u64 },
    Close(u32),
    Ask { fresh: bool },
    Emit(String),
    /// Listeners, and the change as `channel action id resource`.
    Deliver(Vec<u32>, String),
    Release(Vec<u32>),
}

struct Fake {
    /// The page's clock (`Date.now()`), which the page may move.
    now: f64,
    /// The monotonic clock: only time passing moves it.
    mono: f64,
    random: f64,
    timer: Option<u32>,
    /// The monotonic clock when the timer was armed.
    armed_at: f64,
    did: Vec<Did>,
}

impl Fake {
    fn new() -> Self {
        Fake { now: 1_700_000_000_000.0, mono: 1000.0, random: 0.5, timer: None, armed_at: 1000.0, did: Vec::new() }
    }

    fn take(&mut self) -> Vec<Did> {
        core::mem::take(&mut self.did)
    }

    /// `ms` of real time pass.
    fn pass(&mut self, ms: f64) {
        self.now += ms;
        self.mono += ms;
    }

    /// Moves the clocks to when the timer is due and fires it.
    fn fire(&mut self, rt: &mut Realtime) {
        let delay = self.timer.expect("the timer is armed");
        self.pass((self.armed_at + f64::from(delay) - self.mono).max(0.0));
        rt.tick(self);
    }
}

/// A `sub` frame read back: exactly `["sub", ["<channel>", "<token>"], {"query": <id>}]`.
fn read_sub(text: &str) -> (String, String, u64) {
    let value: Value = serde_json::from_str(text).expect("a sub is JSON");
    let members = value.as_array().expect("an array");
    assert_eq!(members.len(), 3, "{text}");
    assert_eq!(members[0], "sub", "{text}");
    let args = members[1].as_array().expect("[channel, token]");
    assert_eq!(args.len(), 2, "{text}");
    let options = members[2].as_object().expect("{query}");
    assert_eq!(options.len(), 1, "{text}");
    let (Some(channel), Some(token), Some(query)) = (args[0].as_str(), args[1].as_str(), options["query"].as_u64()) else { panic!("{text}") };
    (channel.to_owned(), token.to_owned(), query)
}

impl Host for Fake {
    type Resource = Value;
    fn now(&self) -> f64 {
        self.now
    }
    fn monotonic(&self) -> f64 {
        self.mono
    }
    fn random(&self) -> f64 {
        self.random
    }
    fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, JsonProblem> {
        serde_json::from_str(text).map_err(|e| if e.is_data() { JsonProblem::Shape } else { JsonProblem::NotJson })
    }
    fn stringify<T: Serialize>(&self, value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }
    fn effect(&mut self, effect: Effect<Value>) {
        let did = match effect {
            Effect::ArmTimer(delay) => {
                self.timer = delay;
                self.armed_at = self.mono;
                return;
            }
            Effect::Open { socket, url } => Did::Open(socket.0, url),
            Effect::Send { socket, frame } => {
                let (channel, token, query) = read_sub(frame.expose());
                Did::Sub { socket: socket.0, channel, token, query }
            }
            Effect::Close { socket } => Did::Close(socket.0),
            Effect::AskSession { fresh } => Did::Ask { fresh },
            Effect::Emit(event) => Did::Emit(event_text(&event)),
            Effect::Deliver { listeners, change } => Did::Deliver(listeners, change_text(&change)),
            Effect::Release { listeners } => Did::Release(listeners),
        };
        self.did.push(did);
    }
}

fn event_text(event: &Event) -> String {
    match event {
        Event::Realtime { state, channels } => format!("realtime {} {channels}", state.name()),
        Event::Resync { channels, since_ms } => format!("resync {channels} since {since_ms}"),
        Event::ChannelRefused { channel, error } => format!("{} {channel}", error.code),
    }
}

fn change_text(change: &Change<Value>) -> String {
    let resource = change.resource.as_ref().map_or("-".to_owned(), Value::to_string);
    format!("{} {} {} {resource}", change.channel, change.action.name(), change.resource_id.as_deref().unwrap_or("-"))
}

fn machine() -> Realtime {
    Realtime::new(Settings { renew_before_ms: 60_000.0, request_timeout_ms: 10_000, backoff: Backoff::SPEC }, Rc::default())
}

/// A session of `visitor` with `token`, fresh now, for `lifetime` seconds.
fn creds(fake: &Fake, visitor: &str, token: &str, url: &str, lifetime: u32) -> Credentials {
    valid_for(fake, visitor, token, url, lifetime, f64::from(lifetime) * 1000.0)
}

/// A session of `lifetime` seconds with `left_ms` of them left.
fn valid_for(fake: &Fake, visitor: &str, token: &str, url: &str, lifetime: u32, left_ms: f64) -> Credentials {
    Credentials { visitor_id: visitor.into(), socket_url: url.into(), token: AccessToken::new(token.into()), expires_at_ms: fake.now + left_ms, expires_in: lifetime }
}

fn t1(fake: &Fake) -> Credentials {
    creds(fake, "v1", "t1", URL, 1800)
}

fn qr(query: u64) -> String {
    json!(["__qr__", [[]], {"query": query}]).to_string()
}

fn refused(query: u64) -> String {
    json!(["__qr__", [[]], {"query": query, "fail": true}]).to_string()
}

fn changed(channel: &str, body: Value) -> String {
    json!(["changed", [channel, body]]).to_string()
}

fn added(channel: &str, id: &str) -> String {
    changed(channel, json!({"action": "added", "resourceId": id, "resource": {"id": id}}))
}

fn sub(socket: u32, channel: &str, token: &str, query: u64) -> Did {
    Did::Sub { socket, channel: channel.into(), token: token.into(), query }
}

fn emit(text: &str) -> Did {
    Did::Emit(text.into())
}

fn delivered(listeners: &[u32], channel: &str, id: &str) -> Did {
    Did::Deliver(listeners.to_vec(), format!("{channel} added {id} {{\"id\":\"{id}\"}}"))
}

fn subs(did: &[Did]) -> Vec<Did> {
    did.iter().filter(|d| matches!(d, Did::Sub { .. })).cloned().collect()
}

fn last_query(did: &[Did]) -> u64 {
    did.iter().rev().find_map(|d| if let Did::Sub { query, .. } = d { Some(*query) } else { None }).expect("a sub was sent")
}

/// A machine with `CHATS` (listener 1) subscribed on socket 1 with token `t1`, and a clean record.
fn subscribed() -> (Realtime, Fake) {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.opened(SocketId(1), &mut fake);
    rt.received(SocketId(1), &qr(1), &mut fake);
    assert!(rt.is_subscribed(CHATS));
    fake.take();
    (rt, fake)
}

/// As [`subscribed`], with `ROOM` (listener 2) subscribed too, as query 2.
fn two_subscribed() -> (Realtime, Fake) {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.received(SocketId(1), &qr(2), &mut fake);
    assert_eq!(rt.subscribed(), 2);
    fake.take();
    (rt, fake)
}

// ---- One socket per visitor, opened by the first subscribe(), closed by the last
// unsubscribe, stop(), forget(); never opened otherwise ----

#[test]
fn the_first_subscribe_asks_for_a_session_then_opens_one_socket_at_wss() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    assert_eq!(fake.take(), [Did::Ask { fresh: false }], "socket_url comes with a session");
    rt.granted(Ok(t1(&fake)), &mut fake);
    assert_eq!(fake.take(), [Did::Open(1, WSS.into()), emit("realtime connecting 0")]);
    // A second channel, before and after the socket opens: the same socket.
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    assert_eq!(fake.take(), []);
    rt.opened(SocketId(1), &mut fake);
    assert_eq!(fake.take(), [sub(1, CHATS, "t1", 1), sub(1, ROOM, "t1", 2), emit("realtime open 0")]);
    rt.subscribe(3, MESSAGES, &mut fake).unwrap();
    assert_eq!(fake.take(), [sub(1, MESSAGES, "t1", 3)]);
    for query in 1..=3 {
        rt.received(SocketId(1), &qr(query), &mut fake);
    }
    assert_eq!(fake.take(), [emit("realtime open 1"), emit("realtime open 2"), emit("realtime open 3")]);
    assert_eq!((rt.state(), rt.subscribed()), (SocketState::Open, 3));
}

#[test]
fn with_a_session_known_the_first_subscribe_opens_at_once_and_http_is_ws() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    let local = "http://127.0.0.1:8080/003/2/router?org=e6a08f51-c250-4074-847b-58d444dbbeb1";
    rt.session(creds(&fake, "v1", "t1", local, 1800), &mut fake);
    assert_eq!(fake.take(), [], "a session alone opens nothing");
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    assert_eq!(fake.take(), [Did::Open(1, "ws://127.0.0.1:8080/003/2/router?org=e6a08f51-c250-4074-847b-58d444dbbeb1".into()), emit("realtime connecting 0")]);
}

#[test]
fn socket_addresses_change_the_scheme_only() {
    assert_eq!(socket_address(URL), WSS);
    assert_eq!(socket_address("HTTPS://Router.example/x?org=1"), "wss://Router.example/x?org=1");
    assert_eq!(socket_address("http://localhost:9/r?org=o"), "ws://localhost:9/r?org=o");
    // A WebSocket URL has no fragment.
    assert_eq!(socket_address("https://r.example/x?a=b#frag"), "wss://r.example/x?a=b");
}

#[test]
fn no_socket_is_opened_without_a_channel() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    rt.granted(Ok(creds(&fake, "v1", "t2", URL, 1800)), &mut fake);
    rt.resumed(&mut fake);
    rt.tick(&mut fake);
    rt.session(creds(&fake, "v2", "t3", OTHER_URL, 1800), &mut fake);
    rt.identity_gone(&mut fake);
    rt.closed(SocketId(1), &mut fake);
    rt.opened(SocketId(1), &mut fake);
    rt.received(SocketId(1), &added(CHATS, "x"), &mut fake);
    rt.unsubscribe(1, &mut fake);
    assert_eq!(fake.take(), []);
    assert_eq!(fake.timer, None);
    // Nor after the last channel went.
    let (mut rt, mut fake) = subscribed();
    rt.unsubscribe(1, &mut fake);
    fake.take();
    rt.resumed(&mut fake);
    rt.session(creds(&fake, "v1", "t2", OTHER_URL, 1800), &mut fake);
    rt.session(creds(&fake, "v2", "t3", URL, 1800), &mut fake);
    assert_eq!(fake.take(), []);
}

#[test]
fn the_last_unsubscribe_closes_the_socket_and_an_unsubscribe_twice_is_harmless() {
    let (mut rt, mut fake) = two_subscribed();
    rt.subscribe(3, CHATS, &mut fake).unwrap();
    assert_eq!(fake.take(), [], "a second listener of a subscribed channel sends nothing");
    rt.received(SocketId(1), &added(CHATS, "a"), &mut fake);
    assert_eq!(fake.take(), [delivered(&[1, 3], CHATS, "a")]);
    rt.unsubscribe(1, &mut fake);
    rt.unsubscribe(1, &mut fake);
    rt.received(SocketId(1), &added(CHATS, "b"), &mut fake);
    assert_eq!(fake.take(), [delivered(&[3], CHATS, "b")]);
    rt.unsubscribe(3, &mut fake);
    assert_eq!(fake.take(), [emit("realtime open 1")], "the channel is dropped; the socket stays for the other");
    // Dropped: its notifications are ignored (the wire has no unsubscribe).
    rt.received(SocketId(1), &added(CHATS, "c"), &mut fake);
    assert_eq!(fake.take(), []);
    rt.unsubscribe(2, &mut fake);
    assert_eq!(fake.take(), [Did::Close(1), emit("realtime closed 0")]);
    rt.unsubscribe(2, &mut fake);
    rt.unsubscribe(99, &mut fake);
    assert_eq!(fake.take(), []);
    assert_eq!(fake.timer, None);
}

#[test]
fn the_last_unsubscribe_while_connecting_or_in_backoff_closes_or_cancels() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    fake.take();
    rt.unsubscribe(1, &mut fake);
    assert_eq!(fake.take(), [Did::Close(1), emit("realtime closed 0")]);
    assert_eq!(fake.timer, None);
    let (mut rt, mut fake) = subscribed();
    rt.closed(SocketId(1), &mut fake);
    assert!(fake.timer.is_some());
    fake.take();
    rt.unsubscribe(1, &mut fake);
    assert_eq!(fake.take(), []);
    assert_eq!(fake.timer, None, "no reopening for nobody");
}

#[test]
fn stop_closes_releases_every_listener_and_refuses_what_comes_after() {
    let (mut rt, mut fake) = two_subscribed();
    rt.subscribe(3, CHATS, &mut fake).unwrap();
    fake.take();
    rt.stop(&mut fake);
    assert_eq!(fake.take(), [Did::Close(1), Did::Release(vec![1, 3, 2])]);
    assert_eq!(fake.timer, None);
    assert_eq!(rt.subscribe(4, CHATS, &mut fake).map_err(|e| e.code), Err(error::Code::Stopped));
    rt.opened(SocketId(1), &mut fake);
    rt.received(SocketId(1), &added(CHATS, "x"), &mut fake);
    rt.closed(SocketId(1), &mut fake);
    rt.tick(&mut fake);
    rt.resumed(&mut fake);
    rt.granted(Ok(t1(&fake)), &mut fake);
    rt.session(creds(&fake, "v2", "t2", OTHER_URL, 1800), &mut fake);
    rt.identity_gone(&mut fake);
    rt.forget(&mut fake);
    rt.unsubscribe(3, &mut fake);
    rt.stop(&mut fake);
    assert_eq!(fake.take(), []);
    assert_eq!(rt.state(), SocketState::Closed);
}

#[test]
fn forget_closes_and_drops_every_channel_until_the_next_subscribe() {
    let (mut rt, mut fake) = two_subscribed();
    rt.forget(&mut fake);
    assert_eq!(fake.take(), [Did::Close(1), Did::Release(vec![1, 2]), emit("realtime closed 0")]);
    assert!(!rt.wants(CHATS) && !rt.wants(ROOM));
    rt.resumed(&mut fake);
    rt.tick(&mut fake);
    rt.closed(SocketId(1), &mut fake);
    assert_eq!(fake.take(), [], "never opened otherwise");
    // The session went with the identity: the next subscribe asks for the next visitor's.
    rt.subscribe(5, CHATS, &mut fake).unwrap();
    assert_eq!(fake.take(), [Did::Ask { fresh: false }]);
    rt.granted(Ok(creds(&fake, "v2", "t9", URL, 1800)), &mut fake);
    rt.opened(SocketId(2), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(2, CHATS, "t9", 3)]);
}

// ---- Every sub carries a token good for renewBeforeSeconds (renewed first), and a query id
// of its own; a channel counts as subscribed once its __qr__ confirms it ----

#[test]
fn a_sub_waits_for_a_token_valid_for_renew_before_seconds() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(valid_for(&fake, "v1", "t1", URL, 1800, 59_999.0), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.opened(SocketId(1), &mut fake);
    assert_eq!(fake.take(), [Did::Open(1, WSS.into()), emit("realtime connecting 0"), Did::Ask { fresh: false }, emit("realtime open 0")]);
    // The lifecycle renews and answers.
    rt.granted(Ok(t1_as(&fake, "t2")), &mut fake);
    assert_eq!(fake.take(), [sub(1, CHATS, "t2", 1)]);
    // A minute and a millisecond left is good; the next channel after time passes is not.
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(valid_for(&fake, "v1", "t1", URL, 1800, 60_000.0), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.opened(SocketId(1), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(1, CHATS, "t1", 1)]);
    fake.pass(1.0);
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    assert_eq!(fake.take(), [Did::Ask { fresh: false }]);
}

fn t1_as(fake: &Fake, token: &str) -> Credentials {
    creds(fake, "v1", token, URL, 1800)
}

#[test]
fn a_token_shorter_lived_than_renew_before_seconds_is_good_for_half_its_lifetime() {
    // 30 s tokens with renewBeforeSeconds 60: what authenticate() hands out, 15 s of validity.
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(valid_for(&fake, "v1", "t1", URL, 30, 15_000.0), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.opened(SocketId(1), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(1, CHATS, "t1", 1)]);
    fake.pass(1.0);
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    assert_eq!(fake.take(), [Did::Ask { fresh: false }]);
}

#[test]
fn a_granted_session_that_is_not_good_for_a_sub_is_asked_for_fresh_then_waited_for() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(valid_for(&fake, "v1", "t1", URL, 1800, 1000.0), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.opened(SocketId(1), &mut fake);
    fake.take();
    rt.granted(Ok(valid_for(&fake, "v1", "t1", URL, 1800, 1000.0)), &mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: true }]);
    rt.granted(Ok(valid_for(&fake, "v1", "t2", URL, 1800, 1000.0)), &mut fake);
    assert_eq!(fake.take(), [], "no ask in a loop");
    // Asked again after the backoff (0.5 of 1 s).
    assert_eq!(fake.timer, Some(500));
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Ask { fresh: false }]);
    rt.granted(Ok(t1_as(&fake, "t3")), &mut fake);
    assert_eq!(fake.take(), [sub(1, CHATS, "t3", 1)]);
}

#[test]
fn a_failed_ask_is_made_again_after_a_backoff_or_at_a_page_resume() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    fake.take();
    for (failures, wait) in [(1, 500), (2, 1000), (3, 2000)] {
        rt.granted(Err(error::network()), &mut fake);
        assert_eq!(fake.take(), [], "{failures}");
        assert_eq!(fake.timer, Some(wait), "{failures}");
        fake.fire(&mut rt);
        assert_eq!(fake.take(), [Did::Ask { fresh: false }], "{failures}");
    }
    rt.granted(Err(error::timeout()), &mut fake);
    fake.take();
    rt.resumed(&mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: false }], "online again: asked now");
    rt.granted(Ok(t1(&fake)), &mut fake);
    assert_eq!(fake.take(), [Did::Open(1, WSS.into()), emit("realtime connecting 0")]);
}

#[test]
fn each_sub_has_a_query_id_of_its_own_and_a_channel_counts_once_its_qr_confirms_it() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    for (listener, channel) in [(1, CHATS), (2, ROOM), (3, MESSAGES)] {
        rt.subscribe(listener, channel, &mut fake).unwrap();
    }
    rt.opened(SocketId(1), &mut fake);
    let sent = subs(&fake.take());
    let mut queries: Vec<u64> = sent.iter().map(|d| if let Did::Sub { query, .. } = d { *query } else { 0 }).collect();
    queries.dedup();
    assert_eq!(queries.len(), 3);
    // Not subscribed before its __qr__: a notification is not delivered.
    rt.received(SocketId(1), &added(ROOM, "early"), &mut fake);
    assert_eq!(fake.take(), []);
    assert!(!rt.is_subscribed(ROOM));
    rt.received(SocketId(1), &qr(2), &mut fake);
    assert_eq!(fake.take(), [emit("realtime open 1")]);
    assert!(rt.is_subscribed(ROOM) && !rt.is_subscribed(CHATS));
    rt.received(SocketId(1), &added(ROOM, "now"), &mut fake);
    rt.received(SocketId(1), &added(CHATS, "not yet"), &mut fake);
    assert_eq!(fake.take(), [delivered(&[2], ROOM, "now")]);
    // Ids go on growing across sockets: never one of a socket before.
    rt.closed(SocketId(1), &mut fake);
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    let again: Vec<u64> = subs(&fake.take()).iter().map(|d| if let Did::Sub { query, .. } = d { *query } else { 0 }).collect();
    assert_eq!(again, [4, 5, 6]);
}

// ---- Closed or failed sockets are reopened with the backoff of §3, at once on a page resume;
// every channel still wanted is subscribed again; then resync ----

#[test]
fn a_closed_socket_is_reopened_with_full_jitter_from_one_second_up_to_a_minute() {
    let (mut rt, mut fake) = subscribed();
    let down_at = fake.now;
    rt.closed(SocketId(1), &mut fake);
    assert_eq!(fake.take(), [emit("realtime closed 0")]);
    // Full jitter at 0.5: half of 1, 2, 4, ... 32 s, then of the 60 s cap.
    let mut socket = 1;
    for wait in [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000] {
        assert_eq!(fake.timer, Some(wait));
        fake.fire(&mut rt);
        socket += 1;
        assert_eq!(fake.take(), [Did::Open(socket, WSS.into()), emit("realtime connecting 0")]);
        rt.closed(SocketId(socket), &mut fake);
        assert_eq!(fake.take(), [emit("realtime closed 0")]);
    }
    // Anywhere in [0, ceiling): the largest pick stays under the cap.
    fake.random = 0.999_999;
    fake.fire(&mut rt);
    rt.closed(SocketId(socket + 1), &mut fake);
    assert!(fake.timer.is_some_and(|t| t > 30_000 && t <= 60_000), "{:?}", fake.timer);
    fake.take();
    fake.fire(&mut rt);
    rt.opened(SocketId(socket + 2), &mut fake);
    assert_eq!(fake.take(), [Did::Open(socket + 2, WSS.into()), emit("realtime connecting 0"), sub(socket + 2, CHATS, "t1", 2), emit("realtime open 0")]);
    rt.received(SocketId(socket + 2), &qr(2), &mut fake);
    assert_eq!(fake.take(), [emit(&format!("resync 1 since {down_at}")), emit("realtime open 1")]);
}

#[test]
fn every_channel_still_wanted_is_subscribed_again_then_one_resync() {
    let (mut rt, mut fake) = two_subscribed();
    rt.subscribe(3, MESSAGES, &mut fake).unwrap();
    fake.take();
    let down_at = fake.now;
    rt.closed(SocketId(1), &mut fake);
    // One was unsubscribed meanwhile: not subscribed again.
    rt.unsubscribe(2, &mut fake);
    fake.fire(&mut rt);
    fake.pass(20.0);
    rt.opened(SocketId(2), &mut fake);
    let sent = subs(&fake.take());
    assert_eq!(sent, [sub(2, CHATS, "t1", 4), sub(2, MESSAGES, "t1", 5)]);
    rt.received(SocketId(2), &qr(4), &mut fake);
    assert_eq!(fake.take(), [emit("realtime open 1")], "no resync before every channel is back");
    rt.received(SocketId(2), &qr(5), &mut fake);
    assert_eq!(fake.take(), [emit(&format!("resync 2 since {down_at}")), emit("realtime open 2")]);
    // Once.
    rt.received(SocketId(2), &qr(5), &mut fake);
    rt.received(SocketId(2), &added(CHATS, "a"), &mut fake);
    assert_eq!(fake.take(), [delivered(&[1], CHATS, "a")]);
}

#[test]
fn resync_names_the_first_loss_however_many_sockets_failed_after_it() {
    let (mut rt, mut fake) = subscribed();
    let down_at = fake.now;
    rt.closed(SocketId(1), &mut fake);
    for socket in 2..=4 {
        fake.fire(&mut rt);
        rt.opened(SocketId(socket), &mut fake);
        rt.closed(SocketId(socket), &mut fake);
    }
    fake.fire(&mut rt);
    rt.opened(SocketId(5), &mut fake);
    let query = last_query(&fake.take());
    rt.received(SocketId(5), &qr(query), &mut fake);
    assert_eq!(fake.take(), [emit(&format!("resync 1 since {down_at}")), emit("realtime open 1")]);
}

#[test]
fn a_first_socket_that_fails_before_any_subscription_is_no_resync() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.closed(SocketId(1), &mut fake);
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    rt.received(SocketId(2), &qr(1), &mut fake);
    assert!(!fake.take().iter().any(|d| matches!(d, Did::Emit(e) if e.starts_with("resync"))));
}

#[test]
fn a_page_resume_reopens_a_closed_socket_within_a_second() {
    let (mut rt, mut fake) = subscribed();
    rt.closed(SocketId(1), &mut fake);
    for socket in 2..=6 {
        fake.fire(&mut rt);
        rt.closed(SocketId(socket), &mut fake);
    }
    assert_eq!(fake.timer, Some(16_000));
    fake.take();
    for event in 0..3 {
        // `online`, `visibilitychange` to visible, `pageshow`: each the same input.
        fake.random = 0.3;
        rt.resumed(&mut fake);
        assert_eq!(fake.timer, Some(300), "{event}");
    }
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Open(7, WSS.into()), emit("realtime connecting 0")]);
    // A backoff shorter than the jitter stays as short.
    rt.closed(SocketId(7), &mut fake);
    fake.random = 0.01;
    rt.resumed(&mut fake);
    fake.random = 0.99;
    rt.resumed(&mut fake);
    assert!(fake.timer.is_some_and(|t| t <= 10));
}

// ---- A socket that stops answering is replaced: no __qr__ within requestTimeoutMs to a sub,
// also one sent as a probe on page resume ----

#[test]
fn a_page_resume_probes_an_open_socket_with_a_sub_and_keeps_it_when_answered() {
    let (mut rt, mut fake) = two_subscribed();
    rt.resumed(&mut fake);
    assert_eq!(fake.take(), [sub(1, CHATS, "t1", 3)]);
    assert_eq!(fake.timer, Some(10_000));
    // A second resume while the probe is out sends no second one.
    rt.resumed(&mut fake);
    assert_eq!(fake.take(), []);
    fake.pass(9_999.0);
    rt.received(SocketId(1), &qr(3), &mut fake);
    assert_eq!(fake.take(), [], "alive: nothing changes, no resync");
    assert_eq!(fake.timer, None);
    assert_eq!(rt.subscribed(), 2);
    // Still subscribed while the probe was out.
    rt.resumed(&mut fake);
    rt.received(SocketId(1), &added(ROOM, "a"), &mut fake);
    assert_eq!(fake.take(), [sub(1, CHATS, "t1", 4), delivered(&[2], ROOM, "a")]);
}

#[test]
fn a_probe_without_an_answer_replaces_the_socket_within_a_second() {
    let (mut rt, mut fake) = subscribed();
    rt.resumed(&mut fake);
    fake.take();
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Close(1), emit("realtime closed 0")]);
    // The socket was healthy until then: the first step of the backoff.
    assert_eq!(fake.timer, Some(500));
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(2, CHATS, "t1", 3)]);
    // The old socket's late answer and close are nothing.
    rt.received(SocketId(1), &qr(2), &mut fake);
    rt.closed(SocketId(1), &mut fake);
    assert_eq!(fake.take(), []);
}

#[test]
fn a_probe_waits_for_a_token_good_for_a_sub() {
    let (mut rt, mut fake) = subscribed();
    fake.pass(1_800_000.0 - 60_000.0 + 1.0);
    rt.resumed(&mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: false }]);
    rt.granted(Ok(t1_as(&fake, "t2")), &mut fake);
    assert_eq!(fake.take(), [sub(1, CHATS, "t2", 2)]);
}

#[test]
fn a_resume_with_nothing_subscribed_yet_sends_no_probe() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.resumed(&mut fake);
    rt.opened(SocketId(1), &mut fake);
    rt.resumed(&mut fake);
    assert_eq!(subs(&fake.take()), [sub(1, CHATS, "t1", 1)], "the sub out is the probe");
}

#[test]
fn a_sub_without_an_answer_within_the_request_timeout_replaces_the_socket() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    fake.take();
    assert_eq!(fake.timer, Some(10_000));
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Close(1), emit("realtime closed 0")]);
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(2, CHATS, "t1", 3), sub(2, ROOM, "t1", 4)]);
    // A silent server: the backoff grows.
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Close(2), emit("realtime closed 0")]);
    assert_eq!(fake.timer, Some(1000));
}

#[test]
fn a_socket_that_does_not_open_within_the_request_timeout_is_replaced() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    fake.take();
    assert_eq!(fake.timer, Some(10_000));
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Close(1), emit("realtime closed 0")]);
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Open(2, WSS.into()), emit("realtime connecting 0")]);
    // It opening late is nothing.
    rt.opened(SocketId(1), &mut fake);
    assert_eq!(fake.take(), []);
}

// ---- A subscription is authorized when it is made: a renewal does not touch the socket; a
// server that closes the socket at token expiry is answered by reopening with the fresh token ----

#[test]
fn a_renewal_does_not_touch_the_socket_and_the_next_sub_carries_the_new_token() {
    let (mut rt, mut fake) = subscribed();
    fake.pass(1_700_000.0);
    rt.session(t1_as(&fake, "t2"), &mut fake);
    rt.granted(Ok(t1_as(&fake, "t3")), &mut fake);
    assert_eq!(fake.take(), []);
    rt.received(SocketId(1), &added(CHATS, "a"), &mut fake);
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    assert_eq!(fake.take(), [delivered(&[1], CHATS, "a"), sub(1, ROOM, "t3", 2)]);
}

#[test]
fn a_server_closing_the_socket_at_token_expiry_is_answered_by_reopening_with_the_fresh_token() {
    let (mut rt, mut fake) = subscribed();
    // The lifecycle renewed before expiry; at t1's expiry the server ends its subscriptions.
    fake.pass(1_700_000.0);
    rt.session(t1_as(&fake, "t2"), &mut fake);
    fake.pass(100_000.0);
    rt.closed(SocketId(1), &mut fake);
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(2, CHATS, "t2", 2)]);
    // Without a renewal heard of (the page slept), the token is renewed first.
    let (mut rt, mut fake) = subscribed();
    fake.pass(1_800_000.0);
    rt.closed(SocketId(1), &mut fake);
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    assert_eq!(fake.take(), [emit("realtime closed 0"), Did::Open(2, WSS.into()), emit("realtime connecting 0"), Did::Ask { fresh: false }, emit("realtime open 0")]);
    rt.granted(Ok(t1_as(&fake, "t2")), &mut fake);
    assert_eq!(fake.take(), [sub(2, CHATS, "t2", 2)]);
}

#[test]
fn a_clock_moved_back_makes_no_old_token_good_for_a_sub() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(creds(&fake, "v1", "t1", URL, 120), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    fake.take();
    // An hour back on the page's clock, then 61 s pass: 59 s of the token are left.
    fake.now -= 3_600_000.0;
    fake.pass(61_000.0);
    rt.opened(SocketId(1), &mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: false }, emit("realtime open 0")]);
}

// ---- "fail": true: renewed once and subscribed again; a second refusal ends the channel ----

#[test]
fn a_refused_channel_is_subscribed_again_with_a_fresh_token_and_ends_at_the_second_refusal() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.subscribe(3, ROOM, &mut fake).unwrap();
    fake.take();
    rt.received(SocketId(1), &refused(2), &mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: true }]);
    assert!(rt.wants(ROOM) && !rt.is_subscribed(ROOM));
    rt.granted(Ok(t1_as(&fake, "t2")), &mut fake);
    assert_eq!(fake.take(), [sub(1, ROOM, "t2", 3)]);
    rt.received(SocketId(1), &refused(3), &mut fake);
    let error = error::channel_refused(ROOM);
    assert_eq!(fake.take(), [emit(&format!("channel_refused {ROOM}")), Did::Release(vec![2, 3])]);
    assert!(error.message.contains(ROOM) && !error.message.contains("t2"));
    assert!(!rt.wants(ROOM));
    // The other channel and the socket go on; the ended one hears nothing.
    rt.received(SocketId(1), &added(ROOM, "x"), &mut fake);
    rt.received(SocketId(1), &added(CHATS, "y"), &mut fake);
    assert_eq!(fake.take(), [delivered(&[1], CHATS, "y")]);
    assert_eq!(rt.state(), SocketState::Open);
    // Its listeners' unsubscribe is harmless; a new subscribe starts it over.
    rt.unsubscribe(2, &mut fake);
    rt.subscribe(4, ROOM, &mut fake).unwrap();
    assert_eq!(fake.take(), [sub(1, ROOM, "t2", 4)]);
}

#[test]
fn the_last_channel_refused_closes_the_socket() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.unsubscribe(1, &mut fake);
    fake.take();
    rt.received(SocketId(1), &refused(2), &mut fake);
    rt.granted(Ok(t1_as(&fake, "t2")), &mut fake);
    rt.received(SocketId(1), &refused(3), &mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: true }, sub(1, ROOM, "t2", 3), emit(&format!("channel_refused {ROOM}")), Did::Release(vec![2]), Did::Close(1), emit("realtime closed 0")]);
    assert_eq!(fake.timer, None);
}

#[test]
fn a_channel_confirmed_after_a_refusal_counts_refusals_from_none_again() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.received(SocketId(1), &refused(2), &mut fake);
    rt.granted(Ok(t1_as(&fake, "t2")), &mut fake);
    rt.received(SocketId(1), &qr(3), &mut fake);
    assert!(rt.is_subscribed(ROOM));
    // Lost and refused again later: a first refusal, not a second.
    rt.closed(SocketId(1), &mut fake);
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    fake.take();
    rt.received(SocketId(2), &refused(5), &mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: true }]);
}

#[test]
fn a_renewal_heard_while_the_refused_sub_was_out_is_the_renewal() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.session(t1_as(&fake, "t2"), &mut fake);
    fake.take();
    rt.received(SocketId(1), &refused(2), &mut fake);
    assert_eq!(fake.take(), [sub(1, ROOM, "t2", 3)], "refused with t1, sent again with t2 at once");
    rt.received(SocketId(1), &refused(3), &mut fake);
    assert_eq!(fake.take(), [emit(&format!("channel_refused {ROOM}")), Did::Release(vec![2])]);
}

#[test]
fn a_fresh_ask_that_brings_back_the_refused_token_still_subscribes_again_once() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.received(SocketId(1), &refused(2), &mut fake);
    fake.take();
    // A server that hands out the same token again: the channel goes again with it, once.
    rt.granted(Ok(t1(&fake)), &mut fake);
    assert_eq!(fake.take(), [sub(1, ROOM, "t1", 3)]);
    rt.received(SocketId(1), &refused(3), &mut fake);
    assert_eq!(fake.take(), [emit(&format!("channel_refused {ROOM}")), Did::Release(vec![2])]);
}

#[test]
fn a_refusal_while_the_ask_for_a_session_fails_waits_and_asks_again() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.received(SocketId(1), &refused(2), &mut fake);
    fake.take();
    rt.granted(Err(error::network()), &mut fake);
    assert_eq!(fake.take(), []);
    assert_eq!(fake.timer, Some(500));
    fake.fire(&mut rt);
    assert_eq!(fake.take(), [Did::Ask { fresh: true }]);
}

// ---- A reset identity subscribes again with its new token; a new socket_url moves the socket ----

#[test]
fn a_reset_identity_subscribes_again_on_a_new_socket_with_its_new_token() {
    let (mut rt, mut fake) = two_subscribed();
    // The last visitor's refusals count no more.
    rt.subscribe(3, MESSAGES, &mut fake).unwrap();
    rt.received(SocketId(1), &refused(3), &mut fake);
    fake.take();
    let down_at = fake.now;
    // The fresh session asked for is another visitor's (the lifecycle found the secret refused
    // and reset it).
    rt.granted(Ok(creds(&fake, "v2", "u1", URL, 1800)), &mut fake);
    assert_eq!(fake.take(), [Did::Close(1), Did::Open(2, WSS.into()), emit("realtime connecting 0")]);
    rt.opened(SocketId(2), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(2, CHATS, "u1", 4), sub(2, ROOM, "u1", 5), sub(2, MESSAGES, "u1", 6)]);
    rt.received(SocketId(2), &refused(6), &mut fake);
    assert_eq!(fake.take(), [Did::Ask { fresh: true }], "a first refusal for the new visitor");
    rt.received(SocketId(2), &qr(4), &mut fake);
    rt.received(SocketId(2), &qr(5), &mut fake);
    rt.granted(Ok(creds(&fake, "v2", "u2", URL, 1800)), &mut fake);
    rt.received(SocketId(2), &qr(7), &mut fake);
    assert_eq!(fake.take(), [emit("realtime open 1"), emit("realtime open 2"), sub(2, MESSAGES, "u2", 7), emit(&format!("resync 3 since {down_at}")), emit("realtime open 3")]);
}

#[test]
fn a_new_socket_url_moves_the_socket() {
    let (mut rt, mut fake) = subscribed();
    let down_at = fake.now;
    rt.session(creds(&fake, "v1", "t2", OTHER_URL, 1800), &mut fake);
    assert_eq!(fake.take(), [Did::Close(1), Did::Open(2, OTHER_WSS.into()), emit("realtime connecting 0")]);
    rt.opened(SocketId(2), &mut fake);
    rt.received(SocketId(2), &qr(2), &mut fake);
    assert_eq!(fake.take(), [sub(2, CHATS, "t2", 2), emit("realtime open 0"), emit(&format!("resync 1 since {down_at}")), emit("realtime open 1")]);
    // While connecting, and in backoff: there at once.
    rt.session(creds(&fake, "v1", "t3", URL, 1800), &mut fake);
    rt.session(creds(&fake, "v1", "t4", OTHER_URL, 1800), &mut fake);
    assert_eq!(fake.take(), [Did::Close(2), Did::Open(3, WSS.into()), emit("realtime connecting 0"), Did::Close(3), Did::Open(4, OTHER_WSS.into())]);
    rt.closed(SocketId(4), &mut fake);
    fake.take();
    rt.session(creds(&fake, "v1", "t5", URL, 1800), &mut fake);
    assert_eq!(fake.take(), [Did::Open(5, WSS.into()), emit("realtime connecting 0")]);
}

#[test]
fn another_tab_letting_the_identity_go_closes_the_socket_until_the_next_identity() {
    let (mut rt, mut fake) = subscribed();
    rt.identity_gone(&mut fake);
    assert_eq!(fake.take(), [Did::Close(1), emit("realtime closed 0")]);
    // Asking would make a visitor: nothing is asked for, nothing opened.
    rt.resumed(&mut fake);
    rt.tick(&mut fake);
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    assert_eq!(fake.take(), []);
    assert!(rt.wants(CHATS));
    rt.session(creds(&fake, "v2", "u1", URL, 1800), &mut fake);
    rt.opened(SocketId(2), &mut fake);
    assert_eq!(subs(&fake.take()), [sub(2, CHATS, "u1", 2), sub(2, ROOM, "u1", 3)]);
}

// ---- Both spellings of the resource id; what is ignored ----

#[test]
fn both_spellings_of_the_resource_id_are_read() {
    let (mut rt, mut fake) = subscribed();
    let bodies = [
        json!({"action": "added", "resourceId": "a", "resource": {"id": "a"}}),
        json!({"channel": CHATS, "action": "changed", "resource_id": "b", "resource": {"x": 1}}),
        json!({"action": "removed", "resourceId": "c"}),
        json!({"action": "removed", "resource_id": 42, "resource": null}),
        json!({"action": "changed", "resourceId": "d", "resource_id": "e", "resource": {}}),
        json!({"action": "added", "resource": {"id": null}}),
        json!({"action": "removed", "resourceId": 1.5, "extra": [1, 2]}),
    ];
    for body in bodies {
        rt.received(SocketId(1), &changed(CHATS, body), &mut fake);
    }
    let got: Vec<String> = fake.take().into_iter().map(|d| if let Did::Deliver(_, text) = d { text } else { format!("{d:?}") }).collect();
    assert_eq!(
        got,
        [
            format!("{CHATS} added a {{\"id\":\"a\"}}"),
            format!("{CHATS} changed b {{\"x\":1}}"),
            format!("{CHATS} removed c -"),
            format!("{CHATS} removed 42 -"),
            format!("{CHATS} changed d {{}}"),
            format!("{CHATS} added - {{\"id\":null}}"),
            format!("{CHATS} removed - -"),
        ]
    );
}

#[test]
fn garbage_frames_are_ignored_and_change_nothing() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    fake.take();
    let garbage = [
        String::new(),
        "not json".into(),
        "[\"__qr__\", [[]], {\"query\": 2}".into(),
        "{}".into(),
        "null".into(),
        "42".into(),
        "\"__qr__\"".into(),
        "[]".into(),
        "[1, 2, 3]".into(),
        "[null]".into(),
        "[[\"__qr__\"]]".into(),
        json!(["__qr__"]).to_string(),
        json!(["__qr__", [[]]]).to_string(),
        json!(["__qr__", [[]], 2]).to_string(),
        json!(["__qr__", [[]], [2]]).to_string(),
        json!(["__qr__", [[]], {}]).to_string(),
        json!(["__qr__", [[]], {"query": "2"}]).to_string(),
        json!(["__qr__", [[]], {"query": null}]).to_string(),
        json!(["__qr__", [[]], {"query": -2}]).to_string(),
        json!(["__qr__", [[]], {"query": 2.5}]).to_string(),
        json!(["__qr__", [[]], {"query": 4_294_967_298u64}]).to_string(),
        json!(["__qr__", [[]], {"query": [2]}]).to_string(),
        json!(["__QR__", [[]], {"query": 2}]).to_string(),
        json!(["sub", [ROOM, "t1"], {"query": 2}]).to_string(),
        json!(["hello", "world"]).to_string(),
        json!([{"changed": 1}]).to_string(),
        json!(["changed"]).to_string(),
        json!(["changed", CHATS]).to_string(),
        json!(["changed", [CHATS]]).to_string(),
        json!(["changed", [5, {"action": "added"}]]).to_string(),
        json!(["changed", [CHATS, 5]]).to_string(),
        json!(["changed", [CHATS, [1]]]).to_string(),
        json!(["changed", [CHATS, {}]]).to_string(),
        json!(["changed", [CHATS, {"action": "exploded", "resourceId": "x"}]]).to_string(),
        json!(["changed", [CHATS, {"action": 5}]]).to_string(),
        json!(["changed", [CHATS, {"action": "ADDED"}]]).to_string(),
        json!(["changed", [CHATS, {"action": "added"}, "more"]]).to_string(),
        json!(["changed", [format!("{CHATS}/"), {"action": "added"}]]).to_string(),
        json!(["changed", ["/api/v5/public/visitors/v1/chats/c9/messages", {"action": "added"}]]).to_string(),
        // ROOM's sub is out, not confirmed: nothing of it is delivered yet.
        json!(["changed", [ROOM, {"action": "added", "resourceId": "early"}]]).to_string(),
    ];
    for text in &garbage {
        rt.received(SocketId(1), text, &mut fake);
        assert_eq!(fake.take(), [], "{text}");
    }
    assert_eq!((rt.state(), rt.subscribed()), (SocketState::Open, 1));
    // A member named twice counts as the last, as `JSON.parse` (the browser's) keeps it.
    rt.received(SocketId(1), "[\"changed\", [\"/api/v5/public/visitors/v1/chats\", {\"action\": \"added\", \"action\": \"removed\"}]]", &mut fake);
    assert_eq!(fake.take(), [Did::Deliver(vec![1], format!("{CHATS} removed - -"))]);
    // Extra members of a well-formed message are nothing to it.
    rt.received(SocketId(1), &json!(["__qr__", [[]], {"query": 2, "other": {}}, "trailing"]).to_string(), &mut fake);
    rt.received(SocketId(1), &json!(["changed", [CHATS, {"action": "added", "resourceId": "z"}], {"extra": 1}]).to_string(), &mut fake);
    assert_eq!(fake.take(), [emit("realtime open 2"), Did::Deliver(vec![1], format!("{CHATS} added z -"))]);
}

#[test]
fn fail_counts_only_when_it_is_true() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    for (listener, channel) in [(1, CHATS), (2, ROOM), (3, MESSAGES)] {
        rt.subscribe(listener, channel, &mut fake).unwrap();
    }
    rt.opened(SocketId(1), &mut fake);
    fake.take();
    rt.received(SocketId(1), &json!(["__qr__", [[]], {"query": 1, "fail": false}]).to_string(), &mut fake);
    rt.received(SocketId(1), &json!(["__qr__", [[]], {"query": 2, "fail": "yes"}]).to_string(), &mut fake);
    rt.received(SocketId(1), &json!(["__qr__", [[]], {"query": 3, "fail": {"why": [1]}}]).to_string(), &mut fake);
    assert_eq!(rt.subscribed(), 3);
}

#[test]
fn a_qr_for_a_query_never_sent_or_answered_already_is_ignored() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    fake.take();
    for query in [0, 3, 77, u64::from(u32::MAX)] {
        rt.received(SocketId(1), &qr(query), &mut fake);
        rt.received(SocketId(1), &refused(query), &mut fake);
    }
    // Query 1 was CHATS's, answered already: a refusal of it now is nothing.
    rt.received(SocketId(1), &refused(1), &mut fake);
    assert_eq!(fake.take(), []);
    assert!(rt.is_subscribed(CHATS) && !rt.is_subscribed(ROOM));
}

#[test]
fn an_answer_to_the_sub_of_a_channel_unsubscribed_meanwhile_is_ignored() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.unsubscribe(2, &mut fake);
    fake.take();
    rt.received(SocketId(1), &qr(2), &mut fake);
    rt.received(SocketId(1), &added(ROOM, "x"), &mut fake);
    assert_eq!(fake.take(), []);
    assert_eq!(fake.timer, None, "its deadline went with it");
    // Subscribed again: a new query, and only its answer counts.
    rt.subscribe(3, ROOM, &mut fake).unwrap();
    rt.received(SocketId(1), &qr(2), &mut fake);
    assert_eq!(fake.take(), [sub(1, ROOM, "t1", 3)]);
    rt.received(SocketId(1), &qr(3), &mut fake);
    assert!(rt.is_subscribed(ROOM));
}

#[test]
fn frames_over_one_mebibyte_are_ignored_and_up_to_it_read() {
    let (mut rt, mut fake) = subscribed();
    let frame_of = |len: usize| {
        let bare = changed(CHATS, json!({"action": "added", "resourceId": "big", "resource": {"pad": ""}}));
        changed(CHATS, json!({"action": "added", "resourceId": "big", "resource": {"pad": "x".repeat(len - bare.len())}}))
    };
    let (limit, over) = (frame_of(MAX_FRAME_BYTES), frame_of(MAX_FRAME_BYTES + 1));
    assert_eq!((limit.len(), over.len()), (1_048_576, 1_048_577));
    rt.received(SocketId(1), &over, &mut fake);
    assert_eq!(fake.take(), []);
    rt.received(SocketId(1), &limit, &mut fake);
    assert!(matches!(&fake.take()[..], [Did::Deliver(listeners, text)] if listeners == &[1] && text.starts_with(&format!("{CHATS} added big "))));
    // An answer padded past the limit is lost too: the sub's deadline replaces the socket.
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    let padded = json!(["__qr__", [[]], {"query": 2, "pad": "x".repeat(MAX_FRAME_BYTES)}]).to_string();
    rt.received(SocketId(1), &padded, &mut fake);
    assert!(!rt.is_subscribed(ROOM));
}

#[test]
fn frames_and_reports_of_a_socket_let_go_are_ignored() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.session(creds(&fake, "v1", "t2", OTHER_URL, 1800), &mut fake);
    fake.take();
    for socket in [SocketId(1), SocketId(7)] {
        rt.received(socket, &qr(2), &mut fake);
        rt.received(socket, &added(CHATS, "old"), &mut fake);
        rt.opened(socket, &mut fake);
        rt.closed(socket, &mut fake);
    }
    assert_eq!(fake.take(), []);
    assert_eq!(rt.state(), SocketState::Connecting);
    // Nor does the socket connecting hear anything before it opens.
    rt.received(SocketId(2), &added(CHATS, "early"), &mut fake);
    assert_eq!(fake.take(), []);
}

#[test]
fn after_a_loss_a_channel_hears_nothing_until_its_new_qr() {
    let (mut rt, mut fake) = subscribed();
    rt.closed(SocketId(1), &mut fake);
    assert!(!rt.is_subscribed(CHATS));
    fake.fire(&mut rt);
    rt.opened(SocketId(2), &mut fake);
    fake.take();
    rt.received(SocketId(2), &added(CHATS, "missed"), &mut fake);
    assert_eq!(fake.take(), []);
    rt.received(SocketId(2), &qr(2), &mut fake);
    rt.received(SocketId(2), &added(CHATS, "heard"), &mut fake);
    assert_eq!(fake.take().last(), Some(&delivered(&[1], CHATS, "heard")));
}

// ---- Channels ----

#[test]
fn channels_are_api_paths_or_invalid_channel() {
    for good in [CHATS, ROOM, MESSAGES, "/x", "/api/v5/public/visitors/v1/chats_memberships", "/a/é/b"] {
        assert_eq!(check_channel(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        "/",
        "api/v5/public/visitors/v1/chats",
        "/api/v5/public/visitors/v1/chats/",
        "/api/v5/public/visitors/v1/chats?page=2",
        "/api/v5/public/visitors/v1/chats?",
        "/api/v5/public/visitors/v1/chats#top",
        "https://service.giosg.com/api/v5/public/visitors/v1/chats",
        "//service.giosg.com/api/v5/public/visitors/v1/chats",
        "/api//visitors",
        "/api/\\/visitors",
        "/\\evil.example/chats",
        "/api/v5 /chats",
        "/api/v5/\n/chats",
        "/api/v5/\t",
        "/api/\u{7f}",
        "/api/\u{FFFD}",
    ] {
        let refused = check_channel(bad).map_err(|e| e.code);
        assert_eq!(refused, Err(error::Code::InvalidChannel), "{bad:?}");
    }
    let (mut rt, mut fake) = (machine(), Fake::new());
    assert_eq!(rt.subscribe(1, "/api/v5/x/", &mut fake).map_err(|e| e.code), Err(error::Code::InvalidChannel));
    assert_eq!(fake.take(), [], "nothing is asked for an invalid channel");
    assert!(!rt.wants("/api/v5/x/"));
}

#[test]
fn a_listener_number_used_again_moves_to_the_new_channel() {
    let (mut rt, mut fake) = subscribed();
    rt.subscribe(1, ROOM, &mut fake).unwrap();
    assert!(!rt.wants(CHATS) && rt.wants(ROOM));
    assert_eq!(fake.take(), [sub(1, ROOM, "t1", 2), emit("realtime open 0")]);
}

// ---- The realtime event, and what is never printed ----

#[test]
fn the_realtime_event_reports_each_change_of_state_or_count_once() {
    let (mut rt, mut fake) = (machine(), Fake::new());
    rt.session(t1(&fake), &mut fake);
    rt.subscribe(1, CHATS, &mut fake).unwrap();
    rt.subscribe(2, ROOM, &mut fake).unwrap();
    rt.opened(SocketId(1), &mut fake);
    rt.received(SocketId(1), &qr(1), &mut fake);
    rt.received(SocketId(1), &qr(2), &mut fake);
    rt.unsubscribe(2, &mut fake);
    rt.closed(SocketId(1), &mut fake);
    fake.fire(&mut rt);
    let events: Vec<Did> = fake.take().into_iter().filter(|d| matches!(d, Did::Emit(_))).collect();
    assert_eq!(
        events,
        ["realtime connecting 0", "realtime open 0", "realtime open 1", "realtime open 2", "realtime open 1", "realtime closed 0", "realtime connecting 0"].map(emit)
    );
}

#[test]
fn nothing_printed_holds_a_token() {
    let token = "eyJhbGciOiJIUzI1NiJ9.e30.do-not-print";
    let mut printed = Vec::new();
    struct Keeper(Fake, Vec<String>);
    impl Host for Keeper {
        type Resource = Value;
        fn now(&self) -> f64 {
            self.0.now()
        }
        fn monotonic(&self) -> f64 {
            self.0.monotonic()
        }
        fn random(&self) -> f64 {
            self.0.random()
        }
        fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, JsonProblem> {
            self.0.parse(text)
        }
        fn stringify<T: Serialize>(&self, value: &T) -> String {
            self.0.stringify(value)
        }
        fn effect(&mut self, effect: Effect<Value>) {
            self.1.push(format!("{effect:?}"));
            if let Effect::Send { frame, .. } = &effect {
                self.1.push(format!("{frame}"));
            }
        }
    }
    let mut keeper = Keeper(Fake::new(), Vec::new());
    let mut rt = machine();
    let credentials = creds(&keeper.0, "v1", token, URL, 1800);
    printed.push(format!("{credentials:?}"));
    rt.session(credentials, &mut keeper);
    rt.subscribe(1, CHATS, &mut keeper).unwrap();
    rt.opened(SocketId(1), &mut keeper);
    rt.received(SocketId(1), &refused(1), &mut keeper);
    rt.granted(Ok(creds(&keeper.0, "v1", token, URL, 1800)), &mut keeper);
    rt.received(SocketId(1), &refused(2), &mut keeper);
    printed.extend(keeper.1);
    assert!(printed.iter().any(|p| p.contains("Send")) && printed.iter().any(|p| p.contains("ChannelRefused")), "{printed:?}");
    for text in &printed {
        assert!(!text.contains("eyJ"), "{text}");
    }
}

mod chaos {
    //! Seeded episodes of everything that can happen to the machine at once: the page subscribing
    //! and unsubscribing (and trying what is not a channel), sockets that open, fail, hang or
    //! close, `sub`s answered, refused or never, notifications of any channel and garbage, sessions
    //! granted, refused, renewed, moved, of another visitor, the identity gone, `forget()`, page
    //! resumes, time passing and the page's clock moved, `stop()`. After each input the machine's
    //! effects are checked against what a page and a server can see:
    //! - a change reaches only listeners subscribed to its channel (and not unsubscribed or
    //!   released since), for a channel the machine has confirmed;
    //! - a `sub` goes only on a socket that opened and was not closed, with a token of a session
    //!   it was told, valid for the renewal lead at that moment;
    //! - at most one socket is opening or open; none when no channel is wanted;
    //! - after `stop()`, nothing at all.
    //!
    //! `CHAOS_SEED=<seed>` replays one episode: `cargo test -p giosg-visitor --lib realtime::tests::chaos`.

    use std::collections::{BTreeMap, BTreeSet};

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    const CHANNELS: [&str; 3] = [CHATS, ROOM, MESSAGES];
    const EPISODES: u64 = 300;
    const STEPS: usize = 300;

    /// What the test knows of the world the machine lives in.
    struct World {
        fake: Fake,
        rt: Realtime,
        rng: StdRng,
        /// The page's listeners, and their channels.
        listeners: BTreeMap<u32, &'static str>,
        next_listener: u32,
        /// Sockets asked for and not closed by either side: opened (true) or not yet (false).
        sockets: BTreeMap<u32, bool>,
        /// `sub`s out and not answered: query → (socket, channel).
        subs_out: BTreeMap<u64, (u32, String)>,
        /// Tokens of the sessions the machine was told, with their expiry and lifetime.
        tokens: BTreeMap<String, (f64, u32)>,
        sessions: u32,
        visitor: u32,
        url: &'static str,
        asked: bool,
        stopped: bool,
        trace: Vec<String>,
    }

    impl World {
        fn new(seed: u64) -> Self {
            World {
                fake: Fake::new(),
                rt: machine(),
                rng: StdRng::seed_from_u64(seed),
                listeners: BTreeMap::new(),
                next_listener: 0,
                sockets: BTreeMap::new(),
                subs_out: BTreeMap::new(),
                tokens: BTreeMap::new(),
                sessions: 0,
                visitor: 1,
                url: URL,
                asked: false,
                stopped: false,
                trace: Vec::new(),
            }
        }

        /// A new session of the current visitor: a fresh token, of a random lifetime.
        fn session(&mut self) -> Credentials {
            self.sessions += 1;
            let token = format!("t{}", self.sessions);
            let lifetime = *[4u32, 60, 1800].get(self.rng.random_range(0..3)).unwrap_or(&1800);
            let credentials = creds(&self.fake, &format!("v{}", self.visitor), &token, self.url, lifetime);
            self.tokens.insert(token, (credentials.expires_at_ms, lifetime));
            credentials
        }

        fn step(&mut self) {
            let roll = self.rng.random_range(0..100);
            let now_open: Vec<u32> = self.sockets.iter().filter(|(_, open)| **open).map(|(id, _)| *id).collect();
            let pending: Vec<u32> = self.sockets.iter().filter(|(_, open)| !**open).map(|(id, _)| *id).collect();
            match roll {
                0..=11 => {
                    let channel = CHANNELS[self.rng.random_range(0..CHANNELS.len())];
                    self.next_listener += 1;
                    let listener = self.next_listener;
                    self.trace.push(format!("subscribe {listener} {channel}"));
                    if self.rt.subscribe(listener, channel, &mut self.fake).is_ok() {
                        self.listeners.insert(listener, channel);
                    }
                }
                12..=13 => {
                    self.trace.push("subscribe what is not a channel".into());
                    assert!(self.rt.subscribe(999_999, "chats/", &mut self.fake).is_err());
                }
                14..=19 => {
                    let Some(&listener) = self.listeners.keys().nth(self.rng.random_range(0..self.listeners.len().max(1))) else { return };
                    self.trace.push(format!("unsubscribe {listener}"));
                    self.listeners.remove(&listener);
                    self.rt.unsubscribe(listener, &mut self.fake);
                }
                20..=31 if !pending.is_empty() => {
                    let socket = pending[self.rng.random_range(0..pending.len())];
                    if self.rng.random_bool(0.8) {
                        self.trace.push(format!("socket {socket} opens"));
                        self.sockets.insert(socket, true);
                        self.rt.opened(SocketId(socket), &mut self.fake);
                    } else {
                        self.trace.push(format!("socket {socket} fails"));
                        self.sockets.remove(&socket);
                        self.rt.closed(SocketId(socket), &mut self.fake);
                    }
                }
                32..=51 if !self.subs_out.is_empty() => {
                    let at = self.rng.random_range(0..self.subs_out.len());
                    let Some((query, socket)) = self.subs_out.iter().nth(at).map(|(q, (s, _))| (*q, *s)) else { return };
                    self.subs_out.remove(&query);
                    let frame = if self.rng.random_bool(0.8) { qr(query) } else { refused(query) };
                    self.trace.push(format!("socket {socket}: {frame}"));
                    self.rt.received(SocketId(socket), &frame, &mut self.fake);
                }
                52..=63 if !now_open.is_empty() => {
                    let socket = now_open[self.rng.random_range(0..now_open.len())];
                    // Mostly a channel some listener wants: the others' are ignored.
                    let wanted: Vec<&'static str> = self.listeners.values().copied().collect();
                    let channel = if !wanted.is_empty() && self.rng.random_bool(0.8) { wanted[self.rng.random_range(0..wanted.len())] } else { CHANNELS[self.rng.random_range(0..CHANNELS.len())] };
                    let frame = match self.rng.random_range(0..6) {
                        0 => "not json".to_owned(),
                        1 => json!(["changed", [channel, {"action": "exploded"}]]).to_string(),
                        2 => changed(channel, json!({"action": "removed", "resource_id": 7})),
                        _ => added(channel, "r1"),
                    };
                    self.trace.push(format!("socket {socket}: {frame}"));
                    self.rt.received(SocketId(socket), &frame, &mut self.fake);
                }
                64..=65 if !now_open.is_empty() => {
                    let socket = now_open[self.rng.random_range(0..now_open.len())];
                    self.trace.push(format!("socket {socket} closed by the server"));
                    self.sockets.remove(&socket);
                    self.subs_out.retain(|_, (s, _)| *s != socket);
                    self.rt.closed(SocketId(socket), &mut self.fake);
                }
                66..=73 if self.asked => {
                    self.asked = false;
                    if self.rng.random_bool(0.85) {
                        let credentials = self.session();
                        self.trace.push(format!("granted {}", credentials.token.expose()));
                        self.rt.granted(Ok(credentials), &mut self.fake);
                    } else {
                        self.trace.push("granted: network".into());
                        self.rt.granted(Err(error::network()), &mut self.fake);
                    }
                }
                74..=76 => {
                    match self.rng.random_range(0..4) {
                        0 => self.url = if self.url == URL { OTHER_URL } else { URL },
                        1 => self.visitor += 1,
                        _ => {}
                    }
                    let credentials = self.session();
                    self.trace.push(format!("session {} of {} at {}", credentials.token.expose(), credentials.visitor_id, credentials.socket_url));
                    self.rt.session(credentials, &mut self.fake);
                }
                77 => {
                    self.trace.push("identity gone".into());
                    self.rt.identity_gone(&mut self.fake);
                }
                78 => {
                    self.trace.push("forget".into());
                    self.rt.forget(&mut self.fake);
                }
                79..=81 => {
                    self.trace.push("resumed".into());
                    self.rt.resumed(&mut self.fake);
                }
                82..=89 if self.fake.timer.is_some() => {
                    self.trace.push("the timer fires".into());
                    self.fake.fire(&mut self.rt);
                }
                90..=94 => {
                    let ms = [10.0, 500.0, 500.0, 5_000.0, 5_000.0, 70_000.0][self.rng.random_range(0..6)];
                    self.trace.push(format!("{ms} ms pass"));
                    self.fake.pass(ms);
                }
                95..=96 => {
                    let jump = [-3_600_000.0, 3_600_000.0][self.rng.random_range(0..2)];
                    self.trace.push(format!("the page's clock moves {jump} ms"));
                    self.fake.now += jump;
                }
                97 if self.rng.random_bool(0.1) => {
                    self.trace.push("stop".into());
                    self.rt.stop(&mut self.fake);
                    self.check_stop();
                    self.stopped = true;
                    return;
                }
                _ => return,
            }
            self.check();
        }

        fn fail(&self, what: String) -> ! {
            let last: Vec<&String> = self.trace.iter().rev().take(25).collect();
            panic!("{what}\nlast steps, newest first:\n  {}", last.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "));
        }

        /// The effects of the input just handled, against what the world knows.
        fn check(&mut self) {
            let now = self.rt.now(&self.fake);
            for did in self.fake.take() {
                if self.stopped {
                    self.fail(format!("{did:?} after stop()"));
                }
                match &did {
                    Did::Open(socket, _) => {
                        self.sockets.insert(*socket, false);
                    }
                    Did::Close(socket) => {
                        self.sockets.remove(socket);
                        self.subs_out.retain(|_, (s, _)| s != socket);
                    }
                    Did::Sub { socket, channel, token, query } => {
                        if self.sockets.get(socket) != Some(&true) {
                            self.fail(format!("a sub on socket {socket}, which is not open"));
                        }
                        match self.tokens.get(token) {
                            Some(&(expires_at, lifetime)) => {
                                let left = expires_at - now;
                                if left < lead_ms(lifetime, 60_000.0) {
                                    self.fail(format!("a sub with {token}, {left} ms left of its {lifetime} s"));
                                }
                            }
                            None => self.fail(format!("a sub with a token never told: {token}")),
                        }
                        self.subs_out.insert(*query, (*socket, channel.clone()));
                    }
                    Did::Ask { .. } => self.asked = true,
                    Did::Deliver(listeners, change) => {
                        let channel = change.split(' ').next().unwrap_or_default();
                        if !self.rt.is_subscribed(channel) {
                            self.fail(format!("a change of {channel}, which is not subscribed"));
                        }
                        for listener in listeners {
                            if self.listeners.get(listener) != Some(&channel) {
                                self.fail(format!("listener {listener} got a change of {channel}: {:?}", self.listeners.get(listener)));
                            }
                        }
                    }
                    Did::Release(released) => {
                        for listener in released {
                            self.listeners.remove(listener);
                        }
                    }
                    Did::Emit(_) => {}
                }
                self.trace.push(format!("  → {did:?}"));
            }
            if self.sockets.len() > 1 {
                self.fail(format!("{} sockets at once: {:?}", self.sockets.len(), self.sockets));
            }
            let wanted: BTreeSet<&str> = self.listeners.values().copied().collect();
            if wanted.is_empty() && !self.sockets.is_empty() {
                self.fail(format!("socket {:?} with no channel wanted", self.sockets));
            }
        }

        fn check_stop(&mut self) {
            for did in self.fake.take() {
                match did {
                    Did::Close(socket) => {
                        self.sockets.remove(&socket);
                    }
                    Did::Release(released) => {
                        for listener in released {
                            self.listeners.remove(&listener);
                        }
                    }
                    other => self.fail(format!("{other:?} from stop()")),
                }
            }
            if !self.sockets.is_empty() || !self.listeners.is_empty() {
                self.fail(format!("after stop(): sockets {:?}, listeners {:?}", self.sockets, self.listeners));
            }
            if self.fake.timer.is_some() {
                self.fail("the timer is still armed after stop()".into());
            }
        }
    }

    fn episode(seed: u64) {
        let mut world = World::new(seed);
        for _ in 0..STEPS {
            world.step();
        }
        // Stopped or not, a stop ends everything; after it, every input does nothing.
        if !world.stopped {
            world.rt.stop(&mut world.fake);
            world.check_stop();
            world.stopped = true;
        }
        world.rt.subscribe(1, CHATS, &mut world.fake).expect_err("stopped");
        world.rt.opened(SocketId(1), &mut world.fake);
        world.rt.resumed(&mut world.fake);
        world.rt.tick(&mut world.fake);
        world.check();
    }

    #[test]
    fn chaos_episodes_keep_every_invariant() {
        let replay = std::env::var("CHAOS_SEED").ok().and_then(|s| s.parse::<u64>().ok());
        let seeds: Vec<u64> = match replay {
            Some(seed) => vec![seed],
            None => (0..EPISODES).map(|n| n.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect(),
        };
        for seed in seeds {
            let outcome = std::panic::catch_unwind(|| episode(seed));
            if let Err(panic) = outcome {
                let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
                panic!("real-time chaos seed {seed}: {message}\nreplay: CHAOS_SEED={seed} cargo test -p giosg-visitor --lib realtime::tests::chaos");
            }
        }
    }
}
