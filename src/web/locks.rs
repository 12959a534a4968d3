//! Web Locks (`navigator.locks.request`), bound with a typed `extern` block: `web-sys`'s
//! `LockManager` needs `--cfg=web_sys_unstable_apis`, which would burden everyone who builds the
//! crate from source.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    pub type LockManager;
    /// `locks.request(name, options, callback)`: the promise settles when the lock is let go
    /// (or refused, or the request withdrawn).
    #[wasm_bindgen(method, catch)]
    fn request(this: &LockManager, name: &str, options: &Object, callback: &Function) -> Result<JsValue, JsValue>;
}

/// The browser's Web Locks, if it has them.
pub fn lock_manager() -> Option<LockManager> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then(|| locks.unchecked_into())
}

/// A lock asked for: held once granted, until [`Lock::release`] (or drop).
pub struct Lock {
    /// Withdraws a request still waiting (not used with `ifAvailable`, which never waits).
    abort: Option<AbortController>,
    /// Lets go of a granted lock: resolves the promise its callback returned.
    release: Rc<RefCell<Option<Function>>>,
    /// Set when let go: a grant that comes later is let go at once.
    withdrawn: Rc<Cell<bool>>,
}

impl Lock {
    /// Lets go of the lock, or withdraws the request for it (as dropping it does).
    pub fn release(self) {}
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.withdrawn.set(true);
        if let Some(release) = self.release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        } else if let Some(abort) = &self.abort {
            abort.abort();
        }
    }
}

/// Asks for the exclusive lock `name` (with `if_available`, only if it is free now); `answer`
/// gets `true` once it is granted, `false` when it is refused or the request fails. `None`
/// where there are no Web Locks or the request throws.
pub fn request(name: &str, if_available: bool, answer: impl Fn(bool) + 'static) -> Option<Lock> {
    let manager = lock_manager()?;
    let options = Object::new();
    // A signal may not go with `ifAvailable`, nor is one needed there.
    let abort = if if_available {
        Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE).ok()?;
        None
    } else {
        let controller = AbortController::new().ok()?;
        Reflect::set(&options, &"signal".into(), &controller.signal()).ok()?;
        Some(controller)
    };
    let release: Rc<RefCell<Option<Function>>> = Rc::default();
    let withdrawn: Rc<Cell<bool>> = Rc::default();
    let answer = Rc::new(answer);
    let callback = {
        let (release, answer, withdrawn) = (release.clone(), answer.clone(), withdrawn.clone());
        Closure::once_into_js(move |lock: JsValue| -> JsValue {
            if withdrawn.get() {
                // Nobody wants it any more: returning at once lets it go.
                return JsValue::UNDEFINED;
            }
            if lock.is_null() {
                answer(false);
                return JsValue::UNDEFINED;
            }
            // Held until `release`: the browser lets go once this promise settles.
            let held = Promise::new(&mut |resolve, _| *release.borrow_mut() = Some(resolve));
            answer(true);
            held.into()
        })
    };
    let settled = manager.request(name, &options, callback.unchecked_ref()).ok()?;
    let gone = withdrawn.clone();
    wasm_bindgen_futures::spawn_local(async move {
        // Refused by the browser (withdrawn requests are nobody's concern any more).
        if super::guarded::settled(&settled).await.is_err() && !gone.get() {
            answer(false);
        }
    });
    Some(Lock { abort, release, withdrawn })
}
