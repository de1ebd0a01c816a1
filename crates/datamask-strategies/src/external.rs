//! `service` (alias `external`): a user plug-in. The column's values are streamed, a batch at
//! a time, to a program over stdin/stdout as JSON Lines, and its answers replace them.
//!
//! Protocol, one process per batch so that the simplest script works:
//!
//! * datamask starts `command` with the environment variables `DATAMASK_COLUMN` (column
//!   name), `DATAMASK_TYPE` (the value kind: text, int, float, decimal, bool, date, ...),
//!   `DATAMASK_PROTOCOL=jsonl` and `DATAMASK_PLUGIN_KEY` (64 hex digits: a key derived from the
//!   master key for this column's domain, so a plug-in can be keyed and deterministic too;
//!   never the master key itself);
//! * writes one line `{"value": V}` per value of the batch and closes stdin;
//! * reads exactly one line `{"value": V'}` per input line from stdout, in order, until the
//!   program exits with status 0.
//!
//! Anything else is an error naming the plug-in and what went wrong (too many or too few
//! lines, a line that is not JSON, a value of the wrong type, a non-zero exit, no answer
//! within `timeout_ms`), never a value: the plug-in's own stderr is not repeated either, as
//! it may echo data. A timed-out program is killed.

use crate::util::convert;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Value};
use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const SERVICE: StrategyInfo = StrategyInfo {
    name: "service",
    aliases: &["external"],
    family: "plugin",
    description: "Sends the column's values, a batch at a time, to your program as JSON \
                  Lines on stdin (`{\"value\": ...}` per line) and takes one answer line per \
                  value from its stdout. The program gets a per-domain key in \
                  `DATAMASK_PLUGIN_KEY` so it can be keyed and deterministic. Wrong line \
                  counts, bad JSON, wrong types, crashes and timeouts stop the run with a \
                  clear error.",
    options: &[
        OptionSpec::required(
            "command",
            OptionType::Any,
            "The program and its arguments, as a list ([python3, mask.py, --fast]) or one \
             string split at spaces. Relative paths are resolved by the operating system \
             from the working directory.",
        ),
        OptionSpec::optional(
            "timeout_ms",
            OptionType::Integer,
            Some("30000"),
            "Longest time one batch may take, 1 to 3600000 ms; the program is killed after.",
        ),
        OptionSpec::optional(
            "batch_size",
            OptionType::Integer,
            Some("1000"),
            "Values per program run (1 to 1000000).",
        ),
        OptionSpec::optional(
            "injective",
            OptionType::Boolean,
            Some("false"),
            "Declare that the program maps distinct values to distinct values, so the column \
             may be a key. datamask cannot check this; verification will.",
        ),
    ],
    accepts: &["any"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("alice@corp.test", "alice@example.com"),
    build,
};

struct Service {
    program: String,
    args: Vec<String>,
    timeout: Duration,
    batch: usize,
    key_hex: String,
    column: String,
    injective: bool,
}

fn build(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let parts: Vec<String> = match opts.get("command") {
        Some(OptionValue::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(OptionValue::List(items)) => items
            .iter()
            .map(|i| {
                i.as_text()
                    .ok_or("option `command` must be a list of strings")
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("option `command` must be a program with its arguments".into()),
    };
    let Some((program, args)) = parts.split_first() else {
        return Err("option `command` must name a program".into());
    };
    let key = ctx.prf.cipher_key("external plug-in");
    Ok(Box::new(Service {
        program: program.clone(),
        args: args.to_vec(),
        timeout: Duration::from_millis(crate::util::int_in(
            opts,
            "timeout_ms",
            30_000,
            1,
            3_600_000,
        )? as u64),
        batch: crate::util::int_in(opts, "batch_size", 1000, 1, 1_000_000)? as usize,
        key_hex: key.iter().map(|b| format!("{b:02x}")).collect(),
        column: ctx.column.name.clone(),
        injective: opts.bool_or("injective", false),
    }))
}

/// A value as the JSON the plug-in receives.
fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or_else(|| json!(f.to_string()), Json::Number)
        }
        Value::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
        Value::Bytes(b) => json!(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        other => json!(other.to_string()),
    }
}

/// The plug-in's answer as a value of `kind`.
fn from_json(j: &Json, kind: &str) -> Option<Value> {
    if j.is_null() {
        return Some(Value::Null);
    }
    if kind == "json" {
        return Some(Value::Json(j.to_string()));
    }
    if kind == "bytes" {
        let h = j.as_str()?;
        if h.len() % 2 != 0 {
            return None;
        }
        return (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()
            .map(Value::Bytes);
    }
    let opt = match j {
        Json::Bool(b) => OptionValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => OptionValue::Int(i),
            None => OptionValue::Float(n.as_f64()?),
        },
        Json::String(s) => OptionValue::String(s.clone()),
        _ => return None,
    };
    convert(&opt, kind).ok()
}

impl Service {
    fn name(&self) -> String {
        format!("plug-in `{}`", self.program)
    }

    /// Runs the program once on `values` (all of one kind).
    fn run_batch(&self, values: &[Value], kind: &str) -> Result<Vec<Value>, String> {
        let mut input = Vec::with_capacity(values.len() * 32);
        for v in values {
            serde_json::to_writer(&mut input, &json!({ "value": to_json(v) }))
                .map_err(|_| "a value could not be written as JSON".to_string())?;
            input.push(b'\n');
        }
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .env("DATAMASK_COLUMN", &self.column)
            .env("DATAMASK_TYPE", kind)
            .env("DATAMASK_PROTOCOL", "jsonl")
            .env("DATAMASK_PLUGIN_KEY", &self.key_hex)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{} could not be started: {}", self.name(), e.kind()))?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        // Writer and reader on their own threads, so a program that answers before reading
        // everything cannot deadlock us; the main thread only waits, with the timeout.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => lines.push(line.trim_end_matches(['\n', '\r']).to_string()),
                    Err(_) => {
                        // Not UTF-8: drain and report.
                        let _ = reader.read_to_end(&mut Vec::new());
                        let _ = tx.send(Err(()));
                        return;
                    }
                }
            }
            let _ = tx.send(Ok(lines));
        });
        let lines = match rx.recv_timeout(self.timeout) {
            Ok(r) => r,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = writer.join();
                return Err(format!(
                    "{} gave no complete answer within {} ms and was stopped",
                    self.name(),
                    self.timeout.as_millis()
                ));
            }
        };
        let _ = writer.join();
        let status = child
            .wait()
            .map_err(|e| format!("{} could not be waited for: {}", self.name(), e.kind()))?;
        if !status.success() {
            return Err(match status.code() {
                Some(c) => format!("{} exited with status {c}", self.name()),
                None => format!("{} was killed by a signal", self.name()),
            });
        }
        let lines =
            lines.map_err(|()| format!("{} wrote output that is not UTF-8", self.name()))?;
        let lines: Vec<String> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
        if lines.len() != values.len() {
            return Err(format!(
                "{} answered {} line(s) for {} value(s); it must write exactly one line per input line",
                self.name(),
                lines.len(),
                values.len()
            ));
        }
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let j: Json = serde_json::from_str(l)
                    .map_err(|_| format!("{} output line {} is not JSON", self.name(), i + 1))?;
                let v = j.get("value").ok_or_else(|| {
                    format!(
                        "{} output line {} has no \"value\" member",
                        self.name(),
                        i + 1
                    )
                })?;
                from_json(v, kind).ok_or_else(|| {
                    format!(
                        "{} output line {} is not a value of type {kind}",
                        self.name(),
                        i + 1
                    )
                })
            })
            .collect()
    }
}

