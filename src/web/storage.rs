//! Where the visitor is kept: `localStorage` or `sessionStorage` through `gloo-storage`, or
//! memory. Every value read or written is also kept in memory, so that when the browser's
//! storage is missing, blocked (`SecurityError` in sandboxed iframes or with cookies blocked) or
//! throws (`QuotaExceededError`), the visitor carries on in memory; [`Storage::degraded`] says
//! why, once.
//!
//! `gloo-storage` throws (`expect_throw`) where the browser's storage is missing or its calls
//! throw, and a throw from Rust skips every destructor on its way out. So availability is checked
//! through `web-sys` first (`Window::local_storage()` is a `Result`, and a probe read), the handle
//! is taken from `gloo-storage` once it is known good, and only its `Result`-returning
//! `get_item`/`set_item`/`remove_item` are called; serde makes the records' text.

use gloo_storage::{LocalStorage, SessionStorage, Storage as _};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::core::options::StorageKind;

pub struct Storage {
    /// Where things are meant to be kept.
    kind: StorageKind,
    /// The browser's storage, while it works.
    handle: Option<web_sys::Storage>,
    name: &'static str,
    /// What was last read or written, by key (a handful of keys: a list will do).
    memory: Vec<(String, String)>,
    /// Why the browser's storage is not (or no longer) used, until reported.
    degraded: Option<String>,
    /// What this visitor wrote to the browser's storage (a value, or `None` for a removal) since
    /// last asked: the other visitors of the page hear of it (see `Browser::share_writes`).
    written: Vec<Written>,
}

/// A write to a browser storage (`storage`: `localStorage` or `sessionStorage`): the key, and
/// the value (`None` for a removal).
pub struct Written {
    pub storage: &'static str,
    pub key: String,
    pub value: Option<String>,
}

impl Storage {
    pub fn open(kind: StorageKind) -> Self {
        let (name, available) = match kind {
            StorageKind::Memory => ("memory", Ok(false)),
            StorageKind::Local => ("localStorage", check(web_sys::window().map(|w| w.local_storage()))),
            StorageKind::Session => ("sessionStorage", check(web_sys::window().map(|w| w.session_storage()))),
        };
        let handle = match (kind, &available) {
            (StorageKind::Local, Ok(true)) => Some(LocalStorage::raw()),
            (StorageKind::Session, Ok(true)) => Some(SessionStorage::raw()),
            _ => None,
        };
        let degraded = match available {
            Ok(_) => None,
            Err(reason) => Some(format!("{name} {reason}: keeping the visitor in memory")),
        };
        Storage { kind, handle, name, memory: Vec::new(), degraded, written: Vec::new() }
    }

    pub fn get(&mut self, key: &str) -> Option<String> {
        if let Some(handle) = &self.handle {
            match handle.get_item(key) {
                Ok(Some(value)) => {
                    self.remember(key, Some(&value));
                    return Some(value);
                }
                Ok(None) => {
                    self.remember(key, None);
                    return None;
                }
                Err(thrown) => self.fail(&thrown, "reading"),
            }
        }
        self.memory.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// Keeps `value` (`None`: removes it) in memory.
    fn remember(&mut self, key: &str, value: Option<&str>) {
        self.memory.retain(|(k, _)| k != key);
        if let Some(value) = value {
            self.memory.push((key.to_owned(), value.to_owned()));
        }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.remember(key, Some(value));
        match self.handle.as_ref().map(|h| h.set_item(key, value)) {
            Some(Ok(())) => self.written.push(Written { storage: self.name, key: key.to_owned(), value: Some(value.to_owned()) }),
            Some(Err(thrown)) => self.fail(&thrown, "writing"),
            None => {}
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.remember(key, None);
        match self.handle.as_ref().map(|h| h.remove_item(key)) {
            Some(Ok(())) => self.written.push(Written { storage: self.name, key: key.to_owned(), value: None }),
            Some(Err(thrown)) => self.fail(&thrown, "removing from"),
            None => {}
        }
    }

    /// What was written to the browser's storage since last asked.
    pub fn take_written(&mut self) -> Vec<Written> {
        std::mem::take(&mut self.written)
    }

    /// The browser storage this visitor shares with others (`None`: memory only).
    pub fn shared(&self) -> Option<&'static str> {
        self.handle.as_ref().map(|_| self.name)
    }

    /// Where things are kept now: the kind asked for, or memory after a fallback.
    pub fn kind(&self) -> StorageKind {
        if self.handle.is_some() { self.kind } else { StorageKind::Memory }
    }

    /// Moves to `kind` (`setStorage()`): what was written and not yet shared is kept to share.
    pub fn switch(&mut self, kind: StorageKind) {
        let written = self.take_written();
        *self = Storage::open(kind);
        self.written = written;
    }

    /// Why the browser's storage is no longer used, if not said yet.
    pub fn degraded(&mut self) -> Option<String> {
        self.degraded.take()
    }

    fn fail(&mut self, thrown: &JsValue, doing: &str) {
        self.degraded = Some(format!("{} {doing} {}: keeping the visitor in memory", error_name(thrown), self.name));
        self.handle = None;
    }
}

/// Whether the storage the window gave (or threw for) can be used: a probe read must work too,
/// since a page or a browser can make `getItem` itself throw. `Err`: why not.
fn check(storage: Option<Result<Option<web_sys::Storage>, JsValue>>) -> Result<bool, String> {
    match storage {
        None | Some(Ok(None)) => Err("is not available".into()),
        Some(Err(thrown)) => Err(format!("threw {}", error_name(&thrown))),
        Some(Ok(Some(storage))) => match storage.get_item("") {
            Ok(_) => Ok(true),
            Err(thrown) => Err(format!("threw {}", error_name(&thrown))),
        },
    }
}

/// The name of a thrown value (`SecurityError`, `QuotaExceededError`, ...).
fn error_name(thrown: &JsValue) -> String {
    Reflect::get(thrown, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_else(|| "an error".into())
}
