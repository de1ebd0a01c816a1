//! Places: `address`, `city_shuffle`, `region_shuffle`, `country` and `language`.
//!
//! Addresses are assembled from one locale's dictionaries so that street, city, region and
//! postcode agree with each other (`Lindenstraße 12, 80331 München`). The shuffles replace a
//! city or region with another one *of the same country*: the country is recognised from the
//! input when the value is in a bundled list, so a column mixing countries keeps each row's
//! country.

use crate::gen::{text_of, Gen};
use crate::locale::{self, City, Locale};
use crate::util::match_case;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};

/// The `country` option (ISO alpha-2 of a bundled locale), else the locale.
fn country_locale(opts: &Options) -> Result<&'static Locale, String> {
    match opts.get("country") {
        Some(OptionValue::String(c)) => locale::by_country(c).ok_or_else(|| {
            let known: Vec<&str> = locale::all().iter().map(|l| l.country).collect();
            format!("option `country` must be one of {}", known.join(", "))
        }),
        _ => locale::from_options(opts),
    }
}

const COUNTRY_OPTION: OptionSpec = OptionSpec::optional(
    "country",
    OptionType::String,
    None,
    "ISO code of the country (US, GB, DE, FR, ES, IT, NL, PL, BR); default: the locale's.",
);

pub const ADDRESS: StrategyInfo = StrategyInfo {
    name: "address",
    aliases: &[],
    family: "places",
    description: "Replaces an address (or one part of it) with a keyed fake one in the \
                  country's layout, built from the locale's streets and cities with a postcode \
                  that matches the city.",
    options: &[
        COUNTRY_OPTION,
        OptionSpec::optional(
            "format",
            OptionType::String,
            Some("full"),
            "full = street, number, postcode and city in the country's layout; short = the \
             street line; or one part: city, postcode, region.",
        )
        .one_of(&["full", "short", "city", "postcode", "region"]),
        OptionSpec::optional(
            "include_postal_code",
            OptionType::Boolean,
            Some("true"),
            "Include the postcode in full addresses.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: (
        "221B Baker Street, London NW1 6XE",
        "840 Pine Street, Hartford, CT 06162",
    ),
    build: build_address,
};

struct Address {
    prf: Prf,
    locale: &'static Locale,
    format: String,
    /// The layout of `full` or `short`, parsed once here (parsing it per value was two
    /// fifths of this strategy's time).
    layout: Layout,
}

fn build_address(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let locale = country_locale(opts)?;
    let format = opts.str_or("format", "full").to_string();
    let layout = if format == "short" {
        Layout::new(locale.street_line, false)
    } else {
        Layout::new(locale.address, opts.bool_or("include_postal_code", true))
    };
    Ok(Box::new(Address {
        prf: ctx.prf.clone(),
        locale,
        format,
        layout,
    }))
}

/// The placeholders of an address layout, in the order [`Layout::render`] takes their values.
const PARTS: [&str; 6] = [
    "number",
    "street",
    "city",
    "region_code",
    "region",
    "postcode",
];

/// A piece of a parsed layout.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// The value of `PARTS[i]`.
    Part(usize),
}

/// An address layout parsed once: `{number}`, `{street}`, `{city}`, `{region}`,
/// `{region_code}`, `{postcode}`; a `[...]` part is kept only when `optional` is true. Other
/// braces stay as they are written.
#[derive(Debug, Clone, PartialEq)]
struct Layout(Vec<Piece>);

