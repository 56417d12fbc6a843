//! A server's base URL: where to connect, what to put in `Host`, and the path prefix.

use http::Uri;

/// A base URL that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("'{0}' is not a URL: {1}")]
    Parse(String, String),
    #[error("'{0}' has no host")]
    NoHost(String),
    #[error("'{0}': scheme must be http or https")]
    Scheme(String),
}

/// A parsed `http[s]://host[:port][/prefix]` base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `https`: the connection is TLS.
    tls: bool,
    host: String,
    port: u16,
    authority: String,
    prefix: String,
}

impl BaseUrl {
    /// Parse a base URL. A trailing `/` and a trailing `/v1` (the OpenAI-client spelling) are
    /// dropped, since routes are written with their `/v1`.
    pub fn parse(url: &str) -> Result<BaseUrl, UrlError> {
        let uri: Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| UrlError::Parse(url.to_owned(), e.to_string()))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(UrlError::Scheme(url.to_owned())),
        };
        let host = uri.host().ok_or_else(|| UrlError::NoHost(url.to_owned()))?;
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let authority = match uri.port_u16() {
            Some(p) if host.contains(':') => format!("[{host}]:{p}"),
            Some(p) => format!("{host}:{p}"),
            None => uri
                .authority()
                .map_or_else(|| host.clone(), |a| a.as_str().to_owned()),
        };
        let mut prefix = uri.path().trim_end_matches('/').to_owned();
        if let Some(p) = prefix.strip_suffix("/v1") {
            prefix = p.to_owned();
        }
        Ok(BaseUrl {
            tls,
            host,
            port,
            authority,
            prefix,
        })
    }

    /// Whether the base is `https`.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` as sent in the `Host` header.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The request path for `route` (which starts with `/`).
    pub fn path(&self, route: &str) -> String {
        format!("{}{route}", self.prefix)
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}{}", self.authority, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bases() {
        let b = BaseUrl::parse("http://127.0.0.1:8000").expect("valid");
        assert_eq!(
            (b.host(), b.port(), b.authority()),
            ("127.0.0.1", 8000, "127.0.0.1:8000")
        );
        assert_eq!(b.path("/v1/models"), "/v1/models");
        let b = BaseUrl::parse("http://proxy/llm/v1/").expect("valid");
        assert_eq!(
            (b.port(), b.path("/health")),
            (80, "/llm/health".to_owned())
        );
        assert_eq!(b.to_string(), "http://proxy/llm");
        let b = BaseUrl::parse("http://[::1]:9000").expect("valid");
        assert_eq!((b.host(), b.authority()), ("::1", "[::1]:9000"));
    }

    #[test]
    fn https_bases_default_to_port_443() {
        let b = BaseUrl::parse("https://api.openai.com/v1").expect("valid");
        assert!(b.is_tls());
        assert_eq!(
            (b.host(), b.port(), b.authority()),
            ("api.openai.com", 443, "api.openai.com")
        );
        assert_eq!(b.path("/v1/models"), "/v1/models");
        assert_eq!(b.to_string(), "https://api.openai.com");
        let b = BaseUrl::parse("https://127.0.0.1:8443").expect("valid");
        assert_eq!(
            (b.port(), b.to_string()),
            (8443, "https://127.0.0.1:8443".into())
        );
        assert!(!BaseUrl::parse("http://x").expect("valid").is_tls());
    }

    #[test]
    fn rejects_what_it_cannot_reach() {
        assert!(matches!(
            BaseUrl::parse("ftp://x"),
            Err(UrlError::Scheme(_))
        ));
        assert!(BaseUrl::parse("not a url").is_err());
    }
}
