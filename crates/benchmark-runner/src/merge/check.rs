//! Whether shard directories belong together: each a shard, of the same plan (its shard and
//! results directory aside), versions and inputs, every index from 0 to N-1 once.

use std::path::PathBuf;

use serde_json::Value;

use super::{Shard, read_manifest};
use crate::error::{Failure, usage};
use crate::manifest::RunKind;
use crate::manifest::continuity::first_difference;
use crate::plan::Plan;

/// Read every directory and check the shards against each other; returned in index order.
pub(super) fn read_shards(dirs: &[PathBuf]) -> Result<Vec<Shard>, Failure> {
    if dirs.is_empty() {
        return Err(usage("merge needs the shards' run directories"));
    }
    let mut shards = Vec::new();
    for dir in dirs {
        let manifest = read_manifest(dir)?;
        if manifest.kind == RunKind::Race {
            return Err(usage(format!(
                "{} holds a race, not a shard of a measurement",
                dir.display()
            )));
        }
        let Some(shard) = &manifest.plan.shard else {
            let what = if manifest.merged_from.is_empty() {
                "a run without --shard"
            } else {
                "an already merged run"
            };
            return Err(usage(format!(
                "{} is not a shard: it holds {what}",
                dir.display()
            )));
        };
        if manifest.clock_anchor.is_none() {
            return Err(usage(format!(
                "{} has no clock anchor (written by an older runner): its times cannot be put beside the other shards'",
                dir.display()
            )));
        }
        let index = shard.index;
        shards.push(Shard {
            dir: dir.clone(),
            manifest,
            index,
        });
    }
    let first = &shards[0];
    for other in &shards[1..] {
        if let Some(d) = difference(first, other) {
            return Err(usage(format!(
                "{} and {} are not shards of one run: {d}",
                first.dir.display(),
                other.dir.display()
            )));
        }
    }
    indices(&shards)?;
    shards.sort_by_key(|s| s.index);
    Ok(shards)
}

/// Every index of the shards' count once.
fn indices(shards: &[Shard]) -> Result<(), Failure> {
    let count = shards[0]
        .manifest
        .plan
        .shard
        .as_ref()
        .map_or(1, |s| s.count);
    for (i, s) in shards.iter().enumerate() {
        if let Some(twin) = shards[..i].iter().find(|t| t.index == s.index) {
            return Err(usage(format!(
                "shard {}/{count} is given twice: {} and {}",
                s.index,
                twin.dir.display(),
                s.dir.display()
            )));
        }
    }
    if let Some(missing) = (0..count).find(|i| !shards.iter().any(|s| s.index == *i)) {
        return Err(usage(format!(
            "shard {missing}/{count} is missing: give every shard's directory"
        )));
    }
    Ok(())
}

/// The first way `b` is not a shard of the same run as `a`: versions, shard count, plan (its
/// shard and results directory removed), inputs.
fn difference(a: &Shard, b: &Shard) -> Option<String> {
    let (ma, mb) = (&a.manifest, &b.manifest);
    let versions = [
        ("schema_version", ma.schema_version, mb.schema_version),
        ("metrics_version", ma.metrics_version, mb.metrics_version),
        ("protocol_version", ma.protocol_version, mb.protocol_version),
    ];
    if let Some((name, x, y)) = versions.into_iter().find(|(_, x, y)| x != y) {
        return Some(format!("{name} {x} in the first, {y} in the second"));
    }
    let count = |p: &Plan| p.shard.as_ref().map_or(1, |s| s.count);
    if count(&ma.plan) != count(&mb.plan) {
        return Some(format!(
            "split {} ways in the first, {} in the second",
            count(&ma.plan),
            count(&mb.plan)
        ));
    }
    first_difference("plan", &common_plan(&ma.plan), &common_plan(&mb.plan))
        .or_else(|| first_difference("inputs", &common_inputs(ma), &common_inputs(mb)))
        .map(|d| {
            // `PATH: A recorded, B now` said of two shards.
            let d = d.strip_suffix(" now").unwrap_or(&d);
            match d.rfind(" recorded, ") {
                Some(i) => format!(
                    "{} in the first, {} in the second",
                    &d[..i],
                    &d[i + " recorded, ".len()..]
                ),
                None => d.to_owned(),
            }
        })
}

/// The inputs as shards share them: the model's file may sit at another path on each machine
/// (its hash and id still say which model it is).
fn common_inputs(m: &crate::manifest::Manifest) -> Value {
    let mut v = json(&m.inputs);
    if let Some(model) = v.get_mut("model").and_then(Value::as_object_mut) {
        model.remove("path");
    }
    v
}

/// A plan as shards share it: without its shard and results directory.
fn common_plan(plan: &Plan) -> Value {
    let mut v = json(plan);
    if let Some(o) = v.as_object_mut() {
        o.remove("shard");
        o.remove("out_dir");
    }
    v
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
