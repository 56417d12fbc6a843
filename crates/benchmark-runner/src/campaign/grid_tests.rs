use super::*;

fn expand_text(text: &str) -> Result<Vec<Experiment>, String> {
    let c = Campaign::parse(text)?;
    expand(&c, &jiff::Timestamp::now(), false).map_err(|e| e.message())
}

fn ids(exps: &[Experiment]) -> Vec<&str> {
    exps.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn engines_times_concurrency_skips_load_for_an_engine_that_runs_one_request_at_a_time() {
    let exps = expand_text(
        r#"
name = "g"
[base]
requests = 4
[vary]
engines = ["sim@a", "vllm"]
concurrency = [1, 4]
"#,
    )
    .expect("valid campaign");
    // engines vary slowest: (sim@a, 1), (sim@a, 4), (vllm, 1), (vllm, 4).
    assert_eq!(
        ids(&exps),
        ["01-sim@a-c1", "02-sim@a-c4", "03-vllm-c1", "04-vllm-c4"]
    );
    let runs: Vec<bool> = exps.iter().map(|e| e.plan.is_some()).collect();
    assert_eq!(runs, [true, false, true, true]);
    assert_eq!(
        exps[1].skip_reason().as_deref(),
        Some(
            "sim@a runs one request at a time: concurrency 4 applies only to engines that take load patterns (served engines and engines that schedule requests themselves)"
        )
    );
    let vllm = exps[3].plan.as_ref().expect("vllm at c4 runs");
    assert_eq!(
        vllm.engines[0].load,
        shared_protocol::LoadPattern::Closed { concurrency: 4 }
    );
    assert_eq!(vllm.engines[0].label, "vllm", "one point keeps the label");
    assert_eq!(vllm.workload.requests, 4, "the base applies");
    assert_eq!(
        exps[2].varied(),
        BTreeMap::from([
            ("concurrency".to_owned(), "1".to_owned()),
            ("engines".to_owned(), "vllm".to_owned())
        ])
    );
    assert_eq!(exps[3].describe(), "vllm concurrency=4");
}

#[test]
fn devices_an_engine_cannot_use_are_skipped_and_deviceless_engines_run_once() {
    let exps = expand_text(
        r#"
name = "g"
[vary]
engines = ["sim", "lm-rs"]
device = ["cpu", "cuda:0"]
"#,
    )
    .expect("valid campaign");
    assert_eq!(
        ids(&exps),
        [
            "01-sim-cpu",
            "02-sim-cuda0",
            "03-lm-rs-cpu",
            "04-lm-rs-cuda0"
        ]
    );
    let reasons: Vec<Option<String>> = exps.iter().map(Experiment::skip_reason).collect();
    assert_eq!(
        reasons,
        [
            None,
            Some("sim runs on no local device: the same run as device=cpu".to_owned()),
            None,
            Some("lm-rs does not run on cuda:0 (it runs on cpu)".to_owned()),
        ]
    );
}

#[test]
fn engines_run_together_unless_varied_and_an_incapable_one_is_left_out_with_its_reason() {
    let exps = expand_text(
        r#"
name = "g"
[base]
engines = ["sim", "vllm"]
[base.engine_options.sim]
ttft_ms = "const:1"
[vary]
rate = [5.0]
"#,
    )
    .expect("valid campaign");
    assert_eq!(ids(&exps), ["01-r5"]);
    let e = &exps[0];
    assert_eq!(e.engines, ["vllm"]);
    assert_eq!(e.skipped_engines.len(), 1);
    assert_eq!(e.skipped_engines[0].engine, "sim");
    assert!(
        e.skipped_engines[0].reason.contains("rate 5 applies only"),
        "{:?}",
        e.skipped_engines
    );
    assert!(e.plan.is_some(), "sim's options left the plan with sim");
}

#[test]
fn each_engine_keeps_its_own_options_from_the_base() {
    let exps = expand_text(
        r#"
name = "g"
[base.engine_options."sim@a"]
ttft_ms = "const:1"
[base.engine_options."sim@b"]
ttft_ms = "const:2"
[vary]
engines = ["sim@a", "sim@b"]
"#,
    )
    .expect("valid campaign");
    let option = |i: usize| {
        let plan = exps[i].plan.as_ref().expect("runs");
        assert_eq!(plan.engines.len(), 1);
        plan.engines[0].options["ttft_ms"].clone()
    };
    assert_eq!(option(0), "const:1");
    assert_eq!(option(1), "const:2");
}

#[test]
fn anything_else_invalid_refuses_the_campaign_naming_experiment_and_key() {
    let e = expand_text("name = \"g\"\n[base]\nengines = [\"sim\"]\n[vary]\nmax_tokens = [8, 0]")
        .expect_err("zero tokens");
    assert_eq!(
        e,
        "campaign g: experiment 02-mt0: --max-tokens must be at least 1"
    );
    let e = expand_text(
        "name = \"g\"\n[base]\nengines = [\"vllm\"]\n[vary]\nconcurrency = [2]\nrate = [1.0]",
    )
    .expect_err("closed and open loop at once");
    assert!(
        e.starts_with("campaign g: experiment 01-c2-r1: ") && e.contains("--rate"),
        "{e}"
    );
    let e = expand_text("name = \"g\"\n[vary]\nconcurrency = []").expect_err("empty");
    assert_eq!(e, "campaign g: vary.concurrency is empty");
    let e = expand_text("name = \"g\"\n[vary]\nengines = [\"nope\"]").expect_err("engine");
    assert!(e.starts_with("campaign g: vary.engines: "), "{e}");
    let e = expand_text("name = \"g\"\n[vary]\nmax_tokens = [4, 4]").expect_err("twice");
    assert_eq!(e, "campaign g: vary.max_tokens: 4 is listed twice");
}

#[test]
fn no_vary_is_one_experiment_of_the_base() {
    let exps = expand_text("name = \"g\"\n[base]\nengines = [\"sim\"]").expect("valid");
    assert_eq!(ids(&exps), ["01"]);
    assert_eq!(exps[0].engines, ["sim"]);
}
