//! The lifecycle on a fake clock, with a shell that records what it is asked for.

use std::format;
use std::string::String;
use std::vec::Vec;

use super::*;
use crate::core::json::Json;
use crate::core::options::RawOptions;

const ORG: &str = "e6a08f51-c250-4074-847b-58d444dbbeb1";

/// What the machine asked for, in order.
#[derive(Debug, PartialEq, Clone)]
enum Did {
    Post { seq: u32, secret: bool },
    Abort,
    Lock(bool),
    Unlock,
    Listen(bool),
    Emit(String),
    Reply(u32, Result<String, &'static str>),
}

struct Fake {
    now: f64,
    storage: Vec<(String, String)>,
    locks: bool,
    timer: Option<u32>,
    did: Vec<Did>,
}

impl Fake {
    fn new() -> Self {
        Fake { now: 1_700_000_000_000.0, storage: Vec::new(), locks: true, timer: None, did: Vec::new() }
    }

    fn take(&mut self) -> Vec<Did> {
        core::mem::take(&mut self.did)
    }

    fn stored(&self, suffix: &str) -> Option<&str> {
        self.storage.iter().find(|(k, _)| k.ends_with(suffix)).map(|(_, v)| v.as_str())
    }

    /// Moves the clock to the timer and fires it.
    fn fire(&mut self, life: &mut Lifecycle) {
        let delay = self.timer.expect("the timer is armed");
        self.now += f64::from(delay);
        life.tick(self);
    }
}

impl Shell for Fake {
    type Doc = Json;
    fn now(&self) -> f64 {
        self.now
    }
    fn random(&self) -> f64 {
        0.5
    }
    fn parse(&self, text: &str) -> Option<Json> {
        Json::parse(text.as_bytes()).ok()
    }
    fn get(&mut self, key: &str) -> Option<String> {
        self.storage.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
    fn set(&mut self, key: &str, value: &str) {
        self.remove(key);
        self.storage.push((key.into(), value.into()));
    }
    fn remove(&mut self, key: &str) {
        self.storage.retain(|(k, _)| k != key);
    }
    fn degraded(&mut self) -> Option<String> {
        None
    }
    fn post(&mut self, seq: u32, _url: &str, body: &str, _timeout_ms: u32) {
        self.did.push(Did::Post { seq, secret: !body.contains("null") });
    }
    fn abort(&mut self) {
        self.did.push(Did::Abort);
    }
    fn lock(&mut self, _name: &str, if_available: bool) -> bool {
        if self.locks {
            self.did.push(Did::Lock(if_available));
        }
        self.locks
    }
    fn unlock(&mut self) {
        self.did.push(Did::Unlock);
    }
    fn timer(&mut self, delay_ms: Option<u32>) {
        self.timer = delay_ms;
    }
    fn listen(&mut self, on: bool, _tabs: bool) {
        self.did.push(Did::Listen(on));
    }
    fn emit(&mut self, detail: Detail<'_>) {
        let name = match detail {
            Detail::Session(s, source) => format!("session {} {}", s.answer.visitor_id, source.name()),
            Detail::IdentityChange(from, to) => format!("identitychange {from:?} {to:?}"),
            Detail::Error(e) => format!("error {}", e.code),
            Detail::Storage(r) => format!("storage {r}"),
        };
        self.did.push(Did::Emit(name));
    }
    fn reply(&mut self, call: u32, reply: Result<Reply<'_>, &Error>) {
        let reply = match reply {
            Ok(Reply::Session(s)) => Ok(format!("session {}", s.answer.visitor_id)),
            Ok(Reply::Token(t)) => Ok(format!("token {t}")),
            Ok(Reply::Send(t, retried)) => Ok(format!("send {t} {retried}")),
            Err(e) => Err(e.code),
        };
        self.did.push(Did::Reply(call, reply));
    }
}

fn lifecycle(storage: &str) -> Lifecycle {
    let raw = RawOptions { organization_id: Some(ORG.into()), storage: Some(storage.into()), ..RawOptions::default() };
    Lifecycle::new(Options::from_raw(&raw).unwrap())
}

fn ok(visitor: &str, token: &str, expires_in: u32) -> Result<Response, Error> {
    let body = format!(
        r#"{{"visitor_id":"{visitor}","visitor_secret_id":"secret-{visitor}","organization_id":"{ORG}","socket_url":"https://x/","access_token":"{token}","expires_at":"2015-12-22T11:25:30.595Z","expires_in":{expires_in}}}"#
    );
    Ok(Response { status: 200, body, retry_after: None })
}

fn status(status: u16, retry_after: Option<&str>) -> Result<Response, Error> {
    Ok(Response { status, body: String::new(), retry_after: retry_after.map(String::from) })
}

fn post(seq: u32, secret: bool) -> Did {
    Did::Post { seq, secret }
}

#[test]
fn a_new_visitor_is_one_request_and_its_session_is_stored_then_handed_out() {
    let (mut life, mut shell) = (lifecycle("memory"), Fake::new());
    life.authenticate(1, false, &mut shell);
    assert_eq!(shell.take(), [Did::Listen(true), post(1, false)]);
    life.answered(1, ok("v1", "t1", 1800), &mut shell);
    assert_eq!(shell.take(), [Did::Unlock, Did::Emit("session v1 network".into()), Did::Reply(1, Ok("session v1".into()))]);
    assert!(shell.stored(":secret").is_some_and(|s| s.contains("secret-v1")));
    assert!(shell.stored(":session").is_some());
    // The timer is armed for the renewal point: 60 s + 10% jitter (at 0.5) of 1800 s before expiry.
    assert_eq!(shell.timer, Some((1800 - 60 - 90) * 1000));
}
