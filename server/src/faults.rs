//! Injected faults: what the control surface can make the next requests of an organization do.
//!
//! A fault is a JSON object; every field is optional and they combine:
//!
//! | field | effect |
//! |---|---|
//! | `scope` | `"auth"` (default): auth requests; `"api"`: the Bearer endpoints; `"all"` |
//! | `times` | how many requests it applies to, then it is gone; absent: until cleared |
//! | `delay_ms` | wait this long before answering (or dropping) |
//! | `drop` | close the connection without an answer |
//! | `status` | answer with this status instead of handling the request |
//! | `retry_after` | with `status`: a `Retry-After` header, sent as given (seconds or an HTTP date) |
//! | `retry_after_date_in` | with `status`: a `Retry-After` HTTP date this many seconds from now |
//! | `redirect` | with a 3xx `status`: a `Location` header with this URL (say, the `foreign` endpoint of the control surface under another host name) |
//! | `body` | answer with this raw text (status 200 unless `status` is set) |
//! | `set` | handle the request, then set these members of the JSON answer (wrong types, other values) |
//! | `remove` | handle the request, then remove these members from the JSON answer |
//! | `pad_bytes` | handle the request, then add a `padding` member this many bytes long |
//! | `partial` | handle the request, send the headers and half the body, then close the connection |
//!
//! Faults are kept in a list per organization; a request takes the first one whose scope matches.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    #[serde(default)]
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_date_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pad_bytes: Option<usize>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Auth,
    Api,
    All,
}

impl Fault {
    /// Checks what serde cannot: values that make sense together.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(status) = self.status {
            if !(200..=599).contains(&status) {
                return Err(format!("status {status} is not an HTTP status"));
            }
        }
        if self.times == Some(0) {
            return Err("times must be at least 1 (leave it out for 'until cleared')".into());
        }
        if (self.retry_after.is_some() || self.retry_after_date_in.is_some()) && self.status.is_none() {
            return Err("retry_after needs a status".into());
        }
        if self.redirect.is_some() && !self.status.is_some_and(|status| (300..=399).contains(&status)) {
            return Err("redirect needs a 3xx status".into());
        }
        let rewrites = self.set.is_some() || self.remove.is_some() || self.pad_bytes.is_some() || self.partial;
        if self.drop && (self.status.is_some() || self.body.is_some() || rewrites) {
            return Err("drop cannot be combined with an answer".into());
        }
        if rewrites && (self.status.is_some() || self.body.is_some()) {
            return Err("set/remove/pad_bytes/partial rewrite the real answer: not with status or body".into());
        }
        if self.pad_bytes.is_some_and(|n| n > 16 * 1024 * 1024) {
            return Err("pad_bytes is limited to 16 MiB".into());
        }
        Ok(())
    }

    fn applies_to(&self, scope: Scope) -> bool {
        self.scope == Scope::All || self.scope == scope
    }

    /// A short description for the request log.
    pub fn describe(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "fault".into())
    }

    /// Applies the JSON rewrites (`set`, `remove`, `pad_bytes`) to an answer.
    pub fn rewrite(&self, answer: &mut serde_json::Value) {
        if let Some(object) = answer.as_object_mut() {
            if let Some(set) = &self.set {
                for (k, v) in set {
                    object.insert(k.clone(), v.clone());
                }
            }
            for k in self.remove.iter().flatten() {
                object.remove(k);
            }
            if let Some(n) = self.pad_bytes {
                object.insert("padding".into(), serde_json::Value::String("x".repeat(n)));
            }
        }
    }
}

/// Takes the fault for the next request of `scope` from an organization's list, using up one of
/// its `times`.
pub fn take(faults: &mut Vec<Fault>, scope: Scope) -> Option<Fault> {
    let index = faults.iter().position(|f| f.applies_to(scope))?;
    let fault = faults[index].clone();
    match &mut faults[index].times {
        Some(1) => {
            faults.remove(index);
        }
        Some(n) => *n -= 1,
        None => {}
    }
    Some(fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: &str) -> Fault {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_counted_fault_is_used_up_and_an_uncounted_one_stays() {
        let mut list = vec![fault(r#"{"status":500,"times":2}"#), fault(r#"{"status":503}"#)];
        assert_eq!(take(&mut list, Scope::Auth).unwrap().status, Some(500));
        assert_eq!(take(&mut list, Scope::Auth).unwrap().status, Some(500));
        for _ in 0..3 {
            assert_eq!(take(&mut list, Scope::Auth).unwrap().status, Some(503));
        }
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn scopes_select_requests() {
        let mut list = vec![fault(r#"{"scope":"api","status":401}"#)];
        assert!(take(&mut list, Scope::Auth).is_none());
        assert_eq!(take(&mut list, Scope::Api).unwrap().status, Some(401));
        let mut all = vec![fault(r#"{"scope":"all","drop":true}"#)];
        assert!(take(&mut all, Scope::Auth).is_some() && take(&mut all, Scope::Api).is_some());
    }

    #[test]
    fn nonsense_combinations_are_refused() {
        for bad in [
            r#"{"status":99}"#,
            r#"{"times":0,"status":500}"#,
            r#"{"retry_after":"5"}"#,
            r#"{"drop":true,"status":500}"#,
            r#"{"partial":true,"status":500}"#,
            r#"{"redirect":"http://localhost/"}"#,
            r#"{"redirect":"http://localhost/","status":200}"#,
        ] {
            assert!(fault(bad).validate().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Fault>(r#"{"stauts":500}"#).is_err());
        assert!(fault(r#"{"status":503,"retry_after":"5","times":1}"#).validate().is_ok());
        assert!(fault(r#"{"status":307,"redirect":"http://localhost:1/x"}"#).validate().is_ok());
    }

    #[test]
    fn rewrites_set_remove_and_pad() {
        let mut answer = serde_json::json!({"a": 1, "b": 2});
        fault(r#"{"set":{"a":"one"},"remove":["b"],"pad_bytes":3}"#).rewrite(&mut answer);
        assert_eq!(answer, serde_json::json!({"a": "one", "padding": "xxx"}));
    }
}
