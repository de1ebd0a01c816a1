//! `service` (alias `external`): a user plug-in. The column's values are streamed, a batch at
//! a time, to a program over stdin/stdout as JSON Lines, and its answers replace them.
//!
//! Protocol (JSON Lines by default; Arrow IPC with `protocol: arrow`, see docs/plugins.md),
//! one process per batch so that the simplest script works:
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

mod arrow;
mod jsonl;
mod process;

use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Value};
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
            "protocol",
            OptionType::String,
            Some("jsonl"),
            "jsonl = one `{\"value\": ...}` JSON line per value; arrow = one Arrow IPC stream \
             each way, a record batch with one column `value`.",
        )
        .one_of(&["jsonl", "arrow"]),
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
    arrow: bool,
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
        arrow: opts.str_or("protocol", "jsonl") == "arrow",
    }))
}

impl Service {
    fn name(&self) -> String {
        format!("plug-in `{}`", self.program)
    }

    /// Runs the program once on `values` (all of one kind) and decodes its answer.
    fn run_batch(&self, values: &[Value], kind: &str) -> Result<Vec<Value>, String> {
        let name = self.name();
        let input = if self.arrow {
            arrow::encode(values, kind).map_err(|e| format!("{name}: {e}"))?
        } else {
            jsonl::encode(values)?
        };
        let run = process::Run {
            name: &name,
            program: &self.program,
            args: &self.args,
            env: &[
                ("DATAMASK_COLUMN", &self.column),
                ("DATAMASK_TYPE", kind),
                (
                    "DATAMASK_PROTOCOL",
                    if self.arrow { "arrow" } else { "jsonl" },
                ),
                ("DATAMASK_PLUGIN_KEY", &self.key_hex),
            ],
            timeout: self.timeout,
        };
        let output = run.exchange(input)?;
        let out = if self.arrow {
            arrow::decode(&output, kind, values.len())
        } else {
            jsonl::decode(&output, kind, values.len())
        };
        out.map_err(|e| format!("{name} {e}"))
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

    /// Arrow IPC: `cat` answers the stream it gets, which is a valid answer of the right
    /// types and row count; broken and empty streams are clear errors.
    #[test]
    fn arrow_ipc_round_trips_and_rejects_broken_streams() {
        let arrow = [("protocol", OptionValue::String("arrow".into()))];
        let cases: Vec<(DataType, Vec<Value>)> = vec![
            (
                DataType::text(),
                vec![Value::text("a"), Value::Null, Value::text("Zoë 北京")],
            ),
            (
                DataType::Int {
                    bits: 64,
                    unsigned: false,
                },
                vec![Value::Int(-3), Value::Null, Value::Int(i64::MAX)],
            ),
            (
                DataType::Float { bits: 64 },
                vec![Value::Float(1.5), Value::Null],
            ),
            (DataType::Bool, vec![Value::Bool(true), Value::Bool(false)]),
            (
                DataType::Bytes,
                vec![Value::Bytes(vec![0, 255]), Value::Null],
            ),
            (DataType::Json, vec![Value::Json("{\"a\":1}".into())]),
            (
                DataType::Date,
                vec![Value::Date(
                    chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
                )],
            ),
        ];
        for (ty, values) in cases {
            let col = column(ty);
            let s = service(&["cat"], &arrow, &col);
            let out = s
                .apply_column(
                    &values,
                    &ApplyCtx {
                        column: &col,
                        row_key: None,
                    },
                )
                .unwrap();
            assert_eq!(out, values);
        }
        let text = column(DataType::text());
        for (cmd, expected) in [
            (
                vec!["sh".to_string(), script("truncate.sh")],
                "Arrow IPC stream",
            ),
            (
                vec!["true".to_string()],
                "did not answer with an Arrow IPC stream",
            ),
        ] {
            let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let s = service(&args, &arrow, &text);
            let err = s
                .apply_column(
                    &[Value::text("secret-1"), Value::text("secret-2")],
                    &ApplyCtx {
                        column: &text,
                        row_key: None,
                    },
                )
                .unwrap_err()
                .1;
            assert!(err.contains(expected) && !err.contains("secret"), "{err}");
        }
    }

    /// A plug-in that reads its input and answers the bytes of `answer` (an Arrow stream made
    /// here), so each way an Arrow answer can be wrong is tested with a real program.
    fn answering(name: &str, answer: &[u8]) -> Vec<String> {
        let path =
            std::env::temp_dir().join(format!("datamask-arrow-{}-{name}.bin", std::process::id()));
        std::fs::write(&path, answer).unwrap();
        vec![
            "sh".into(),
            "-c".into(),
            format!("cat > /dev/null; cat '{}'", path.display()),
        ]
    }

    /// Under `protocol: arrow`, a crash, a hang, too few or too many rows, a cell of the
    /// wrong type and a batch of the wrong shape are each a clear error that names the
    /// plug-in and never the values.
    #[test]
    fn misbehaving_arrow_plugins_give_clear_errors() {
        use arrow_array::{Int64Array, RecordBatch};
        use arrow_schema::{DataType as ArrowType, Field, Schema};
        use std::sync::Arc;
        let text = column(DataType::text());
        let int = column(DataType::Int {
            bits: 64,
            unsigned: false,
        });
        let two_columns = {
            let schema = Arc::new(Schema::new(vec![
                Field::new("value", ArrowType::Int64, true),
                Field::new("extra", ArrowType::Int64, true),
            ]));
            let a = Arc::new(Int64Array::from(vec![1, 2]));
            let batch = RecordBatch::try_new(schema.clone(), vec![a.clone(), a]).unwrap();
            let mut out = Vec::new();
            let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &schema).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
            drop(w);
            out
        };
        let texts = |n: usize| -> Vec<Value> {
            (0..n).map(|i| Value::text(format!("secret-{i}"))).collect()
        };
        let cases: Vec<(Vec<String>, &Column, Vec<Value>, &str)> = vec![
            (
                vec!["sh".into(), script("crash.sh")],
                &text,
                texts(2),
                "exited with status 3",
            ),
            (
                answering("short", &arrow::encode(&texts(1), "text").unwrap()),
                &text,
                texts(2),
                "answered 1 row(s) for 2 value(s)",
            ),
            (
                answering("long", &arrow::encode(&texts(3), "text").unwrap()),
                &text,
                texts(2),
                "answered 3 row(s) for 2 value(s)",
            ),
            (
                answering("text_for_int", &arrow::encode(&texts(2), "text").unwrap()),
                &int,
                vec![Value::Int(1), Value::Int(2)],
                "answer row 1 is not a value of type int",
            ),
            (
                answering(
                    "bytes_for_text",
                    &arrow::encode(&[Value::Bytes(vec![1]), Value::Bytes(vec![2])], "bytes")
                        .unwrap(),
                ),
                &text,
                texts(2),
                "answer row 1 is not a value of type text",
            ),
            (
                answering("two_columns", &two_columns),
                &int,
                vec![Value::Int(1), Value::Int(2)],
                "answered batches with 2 columns",
            ),
            (
                answering("garbage", b"this is not arrow at all"),
                &text,
                texts(2),
                "Arrow IPC stream",
            ),
        ];
        let proto = [("protocol", OptionValue::String("arrow".into()))];
        for (cmd, col, values, expected) in cases {
            let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let s = service(&args, &proto, col);
            let ctx = ApplyCtx {
                column: col,
                row_key: None,
            };
            let (_, err) = s.apply_column(&values, &ctx).unwrap_err();
            assert!(err.contains(expected), "{cmd:?}: {err}");
            assert!(err.contains("plug-in `"), "{err}");
            assert!(!err.contains("secret") && !err.contains("broke"), "{err}");
        }
        let s = service(
            &["sh", &script("hang.sh")],
            &[
                ("protocol", OptionValue::String("arrow".into())),
                ("timeout_ms", OptionValue::Int(300)),
            ],
            &text,
        );
        let err = s
            .apply(
                &Value::text("x"),
                &ApplyCtx {
                    column: &text,
                    row_key: None,
                },
            )
            .unwrap_err();
        assert!(err.contains("within 300 ms and was stopped"), "{err}");
        let ours = format!("datamask-arrow-{}-", std::process::id());
        for entry in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
            if entry.file_name().to_string_lossy().starts_with(&ours) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
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
