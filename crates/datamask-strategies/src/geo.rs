//! Coordinates: `coordinate` (fake points within bounds) and `geo_round` (coarsen real points
//! by rounding or keyed jitter).

use crate::gen::Gen;
use crate::util::{format_decimal, int_in, key_source};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

/// Metres per degree of latitude (and of longitude at the equator), for jitter.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// `[min_lat, min_lon, max_lat, max_lon]`.
type Bounds = [f64; 4];

fn bounds_option(opts: &Options) -> Result<Bounds, String> {
    let bad = || {
        "option `bounds` must be [min_lat, min_lon, max_lat, max_lon] or a map with those \
         keys, latitudes within -90..90 and longitudes within -180..180, minimum below maximum"
            .to_string()
    };
    let num = |v: &OptionValue| match v {
        OptionValue::Int(i) => Some(*i as f64),
        OptionValue::Float(f) => Some(*f),
        _ => None,
    };
    let b: Bounds = match opts.get("bounds") {
        None => [-90.0, -180.0, 90.0, 180.0],
        Some(OptionValue::List(items)) if items.len() == 4 => {
            let v: Option<Vec<f64>> = items.iter().map(num).collect();
            let v = v.ok_or_else(bad)?;
            [v[0], v[1], v[2], v[3]]
        }
        Some(OptionValue::Map(m)) => {
            let get = |k: &str| m.get(k).and_then(num).ok_or_else(bad);
            if m.len() != 4 {
                return Err(bad());
            }
            [
                get("min_lat")?,
                get("min_lon")?,
                get("max_lat")?,
                get("max_lon")?,
            ]
        }
        Some(_) => return Err(bad()),
    };
    let ok = b.iter().all(|x| x.is_finite())
        && (-90.0..=90.0).contains(&b[0])
        && (-90.0..=90.0).contains(&b[2])
        && (-180.0..=180.0).contains(&b[1])
        && (-180.0..=180.0).contains(&b[3])
        && b[0] < b[2]
        && b[1] < b[3];
    if ok {
        Ok(b)
    } else {
        Err(bad())
    }
}

pub const COORDINATE: StrategyInfo = StrategyInfo {
    name: "coordinate",
    aliases: &[],
    family: "places",
    description: "Replaces a location with a keyed fake point inside `bounds`: a \
                  `lat, lon` pair, a WKT `POINT(lon lat)`, or one number (latitude or \
                  longitude) in numeric columns.",
    options: &[
        OptionSpec::optional(
            "format",
            OptionType::String,
            Some("pair"),
            "pair = `lat, lon` (the input's separator kept); wkt = `POINT(lon lat)`; lat or \
             lon = a single number (numeric columns default to lat).",
        )
        .one_of(&["pair", "wkt", "lat", "lon"]),
        OptionSpec::optional(
            "precision",
            OptionType::Integer,
            Some("6"),
            "Decimal places (0 to 10; 6 is about 10 cm).",
        ),
        OptionSpec::optional(
            "bounds",
            OptionType::Any,
            Some("the whole world"),
            "[min_lat, min_lon, max_lat, max_lon], or a map with those keys.",
        ),
    ],
    accepts: &["text", "float", "decimal"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("48.858844, 2.294351", "-48.652193, -123.054111"),
    build: build_coordinate,
};

struct Coordinate {
    prf: Prf,
    format: String,
    precision: usize,
    bounds: Bounds,
}

fn build_coordinate(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Coordinate {
        prf: ctx.prf.clone(),
        format: opts.str_or("format", "pair").to_string(),
        precision: int_in(opts, "precision", 6, 0, 10)? as usize,
        bounds: bounds_option(opts)?,
    }))
}

fn round_to(x: f64, decimals: usize) -> f64 {
    let p = 10f64.powi(decimals as i32);
    (x * p).round() / p
}

fn fmt(x: f64, decimals: usize) -> String {
    format_decimal(x, decimals).unwrap_or_else(|| "0".into())
}

/// The separator between the two numbers of a `lat<sep>lon` text, or `", "`.
fn pair_separator(s: &str) -> &str {
    if s.contains(", ") {
        ", "
    } else if s.contains(',') {
        ","
    } else if s.trim().contains(' ') {
        " "
    } else {
        ", "
    }
}

