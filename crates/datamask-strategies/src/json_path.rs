//! `json_path`: masks values *inside* JSON documents (JSON/JSONB columns or JSON text) at
//! JSONPath locations, leaving the rest of the document as it was.
//!
//! Each rule names a path and what happens there: a strategy from the catalogue applied to
//! every scalar the path selects (with that strategy's options), `set` to a fixed value, or
//! `delete`. Nested strategies use the column's keyed PRF (its domain), so equal values at
//! any path of the column, in every row, get equal masks.
//!
//! Paths are a JSONPath subset: `$`, `.key`, `['key']`, `[n]` (negative from the end), `[*]`
//! and `.*` (every member), `..key` (`key` at any depth).

use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Column, DataType, Value};
use serde_json::Value as Json;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
    All,
    /// `..key`: the member `key` of this node or of any node below it.
    Descend(String),
}

/// Parses a JSONPath of the supported subset.
fn parse_path(p: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| format!("path `{p}`: {why}");
    let rest = p
        .trim()
        .strip_prefix('$')
        .ok_or_else(|| bad("must start with `$`"))?;
    let b: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    let ident = |i: &mut usize| -> String {
        let start = *i;
        while *i < b.len()
            && (b[*i].is_alphanumeric() || b[*i] == '_' || b[*i] == '-' || b[*i] == '$')
        {
            *i += 1;
        }
        b[start..*i].iter().collect()
    };
    while i < b.len() {
        match b[i] {
            '.' if b.get(i + 1) == Some(&'.') => {
                i += 2;
                let key = ident(&mut i);
                if key.is_empty() {
                    return Err(bad("`..` must be followed by a member name"));
                }
                steps.push(Step::Descend(key));
            }
            '.' if b.get(i + 1) == Some(&'*') => {
                i += 2;
                steps.push(Step::All);
            }
            '.' => {
                i += 1;
                let key = ident(&mut i);
                if key.is_empty() {
                    return Err(bad("`.` must be followed by a member name"));
                }
                steps.push(Step::Key(key));
            }
            '[' => {
                let close = b[i..]
                    .iter()
                    .position(|c| *c == ']')
                    .ok_or_else(|| bad("`[` is not closed"))?
                    + i;
                let inner: String = b[i + 1..close].iter().collect();
                let inner = inner.trim();
                if inner == "*" {
                    steps.push(Step::All);
                } else if let Some(q) = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    steps.push(Step::Key(q.to_string()));
                } else {
                    let n: i64 = inner
                        .parse()
                        .map_err(|_| bad("brackets hold `*`, an index or a quoted name"))?;
                    steps.push(Step::Index(n));
                }
                i = close + 1;
            }
            _ => return Err(bad("expected `.` or `[`")),
        }
    }
    Ok(steps)
}

/// What a rule does at its path.
enum Action {
    Apply(Box<NestedStrategy>),
    Set(Json),
    Delete,
}

struct Rule {
    steps: Vec<Step>,
    action: Action,
}

/// A nested strategy built for one value kind, with the column it was built for.
type Slot = Option<(Column, Box<dyn Strategy>)>;

/// A catalogue strategy built once per JSON scalar kind it may meet.
struct NestedStrategy {
    name: &'static str,
    text: Slot,
    int: Slot,
    float: Slot,
    boolean: Slot,
}

impl NestedStrategy {
    fn build(
        info: &'static datamask_core::strategy::StrategyInfo,
        opts: &Options,
        ctx: &BuildCtx<'_>,
    ) -> Result<Self, String> {
        let make = |ty: DataType| -> Result<Slot, String> {
            if !info.accepts_family(ty.family()) {
                return Ok(None);
            }
            let column = Column::new(ctx.column.name.clone(), ty);
            let s = crate::build(
                info,
                opts,
                &BuildCtx {
                    prf: ctx.prf.clone(),
                    column: &column,
                },
            )?;
            Ok(Some((column, s)))
        };
        let n = NestedStrategy {
            name: info.name,
            text: make(DataType::text())?,
            int: make(DataType::Int {
                bits: 64,
                unsigned: false,
            })?,
            float: make(DataType::Float { bits: 64 })?,
            boolean: make(DataType::Bool)?,
        };
        if n.text.is_none() && n.int.is_none() && n.float.is_none() && n.boolean.is_none() {
            return Err(format!(
                "strategy `{}` cannot mask JSON values (it takes no text, number or boolean)",
                info.name
            ));
        }
        Ok(n)
    }