impl Layout {
    fn new(layout: &str, optional: bool) -> Self {
        let mut kept = String::new();
        let mut rest = layout;
        while let Some(i) = rest.find('[') {
            kept.push_str(&rest[..i]);
            let end = rest[i..].find(']').map_or(rest.len(), |e| i + e);
            if optional {
                kept.push_str(&rest[i + 1..end]);
            }
            rest = rest.get(end + 1..).unwrap_or("");
        }
        kept.push_str(rest);
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = kept.as_str();
        while let Some(i) = rest.find('{') {
            text.push_str(&rest[..i]);
            let tail = &rest[i..];
            let part = tail.find('}').and_then(|end| {
                let index = PARTS.iter().position(|k| *k == &tail[1..end])?;
                Some((end, index))
            });
            match part {
                Some((end, index)) => {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                    pieces.push(Piece::Part(index));
                    rest = &tail[end + 1..];
                }
                None => {
                    text.push('{');
                    rest = &tail[1..];
                }
            }
        }
        text.push_str(rest);
        pieces.push(Piece::Text(text));
        pieces.retain(|p| *p != Piece::Text(String::new()));
        Layout(pieces)
    }

    /// The layout with `values` (in [`PARTS`] order) in its placeholders.
    fn render(&self, values: &[&str; 6]) -> String {
        let mut out = String::with_capacity(64);
        for piece in &self.0 {
            out.push_str(match piece {
                Piece::Text(t) => t,
                Piece::Part(i) => values[*i],
            });
        }
        out
    }
}

impl Address {
    fn make(&self, g: &mut Gen) -> String {
        let l = self.locale;
        let city: &City = g.pick_ref(&l.cities);
        let street = g.pick(&l.streets);
        let number = (1 + g.below(l.max_number)).to_string();
        let postcode = g.pattern(city.postcode);
        let region_code = city.region_code.unwrap_or(city.region);
        match self.format.as_str() {
            "city" => city.name.to_string(),
            "postcode" => postcode,
            "region" => city.region.to_string(),
            _ => self.layout.render(&[
                &number,
                street,
                city.name,
                region_code,
                city.region,
                &postcode,
            ]),
        }
    }
}

impl Strategy for Address {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        text_of(value, "address")?;
        let mut g = Gen::new(&self.prf, "address", value);
        Ok(Value::Text(self.make(&mut g).into()))
    }
}

/// Lowercase with accents and punctuation folded, for matching place names loosely.
fn fold(s: &str) -> String {
    crate::util::ascii_slug(s)
}

/// Which list a shuffle draws from.
#[derive(Clone, Copy)]
enum Place {
    City,
    Region,
}

/// The names of a locale's cities or regions (first occurrence order, no duplicates), with
/// the region codes as a parallel list (`None` when the locale has none).
fn names(l: &'static Locale, place: Place) -> (Vec<&'static str>, Vec<Option<&'static str>>) {
    let mut names: Vec<&'static str> = Vec::new();
    let mut codes = Vec::new();
    for c in &l.cities {
        let name = match place {
            Place::City => c.name,
            Place::Region => c.region,
        };
        if !names.contains(&name) {
            names.push(name);
            codes.push(match place {
                Place::City => None,
                Place::Region => c.region_code,
            });
        }
    }
    (names, codes)
}

struct Shuffle {
    prf: Prf,
    place: Place,
    /// The fallback country when the input is not recognised.
    default: &'static Locale,
    /// Restrict to this country even when the input is recognised elsewhere.
    fixed: bool,
}

impl Shuffle {
    /// The locale and whether the input was a region code, for a recognised input.
    fn recognise(&self, s: &str) -> Option<(&'static Locale, bool)> {
        let f = fold(s);
        if f.is_empty() {
            return None;
        }
        let candidates: Vec<&'static Locale> = if self.fixed {
            vec![self.default]
        } else {
            std::iter::once(self.default)
                .chain(locale::all().iter())
                .collect()
        };
        for l in candidates {
            let (names, codes) = names(l, self.place);
            if names.iter().any(|n| fold(n) == f) {
                return Some((l, false));
            }
            if codes
                .iter()
                .flatten()
                .any(|c| c.eq_ignore_ascii_case(s.trim()))
            {
                return Some((l, true));
            }
        }
        None
    }
}

