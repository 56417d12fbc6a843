//! The bearer token: read from an environment variable or a file (never a command-line flag),
//! sent as sensitive metadata, compared in constant time, and never printed.

use std::path::Path;

use tonic::metadata::{Ascii, MetadataValue};

use crate::remote::RemoteError;

/// The environment variable that holds the token, for `energy-monitor` and the runner alike.
pub const TOKEN_ENV: &str = "ENERGY_MONITOR_TOKEN";

/// A bearer token. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct Token {
    header: MetadataValue<Ascii>,
}

impl Token {
    /// A token from its text (surrounding whitespace dropped); `None` when it is empty or cannot
    /// be a header value.
    pub fn new(text: &str) -> Option<Token> {
        let raw = text.trim();
        if raw.is_empty() {
            return None;
        }
        let mut header = MetadataValue::try_from(format!("Bearer {raw}")).ok()?;
        header.set_sensitive(true);
        Some(Token { header })
    }

    /// The token in `file` (its first line), or an error naming `flag` and the file.
    pub fn from_file(file: &Path, flag: &str) -> Result<Token, RemoteError> {
        let text = std::fs::read_to_string(file).map_err(|e| RemoteError::Config {
            message: format!("{flag} {}: {e}", file.display()),
        })?;
        Token::new(text.lines().next().unwrap_or_default()).ok_or_else(|| RemoteError::Config {
            message: format!(
                "{flag} {}: the first line is not a token (empty, or characters a header cannot carry)",
                file.display()
            ),
        })
    }

    /// The token in `$ENERGY_MONITOR_TOKEN`; `None` when it is unset or empty; an error when
    /// it cannot be a header value.
    pub fn from_env() -> Result<Option<Token>, RemoteError> {
        match std::env::var(TOKEN_ENV) {
            Ok(text) if text.trim().is_empty() => Ok(None),
            Ok(text) => Token::new(&text)
                .map(Some)
                .ok_or_else(|| RemoteError::Config {
                    message: format!("{TOKEN_ENV}: characters a header cannot carry"),
                }),
            Err(_) => Ok(None),
        }
    }

    /// The token of `file` when given, else of `$ENERGY_MONITOR_TOKEN`, else none.
    pub fn from_file_or_env(file: Option<&Path>, flag: &str) -> Result<Option<Token>, RemoteError> {
        match file {
            Some(file) => Token::from_file(file, flag).map(Some),
            None => Token::from_env(),
        }
    }

    /// The `authorization` metadata value (`Bearer <token>`), marked sensitive.
    pub fn header(&self) -> &MetadataValue<Ascii> {
        &self.header
    }

    /// Whether `authorization` metadata carries this token; the comparison takes the same time
    /// wherever the first difference lies.
    pub fn admits(&self, authorization: Option<&MetadataValue<Ascii>>) -> bool {
        let Some(given) = authorization else {
            return false;
        };
        let (given, expected) = (given.as_bytes(), self.header.as_bytes());
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_token_and_admits_only_it() {
        let token = Token::new("  s3cret-token\n").expect("valid");
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
        assert!(token.header().is_sensitive());
        let header = |text: &str| MetadataValue::try_from(text).expect("ascii");
        assert!(token.admits(Some(&header("Bearer s3cret-token"))));
        assert!(!token.admits(Some(&header("Bearer s3cret-tokem"))));
        assert!(!token.admits(Some(&header("Bearer s3cret"))));
        assert!(!token.admits(Some(&header("s3cret-token"))));
        assert!(!token.admits(None));
        assert!(Token::new("   ").is_none());
        assert!(Token::new("line\u{7f}break").is_none());
    }

    #[test]
    fn a_token_file_gives_its_first_line_and_errors_name_the_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("token");
        std::fs::write(&file, "abc123\nignored\n").expect("write");
        let token = Token::from_file(&file, "--token-file").expect("token");
        assert!(token.admits(Some(&MetadataValue::from_static("Bearer abc123"))));
        std::fs::write(&file, "\n").expect("write");
        let err = Token::from_file(&file, "--token-file").expect_err("empty");
        assert!(err.to_string().contains("--token-file"), "{err}");
        let missing = dir.path().join("missing");
        let err = Token::from_file(&missing, "--token-file").expect_err("missing");
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
