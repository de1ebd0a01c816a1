//! `bytes_placeholder`: replaces binary documents with a tiny fixed file of the same kind.
//!
//! Photos, scans and PDFs are the hardest personal data to mask: no transform of their bytes
//! is safe. This strategy throws them away and puts a valid minimal file of the same type in
//! their place (a 1x1 PNG, an 8x8 grey JPEG, a one-page blank PDF...), recognised from the
//! content's magic bytes, so code that decodes them downstream keeps working.

use crate::gen::text_of;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Value};

/// A 1x1 light-grey PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x38, 0x00, 0x00, 0x00,
    0xc2, 0x00, 0xc1, 0xff, 0xd6, 0x2d, 0xdc, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// A 1x1 white GIF.
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// An 8x8 mid-grey baseline JPEG: JFIF header, a flat quantisation table, one-symbol Huffman
/// tables, and a single block whose DC difference is 0 followed by end-of-block.
const JPEG: &[u8] = &[
    0xff, 0xd8, // SOI
    0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00, // APP0 JFIF
    0xff, 0xdb, 0x00, 0x43, 0x00, // DQT, table 0, 64 ones follow
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, //
    0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00, // SOF0 8x8
    0xff, 0xc4, 0x00, 0x14, 0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x00, // DHT DC
    0xff, 0xc4, 0x00, 0x14, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x00, // DHT AC
    0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, // SOS
    0x3f, // DC "0", EOB "0", padded with ones
    0xff, 0xd9, // EOI
];

/// A blank one-page PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// An empty ZIP archive (just the end-of-central-directory record): DOCX, XLSX, JAR...
const ZIP: &[u8] =
    b"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

/// (kind, MIME type, magic prefix, placeholder).
const KINDS: &[(&str, &str, &[u8], &[u8])] = &[
    ("png", "image/png", b"\x89PNG", PNG),
    ("jpeg", "image/jpeg", b"\xff\xd8\xff", JPEG),
    ("gif", "image/gif", b"GIF8", GIF),
    ("pdf", "application/pdf", b"%PDF", PDF),
    ("zip", "application/zip", b"PK", ZIP),
];

const DEFAULT_OTHER: &[u8] = b"datamask placeholder";

pub const BYTES_PLACEHOLDER: StrategyInfo = StrategyInfo {
    name: "bytes_placeholder",
    aliases: &[],
    family: "basic",
    description: "Replaces a blob (photo, scan, document) with a tiny valid file of the same \
                  kind, recognised by its magic bytes: PNG, JPEG, GIF, PDF or ZIP (DOCX, XLSX); \
                  anything else becomes `placeholder`. Text holding a `data:` URI gets a \
                  placeholder URI of the same MIME type.",
    options: &[OptionSpec::optional(
        "placeholder",
        OptionType::String,
        Some("datamask placeholder"),
        "Bytes (as text) used for content of an unrecognised kind.",
    )],
    accepts: &["text", "bytes"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAYAAAA", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR42mM4AAAAwgDB/9Yt3AAAAABJRU5ErkJggg=="),
    build,
};

struct Placeholder {
    other: Vec<u8>,
}

fn build(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Placeholder {
        other: match opts.get("placeholder") {
            Some(OptionValue::String(s)) => s.as_bytes().to_vec(),
            _ => DEFAULT_OTHER.to_vec(),
        },
    }))
}

/// The placeholder for content starting with `head`.
fn placeholder_for<'a>(head: &[u8], other: &'a [u8]) -> &'a [u8] {
    KINDS
        .iter()
        .find(|(_, _, magic, _)| head.starts_with(magic))
        .map_or(other, |(_, _, _, p)| p)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Strategy for Placeholder {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        match value {
            Value::Bytes(b) => Ok(Value::Bytes(placeholder_for(b, &self.other).to_vec())),
            Value::Text(_) => {
                let s = text_of(value, "bytes_placeholder")?;
                // data:[<mime>][;base64],<data>
                let mime = s
                    .trim_start()
                    .strip_prefix("data:")
                    .and_then(|r| r.split([';', ',']).next())
                    .unwrap_or("");
                let bytes = KINDS
                    .iter()
                    .find(|(_, m, _, _)| *m == mime)
                    .map_or(self.other.as_slice(), |(_, _, _, p)| p);
                if s.trim_start().starts_with("data:") {
                    let m = if mime.is_empty() {
                        "application/octet-stream"
                    } else {
                        mime
                    };
                    Ok(Value::Text(
                        format!("data:{m};base64,{}", base64(bytes)).into(),
                    ))
                } else {
                    Ok(Value::Text(
                        String::from_utf8_lossy(&self.other).into_owned().into(),
                    ))
                }
            }
            other => Err(format!(
                "bytes_placeholder does not apply to {} values",
                other.kind()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{opts, run};

    #[test]
    fn placeholders_keep_the_kind() {
        for (kind, _, magic, placeholder) in KINDS {
            let mut input = magic.to_vec();
            input.extend_from_slice(b"secret photo bytes");
            let Value::Bytes(out) =
                run("bytes_placeholder", &opts(&[]), &Value::Bytes(input)).unwrap()
            else {
                panic!()
            };
            assert_eq!(out, *placeholder, "{kind}");
            assert!(out.starts_with(magic), "{kind}");
        }
        let Value::Bytes(out) = run(
            "bytes_placeholder",
            &opts(&[("placeholder", "X")]),
            &Value::Bytes(vec![1, 2]),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(out, b"X");
        // JPEG structure: starts with SOI, ends with EOI; PNG chunks have valid CRCs.
        assert!(JPEG.ends_with(&[0xff, 0xd9]));
        assert!(PDF.ends_with(b"%%EOF\n"));
        assert_eq!(ZIP.len(), 22);
    }

    #[test]
    fn data_uris() {
        let Value::Text(t) = run(
            "bytes_placeholder",
            &opts(&[]),
            &Value::text("data:image/png;base64,iVBORw0KGgoAAAANSUhEUg"),
        )
        .unwrap() else {
            panic!()
        };
        assert!(t.starts_with("data:image/png;base64,iVBORw0KGgo"), "{t}");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
    }
}
