//! Generated content: `text` (sentences and paragraphs), `html`, `json` documents and `file`
//! paths. Words come from the lorem ipsum vocabulary, so no generated content can carry
//! meaning or personal data.

use crate::gen::{text_of, Gen};
use crate::util::int_in;
use crate::words::LOREM;
use datamask_core::strategy::{
    Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};
use serde_json::{json, Map, Value as Json};

/// A sentence of `lo..=hi` words, capitalised, ending with a full stop.
pub fn sentence(g: &mut Gen, lo: usize, hi: usize) -> String {
    let n = lo + g.below((hi - lo + 1) as u64) as usize;
    let words: Vec<&str> = (0..n.max(1)).map(|_| g.pick(LOREM)).collect();
    let mut s = words.join(" ");
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s.push('.');
    s
}

/// A paragraph of 3 to 6 sentences.
pub fn paragraph(g: &mut Gen, lo: usize, hi: usize) -> String {
    let n = 3 + g.below(4);
    (0..n)
        .map(|_| sentence(g, lo, hi))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a `min_x`/`max_x` pair of options within `lo..=hi`.
fn bounds(
    opts: &Options,
    min: &str,
    max: &str,
    dmin: i64,
    dmax: i64,
    hi: i64,
) -> Result<(usize, usize), String> {
    let a = int_in(opts, min, dmin, 1, hi)?;
    let b = int_in(opts, max, dmax.max(a), 1, hi)?;
    if a > b {
        return Err(format!(
            "option `{min}` must not be greater than option `{max}`"
        ));
    }
    Ok((a as usize, b as usize))
}

pub const TEXT: StrategyInfo = StrategyInfo {
    name: "text",
    aliases: &[],
    family: "text",
    description: "Replaces free text with keyed placeholder prose (lorem ipsum): one \
                  sentence, or a paragraph of several, of `min_words` to `max_words` words \
                  each. Nothing of the original survives, not even its length.",
    options: &[
        OptionSpec::optional(
            "type",
            OptionType::String,
            Some("sentence"),
            "sentence or paragraph.",
        )
        .one_of(&["sentence", "paragraph"]),
        OptionSpec::optional(
            "min_words",
            OptionType::Integer,
            Some("4"),
            "Fewest words per sentence (1 to 100).",
        ),
        OptionSpec::optional(
            "max_words",
            OptionType::Integer,
            Some("12"),
            "Most words per sentence (1 to 100).",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: (
        "Called about her divorce, very upset.",
        "Ut amet excepteur dignissimos quod.",
    ),
    build: |opts, ctx| {
        let (lo, hi) = bounds(opts, "min_words", "max_words", 4, 12, 100)?;
        Ok(Box::new(Text {
            prf: ctx.prf.clone(),
            paragraph: opts.str_or("type", "sentence") == "paragraph",
            lo,
            hi,
        }))
    },
};

struct Text {
    prf: Prf,
    paragraph: bool,
    lo: usize,
    hi: usize,
}

impl Strategy for Text {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        text_of(value, "text")?;
        let mut g = Gen::new(&self.prf, "text", value);
        Ok(Value::Text(if self.paragraph {
            paragraph(&mut g, self.lo, self.hi).into()
        } else {
            sentence(&mut g, self.lo, self.hi).into()
        }))
    }
}

pub const HTML: StrategyInfo = StrategyInfo {
    name: "html",
    aliases: &[],
    family: "text",
    description: "Replaces an HTML fragment (a signature, a rich-text body) with keyed \
                  placeholder HTML of the chosen kind: well-formed, lorem ipsum text, links \
                  to example.com only.",
    options: &[
        OptionSpec::optional(
            "type",
            OptionType::String,
            Some("paragraph"),
            "signature (name, title, phone in a block), paragraph (<p> elements), list \
             (<ul> of items) or mixed (paragraphs and a list).",
        )
        .one_of(&["signature", "paragraph", "list", "mixed"]),
        OptionSpec::optional(
            "include_links",
            OptionType::Boolean,
            Some("false"),
            "Put an <a href=\"https://www.example.com/...\"> link in the content.",
        ),
        OptionSpec::optional(
            "min_paragraphs",
            OptionType::Integer,
            Some("1"),
            "Fewest paragraphs (1 to 50).",
        ),
        OptionSpec::optional(
            "max_paragraphs",
            OptionType::Integer,
            Some("3"),
            "Most paragraphs (1 to 50).",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("<p>Hi, I'm Alice</p>", "<p>Cum repellendus excepturi distinctio ea cupiditate eligendi.</p><p>Nam voluptate quibusdam praesentium reiciendis quis officia tenetur.</p>"),
    build: |opts, ctx| {
        let (lo, hi) = bounds(opts, "min_paragraphs", "max_paragraphs", 1, 3, 50)?;
        Ok(Box::new(Html {
            prf: ctx.prf.clone(),
            kind: opts.str_or("type", "paragraph").to_string(),
            links: opts.bool_or("include_links", false),
            lo,
            hi,
        }))
    },
};

struct Html {
    prf: Prf,
    kind: String,
    links: bool,
    lo: usize,
    hi: usize,
}

impl Html {
    fn link(&self, g: &mut Gen) -> String {
        let w = g.pick(LOREM);
        format!("<a href=\"https://www.example.com/{w}\">{w}</a>")
    }

    fn paragraphs(&self, g: &mut Gen) -> String {
        let n = self.lo + g.below((self.hi - self.lo + 1) as u64) as usize;
        (0..n)
            .map(|i| {
                let mut s = sentence(g, 3, 10);
                if self.links && i == 0 {
                    s = format!("{} {}", s, self.link(g));
                }
                format!("<p>{s}</p>")
            })
            .collect()
    }

    fn list(&self, g: &mut Gen) -> String {
        let n = 2 + g.below(4);
        let items: String = (0..n)
            .map(|i| {
                if self.links && i == 0 {
                    format!("<li>{}</li>", self.link(g))
                } else {
                    format!("<li>{}</li>", sentence(g, 2, 5).trim_end_matches('.'))
                }
            })
            .collect();
        format!("<ul>{items}</ul>")
    }
}

impl Strategy for Html {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        text_of(value, "html")?;
        let mut g = Gen::new(&self.prf, "html", value);
        let g = &mut g;
        Ok(Value::Text(match self.kind.as_str() {
            "signature" => {
                let name = format!("{} {}", capital(g.pick(LOREM)), capital(g.pick(LOREM)));
                let mut s = format!(
                    "<div class=\"signature\"><strong>{name}</strong><br>{}<br>+1 555-01{:02}",
                    capital(g.pick(LOREM)),
                    g.below(100)
                );
                if self.links {
                    s.push_str("<br>");
                    s.push_str(&self.link(g));
                }
                s.push_str("</div>");
                s.into()
            }
            "list" => self.list(g).into(),
            "mixed" => format!("{}{}", self.paragraphs(g), self.list(g)).into(),
            _ => self.paragraphs(g).into(),
        }))
    }
}

fn capital(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub const JSON: StrategyInfo = StrategyInfo {
    name: "json",
    aliases: &[],
    family: "text",
    description: "Replaces a JSON document with a keyed fake one: shaped by `schema` (field -> \
                  type) when given, otherwise a random object up to `depth` levels with at \
                  most `max_items` entries per object or array. To mask values *inside* a \
                  document and keep the rest, use `json_path`.",
    options: &[
        OptionSpec::optional(
            "schema",
            OptionType::Map,
            None,
            "Field name -> type: string, word, sentence, int, float, bool, email, name, \
             date, uuid, null, or a nested map / a one-element list of a type.",
        ),
        OptionSpec::optional(
            "depth",
            OptionType::Integer,
            Some("2"),
            "Nesting depth of random documents (1 to 8).",
        ),
        OptionSpec::optional(
            "max_items",
            OptionType::Integer,
            Some("3"),
            "Most entries per object or array (1 to 50).",
        ),
    ],
    accepts: &["json", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: (
        "{\"name\":\"Alice\"}",
        "{\"qui\":6669,\"ad\":\"adipiscing\"}",
    ),
    build: |opts, ctx| {
        let schema = match opts.get("schema") {
            Some(OptionValue::Map(m)) => {
                let v = serde_json::to_value(m)
                    .map_err(|_| "option `schema` must be a map".to_string())?;
                check_schema(&v)?;
                Some(v)
            }
            Some(_) => return Err("option `schema` must be a map".into()),
            None => None,
        };
        Ok(Box::new(JsonFake {
            prf: ctx.prf.clone(),
            schema,
            depth: int_in(opts, "depth", 2, 1, 8)? as usize,
            max_items: int_in(opts, "max_items", 3, 1, 50)? as usize,
        }))
    },
};

const SCHEMA_TYPES: &[&str] = &[
    "string", "word", "sentence", "int", "float", "bool", "email", "name", "date", "uuid", "null",
];

fn check_schema(v: &Json) -> Result<(), String> {
    match v {
        Json::String(t) if SCHEMA_TYPES.contains(&t.as_str()) => Ok(()),
        Json::String(_) => Err(format!(
            "option `schema`: types are {} (or a nested map or list)",
            SCHEMA_TYPES.join(", ")
        )),
        Json::Object(m) => m.values().try_for_each(check_schema),
        Json::Array(a) if a.len() == 1 => check_schema(&a[0]),
        _ => Err("option `schema`: a list must hold exactly one element type".into()),
    }
}

struct JsonFake {
    prf: Prf,
    schema: Option<Json>,
    depth: usize,
    max_items: usize,
}

impl JsonFake {
    fn scalar(&self, g: &mut Gen, t: &str) -> Json {
        match t {
            "int" => json!(g.below(10_000)),
            "float" => json!((g.unit() * 10_000.0).round() / 100.0),
            "bool" => json!(g.chance(0.5)),
            "sentence" => json!(sentence(g, 3, 8)),
            "email" => json!(format!("{}.{}@example.com", g.pick(LOREM), g.pick(LOREM))),
            "name" => json!(format!(
                "{} {}",
                capital(g.pick(LOREM)),
                capital(g.pick(LOREM))
            )),
            "date" => json!(format!(
                "{}-{:02}-{:02}",
                1970 + g.below(55),
                1 + g.below(12),
                1 + g.below(28)
            )),
            "uuid" => {
                let mut b = [0u8; 16];
                b.iter_mut().for_each(|x| *x = g.below(256) as u8);
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                json!(datamask_core::value::format_uuid(&b))
            }
            "null" => Json::Null,
            _ => json!(g.pick(LOREM)),
        }
    }

    fn by_schema(&self, g: &mut Gen, s: &Json) -> Json {
        match s {
            Json::Object(m) => Json::Object(
                m.iter()
                    .map(|(k, t)| (k.clone(), self.by_schema(g, t)))
                    .collect(),
            ),
            Json::Array(a) => {
                let n = 1 + g.below(self.max_items as u64);
                Json::Array((0..n).map(|_| self.by_schema(g, &a[0])).collect())
            }
            Json::String(t) => self.scalar(g, t),
            _ => Json::Null,
        }
    }

    fn random(&self, g: &mut Gen, depth: usize) -> Json {
        let n = 1 + g.below(self.max_items as u64) as usize;
        let mut m = Map::new();
        for _ in 0..n {
            let key = g.pick(LOREM).to_string();
            let v = match g.below(if depth > 1 { 6 } else { 4 }) {
                0 => self.scalar(g, "int"),
                1 => self.scalar(g, "bool"),
                2 | 3 => self.scalar(g, "word"),
                4 => self.random(g, depth - 1),
                _ => {
                    let k = 1 + g.below(self.max_items as u64);
                    Json::Array((0..k).map(|_| self.scalar(g, "word")).collect())
                }
            };
            m.insert(key, v);
        }
        Json::Object(m)
    }
}

impl Strategy for JsonFake {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let mut g = Gen::new(&self.prf, "json", value);
        let doc = match &self.schema {
            Some(s) => self.by_schema(&mut g, s),
            None => self.random(&mut g, self.depth),
        };
        let text = doc.to_string();
        match value {
            Value::Json(_) => Ok(Value::Json(text.into())),
            Value::Text(_) => Ok(Value::Text(text.into())),
            other => Err(format!("json does not apply to {} values", other.kind())),
        }
    }
}

const EXTENSIONS: &[&str] = &[
    "pdf", "docx", "xlsx", "csv", "txt", "png", "jpg", "zip", "json", "pptx",
];
const DIRECTORIES: &[&str] = &[
    "documents",
    "uploads",
    "reports",
    "archive",
    "images",
    "exports",
    "shared",
];

pub const FILE: StrategyInfo = StrategyInfo {
    name: "file",
    aliases: &[],
    family: "text",
    description: "Replaces a file name or path with a keyed fake one (`reports/dolor_sit.pdf`). \
                  By default the input's extension is kept, so downstream type checks still \
                  work.",
    options: &[
        OptionSpec::optional(
            "extension",
            OptionType::String,
            None,
            "Extension of every name (without dot); by default the input's, else a common \
             one by key.",
        ),
        OptionSpec::optional(
            "directory",
            OptionType::String,
            None,
            "Directory of every path; `\"\"` for bare file names; by default a keyed one.",
        ),
        OptionSpec::optional(
            "absolute",
            OptionType::Boolean,
            Some("false"),
            "Start paths with `/`.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("/home/alice/cv_alice_smith.pdf", "exports/ea_omnis.pdf"),
    build: |opts, ctx| {
        let clean = |name: &str| -> Result<Option<String>, String> {
            match opts.get(name) {
                Some(OptionValue::String(s)) => {
                    if s.contains("..") || s.chars().any(|c| c.is_control()) {
                        return Err(format!(
                            "option `{name}` must not contain `..` or control characters"
                        ));
                    }
                    Ok(Some(
                        s.trim_matches('/').trim_start_matches('.').to_string(),
                    ))
                }
                _ => Ok(None),
            }
        };
        Ok(Box::new(File {
            prf: ctx.prf.clone(),
            extension: clean("extension")?,
            directory: clean("directory")?,
            absolute: opts.bool_or("absolute", false),
        }))
    },
};

struct File {
    prf: Prf,
    extension: Option<String>,
    directory: Option<String>,
    absolute: bool,
}

impl Strategy for File {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "file")?;
        let mut g = Gen::new(&self.prf, "file", value);
        let base = s.rsplit(['/', '\\']).next().unwrap_or("");
        let input_ext = base.rsplit_once('.').map(|(_, e)| e).filter(|e| {
            !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        let ext = match (&self.extension, input_ext) {
            (Some(e), _) => e.clone(),
            (None, Some(e)) => e.to_ascii_lowercase(),
            (None, None) => g.pick(EXTENSIONS).to_string(),
        };
        let name = format!("{}_{}", g.pick(LOREM), g.pick(LOREM));
        let dir = match &self.directory {
            Some(d) => d.clone(),
            None => g.pick(DIRECTORIES).to_string(),
        };
        let mut out = String::new();
        if self.absolute {
            out.push('/');
        }
        if !dir.is_empty() {
            out.push_str(&dir);
            out.push('/');
        }
        out.push_str(&name);
        if !ext.is_empty() {
            out.push('.');
            out.push_str(&ext);
        }
        Ok(Value::Text(out.into()))
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run, Check, Opts};
    use datamask_core::strategy::{OptionValue, Options};
    use datamask_core::Value;

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) | Value::Json(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sentences_and_paragraphs() {
        for i in 0..100 {
            let s = text(
                run(
                    "text",
                    &opts(&[("min_words", "3"), ("max_words", "5")]),
                    &Value::text(i.to_string()),
                )
                .unwrap(),
            );
            let n = s.split_whitespace().count();
            assert!((3..=5).contains(&n) && s.ends_with('.'), "{s}");
            assert!(s.chars().next().unwrap().is_uppercase());
            let p = text(
                run(
                    "text",
                    &opts(&[("type", "paragraph")]),
                    &Value::text(i.to_string()),
                )
                .unwrap(),
            );
            assert!(p.matches(". ").count() >= 2, "{p}");
        }
        let e = crate::validate_options(
            crate::lookup("text").unwrap(),
            &opts(&[("min_words", "9"), ("max_words", "2")]),
        );
        assert_eq!(e[0].option, "min_words");
    }

    #[test]
    fn html_is_well_formed() {
        for kind in ["signature", "paragraph", "list", "mixed"] {
            for links in ["true", "false"] {
                let h = text(
                    run(
                        "html",
                        &opts(&[("type", kind), ("include_links", links)]),
                        &Value::text("x"),
                    )
                    .unwrap(),
                );
                assert!(h.starts_with('<') && h.ends_with('>'), "{h}");
                for tag in ["p", "ul", "li", "div", "a", "strong"] {
                    assert_eq!(
                        h.matches(&format!("<{tag}>")).count()
                            + h.matches(&format!("<{tag} ")).count(),
                        h.matches(&format!("</{tag}>")).count(),
                        "{h}"
                    );
                }
                assert_eq!(
                    h.contains("<a href=\"https://www.example.com/"),
                    links == "true",
                    "{h}"
                );
            }
        }
    }

    /// `min_paragraphs` and `max_paragraphs` bound the `<p>` count, and both ends occur.
    #[test]
    fn html_paragraph_counts_stay_in_bounds() {
        for (lo, hi) in [(1, 1), (2, 4), (5, 7)] {
            let mut counts = std::collections::BTreeSet::new();
            for i in 0..200 {
                let h = text(
                    run(
                        "html",
                        &opts(&[
                            ("type", "paragraph"),
                            ("min_paragraphs", &lo.to_string()),
                            ("max_paragraphs", &hi.to_string()),
                        ]),
                        &Value::text(i.to_string()),
                    )
                    .unwrap(),
                );
                counts.insert(h.matches("<p>").count());
            }
            assert_eq!(counts, (lo..=hi).collect(), "{lo}..={hi}");
        }
    }

    #[test]
    fn json_documents_parse_and_follow_the_schema() {
        for i in 0..100 {
            let out = text(
                run(
                    "json",
                    &opts(&[("depth", "3")]),
                    &Value::Json(format!("{{\"a\":{i}}}").into()),
                )
                .unwrap(),
            );
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert!(v.is_object());
        }
        let mut o = Options::default();
        let schema: std::collections::BTreeMap<String, OptionValue> = [
            ("id", OptionValue::String("uuid".into())),
            ("email", OptionValue::String("email".into())),
            (
                "tags",
                OptionValue::List(vec![OptionValue::String("word".into())]),
            ),
            (
                "address",
                OptionValue::Map(
                    [("zip".to_string(), OptionValue::String("int".into()))]
                        .into_iter()
                        .collect(),
                ),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        o.0.insert("schema".into(), OptionValue::Map(schema));
        let out = text(run("json", &o, &Value::text("{}")).unwrap());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["id"].as_str().unwrap().len(), 36);
        assert!(v["email"].as_str().unwrap().ends_with("@example.com"));
        assert!(v["tags"].is_array() && v["address"]["zip"].is_u64(), "{v}");
        o.0.insert(
            "schema".into(),
            OptionValue::Map(
                [("x".to_string(), OptionValue::String("blob".into()))]
                    .into_iter()
                    .collect(),
            ),
        );
        let e = crate::validate_options(crate::lookup("json").unwrap(), &o);
        assert_eq!(e[0].option, "schema");
    }

    #[test]
    fn file_paths() {
        let cases: &[(Opts, &str, Check)] = &[
            (&[], "/home/alice/cv.PDF", |s| {
                s.ends_with(".pdf") && !s.starts_with('/')
            }),
            (&[("absolute", "true")], "x", |s| s.starts_with('/')),
            (&[("extension", "txt"), ("directory", "'")], "a.pdf", |s| {
                s.ends_with(".txt") && !s.contains('/')
            }),
            (&[("directory", "/data/in/")], "a", |s| {
                s.starts_with("data/in/")
            }),
        ];
        for (o, input, check) in cases {
            let out = text(run("file", &opts(o), &Value::text(*input)).unwrap());
            assert!(check(&out), "{out}");
            assert!(!out.contains("alice"));
        }
        let e = crate::validate_options(
            crate::lookup("file").unwrap(),
            &opts(&[("directory", "../etc")]),
        );
        assert_eq!(e[0].option, "directory");
    }
}
