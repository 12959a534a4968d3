//! Fuzzing of everything the SDK reads from outside: auth answers from the network and records
//! from storage. A seeded generator makes a million inputs (random bytes, mutations of giosg's
//! documented answer, and random JSON objects with the answer's field names); none may panic, and
//! every accepted answer must meet SPEC §3's rules. `FUZZ_INPUTS` and `FUZZ_SEED` change the run.
#![cfg(not(target_arch = "wasm32"))]

use giosg_visitor::core::ids::OrganizationId;
use giosg_visitor::core::record::{SecretRecord, SessionRecord};
use giosg_visitor::core::redact::Secret;
use giosg_visitor::core::wire::{AuthAnswer, JsonProblem, WireAnswer, MAX_ANSWER_BYTES, MAX_EXPIRES_IN};
use serde::de::DeserializeOwned;

/// JSON text into the SDK's serde types, as the host reads it (the browser: `JSON.parse` and
/// `serde-wasm-bindgen`, into the same types).
fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, JsonProblem> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| JsonProblem::NotJson)?;
    if !value.is_object() {
        return Err(JsonProblem::Shape);
    }
    T::deserialize(value).map_err(|_| JsonProblem::Shape)
}

const ORG: &str = "e6a08f51-c250-4074-847b-58d444dbbeb1";
const DOCUMENTED: &str = r#"{"visitor_id":"8a60b202474547dbb8ce19737e4c166f","visitor_secret_id":"2bc12b9cb90d4faf92141c45d560164584ad030d78cb06f91e","organization_id":"e6a08f51-c250-4074-847b-58d444dbbeb1","socket_url":"https://messagerouter.giosg.com/003/2/router","access_token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.we2snuuhq-cnPk-GMJVoBhyZ7ZKPa95Qxe_3VkEaf_E","expires_at":"2015-12-22T11:25:30.595Z","expires_in":1800,"minimal_bar_version":3}"#;
const FIELDS: [&str; 10] = [
    "visitor_id",
    "visitor_secret_id",
    "organization_id",
    "socket_url",
    "access_token",
    "expires_at",
    "expires_in",
    "minimal_bar_version",
    "visitor_global_id",
    "v",
];

/// xorshift64*: small, fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(300);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// The documented answer with a few random edits: flips, deletions, insertions, truncation.
fn mutated(rng: &mut Rng) -> Vec<u8> {
    let mut bytes = DOCUMENTED.as_bytes().to_vec();
    const TOKENS: [&[u8]; 14] = [b"{", b"}", b"[", b"]", b"\"", b",", b":", b"\\", b"\\u", b"null", b"-", b"0", b"1e400", b"\xff"];
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => {
                let end = (at + rng.below(8)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 => {
                let token = rng.pick(&TOKENS);
                bytes.splice(at..at, token.iter().copied());
            }
            3 => bytes.truncate(at),
            _ => {
                let end = (at + rng.below(16)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

fn random_value(rng: &mut Rng, depth: usize) -> String {
    let strings = ["\"\"", "\"x\"", "\"https://h/\"", "\"http://\"", "\"wss://h\"", "\"E6A08F51-C250-4074-847B-58D444DBBEB1\"", "\"e6a08f51-c250-4074-847b-58d444dbbeb1\"", "\"\\u0000\"", "\"\\ud83d\\ude00\""];
    let numbers = ["0", "-1", "1", "1800", "31536000", "31536001", "1.5", "1e3", "-0", "9223372036854775807", "9223372036854775808", "1e400"];
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => "null".into(),
        1 => rng.pick(&["true", "false"]).to_string(),
        2 | 3 => rng.pick(&strings).to_string(),
        4 => rng.pick(&numbers).to_string(),
        5 => format!("[{}]", (0..rng.below(3)).map(|_| random_value(rng, depth + 1)).collect::<Vec<_>>().join(",")),
        _ => random_object(rng, depth + 1),
    }
}

/// An object whose members are the answer's (and the records') names with random values.
fn random_object(rng: &mut Rng, depth: usize) -> String {
    let members: Vec<String> = (0..rng.below(12))
        .map(|_| format!("\"{}\":{}", rng.pick(&FIELDS), random_value(rng, depth)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// The documented answer with each field kept or replaced at random: mostly valid shapes.
fn near_valid(rng: &mut Rng) -> Vec<u8> {
    let Ok(serde_json::Value::Object(members)) = serde_json::from_str(DOCUMENTED) else { unreachable!() };
    let mut parts = Vec::new();
    for (k, v) in &members {
        if rng.below(10) == 0 {
            continue;
        }
        let value = if rng.below(3) == 0 {
            random_value(rng, 0)
        } else {
            v.to_string()
        };
        parts.push(format!("\"{k}\":{value}"));
    }
    format!("{{{}}}", parts.join(",")).into_bytes()
}

#[test]
fn a_million_hostile_inputs_never_panic_and_accepted_answers_follow_the_rules() {
    let count: u64 = std::env::var("FUZZ_INPUTS").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut rng = Rng(seed | 1);
    let org = OrganizationId::parse(ORG).unwrap();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for _ in 0..count {
        let input = match rng.below(4) {
            0 => random_bytes(&mut rng),
            1 => mutated(&mut rng),
            2 => random_object(&mut rng, 0).into_bytes(),
            _ => near_valid(&mut rng),
        };
        // Bytes that are not UTF-8 are what `Response.text()` makes of them: U+FFFD in their place.
        let input = String::from_utf8_lossy(&input).into_owned();
        match AuthAnswer::read(&input, &org, from_json::<WireAnswer>) {
            Ok(answer) => {
                accepted += 1;
                assert!(input.len() <= MAX_ANSWER_BYTES);
                assert!((1..=MAX_EXPIRES_IN).contains(&i64::from(answer.expires_in)));
                assert_eq!(answer.organization_id, ORG);
                assert!(!answer.visitor_id.is_empty() && !answer.secret.expose().is_empty() && !answer.access_token.expose().is_empty());
                let lower = answer.socket_url.to_ascii_lowercase();
                assert!(lower.starts_with("https://") || lower.starts_with("http://"));
            }
            Err(reason) => {
                refused += 1;
                let _ = reason.message();
            }
        }
        if let Ok(record) = from_json::<SecretRecord>(&input) {
            let _ = record.secret();
        }
        if let Ok(record) = from_json::<SessionRecord>(&input) {
            let _ = record.session(&org, Secret::new("s".into()));
        }
    }
    assert_eq!(accepted + refused, count);
    assert!(accepted > 0 && refused > 0, "the generator should make both kinds");
    println!("fuzzed {count} inputs (seed {seed:#x}): {accepted} accepted, {refused} refused, no panic");
}
