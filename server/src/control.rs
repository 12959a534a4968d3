//! The control surface for tests and the demo, under `/__control/`, a path no real client uses.
//!
//! | request | effect |
//! |---|---|
//! | `GET /__control/health` | `ok` |
//! | `POST /__control/reset` | forget every visitor, token, room, setting, fault and count |
//! | `GET /__control/orgs/<org>/faults` | the organization's pending faults |
//! | `PUT /__control/orgs/<org>/faults` | replace them with a fault object or an array of them (see `faults.rs`) |
//! | `POST /__control/orgs/<org>/faults` | append a fault object or an array of them |
//! | `DELETE /__control/orgs/<org>/faults` | clear them |
//! | `GET /__control/orgs/<org>/config` | `{"expires_in": n}` in force |
//! | `PUT /__control/orgs/<org>/config` | `{"expires_in": n}` sets the token lifetime, `null` restores the default |
//! | `GET /__control/orgs/<org>/stats` | `{"auth_requests", "api_requests", "foreign_requests", "log": [...]}` |
//! | `DELETE /__control/orgs/<org>/stats` | zero the counts and clear the log |
//! | `GET`/`POST /__control/orgs/<org>/foreign` | a server on another origin, for the `redirect` fault to point at (see [`foreign`]) |
//! | `POST /__control/orgs/<org>/rooms` | create a room: `{"display_name", "language_code", "is_online", "brand", "online_users": n}` |
//! | `POST /__control/orgs/<org>/rooms/<room>/online_users` | an operator comes online (notified) |
//! | `DELETE /__control/orgs/<org>/rooms/<room>/online_users/<user>` | an operator goes offline (notified) |
//! | `POST /__control/orgs/<org>/chats/<chat>/messages` | an operator's message (notified) |
//! | `GET`/`PUT`/`DELETE /__control/orgs/<org>/realtime` | socket faults and settings (see `realtime::Settings`) |
//! | `POST /__control/orgs/<org>/realtime/drop` | close every socket of the organization now |
//! | `POST /__control/orgs/<org>/realtime/frames` | send raw text frames to every socket of the organization |

use std::collections::HashMap;
use std::time::SystemTime;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::exchange::{error, json};
use crate::faults::Fault;
use crate::realtime::{self, Action, Change, Spelling};
use crate::state::{iso8601, is_uuid, random_uuid, AppState, LogEntry, Message, Room};

pub async fn health() -> &'static str {
    "ok"
}

pub async fn reset(State(state): State<AppState>) -> StatusCode {
    let mut inner = state.lock();
    inner.realtime.close_all();
    *inner = Default::default();
    StatusCode::NO_CONTENT
}

fn org_id(org: &str) -> Result<String, Response> {
    if is_uuid(org) {
        Ok(org.to_ascii_lowercase())
    } else {
        Err(error(StatusCode::BAD_REQUEST, "organization id must be a UUID"))
    }
}

/// One fault or a list of them, each checked.
fn parse_faults(body: &Bytes) -> Result<Vec<Fault>, Response> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Fault),
        Many(Vec<Fault>),
    }
    let faults = match serde_json::from_slice::<OneOrMany>(body) {
        Ok(OneOrMany::One(f)) => vec![f],
        Ok(OneOrMany::Many(list)) => list,
        Err(e) => return Err(error(StatusCode::BAD_REQUEST, &format!("not a fault or a list of faults: {e}"))),
    };
    for fault in &faults {
        fault.validate().map_err(|e| error(StatusCode::BAD_REQUEST, &e))?;
    }
    Ok(faults)
}

pub async fn get_faults(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    json(StatusCode::OK, &json!(state.lock().org(&org).faults))
}

pub async fn put_faults(State(state): State<AppState>, Path(org): Path<String>, body: Bytes) -> Response {
    set_faults(state, org, body, true)
}

pub async fn add_faults(State(state): State<AppState>, Path(org): Path<String>, body: Bytes) -> Response {
    set_faults(state, org, body, false)
}

fn set_faults(state: AppState, org: String, body: Bytes, replace: bool) -> Response {
    let (org, faults) = match org_id(&org).and_then(|org| Ok((org, parse_faults(&body)?))) {
        Ok(parsed) => parsed,
        Err(response) => return response,
    };
    let mut inner = state.lock();
    let list = &mut inner.org(&org).faults;
    if replace {
        list.clear();
    }
    list.extend(faults);
    json(StatusCode::OK, &json!(list))
}