    /// Masks one JSON scalar: numbers and booleans natively when the strategy takes them,
    /// otherwise through their text (the result is then a string).
    fn apply(&self, v: &Json) -> Result<Json, String> {
        let run = |slot: &Option<(Column, Box<dyn Strategy>)>,
                   value: Value|
         -> Option<Result<Value, String>> {
            slot.as_ref().map(|(column, s)| {
                s.apply(
                    &value,
                    &ApplyCtx {
                        column,
                        row_key: None,
                    },
                )
            })
        };
        let native = match v {
            Json::Null => return Ok(Json::Null),
            Json::Bool(b) => run(&self.boolean, Value::Bool(*b)),
            Json::Number(n) => match n.as_i64() {
                Some(i) => run(&self.int, Value::Int(i)),
                None => n.as_f64().and_then(|f| run(&self.float, Value::Float(f))),
            },
            _ => None,
        };
        let out = match native {
            Some(r) => r?,
            None => {
                let text = match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                run(&self.text, Value::Text(text.into())).ok_or_else(|| {
                    format!(
                        "strategy `{}` does not apply to this JSON value's type",
                        self.name
                    )
                })??
            }
        };
        Ok(match out {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Int(i) => Json::from(i),
            Value::UInt(u) => Json::from(u),
            Value::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
            other => Json::String(other.to_string()),
        })
    }
}

