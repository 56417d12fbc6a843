//! What every figure names (title, engines, model, hardware) and how its axes are labelled.

use serde::{Deserialize, Serialize};

/// The heading of a figure: a title, and a subtitle naming the engines, model and hardware.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureMeta {
    /// What the figure shows, e.g. "Time to first token".
    pub title: String,
    /// Engine ids in a fixed order; an engine keeps its colour across figures by its position here.
    pub engines: Vec<String>,
    /// Model name, e.g. `TinyLlama-1.1B-Chat Q4_K_M`.
    pub model: String,
    /// Hardware, e.g. "NVIDIA H100 80GB, driver 550.54".
    pub hardware: String,
}

impl FigureMeta {
    /// The line drawn under the title: "engines: a, b · model: m · hardware: h".
    pub fn subtitle(&self) -> String {
        let engines = if self.engines.is_empty() {
            "none".to_owned()
        } else {
            self.engines.join(", ")
        };
        format!(
            "engines: {engines} · model: {} · hardware: {}",
            self.model, self.hardware
        )
    }
}

/// A measured quantity with its unit, labelled on an axis as "name (unit)".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity {
    /// e.g. "time to first token".
    pub name: String,
    /// e.g. "ms", "tokens", "W", "J", "tokens/s".
    pub unit: String,
}

impl Quantity {
    /// A quantity named `name`, measured in `unit`.
    pub fn new(name: impl Into<String>, unit: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            unit: unit.into(),
        }
    }

    /// The axis label, e.g. "time to first token (ms)".
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.unit)
    }
}

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Base-10 logarithmic; every value must be above zero.
    Log,
    /// Logarithmic with ticks at powers of two (concurrency levels 1, 2, 4, ...); every value
    /// must be above zero.
    Log2,
}

/// A value axis: the quantity it shows and its scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    /// What the axis measures.
    pub quantity: Quantity,
    /// Linear or logarithmic.
    pub scale: Scale,
}

impl Axis {
    /// A linear axis for `quantity`.
    pub fn linear(quantity: Quantity) -> Self {
        Self {
            quantity,
            scale: Scale::Linear,
        }
    }

    /// A base-10 logarithmic axis for `quantity`.
    pub fn log(quantity: Quantity) -> Self {
        Self {
            quantity,
            scale: Scale::Log,
        }
    }

    /// A logarithmic axis for `quantity` ticked at powers of two.
    pub fn log2(quantity: Quantity) -> Self {
        Self {
            quantity,
            scale: Scale::Log2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitle_names_engines_model_and_hardware() {
        let meta = FigureMeta {
            title: "TTFT".into(),
            engines: vec!["candle".into(), "burn".into()],
            model: "tinyllama".into(),
            hardware: "H100".into(),
        };
        assert_eq!(
            meta.subtitle(),
            "engines: candle, burn · model: tinyllama · hardware: H100"
        );
    }

    #[test]
    fn quantity_label_carries_the_unit() {
        assert_eq!(Quantity::new("energy", "J").label(), "energy (J)");
    }
}
