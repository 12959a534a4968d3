//! Futures on the page's event loop: `spawn` runs a future to completion in microtasks, `wait`
//! turns a JS promise into a future, and `promise` turns a future into a JS promise.
//!
//! One small executor for the whole crate (every future is boxed into one task type), in place
//! of `wasm-bindgen-futures`, whose generic tasks were instantiated once per future type and
//! cost several times these lines in the shipped `.wasm`.

use alloc::boxed::Box;

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use core::cell::{Cell, UnsafeCell};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::cell::LocalCell;
use super::sys::{Function, Promise};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &Function);
}

type Job = Pin<Box<dyn Future<Output = ()>>>;

struct Task {
    /// `None` once finished.
    job: LocalCell<Option<Job>>,
    /// In the run queue already: a second wake needs no second entry.
    queued: Cell<bool>,
}

/// The run queue: tasks woken and not yet polled, and the microtask that polls them.
struct Queue {
    tasks: VecDeque<Rc<Task>>,
    scheduled: bool,
    run: Option<Function>,
}

/// The one queue. The page runs wasm on one thread, and `with_queue` never calls out while the
/// queue is borrowed, so the `&mut` it lends is the only one.
struct Global(UnsafeCell<Queue>);
// SAFETY: single-threaded wasm (no `atomics`), see above.
unsafe impl Sync for Global {}
static QUEUE: Global = Global(UnsafeCell::new(Queue { tasks: VecDeque::new(), scheduled: false, run: None }));

fn with_queue<R>(f: impl FnOnce(&mut Queue) -> R) -> R {
    // SAFETY: see `Global`; every `f` below only touches the queue's own fields.
    f(unsafe { &mut *QUEUE.0.get() })
}

fn schedule(task: Rc<Task>) {
    if task.queued.replace(true) {
        return;
    }
    let run = with_queue(|q| {
        q.tasks.push_back(task);
        if q.scheduled {
            return None;
        }
        q.scheduled = true;
        if q.run.is_none() {
            q.run = Some(Closure::<dyn FnMut()>::new(run_queue).into_js_value().unchecked_into());
        }
        q.run.clone()
    });
    if let Some(run) = run {
        queue_microtask(&run);
    }
}

/// Polls every task woken so far; tasks woken meanwhile wait for the next microtask.
fn run_queue() {
    let mut left = with_queue(|q| {
        q.scheduled = false;
        q.tasks.len()
    });
    while left > 0 {
        left -= 1;
        let Some(task) = with_queue(|q| q.tasks.pop_front()) else { break };
        task.queued.set(false);
        poll(&task);
    }
}

fn poll(task: &Rc<Task>) {
    let waker = waker(task.clone());
    let mut cx = Context::from_waker(&waker);
    let mut job = task.job.borrow_mut();
    let done = match job.as_mut() {
        Some(future) => future.as_mut().poll(&mut cx).is_ready(),
        None => return,
    };
    if done {
        *job = None;
    }
}

/// Runs `future` to completion, starting in a microtask.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    schedule(Rc::new(Task { job: LocalCell::new(Some(Box::pin(future))), queued: Cell::new(false) }));
}

/// A promise of `future`'s result, which runs as a task.
pub fn promise(future: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let mut settle = None;
    let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    if let Some((resolve, reject)) = settle {
        spawn(async move {
            let _ = match future.await {
                Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
                Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
            };
        });
    }
    promise
}

// The waker of a task is an `Rc<Task>` behind a raw pointer.
const VTABLE: RawWakerVTable = RawWakerVTable::new(clone_raw, wake_raw, wake_by_ref_raw, drop_raw);

fn waker(task: Rc<Task>) -> Waker {
    // SAFETY: the vtable's functions treat the pointer as the `Rc<Task>` made here.
    unsafe { Waker::from_raw(RawWaker::new(Rc::into_raw(task).cast(), &VTABLE)) }
}

unsafe fn clone_raw(ptr: *const ()) -> RawWaker {
    // SAFETY: `ptr` is a live `Rc<Task>` (see `waker`); this adds one count for the clone.
    unsafe { Rc::increment_strong_count(ptr.cast::<Task>()) };
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake_raw(ptr: *const ()) {
    // SAFETY: takes over the waker's count.
    schedule(unsafe { Rc::from_raw(ptr.cast::<Task>()) });
}

unsafe fn wake_by_ref_raw(ptr: *const ()) {
    // SAFETY: a new count for the queue; the waker keeps its own.
    unsafe { Rc::increment_strong_count(ptr.cast::<Task>()) };
    schedule(unsafe { Rc::from_raw(ptr.cast::<Task>()) });
}

unsafe fn drop_raw(ptr: *const ()) {
    // SAFETY: releases the waker's count.
    drop(unsafe { Rc::from_raw(ptr.cast::<Task>()) });
}

/// Where a promise's outcome lands, with the callbacks that put it there (kept until then, as
/// the promise may settle after the future is dropped).
struct Settlement {
    result: Option<Result<JsValue, JsValue>>,
    waker: Option<Waker>,
    callbacks: Option<(Settler, Settler)>,
}

type Settler = Closure<dyn FnMut(JsValue)>;

/// The outcome of a JS promise, as a future.
pub struct Wait(Rc<LocalCell<Settlement>>);

/// Waits for `promise` to settle: `Ok` with its value or `Err` with its reason.
pub fn wait(promise: &Promise) -> Wait {
    let state = Rc::new(LocalCell::new(Settlement { result: None, waker: None, callbacks: None }));
    let on_fulfilled = settler(&state, true);
    let on_rejected = settler(&state, false);
    let _ = promise.then(on_fulfilled.as_ref().unchecked_ref(), on_rejected.as_ref().unchecked_ref());
    state.borrow_mut().callbacks = Some((on_fulfilled, on_rejected));
    Wait(state)
}

fn settler(state: &Rc<LocalCell<Settlement>>, fulfilled: bool) -> Settler {
    let state = state.clone();
    Closure::new(move |value: JsValue| {
        let waker = {
            let mut s = state.borrow_mut();
            // Dropped after this call returns (wasm-bindgen defers freeing a running closure).
            s.callbacks = None;
            s.result = Some(if fulfilled { Ok(value) } else { Err(value) });
            s.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    })
}

impl Future for Wait {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.0.borrow_mut();
        match s.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
