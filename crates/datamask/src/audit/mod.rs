//! Signed, hash-chained run manifests.
//!
//! Each run writes `NNNNNN-<run id>.json` into the audit directory. The file is canonical JSON
//! (keys sorted, two-space indent, one trailing newline) holding the manifest body and an
//! Ed25519 `signature` over the canonical compact form of the body. The body carries
//! `previous_manifest_hash`, the BLAKE3 of the previous file's bytes, so removing, reordering
//! or editing any manifest breaks the chain. Because verification also checks that the file is
//! byte-for-byte canonical, *any* changed byte is detected, whitespace included.

pub mod diff;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The manifest format identifier.
pub const FORMAT: &str = "datamask-manifest/1";

/// Audit trail failures.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no audit directory at {0}")]
    NoDirectory(PathBuf),
    #[error("no run `{0}` in the audit directory")]
    UnknownRun(String),
    #[error("`{0}` matches {1} runs; give more of the run id, or the run number")]
    AmbiguousRun(String, usize),
    #[error("invalid audit signing key in {0}: expected 64 hex digits")]
    BadSigningKey(PathBuf),
    /// The first manifest that fails verification, and why.
    #[error("{file}: {reason}")]
    Broken { file: String, reason: String },
}

/// One manifest on disk.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    /// The parsed body (without the signature), if the file parses.
    pub body: Option<Value>,
}

impl Entry {
    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    }

    /// A string field of the body.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.body.as_ref()?.get(name)?.as_str()
    }
}

/// Signs manifests.
pub struct Signer25519(SigningKey);

impl Signer25519 {
    /// A signer from a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Signer25519(SigningKey::from_bytes(&seed))
    }

    /// Reads a hex seed from a file.
    pub fn from_file(path: &Path) -> Result<Self, AuditError> {
        let text = std::fs::read_to_string(path).map_err(|source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut seed)
            .map_err(|_| AuditError::BadSigningKey(path.to_path_buf()))?;
        Ok(Self::from_seed(seed))
    }

    /// The public key, hex encoded.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }
}

/// Serialises JSON canonically: object keys sorted, no insignificant whitespace when
/// `pretty` is false, two-space indentation when true.
pub fn canonical(value: &Value, pretty: bool) -> String {
    let mut out = String::new();
    write_canonical(value, pretty, 0, &mut out);
    out
}

fn write_canonical(value: &Value, pretty: bool, depth: usize, out: &mut String) {
    let newline = |out: &mut String, depth: usize| {
        if pretty {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
        }
    };
    match value {
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                let _ = write!(out, "{}:", Value::String((*k).clone()));
                if pretty {
                    out.push(' ');
                }
                write_canonical(&map[*k], pretty, depth + 1, out);
            }
            newline(out, depth);
            out.push('}');
        }
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_canonical(item, pretty, depth + 1, out);
            }
            newline(out, depth);
            out.push(']');
        }
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads every manifest in `dir`, ordered by sequence number.
pub fn entries(dir: &Path) -> Result<Vec<Entry>, AuditError> {
    if !dir.is_dir() {
        return Err(AuditError::NoDirectory(dir.to_path_buf()));
    }
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = item.map_err(io(dir))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(seq) = name
            .strip_suffix(".json")
            .and_then(|n| n.split('-').next())
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let body = serde_json::from_slice::<Value>(&bytes).ok().map(|mut v| {
            if let Some(m) = v.as_object_mut() {
                m.remove("signature");
            }
            v
        });
        out.push(Entry {
            seq,
            path,
            bytes,
            body,
        });
    }
    out.sort_by(|a, b| (a.seq, &a.path).cmp(&(b.seq, &b.path)));
    Ok(out)
}

