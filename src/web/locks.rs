//! Web Locks: one tab at a time does an auth request, so tabs of one origin send one request per
//! renewal. Where the API is missing (old browsers, some embedded views), or the lock is not
//! granted in time (its holder hangs or is frozen), the work runs without it: at worst more
//! requests, never an error or a wait without end.

use core::future::Future;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::web::sys::{self, AbortController, Function, Promise};
use crate::web::{task, timer};

#[wasm_bindgen]
extern "C" {
    type LockManager;
    #[wasm_bindgen(method, catch)]
    fn request(this: &LockManager, name: &str, options: &JsValue, callback: &JsValue) -> Result<Promise, JsValue>;
}

fn lock_manager() -> Option<LockManager> {
    let locks = sys::prop(&sys::prop(&sys::global(), "navigator"), "locks");
    locks.is_object().then(|| locks.unchecked_into())
}

/// A granted lock; dropping it releases the lock.
struct Held {
    release: Function,
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Asks for the exclusive lock `name`, waiting `wait_ms` at most.
async fn acquire(name: &str, wait_ms: f64) -> Option<Held> {
    let manager = lock_manager()?;
    // The lock is held until `hold` resolves, which `Held` does when dropped.
    let mut release = None;
    let hold = Promise::new(&mut |resolve, _| release = Some(resolve));
    let held = Held { release: release? };
    let mut grant = None;
    let granted = Promise::new(&mut |resolve, _| grant = Some(resolve));
    let grant = grant?;
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = grant.call1(&JsValue::UNDEFINED, &JsValue::TRUE);
        hold.into()
    });
    let controller = AbortController::new().ok()?;
    let options = sys::object();
    sys::set(&options, &"signal".into(), &controller.signal()).ok()?;
    let request = manager.request(name, &options, &callback).ok()?;
    // Aborted or refused requests reject: that is expected, not an unhandled rejection.
    task::spawn(async move {
        let _ = task::wait(&request).await;
    });
    let timeout = timer::Timer::new(wait_ms, JsValue::FALSE);
    let won = task::wait(&Promise::race(&sys::pair(&granted, &timeout.promise))).await;
    if won.ok() == Some(JsValue::TRUE) {
        return Some(held);
    }
    // Not granted in time: withdraw the request (a lock granted meanwhile is released by `held`).
    controller.abort();
    None
}

/// A lock granted later than this after asking was held by someone else (contended).
const CONTENDED_AFTER_MS: f64 = 5.0;

/// Runs `work` holding the exclusive lock `name` where the browser has Web Locks and grants the
/// lock within `wait_ms`; otherwise runs it without. `work` learns whether another holder had the
/// lock first (what that holder wrote to storage may take a moment to reach this tab).
pub async fn exclusive<T, F: Future<Output = T>>(name: &str, wait_ms: f64, work: impl FnOnce(bool) -> F) -> T {
    let asked = sys::now();
    let held = acquire(name, wait_ms).await;
    let contended = held.is_some() && sys::now() - asked > CONTENDED_AFTER_MS;
    let out = work(contended).await;
    drop(held);
    out
}