pub const JSON_PATH: StrategyInfo = StrategyInfo {
    name: "json_path",
    aliases: &[],
    family: "structured",
    description: "Masks values inside JSON documents at JSONPath locations and keeps the rest \
                  of each document (key order included). Each rule applies a catalogue \
                  strategy to the scalars its path selects, sets them to a fixed value, or \
                  deletes them. Paths: `$.a.b`, `$['a']`, `$.list[0]`, `$.list[*]`, `$.*`, \
                  `$..email` (at any depth).",
    options: &[
        OptionSpec::required(
            "paths",
            OptionType::List,
            "Rules, applied in order: `{path: \"$.email\", strategy: email, <its options>}`, \
             `{path: \"$.vip\", set: false}` or `{path: \"$.ssn\", delete: true}`.",
        ),
        OptionSpec::optional(
            "invalid",
            OptionType::String,
            Some("error"),
            "What to do with text that is not JSON: error (stop the run naming the row), \
             null, or keep (only when the column holds nothing personal outside JSON).",
        )
        .one_of(&["error", "null", "keep"]),
    ],
    accepts: &["json", "text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: true,
    example: (
        "{\"name\":\"Alice\",\"email\":\"alice@corp.test\",\"ssn\":\"123-45-6789\"}",
        "{\"name\":\"Nicholas\",\"email\":\"randy.wood.x5q6ip6zmvi3c@example.com\"}",
    ),
    build,
};

struct JsonPath {
    rules: Vec<Rule>,
    invalid: String,
}

fn rule_from(item: &OptionValue, index: usize, ctx: &BuildCtx<'_>) -> Result<Rule, String> {
    let at = |why: String| format!("option `paths`, rule {}: {why}", index + 1);
    let OptionValue::Map(m) = item else {
        return Err(at(
            "must be a map with `path` and one of `strategy`, `set`, `delete`".into(),
        ));
    };
    let path = match m.get("path") {
        Some(OptionValue::String(p)) => p,
        _ => return Err(at("needs `path`, a string such as \"$.email\"".into())),
    };
    let steps = parse_path(path).map_err(at)?;
    let given: Vec<&str> = ["strategy", "set", "delete"]
        .into_iter()
        .filter(|k| m.contains_key(*k))
        .collect();
    if given.len() != 1 {
        return Err(at("give exactly one of `strategy`, `set`, `delete`".into()));
    }
    let action = match given[0] {
        "delete" => match m.get("delete") {
            Some(OptionValue::Bool(true)) if m.len() == 2 => Action::Delete,
            _ => return Err(at("`delete` takes `true` and no other keys".into())),
        },
        "set" => {
            if m.len() != 2 {
                return Err(at("`set` takes no other keys".into()));
            }
            let v = serde_json::to_value(&m["set"])
                .map_err(|_| at("`set` must be a JSON value".into()))?;
            Action::Set(v)
        }
        _ => {
            let Some(OptionValue::String(name)) = m.get("strategy") else {
                return Err(at("`strategy` must be a strategy name".into()));
            };
            let info = crate::lookup(name).ok_or_else(|| {
                let hint = crate::did_you_mean(
                    name,
                    crate::names_and_aliases().into_iter().map(|(n, _)| n),
                )
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
                at(format!("unknown strategy `{name}`{hint}"))
            })?;
            if info.name == "json_path" || info.family == "row" || info.name == "external" {
                return Err(at(format!(
                    "`{}` cannot be used inside json_path",
                    info.name
                )));
            }
            let mut opts = Options::default();
            for (k, v) in m {
                if k != "path" && k != "strategy" {
                    if k == "domain" {
                        return Err(at("`domain` goes on the json_path column itself; nested rules use its domain".into()));
                    }
                    if k == "key_column" {
                        return Err(at("`key_column` is not available inside json_path".into()));
                    }
                    opts.0.insert(k.clone(), v.clone());
                }
            }
            let problems = crate::validate_options(info, &opts);
            if let Some(p) = problems.first() {
                return Err(at(format!("`{}`: {p}", info.name)));
            }
            Action::Apply(Box::new(
                NestedStrategy::build(info, &opts, ctx).map_err(at)?,
            ))
        }
    };
    Ok(Rule { steps, action })
}

fn build(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let Some(OptionValue::List(items)) = opts.get("paths") else {
        return Err("option `paths` must be a list of rules".into());
    };
    if items.is_empty() {
        return Err("option `paths` must hold at least one rule".into());
    }
    let rules = items
        .iter()
        .enumerate()
        .map(|(i, item)| rule_from(item, i, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Box::new(JsonPath {
        rules,
        invalid: opts.str_or("invalid", "error").to_string(),
    }))
}

/// Applies `f` to every node the steps select. `f` returns `None` to delete the node.
fn visit(
    node: &mut Json,
    steps: &[Step],
    f: &mut dyn FnMut(&mut Json) -> Result<bool, String>,
) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        if !f(node)? {
            *node = Json::Null;
        }
        return Ok(());
    };
    // Deletion of members is handled one level up, where the member can be removed.
    let last = rest.is_empty();
    match (step, node) {
        (Step::Key(k), Json::Object(m)) => {
            if last {
                if let Some(child) = m.get_mut(k) {
                    if !f(child)? {
                        m.shift_remove(k);
                    }
                }
            } else if let Some(child) = m.get_mut(k) {
                visit(child, rest, f)?;
            }
        }
        (Step::Index(i), Json::Array(a)) => {
            let idx = if *i < 0 { a.len() as i64 + i } else { *i };
            if (0..a.len() as i64).contains(&idx) {
                let idx = idx as usize;
                if last {
                    if !f(&mut a[idx])? {
                        a.remove(idx);
                    }
                } else {
                    visit(&mut a[idx], rest, f)?;
                }
            }
        }
        (Step::All, Json::Array(a)) => {
            if last {
                let mut keep = Vec::with_capacity(a.len());
                for mut child in std::mem::take(a) {
                    if f(&mut child)? {
                        keep.push(child);
                    }
                }
                *a = keep;
            } else {
                for child in a.iter_mut() {
                    visit(child, rest, f)?;
                }
            }
        }
        (Step::All, Json::Object(m)) => {
            if last {
                let keys: Vec<String> = m.keys().cloned().collect();
                for k in keys {
                    let keep = match m.get_mut(&k) {
                        Some(child) => f(child)?,
                        None => true,
                    };
                    if !keep {
                        m.shift_remove(&k);
                    }
                }
            } else {
                for child in m.values_mut() {
                    visit(child, rest, f)?;
                }
            }
        }
        (Step::Descend(k), node) => {
            // This node's member `k`, then the same search in every child.
            visit(node, &[&[Step::Key(k.clone())], rest].concat(), f)?;
            match node {
                Json::Object(m) => {
                    for (key, child) in m.iter_mut() {
                        if key != k || !rest.is_empty() {
                            visit(child, steps, f)?;
                        }
                    }
                }
                Json::Array(a) => {
                    for child in a.iter_mut() {
                        visit(child, steps, f)?;
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
    Ok(())
}

/// Applies a nested strategy to every scalar at or below `node`.
fn mask_all(node: &mut Json, s: &NestedStrategy) -> Result<(), String> {
    match node {
        Json::Object(m) => m.values_mut().try_for_each(|c| mask_all(c, s)),
        Json::Array(a) => a.iter_mut().try_for_each(|c| mask_all(c, s)),
        scalar => {
            *scalar = s.apply(scalar)?;
            Ok(())
        }
    }
}

impl JsonPath {
    fn transform(&self, doc: &mut Json) -> Result<(), String> {
        for rule in &self.rules {
            match &rule.action {
                Action::Delete => visit(doc, &rule.steps, &mut |_| Ok(false))?,
                Action::Set(v) => visit(doc, &rule.steps, &mut |n| {
                    *n = v.clone();
                    Ok(true)
                })?,
                Action::Apply(s) => visit(doc, &rule.steps, &mut |n| {
                    mask_all(n, s)?;
                    Ok(true)
                })?,
            }
        }
        Ok(())
    }
}

impl Strategy for JsonPath {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let text = match value {
            Value::Json(s) | Value::Text(s) => s,
            other => {
                return Err(format!(
                    "json_path does not apply to {} values",
                    other.kind()
                ))
            }
        };
        let mut doc: Json = match serde_json::from_str(text) {
            Ok(d) => d,
            Err(e) => {
                return match self.invalid.as_str() {
                    "null" => Ok(Value::Null),
                    "keep" => Ok(value.clone()),
                    _ => Err(format!(
                        "not valid JSON (line {}, column {})",
                        e.line(),
                        e.column()
                    )),
                }
            }
        };
        self.transform(&mut doc)?;
        let out = doc.to_string();
        Ok(match value {
            Value::Json(_) => Value::Json(out.into()),
            _ => Value::Text(out.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::run;
    use std::collections::BTreeMap;

    fn rule(pairs: &[(&str, OptionValue)]) -> OptionValue {
        OptionValue::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn s(x: &str) -> OptionValue {
        OptionValue::String(x.into())
    }

    fn paths(rules: Vec<OptionValue>) -> Options {
        let mut o = Options::default();
        o.0.insert("paths".into(), OptionValue::List(rules));
        o
    }

    fn apply(o: &Options, doc: &str) -> Json {
        match run("json_path", o, &Value::Json(doc.into())).unwrap() {
            Value::Json(t) => serde_json::from_str(&t).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path("$.a['b c'][2][*].*..d").unwrap(),
            vec![
                Step::Key("a".into()),
                Step::Key("b c".into()),
                Step::Index(2),
                Step::All,
                Step::All,
                Step::Descend("d".into())
            ]
        );
        for bad in ["a.b", "$.", "$[", "$[x]", "$..", "$a"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_delete_and_mask_keep_the_rest() {
        let o = paths(vec![
            rule(&[("path", s("$.email")), ("strategy", s("email"))]),
            rule(&[("path", s("$.ssn")), ("delete", OptionValue::Bool(true))]),
            rule(&[
                ("path", s("$.flags.vip")),
                ("set", OptionValue::Bool(false)),
            ]),
            rule(&[("path", s("$.phones[*]")), ("strategy", s("phone"))]),
            rule(&[("path", s("$..iban")), ("strategy", s("iban"))]),
            rule(&[
                ("path", s("$.age")),
                ("strategy", s("noise")),
                ("relative", OptionValue::Float(0.1)),
            ]),
            rule(&[
                ("path", s("$.tags[-1]")),
                ("delete", OptionValue::Bool(true)),
            ]),
        ]);
        let doc = r#"{"name":"Alice","email":"alice@corp.test","ssn":"123-45-6789","flags":{"vip":true,"x":1},
            "phones":["+1 (415) 555-0132","+44 20 7946 0018"],"accounts":[{"iban":"DE89370400440532013000"}],
            "age":40,"tags":["a","b"]}"#;
        let out = apply(&o, doc);
        assert_eq!(out["name"], "Alice");
        assert!(
            out["email"].as_str().unwrap().ends_with(".com")
                || out["email"].as_str().unwrap().ends_with(".org")
                || out["email"].as_str().unwrap().ends_with(".net")
        );
        assert_ne!(out["email"], "alice@corp.test");
        assert!(out.get("ssn").is_none());
        assert_eq!(out["flags"], serde_json::json!({"vip": false, "x": 1}));
        assert_eq!(out["phones"].as_array().unwrap().len(), 2);
        assert_ne!(out["phones"][0], "+1 (415) 555-0132");
        let iban = out["accounts"][0]["iban"].as_str().unwrap();
        assert!(
            crate::finance::iban_valid(iban) && iban.starts_with("DE"),
            "{iban}"
        );
        let age = out["age"].as_i64().unwrap();
        assert!((36..=44).contains(&age), "{age}");
        assert_eq!(out["tags"], serde_json::json!(["a"]));
        // Key order is kept.
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["name", "email", "flags", "phones", "accounts", "age", "tags"]
        );
    }

    #[test]
    fn nested_strategies_share_the_columns_domain() {
        let o = paths(vec![rule(&[("path", s("$.e")), ("strategy", s("email"))])]);
        let out = apply(&o, r#"{"e":"alice@corp.test"}"#);
        let direct = run(
            "email",
            &Options::default(),
            &Value::text("alice@corp.test"),
        )
        .unwrap();
        assert_eq!(out["e"].as_str().unwrap(), direct.to_string());
    }

    #[test]
    fn invalid_documents_and_bad_rules() {
        let o = paths(vec![rule(&[
            ("path", s("$.a")),
            ("delete", OptionValue::Bool(true)),
        ])]);
        let err = run("json_path", &o, &Value::text("secret {")).unwrap_err();
        assert!(
            err.starts_with("not valid JSON") && !err.contains("secret"),
            "{err}"
        );
        let mut keep = o.clone();
        keep.0.insert("invalid".into(), s("keep"));
        assert_eq!(
            run("json_path", &keep, &Value::text("x")).unwrap(),
            Value::text("x")
        );
        let info = crate::lookup("json_path").unwrap();
        let cases = vec![
            paths(vec![]),
            paths(vec![rule(&[("path", s("a"))])]),
            paths(vec![rule(&[("path", s("$.a")), ("strategy", s("emial"))])]),
            paths(vec![rule(&[
                ("path", s("$.a")),
                ("strategy", s("token")),
                ("lenght", OptionValue::Int(3)),
            ])]),
            paths(vec![rule(&[
                ("path", s("$.a")),
                ("strategy", s("token")),
                ("delete", OptionValue::Bool(true)),
            ])]),
            paths(vec![rule(&[
                ("path", s("$.a")),
                ("strategy", s("email")),
                ("domain", s("x")),
            ])]),
        ];
        for o in cases {
            let p = crate::validate_options(info, &o);
            assert_eq!(p.len(), 1, "{o:?}");
            assert_eq!(p[0].option, "paths", "{p:?}");
        }
        let p = crate::validate_options(
            info,
            &paths(vec![rule(&[("path", s("$.a")), ("strategy", s("emial"))])]),
        );
        assert!(p[0].message.contains("did you mean `email`"), "{p:?}");
    }
}
