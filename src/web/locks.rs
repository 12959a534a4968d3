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

/// Asks for the exclusive lock `name`, waiting `wait_ms` at most; with `if_available`, only if
/// nobody holds it or waits for it (the browser answers at once).
async fn acquire(manager: &LockManager, name: &str, if_available: bool, wait_ms: f64) -> Option<Held> {
    // The lock is held until `hold` resolves, which `Held` does when dropped.
    let mut release = None;
    let hold = Promise::new(&mut |resolve, _| release = Some(resolve));
    let held = Held { release: release? };
    let mut grant = None;
    let granted = Promise::new(&mut |resolve, _| grant = Some(resolve));
    let grant = grant?;
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        // `null` when `ifAvailable` found the lock taken.
        let _ = grant.call1(&JsValue::UNDEFINED, &JsValue::from_bool(!lock.is_null()));
        if lock.is_null() {
            JsValue::UNDEFINED
        } else {
            hold.into()
        }
    });
    let controller = AbortController::new().ok()?;
    let options = sys::object();
    // A signal may not go with `ifAvailable` (NotSupportedError), nor is one needed there.
    let (key, value) = if if_available { ("ifAvailable", JsValue::TRUE) } else { ("signal", controller.signal()) };
    sys::set(&options, &key.into(), &value).ok()?;
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
    // Not granted (in time): withdraw the request (a lock granted meanwhile is released by `held`).
    controller.abort();
    None
}

/// Runs `work` holding the exclusive lock `name` where the browser has Web Locks and grants the
/// lock within `wait_ms`; otherwise runs it without. `work` learns whether another holder had the
/// lock first (what that holder wrote to storage may take a moment to reach this tab): the lock
/// is first asked for `ifAvailable`, and only when that finds it taken does this tab wait.
pub async fn exclusive<T, F: Future<Output = T>>(name: &str, wait_ms: f64, work: impl FnOnce(bool) -> F) -> T {
    let (held, contended) = match lock_manager() {
        None => (None, false),
        Some(manager) => match acquire(&manager, name, true, wait_ms).await {
            Some(held) => (Some(held), false),
            None => {
                let held = acquire(&manager, name, false, wait_ms).await;
                let contended = held.is_some();
                (held, contended)
            }
        },
    };
    let out = work(contended).await;
    drop(held);
    out
}