pub async fn clear_faults(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    match org_id(&org) {
        Ok(org) => {
            state.lock().org(&org).faults.clear();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(response) => response,
    }
}

pub async fn get_config(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    match org_id(&org) {
        Ok(org) => {
            let expires_in = state.lock().org(&org).expires_in.unwrap_or(state.config.expires_in);
            json(StatusCode::OK, &json!({ "expires_in": expires_in }))
        }
        Err(response) => response,
    }
}

pub async fn put_config(State(state): State<AppState>, Path(org): Path<String>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Config {
        expires_in: Option<u32>,
    }
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let config = match serde_json::from_slice::<Config>(&body) {
        Ok(c) if c.expires_in != Some(0) => c,
        _ => return error(StatusCode::BAD_REQUEST, "expected {\"expires_in\": seconds (1 or more) or null}"),
    };
    state.lock().org(&org).expires_in = config.expires_in;
    get_config(State(state), Path(org)).await
}

pub async fn get_stats(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    match org_id(&org) {
        Ok(org) => {
            let mut inner = state.lock();
            let open = inner.realtime.open(&org);
            let o = inner.org(&org);
            let mut sockets = json!(o.sockets);
            sockets["open"] = json!(open);
            json(
                StatusCode::OK,
                &json!({
                    "auth_requests": o.auth_requests,
                    "api_requests": o.api_requests,
                    "foreign_requests": o.foreign_requests,
                    "sockets": sockets,
                    "log": o.log,
                }),
            )
        }
        Err(response) => response,
    }
}

pub async fn clear_stats(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    match org_id(&org) {
        Ok(org) => {
            let mut inner = state.lock();
            let o = inner.org(&org);
            o.auth_requests = 0;
            o.api_requests = 0;
            o.foreign_requests = 0;
            o.sockets = Default::default();
            o.log.clear();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(response) => response,
    }
}

pub async fn create_room(State(state): State<AppState>, Path(org): Path<String>, body: Bytes) -> Response {
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields, default)]
    struct NewRoom {
        id: Option<String>,
        display_name: Option<String>,
        language_code: Option<String>,
        is_online: Option<bool>,
        brand: Option<String>,
        online_users: usize,
    }
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let spec: NewRoom = if body.is_empty() {
        NewRoom::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(spec) => spec,
            Err(e) => return error(StatusCode::BAD_REQUEST, &format!("not a room: {e}")),
        }
    };
    if spec.online_users > 10_000 {
        return error(StatusCode::BAD_REQUEST, "online_users is limited to 10000");
    }
    let id = match spec.id {
        Some(id) if is_uuid(&id) => id.to_ascii_lowercase(),
        Some(_) => return error(StatusCode::BAD_REQUEST, "room id must be a UUID"),
        None => random_uuid(),
    };
    let online_users: Vec<Value> = (0..spec.online_users)
        .map(|i| json!({ "id": random_uuid(), "public_name": format!("Agent {}", i + 1), "avatar": null }))
        .collect();
    let room = Room {
        id: id.clone(),
        display_name: spec.display_name.unwrap_or_else(|| "Support".into()),
        language_code: spec.language_code.unwrap_or_else(|| "en".into()),
        is_online: spec.is_online.unwrap_or(true),
        brand: spec.brand,
        online_users,
        visitors: Default::default(),
    };
    let answer = json!(room);
    state.lock().rooms.insert((org, id), room);
    json(StatusCode::CREATED, &answer)
}