impl Strategy for Coordinate {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let mut g = Gen::new(&self.prf, "coordinate", value);
        let [lo_lat, lo_lon, hi_lat, hi_lon] = self.bounds;
        let lat = (lo_lat + g.unit() * (hi_lat - lo_lat)).clamp(lo_lat, hi_lat);
        let lon = (lo_lon + g.unit() * (hi_lon - lo_lon)).clamp(lo_lon, hi_lon);
        let (lat, lon) = (round_to(lat, self.precision), round_to(lon, self.precision));
        let single = if self.format == "lon" { lon } else { lat };
        let p = self.precision;
        Ok(match value {
            Value::Float(_) => Value::Float(single),
            Value::Decimal(_) => Value::Decimal(fmt(single, p).into()),
            Value::Text(s) => Value::Text(match self.format.as_str() {
                "wkt" => format!("POINT({} {})", fmt(lon, p), fmt(lat, p)).into(),
                "lat" | "lon" => fmt(single, p).into(),
                _ => format!("{}{}{}", fmt(lat, p), pair_separator(s), fmt(lon, p)).into(),
            }),
            other => {
                return Err(format!(
                    "coordinate does not apply to {} values",
                    other.kind()
                ))
            }
        })
    }
}

pub const GEO_ROUND: StrategyInfo = StrategyInfo {
    name: "geo_round",
    aliases: &[],
    family: "generalize",
    description: "Coarsens coordinates: rounds them to `decimals` places (2 is about 1 km), \
                  or moves them by a keyed offset of up to `jitter_meters` on each axis (the \
                  only keyed mode). Works on numbers and on every number inside text \
                  (`lat, lon`, WKT).",
    options: &[
        OptionSpec::optional(
            "decimals",
            OptionType::Integer,
            Some("2"),
            "Decimal places kept (0 to 10).",
        ),
        OptionSpec::optional(
            "jitter_meters",
            OptionType::Number,
            None,
            "Instead of rounding, add a keyed offset of up to this many metres per axis \
             (111,320 m per degree; with `key_column`, one person's points move together).",
        ),
    ],
    accepts: &["float", "decimal", "text"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: true,
    example: ("48.858844", "48.86"),
    build: build_geo_round,
};

struct GeoRound {
    prf: Prf,
    decimals: usize,
    jitter: Option<f64>,
}

fn build_geo_round(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let jitter = match opts.get("jitter_meters") {
        None => None,
        Some(_) if opts.get("decimals").is_some() => {
            return Err("give either option `decimals` or option `jitter_meters`, not both".into())
        }
        Some(_) => {
            let j = opts.float_or("jitter_meters", 0.0);
            if !(j.is_finite() && j > 0.0 && j <= 1_000_000.0) {
                return Err("option `jitter_meters` must be between 0 and 1000000".into());
            }
            Some(j)
        }
    };
    Ok(Box::new(GeoRound {
        prf: ctx.prf.clone(),
        decimals: int_in(opts, "decimals", 2, 0, 10)? as usize,
        jitter,
    }))
}

impl GeoRound {
    /// The new value of a number and its decimals for printing. Each number of a value takes
    /// the next draw of `g`, so the two numbers of a pair move independently.
    fn adjust(&self, x: f64, g: &mut Gen, input_decimals: usize) -> (f64, usize) {
        match self.jitter {
            Some(j) => {
                let offset = (2.0 * g.unit() - 1.0) * j / METRES_PER_DEGREE;
                (x + offset, input_decimals.max(6))
            }
            None => (round_to(x, self.decimals), self.decimals),
        }
    }
}

/// Decimal numbers inside a text, as (start, end) byte ranges.
fn numbers_in(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i] == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            out.push((start, i));
        } else {
            i = start + 1;
        }
    }
    out
}

