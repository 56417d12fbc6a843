//! One request per engine through the usual worker processes: loaded first, then generating
//! one after another, or all at once once every engine has loaded.

use std::sync::Arc;
use std::sync::mpsc::Sender;

use shared_protocol::{
    GenerateRequest, LoadPattern, ModelSpec, Phase, Request, Sample, WorkerMessage, Workload,
};

use super::Event;
use super::mode::Mode;
use crate::catalog::{self, EngineKind};
use crate::execute::{Prepared, load_request};
use crate::worker::{Timeouts, WorkerFailure, WorkerProcess};

/// What every engine of the race is given.
#[derive(Debug, Clone)]
pub struct Race {
    pub model: Option<ModelSpec>,
    pub request: Request,
    pub timeouts: Timeouts,
    /// Forward each worker's stderr to the terminal.
    pub verbose: bool,
}

/// Race `engines` in `mode`, reporting each start and finish on `events` (by index).
pub async fn race_all(engines: Vec<Prepared>, race: Race, mode: Mode, events: Sender<Event>) {
    match mode {
        Mode::OneAfterAnother => {
            for (i, engine) in engines.iter().enumerate() {
                let _ = events.send(Event::Started(i));
                let result = match start(engine, &race).await {
                    Ok(worker) => generate(worker, engine, &race).await,
                    Err(e) => Err(e),
                };
                let _ = events.send(Event::Finished(
                    i,
                    result.map(Box::new).map_err(|e| e.to_string()),
                ));
            }
        }
        Mode::Concurrent => {
            let loaded = Arc::new(tokio::sync::Barrier::new(engines.len()));
            let race = Arc::new(race);
            let mut set = tokio::task::JoinSet::new();
            for (i, engine) in engines.into_iter().enumerate() {
                let (loaded, race, events) =
                    (Arc::clone(&loaded), Arc::clone(&race), events.clone());
                set.spawn(async move {
                    let _ = events.send(Event::Started(i));
                    let worker = start(&engine, &race).await;
                    // Generation starts together, whatever each load took.
                    loaded.wait().await;
                    let result = match worker {
                        Ok(worker) => generate(worker, &engine, &race).await,
                        Err(e) => Err(e),
                    };
                    let _ = events.send(Event::Finished(
                        i,
                        result.map(Box::new).map_err(|e| e.to_string()),
                    ));
                });
            }
            while set.join_next().await.is_some() {}
        }
    }
}

/// Spawn the engine's worker and load the model.
async fn start(engine: &Prepared, race: &Race) -> Result<WorkerProcess, WorkerFailure> {
    let mut worker =
        WorkerProcess::spawn(&engine.path, engine.plan.id, &race.timeouts, race.verbose).await?;
    worker
        .load(
            &load_request(&engine.plan, race.model.as_ref()),
            race.timeouts.load,
        )
        .await?;
    Ok(worker)
}

/// The race's one greedy request (served engines: a workload of one request), then shutdown.
async fn generate(
    mut worker: WorkerProcess,
    engine: &Prepared,
    race: &Race,
) -> Result<Sample, WorkerFailure> {
    let sample = if catalog::entry(engine.plan.id).kind == EngineKind::Served {
        let workload = Workload {
            phase: Phase::Measure,
            requests: vec![race.request.clone()],
            load: LoadPattern::Closed { concurrency: 1 },
            request_timeout_ms: race.timeouts.request.as_millis() as u64,
        };
        let mut sample = None;
        let idle = race.timeouts.request + std::time::Duration::from_secs(30);
        worker
            .workload(workload, idle, |m| {
                if let WorkerMessage::Sample(s) = m {
                    sample = Some(*s);
                }
            })
            .await?;
        sample.ok_or_else(|| WorkerFailure::Protocol {
            worker: engine.plan.worker.clone(),
            message: "the workload finished without a sample".to_owned(),
        })?
    } else {
        worker
            .generate(
                GenerateRequest {
                    phase: Phase::Measure,
                    request: race.request.clone(),
                },
                race.timeouts.request,
            )
            .await?
    };
    let _ = worker.shutdown(race.timeouts.shutdown).await;
    Ok(sample)
}