impl Strategy for Shuffle {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "city_shuffle")?;
        let (l, as_code) = self.recognise(s).unwrap_or((self.default, false));
        let (names, codes) = names(l, self.place);
        let list: Vec<&str> = if as_code {
            codes.iter().flatten().copied().collect()
        } else {
            names
        };
        let mut g = Gen::new(&self.prf, "place_shuffle", value);
        let start = g.below(list.len() as u64) as usize;
        // Never the input itself (when the list has anything else).
        let pick = (0..list.len())
            .map(|k| list[(start + k) % list.len()])
            .find(|c| fold(c) != fold(s))
            .unwrap_or(list[start]);
        Ok(Value::Text(match_case(s, pick)))
    }
}

fn build_shuffle(
    opts: &Options,
    ctx: &BuildCtx<'_>,
    place: Place,
) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Shuffle {
        prf: ctx.prf.clone(),
        place,
        default: country_locale(opts)?,
        fixed: opts.get("country").is_some(),
    }))
}

const SHUFFLE_COUNTRY: OptionSpec = OptionSpec::optional(
    "country",
    OptionType::String,
    None,
    "Always draw from this country (US, GB, DE, FR, ES, IT, NL, PL, BR). By default the \
     input's country when the value is a known place, else the locale's.",
);

pub const CITY_SHUFFLE: StrategyInfo = StrategyInfo {
    name: "city_shuffle",
    aliases: &[],
    family: "places",
    description: "Replaces a city with another city of the same country (recognised from the \
                  input, else the locale's), chosen by the key and never the input itself, \
                  keeping ALL CAPS or lowercase style.",
    options: &[SHUFFLE_COUNTRY],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("München", "Bielefeld"),
    build: |opts, ctx| build_shuffle(opts, ctx, Place::City),
};

pub const REGION_SHUFFLE: StrategyInfo = StrategyInfo {
    name: "region_shuffle",
    aliases: &[],
    family: "places",
    description: "Replaces a region (state, Land, région, comunidad, provincia, voivodeship) \
                  with another region of the same country; a region code (CA, NY, MI, SP) \
                  becomes another code.",
    options: &[SHUFFLE_COUNTRY],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("Bayern", "Nordrhein-Westfalen"),
    build: |opts, ctx| build_shuffle(opts, ctx, Place::Region),
};

