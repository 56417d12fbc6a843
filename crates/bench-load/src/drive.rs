//! Offering a workload's requests: closed loop (N users, each sending its next request when the
//! last finished) and open loop (precomputed send times paced on a dedicated thread, optionally
//! capped in concurrency), every finished request's sample sent to the thread that writes the
//! protocol.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use bench_worker::mono_ns;
use shared_protocol::{LoadPattern, Sample};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

/// How a worker runs one request of a workload.
///
/// A *slot* is what a user keeps between its requests: a kept-alive connection for a served
/// engine, nothing (`()`) for an in-process one.
pub trait Requester: Send + Sync + 'static {
    type Slot: Send + 'static;

    /// Requests in the workload.
    fn len(&self) -> usize;

    /// Whether the workload has no request.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A slot made before the load starts, so early requests do not pay for it.
    fn open_slot(&self) -> impl Future<Output = Result<Self::Slot, String>> + Send;

    /// Whether an idle slot can still carry a request (a connection the server has not closed).
    fn usable(_slot: &Self::Slot) -> bool {
        true
    }

    /// Run request `index` with `slot` if there is one, `scheduled_ns` its intended send time
    /// (open loop); its sample, and the slot when it can carry another request.
    fn run(
        self: Arc<Self>,
        index: usize,
        slot: Option<Self::Slot>,
        scheduled_ns: Option<u64>,
    ) -> impl Future<Output = (Sample, Option<Self::Slot>)> + Send;
}

/// A load that could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("open loop: {0}")]
    Schedule(#[from] crate::arrivals::ScheduleError),
    #[error("trace replay: the trace has {offsets} arrival times for {requests} requests")]
    TraceShort { offsets: usize, requests: usize },
    #[error("cannot start the pacing thread: {0}")]
    Thread(std::io::Error),
}

