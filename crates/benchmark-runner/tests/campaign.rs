//! The example campaign (`configs/campaign-sim.toml`) is valid and expands as its comments say:
//! two sim configurations by three output lengths, three interleaved cycles, 18 runs.

use std::path::Path;

use benchmark_runner::campaign::{Campaign, Cooldown, Order, grid, order};

#[test]
fn the_example_campaign_expands_into_its_grid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/campaign-sim.toml");
    let c = Campaign::read(&path).expect("the example campaign is valid");
    assert_eq!(c.name(), "sim-grid");
    assert_eq!(c.cooldown, Cooldown::Fixed { seconds: 1.0 });
    let exps = grid::expand(&c, &jiff::Timestamp::now(), false).expect("every experiment plans");
    let ids: Vec<&str> = exps.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "01-sim@a-mt16",
            "02-sim@a-mt32",
            "03-sim@a-mt64",
            "04-sim@b-mt16",
            "05-sim@b-mt32",
            "06-sim@b-mt64"
        ]
    );
    for e in &exps {
        let plan = e.plan.as_ref().expect("sim runs every combination");
        assert_eq!(plan.engines.len(), 1, "{}: one engine each", e.id);
        assert_eq!(plan.workload.requests, 40, "{}: the base applies", e.id);
    }
    assert_eq!(
        exps[4].plan.as_ref().expect("plan").workload.max_tokens,
        32,
        "the varied value wins"
    );
    assert_eq!(c.file.order, Order::Interleaved);
    let turns = order::schedule(c.file.order, exps.len(), c.file.cycles, c.file.seed);
    assert_eq!(turns.len(), 18);
}
