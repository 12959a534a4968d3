//! Everything the server remembers, in memory: visitors and their secrets, tokens, rooms and
//! chats, and per organization its settings, injected faults, request counts and log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde::Serialize;

use crate::faults::Fault;

/// Server-wide settings, from the command line.
#[derive(Clone, Debug)]
pub struct Config {
    /// Token lifetime in seconds when an organization has no setting of its own.
    pub expires_in: u32,
    /// Folder served at `/` (the demo), if any.
    pub www: Option<std::path::PathBuf>,
    /// Folder served at `/pkg/` (the built package), if any.
    pub pkg: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            expires_in: 1800,
            www: None,
            pkg: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    inner: Arc<Mutex<Inner>>,
    pub started: Instant,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        Self { config: Arc::new(config), inner: Arc::default(), started: Instant::now() }
    }

    /// The state, even if a handler panicked while holding the lock (nothing here is left
    /// half-updated across an await, so the data stays consistent).
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
pub struct Inner {
    /// Secret → visitor. One secret is the same visitor at every organization.
    pub visitors: HashMap<String, Visitor>,
    pub tokens: HashMap<String, Token>,
    pub orgs: HashMap<String, Org>,
    pub rooms: HashMap<(String, String), Room>,
    pub chats: Vec<Chat>,
    pub messages: Vec<Message>,
    /// The open sockets and their subscriptions.
    pub realtime: crate::realtime::Hub,
}

pub struct Visitor {
    /// An id of the visitor across organizations, for the control surface's log.
    pub global_id: String,
    /// Organization → that organization's `visitor_id`.
    pub per_org: HashMap<String, String>,
}

pub struct Token {
    pub org: String,
    pub visitor_id: String,
    pub expires: Instant,
}

#[derive(Default)]
pub struct Org {
    pub expires_in: Option<u32>,
    pub faults: Vec<Fault>,
    pub auth_requests: u64,
    pub api_requests: u64,
    /// Requests that reached the `foreign` endpoint (a redirect followed off the API origin).
    pub foreign_requests: u64,
    pub log: Vec<LogEntry>,
    /// Socket faults and settings (`/__control/orgs/<org>/realtime`).
    pub realtime: crate::realtime::Settings,
    /// Socket counts (`sockets` in the stats).
    pub sockets: crate::realtime::Counts,
}

/// One request as the server saw it. Never holds a secret or a token.
#[derive(Clone, Serialize, Debug)]
pub struct LogEntry {
    /// Milliseconds since the server started.
    pub at_ms: u64,
    pub kind: &'static str,
    pub method: String,
    pub path: String,
    /// The status sent, or `null` when the connection was dropped instead.
    pub status: Option<u16>,
    /// Whether an auth request carried a `visitor_secret_id`.
    pub secret_sent: bool,
    /// Whether that secret was one the server issued.
    pub secret_known: bool,
    pub visitor_id: Option<String>,
    /// The visitor across organizations (the same for one secret everywhere).
    pub visitor_global_id: Option<String>,
    /// The fault applied, if any.
    pub fault: Option<String>,
}

#[derive(Clone, Serialize)]
pub struct Room {
    pub id: String,
    pub display_name: String,
    pub language_code: String,
    pub is_online: bool,
    pub brand: Option<String>,
    #[serde(skip)]
    pub online_users: Vec<serde_json::Value>,
    #[serde(skip)]
    pub visitors: HashMap<String, u64>,
}

#[derive(Clone, Serialize)]
pub struct Chat {
    pub id: String,
    pub organization_id: String,
    pub room_id: String,
    pub visitor_id: String,
    pub created_at: String,
    pub is_ended: bool,
}

#[derive(Clone, Serialize)]
pub struct Message {
    pub id: String,
    pub chat_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    pub sender_type: String,
    pub sender_id: String,
    pub created_at: String,
}

impl Inner {
    pub fn org(&mut self, org: &str) -> &mut Org {
        self.orgs.entry(org.to_owned()).or_default()
    }

    /// A token's visitor, if the token exists and has not expired.
    pub fn check_token(&self, token: &str, now: Instant) -> Result<&Token, &'static str> {
        match self.tokens.get(token) {
            None => Err("unknown token"),
            Some(t) if t.expires <= now => Err("expired token"),
            Some(t) => Ok(t),
        }
    }

    /// Drops expired tokens so that a long test run does not grow the map without bound.
    pub fn sweep_tokens(&mut self, now: Instant) {
        if self.tokens.len() > 10_000 {
            self.tokens.retain(|_, t| t.expires > now);
        }
    }
}

/// `n` random lower-case hex characters.
pub fn random_hex(n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rng = rand::rng();
    (0..n).map(|_| HEX[rng.random_range(0..16)] as char).collect()
}

/// A random version-4 UUID, lower case and dashed, like giosg's ids.
pub fn random_uuid() -> String {
    let h = random_hex(32);
    let variant = ['8', '9', 'a', 'b'][rand::rng().random_range(0..4)];
    format!("{}-{}-4{}-{}{}-{}", &h[0..8], &h[8..12], &h[13..16], variant, &h[17..20], &h[20..32])
}

/// Whether `text` is a dashed UUID (any case).
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// ISO-8601 UTC with milliseconds, like giosg's `expires_at`: `2015-12-22T11:25:30.595Z`.
pub fn iso8601(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_instants() {
        let at = |ms: u64| iso8601(UNIX_EPOCH + Duration::from_millis(ms));
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(1_450_783_530_595), "2015-12-22T11:25:30.595Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
    }

    #[test]
    fn random_ids_have_giosg_shapes() {
        let uuid = random_uuid();
        assert!(is_uuid(&uuid) && uuid == uuid.to_lowercase(), "{uuid}");
        assert_eq!(&uuid[14..15], "4");
        let hex = random_hex(32);
        assert!(hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!is_uuid("e6a08f51c2504074847b58d444dbbeb1"));
    }
}
