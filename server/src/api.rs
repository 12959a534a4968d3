//! The documented visitor endpoints behind `Authorization: Bearer`: rooms, room visitors, chats
//! and messages, with cursor pagination on lists.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::exchange::{error, Before, ConnectionKill, Exchange};
use crate::faults::Scope;
use crate::realtime::{self, Action, Change, Spelling};
use crate::state::{iso8601, random_uuid, AppState, Chat, Inner, Message};

/// Who a valid token says the caller is.
pub struct Caller {
    pub org: String,
    pub visitor_id: String,
}

/// What a handler gets: the state under lock, the caller, the request.
pub struct Call<'a> {
    pub inner: &'a mut Inner,
    pub caller: &'a Caller,
    pub body: &'a Bytes,
    pub page: Page,
}

pub type Handler = fn(Call<'_>) -> Result<(StatusCode, Value), Response>;

/// Runs a Bearer endpoint: fault, token check, organization check, `handler`, log. Every route
/// of this file goes through here (see `lib.rs`).
pub async fn bearer(State(state): State<AppState>, request: Request, handler: Handler) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "the body is larger than 1 MiB");
    };
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let kill = parts.extensions.get::<ConnectionKill>();
    // `/api/v5/public/orgs/<org>/...`
    let path_org = uri.path().strip_prefix("/api/v5/public/orgs/").and_then(|rest| rest.split('/').next()).map(str::to_ascii_lowercase);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    // The organization whose faults and counts apply: the path's, else the token's.
    let org = path_org.clone().or_else(|| state.lock().tokens.get(token).map(|t| t.org.clone()));
    let exchange = Exchange::start(&state, org.as_deref(), Scope::Api, method.as_str(), uri.path());
    let mut exchange = match exchange.before(kill).await {
        Before::Done(response) => return response,
        Before::Handle(exchange) => *exchange,
    };
    let caller = {
        let inner = state.lock();
        match inner.check_token(token, Instant::now()) {
            Ok(t) => Caller { org: t.org.clone(), visitor_id: t.visitor_id.clone() },
            Err(reason) => {
                drop(inner);
                let reason = if token.is_empty() { "missing Bearer token" } else { reason };
                return exchange.reply(error(StatusCode::UNAUTHORIZED, reason));
            }
        }
    };
    exchange.entry.visitor_id = Some(caller.visitor_id.clone());
    if path_org.is_some_and(|o| o != caller.org) {
        return exchange.reply(error(StatusCode::FORBIDDEN, "no access to this organization"));
    }
    let query = Query::<HashMap<String, String>>::try_from_uri(&uri).map(|Query(q)| q).unwrap_or_default();
    let page = match Page::from_query(&query, &headers, &uri) {
        Ok(page) => page,
        Err(detail) => return exchange.reply(error(StatusCode::BAD_REQUEST, detail)),
    };
    let result = {
        let mut inner = state.lock();
        handler(Call { inner: &mut inner, caller: &caller, body: &body, page })
    };
    match result {
        Ok((status, value)) => exchange.finish(status, value),
        Err(response) => exchange.reply(response),
    }
}

/// The path's segments: each handler reads its parameters by position.
fn segments(call: &Call<'_>) -> Vec<String> {
    call.page.path.split('/').map(str::to_owned).collect()
}

/// `/api/v5/public/orgs/<org>/rooms/<room>`… → the room id.
fn room_id(call: &Call<'_>) -> String {
    segments(call).get(7).cloned().unwrap_or_default()
}

pub fn room_handler(call: Call<'_>) -> Result<(StatusCode, Value), Response> {
    let key = (call.caller.org.clone(), room_id(&call));
    let room = call.inner.rooms.get(&key).ok_or_else(|| error(StatusCode::NOT_FOUND, "room not found"))?;
    Ok((StatusCode::OK, json!(room)))
}

pub fn online_users_handler(call: Call<'_>) -> Result<(StatusCode, Value), Response> {
    let key = (call.caller.org.clone(), room_id(&call));
    let room = call.inner.rooms.get(&key).ok_or_else(|| error(StatusCode::NOT_FOUND, "room not found"))?;
    Ok((StatusCode::OK, call.page.slice(&room.online_users)))
}

