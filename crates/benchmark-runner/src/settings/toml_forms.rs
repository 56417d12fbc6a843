//! The table forms a config gives keyed settings in (`[engine_options.ENGINE]`, `[url]`,
//! `[slo]`, `[price_per_hour]`), read into the same values the command line gives as `KEY=VALUE` flags.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, de::Error as _};

use super::values::{EngineOpt, EngineUrl, HourlyPrice, SloTerm};

/// `[engine_options.ENGINE]` tables: each key and value an option of that engine.
pub fn engine_options<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EngineOpt>, D::Error> {
    let tables = BTreeMap::<String, toml::Table>::deserialize(d)?;
    let mut out = Vec::new();
    for (engine, table) in tables {
        for (key, value) in table {
            let value = serde_json::to_value(value).map_err(D::Error::custom)?;
            out.push(EngineOpt {
                engine: engine.clone(),
                key,
                value,
            });
        }
    }
    Ok(out)
}

/// A `[url]` table: `ENGINE = "http://..."`.
pub fn urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EngineUrl>, D::Error> {
    BTreeMap::<String, String>::deserialize(d)?
        .iter()
        .map(|(engine, url)| EngineUrl::new(engine, url).map_err(D::Error::custom))
        .collect()
}

/// A `[slo]` table: `ttft_ms = 200`.
pub fn slo<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SloTerm>, D::Error> {
    BTreeMap::<String, f64>::deserialize(d)?
        .iter()
        .map(|(metric, &limit)| {
            SloTerm::new(metric.parse().map_err(D::Error::custom)?, limit).map_err(D::Error::custom)
        })
        .collect()
}

/// A `[price_per_hour]` table: `sim = 2.5`, `"cuda:0" = 3.0` (an engine label or a device).
pub fn prices<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<HourlyPrice>, D::Error> {
    BTreeMap::<String, f64>::deserialize(d)?
        .iter()
        .map(|(key, &usd)| HourlyPrice::new(key, usd).map_err(D::Error::custom))
        .collect()
}