/// `GET`/`POST /__control/orgs/<org>/foreign`: a server on another origin than the API's (reach
/// it under another host name: `localhost` for `127.0.0.1`), where an auth request ends up if a
/// client follows the `redirect` fault. It counts what reaches it (`foreign_requests`), logs it
/// (kind `foreign`, with whether a `visitor_secret_id` came in the body), and answers as the auth
/// endpoint would for a new visitor: a client that follows the redirect and reads the answer
/// takes that visitor's secret for its own.
pub async fn foreign(State(state): State<AppState>, Path(org): Path<String>, method: Method, headers: HeaderMap, body: Bytes) -> Response {
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let secret_sent = serde_json::from_slice::<Value>(&body).ok().is_some_and(|b| b["visitor_secret_id"].is_string());
    let answer = crate::auth::authenticate(&state, &org, None, crate::exchange::host(&headers));
    let mut inner = state.lock();
    let at_ms = state.started.elapsed().as_millis() as u64;
    let o = inner.org(&org);
    o.foreign_requests += 1;
    o.log.push(LogEntry {
        at_ms,
        kind: "foreign",
        method: method.to_string(),
        path: format!("/__control/orgs/{org}/foreign"),
        status: Some(if answer.is_ok() { 200 } else { 500 }),
        secret_sent,
        secret_known: false,
        visitor_id: None,
        visitor_global_id: None,
        fault: None,
    });
    drop(inner);
    match answer {
        Ok((answer, _, _)) => json(StatusCode::OK, &answer),
        Err(response) => response,
    }
}

/// `GET /__control/orgs/<org>/realtime`: the organization's socket settings and faults.
pub async fn get_realtime(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    match org_id(&org) {
        Ok(org) => json(StatusCode::OK, &json!(state.lock().org(&org).realtime)),
        Err(response) => response,
    }
}

/// `PUT /__control/orgs/<org>/realtime`: sets the members given (see `realtime::Settings`),
/// leaves the others.
pub async fn put_realtime(State(state): State<AppState>, Path(org): Path<String>, body: Bytes) -> Response {
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let change = match serde_json::from_slice::<realtime::SettingsChange>(&body) {
        Ok(change) => change,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("not socket settings: {e}")),
    };
    let mut inner = state.lock();
    if let Err(detail) = inner.org(&org).realtime.apply(change) {
        return error(StatusCode::BAD_REQUEST, detail);
    }
    inner.realtime.recheck(&org);
    json(StatusCode::OK, &json!(inner.org(&org).realtime))
}

/// `DELETE /__control/orgs/<org>/realtime`: back to a socket without faults.
pub async fn clear_realtime(State(state): State<AppState>, Path(org): Path<String>) -> Response {
    match org_id(&org) {
        Ok(org) => {
            state.lock().org(&org).realtime = Default::default();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(response) => response,
    }
}

/// `POST /__control/orgs/<org>/realtime/drop`: closes every socket of the organization now,
/// abruptly (no close frame, as a router that goes away), or with `{"code": 1012}` a close frame
/// of that code. Answers `{"dropped": n}`.
pub async fn drop_sockets(State(state): State<AppState>, Path(org): Path<String>, body: Bytes) -> Response {
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Drop {
        code: Option<u16>,
    }
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let drop: Drop = match parse_optional(&body) {
        Ok(drop) => drop,
        Err(response) => return response,
    };
    if drop.code.is_some_and(|code| !(1000..=4999).contains(&code) || [1004, 1005, 1006, 1015].contains(&code)) {
        return error(StatusCode::BAD_REQUEST, "code must be a close code that can be sent (1000-4999, not 1004-1006 or 1015)");
    }
    let dropped = state.lock().realtime.drop_all(&org, drop.code);
    json(StatusCode::OK, &json!({ "dropped": dropped }))
}

/// `POST /__control/orgs/<org>/realtime/frames`: `{"frames": ["text", ...]}` sent as they are,
/// as text frames, to every socket of the organization (garbage, notifications of other channels,
/// oversized frames). Answers `{"sockets": n}`.
pub async fn send_frames(State(state): State<AppState>, Path(org): Path<String>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Frames {
        frames: Vec<String>,
    }
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let frames = match serde_json::from_slice::<Frames>(&body) {
        Ok(frames) => frames.frames,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("expected {{\"frames\": [text, ...]}}: {e}")),
    };
    let sockets = state.lock().realtime.send_frames(&org, &frames);
    json(StatusCode::OK, &json!({ "sockets": sockets }))
}