pub fn add_visitor_handler(call: Call<'_>) -> Result<(StatusCode, Value), Response> {
    let body: Value = serde_json::from_slice(call.body).map_err(|_| error(StatusCode::BAD_REQUEST, "the body must be JSON"))?;
    let id = body.get("id").and_then(Value::as_str).ok_or_else(|| error(StatusCode::BAD_REQUEST, "id is required"))?;
    let presence = match body.get("presence_expires_in") {
        None => 60,
        Some(v) => v.as_u64().ok_or_else(|| error(StatusCode::BAD_REQUEST, "presence_expires_in must be a whole number"))?,
    };
    if id != call.caller.visitor_id {
        return Err(error(StatusCode::FORBIDDEN, "a visitor can only add itself"));
    }
    let key = (call.caller.org.clone(), room_id(&call));
    let room = call.inner.rooms.get_mut(&key).ok_or_else(|| error(StatusCode::NOT_FOUND, "room not found"))?;
    let existed = room.visitors.insert(id.to_owned(), presence).is_some();
    let status = if existed { StatusCode::OK } else { StatusCode::CREATED };
    let answer = json!({ "id": id, "room_id": room.id, "presence_expires_in": presence });
    let (action, resource) = if existed {
        (Action::Changed, json!({ "presence_expires_in": presence }))
    } else {
        (Action::Added, answer.clone())
    };
    let org = call.caller.org.as_str();
    let channel = realtime::room_visitors(org, &key.1);
    realtime::notify(call.inner, Change { org, channel, action, resource_id: json!(id), resource: Some(resource), spelling: None });
    Ok((status, answer))
}

pub fn create_chat_handler(call: Call<'_>) -> Result<(StatusCode, Value), Response> {
    let segs = segments(&call);
    let visitor = segs.get(9).cloned().unwrap_or_default();
    if visitor != call.caller.visitor_id {
        return Err(error(StatusCode::FORBIDDEN, "a visitor can only chat as itself"));
    }
    let key = (call.caller.org.clone(), room_id(&call));
    if !call.inner.rooms.contains_key(&key) {
        return Err(error(StatusCode::NOT_FOUND, "room not found"));
    }
    let chat = Chat {
        id: random_uuid(),
        organization_id: call.caller.org.clone(),
        room_id: key.1,
        visitor_id: visitor,
        created_at: iso8601(SystemTime::now()),
        is_ended: false,
    };
    call.inner.chats.push(chat.clone());
    notify_new_chat(call.inner, &chat);
    Ok((StatusCode::CREATED, json!(chat)))
}

/// A new chat is added to the visitor's chats, and the visitor's membership in it to their
/// memberships and the chat's.
fn notify_new_chat(inner: &mut Inner, chat: &Chat) {
    let org = chat.organization_id.as_str();
    let visitor = chat.visitor_id.as_str();
    let membership = json!({
        "id": random_uuid(),
        "chat_id": chat.id,
        "member_type": "visitor",
        "member_id": visitor,
        "created_at": chat.created_at,
    });
    let added = |channel: String, resource: &Value| Change {
        org,
        channel,
        action: Action::Added,
        resource_id: resource["id"].clone(),
        resource: Some(resource.clone()),
        spelling: None,
    };
    realtime::notify(inner, added(realtime::visitor_chats(visitor), &json!(chat)));
    realtime::notify(inner, added(realtime::visitor_chat_memberships(visitor), &membership));
    realtime::notify(inner, added(realtime::chat_memberships(visitor, &chat.id), &membership));
}

/// `/api/v5/public/visitors/<visitor>/chats`… → the visitor, checked against the caller.
fn own_visitor(call: &Call<'_>) -> Result<String, Response> {
    let visitor = segments(call).get(5).cloned().unwrap_or_default();
    if visitor != call.caller.visitor_id {
        return Err(error(StatusCode::FORBIDDEN, "a visitor can only see its own chats"));
    }
    Ok(visitor)
}

