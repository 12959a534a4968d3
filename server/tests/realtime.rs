//! The socket API at `socket_url` over a real WebSocket: `sub` and `__qr__`, `changed`
//! notifications from the documented endpoints and the control surface, and each socket fault.
//!
//! Nothing here waits on time but token expiry: every wait is for a frame (bounded, so that a
//! broken server fails the test instead of hanging it). What must not be sent is checked by order:
//! a socket delivers frames in order, so the first frame after the fault is cleared is the proof.

mod common;

use std::time::Duration;

use common::{room, server, str_of, Server, ORG, ORG2};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A frame's wait: far longer than anything takes on a loaded machine.
const PATIENCE: Duration = Duration::from_secs(30);

struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

/// What a socket gave next.
#[derive(Debug)]
enum Next {
    Json(Value),
    /// A text frame that is not JSON.
    Text(String),
    /// A close frame, with its code.
    Closed(u16),
    /// The connection ended without a close frame.
    Ended,
}

impl Socket {
    /// Connects to an auth answer's `socket_url` (`http` → `ws`, as the SDK does).
    async fn open(socket_url: &str) -> Self {
        let url = socket_url.replacen("http://", "ws://", 1);
        let (stream, _) = tokio_tungstenite::connect_async(url).await.expect("the socket opens");
        Self(stream)
    }

    async fn send_text(&mut self, text: &str) {
        self.0.send(Message::Text(text.into())).await.expect("the frame is sent");
    }

    async fn sub(&mut self, channel: &str, token: &str, query: u64) {
        self.send_text(&json!(["sub", [channel, token], {"query": query}]).to_string()).await;
    }

    async fn next(&mut self) -> Next {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.0.next()).await.expect("a frame within the patience");
            return match frame {
                Some(Ok(Message::Text(text))) => match serde_json::from_str(text.as_str()) {
                    Ok(value) => Next::Json(value),
                    Err(_) => Next::Text(text.to_string()),
                },
                Some(Ok(Message::Close(frame))) => Next::Closed(frame.map_or(1005, |f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Next::Ended,
            };
        }
    }

    async fn json(&mut self) -> Value {
        match self.next().await {
            Next::Json(value) => value,
            other => panic!("expected a JSON frame, got {other:?}"),
        }
    }

    /// Subscribes and returns the `__qr__` options (`{"query"}` or `{"query", "fail": true}`).
    async fn confirm(&mut self, channel: &str, token: &str, query: u64) -> Value {
        self.sub(channel, token, query).await;
        let answer = self.json().await;
        assert_eq!(answer[0], "__qr__", "{answer}");
        assert_eq!(answer[1], json!([[]]), "{answer}");
        assert_eq!(answer[2]["query"], query, "{answer}");
        answer[2].clone()
    }

    /// Subscribes, expecting a confirmation.
    async fn subscribed(&mut self, channel: &str, token: &str, query: u64) {
        let options = self.confirm(channel, token, query).await;
        assert_eq!(options, json!({ "query": query }), "{channel}");
    }

    /// Subscribes, expecting `"fail": true`.
    async fn refused(&mut self, channel: &str, token: &str, query: u64) {
        let options = self.confirm(channel, token, query).await;
        assert_eq!(options, json!({ "query": query, "fail": true }), "{channel}");
    }

    /// The next notification: its channel and payload.
    async fn changed(&mut self) -> (String, Value) {
        let frame = self.json().await;
        assert_eq!(frame[0], "changed", "{frame}");
        (frame[1][0].as_str().expect("a channel id").to_owned(), frame[1][1].clone())
    }
}

/// A visitor of `org`: its auth answer's token, visitor id and socket URL.
struct Visitor {
    token: String,
    id: String,
    socket_url: String,
}

impl Visitor {
    /// The visitor's chats channel.
    fn chats(&self) -> String {
        format!("/api/v5/public/visitors/{}/chats", self.id)
    }

    /// A socket of this visitor's, subscribed to `channel` (query 1).
    async fn socket_on(&self, channel: &str) -> Socket {
        let mut socket = Socket::open(&self.socket_url).await;
        socket.subscribed(channel, &self.token, 1).await;
        socket
    }
}