/// ISO 3166-1 alpha-2, alpha-3, then the name in en, de, fr, es, it, nl, pl, pt.
#[rustfmt::skip]
const COUNTRIES: &[[&str; 10]] = &[
    ["US", "USA", "United States", "Vereinigte Staaten", "États-Unis", "Estados Unidos", "Stati Uniti", "Verenigde Staten", "Stany Zjednoczone", "Estados Unidos"],
    ["GB", "GBR", "United Kingdom", "Vereinigtes Königreich", "Royaume-Uni", "Reino Unido", "Regno Unito", "Verenigd Koninkrijk", "Wielka Brytania", "Reino Unido"],
    ["DE", "DEU", "Germany", "Deutschland", "Allemagne", "Alemania", "Germania", "Duitsland", "Niemcy", "Alemanha"],
    ["FR", "FRA", "France", "Frankreich", "France", "Francia", "Francia", "Frankrijk", "Francja", "França"],
    ["ES", "ESP", "Spain", "Spanien", "Espagne", "España", "Spagna", "Spanje", "Hiszpania", "Espanha"],
    ["IT", "ITA", "Italy", "Italien", "Italie", "Italia", "Italia", "Italië", "Włochy", "Itália"],
    ["NL", "NLD", "Netherlands", "Niederlande", "Pays-Bas", "Países Bajos", "Paesi Bassi", "Nederland", "Holandia", "Países Baixos"],
    ["PL", "POL", "Poland", "Polen", "Pologne", "Polonia", "Polonia", "Polen", "Polska", "Polônia"],
    ["BR", "BRA", "Brazil", "Brasilien", "Brésil", "Brasil", "Brasile", "Brazilië", "Brazylia", "Brasil"],
    ["PT", "PRT", "Portugal", "Portugal", "Portugal", "Portugal", "Portogallo", "Portugal", "Portugalia", "Portugal"],
    ["BE", "BEL", "Belgium", "Belgien", "Belgique", "Bélgica", "Belgio", "België", "Belgia", "Bélgica"],
    ["AT", "AUT", "Austria", "Österreich", "Autriche", "Austria", "Austria", "Oostenrijk", "Austria", "Áustria"],
    ["CH", "CHE", "Switzerland", "Schweiz", "Suisse", "Suiza", "Svizzera", "Zwitserland", "Szwajcaria", "Suíça"],
    ["IE", "IRL", "Ireland", "Irland", "Irlande", "Irlanda", "Irlanda", "Ierland", "Irlandia", "Irlanda"],
    ["SE", "SWE", "Sweden", "Schweden", "Suède", "Suecia", "Svezia", "Zweden", "Szwecja", "Suécia"],
    ["NO", "NOR", "Norway", "Norwegen", "Norvège", "Noruega", "Norvegia", "Noorwegen", "Norwegia", "Noruega"],
    ["DK", "DNK", "Denmark", "Dänemark", "Danemark", "Dinamarca", "Danimarca", "Denemarken", "Dania", "Dinamarca"],
    ["FI", "FIN", "Finland", "Finnland", "Finlande", "Finlandia", "Finlandia", "Finland", "Finlandia", "Finlândia"],
    ["GR", "GRC", "Greece", "Griechenland", "Grèce", "Grecia", "Grecia", "Griekenland", "Grecja", "Grécia"],
    ["CZ", "CZE", "Czechia", "Tschechien", "Tchéquie", "Chequia", "Cechia", "Tsjechië", "Czechy", "Tchéquia"],
    ["HU", "HUN", "Hungary", "Ungarn", "Hongrie", "Hungría", "Ungheria", "Hongarije", "Węgry", "Hungria"],
    ["RO", "ROU", "Romania", "Rumänien", "Roumanie", "Rumanía", "Romania", "Roemenië", "Rumunia", "Romênia"],
    ["UA", "UKR", "Ukraine", "Ukraine", "Ukraine", "Ucrania", "Ucraina", "Oekraïne", "Ukraina", "Ucrânia"],
    ["TR", "TUR", "Türkiye", "Türkei", "Turquie", "Turquía", "Turchia", "Turkije", "Turcja", "Turquia"],
    ["CA", "CAN", "Canada", "Kanada", "Canada", "Canadá", "Canada", "Canada", "Kanada", "Canadá"],
    ["MX", "MEX", "Mexico", "Mexiko", "Mexique", "México", "Messico", "Mexico", "Meksyk", "México"],
    ["AR", "ARG", "Argentina", "Argentinien", "Argentine", "Argentina", "Argentina", "Argentinië", "Argentyna", "Argentina"],
    ["CL", "CHL", "Chile", "Chile", "Chili", "Chile", "Cile", "Chili", "Chile", "Chile"],
    ["CO", "COL", "Colombia", "Kolumbien", "Colombie", "Colombia", "Colombia", "Colombia", "Kolumbia", "Colômbia"],
    ["JP", "JPN", "Japan", "Japan", "Japon", "Japón", "Giappone", "Japan", "Japonia", "Japão"],
    ["CN", "CHN", "China", "China", "Chine", "China", "Cina", "China", "Chiny", "China"],
    ["KR", "KOR", "South Korea", "Südkorea", "Corée du Sud", "Corea del Sur", "Corea del Sud", "Zuid-Korea", "Korea Południowa", "Coreia do Sul"],
    ["IN", "IND", "India", "Indien", "Inde", "India", "India", "India", "Indie", "Índia"],
    ["SG", "SGP", "Singapore", "Singapur", "Singapour", "Singapur", "Singapore", "Singapore", "Singapur", "Singapura"],
    ["AU", "AUS", "Australia", "Australien", "Australie", "Australia", "Australia", "Australië", "Australia", "Austrália"],
    ["NZ", "NZL", "New Zealand", "Neuseeland", "Nouvelle-Zélande", "Nueva Zelanda", "Nuova Zelanda", "Nieuw-Zeeland", "Nowa Zelandia", "Nova Zelândia"],
    ["ZA", "ZAF", "South Africa", "Südafrika", "Afrique du Sud", "Sudáfrica", "Sudafrica", "Zuid-Afrika", "Republika Południowej Afryki", "África do Sul"],
    ["NG", "NGA", "Nigeria", "Nigeria", "Nigeria", "Nigeria", "Nigeria", "Nigeria", "Nigeria", "Nigéria"],
    ["EG", "EGY", "Egypt", "Ägypten", "Égypte", "Egipto", "Egitto", "Egypte", "Egipt", "Egito"],
    ["MA", "MAR", "Morocco", "Marokko", "Maroc", "Marruecos", "Marocco", "Marokko", "Maroko", "Marrocos"],
];

