//! `company`: fake company names from a locale's vocabulary and legal forms.

use crate::gen::{text_of, Gen};
use crate::locale::{self, Locale};
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

pub const COMPANY: StrategyInfo = StrategyInfo {
    name: "company",
    aliases: &[],
    family: "places",
    description: "Replaces a company name with a keyed fake one in the locale's language and \
                  legal form: `Pacific Logistics Inc.`, `Nord Logistik GmbH`, `Transports \
                  Azur SARL`, or a family-name firm (`Kowalski i Nowak Sp. z o.o.`).",
    options: &[
        OptionSpec::optional(
            "type",
            OptionType::String,
            Some("any"),
            "words = two vocabulary words; person = one or two family names; any = either, \
             by key.",
        )
        .one_of(&["any", "words", "person"]),
        OptionSpec::optional(
            "suffix",
            OptionType::String,
            None,
            "Legal form appended to every name (`Ltd`, `GmbH`, ...), or `\"\"` for none; by \
             default one of the locale's, by key.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("Acme Corporation", "Vertex Analytics LLC"),
    build: build_company,
};

struct Company {
    prf: Prf,
    locale: &'static Locale,
    kind: String,
    suffix: Option<String>,
}

fn build_company(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Company {
        prf: ctx.prf.clone(),
        locale: locale::from_options(opts)?,
        kind: opts.str_or("type", "any").to_string(),
        suffix: match opts.get("suffix") {
            Some(OptionValue::String(s)) => Some(s.trim().to_string()),
            _ => None,
        },
    }))
}

/// The word joining two family names in a firm name.
fn and_word(l: &Locale) -> &'static str {
    match &l.code[..2] {
        "de" | "fr" | "nl" => "&",
        "es" => "y",
        "it" | "pt" => "e",
        "pl" => "i",
        _ => "&",
    }
}

impl Strategy for Company {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        text_of(value, "company")?;
        let mut g = Gen::new(&self.prf, "company", value);
        let l = self.locale;
        let person = match self.kind.as_str() {
            "person" => true,
            "words" => false,
            _ => g.chance(0.3),
        };
        let name = if person {
            let a = g.pick(&l.last);
            let b = g.pick(&l.last);
            if a == b || g.chance(0.5) {
                a.to_string()
            } else {
                format!("{a} {} {b}", and_word(l))
            }
        } else {
            l.company_layout
                .replace("{a}", g.pick(&l.company_adj))
                .replace("{n}", g.pick(&l.company_noun))
        };
        let suffix = match &self.suffix {
            Some(s) => s.clone(),
            None => g.pick(&l.company_suffix).to_string(),
        };
        Ok(Value::Text(if suffix.is_empty() {
            name.into()
        } else {
            format!("{name} {suffix}").into()
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::harness::{opts, run};
    use crate::locale;
    use datamask_core::Value;

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn companies_use_the_locale() {
        for l in locale::all() {
            for kind in ["any", "words", "person"] {
                for i in 0..50 {
                    let out = text(
                        run(
                            "company",
                            &opts(&[("locale", l.code), ("type", kind)]),
                            &Value::text(i.to_string()),
                        )
                        .unwrap(),
                    );
                    assert!(l.company_suffix.iter().any(|s| out.ends_with(s)), "{out}");
                    let words = l
                        .company_adj
                        .iter()
                        .chain(&l.company_noun)
                        .any(|w| out.contains(w));
                    let family = l.last.iter().any(|w| out.starts_with(w));
                    match kind {
                        "words" => assert!(words, "{out}"),
                        "person" => assert!(family, "{out}"),
                        _ => assert!(words || family, "{out}"),
                    }
                }
            }
        }
        let out = text(run("company", &opts(&[("suffix", "'")]), &Value::text("x")).unwrap());
        assert!(!out.ends_with(' ') && !out.contains("  "), "{out}");
        let out = text(
            run(
                "company",
                &opts(&[("suffix", "Holding")]),
                &Value::text("x"),
            )
            .unwrap(),
        );
        assert!(out.ends_with(" Holding"), "{out}");
    }
}
