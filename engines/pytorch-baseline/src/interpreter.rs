//! Which Python runs the worker: the engine option `python`, else `PYTORCH_BASELINE_PYTHON`,
//! else the repository's `.venv-torch` (made by `scripts/setup-torch.sh`) when it exists, else
//! `python3` on the `PATH`.

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

/// The engine option naming the interpreter.
pub const PYTHON_OPTION: &str = "python";
/// The environment variable naming the interpreter.
pub const PYTHON_ENV: &str = "PYTORCH_BASELINE_PYTHON";
/// What creates an interpreter with everything the worker needs.
pub const SETUP_COMMAND: &str = "scripts/setup-torch.sh";

/// The virtual environment `scripts/setup-torch.sh` creates, relative to the repository root.
const REPO_VENV_PYTHON: &str = ".venv-torch/bin/python";

/// Where the choice of interpreter came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Option,
    Env,
    RepoVenv,
    Path,
}

/// A Python interpreter to run the worker with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    pub program: OsString,
    pub origin: Origin,
}

impl Interpreter {
    /// The interpreter when no engine option names one.
    pub fn from_env() -> Interpreter {
        if let Some(program) = std::env::var_os(PYTHON_ENV).filter(|p| !p.is_empty()) {
            return Interpreter {
                program,
                origin: Origin::Env,
            };
        }
        // Not canonicalised: the venv's `python` is a symbolic link, and the venv is only in
        // effect through the link's own path.
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let venv = root.join(REPO_VENV_PYTHON);
        if venv.is_file() {
            let program = root
                .canonicalize()
                .map_or(venv, |root| root.join(REPO_VENV_PYTHON));
            return Interpreter {
                program: program.into_os_string(),
                origin: Origin::RepoVenv,
            };
        }
        Interpreter {
            program: "python3".into(),
            origin: Origin::Path,
        }
    }

    /// The interpreter an engine options map names, if it names one.
    pub fn from_options(options: &Map<String, Value>) -> Result<Option<Interpreter>, String> {
        match options.get(PYTHON_OPTION) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(p)) if !p.is_empty() => Ok(Some(Interpreter {
                program: p.into(),
                origin: Origin::Option,
            })),
            Some(other) => Err(format!(
                "invalid engine option: {PYTHON_OPTION} must be a path or command name, not {other}"
            )),
        }
    }

    /// What to say when this interpreter cannot run the worker, and how to fix it.
    pub fn unusable(&self, reason: &str) -> String {
        format!(
            "python interpreter {self} {reason}: run {SETUP_COMMAND} (creates .venv-torch), or \
             name an interpreter that has torch, transformers and gguf with the engine option \
             `{PYTHON_OPTION}` or the environment variable {PYTHON_ENV}"
        )
    }
}

impl fmt::Display for Interpreter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = match self.origin {
            Origin::Option => format!("engine option `{PYTHON_OPTION}`"),
            Origin::Env => PYTHON_ENV.to_owned(),
            Origin::RepoVenv => "the repository's .venv-torch".to_owned(),
            Origin::Path => "the default".to_owned(),
        };
        write!(f, "'{}' (from {from})", self.program.to_string_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_option_names_an_interpreter_or_is_refused() {
        let options = |v: Value| v.as_object().cloned().expect("object");
        assert_eq!(Interpreter::from_options(&options(json!({}))), Ok(None));
        let chosen = Interpreter::from_options(&options(json!({"python": "/opt/py/bin/python"})))
            .expect("valid")
            .expect("named");
        assert_eq!(chosen.program, "/opt/py/bin/python");
        assert_eq!(chosen.origin, Origin::Option);
        let err = Interpreter::from_options(&options(json!({"python": 3}))).expect_err("a number");
        assert!(err.contains("python"), "{err}");
    }

    #[test]
    fn the_message_names_the_option_the_variable_and_the_setup() {
        let i = Interpreter {
            program: "/nowhere/python".into(),
            origin: Origin::Env,
        };
        let m = i.unusable("not found");
        for needle in [
            "/nowhere/python",
            PYTHON_ENV,
            "`python`",
            SETUP_COMMAND,
            "not found",
        ] {
            assert!(m.contains(needle), "{needle} missing from: {m}");
        }
    }
}