async fn visitor(s: &Server, org: &str) -> Visitor {
    let answer = s.auth(org, None).await;
    Visitor {
        token: str_of(&answer, "access_token").to_owned(),
        id: str_of(&answer, "visitor_id").to_owned(),
        socket_url: str_of(&answer, "socket_url").to_owned(),
    }
}

/// Starts a chat of `v` in a new room of `org`; returns the room and the chat.
async fn chat(s: &Server, org: &str, v: &Visitor) -> (String, String) {
    let room_id = room(s, org, 0).await;
    let response = s
        .http
        .post(s.url(&format!("/api/v5/public/orgs/{org}/rooms/{room_id}/visitors/{}/chats", v.id)))
        .bearer_auth(&v.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let chat: Value = response.json().await.unwrap();
    (room_id, str_of(&chat, "id").to_owned())
}

async fn post_message(s: &Server, v: &Visitor, chat_id: &str, text: &str) -> Value {
    let response = s
        .http
        .post(s.url(&format!("/api/v5/public/visitors/{}/chats/{chat_id}/messages", v.id)))
        .bearer_auth(&v.token)
        .body(json!({"type": "msg", "message": text}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn messages_channel(v: &Visitor, chat_id: &str) -> String {
    format!("/api/v5/public/visitors/{}/chats/{chat_id}/messages", v.id)
}

async fn realtime(s: &Server, org: &str, settings: Value) {
    let response = s.control(Method::PUT, &format!("/orgs/{org}/realtime"), Some(settings)).await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
}

async fn sockets(s: &Server, org: &str) -> Value {
    s.stats(org).await["sockets"].clone()
}

#[tokio::test]
async fn socket_url_is_this_servers_router_and_a_sub_is_confirmed() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    assert_eq!(v.socket_url, format!("{}/003/2/router?org={ORG}", s.base));
    let mut socket = v.socket_on(&v.chats()).await;
    // Query ids are the client's: any JSON value comes back as it was sent.
    let channel = format!("/api/v5/public/visitors/{}/chats_memberships", v.id);
    socket.send_text(&json!(["sub", [channel, v.token], {"query": "q-2"}]).to_string()).await;
    assert_eq!(socket.json().await, json!(["__qr__", [[]], {"query": "q-2"}]));
}

#[tokio::test]
async fn invalid_expired_and_foreign_tokens_are_refused() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let other = visitor(&s, ORG).await;
    let elsewhere = visitor(&s, ORG2).await;
    let (room_id, chat_id) = chat(&s, ORG, &v).await;
    let mut socket = Socket::open(&v.socket_url).await;
    let chats = v.chats();
    socket.refused(&chats, "eyJ.not.issued", 1).await;
    socket.refused(&chats, "", 2).await;
    // Another visitor of the same organization: not its chats, not its chat's messages.
    socket.refused(&chats, &other.token, 3).await;
    socket.refused(&messages_channel(&v, &chat_id), &other.token, 4).await;
    // A room of another organization; a room that does not exist; a channel of no known kind.
    let online_users = format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/online_users");
    socket.refused(&online_users, &elsewhere.token, 5).await;
    socket.subscribed(&online_users, &other.token, 6).await;
    socket.refused(&format!("/api/v5/public/orgs/{ORG}/rooms/00000000-0000-4000-8000-000000000000/online_users"), &v.token, 7).await;
    socket.refused(&format!("/api/v5/public/visitors/{}/secrets", v.id), &v.token, 8).await;
    socket.refused(&format!("{chats}/"), &v.token, 9).await;
    socket.subscribed(&messages_channel(&v, &chat_id), &v.token, 10).await;

    // An expired token: one second of life, and a little more than that waited (the server's
    // clock is monotonic: the token has expired when the wait ends).
    s.control(Method::PUT, &format!("/orgs/{ORG}/config"), Some(json!({"expires_in": 1}))).await;
    let short = visitor(&s, ORG).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    socket.refused(&short.chats(), &short.token, 11).await;
    let counts = sockets(&s, ORG).await;
    assert_eq!((counts["subs"].as_u64(), counts["confirmed"].as_u64(), counts["refused"].as_u64()), (Some(11), Some(2), Some(9)), "{counts}");
}

#[tokio::test]
async fn garbage_from_the_client_is_ignored() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let mut socket = Socket::open(&v.socket_url).await;
    let chats = v.chats();
    for garbage in [
        "not json",
        "",
        "[]",
        "{}",
        "null",
        r#"["sub"]"#,
        r#"["sub", ["/x"], {"query": 1}]"#,
        r#"["sub", ["/x", 5], {"query": 1}]"#,
        r#"["sub", ["/x", "t"], {}]"#,
        r#"["sub", ["/x", "t"], {"query": null}]"#,
        r#"["unsub", ["/x", "t"], {"query": 1}]"#,
        &"[".repeat(100_000),
    ] {
        socket.send_text(garbage).await;
    }
    socket.0.send(Message::Binary(vec![0xff, 0x00].into())).await.unwrap();
    // Nothing of that was answered: the first answer is to the sub after it.
    socket.subscribed(&chats, &v.token, 42).await;
}

#[tokio::test]
async fn a_posted_message_is_notified_on_every_socket_subscribed_to_its_chat() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let (_, chat_id) = chat(&s, ORG, &v).await;
    let channel = messages_channel(&v, &chat_id);
    let mut first = Socket::open(&v.socket_url).await;
    let mut second = Socket::open(&v.socket_url).await;
    let mut elsewhere = Socket::open(&v.socket_url).await;
    first.subscribed(&channel, &v.token, 1).await;
    second.subscribed(&channel, &v.token, 1).await;
    elsewhere.subscribed(&v.chats(), &v.token, 1).await;

    let message = post_message(&s, &v, &chat_id, "Hello").await;
    for socket in [&mut first, &mut second] {
        let (notified, payload) = socket.changed().await;
        assert_eq!(notified, channel);
        assert_eq!(payload, json!({ "action": "added", "resourceId": message["id"], "resource": message }));
    }
    // The socket of the other channel heard nothing of it: its next frame is a chat's.
    chat(&s, ORG, &v).await;
    let (notified, payload) = elsewhere.changed().await;
    assert_eq!(notified, v.chats());
    assert_eq!(payload["action"], "added");
}

