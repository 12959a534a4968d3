//! Calls into what the page can replace or wrap (SPEC §3, "the page is hostile ground"): its
//! `fetch`, `Date.now`, `performance.now`, `Math.random`, `Promise.resolve`, and the body of what its `fetch` hands
//! back.
//!
//! An exception from page code that unwinds through the shell's Rust frames skips every
//! destructor on its way out: a `RefCell` stays borrowed, the inbox stays busy, a Web Lock stays
//! held, and the visitor never answers again. So each binding here is `catch` (the exception
//! comes back as an `Err`), and each value the page hands back is type-checked (`instanceof`)
//! before it is used. What the shell still trusts to be the platform's: `Promise.prototype.then`,
//! `setTimeout` and `WebAssembly`, without which no asynchronous library can work.

use std::cell::Cell;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, as the page left it (wrapped, perhaps).
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &JsValue, init: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Promise, js_name = resolve, catch)]
    fn promise_resolve(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Date, js_name = now, catch)]
    fn date_now() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = performance, js_name = now, catch)]
    fn performance_now() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Math, js_name = random, catch)]
    fn math_random() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    fn object_entries(object: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = setPrototypeOf, catch)]
    fn set_prototype_of(object: &JsValue, prototype: &JsValue) -> Result<JsValue, JsValue>;
    /// What `response.text()` is called on: a `Response` already checked to be one.
    type Body;
    #[wasm_bindgen(method, js_name = text, catch)]
    fn text(this: &Body) -> Result<JsValue, JsValue>;
}

/// Whatever the page handed back, as a promise: a thenable or a plain value is adopted as
/// `Promise.resolve` does; `None` when even that throws or gives no promise.
fn adopt(value: &JsValue) -> Option<Promise> {
    promise_resolve(value).ok()?.dyn_into::<Promise>().ok()
}

/// `Object.entries(object)`: its own enumerable members as `[name, value]` pairs, read through
/// its getters (which may throw, or be a proxy's traps); `None` when reading it threw.
pub fn entries(object: &JsValue) -> Option<JsValue> {
    object_entries(object).ok()
}

/// Gives `object` no prototype, so that only its own members count (members a page added to
/// `Object.prototype` must not fill a missing field); `false` when it cannot be done.
pub fn drop_prototype(object: &JsValue) -> bool {
    set_prototype_of(object, &JsValue::NULL).is_ok()
}

/// Awaits what the page handed back: its value, or what it threw or rejected with.
pub async fn settled(value: &JsValue) -> Result<JsValue, JsValue> {
    match adopt(value) {
        Some(promise) => JsFuture::from(promise).await,
        None => Err(JsValue::UNDEFINED),
    }
}

/// `fetch(input, init)` through the page's `fetch`: the `Response`, or what the call threw or
/// rejected with (`undefined` when it came to something that is not a `Response`). It may never
/// settle (a wrapper that drops the call): callers bound it with their own timer.
pub async fn fetch(input: &JsValue, init: &JsValue) -> Result<web_sys::Response, JsValue> {
    let returned = global_fetch(input, init)?;
    settled(&returned).await?.dyn_into::<web_sys::Response>().map_err(|_| JsValue::UNDEFINED)
}

/// The body of `response` as text; `None` when reading it failed or gave something else.
pub async fn text(response: &web_sys::Response) -> Option<String> {
    let promise = response.unchecked_ref::<Body>().text().ok()?;
    settled(&promise).await.ok()?.as_string()
}

thread_local! {
    /// The clock's last good reading.
    static LAST_NOW: Cell<f64> = const { Cell::new(0.0) };
}

/// What the page's clock or chance gave, if it is a number (NaN if not, or if it threw): read as
/// a number only when it is one, since converting anything else could run page code.
#[inline(never)]
fn number(given: Result<JsValue, JsValue>) -> f64 {
    given.ok().and_then(|value| value.as_f64()).unwrap_or(f64::NAN)
}

/// `Date.now()`: the local clock. A page's replacement that throws or gives no finite number
/// leaves the clock where it last read.
pub fn now() -> f64 {
    let ms = number(date_now());
    if ms.is_finite() {
        LAST_NOW.with(|last| last.set(ms));
        ms
    } else {
        LAST_NOW.with(Cell::get)
    }
}

/// `performance.now()`: the monotonic clock (`core::clock`); NaN when the page has none or
/// its replacement fails.
pub fn monotonic() -> f64 {
    number(performance_now())
}

/// `Math.random()`, uniform in `[0, 1)`; a page's replacement that fails gives the middle.
pub fn random() -> f64 {
    let r = number(math_random());
    if (0.0..1.0).contains(&r) {
        r
    } else {
        0.5
    }
}