/// Appends a manifest to the chain in `dir` and returns its path. `body` must be a JSON
/// object; `seq`, `previous_manifest_hash` and `format` are filled in here.
pub fn append(
    dir: &Path,
    run_id: &str,
    mut body: Map<String, Value>,
    signer: &Signer25519,
) -> Result<PathBuf, AuditError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    // Two runs sharing an audit directory (different targets, same config directory) must not
    // pick the same sequence number: the append is serialised by a lock on `dir/.lock`, which
    // the operating system releases if the process dies.
    let lock_path = dir.join(".lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    lock.lock().map_err(io(&lock_path))?;
    let existing = entries(dir)?;
    let seq = existing.last().map_or(1, |e| e.seq + 1);
    let previous = existing.last().map_or(Value::Null, |e| {
        Value::String(blake3::hash(&e.bytes).to_hex().to_string())
    });
    body.insert("format".into(), FORMAT.into());
    body.insert("seq".into(), seq.into());
    body.insert("previous_manifest_hash".into(), previous);
    let body = Value::Object(body);
    let signature = signer.0.sign(canonical(&body, false).as_bytes());
    let mut doc = body;
    doc.as_object_mut().expect("object").insert(
        "signature".into(),
        serde_json::json!({
            "algorithm": "ed25519",
            "public_key": signer.public_key_hex(),
            "value": hex::encode(signature.to_bytes()),
        }),
    );
    let text = canonical(&doc, true) + "\n";
    let path = dir.join(format!("{seq:06}-{run_id}.json"));
    let tmp = dir.join(format!(".{seq:06}-{run_id}.json.tmp"));
    std::fs::write(&tmp, text.as_bytes()).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    Ok(path)
}

/// Result of verifying a chain.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifests: usize,
    /// Public keys that signed, in first-seen order.
    pub public_keys: Vec<String>,
    /// BLAKE3 (hex) of every manifest file, oldest first. The last one is the head: kept
    /// outside the directory, it lets a later check notice that newer runs were removed,
    /// which the chain alone cannot show.
    pub hashes: Vec<String>,
}

impl Verified {
    /// The hash of the newest manifest, if there is one.
    pub fn head(&self) -> Option<&str> {
        self.hashes.last().map(String::as_str)
    }

    /// Whether the chain holds the manifest with this hash (or a prefix of at least 16 hex
    /// digits of it).
    pub fn contains(&self, anchor: &str) -> bool {
        let anchor = anchor.trim().to_ascii_lowercase();
        anchor.len() >= 16 && self.hashes.iter().any(|h| h.starts_with(&anchor))
    }
}

/// Checks every signature and the hash chain. With `expected_key`, also checks that every
/// manifest was signed by that key (otherwise anyone could re-sign an edited chain).
pub fn verify(dir: &Path, expected_key: Option<&str>) -> Result<Verified, AuditError> {
    let all = entries(dir)?;
    let mut previous: Option<&Entry> = None;
    let mut public_keys: Vec<String> = Vec::new();
    for (i, e) in all.iter().enumerate() {
        let broken = |reason: String| AuditError::Broken {
            file: e.file_name(),
            reason,
        };
        if e.seq != i as u64 + 1 {
            return Err(broken(format!(
                "expected manifest number {}, found {} (a manifest was removed or renamed)",
                i + 1,
                e.seq
            )));
        }
        let pk = verify_one(e).map_err(broken)?;
        if let Some(expected) = expected_key {
            if pk != expected {
                return Err(broken(
                    "signed by a different key than this config's".into(),
                ));
            }
        }
        let want = previous.map(|p| blake3::hash(&p.bytes).to_hex().to_string());
        let got = e.field("previous_manifest_hash").map(str::to_string);
        if want != got {
            return Err(broken("the chain is broken: previous_manifest_hash does not match the manifest before it (one was edited, removed or reordered)".into()));
        }
        if !public_keys.contains(&pk) {
            public_keys.push(pk);
        }
        previous = Some(e);
    }
    Ok(Verified {
        manifests: all.len(),
        public_keys,
        hashes: all
            .iter()
            .map(|e| blake3::hash(&e.bytes).to_hex().to_string())
            .collect(),
    })
}

/// Verifies one manifest's form and signature; returns the signing public key.
fn verify_one(e: &Entry) -> Result<String, String> {
    let doc: Value =
        serde_json::from_slice(&e.bytes).map_err(|err| format!("not valid JSON ({err})"))?;
    if canonical(&doc, true) + "\n" != String::from_utf8_lossy(&e.bytes) {
        return Err(
            "the file was modified (it is not in the canonical form datamask writes)".into(),
        );
    }
    let mut body = doc;
    let sig = body
        .as_object_mut()
        .and_then(|m| m.remove("signature"))
        .ok_or("no signature")?;
    let field = |k: &str| {
        sig.get(k)
            .and_then(Value::as_str)
            .ok_or(format!("signature has no `{k}`"))
    };
    // The signature object is not covered by the signature itself, so every byte of it
    // must be accounted for: exactly these three fields, and only the algorithm we write.
    if sig.as_object().map(|m| m.len()) != Some(3) || field("algorithm")? != "ed25519" {
        return Err("the signature block was modified (expected algorithm ed25519, public_key and value only)".into());
    }
    let pk_hex = field("public_key")?;
    let mut pk = [0u8; 32];
    hex::decode_to_slice(pk_hex, &mut pk).map_err(|_| "malformed public key")?;
    let mut sv = [0u8; 64];
    hex::decode_to_slice(field("value")?, &mut sv).map_err(|_| "malformed signature")?;
    let key = VerifyingKey::from_bytes(&pk).map_err(|_| "invalid public key")?;
    key.verify(
        canonical(&body, false).as_bytes(),
        &Signature::from_bytes(&sv),
    )
    .map_err(|_| "signature does not match the content (the manifest was edited)".to_string())?;
    Ok(pk_hex.to_string())
}