/// `POST /__control/orgs/<org>/chats/<chat>/messages`: an operator's message in a chat,
/// `{"message": "Hello", "type"?, "sender_id"?, "spelling"?}`, notified on the chat's messages
/// channel. Answers 201 with the message.
pub async fn operator_message(State(state): State<AppState>, Path((org, chat)): Path<(String, String)>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OperatorMessage {
        message: String,
        #[serde(rename = "type")]
        kind: Option<String>,
        sender_id: Option<String>,
        spelling: Option<Spelling>,
    }
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let spec = match serde_json::from_slice::<OperatorMessage>(&body) {
        Ok(spec) => spec,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("expected {{\"message\": text}}: {e}")),
    };
    let mut inner = state.lock();
    let Some(visitor) = inner.chats.iter().find(|c| c.id == chat && c.organization_id == org).map(|c| c.visitor_id.clone()) else {
        return error(StatusCode::NOT_FOUND, "chat not found");
    };
    let message = Message {
        id: random_uuid(),
        chat_id: chat,
        kind: spec.kind.unwrap_or_else(|| "msg".into()),
        message: spec.message,
        sender_type: "user".into(),
        sender_id: spec.sender_id.unwrap_or_else(random_uuid),
        created_at: iso8601(SystemTime::now()),
    };
    inner.messages.push(message.clone());
    crate::api::notify_message(&mut inner, &org, &visitor, &message, spec.spelling);
    json(StatusCode::CREATED, &json!(message))
}

/// `POST /__control/orgs/<org>/rooms/<room>/online_users`: an operator comes online in a room,
/// `{"id"?, "public_name"?, "avatar"?, "spelling"?}`, notified (`added`) on the room's
/// `online_users` channel. Answers 201 with the operator.
pub async fn operator_online(State(state): State<AppState>, Path((org, room)): Path<(String, String)>, body: Bytes) -> Response {
    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Operator {
        id: Option<String>,
        public_name: Option<String>,
        avatar: Option<Value>,
        spelling: Option<Spelling>,
    }
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let spec: Operator = match parse_optional(&body) {
        Ok(spec) => spec,
        Err(response) => return response,
    };
    let mut inner = state.lock();
    let Some(found) = inner.rooms.get_mut(&(org.clone(), room.to_ascii_lowercase())) else {
        return error(StatusCode::NOT_FOUND, "room not found");
    };
    let id = spec.id.unwrap_or_else(random_uuid);
    if found.online_users.iter().any(|u| u["id"] == id.as_str()) {
        return error(StatusCode::CONFLICT, "that operator is online already");
    }
    let name = spec.public_name.unwrap_or_else(|| format!("Agent {}", found.online_users.len() + 1));
    let user = json!({ "id": id, "public_name": name, "avatar": spec.avatar.unwrap_or(Value::Null) });
    found.online_users.push(user.clone());
    let channel = realtime::room_online_users(&org, &found.id);
    let change = Change { org: &org, channel, action: Action::Added, resource_id: json!(id), resource: Some(user.clone()), spelling: spec.spelling };
    realtime::notify(&mut inner, change);
    json(StatusCode::CREATED, &user)
}

/// `DELETE /__control/orgs/<org>/rooms/<room>/online_users/<user>[?spelling=resource_id]`: the
/// operator goes offline, notified (`removed`) on the room's `online_users` channel.
pub async fn operator_offline(
    State(state): State<AppState>,
    Path((org, room, user)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let spelling = match query.get("spelling").map(|s| serde_json::from_value::<Spelling>(json!(s))) {
        None => None,
        Some(Ok(spelling)) => Some(spelling),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "spelling is resourceId or resource_id"),
    };
    let mut inner = state.lock();
    let Some(found) = inner.rooms.get_mut(&(org.clone(), room.to_ascii_lowercase())) else {
        return error(StatusCode::NOT_FOUND, "room not found");
    };
    let before = found.online_users.len();
    found.online_users.retain(|u| u["id"] != user.as_str());
    if found.online_users.len() == before {
        return error(StatusCode::NOT_FOUND, "that operator is not online");
    }
    let channel = realtime::room_online_users(&org, &found.id);
    realtime::notify(&mut inner, Change { org: &org, channel, action: Action::Removed, resource_id: json!(user), resource: None, spelling });
    StatusCode::NO_CONTENT.into_response()
}

/// An optional JSON body: empty is the default.
fn parse_optional<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| error(StatusCode::BAD_REQUEST, &format!("unexpected body: {e}")))
}