pub fn list_chats_handler(call: Call<'_>) -> Result<(StatusCode, Value), Response> {
    let visitor = own_visitor(&call)?;
    let chats: Vec<Value> = call
        .inner
        .chats
        .iter()
        .filter(|c| c.visitor_id == visitor && c.organization_id == call.caller.org)
        .map(|c| json!(c))
        .collect();
    Ok((StatusCode::OK, call.page.slice(&chats)))
}

/// The chat of a `/visitors/<visitor>/chats/<chat>/messages` path, if it is the caller's.
fn own_chat(call: &Call<'_>) -> Result<String, Response> {
    let visitor = own_visitor(call)?;
    let chat_id = segments(call).get(7).cloned().unwrap_or_default();
    let found = call.inner.chats.iter().any(|c| c.id == chat_id && c.visitor_id == visitor);
    if !found {
        return Err(error(StatusCode::NOT_FOUND, "chat not found"));
    }
    Ok(chat_id)
}

pub fn post_message_handler(call: Call<'_>) -> Result<(StatusCode, Value), Response> {
    let chat_id = own_chat(&call)?;
    let body: Value = serde_json::from_slice(call.body).map_err(|_| error(StatusCode::BAD_REQUEST, "the body must be JSON"))?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or("msg");
    let text = body.get("message").and_then(Value::as_str).ok_or_else(|| error(StatusCode::BAD_REQUEST, "message is required"))?;
    let message = Message {
        id: random_uuid(),
        chat_id,
        kind: kind.to_owned(),
        message: text.to_owned(),
        sender_type: "visitor".into(),
        sender_id: call.caller.visitor_id.clone(),
        created_at: iso8601(SystemTime::now()),
    };
    call.inner.messages.push(message.clone());
    notify_message(call.inner, &call.caller.org, &call.caller.visitor_id, &message, None);
    Ok((StatusCode::CREATED, json!(message)))
}

/// A message is added to its chat's messages channel.
pub fn notify_message(inner: &mut Inner, org: &str, visitor: &str, message: &Message, spelling: Option<Spelling>) {
    let channel = realtime::chat_messages(visitor, &message.chat_id);
    let resource = json!(message);
    realtime::notify(inner, Change { org, channel, action: Action::Added, resource_id: json!(message.id), resource: Some(resource), spelling });
}

pub fn list_messages_handler(call: Call<'_>) -> Result<(StatusCode, Value), Response> {
    let chat_id = own_chat(&call)?;
    let messages: Vec<Value> = call.inner.messages.iter().filter(|m| m.chat_id == chat_id).map(|m| json!(m)).collect();
    Ok((StatusCode::OK, call.page.slice(&messages)))
}

/// Cursor pagination: `{"next", "previous", "results"}` with opaque cursors.
pub struct Page {
    offset: usize,
    size: usize,
    /// `http://host/path`, for the `next` and `previous` links.
    base: String,
    path: String,
}

impl Page {
    const DEFAULT_SIZE: usize = 20;

    fn from_query(query: &HashMap<String, String>, headers: &HeaderMap, uri: &Uri) -> Result<Self, &'static str> {
        let offset = match query.get("cursor") {
            None => 0,
            Some(c) => c.strip_prefix('o').and_then(|n| n.parse().ok()).ok_or("invalid cursor")?,
        };
        let size = match query.get("page_size") {
            None => Self::DEFAULT_SIZE,
            Some(n) => n.parse().ok().filter(|n| (1..=100).contains(n)).ok_or("page_size must be 1 to 100")?,
        };
        let host = crate::exchange::host(headers);
        Ok(Self { offset, size, base: format!("http://{host}{}", uri.path()), path: uri.path().to_owned() })
    }

    fn link(&self, offset: usize) -> Value {
        Value::String(format!("{}?cursor=o{offset}&page_size={}", self.base, self.size))
    }

    fn slice(&self, items: &[Value]) -> Value {
        let start = self.offset.min(items.len());
        let end = (start + self.size).min(items.len());
        let next = if end < items.len() { self.link(end) } else { Value::Null };
        let previous = if start > 0 { self.link(start.saturating_sub(self.size)) } else { Value::Null };
        json!({ "next": next, "previous": previous, "results": &items[start..end] })
    }
}