/// ISO 639-1 code, then the name in en, de, fr, es, it, nl, pl, pt.
#[rustfmt::skip]
const LANGUAGES: &[[&str; 9]] = &[
    ["en", "English", "Englisch", "anglais", "inglés", "inglese", "Engels", "angielski", "inglês"],
    ["de", "German", "Deutsch", "allemand", "alemán", "tedesco", "Duits", "niemiecki", "alemão"],
    ["fr", "French", "Französisch", "français", "francés", "francese", "Frans", "francuski", "francês"],
    ["es", "Spanish", "Spanisch", "espagnol", "español", "spagnolo", "Spaans", "hiszpański", "espanhol"],
    ["it", "Italian", "Italienisch", "italien", "italiano", "italiano", "Italiaans", "włoski", "italiano"],
    ["nl", "Dutch", "Niederländisch", "néerlandais", "neerlandés", "olandese", "Nederlands", "niderlandzki", "neerlandês"],
    ["pl", "Polish", "Polnisch", "polonais", "polaco", "polacco", "Pools", "polski", "polonês"],
    ["pt", "Portuguese", "Portugiesisch", "portugais", "portugués", "portoghese", "Portugees", "portugalski", "português"],
    ["sv", "Swedish", "Schwedisch", "suédois", "sueco", "svedese", "Zweeds", "szwedzki", "sueco"],
    ["da", "Danish", "Dänisch", "danois", "danés", "danese", "Deens", "duński", "dinamarquês"],
    ["no", "Norwegian", "Norwegisch", "norvégien", "noruego", "norvegese", "Noors", "norweski", "norueguês"],
    ["fi", "Finnish", "Finnisch", "finnois", "finés", "finlandese", "Fins", "fiński", "finlandês"],
    ["el", "Greek", "Griechisch", "grec", "griego", "greco", "Grieks", "grecki", "grego"],
    ["cs", "Czech", "Tschechisch", "tchèque", "checo", "ceco", "Tsjechisch", "czeski", "tcheco"],
    ["hu", "Hungarian", "Ungarisch", "hongrois", "húngaro", "ungherese", "Hongaars", "węgierski", "húngaro"],
    ["ro", "Romanian", "Rumänisch", "roumain", "rumano", "rumeno", "Roemeens", "rumuński", "romeno"],
    ["ru", "Russian", "Russisch", "russe", "ruso", "russo", "Russisch", "rosyjski", "russo"],
    ["uk", "Ukrainian", "Ukrainisch", "ukrainien", "ucraniano", "ucraino", "Oekraïens", "ukraiński", "ucraniano"],
    ["tr", "Turkish", "Türkisch", "turc", "turco", "turco", "Turks", "turecki", "turco"],
    ["ar", "Arabic", "Arabisch", "arabe", "árabe", "arabo", "Arabisch", "arabski", "árabe"],
    ["hi", "Hindi", "Hindi", "hindi", "hindi", "hindi", "Hindi", "hindi", "híndi"],
    ["zh", "Chinese", "Chinesisch", "chinois", "chino", "cinese", "Chinees", "chiński", "chinês"],
    ["ja", "Japanese", "Japanisch", "japonais", "japonés", "giapponese", "Japans", "japoński", "japonês"],
    ["ko", "Korean", "Koreanisch", "coréen", "coreano", "coreano", "Koreaans", "koreański", "coreano"],
];

