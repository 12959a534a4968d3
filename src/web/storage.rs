//! Key-value storage: `localStorage`, `sessionStorage` or memory.
//!
//! Every value read or written is also kept in memory, so that when the browser storage goes
//! missing or starts throwing (SecurityError in sandboxed iframes, QuotaExceededError), the SDK
//! carries on with what it had, in memory, and reports the degradation once.

use crate::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::options::StorageKind;
use crate::core::text;
use crate::web::sys;

#[wasm_bindgen]
extern "C" {
    type StorageLike;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &StorageLike, key: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item(this: &StorageLike, key: &str, value: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeItem)]
    fn remove_item(this: &StorageLike, key: &str) -> Result<(), JsValue>;
}

/// The name of a thrown value, for reasons (`SecurityError`, `QuotaExceededError`, ...).
fn error_name(error: &JsValue) -> String {
    sys::string_prop(error, "name").unwrap_or_else(|| "an error".into())
}

pub struct Store {
    browser: Option<StorageLike>,
    name: &'static str,
    /// What was last read or written, key by key (a handful of keys: a list beats a hash map
    /// in code size).
    memory: Vec<(String, String)>,
    /// Why the browser storage is no longer used, until reported.
    degraded: Option<String>,
}

impl Store {
    pub fn new(kind: StorageKind) -> Self {
        let name = match kind {
            StorageKind::Local => "localStorage",
            StorageKind::Session => "sessionStorage",
            StorageKind::Memory => return Self { browser: None, name: "memory", memory: Vec::new(), degraded: None },
        };
        // Reading the property itself throws in some sandboxed iframes.
        let (browser, degraded) = match sys::get(&sys::global(), &name.into()) {
            Ok(value) if value.is_object() => (Some(value.unchecked_into()), None),
            Ok(_) => (None, Some(text::cat(&[name, " is not available: keeping the visitor in memory"]))),
            Err(e) => (None, Some(text::cat(&[name, " threw ", &error_name(&e), ": keeping the visitor in memory"]))),
        };
        Self { browser, name, memory: Vec::new(), degraded }
    }

    pub fn get(&mut self, key: &str) -> Option<String> {
        if let Some(browser) = &self.browser {
            match browser.get_item(key) {
                Ok(Some(value)) => {
                    self.remember(key, Some(&value));
                    return Some(value);
                }
                Ok(None) => {
                    self.remember(key, None);
                    return None;
                }
                Err(e) => self.degrade("reading", &e),
            }
        }
        self.memory.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn remember(&mut self, key: &str, value: Option<&str>) {
        self.memory.retain(|(k, _)| k != key);
        if let Some(value) = value {
            self.memory.push((key.to_owned(), value.to_owned()));
        }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.remember(key, Some(value));
        if let Some(browser) = &self.browser {
            if let Err(e) = browser.set_item(key, value) {
                self.degrade("writing", &e);
            }
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.remember(key, None);
        if let Some(browser) = &self.browser {
            if let Err(e) = browser.remove_item(key) {
                self.degrade("removing from", &e);
            }
        }
    }

    /// The reason for a degradation not reported yet; each is handed out once.
    pub fn take_degradation(&mut self) -> Option<String> {
        self.degraded.take()
    }

    fn degrade(&mut self, doing: &str, error: &JsValue) {
        self.degraded = Some(text::cat(&[&error_name(error), " ", doing, " ", self.name, ": keeping the visitor in memory"]));
        self.browser = None;
    }
}
