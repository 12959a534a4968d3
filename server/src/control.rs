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

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::exchange::{error, json};
use crate::faults::Fault;
use crate::state::{is_uuid, random_uuid, AppState, LogEntry, Room};

pub async fn health() -> &'static str {
    "ok"
}

pub async fn reset(State(state): State<AppState>) -> StatusCode {
    *state.lock() = Default::default();
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
            let o = inner.org(&org);
            json(
                StatusCode::OK,
                &json!({ "auth_requests": o.auth_requests, "api_requests": o.api_requests, "foreign_requests": o.foreign_requests, "log": o.log }),
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
pub async fn foreign(State(state): State<AppState>, Path(org): Path<String>, method: Method, body: Bytes) -> Response {
    let org = match org_id(&org) {
        Ok(org) => org,
        Err(response) => return response,
    };
    let secret_sent = serde_json::from_slice::<Value>(&body).ok().is_some_and(|b| b["visitor_secret_id"].is_string());
    let answer = crate::auth::authenticate(&state, &org, None);
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