#[tokio::test]
async fn chats_memberships_and_room_visitors_are_notified() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let room_id = room(&s, ORG, 0).await;
    let mut socket = Socket::open(&v.socket_url).await;
    let chats = v.chats();
    let memberships = format!("/api/v5/public/visitors/{}/chats_memberships", v.id);
    let room_visitors = format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/visitors");
    socket.subscribed(&chats, &v.token, 1).await;
    socket.subscribed(&memberships, &v.token, 2).await;
    socket.subscribed(&room_visitors, &v.token, 3).await;

    let join = |presence: u64| {
        s.http
            .post(s.url(&format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/visitors")))
            .bearer_auth(&v.token)
            .body(json!({"id": v.id, "presence_expires_in": presence}).to_string())
            .send()
    };
    assert_eq!(join(60).await.unwrap().status(), StatusCode::CREATED);
    let (channel, payload) = socket.changed().await;
    assert_eq!((channel.as_str(), &payload["action"], &payload["resourceId"]), (room_visitors.as_str(), &json!("added"), &json!(v.id)));
    assert_eq!(join(120).await.unwrap().status(), StatusCode::OK);
    let (_, payload) = socket.changed().await;
    assert_eq!(payload, json!({ "action": "changed", "resourceId": v.id, "resource": {"presence_expires_in": 120} }));

    let response = s
        .http
        .post(s.url(&format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/visitors/{}/chats", v.id)))
        .bearer_auth(&v.token)
        .send()
        .await
        .unwrap();
    let new_chat: Value = response.json().await.unwrap();
    let (channel, payload) = socket.changed().await;
    assert_eq!(channel, chats);
    assert_eq!(payload, json!({ "action": "added", "resourceId": new_chat["id"], "resource": new_chat }));
    let (channel, payload) = socket.changed().await;
    assert_eq!(channel, memberships);
    assert_eq!((&payload["resource"]["chat_id"], &payload["resource"]["member_id"]), (&new_chat["id"], &json!(v.id)));
}

#[tokio::test]
async fn operators_messages_and_presence_come_from_the_control_surface() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let (room_id, chat_id) = chat(&s, ORG, &v).await;
    let mut socket = Socket::open(&v.socket_url).await;
    let online_users = format!("/api/v5/public/orgs/{ORG}/rooms/{room_id}/online_users");
    socket.subscribed(&messages_channel(&v, &chat_id), &v.token, 1).await;
    socket.subscribed(&online_users, &v.token, 2).await;

    let response = s.control(Method::POST, &format!("/orgs/{ORG}/chats/{chat_id}/messages"), Some(json!({"message": "How can I help?"}))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let reply: Value = response.json().await.unwrap();
    assert_eq!((&reply["sender_type"], &reply["message"]), (&json!("user"), &json!("How can I help?")));
    let (channel, payload) = socket.changed().await;
    assert_eq!(channel, messages_channel(&v, &chat_id));
    assert_eq!(payload, json!({ "action": "added", "resourceId": reply["id"], "resource": reply }));
    // The reply is in the chat's messages over HTTP too.
    let list: Value = s.get(&messages_channel(&v, &chat_id), Some(&v.token)).await.json().await.unwrap();
    assert_eq!(list["results"][0], reply);

    let response = s.control(Method::POST, &format!("/orgs/{ORG}/rooms/{room_id}/online_users"), Some(json!({"public_name": "Ada"}))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let operator: Value = response.json().await.unwrap();
    let (channel, payload) = socket.changed().await;
    assert_eq!(channel, online_users);
    assert_eq!(payload, json!({ "action": "added", "resourceId": operator["id"], "resource": operator }));
    let gone = s.control(Method::DELETE, &format!("/orgs/{ORG}/rooms/{room_id}/online_users/{}", str_of(&operator, "id")), None).await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let (_, payload) = socket.changed().await;
    assert_eq!(payload, json!({ "action": "removed", "resourceId": operator["id"] }));

    let unknown = s.control(Method::POST, &format!("/orgs/{ORG}/chats/{room_id}/messages"), Some(json!({"message": "x"}))).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn both_spellings_of_the_resource_id_per_organization_and_per_notification() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let (_, chat_id) = chat(&s, ORG, &v).await;
    let channel = messages_channel(&v, &chat_id);
    let mut socket = v.socket_on(&channel).await;

    realtime(&s, ORG, json!({"spelling": "resource_id"})).await;
    let message = post_message(&s, &v, &chat_id, "current spelling").await;
    let (_, payload) = socket.changed().await;
    assert_eq!(payload, json!({ "channel": channel, "action": "added", "resource_id": message["id"], "resource": message }));

    // One notification in the documented spelling while the organization uses the current one.
    let path = format!("/orgs/{ORG}/chats/{chat_id}/messages");
    let reply: Value = s.control(Method::POST, &path, Some(json!({"message": "hi", "spelling": "resourceId"}))).await.json().await.unwrap();
    let (_, payload) = socket.changed().await;
    assert_eq!(payload, json!({ "action": "added", "resourceId": reply["id"], "resource": reply }));

    realtime(&s, ORG, json!({"spelling": "resourceId"})).await;
    let reply: Value = s.control(Method::POST, &path, Some(json!({"message": "hi", "spelling": "resource_id"}))).await.json().await.unwrap();
    let (_, payload) = socket.changed().await;
    assert_eq!((&payload["resource_id"], &payload["channel"]), (&reply["id"], &json!(channel)));
    assert!(payload.get("resourceId").is_none());
}

#[tokio::test]
async fn counts_say_how_many_sockets_opened_are_open_and_subscribed() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    assert_eq!(sockets(&s, ORG).await, json!({"opened": 0, "open": 0, "subs": 0, "confirmed": 0, "refused": 0, "unanswered": 0, "notifications": 0, "dropped": 0, "closed_at_expiry": 0}));
    let mut socket = Socket::open(&v.socket_url).await;
    // Counted when the upgrade is answered: before the client sees it open.
    let counts = sockets(&s, ORG).await;
    assert_eq!((counts["opened"].as_u64(), counts["open"].as_u64()), (Some(1), Some(1)), "{counts}");
    socket.subscribed(&v.chats(), &v.token, 1).await;
    socket.subscribed(&format!("/api/v5/public/visitors/{}/chats_memberships", v.id), &v.token, 2).await;
    let counts = sockets(&s, ORG).await;
    assert_eq!((counts["opened"].as_u64(), counts["subs"].as_u64(), counts["confirmed"].as_u64()), (Some(1), Some(2), Some(2)), "{counts}");
    assert_eq!(sockets(&s, ORG2).await["opened"], 0);

    // Closed by the client: no longer open once the server has seen the close.
    socket.0.close(None).await.unwrap();
    // The server answers the close handshake (a browser then reports a clean close).
    assert!(matches!(socket.next().await, Next::Closed(_)));
    let mut open = sockets(&s, ORG).await["open"].as_u64();
    while open != Some(0) {
        tokio::task::yield_now().await;
        open = sockets(&s, ORG).await["open"].as_u64();
    }
    assert_eq!(sockets(&s, ORG).await["opened"], 1);

    // A socket without an organization in its URL counts for the organization of its first token.
    let bare = v.socket_url.split('?').next().unwrap().to_owned();
    let mut socket = Socket::open(&bare).await;
    socket.subscribed(&v.chats(), &v.token, 1).await;
    let counts = sockets(&s, ORG).await;
    assert_eq!((counts["opened"].as_u64(), counts["open"].as_u64()), (Some(2), Some(1)), "{counts}");
}

#[tokio::test]
async fn drop_closes_every_socket_of_the_organization_now() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let other = visitor(&s, ORG2).await;
    let chats = v.chats();
    let mut first = Socket::open(&v.socket_url).await;
    let mut second = Socket::open(&v.socket_url).await;
    let mut elsewhere = Socket::open(&other.socket_url).await;
    first.subscribed(&chats, &v.token, 1).await;
    second.subscribed(&chats, &v.token, 1).await;
    elsewhere.subscribed(&other.chats(), &other.token, 1).await;

    let response = s.control(Method::POST, &format!("/orgs/{ORG}/realtime/drop"), None).await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"dropped": 2}));
    // Abruptly: no close frame, as a router that goes away.
    assert!(matches!(first.next().await, Next::Ended));
    assert!(matches!(second.next().await, Next::Ended));
    // Another organization's socket is still served.
    elsewhere.subscribed(&format!("/api/v5/public/visitors/{}/chats_memberships", other.id), &other.token, 2).await;

    // With a close frame of a given code; a new socket works at once.
    let mut third = v.socket_on(&chats).await;
    let response = s.control(Method::POST, &format!("/orgs/{ORG}/realtime/drop"), Some(json!({"code": 1012}))).await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"dropped": 1}));
    assert!(matches!(third.next().await, Next::Closed(1012)));
    let bad = s.control(Method::POST, &format!("/orgs/{ORG}/realtime/drop"), Some(json!({"code": 1006}))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let _fourth = v.socket_on(&chats).await;
    assert_eq!(sockets(&s, ORG).await["dropped"], 3);
}

