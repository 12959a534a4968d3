//! Where the visitor is kept: `localStorage` or `sessionStorage` through `gloo-storage`, or
//! memory. Every value read or written is also kept in memory, so that when the browser's
//! storage is missing, blocked (`SecurityError` in sandboxed iframes or with cookies blocked) or
//! throws (`QuotaExceededError`), the visitor carries on in memory; [`Storage::degraded`] says
//! why, once, as a [`StorageReason`] told from the thrown exception's name.
//!
//! `gloo-storage` throws (`expect_throw`) where the browser's storage is missing or its calls
//! throw, and a throw from Rust skips every destructor on its way out. So availability is checked
//! through `web-sys` first (`Window::local_storage()` is a `Result`, and a probe read), the handle
//! is taken from `gloo-storage` once it is known good, and only its `Result`-returning
//! `get_item`/`set_item`/`remove_item` are called; serde makes the records' text.

use gloo_storage::{LocalStorage, SessionStorage, Storage as _};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

use crate::core::options::{StorageKind, StorageReason};

pub struct Storage {
    /// Where things are meant to be kept.
    kind: StorageKind,
    /// The browser's storage, while it works.
    handle: Option<web_sys::Storage>,
    name: &'static str,
    /// What was last read or written, by key (a handful of keys: a list will do).
    memory: Vec<(String, String)>,
    /// Why the browser's storage is not (or no longer) used, until reported.
    degraded: Option<StorageReason>,
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
            StorageKind::Memory => ("memory", Ok(())),
            StorageKind::Local => ("localStorage", check(web_sys::window().map(|w| w.local_storage()))),
            StorageKind::Session => ("sessionStorage", check(web_sys::window().map(|w| w.session_storage()))),
        };
        let handle = match (kind, available) {
            (StorageKind::Local, Ok(())) => Some(LocalStorage::raw()),
            (StorageKind::Session, Ok(())) => Some(SessionStorage::raw()),
            _ => None,
        };
        let degraded = available.err();
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
                Err(thrown) => self.fail(&thrown),
            }
        }
        self.memory.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// What the browser's storage holds at `key`, read without keeping it (another copy of the SDK
    /// wrote there): `None` when this visitor uses no browser storage, or the read failed.
    pub fn peek(&self, key: &str) -> Option<Option<String>> {
        self.handle.as_ref()?.get_item(key).ok()
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
            Some(Err(thrown)) => self.fail(&thrown),
            None => {}
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.remember(key, None);
        match self.handle.as_ref().map(|h| h.remove_item(key)) {
            Some(Ok(())) => self.written.push(Written { storage: self.name, key: key.to_owned(), value: None }),
            Some(Err(thrown)) => self.fail(&thrown),
            None => {}
        }
    }

    /// Removes `key` from memory and from both browser storages, whichever is in use: no copy is
    /// left anywhere (consent withdrawn, `forget()`). A storage that cannot be reached holds
    /// nothing this visitor could have written since the page loaded; it is tried all the same.
    pub fn erase(&mut self, key: &str) {
        self.remember(key, None);
        for (name, storage) in [("localStorage", web_sys::window().map(|w| w.local_storage())), ("sessionStorage", web_sys::window().map(|w| w.session_storage()))] {
            let Some(Ok(Some(storage))) = storage else { continue };
            let held = storage.get_item(key).ok().flatten().is_some();
            if held && storage.remove_item(key).is_ok() {
                self.written.push(Written { storage: name, key: key.to_owned(), value: None });
            }
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
    pub fn degraded(&mut self) -> Option<StorageReason> {
        self.degraded.take()
    }

    fn fail(&mut self, thrown: &JsValue) {
        self.degraded = Some(reason(thrown));
        self.handle = None;
    }
}

/// Whether the storage the window gave (or threw for) can be used: a probe read must work too,
/// since a page or a browser can make `getItem` itself throw. `Err`: why not.
fn check(storage: Option<Result<Option<web_sys::Storage>, JsValue>>) -> Result<(), StorageReason> {
    match storage {
        None | Some(Ok(None)) => Err(StorageReason::Unavailable),
        Some(Err(thrown)) => Err(reason(&thrown)),
        Some(Ok(Some(storage))) => storage.get_item("").map(drop).map_err(|thrown| reason(&thrown)),
    }
}

/// Why a storage call failed, from the name of what it threw (`QuotaExceededError`,
/// `SecurityError`, ...).
fn reason(thrown: &JsValue) -> StorageReason {
    let name = Reflect::get(thrown, &"name".into()).ok().and_then(|n| n.as_string());
    StorageReason::of_exception(name.as_deref())
}
