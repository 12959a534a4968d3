//! Key-value storage: `localStorage`, or memory when it is missing or throws.

use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

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

/// `localStorage` when the page has one that answers; reading the property itself throws in
/// some sandboxed iframes, so every step is guarded.
fn local_storage() -> Option<StorageLike> {
    let global = js_sys::global();
    let value = js_sys::Reflect::get(&global, &JsValue::from_str("localStorage")).ok()?;
    if value.is_null() || value.is_undefined() {
        return None;
    }
    Some(value.unchecked_into())
}

pub struct Store {
    local: Option<StorageLike>,
    memory: HashMap<String, String>,
}

impl Store {
    pub fn local() -> Self {
        Self { local: local_storage(), memory: HashMap::new() }
    }

    pub fn get(&mut self, key: &str) -> Option<String> {
        if let Some(local) = &self.local {
            match local.get_item(key) {
                Ok(value) => return value,
                Err(_) => self.degrade(),
            }
        }
        self.memory.get(key).cloned()
    }

    pub fn set(&mut self, key: &str, value: &str) {
        if let Some(local) = &self.local {
            if local.set_item(key, value).is_ok() {
                return;
            }
            self.degrade();
        }
        self.memory.insert(key.to_owned(), value.to_owned());
    }

    pub fn remove(&mut self, key: &str) {
        if let Some(local) = &self.local {
            if local.remove_item(key).is_ok() {
                return;
            }
            self.degrade();
        }
        self.memory.remove(key);
    }

    /// Storage threw: carry on in memory.
    fn degrade(&mut self) {
        self.local = None;
    }
}