/// Closed loop: `concurrency` users, each taking the next request when its last one finished;
/// user `k` starts `k * stagger` after the first.
pub async fn closed<R: Requester>(
    req: Arc<R>,
    concurrency: usize,
    stagger: Duration,
    tx: mpsc::Sender<Sample>,
) {
    let users = concurrency.min(req.len());
    let mut slots = Vec::with_capacity(users);
    for _ in 0..users {
        // A slot that cannot be made now is made (and its failure recorded) by the request.
        slots.push(req.open_slot().await.ok());
    }
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    let t0 = tokio::time::Instant::now();
    for (k, mut slot) in slots.into_iter().enumerate() {
        let (req, next, tx) = (Arc::clone(&req), Arc::clone(&next), tx.clone());
        set.spawn(async move {
            if !stagger.is_zero() {
                tokio::time::sleep_until(t0 + stagger * k as u32).await;
            }
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= req.len() {
                    break;
                }
                let (sample, back) = Arc::clone(&req).run(i, slot.take(), None).await;
                slot = back;
                if tx.send(sample).is_err() {
                    break;
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
}

/// Conversations as ranges of request indices: `turns[c]` consecutive requests each, then one
/// request per conversation for any requests left; cut at `n`.
pub fn conversation_ranges(turns: &[u32], n: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    for &t in turns {
        if at >= n {
            break;
        }
        let end = (at + t.max(1) as usize).min(n);
        out.push(at..end);
        at = end;
    }
    out.extend((at..n).map(|i| i..i + 1));
    out
}

/// Multi-turn: `concurrency` users, each taking the next conversation and running its turns in
/// order, `think` between the end of one turn and the start of the next.
pub async fn conversations<R: Requester>(
    req: Arc<R>,
    concurrency: usize,
    think: Duration,
    turns: &[u32],
    tx: mpsc::Sender<Sample>,
) {
    let convs = Arc::new(conversation_ranges(turns, req.len()));
    let users = concurrency.min(convs.len());
    let next = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..users {
        let mut slot = req.open_slot().await.ok();
        let (req, next, tx, convs) = (
            Arc::clone(&req),
            Arc::clone(&next),
            tx.clone(),
            Arc::clone(&convs),
        );
        set.spawn(async move {
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                let Some(range) = convs.get(c) else {
                    break;
                };
                for (k, i) in range.clone().enumerate() {
                    if k > 0 && !think.is_zero() {
                        tokio::time::sleep(think).await;
                    }
                    let (sample, back) = Arc::clone(&req).run(i, slot.take(), None).await;
                    slot = back;
                    if tx.send(sample).is_err() {
                        return;
                    }
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
}

/// Idle slots shared by open-loop requests.
struct Pool<S> {
    idle: Mutex<Vec<S>>,
}

impl<S> Pool<S> {
    fn take(&self, usable: impl Fn(&S) -> bool) -> Option<S> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(s) = idle.pop() {
            if usable(&s) {
                return Some(s);
            }
        }
        None
    }

    fn put(&self, s: S) {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(s);
    }
}

/// Open loop, run on the calling (pacing) thread: each request is started at its send time on
/// `handle`'s runtime, whatever happened to the earlier ones. A request waiting for a
/// concurrency slot keeps its intended send time, so the wait shows as schedule lag. `worker`
/// names the worker in the one message this prints (when slots cannot be made ahead).
pub fn open<R: Requester>(
    req: &Arc<R>,
    handle: &Handle,
    offsets_ns: &[u64],
    max_concurrency: Option<usize>,
    tx: &mpsc::Sender<Sample>,
    worker: &str,
) {
    let pool = Arc::new(Pool {
        idle: Mutex::new(Vec::new()),
    });
    let warm = max_concurrency.unwrap_or(8).min(req.len());
    for _ in 0..warm {
        match handle.block_on(req.open_slot()) {
            Ok(s) => pool.put(s),
            Err(e) => {
                eprintln!("{worker}: could not prepare ahead of the run: {e}");
                break;
            }
        }
    }
    let slots = max_concurrency.map(|n| Arc::new(Semaphore::new(n)));
    let t0 = mono_ns() + 1_000_000;
    for (i, offset) in offsets_ns.iter().enumerate() {
        let at = t0 + offset;
        bench_worker::sleep_until(at, true);
        let (req, pool, slots, tx) = (
            Arc::clone(req),
            Arc::clone(&pool),
            slots.clone(),
            tx.clone(),
        );
        handle.spawn(async move {
            let _permit = match &slots {
                Some(s) => s.acquire().await.ok(),
                None => None,
            };
            let slot = pool.take(R::usable);
            let (sample, back) = req.run(i, slot, Some(at)).await;
            if let Some(s) = back {
                pool.put(s);
            }
            let _ = tx.send(sample);
        });
    }
}

/// Start `load` on `handle`; samples arrive on the returned receiver, which disconnects when
/// every request has produced one. The open loop's pacing thread is named `{worker}-pacer`.
pub fn start<R: Requester>(
    req: Arc<R>,
    handle: &Handle,
    load: &LoadPattern,
    worker: &str,
) -> Result<mpsc::Receiver<Sample>, LoadError> {
    let (tx, rx) = mpsc::channel();
    match *load {
        LoadPattern::Closed { concurrency } => {
            handle.spawn(closed(req, concurrency.max(1) as usize, Duration::ZERO, tx));
        }
        LoadPattern::MultiTurn {
            concurrency,
            think_time_ms,
            ref turns,
        } => {
            let turns = turns.clone();
            handle.spawn(async move {
                conversations(
                    req,
                    concurrency.max(1) as usize,
                    Duration::from_millis(think_time_ms),
                    &turns,
                    tx,
                )
                .await;
            });
        }
        LoadPattern::Trace {
            ref offsets_ns,
            max_concurrency,
            ..
        } => {
            // A workload longer than its trace is refused rather than sent at invented times.
            if offsets_ns.len() < req.len() {
                return Err(LoadError::TraceShort {
                    offsets: offsets_ns.len(),
                    requests: req.len(),
                });
            }
            let offsets = offsets_ns[..req.len()].to_vec();
            let handle = handle.clone();
            let max = max_concurrency.map(|m| m.max(1) as usize);
            let name = worker.to_owned();
            std::thread::Builder::new()
                .name(format!("{worker}-pacer"))
                .spawn(move || open(&req, &handle, &offsets, max, &tx, &name))
                .map_err(LoadError::Thread)?;
        }
        LoadPattern::Open {
            rate_rps,
            arrival,
            max_concurrency,
            seed,
            ramp_up_s,
        } => {
            let offsets =
                crate::arrivals::offsets_ns(req.len(), rate_rps, arrival, seed, ramp_up_s)?;
            let handle = handle.clone();
            let max = max_concurrency.map(|m| m.max(1) as usize);
            let name = worker.to_owned();
            std::thread::Builder::new()
                .name(format!("{worker}-pacer"))
                .spawn(move || open(&req, &handle, &offsets, max, &tx, &name))
                .map_err(LoadError::Thread)?;
        }
    }
    Ok(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_protocol::{Arrival, Outcome, Phase};
    use std::sync::atomic::AtomicU32;

    /// Requests that take `ms` each and count how many run at once.
    struct Sleeper {
        n: usize,
        ms: u64,
        running: AtomicU32,
        peak: AtomicU32,
        slots_made: AtomicU32,
    }

    fn sample(index: usize, start: u64, scheduled: Option<u64>) -> Sample {
        Sample {
            scheduled_mono_ns: scheduled,
            ..Sample::new(
                index as u64,
                Phase::Measure,
                Outcome::Ok,
                start,
                mono_ns() - start,
            )
        }
    }

    impl Requester for Sleeper {
        type Slot = u32;

        fn len(&self) -> usize {
            self.n
        }

        async fn open_slot(&self) -> Result<u32, String> {
            Ok(self.slots_made.fetch_add(1, Ordering::SeqCst))
        }

        async fn run(
            self: Arc<Self>,
            index: usize,
            slot: Option<u32>,
            scheduled_ns: Option<u64>,
        ) -> (Sample, Option<u32>) {
            let start = mono_ns();
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(self.ms)).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            (sample(index, start, scheduled_ns), slot)
        }
    }

    fn sleeper(n: usize, ms: u64) -> Arc<Sleeper> {
        Arc::new(Sleeper {
            n,
            ms,
            running: AtomicU32::new(0),
            peak: AtomicU32::new(0),
            slots_made: AtomicU32::new(0),
        })
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn closed_loop_keeps_concurrency_users_busy_and_runs_every_request_once() {
        let rt = runtime();
        let req = sleeper(12, 20);
        let rx = start(
            Arc::clone(&req),
            rt.handle(),
            &LoadPattern::Closed { concurrency: 3 },
            "test",
        )
        .expect("start");
        let mut ids: Vec<u64> = rx.iter().map(|s| s.request_id).collect();
        ids.sort_unstable();
        assert_eq!(ids, (0..12).collect::<Vec<_>>());
        assert_eq!(req.peak.load(Ordering::SeqCst), 3);
        assert_eq!(req.slots_made.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn open_loop_sends_on_schedule_and_caps_concurrency() {
        let rt = runtime();
        let req = sleeper(10, 30);
        let load = LoadPattern::Open {
            rate_rps: 200.0,
            arrival: Arrival::Constant,
            max_concurrency: Some(2),
            seed: 1,
            ramp_up_s: 0.0,
        };
        let rx = start(Arc::clone(&req), rt.handle(), &load, "test").expect("start");
        let samples: Vec<Sample> = rx.iter().collect();
        assert_eq!(samples.len(), 10);
        assert_eq!(req.peak.load(Ordering::SeqCst), 2);
        let mut scheduled: Vec<u64> = samples
            .iter()
            .map(|s| s.scheduled_mono_ns.expect("open loop stamps its send time"))
            .collect();
        scheduled.sort_unstable();
        // 5 ms apart at 200 requests per second.
        assert!(scheduled.windows(2).all(|w| w[1] - w[0] == 5_000_000));
        // Waiting for a free slot shows as lag: starts fall behind the schedule.
        let lag = samples
            .iter()
            .map(|s| {
                s.start_mono_ns
                    .saturating_sub(s.scheduled_mono_ns.unwrap_or(0))
            })
            .max()
            .unwrap_or(0);
        assert!(lag > 50_000_000, "max lag {lag} ns");
    }

    #[test]
    fn conversations_are_ranges_of_requests_cut_at_the_workload() {
        assert_eq!(conversation_ranges(&[3, 1, 2], 6), [0..3, 3..4, 4..6]);
        assert_eq!(conversation_ranges(&[3, 4], 5), [0..3, 3..5]);
        assert_eq!(conversation_ranges(&[2], 4), [0..2, 2..3, 3..4]);
    }

    #[test]
    fn multi_turn_runs_each_conversations_turns_in_order_after_the_think_time() {
        let rt = runtime();
        // Turns of 20 ms; conversations of 3, 1 and 2 turns; two users; 30 ms think time.
        let req = sleeper(6, 20);
        let load = LoadPattern::MultiTurn {
            concurrency: 2,
            think_time_ms: 30,
            turns: vec![3, 1, 2],
        };
        let rx = start(Arc::clone(&req), rt.handle(), &load, "test").expect("start");
        let samples: Vec<Sample> = rx.iter().collect();
        assert_eq!(samples.len(), 6);
        assert_eq!(req.peak.load(Ordering::SeqCst), 2);
        let start_of = |i: u64| {
            samples
                .iter()
                .find(|s| s.request_id == i)
                .map(|s| (s.start_mono_ns, s.start_mono_ns + s.e2e_ns))
                .expect("sample")
        };
        for conv in [[0u64, 1, 2].as_slice(), &[4, 5]] {
            for w in conv.windows(2) {
                let (_, end) = start_of(w[0]);
                let (next_start, _) = start_of(w[1]);
                // The next turn starts no earlier than the think time after the last ended.
                assert!(next_start >= end + 30_000_000, "{w:?}");
            }
        }
        assert!(samples.iter().all(|s| s.scheduled_mono_ns.is_none()));
    }

    #[test]
    fn trace_replay_sends_at_the_traces_offsets() {
        let rt = runtime();
        let req = sleeper(4, 1);
        // Offsets 0, 0, 20 ms, 45 ms: scheduled times keep those gaps exactly.
        let load = LoadPattern::Trace {
            offsets_ns: vec![0, 0, 20_000_000, 45_000_000, 99_000_000],
            time_scale: 1.0,
            max_concurrency: None,
        };
        let rx = start(Arc::clone(&req), rt.handle(), &load, "test").expect("start");
        let mut samples: Vec<Sample> = rx.iter().collect();
        samples.sort_by_key(|s| s.request_id);
        let at: Vec<u64> = samples
            .iter()
            .map(|s| s.scheduled_mono_ns.expect("scheduled"))
            .collect();
        let rel: Vec<u64> = at.iter().map(|t| t - at[0]).collect();
        assert_eq!(rel, [0, 0, 20_000_000, 45_000_000]);
        let short = LoadPattern::Trace {
            offsets_ns: vec![0],
            time_scale: 1.0,
            max_concurrency: None,
        };
        let err = start(sleeper(2, 1), rt.handle(), &short, "test").expect_err("short");
        assert!(err.to_string().contains("1 arrival times for 2"), "{err}");
    }

    #[test]
    fn a_bad_rate_is_refused_before_anything_runs() {
        let rt = runtime();
        let load = LoadPattern::Open {
            rate_rps: 0.0,
            arrival: Arrival::Poisson,
            max_concurrency: None,
            seed: 1,
            ramp_up_s: 0.0,
        };
        let err = start(sleeper(1, 1), rt.handle(), &load, "test").expect_err("refused");
        assert!(err.to_string().contains("rate_rps"), "{err}");
    }
}
