//! [`Call`]: the future of a Rust API call. The shell settles the call through a oneshot
//! channel; dropping the future before then abandons the call (the lifecycle stops waiting for
//! it, and ends a request nobody else wants).

use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use futures_channel::oneshot;

use crate::core::error::{self, Error};
use crate::web::calls::{Failure, Outcome, Outgoing};
use crate::web::{Browser, Input};

/// The result of an API call, as it arrives.
pub(crate) struct Call<T> {
    state: State,
    /// What the call's outcome becomes.
    read: fn(Outcome) -> Option<T>,
}

enum State {
    /// Waiting for the shell: the call's number on `browser`, and where its outcome arrives.
    Waiting { browser: Weak<Browser>, call: u32, outcome: oneshot::Receiver<Result<Outcome, Failure>> },
    /// Settled before it was made (bad arguments, or the visitor stopped).
    Failed(Option<Error>),
    Done,
}

impl<T> Call<T> {
    /// Makes a call on `browser`: `input` is what the lifecycle hears, with the call's number.
    pub(crate) fn make(browser: &Rc<Browser>, request: Option<Outgoing>, input: impl FnOnce(u32) -> Input, read: fn(Outcome) -> Option<T>) -> Self {
        let (sender, outcome) = oneshot::channel();
        let settle = Box::new(move |result| {
            // The future may have been dropped meanwhile: nobody to tell.
            let _ = sender.send(result);
        });
        let state = match browser.open(request, settle) {
            Some(call) => {
                browser.deliver(input(call));
                State::Waiting { browser: Rc::downgrade(browser), call, outcome }
            }
            None => State::Failed(Some(error::stopped())),
        };
        Self { state, read }
    }

    /// A call refused before it was made.
    pub(crate) fn failed(error: Error) -> Self {
        Self { state: State::Failed(Some(error)), read: |_| None }
    }
}

impl<T> Future for Call<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let read = self.read;
        let result = match &mut self.state {
            State::Waiting { outcome, .. } => match Pin::new(outcome).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(Ok(outcome))) => read(outcome).ok_or_else(error::unexpected),
                Poll::Ready(Ok(Err(Failure::Error(error)))) => Err(error),
                Poll::Ready(Ok(Err(Failure::Aborted(_)))) => Err(error::aborted()),
                // The shell dropped the call without settling it: only when it went away.
                Poll::Ready(Err(oneshot::Canceled)) => Err(error::stopped()),
            },
            State::Failed(error) => Err(error.take().unwrap_or_else(error::stopped)),
            State::Done => Err(error::stopped()),
        };
        self.state = State::Done;
        Poll::Ready(result)
    }
}

impl<T> Drop for Call<T> {
    fn drop(&mut self) {
        if let State::Waiting { browser, call, .. } = &self.state {
            if let Some(browser) = browser.upgrade() {
                browser.abandon(*call);
            }
        }
    }
}

impl<T> std::fmt::Debug for Call<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.state {
            State::Waiting { .. } => "Call(waiting)",
            State::Failed(_) | State::Done => "Call(done)",
        })
    }
}
