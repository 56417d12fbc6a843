//! The mock's response body: a list of frames, each due at an absolute time, sent on tokio's
//! timer (zero delays never touch the timer), ending, cutting the connection or stalling.
//!
//! Like a streaming server that flushes every event, the body yields to the runtime after every
//! `burst` frames even when more are due at once, so frames leave in writes of at most `burst`
//! and the server's connections take turns instead of one reply going out whole. The yield is
//! tokio's deferred one: connections with a new request are served before the yielders resume.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::time::{Instant, Sleep};

/// What a step of the reply does.
#[derive(Debug, Clone)]
pub enum Step {
    Send(Bytes),
    /// Fail the body: the server closes the connection without the chunked terminator.
    Cut,
    /// Never send anything more.
    Stall,
}

/// A step and the time it is due (`None`: at once).
#[derive(Debug, Clone)]
pub struct Timed {
    pub at: Option<Instant>,
    pub step: Step,
}

/// The body error that makes the server drop the connection mid-stream.
#[derive(Debug, thiserror::Error)]
#[error("mock: stream cut on purpose")]
pub struct Cut;

/// A scripted response body.
pub struct MockBody {
    steps: Vec<Timed>,
    next: usize,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Frames sent since the body last yielded.
    since_yield: u32,
    /// Frames to send before the next yield.
    credit: u32,
    burst: u32,
    yielding: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl MockBody {
    /// A body that sends `steps`, yielding after every `burst` frames; the first `head` frames
    /// (a role-only chunk, say) go out with the first burst, as a server that has the first
    /// token ready writes them together.
    pub fn new(steps: Vec<Timed>, burst: u32, head: u32) -> MockBody {
        MockBody {
            steps,
            next: 0,
            sleep: None,
            since_yield: 0,
            credit: burst.max(1) + head,
            burst: burst.max(1),
            yielding: None,
        }
    }

    /// A body of one frame.
    pub fn full(bytes: impl Into<Bytes>) -> MockBody {
        MockBody::new(
            vec![Timed {
                at: None,
                step: Step::Send(bytes.into()),
            }],
            1,
            0,
        )
    }
}

impl Body for MockBody {
    type Data = Bytes;
    type Error = Cut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Cut>>> {
        let this = self.get_mut();
        let Some(timed) = this.steps.get(this.next) else {
            return Poll::Ready(None);
        };
        if this.since_yield >= this.credit {
            let y = this
                .yielding
                .get_or_insert_with(|| Box::pin(tokio::task::yield_now()));
            if y.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.yielding = None;
            this.since_yield = 0;
            this.credit = this.burst;
        }
        if let Some(at) = timed.at
            && at > Instant::now()
        {
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
            if sleep.deadline() != at {
                sleep.as_mut().reset(at);
            }
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        match &timed.step {
            Step::Send(bytes) => {
                let frame = Frame::data(bytes.clone());
                this.next += 1;
                this.since_yield += 1;
                Poll::Ready(Some(Ok(frame)))
            }
            Step::Cut => {
                this.next = this.steps.len();
                Poll::Ready(Some(Err(Cut)))
            }
            Step::Stall => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.next >= self.steps.len()
    }
}
