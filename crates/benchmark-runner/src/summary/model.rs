//! The model of a run, as the summary and reports name it.

use serde::{Deserialize, Serialize};

use crate::manifest::Manifest;

/// The model of a run as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelNote {
    pub id: String,
    /// Seeded random weights written by `models synth`: timings stand for the architecture,
    /// generated text means nothing.
    #[serde(default)]
    pub synthetic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthetic_architecture: Option<String>,
}

impl ModelNote {
    /// The model as the manifest records it.
    pub(super) fn from_manifest(manifest: &Manifest) -> Option<ModelNote> {
        let m = manifest.inputs.model.as_ref()?;
        Some(ModelNote {
            id: m.spec.id.clone(),
            synthetic: m.synthetic,
            synthetic_architecture: m.synthetic_architecture.clone(),
        })
    }

    /// One line for the top of a report.
    pub fn line(&self) -> String {
        if self.synthetic {
            format!(
                "Model: {} (SYNTHETIC: seeded random weights with the shapes of {}; timings stand for that architecture, generated text means nothing)",
                self.id,
                self.synthetic_architecture
                    .as_deref()
                    .unwrap_or("a named architecture")
            )
        } else {
            format!("Model: {}", self.id)
        }
    }
}
