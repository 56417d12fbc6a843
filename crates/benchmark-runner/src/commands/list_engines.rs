//! `list-engines`: every engine id, its worker, whether it is built, and its devices.

use std::process::ExitCode;

use anyhow::Context;
use comfy_table::{Table, presets};
use shared_protocol::EngineId;

use super::write_stdout;
use crate::catalog;
use crate::cli::{CommandResult, ListEnginesArgs};
use crate::locate::Locator;

/// `list-engines`.
pub fn run(args: &ListEnginesArgs) -> CommandResult {
    let locator = Locator::from_env();
    let rows: Vec<serde_json::Value> = EngineId::ALL
        .iter()
        .map(|&id| {
            let entry = catalog::entry(id);
            let path = locator.find(&entry);
            serde_json::json!({
                "engine": id,
                "worker": entry.worker,
                "built": path.is_some(),
                "path": path.map(|p| p.display().to_string()),
                "in_workspace": entry.has_package(),
                "devices": entry.device_kinds(),
            })
        })
        .collect();
    if args.json {
        let text = serde_json::to_string_pretty(&rows).context("serialize")?;
        write_stdout(&text);
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(["engine", "worker", "built", "devices"]);
    for (row, &id) in rows.iter().zip(EngineId::ALL.iter()) {
        let built = if !catalog::entry(id).has_package() {
            "not in this workspace".to_owned()
        } else if row["built"] == true {
            "yes".to_owned()
        } else {
            "no (built on first use)".to_owned()
        };
        let devices: Vec<&str> = catalog::entry(id)
            .device_kinds()
            .iter()
            .map(|d| d.as_str())
            .collect();
        table.add_row([
            id.to_string(),
            catalog::entry(id).worker.to_owned(),
            built,
            devices.join(", "),
        ]);
    }
    write_stdout(&table.to_string());
    Ok(ExitCode::SUCCESS)
}
