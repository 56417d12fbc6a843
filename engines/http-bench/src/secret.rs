//! The API key: sent as a sensitive header, never printed, and scrubbed from server messages.

use http::HeaderValue;

/// A bearer key. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct ApiKey {
    raw: String,
    header: HeaderValue,
}

impl ApiKey {
    /// `None` when the key cannot be a header value.
    pub fn new(key: &str) -> Option<ApiKey> {
        let mut header = HeaderValue::from_str(&format!("Bearer {key}")).ok()?;
        header.set_sensitive(true);
        Some(ApiKey {
            raw: key.to_owned(),
            header,
        })
    }

    /// The `Authorization` header value.
    pub fn header(&self) -> &HeaderValue {
        &self.header
    }

    /// `text` with every occurrence of the key replaced, for messages that echo requests.
    pub fn scrub(&self, text: &str) -> String {
        if self.raw.is_empty() {
            return text.to_owned();
        }
        text.replace(&self.raw, "<redacted>")
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Scrub `text` when there is a key.
pub fn scrub(key: Option<&ApiKey>, text: &str) -> String {
    key.map_or_else(|| text.to_owned(), |k| k.scrub(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_key() {
        let k = ApiKey::new("sk-secret-123").expect("valid");
        assert!(!format!("{k:?}").contains("sk-secret"));
        assert!(k.header().is_sensitive());
        assert_eq!(k.scrub("bad key sk-secret-123!"), "bad key <redacted>!");
        assert!(ApiKey::new("line\nbreak").is_none());
    }
}