/// Column of the localised name for a locale (0 = English).
fn language_column(l: &Locale) -> usize {
    match &l.code[..2] {
        "de" => 1,
        "fr" => 2,
        "es" => 3,
        "it" => 4,
        "nl" => 5,
        "pl" => 6,
        "pt" => 7,
        _ => 0,
    }
}

/// A keyed pick from `rows` that is not the row matching `input` (when another exists).
fn pick_other<'a, const N: usize>(
    g: &mut Gen,
    rows: &'a [[&'a str; N]],
    input: &str,
) -> &'a [&'a str; N] {
    let start = g.below(rows.len() as u64) as usize;
    let f = fold(input);
    (0..rows.len())
        .map(|k| &rows[(start + k) % rows.len()])
        .find(|r| !r.iter().any(|cell| fold(cell) == f))
        .unwrap_or(&rows[start])
}

struct Lookup {
    prf: Prf,
    format: String,
    column: usize,
    kind: &'static str,
}

impl Strategy for Lookup {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, self.kind)?;
        let mut g = Gen::new(&self.prf, self.kind, value);
        let t = s.trim();
        let upper_code = |n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_uppercase());
        let lower_code = |n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_lowercase());
        let out = if self.kind == "country" {
            let row = pick_other(&mut g, COUNTRIES, t);
            match self.format.as_str() {
                "code" | "iso2" => row[0],
                "iso3" => row[1],
                "name" => row[2 + self.column],
                _ if upper_code(2) => row[0],
                _ if upper_code(3) => row[1],
                _ => row[2 + self.column],
            }
        } else {
            let row = pick_other(&mut g, LANGUAGES, t);
            match self.format.as_str() {
                "code" => row[0],
                "name" => row[1 + self.column],
                _ if lower_code(2) || upper_code(2) => row[0],
                _ => row[1 + self.column],
            }
        };
        Ok(Value::Text(if upper_code(2) && self.kind == "language" {
            out.to_uppercase().into()
        } else {
            out.into()
        }))
    }
}

pub const COUNTRY: StrategyInfo = StrategyInfo {
    name: "country",
    aliases: &[],
    family: "places",
    description: "Replaces a country with another one (40 countries), as an ISO 3166 code or \
                  a name in the locale's language. `auto` answers in the input's form: a \
                  2-letter code gets a 2-letter code, a name a name.",
    options: &[OptionSpec::optional(
        "format",
        OptionType::String,
        Some("auto"),
        "code or iso2 = ISO 3166-1 alpha-2, iso3 = alpha-3, name = the name in the locale's \
         language, auto = like the input.",
    )
    .one_of(&["auto", "code", "name", "iso2", "iso3"])],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("Germany", "Poland"),
    build: |opts, ctx| {
        Ok(Box::new(Lookup {
            prf: ctx.prf.clone(),
            format: opts.str_or("format", "auto").to_string(),
            column: language_column(locale::from_options(opts)?),
            kind: "country",
        }))
    },
};