/// Finds a run by sequence number, run id, or a unique prefix of a run id or file name. A
/// number is a sequence number first (run ids start with a year, so `2` would otherwise be
/// ambiguous as soon as there are two runs).
pub fn find(dir: &Path, run: &str) -> Result<Entry, AuditError> {
    let all = entries(dir)?;
    if let Ok(n) = run.parse::<u64>() {
        if let Some(e) = all.iter().find(|e| e.seq == n) {
            return Ok(e.clone());
        }
    }
    if let Some(e) = all.iter().find(|e| e.field("run_id") == Some(run)) {
        return Ok(e.clone());
    }
    let matches: Vec<Entry> = all
        .into_iter()
        .filter(|e| {
            e.field("run_id").is_some_and(|id| id.starts_with(run))
                || e.file_name().starts_with(run)
        })
        .collect();
    match <[Entry; 1]>::try_from(matches) {
        Ok([e]) => Ok(e),
        Err(m) if m.len() > 1 => Err(AuditError::AmbiguousRun(run.to_string(), m.len())),
        Err(_) => Err(AuditError::UnknownRun(run.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer25519 {
        Signer25519::from_seed([7; 32])
    }

    fn body(n: u64) -> Map<String, Value> {
        serde_json::json!({ "run_id": format!("r{n}"), "rows": n, "note": "ünïcode" })
            .as_object()
            .unwrap()
            .clone()
    }

    fn chain(n: u64) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for i in 1..=n {
            append(dir.path(), &format!("r{i}"), body(i), &signer()).unwrap();
        }
        dir
    }

    #[test]
    fn canonical_sorts_keys() {
        let v = serde_json::json!({"b": 1, "a": [true, null, "x"]});
        assert_eq!(canonical(&v, false), r#"{"a":[true,null,"x"],"b":1}"#);
    }

    #[test]
    fn chain_verifies() {
        let dir = chain(3);
        let v = verify(dir.path(), Some(&signer().public_key_hex())).unwrap();
        assert_eq!(v.manifests, 3);
        assert!(verify(dir.path(), Some("00")).is_err());
    }

    #[test]
    fn every_byte_matters() {
        let dir = chain(2);
        let e = &entries(dir.path()).unwrap()[0];
        for i in 0..e.bytes.len() {
            let mut bytes = e.bytes.clone();
            bytes[i] ^= 0x01;
            std::fs::write(&e.path, &bytes).unwrap();
            // The edited manifest itself must be the one named, not only the next link.
            match verify(dir.path(), None) {
                Err(AuditError::Broken { file, .. }) => {
                    assert_eq!(file, e.file_name(), "byte {i} was blamed on {file}")
                }
                other => panic!("flipping byte {i} went unnoticed: {other:?}"),
            }
        }
    }

    #[test]
    fn removal_and_reorder_are_detected() {
        let dir = chain(3);
        let all = entries(dir.path()).unwrap();
        std::fs::remove_file(&all[1].path).unwrap();
        assert!(verify(dir.path(), None).is_err());
        let dir = chain(3);
        let all = entries(dir.path()).unwrap();
        let (a, b) = (&all[0], &all[1]);
        std::fs::write(&a.path, &b.bytes).unwrap();
        std::fs::write(&b.path, &a.bytes).unwrap();
        assert!(verify(dir.path(), None).is_err());
    }

    #[test]
    fn find_by_seq_or_id() {
        let dir = chain(2);
        assert_eq!(find(dir.path(), "2").unwrap().seq, 2);
        assert_eq!(find(dir.path(), "r1").unwrap().seq, 1);
        assert!(find(dir.path(), "zz").is_err());
        assert!(matches!(
            find(dir.path(), "r"),
            Err(AuditError::AmbiguousRun(_, 2))
        ));
    }
}