impl Strategy for GeoRound {
    fn apply_value(&self, value: &Value, ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let mut g = Gen::new(&self.prf, "geo_round", key_source(value, ctx));
        let scale = |t: &str| t.split_once('.').map_or(0, |(_, f)| f.len());
        Ok(match value {
            Value::Float(f) if !f.is_finite() => value.clone(),
            Value::Float(f) => Value::Float(self.adjust(*f, &mut g, 0).0),
            Value::Decimal(d) => {
                let x: f64 = d
                    .trim()
                    .parse()
                    .map_err(|_| "not a decimal number".to_string())?;
                let (y, p) = self.adjust(x, &mut g, scale(d));
                Value::Decimal(fmt(y, p).into())
            }
            Value::Text(s) => {
                let mut out = String::with_capacity(s.len());
                let mut last = 0;
                for (a, b) in numbers_in(s) {
                    let x: f64 = s[a..b].parse().unwrap_or(0.0);
                    let (y, p) = self.adjust(x, &mut g, scale(&s[a..b]));
                    out.push_str(&s[last..a]);
                    out.push_str(&fmt(y, p));
                    last = b;
                }
                out.push_str(&s[last..]);
                Value::Text(out.into())
            }
            other => {
                return Err(format!(
                    "geo_round does not apply to {} values",
                    other.kind()
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{opts, run, Opts};
    use datamask_core::strategy::Options;

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    fn pair(s: &str) -> (f64, f64) {
        let (a, b) = s.split_once(',').unwrap();
        (a.trim().parse().unwrap(), b.trim().parse().unwrap())
    }

    #[test]
    fn coordinates_stay_in_bounds() {
        let mut o = Options::default();
        o.0.insert(
            "bounds".into(),
            OptionValue::List(vec![
                OptionValue::Float(47.3),
                OptionValue::Float(5.9),
                OptionValue::Float(55.1),
                OptionValue::Float(15.0),
            ]),
        );
        for i in 0..500 {
            let (lat, lon) = pair(&text(
                run("coordinate", &o, &Value::text(format!("p{i}"))).unwrap(),
            ));
            assert!(
                (47.3..=55.1).contains(&lat) && (5.9..=15.0).contains(&lon),
                "{lat} {lon}"
            );
        }
        let w = text(
            run(
                "coordinate",
                &opts(&[("format", "wkt"), ("precision", "2")]),
                &Value::text("x"),
            )
            .unwrap(),
        );
        assert!(w.starts_with("POINT(") && w.ends_with(')'), "{w}");
        let Value::Float(f) = run(
            "coordinate",
            &opts(&[("format", "lon")]),
            &Value::Float(1.0),
        )
        .unwrap() else {
            panic!()
        };
        assert!((-180.0..=180.0).contains(&f));
        let t = text(run("coordinate", &opts(&[]), &Value::text("1,2")).unwrap());
        assert!(t.contains(',') && !t.contains(", "), "{t}");
        for bad in [
            "[1, 2]",
            "{min_lat: 10, min_lon: 0, max_lat: 5, max_lon: 1}",
        ] {
            let mut o = Options::default();
            o.0.insert(
                "bounds".into(),
                if bad.starts_with('[') {
                    OptionValue::List(vec![OptionValue::Int(1), OptionValue::Int(2)])
                } else {
                    OptionValue::Map(
                        [
                            ("min_lat", 10),
                            ("min_lon", 0),
                            ("max_lat", 5),
                            ("max_lon", 1),
                        ]
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), OptionValue::Int(v)))
                        .collect(),
                    )
                },
            );
            let p = crate::validate_options(crate::lookup("coordinate").unwrap(), &o);
            assert_eq!(p[0].option, "bounds", "{bad}");
        }
    }

    #[test]
    fn geo_round_table() {
        let cases: &[(Opts, &str, &str)] = &[
            (&[], "48.858844, 2.294351", "48.86, 2.29"),
            (
                &[("decimals", "1")],
                "POINT(2.294351 48.858844)",
                "POINT(2.3 48.9)",
            ),
            (&[("decimals", "0")], "-33.8688,151.2093", "-34,151"),
            (&[], "no numbers", "no numbers"),
        ];
        for (o, input, expected) in cases {
            assert_eq!(
                text(run("geo_round", &opts(o), &Value::text(*input)).unwrap()),
                *expected
            );
        }
        let Value::Decimal(d) =
            run("geo_round", &opts(&[]), &Value::Decimal("48.858844".into())).unwrap()
        else {
            panic!()
        };
        assert_eq!(d, "48.86");
        let o = opts(&[("jitter_meters", "500")]);
        for i in 0..200 {
            let x = 40.0 + f64::from(i) / 1000.0;
            let Value::Float(y) = run("geo_round", &o, &Value::Float(x)).unwrap() else {
                panic!()
            };
            assert!(
                (y - x).abs() <= 500.0 / METRES_PER_DEGREE + 1e-12,
                "{x} {y}"
            );
        }
        let p = crate::validate_options(
            crate::lookup("geo_round").unwrap(),
            &opts(&[("decimals", "2"), ("jitter_meters", "10")]),
        );
        assert_eq!(p[0].option, "decimals");
    }
}