pub const LANGUAGE: StrategyInfo = StrategyInfo {
    name: "language",
    aliases: &[],
    family: "places",
    description: "Replaces a language with another one (24 languages), as an ISO 639-1 code \
                  or a name in the locale's language; `auto` answers in the input's form.",
    options: &[OptionSpec::optional(
        "format",
        OptionType::String,
        Some("auto"),
        "code = ISO 639-1, name = the name in the locale's language, auto = like the input.",
    )
    .one_of(&["auto", "code", "name"])],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("fr", "fi"),
    build: |opts, ctx| {
        Ok(Box::new(Lookup {
            prf: ctx.prf.clone(),
            format: opts.str_or("format", "auto").to_string(),
            column: language_column(locale::from_options(opts)?),
            kind: "language",
        }))
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{opts, run, Check, Opts};

    /// The parsed layout gives what one `replace` per part gave, on every locale's layouts.
    #[test]
    fn layouts_render_as_replace_would() {
        let values = [
            "12",
            "Main Street",
            "City {of} [Light]",
            "IL",
            "Illinois",
            "62701",
        ];
        for l in crate::locale::all() {
            for layout in [l.address, l.street_line, "{x} {city}{{number}} [{postcode}"] {
                for optional in [false, true] {
                    // The layout with `[...]` settled and its placeholders written back, then
                    // one `replace` per part.
                    let layout = super::Layout::new(layout, optional);
                    let names = super::PARTS.map(|k| format!("{{{k}}}"));
                    let mut kept = layout.render(&std::array::from_fn(|i| names[i].as_str()));
                    for (k, v) in super::PARTS.iter().zip(values) {
                        kept = kept.replace(&format!("{{{k}}}"), v);
                    }
                    assert_eq!(layout.render(&values), kept, "{layout:?}");
                }
            }
        }
    }

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn addresses_are_consistent_per_locale() {
        for l in locale::all() {
            for i in 0..200 {
                let o = opts(&[("locale", l.code)]);
                let a = text(run("address", &o, &Value::text(i.to_string())).unwrap());
                // The city is the place name that appears last (streets may hold one too).
                let city = l
                    .cities
                    .iter()
                    .filter_map(|c| a.rfind(c.name).map(|at| (at + c.name.len(), c)))
                    .max_by_key(|(end, c)| (*end, c.name.len()))
                    .map(|(_, c)| c)
                    .unwrap_or_else(|| panic!("{}: no city in {a}", l.code));
                assert!(l.streets.iter().any(|s| a.contains(s)), "{a}");
                // The postcode has the city's pattern.
                let shape = |s: &str| -> String {
                    s.chars()
                        .map(|c| {
                            if c.is_ascii_digit() {
                                '#'
                            } else if c.is_ascii_uppercase() {
                                '?'
                            } else {
                                c
                            }
                        })
                        .collect()
                };
                let pc_shape = shape(&city.postcode.replace('%', "#"));
                let pc_words = pc_shape.split(' ').count();
                let words: Vec<&str> = a
                    .split([',', ' ', '(', ')'])
                    .filter(|w| !w.is_empty())
                    .collect();
                let postcode = words
                    .windows(pc_words)
                    .map(|w| w.join(" "))
                    .find(|w| shape(w) == pc_shape)
                    .unwrap_or_else(|| panic!("{}: {a} has no {}", l.code, city.postcode));
                let fixed: String = city
                    .postcode
                    .chars()
                    .take_while(|c| !"#?%".contains(*c))
                    .collect();
                assert!(postcode.starts_with(&fixed), "{a}");
                let no_pc = text(
                    run(
                        "address",
                        &opts(&[("locale", l.code), ("include_postal_code", "false")]),
                        &Value::text(i.to_string()),
                    )
                    .unwrap(),
                );
                assert!(!no_pc.contains(&postcode), "{no_pc}");
                assert!(a.len() > no_pc.len(), "{no_pc}");
                assert!(!no_pc.contains("[") && !no_pc.contains("{"), "{no_pc}");
            }
        }
    }

    #[test]
    fn address_parts() {
        let cases: &[(Opts, Check)] = &[
            (&[("format", "short"), ("locale", "de_DE")], |s| {
                !s.contains(',')
            }),
            (&[("format", "city"), ("country", "FR")], |s| {
                locale::get("fr_FR")
                    .unwrap()
                    .cities
                    .iter()
                    .any(|c| c.name == s)
            }),
            (&[("format", "postcode"), ("country", "NL")], |s| {
                s.len() == 7 && s.as_bytes()[4] == b' '
            }),
            (&[("format", "region"), ("country", "PL")], |s| {
                locale::get("pl_PL")
                    .unwrap()
                    .cities
                    .iter()
                    .any(|c| c.region == s)
            }),
        ];
        for (o, check) in cases {
            for i in 0..50 {
                let out = text(run("address", &opts(o), &Value::text(i.to_string())).unwrap());
                assert!(check(&out), "{out}");
            }
        }
        let p = crate::validate_options(
            crate::lookup("address").unwrap(),
            &opts(&[("country", "JP")]),
        );
        assert_eq!(p[0].option, "country");
    }

    #[test]
    fn shuffles_stay_in_the_country() {
        let cases = [
            ("city_shuffle", "München", "de_DE", Place::City),
            ("city_shuffle", "LYON", "fr_FR", Place::City),
            ("city_shuffle", "kraków", "pl_PL", Place::City),
            ("city_shuffle", "Nowhere", "en_US", Place::City),
            ("region_shuffle", "Bayern", "de_DE", Place::Region),
            ("region_shuffle", "Andalucía", "es_ES", Place::Region),
        ];
        for (name, input, code, place) in cases {
            let l = locale::get(code).unwrap();
            let (list, _) = names(l, place);
            let out = text(run(name, &opts(&[]), &Value::text(input)).unwrap());
            assert!(
                list.iter().any(|c| fold(c) == fold(&out)),
                "{input} -> {out}"
            );
            assert_ne!(fold(&out), fold(input));
            if input.chars().all(|c| !c.is_lowercase()) {
                assert_eq!(out, out.to_uppercase());
            }
        }
        let code = text(run("region_shuffle", &opts(&[]), &Value::text("CA")).unwrap());
        assert!(code.len() == 2 && code != "CA", "{code}");
        let fixed = text(
            run(
                "city_shuffle",
                &opts(&[("country", "IT")]),
                &Value::text("Berlin"),
            )
            .unwrap(),
        );
        assert!(names(locale::get("it_IT").unwrap(), Place::City)
            .0
            .contains(&fixed.as_str()));
    }

    #[test]
    fn countries_and_languages() {
        let cases: &[(&str, Opts, &str, Check)] = &[
            ("country", &[], "DE", |s| s.len() == 2 && s != "DE"),
            ("country", &[], "DEU", |s| s.len() == 3 && s != "DEU"),
            ("country", &[], "Germany", |s| {
                COUNTRIES.iter().any(|r| r[2] == s) && s != "Germany"
            }),
            ("country", &[("locale", "de_DE")], "Frankreich", |s| {
                COUNTRIES.iter().any(|r| r[3] == s)
            }),
            ("country", &[("format", "iso3")], "x", |s| {
                COUNTRIES.iter().any(|r| r[1] == s)
            }),
            ("language", &[], "fr", |s| s.len() == 2 && s != "fr"),
            ("language", &[], "French", |s| {
                LANGUAGES.iter().any(|r| r[1] == s) && s != "French"
            }),
            (
                "language",
                &[("locale", "pl"), ("format", "name")],
                "x",
                |s| LANGUAGES.iter().any(|r| r[7] == s),
            ),
        ];
        for (name, o, input, check) in cases {
            for suffix in ["", " "] {
                // A trailing space changes the keyed draw but not the recognised form.
                let out =
                    text(run(name, &opts(o), &Value::text(format!("{input}{suffix}"))).unwrap());
                assert!(check(&out), "{name} {input} -> {out}");
            }
        }
    }
}