#[tokio::test]
async fn refuse_next_fails_that_many_subs_whatever_their_token() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let chats = v.chats();
    let mut socket = Socket::open(&v.socket_url).await;
    realtime(&s, ORG, json!({"refuse_next": 2})).await;
    socket.refused(&chats, &v.token, 1).await;
    socket.refused(&chats, &v.token, 2).await;
    socket.subscribed(&chats, &v.token, 3).await;
    let settings: Value = s.control(Method::GET, &format!("/orgs/{ORG}/realtime"), None).await.json().await.unwrap();
    assert_eq!(settings["refuse_next"], 0);
    // A refused channel is not subscribed: only the confirmed sub hears a new chat, once.
    chat(&s, ORG, &v).await;
    let (channel, _) = socket.changed().await;
    assert_eq!(channel, chats);
    assert_eq!(sockets(&s, ORG).await["notifications"], 1);
}

#[tokio::test]
async fn silent_keeps_sockets_open_and_answers_nothing_until_cleared() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let (_, chat_id) = chat(&s, ORG, &v).await;
    let channel = messages_channel(&v, &chat_id);
    let mut socket = v.socket_on(&channel).await;

    realtime(&s, ORG, json!({"silent": true})).await;
    socket.sub(&v.chats(), &v.token, 2).await;
    post_message(&s, &v, &chat_id, "unheard").await;
    // A socket opened while silent opens, and is not answered either.
    let mut late = Socket::open(&v.socket_url).await;
    late.sub(&channel, &v.token, 1).await;
    let mut counts = sockets(&s, ORG).await;
    while counts["unanswered"] != 2 {
        tokio::task::yield_now().await;
        counts = sockets(&s, ORG).await;
    }
    assert_eq!((counts["open"].as_u64(), counts["notifications"].as_u64()), (Some(2), Some(0)), "{counts}");

    assert_eq!(s.control(Method::DELETE, &format!("/orgs/{ORG}/realtime"), None).await.status(), StatusCode::NO_CONTENT);
    // The subscription made before the silence still holds; nothing of the silence was sent:
    // the first frame after it is the new message's notification.
    let heard = post_message(&s, &v, &chat_id, "heard").await;
    let (_, payload) = socket.changed().await;
    assert_eq!(payload["resourceId"], heard["id"]);
    late.subscribed(&channel, &v.token, 2).await;
}

