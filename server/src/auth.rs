//! `POST /api/v5/public/orgs/<org>/auth`, as giosg documents it (shared/reference).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Extension;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::exchange::{error, Before, ConnectionKill, Exchange};
use crate::faults::Scope;
use crate::state::{iso8601, is_uuid, random_hex, AppState, Token, Visitor};

pub async fn auth(
    State(state): State<AppState>,
    Path(org): Path<String>,
    kill: Option<Extension<ConnectionKill>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_uuid(&org) {
        return error(StatusCode::BAD_REQUEST, "organization id must be a UUID");
    }
    let org = org.to_ascii_lowercase();
    let path = format!("/api/v5/public/orgs/{org}/auth");
    let mut exchange = Exchange::start(&state, Some(&org), Scope::Auth, "POST", &path);

    // The body is read before a fault applies, so the log says whether a secret was sent.
    let secret = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(members)) => match members.get("visitor_secret_id") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err("visitor_secret_id must be a string or null"),
        },
        _ => Err("the body must be a JSON object"),
    };
    if let Ok(Some(secret)) = &secret {
        exchange.entry.secret_sent = true;
        exchange.entry.secret_known = state.lock().visitors.contains_key(secret);
    }

    let exchange = match exchange.before(kill.as_ref().map(|Extension(k)| k)).await {
        Before::Done(response) => return response,
        Before::Handle(exchange) => *exchange,
    };
    let secret = match secret {
        Ok(secret) => secret,
        Err(detail) => return exchange.reply(error(StatusCode::BAD_REQUEST, detail)),
    };
    match authenticate(&state, &org, secret, crate::exchange::host(&headers)) {
        Ok((answer, visitor_id, global_id)) => {
            let mut exchange = exchange;
            exchange.entry.visitor_id = Some(visitor_id);
            exchange.entry.visitor_global_id = Some(global_id);
            exchange.finish(StatusCode::OK, answer)
        }
        Err(response) => exchange.reply(response),
    }
}

/// Finds or creates the visitor, issues a token, and builds the documented answer (its
/// `socket_url` points at this server under `host`, see `realtime::socket_url`).
pub(crate) fn authenticate(state: &AppState, org: &str, secret: Option<String>, host: &str) -> Result<(Value, String, String), Response> {
    let mut inner = state.lock();
    let expires_in = inner.org(org).expires_in.unwrap_or(state.config.expires_in);
    let secret = match secret {
        Some(secret) if inner.visitors.contains_key(&secret) => secret,
        Some(_) => return Err(error(StatusCode::UNAUTHORIZED, "unknown visitor_secret_id")),
        None => {
            let secret = random_hex(50);
            inner.visitors.insert(secret.clone(), Visitor { global_id: random_hex(32), per_org: Default::default() });
            secret
        }
    };
    let Some(visitor) = inner.visitors.get_mut(&secret) else {
        return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "visitor vanished"));
    };
    let visitor_id = visitor.per_org.entry(org.to_owned()).or_insert_with(|| random_hex(32)).clone();
    let global_id = visitor.global_id.clone();

    let now = SystemTime::now();
    let lifetime = Duration::from_secs(u64::from(expires_in));
    let access_token = jwt(&visitor_id, org, now + lifetime);
    let instant = Instant::now();
    inner.sweep_tokens(instant);
    inner.tokens.insert(
        access_token.clone(),
        Token { org: org.to_owned(), visitor_id: visitor_id.clone(), expires: instant + lifetime },
    );
    let socket_url = crate::realtime::socket_url(&mut inner, org, host);
    let answer = json!({
        "visitor_id": visitor_id,
        "visitor_secret_id": secret,
        "organization_id": org,
        "socket_url": socket_url,
        "access_token": access_token,
        "expires_at": iso8601(now + lifetime),
        "expires_in": expires_in,
        "minimal_bar_version": 3,
    });
    Ok((answer, visitor_id, global_id))
}

/// A token shaped like giosg's (a JWT). Its signature is random: the server checks tokens by
/// looking them up, never by decoding them.
fn jwt(visitor_id: &str, org: &str, expires: SystemTime) -> String {
    let exp = expires.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let payload = json!({ "sub": visitor_id, "org": org, "exp": exp }).to_string();
    format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{}.{}", base64url(payload.as_bytes()), random_hex(43))
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64url;

    #[test]
    fn base64url_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"{}"), "e30");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
