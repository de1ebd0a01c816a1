//! Reading simple CHECK constraints into [`Check`]s, for every SQL connector.
//!
//! A CHECK constraint is SQL, and each engine prints it its own way: SQLite keeps the text the
//! table was created with (`CHECK (price > 0)`), PostgreSQL's `pg_get_constraintdef` adds
//! casts and parentheses (`CHECK ((price > (0)::numeric))`, `status = ANY (ARRAY['a'::text,
//! 'b'::text])`, `email ~~ '%@%'::text`), MariaDB quotes names (`` `price` > 0 ``). This module
//! understands the common subset all of them print: conjunctions (`AND`) of comparisons with
//! a constant, `[NOT] IN` lists, `= ANY (ARRAY[...])`, `BETWEEN`, `[NOT] LIKE` / `ILIKE` /
//! `GLOB` / `~` / `REGEXP` patterns, `OR`s of equalities on one column, and
//! `length(col) <op> n`, each about a single column. Everything else (two columns, functions,
//! subqueries) is left to the database: [`parse`] skips what it does not understand, it never
//! guesses.

use datamask_core::{Check, CmpOp, Literal};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Op(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
}

fn tokenize(sql: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            '[' if chars.get(i + 1) == Some(&']')
                || matches!(out.last(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("array")) =>
            {
                out.push(Tok::LBracket);
                i += 1;
            }
            '[' => {
                // SQLite's [quoted identifier].
                let end = chars[i + 1..].iter().position(|&x| x == ']')? + i + 1;
                out.push(Tok::Ident(chars[i + 1..end].iter().collect()));
                i = end + 1;
            }
            ']' => {
                out.push(Tok::RBracket);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '\'' => {
                let (s, next) = quoted(&chars, i, '\'')?;
                out.push(Tok::Str(s));
                i = next;
            }
            '"' | '`' => {
                let (s, next) = quoted(&chars, i, c)?;
                out.push(Tok::Ident(s));
                i = next;
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                out.push(Tok::Num(chars[start..i].iter().collect()));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            '.' => {
                out.push(Tok::Op(".".into()));
                i += 1;
            }
            _ => {
                const OPS: [&str; 16] = [
                    "!~~*", "!~~", "~~*", "!~*", "::", "<=", ">=", "<>", "!=", "~~", "~*", "!~",
                    "==", "=", "<", ">",
                ];
                let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
                let op = OPS
                    .iter()
                    .find(|o| rest.starts_with(**o))
                    .copied()
                    .or_else(|| ["~", "-", "+"].into_iter().find(|o| rest.starts_with(o)))?;
                out.push(Tok::Op(op.to_string()));
                i += op.chars().count();
            }
        }
    }
    Some(out)
}

/// A quoted run starting at `chars[i] == q`, with doubled quotes as escapes.
fn quoted(chars: &[char], mut i: usize, q: char) -> Option<(String, usize)> {
    let mut s = String::new();
    i += 1;
    loop {
        let c = *chars.get(i)?;
        if c == q {
            if chars.get(i + 1) == Some(&q) {
                s.push(q);
                i += 2;
                continue;
            }
            return Some((s, i + 1));
        }
        s.push(c);
        i += 1;
    }
}

/// One side of a condition.
#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Column(String),
    Lit(Literal),
    /// `length(col)` and its spellings.
    Length(String),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// The second half of a BETWEEN, handed out after the first.
    pending: Option<(String, Check)>,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let hit = self.keyword(word);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let hit = self.peek() == Some(tok);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, tok: &Tok) -> Option<()> {
        self.eat(tok).then_some(())
    }

    /// Skips a PostgreSQL cast (`::text`, `::character varying(20)`, `::text[]`).
    fn skip_casts(&mut self) {
        while self.eat(&Tok::Op("::".into())) {
            self.next();
            while let Some(Tok::Ident(w)) = self.peek() {
                let w = w.to_ascii_lowercase();
                if ["varying", "without", "with", "time", "zone", "precision"].contains(&w.as_str())
                {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if self.peek() == Some(&Tok::LParen) {
                let mut depth = 0;
                while let Some(t) = self.next() {
                    match t {
                        Tok::LParen => depth += 1,
                        Tok::RParen => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
            }
            if self.peek() == Some(&Tok::LBracket) {
                self.pos += 1;
                self.eat(&Tok::RBracket);
            }
        }
    }

    fn operand(&mut self) -> Option<Operand> {
        let op = match self.next()? {
            Tok::LParen => {
                let inner = self.operand()?;
                self.expect(&Tok::RParen)?;
                inner
            }
            Tok::Op(o) if o == "-" || o == "+" => match self.operand()? {
                Operand::Lit(Literal::Number(n)) if o == "-" => {
                    Operand::Lit(Literal::Number(format!("-{n}")))
                }
                other => other,
            },
            Tok::Num(n) => Operand::Lit(Literal::Number(n)),
            Tok::Str(s) => Operand::Lit(Literal::Text(s)),
            Tok::Ident(w)
                if ["length", "char_length", "character_length"]
                    .iter()
                    .any(|f| w.eq_ignore_ascii_case(f))
                    && self.peek() == Some(&Tok::LParen) =>
            {
                self.pos += 1;
                let Operand::Column(c) = self.operand()? else {
                    return None;
                };
                self.expect(&Tok::RParen)?;
                Operand::Length(c)
            }
            Tok::Ident(_) if self.peek() == Some(&Tok::LParen) => {
                return None; // another function: not understood
            }
            Tok::Ident(w) => {
                // A typed literal: DATE '2020-01-01', TIMESTAMP '...'.
                if ["date", "timestamp", "time"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k))
                {
                    if let Some(Tok::Str(s)) = self.peek().cloned() {
                        self.pos += 1;
                        self.skip_casts();
                        return Some(Operand::Lit(Literal::Text(s)));
                    }
                }
                // `table.column` -> column.
                let mut name = w;
                while self.peek() == Some(&Tok::Op(".".into())) {
                    self.pos += 1;
                    if let Some(Tok::Ident(n)) = self.next() {
                        name = n;
                    }
                }
                Operand::Column(name)
            }
            _ => return None,
        };
        self.skip_casts();
        Some(op)
    }

    fn literal(&mut self) -> Option<Literal> {
        match self.operand()? {
            Operand::Lit(l) => Some(l),
            _ => None,
        }
    }

    fn list(&mut self, close: &Tok) -> Option<Vec<Literal>> {
        let mut out = Vec::new();
        loop {
            out.push(self.literal()?);
            if self.eat(close) {
                return Some(out);
            }
            self.expect(&Tok::Comma)?;
        }
    }

    /// One condition (no AND/OR at its top level).
    fn condition(&mut self) -> Option<(String, Check)> {
        let left = self.operand()?;
        let negated = self.eat_keyword("not");
        if self.eat_keyword("in") {
            let Operand::Column(c) = left else {
                return None;
            };
            self.expect(&Tok::LParen)?;
            let values = self.list(&Tok::RParen)?;
            return Some((c, Check::In { values, negated }));
        }
        if self.eat_keyword("between") {
            let Operand::Column(c) = left else {
                return None;
            };
            let lo = self.literal()?;
            if !self.eat_keyword("and") {
                return None;
            }
            let hi = self.literal()?;
            if negated {
                return None;
            }
            // Two checks; the second is returned through `pending`.
            self.pending = Some((
                c.clone(),
                Check::Compare {
                    op: CmpOp::Le,
                    value: hi,
                },
            ));
            return Some((
                c,
                Check::Compare {
                    op: CmpOp::Ge,
                    value: lo,
                },
            ));
        }
        for (kw, ci) in [("like", false), ("ilike", true)] {
            if self.eat_keyword(kw) {
                return self.pattern(left, negated, |pattern, negated| Check::Like {
                    pattern,
                    negated,
                    case_insensitive: ci,
                });
            }
        }
        if self.eat_keyword("glob") {
            return self.pattern(left, negated, |pattern, negated| Check::Glob {
                pattern,
                negated,
            });
        }
        if self.eat_keyword("regexp") || self.eat_keyword("rlike") {
            return self.pattern(left, negated, |pattern, negated| Check::Regex {
                pattern,
                negated,
                case_insensitive: false,
            });
        }
        if negated {
            return None;
        }
        let Some(Tok::Op(op)) = self.next() else {
            return None;
        };
        let pattern_op = match op.as_str() {
            "~~" => Some((false, false, true)),
            "!~~" => Some((true, false, true)),
            "~~*" => Some((false, true, true)),
            "!~~*" => Some((true, true, true)),
            "~" => Some((false, false, false)),
            "!~" => Some((true, false, false)),
            "~*" => Some((false, true, false)),
            "!~*" => Some((true, true, false)),
            _ => None,
        };
        if let Some((neg, ci, like)) = pattern_op {
            return self.pattern(left, neg, |pattern, negated| {
                if like {
                    Check::Like {
                        pattern,
                        negated,
                        case_insensitive: ci,
                    }
                } else {
                    Check::Regex {
                        pattern,
                        negated,
                        case_insensitive: ci,
                    }
                }
            });
        }
        let cmp = match op.as_str() {
            "=" | "==" => CmpOp::Eq,
            "<>" | "!=" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            ">=" => CmpOp::Ge,
            _ => return None,
        };
        // PostgreSQL: col = ANY (ARRAY[...]).
        if cmp == CmpOp::Eq && self.eat_keyword("any") {
            let Operand::Column(c) = left else {
                return None;
            };
            let values = self.array()?;
            return Some((
                c,
                Check::In {
                    values,
                    negated: false,
                },
            ));
        }
        let right = self.operand()?;
        match (left, right) {
            (Operand::Column(c), Operand::Lit(value)) => {
                Some((c, Check::Compare { op: cmp, value }))
            }
            (Operand::Lit(value), Operand::Column(c)) => Some((
                c,
                Check::Compare {
                    op: cmp.flipped(),
                    value,
                },
            )),
            (Operand::Length(c), Operand::Lit(Literal::Number(n))) => Some((
                c,
                Check::Length {
                    op: cmp,
                    value: n.parse().ok()?,
                },
            )),
            (Operand::Lit(Literal::Number(n)), Operand::Length(c)) => Some((
                c,
                Check::Length {
                    op: cmp.flipped(),
                    value: n.parse().ok()?,
                },
            )),
            _ => None,
        }
    }

    /// `(ARRAY[...])`, `((ARRAY[...])::text[])` and other parenthesised, cast arrays.
    fn array(&mut self) -> Option<Vec<Literal>> {
        let values = if self.eat(&Tok::LParen) {
            let v = self.array()?;
            self.skip_casts();
            self.expect(&Tok::RParen)?;
            v
        } else if self.eat_keyword("array") {
            self.expect(&Tok::LBracket)?;
            self.list(&Tok::RBracket)?
        } else {
            return None;
        };
        self.skip_casts();
        Some(values)
    }

    fn pattern(
        &mut self,
        left: Operand,
        negated: bool,
        make: impl Fn(String, bool) -> Check,
    ) -> Option<(String, Check)> {
        let Operand::Column(c) = left else {
            return None;
        };
        let Literal::Text(p) = self.literal()? else {
            return None;
        };
        Some((c, make(p, negated)))
    }
}

/// Splits a token list at top-level occurrences of `word` (AND / OR), outside parentheses and
/// not the AND of a BETWEEN.
fn split_top(toks: &[Tok], word: &str) -> Vec<Vec<Tok>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0i32;
    let mut between = false;
    for t in toks {
        match t {
            Tok::LParen | Tok::LBracket => depth += 1,
            Tok::RParen | Tok::RBracket => depth -= 1,
            Tok::Ident(w) if depth == 0 && w.eq_ignore_ascii_case("between") => between = true,
            Tok::Ident(w) if depth == 0 && w.eq_ignore_ascii_case(word) => {
                if word.eq_ignore_ascii_case("and") && between {
                    between = false;
                } else {
                    parts.push(Vec::new());
                    continue;
                }
            }
            _ => {}
        }
        parts.last_mut().expect("non-empty").push(t.clone());
    }
    parts
}

/// Removes parentheses that wrap a whole token list.
fn unwrap_parens(mut toks: &[Tok]) -> &[Tok] {
    while toks.first() == Some(&Tok::LParen) && toks.last() == Some(&Tok::RParen) {
        let mut depth = 0;
        let wraps = toks.iter().enumerate().all(|(i, t)| {
            match t {
                Tok::LParen => depth += 1,
                Tok::RParen => depth -= 1,
                _ => {}
            }
            depth > 0 || i == toks.len() - 1
        });
        if !wraps {
            break;
        }
        toks = &toks[1..toks.len() - 1];
    }
    toks
}

fn conjunct(toks: &[Tok], out: &mut Vec<(String, Check)>) {
    let toks = unwrap_parens(toks);
    let ands = split_top(toks, "and");
    if ands.len() > 1 {
        for part in ands {
            conjunct(&part, out);
        }
        return;
    }
    let ors = split_top(toks, "or");
    if ors.len() > 1 {
        // `a = 'x' OR a = 'y'` is `a IN ('x', 'y')`; anything else is not understood.
        let mut column: Option<String> = None;
        let mut values = Vec::new();
        for part in ors {
            let mut found = Vec::new();
            conjunct(&part, &mut found);
            match found.as_slice() {
                [(
                    c,
                    Check::Compare {
                        op: CmpOp::Eq,
                        value,
                    },
                )] if column.as_ref().is_none_or(|k| k.eq_ignore_ascii_case(c)) => {
                    column = Some(c.clone());
                    values.push(value.clone());
                }
                [(
                    c,
                    Check::In {
                        values: v,
                        negated: false,
                    },
                )] if column.as_ref().is_none_or(|k| k.eq_ignore_ascii_case(c)) => {
                    column = Some(c.clone());
                    values.extend(v.iter().cloned());
                }
                _ => return,
            }
        }
        if let Some(c) = column {
            out.push((
                c,
                Check::In {
                    values,
                    negated: false,
                },
            ));
        }
        return;
    }
    let mut p = Parser {
        toks: toks.to_vec(),
        pos: 0,
        pending: None,
    };
    if let Some(first) = p.condition() {
        if p.pos == p.toks.len() {
            out.push(first);
            if let Some(second) = p.pending.take() {
                out.push(second);
            }
        }
    }
}

/// The single-column checks in a CHECK expression (with or without the `CHECK` keyword and
/// its parentheses), as `(column name as written, check)`. Parts that are not understood are
/// left out; the result is empty when nothing is.
pub fn parse(expr: &str) -> Vec<(String, Check)> {
    let Some(mut toks) = tokenize(expr) else {
        return Vec::new();
    };
    if matches!(toks.first(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("check")) {
        toks.remove(0);
    }
    // A trailing NOT VALID / NO INHERIT (PostgreSQL) qualifies the constraint, not the data.
    while matches!(toks.last(), Some(Tok::Ident(w)) if ["valid", "inherit"].contains(&w.to_ascii_lowercase().as_str()))
    {
        toks.pop();
        toks.pop();
    }
    let mut out = Vec::new();
    conjunct(&toks, &mut out);
    out
}

/// Every `CHECK (...)` expression in a `CREATE TABLE` statement (SQLite keeps the original
/// text), column-level and table-level alike.
pub fn check_clauses(create_table: &str) -> Vec<String> {
    let chars: Vec<char> = create_table.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\'' | '"' | '`' => {
                i = quoted(&chars, i, chars[i]).map_or(chars.len(), |(_, n)| n);
                continue;
            }
            c if (c == 'c' || c == 'C')
                && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')) =>
            {
                let word: String = chars[i..chars.len().min(i + 5)].iter().collect();
                let after = chars.get(i + 5).copied().unwrap_or(' ');
                if word.eq_ignore_ascii_case("check") && !(after.is_alphanumeric() || after == '_')
                {
                    let mut j = i + 5;
                    while j < chars.len() && chars[j].is_whitespace() {
                        j += 1;
                    }
                    if chars.get(j) == Some(&'(') {
                        if let Some(end) = matching_paren(&chars, j) {
                            out.push(chars[j..=end].iter().collect());
                            i = end + 1;
                            continue;
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn matching_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '\'' | '"' | '`' => {
                i = quoted(chars, i, chars[i])?.1;
                continue;
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The values of a MySQL `enum('a','b')` column type.
pub fn enum_values(column_type: &str) -> Vec<String> {
    let t = column_type.trim();
    let Some(inner) = t
        .strip_prefix("enum(")
        .or_else(|| t.strip_prefix("ENUM("))
        .and_then(|s| s.strip_suffix(')'))
    else {
        return Vec::new();
    };
    let Some(toks) = tokenize(inner) else {
        return Vec::new();
    };
    toks.into_iter()
        .filter_map(|t| match t {
            Tok::Str(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// Attaches checks to the columns they name (case-insensitively), without duplicates.
pub fn attach(schema: &mut datamask_core::TableSchema, checks: Vec<(String, Check)>) {
    for (name, check) in checks {
        let exact = schema.columns.iter().position(|c| c.name == name);
        let index = exact.or_else(|| {
            schema
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(&name))
        });
        if let Some(col) = index.map(|i| &mut schema.columns[i]) {
            if !col.constraints.checks.contains(&check) {
                col.constraints.checks.push(check);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(expr: &str) -> Vec<String> {
        parse(expr)
            .into_iter()
            .map(|(c, k)| format!("{c} {k}"))
            .collect()
    }

    #[test]
    fn each_engine_spelling() {
        let cases: &[(&str, &[&str])] = &[
            // SQLite: the text as written.
            ("CHECK (price > 0)", &["price > 0"]),
            ("CHECK (status IN ('new', 'paid'))", &["status IN ('new', 'paid')"]),
            ("CHECK (length(code) = 3 AND code GLOB '[A-Z]*')", &["code length = 3", "code GLOB '[A-Z]*'"]),
            ("CHECK (qty BETWEEN 1 AND 99)", &["qty >= 1", "qty <= 99"]),
            ("CHECK (0 <= score)", &["score >= 0"]),
            ("CHECK ([email] LIKE '%@%')", &["email LIKE '%@%'"]),
            // PostgreSQL's pg_get_constraintdef.
            ("CHECK ((price > (0)::numeric))", &["price > 0"]),
            (
                "CHECK (((status)::text = ANY ((ARRAY['new'::character varying, 'paid'::character varying])::text[])))",
                &["status IN ('new', 'paid')"],
            ),
            ("CHECK (((email)::text ~~ '%@%'::text))", &["email LIKE '%@%'"]),
            ("CHECK ((code ~ '^[A-Z]{3}$'::text))", &["code ~ '^[A-Z]{3}$'"]),
            ("CHECK ((born >= '1900-01-01'::date))", &["born >= '1900-01-01'"]),
            ("CHECK ((char_length((name)::text) <= 20)) NOT VALID", &["name length <= 20"]),
            ("CHECK (((kind = 'a'::text) OR (kind = 'b'::text)))", &["kind IN ('a', 'b')"]),
            ("CHECK ((delta >= '-5'::integer))", &["delta >= '-5'"]),
            // MariaDB's CHECK_CLAUSE.
            ("`price` > 0", &["price > 0"]),
            ("`status` in ('new','paid')", &["status IN ('new', 'paid')"]),
            ("`code` regexp '^[A-Z]+$'", &["code ~ '^[A-Z]+$'"]),
            ("`t` >= -10.5", &["t >= -10.5"]),
        ];
        for (sql, want) in cases {
            assert_eq!(show(sql), *want, "{sql}");
        }
    }

    #[test]
    fn what_is_not_understood_is_left_out() {
        for sql in [
            "CHECK (start_at < end_at)",
            "CHECK (json_valid(doc))",
            "CHECK (a > 0 OR b > 0)",
            "CHECK (price > (SELECT 1))",
            "json_valid(`doc`)",
        ] {
            assert!(parse(sql).is_empty(), "{sql}: {:?}", show(sql));
        }
        // Understood parts of a conjunction are kept.
        assert_eq!(show("CHECK (a > 0 AND lower(b) = b)"), ["a > 0"]);
    }

    #[test]
    fn clauses_are_found_in_create_table() {
        let sql = "CREATE TABLE t (a INT CHECK (a > 0), b TEXT DEFAULT 'check (x)', \"check\" INT, CONSTRAINT c CHECK (b IN ('x', 'y')))";
        assert_eq!(check_clauses(sql), ["(a > 0)", "(b IN ('x', 'y'))"]);
        assert_eq!(enum_values("enum('a','it''s','c')"), ["a", "it's", "c"]);
    }
}