#[tokio::test]
async fn end_at_expiry_closes_the_socket_when_its_token_expires() {
    let s = server().await;
    s.control(Method::PUT, &format!("/orgs/{ORG}/config"), Some(json!({"expires_in": 1}))).await;
    realtime(&s, ORG, json!({"end_at_expiry": true})).await;
    let v = visitor(&s, ORG).await;
    let mut socket = v.socket_on(&v.chats()).await;
    assert!(matches!(socket.next().await, Next::Closed(4001)));
    assert_eq!(sockets(&s, ORG).await["closed_at_expiry"], 1);

    // Set after the token expired: the sockets with an expired subscription close at once.
    realtime(&s, ORG, json!({"end_at_expiry": false})).await;
    let v = visitor(&s, ORG).await;
    let mut socket = v.socket_on(&v.chats()).await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // Still open, still answering (with `fail`: the token has expired).
    socket.refused(&v.chats(), &v.token, 2).await;
    realtime(&s, ORG, json!({"end_at_expiry": true})).await;
    assert!(matches!(socket.next().await, Next::Closed(4001)));
}

#[tokio::test]
async fn socket_url_moves_for_the_next_answers_and_is_served_there() {
    let s = server().await;
    realtime(&s, ORG, json!({"socket_url": "/004/1/router", "socket_url_times": 1})).await;
    let moved = visitor(&s, ORG).await;
    assert_eq!(moved.socket_url, format!("{}/004/1/router?org={ORG}", s.base));
    assert_eq!(visitor(&s, ORG2).await.socket_url, format!("{}/003/2/router?org={ORG2}", s.base));
    let _subscribed = moved.socket_on(&moved.chats()).await;
    // Used up: the next answer is back at the first router.
    assert_eq!(visitor(&s, ORG).await.socket_url, format!("{}/003/2/router?org={ORG}", s.base));

    // A whole URL, until cleared.
    realtime(&s, ORG, json!({"socket_url": "http://127.0.0.1:9/router"})).await;
    for _ in 0..2 {
        assert_eq!(visitor(&s, ORG).await.socket_url, "http://127.0.0.1:9/router");
    }
    realtime(&s, ORG, json!({"socket_url": null})).await;
    assert_eq!(visitor(&s, ORG).await.socket_url, format!("{}/003/2/router?org={ORG}", s.base));
    let bad = s.control(Method::PUT, &format!("/orgs/{ORG}/realtime"), Some(json!({"socket_url": "ws://x"}))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn frames_from_the_control_surface_reach_the_sockets_as_sent() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let mut socket = v.socket_on(&v.chats()).await;
    let big = format!(r#"["changed",["/x",{{"action":"added","resourceId":"1","resource":{{"pad":"{}"}}}}]]"#, "x".repeat(1 << 20));
    let response = s.control(Method::POST, &format!("/orgs/{ORG}/realtime/frames"), Some(json!({"frames": ["not json", big]}))).await;
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"sockets": 1}));
    assert!(matches!(socket.next().await, Next::Text(text) if text == "not json"));
    assert!(matches!(socket.next().await, Next::Json(value) if value.to_string().len() > 1 << 20));
}

#[tokio::test]
async fn reset_closes_every_socket() {
    let s = server().await;
    let v = visitor(&s, ORG).await;
    let mut socket = v.socket_on(&v.chats()).await;
    assert_eq!(s.control(Method::POST, "/reset", None).await.status(), StatusCode::NO_CONTENT);
    assert!(matches!(socket.next().await, Next::Ended));
}