impl Strategy for Service {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let mut out = self.run_batch(std::slice::from_ref(value), value.kind())?;
        Ok(out.pop().unwrap_or(Value::Null))
    }

    fn is_injective(&self) -> bool {
        self.injective
    }

    fn apply_column(
        &self,
        values: &[Value],
        ctx: &ApplyCtx<'_>,
    ) -> Result<Vec<Value>, (usize, String)> {
        let kind = crate::util::column_kind(ctx.column);
        let mut out = Vec::with_capacity(values.len());
        for (n, chunk) in values.chunks(self.batch).enumerate() {
            // Values of another kind than the column's (SQLite) go one by one.
            if chunk.iter().all(|v| v.kind() == kind || v.is_null()) {
                let r = self
                    .run_batch(chunk, kind)
                    .map_err(|e| (n * self.batch, e))?;
                out.extend(r);
            } else {
                for (i, v) in chunk.iter().enumerate() {
                    out.push(
                        self.apply_value(v, ctx)
                            .map_err(|e| (n * self.batch + i, e))?,
                    );
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{build_for, TEST_KEY};
    use datamask_core::{Column, DataType, MasterKey};

    fn script(name: &str) -> String {
        format!("{}/testdata/plugins/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn service(
        command: &[&str],
        extra: &[(&str, OptionValue)],
        column: &Column,
    ) -> Box<dyn Strategy> {
        let mut o = Options::default();
        o.0.insert(
            "command".into(),
            OptionValue::List(
                command
                    .iter()
                    .map(|s| OptionValue::String(s.to_string()))
                    .collect(),
            ),
        );
        for (k, v) in extra {
            o.0.insert(k.to_string(), v.clone());
        }
        build_for("service", &o, column).unwrap()
    }

    fn column(ty: DataType) -> Column {
        Column::new("c", ty)
    }

    #[test]
    fn a_keyed_python_plugin_masks_batches_in_order() {
        let col = column(DataType::text());
        let s = service(
            &["python3", &script("keyed_token.py")],
            &[("batch_size", OptionValue::Int(1000))],
            &col,
        );
        let ctx = ApplyCtx {
            column: &col,
            row_key: None,
        };
        let values: Vec<Value> = (0..2500)
            .map(|i| {
                if i % 10 == 7 {
                    Value::Null
                } else {
                    Value::text(format!("user{i}@corp.test"))
                }
            })
            .collect();
        let out = s.apply_column(&values, &ctx).unwrap();
        assert_eq!(out.len(), values.len());
        for (v, o) in values.iter().zip(&out) {
            match (v, o) {
                (Value::Null, Value::Null) => {}
                (Value::Text(_), Value::Text(t)) => {
                    assert!(t.starts_with("tok-") && t.len() == 16, "{t}")
                }
                other => panic!("{other:?}"),
            }
        }
        // Deterministic, per value, and keyed through DATAMASK_PLUGIN_KEY.
        assert_eq!(out[3], s.apply(&values[3], &ctx).unwrap());
        assert_ne!(out[3], out[4]);
        let ctx2 = BuildCtx {
            prf: MasterKey::from_hex(&TEST_KEY.replace("00", "ff"))
                .unwrap()
                .prf("example"),
            column: &col,
        };
        let mut o = Options::default();
        o.0.insert(
            "command".into(),
            OptionValue::List(vec![
                OptionValue::String("python3".into()),
                OptionValue::String(script("keyed_token.py")),
            ]),
        );
        let other = crate::build(crate::lookup("external").unwrap(), &o, &ctx2).unwrap();
        assert_ne!(other.apply(&values[3], &ctx).unwrap(), out[3]);
    }

    #[test]
    fn misbehaving_plugins_give_clear_errors() {
        let text = column(DataType::text());
        let int = column(DataType::Int {
            bits: 64,
            unsigned: false,
        });
        let secret = Value::text("secret-4411");
        let cases: Vec<(Vec<String>, &Column, Value, &str)> = vec![
            (
                vec!["sh".into(), script("drop_last_line.sh")],
                &text,
                secret.clone(),
                "answered 0 line(s) for 1 value(s)",
            ),
            (
                vec!["sh".into(), script("crash.sh")],
                &text,
                secret.clone(),
                "exited with status 3",
            ),
            (
                vec!["sh".into(), script("not_json.sh")],
                &text,
                secret.clone(),
                "output line 1 is not JSON",
            ),
            (
                vec!["sh".into(), script("wrong_type.sh")],
                &int,
                Value::Int(7),
                "output line 1 is not a value of type int",
            ),
            (
                vec!["/nonexistent/plugin".into()],
                &text,
                secret.clone(),
                "could not be started",
            ),
        ];
        for (cmd, col, value, expected) in cases {
            let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let s = service(&args, &[], col);
            let err = s
                .apply(
                    &value,
                    &ApplyCtx {
                        column: col,
                        row_key: None,
                    },
                )
                .unwrap_err();
            assert!(err.contains(expected), "{cmd:?}: {err}");
            assert!(err.contains("plug-in `"), "{err}");
            assert!(!err.contains("secret") && !err.contains("broke"), "{err}");
        }
        // Batches report the position of the batch that failed.
        let s = service(
            &["sh", &script("drop_last_line.sh")],
            &[("batch_size", OptionValue::Int(2))],
            &text,
        );
        let values: Vec<Value> = (0..5).map(|i| Value::text(i.to_string())).collect();
        let (at, err) = s
            .apply_column(
                &values,
                &ApplyCtx {
                    column: &text,
                    row_key: None,
                },
            )
            .unwrap_err();
        assert_eq!(at, 0, "{err}");
    }

    #[test]
    fn a_hanging_plugin_times_out_and_is_stopped() {
        let col = column(DataType::text());
        let s = service(
            &["sh", &script("hang.sh")],
            &[("timeout_ms", OptionValue::Int(300))],
            &col,
        );
        let err = s
            .apply(
                &Value::text("x"),
                &ApplyCtx {
                    column: &col,
                    row_key: None,
                },
            )
            .unwrap_err();
        assert!(err.contains("within 300 ms and was stopped"), "{err}");
    }

    #[test]
    fn options_are_checked() {
        let info = crate::lookup("service").unwrap();
        for (name, value) in [
            ("command", OptionValue::List(vec![])),
            ("timeout_ms", OptionValue::Int(0)),
            ("batch_size", OptionValue::Int(0)),
        ] {
            let mut o = Options::default();
            o.0.insert("command".into(), OptionValue::String("cat".into()));
            o.0.insert(name.into(), value);
            let p = crate::validate_options(info, &o);
            assert_eq!(p[0].option, name, "{p:?}");
        }
    }
}
