//! TLS for PostgreSQL connections, with libpq's `sslmode` semantics (rustls, no OpenSSL).
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (the default, as in libpq) | when the server offers it | no |
//! | `require` | always | no |
//! | `verify-ca` | always | signed by the CA of `sslrootcert` |
//! | `verify-full` | always | signed by that CA and issued for the host of the URL |
//!
//! `sslrootcert` is a PEM file (default `~/.postgresql/root.crt`, as in libpq), or `system` for
//! the bundled public web roots. The postgres crate itself only knows `disable`, `prefer` and
//! `require`: [`split_tls_params`] takes the TLS parameters out of the URL before it is parsed.

use datamask_core::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::PathBuf;
use std::sync::Arc;

use super::conn::KIND;

/// What the URL asks of TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The TLS settings of one connection URL.
#[derive(Debug, Clone)]
pub(crate) struct TlsSettings {
    pub(crate) mode: SslMode,
    /// `sslrootcert`: a PEM file, or `system`.
    pub(crate) root_cert: Option<String>,
}

impl SslMode {
    fn parse(value: &str) -> Option<SslMode> {
        Some(match value {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// The mode the postgres crate is told (it negotiates; the verifier checks).
    pub(crate) fn driver_mode(self) -> postgres::config::SslMode {
        match self {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        }
    }
}

/// Takes `sslmode`, `sslrootcert` (and the client-certificate parameters, which are refused)
/// out of a `postgres://` URL or a `key=value` connection string. Returns the rest for the
/// driver, and the settings.
pub(crate) fn split_tls_params(url: &str, display: &str) -> Result<(String, TlsSettings)> {
    let mut settings = TlsSettings {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    let mut take = |key: &str, value: &str| -> Result<bool> {
        match key {
            "sslmode" => {
                settings.mode = SslMode::parse(value).ok_or_else(|| {
                    Error::connector(
                        KIND,
                        format!(
                            "{display}: invalid sslmode `{value}`; expected disable, prefer, \
                             require, verify-ca or verify-full"
                        ),
                    )
                })?;
                Ok(true)
            }
            "sslrootcert" => {
                settings.root_cert = Some(value.to_string());
                Ok(true)
            }
            "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" => {
                Err(Error::Unsupported(format!(
                    "{display}: `{key}` (client certificates, revocation lists) is not supported \
                     yet; authenticate with a password"
                )))
            }
            "sslnegotiation"
            | "sslcompression"
            | "ssl_min_protocol_version"
            | "ssl_max_protocol_version"
            | "sslsni" => Ok(true),
            _ => Ok(false),
        }
    };
    let rest = if url.contains("://") {
        match url.split_once('?') {
            Some((head, query)) => {
                let mut kept = Vec::new();
                for pair in query.split('&') {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if !take(k, &percent_decode(v))? {
                        kept.push(pair);
                    }
                }
                if kept.is_empty() {
                    head.to_string()
                } else {
                    format!("{head}?{}", kept.join("&"))
                }
            }
            None => url.to_string(),
        }
    } else {
        let mut kept = Vec::new();
        for word in url.split_whitespace() {
            let (k, v) = word.split_once('=').unwrap_or((word, ""));
            if !take(k, v.trim_matches('\''))? {
                kept.push(word);
            }
        }
        kept.join(" ")
    };
    Ok((rest, settings))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The rustls connector for `settings`, or `None` for `sslmode=disable`.
pub(crate) fn connector(
    settings: &TlsSettings,
    display: &str,
) -> Result<Option<tokio_postgres_rustls::MakeRustlsConnect>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("TLS setup: {e}")))?;
    let config = match settings.mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(root_store(settings, display)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| Error::Internal(format!("TLS setup: {e}")))?;
            let verifier: Arc<dyn ServerCertVerifier> = if settings.mode == SslMode::VerifyCa {
                Arc::new(AnyName(webpki))
            } else {
                webpki
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        }
    };
    Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
}

fn root_store(settings: &TlsSettings, display: &str) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    let path = match settings.root_cert.as_deref() {
        Some("system") => {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            return Ok(store);
        }
        Some(p) => PathBuf::from(p),
        None => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".postgresql").join("root.crt"))
            .filter(|p| p.is_file())
            .ok_or_else(|| {
                Error::connector(
                    KIND,
                    format!(
                        "{display}: sslmode=verify-ca and verify-full need the certificate of the \
                         CA that signed the server's: add sslrootcert=/path/to/ca.pem to the URL \
                         (or sslrootcert=system for the public web roots)"
                    ),
                )
            })?,
    };
    let bad = |why: String| {
        Error::connector(
            KIND,
            format!("{display}: sslrootcert {}: {why}", path.display()),
        )
    };
    let certs = CertificateDer::pem_file_iter(&path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in the file".into()));
    }
    for cert in certs {
        store.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    Ok(store)
}

/// `prefer` and `require`: encrypt, but take any certificate (libpq's behaviour: these modes
/// protect against eavesdropping, not against an impostor server).
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the name in the certificate is not
/// compared with the host.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A hint for a failed TLS negotiation, from the driver's message.
pub(crate) fn hint(message: &str, mode: SslMode) -> Option<&'static str> {
    if message.contains("server does not support TLS") {
        Some(
            "the server does not offer TLS, and the URL requires it (sslmode=require or \
             verify-*): enable ssl on the server, or use sslmode=prefer or disable on a trusted \
             network",
        )
    } else if message.contains("NotValidForName") || message.contains("not valid for name") {
        Some(
            "the server's certificate was not issued for the host in the URL (sslmode=\
             verify-full): connect with the host name the certificate names, or use \
             sslmode=verify-ca",
        )
    } else if message.contains("UnknownIssuer") || message.contains("BadSignature") {
        Some("the server's certificate is not signed by the CA of sslrootcert")
    } else if message.contains("invalid peer certificate") && mode != SslMode::Disable {
        Some("the server's certificate was refused")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_urls() {
        let (rest, s) = split_tls_params(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x",
            "d",
        )
        .unwrap();
        assert_eq!(rest, "postgres://u@h/db?application_name=x");
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.root_cert.as_deref(), Some("/tmp/ca.pem"));
        let (rest, s) = split_tls_params("postgres://u@h/db", "d").unwrap();
        assert_eq!(
            (rest.as_str(), s.mode),
            ("postgres://u@h/db", SslMode::Prefer)
        );
        let (rest, s) = split_tls_params("host=h dbname=d sslmode=require", "d").unwrap();
        assert_eq!(
            (rest.as_str(), s.mode),
            ("host=h dbname=d", SslMode::Require)
        );
        assert!(split_tls_params("postgres://h/d?sslmode=maybe", "d").is_err());
        assert!(split_tls_params("postgres://h/d?sslcert=/c.pem", "d").is_err());
    }
}
