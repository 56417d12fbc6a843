//! `race`: the engines, model and prompt resolved as `compare` resolves them, one greedy
//! request per engine, shown side by side (or summarised in plain text), written only when
//! asked and then marked as a race.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use bench_inputs::{Dataset, DatasetSpec, Tokenizer};
use shared_protocol::Request;

use super::{runtime, write_stdout};
use crate::catalog::{self, EngineKind};
use crate::cli::{CommandResult, RaceArgs};
use crate::error::{Failure, usage};
use crate::execute::{self, Prepared};
use crate::inputs::{self, Inputs};
use crate::locate::Locator;
use crate::manifest::{self, Host, RunKind, RunRecord, TelemetrySources};
use crate::plan::{self, Plan};
use crate::race::mode;
use crate::race::run::{Race, race_all};
use crate::race::view::{self, Ended};
use crate::race::{Lane, apply, summary};
use crate::settings::Settings;
use crate::store::{RunDir, SampleRow};
use crate::workload::{self, Prompt};

/// `race`.
pub fn run(args: &RaceArgs) -> CommandResult {
    let now = jiff::Timestamp::now();
    let plan = plan::build(&settings(args), &now, args.verbose)?;
    let needs_model = plan
        .engines
        .iter()
        .any(|e| catalog::entry(e.id).kind == EngineKind::InProcess);
    let inputs = inputs::prepare(&plan, needs_model)?;
    let request = race_request(&plan, &inputs, args)?;
    let timed: Vec<_> = plan
        .engines
        .iter()
        .map(|e| (e.label.clone(), mode::timed_on(e)))
        .collect();
    let decision = mode::decide(&timed);

    let rt = runtime()?;
    let prepared = rt.block_on(execute::preflight(
        &plan,
        inputs.model.as_ref(),
        &Locator::from_env(),
    ))?;
    let mut lanes: Vec<Lane> = plan
        .engines
        .iter()
        .map(|e| Lane::new(e.label.clone(), e.id))
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let race = Race {
        model: inputs.model.clone(),
        request: request.clone(),
        timeouts: plan.timeouts,
        verbose: plan.verbose,
    };
    let task = rt.spawn(race_all(prepared.clone(), race, decision.mode, tx));
    let tokenizer = inputs.tokenizer.as_ref();
    let decode = |ids: &[u32]| tokenizer.and_then(|t| t.decode(ids).ok());

    let terminal = !args.plain && std::io::stdout().is_terminal();
    let ended = if terminal {
        view::show(&mut lanes, &decision, &request.text, &rx, &decode)
            .map_err(|e| Failure::Run(anyhow::anyhow!("the race view failed: {e}")))?
    } else {
        for event in &rx {
            progress(&lanes, &event);
            apply(&mut lanes, event, &decode);
        }
        Ended::Finished
    };
    if ended == Ended::Quit {
        // Dropping the runtime drops the race's workers, which kills them.
        rt.shutdown_background();
        eprintln!("race: quit before the end; the engines still running were stopped");
        // What finished before the quit, unplaced engines last (nothing is written).
        write_stdout(&summary::plain(&lanes, &decision, &request.text));
        return Ok(ExitCode::SUCCESS);
    }
    let _ = rt.block_on(task);
    if args.out.is_some() {
        write_race(&plan, &inputs, &prepared, &lanes, &now)?;
    }
    write_stdout(&summary::plain(&lanes, &decision, &request.text));
    let all_ok = lanes.iter().all(|l| l.timeline().is_some());
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The race's settings: `compare`'s for the flags it shares, one request, no warm-up.
fn settings(args: &RaceArgs) -> Settings {
    let name = args.engines.as_ref().map(|l| {
        let labels: Vec<&str> = l.iter().map(|e| e.label.as_str()).collect();
        format!("race-{}", labels.join("-"))
    });
    Settings {
        name: name.or_else(|| Some("race".to_owned())),
        engines: args.engines.clone(),
        requests: Some(1),
        warmup: Some(0),
        max_tokens: args.max_tokens,
        ignore_eos: Some(args.ignore_eos),
        model: args.model.clone(),
        dataset: args.dataset.clone(),
        raw_prompts: Some(args.raw_prompts),
        seed: args.seed,
        out: args.out.clone(),
        device: args.device,
        engine_options: args.engine_options.clone(),
        url: args.url.clone(),
        ..Settings::default()
    }
}

/// The one request every engine gets: `--prompt`, prompt `--pick` of the dataset, or the
/// prompt `compare` would measure first; built as `compare` builds its requests.
fn race_request(plan: &Plan, inputs: &Inputs, args: &RaceArgs) -> Result<Request, Failure> {
    let tokenize = |text: &str, chat: bool| -> Result<Option<Vec<u32>>, Failure> {
        inputs
            .tokenizer
            .as_ref()
            .map(|t: &Tokenizer| t.encode_prompt(text, chat))
            .transpose()
            .map_err(|e| usage(format!("cannot tokenize the prompt: {e}")))
    };
    let (prompt, chat) = match (&args.prompt, args.pick) {
        (Some(text), _) => {
            let chat = !args.raw_prompts;
            let prompt = Prompt {
                text: text.clone(),
                token_ids: tokenize(text, chat)?,
                max_tokens: None,
            };
            (prompt, chat)
        }
        (None, Some(n)) => {
            let spec: DatasetSpec = plan
                .workload
                .dataset
                .parse()
                .map_err(|e: bench_inputs::Error| usage(e.to_string()))?;
            let dataset = Dataset::load(&spec, &inputs::datasets_dir(), inputs.tokenizer.as_ref())
                .map_err(|e| usage(e.to_string()))?;
            let Some(p) = dataset.prompts.get(n) else {
                return Err(usage(format!(
                    "--pick {n} is past the end of dataset {} ({} prompts, numbered from 0)",
                    dataset.name,
                    dataset.prompts.len()
                )));
            };
            let prompt = Prompt {
                text: p.text.clone(),
                token_ids: tokenize(&p.text, inputs.chat)?,
                max_tokens: p.expected_output_tokens,
            };
            (prompt, inputs.chat)
        }
        (None, None) => (inputs.prompts[0].clone(), inputs.chat),
    };
    let requests = workload::build(&plan.workload, &[prompt], chat, plan.seed);
    requests
        .measure
        .into_iter()
        .next()
        .ok_or_else(|| Failure::Run(anyhow::anyhow!("the race has no request")))
}

/// Say on stderr what the race is doing (plain mode).
fn progress(lanes: &[Lane], event: &crate::race::Event) {
    match event {
        crate::race::Event::Started(i) => eprintln!("race: {} started", lanes[*i].label),
        crate::race::Event::Finished(i, Ok(_)) => eprintln!("race: {} finished", lanes[*i].label),
        crate::race::Event::Finished(i, Err(e)) => {
            eprintln!("race: {} failed: {e}", lanes[*i].label);
        }
    }
}

/// Write the race's manifest (marked as a race) and samples to the plan's `--out`.
fn write_race(
    plan: &Plan,
    inputs: &Inputs,
    prepared: &[Prepared],
    lanes: &[Lane],
    now: &jiff::Timestamp,
) -> Result<(), Failure> {
    let mut sources = crate::energy::detect(&plan.telemetry)?;
    let host = Host {
        local: telemetry::host_info(&sources.roots, &mut sources.collectors),
        remote: None,
        memory_bandwidth: None,
        telemetry: TelemetrySources::default(),
        compute_peak: None,
    };
    let record = RunRecord {
        engines: prepared
            .iter()
            .map(|p| (p.plan.label.clone(), p.hello.clone()))
            .collect::<BTreeMap<_, _>>(),
        host,
        inputs: inputs.record(),
        harness: None,
    };
    let mut manifest = manifest::new_manifest(plan, now, record);
    manifest.kind = RunKind::Race;
    let write = |dir: &Path| -> anyhow::Result<()> {
        let mut run = RunDir::create(dir, &manifest)?;
        for lane in lanes {
            if let Some(sample) = &lane.sample {
                run.append_sample(&SampleRow {
                    engine: lane.engine,
                    label: lane.label.clone(),
                    repetition: 0,
                    resume: 0,
                    shard: None,
                    sample: sample.clone(),
                })?;
            }
        }
        Ok(())
    };
    write(&plan.out_dir).map_err(Failure::Run)?;
    eprintln!(
        "race written (marked as a race): {}",
        plan.out_dir.display()
    );
    Ok(())
}
