//! Table-driven tests of planning: inheritance through links, conflicts, and the proofs.

use super::*;
use crate::config::Config;
use datamask_core::{Check, DataType, ForeignKey, Literal};
use std::path::Path;

fn config(body: &str) -> Config {
    let text = format!("version: 1\nsource: \"sqlite://a.db\"\n{body}");
    Config::from_text(Path::new("c.yaml"), &text, &|_| None).unwrap()
}

fn text(name: &str, len: u32) -> Column {
    let mut c = Column::new(name, DataType::Text { max_len: Some(len) });
    c.nullable = false;
    c
}

fn int(name: &str) -> Column {
    Column::new(
        name,
        DataType::Int {
            bits: 64,
            unsigned: false,
        },
    )
}

fn fk(cols: &[&str], table: &str, ref_cols: &[&str]) -> ForeignKey {
    ForeignKey {
        columns: cols.iter().map(|c| c.to_string()).collect(),
        ref_table: table.into(),
        ref_columns: ref_cols.iter().map(|c| c.to_string()).collect(),
    }
}

/// people(email PK) <- orders(email FK) <- notes(order_email FK), events(ref) undeclared,
/// staff(id PK, boss FK -> staff.id), course(code, term) <- seat(code, term).
fn schemas() -> Vec<TableSchema> {
    let mut people = TableSchema::new("people", vec![text("email", 80), text("name", 40)]);
    people.primary_key = vec!["email".into()];
    let mut orders = TableSchema::new("orders", vec![int("id"), text("email", 80)]);
    orders.primary_key = vec!["id".into()];
    orders.unique = vec![vec!["email".into()]];
    orders.foreign_keys = vec![fk(&["email"], "people", &["email"])];
    let mut notes = TableSchema::new("notes", vec![text("order_email", 80)]);
    notes.foreign_keys = vec![fk(&["order_email"], "orders", &["email"])];
    let events = TableSchema::new("events", vec![text("ref", 120), text("kind", 10)]);
    let mut staff = TableSchema::new("staff", vec![int("id"), int("boss")]);
    staff.primary_key = vec!["id".into()];
    staff.foreign_keys = vec![fk(&["boss"], "staff", &["id"])];
    let mut course = TableSchema::new("course", vec![text("code", 8), int("term")]);
    course.primary_key = vec!["code".into(), "term".into()];
    let mut seat = TableSchema::new("seat", vec![text("code", 8), int("term")]);
    seat.foreign_keys = vec![fk(&["code", "term"], "course", &["code", "term"])];
    vec![notes, orders, people, events, staff, course, seat]
}

fn col<'p>(plan: &'p Plan, table: &str, column: &str) -> &'p ColumnPlan {
    plan.table(table)
        .unwrap()
        .columns
        .iter()
        .find(|c| c.name == column)
        .unwrap()
}

const RULES: &str = "tables:
  people:
    columns:
      email: email
  staff:
    columns:
      id: fpe
  course:
    columns:
      code: { strategy: fpe, alphabet: alnum }
relations:
  - { from: events.ref, to: people.email }
";

#[test]
fn linked_columns_inherit_the_rule_and_the_domain() {
    let (plan, diags) = Plan::analyse(&config(RULES), &schemas());
    assert!(diags.is_empty(), "{diags:#?}");
    for (t, c, from, via) in [
        (
            "orders",
            "email",
            "people.email",
            "foreign key orders.email -> people.email",
        ),
        (
            "notes",
            "order_email",
            "orders.email",
            "foreign key notes.order_email -> orders.email",
        ),
        (
            "events",
            "ref",
            "people.email",
            "relation events.ref -> people.email",
        ),
    ] {
        let cp = col(&plan, t, c);
        assert_eq!(cp.origin, Origin::Inherited, "{t}.{c}");
        assert_eq!(cp.strategy, "email");
        assert_eq!(cp.domain, "people.email");
        assert_eq!(cp.inherited_from.as_deref(), Some(from));
        assert_eq!(cp.via.as_deref(), Some(via));
    }
    let boss = col(&plan, "staff", "boss");
    assert_eq!(
        (boss.strategy.as_str(), boss.domain.as_str()),
        ("fpe", "staff.id")
    );
    let seat = col(&plan, "seat", "code");
    assert_eq!(seat.domain, "course.code");
    assert_eq!(seat.options, col(&plan, "course", "code").options);
    assert_eq!(col(&plan, "seat", "term").origin, Origin::Policy);
    // The narrowest linked column decides the output width: events.ref is 120 wide but
    // shares people.email's 80.
    assert_eq!(
        col(&plan, "events", "ref").fit_column.data_type,
        DataType::Text { max_len: Some(80) }
    );
    // Load order: referenced tables first, otherwise source order.
    let order: Vec<&str> = plan.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        order,
        ["people", "orders", "notes", "events", "staff", "course", "seat"]
    );
    assert_eq!(plan.table("notes").unwrap().depends_on, ["orders"]);
}

fn problems(body: &str) -> Vec<(Topic, String, Option<String>)> {
    let (_, diags) = Plan::analyse(&config(body), &schemas());
    diags
        .into_iter()
        .map(|d| (d.topic, d.message, d.hint))
        .collect()
}

#[test]
fn a_linked_column_with_a_different_rule_is_refused() {
    let p = problems(
        &format!("{RULES}  - {{ from: people.name, to: events.kind }}\n").replace(
            "      email: email\n",
            "      email: email\n  orders:\n    columns:\n      email: token\n",
        ),
    );
    assert_eq!(p[0].0, Topic::Relations, "{p:#?}");
    assert!(
        p[0].1.starts_with("`orders.email` is linked to `people.email` (foreign key orders.email -> people.email) but has a different rule: `token` instead of `email`"),
        "{}", p[0].1
    );
}

#[test]
fn a_non_injective_strategy_on_a_key_is_refused_with_alternatives() {
    let p = problems(&RULES.replace("email: email", "email: first_name"));
    assert_eq!(p.len(), 1, "{p:#?}");
    let (topic, message, hint) = &p[0];
    assert_eq!(*topic, Topic::Unique);
    assert!(
        message.starts_with("`people.email` is the primary key of `people`"),
        "{message}"
    );
    assert!(
        message.contains("can give two rows the same value"),
        "{message}"
    );
    let hint = hint.as_deref().unwrap();
    assert!(hint.contains("`email`") && hint.contains("`fpe`"), "{hint}");
    // A token too narrow to be injective is refused too.
    let p = problems(
        &RULES
            .replace("id: fpe", "id: fpe\n      boss: fpe")
            .replace("email: email", "email: { strategy: token, length: 6 }"),
    );
    assert_eq!(p[0].0, Topic::Unique, "{p:#?}");
}

#[test]
fn keys_that_do_not_fit_are_refused_and_other_text_is_shortened() {
    let mut s = schemas();
    s[2].columns[0] = text("email", 20);
    let (_, diags) = Plan::analyse(&config(RULES), &s);
    let d = &diags[0];
    assert_eq!(d.topic, Topic::Unique, "{diags:#?}");
    assert!(d.message.contains("makes values of up to"), "{}", d.message);
    assert!(d.hint.as_deref().unwrap().contains("fits 20 characters"));
    // At 30 characters `email` shortens its name part and keeps its unique suffix.
    s[2].columns[0] = text("email", 30);
    let (plan, diags) = Plan::analyse(&config(RULES), &s);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(
        col(&plan, "people", "email").fit.as_deref(),
        Some("at most 30 of 30 characters; injective")
    );
    s[2].columns[0] = text("email", 20);
    // On a column that is not a key, the same strategy is shortened where needed.
    let (plan, diags) = Plan::analyse(
        &config("tables:\n  people:\n    columns:\n      name: email\n"),
        &s,
    );
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(
        col(&plan, "people", "name").fit.as_deref(),
        Some("at most 40 of 40 characters")
    );
    // A token without explicit length sizes itself to the column.
    let (plan, _) = Plan::analyse(
        &config("tables:\n  events:\n    columns:\n      kind: token\n"),
        &s,
    );
    assert_eq!(
        col(&plan, "events", "kind").fit.as_deref(),
        Some("at most 10 of 10 characters")
    );
}

#[test]
fn not_null_and_allowed_values_are_proven() {
    let p = problems("tables:\n  people:\n    columns:\n      name: \"null\"\n");
    assert_eq!(p[0].0, Topic::Fit, "{p:#?}");
    assert!(p[0].1.contains("is NOT NULL"), "{}", p[0].1);
    let mut s = schemas();
    s[3].columns[1].constraints.checks.push(Check::In {
        values: ["click", "view"]
            .iter()
            .map(|v| Literal::Text(v.to_string()))
            .collect(),
        negated: false,
    });
    let (_, diags) = Plan::analyse(
        &config("tables:\n  events:\n    columns:\n      kind: token\n"),
        &s,
    );
    assert_eq!(diags[0].topic, Topic::Fit);
    assert!(diags[0]
        .message
        .contains("only accepts 2 values ('click', 'view')"));
    let (plan, diags) = Plan::analyse(
        &config(
            "tables:\n  events:\n    columns:\n      kind: { strategy: enum, values: [view] }\n",
        ),
        &s,
    );
    assert!(diags.is_empty(), "{diags:#?}");
    assert!(col(&plan, "events", "kind")
        .fit
        .as_deref()
        .unwrap()
        .contains("2 allowed values"));
}

#[test]
fn virtual_keys_and_relation_mistakes() {
    let (plan, diags) = Plan::analyse(
        &config(
            "tables:\n  events:\n    primary_key: [ref]\n    columns:\n      ref: first_name\n",
        ),
        &schemas(),
    );
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(diags[0]
        .message
        .contains("the primary key of `events` (from the config)"));
    assert!(plan.table("events").unwrap().virtual_key);
    let p = problems(
        "relations:\n  - { from: evnts.ref, to: people.email }\n  - { from: events.rf, to: people.email }\ntables:\n  people:\n    primary_key: [name]\n",
    );
    let messages: Vec<&str> = p.iter().map(|(_, m, _)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "table `evnts` not found in the source",
            "column `events.rf` not found in the source",
            "table `people` already has the primary key (email); `primary_key` is for tables without one",
        ],
        "{p:#?}"
    );
    assert_eq!(p[0].2.as_deref(), Some("did you mean `events`?"));
}

#[test]
fn one_group_cannot_have_two_domains() {
    let p = problems(
        "tables:\n  people:\n    columns:\n      email: { strategy: email, domain: a }\n  orders:\n    columns:\n      email: { strategy: email, domain: b }\n",
    );
    assert!(
        p.iter()
            .any(|(t, m, _)| *t == Topic::Relations
                && m.contains("name different domains: `b`, `a`")),
        "{p:#?}"
    );
}

#[test]
fn linked_columns_of_different_types_are_refused() {
    let p = problems(&format!(
        "{RULES}  - {{ from: staff.boss, to: people.email }}\n"
    ));
    assert!(
        p.iter().any(|(t, m, _)| *t == Topic::Relations
            && m.contains(
                "`people.email` (text) is linked to `staff.id` (int), `staff.boss` (int)"
            )),
        "{p:#?}"
    );
}

/// The same schemas as PostgreSQL introspects them: `public.people`, ...
fn qualified_schemas(schema: &str) -> Vec<TableSchema> {
    let mut tables = schemas();
    for t in &mut tables {
        t.name = format!("{schema}.{}", t.name);
        for f in &mut t.foreign_keys {
            f.ref_table = format!("{schema}.{}", f.ref_table);
        }
    }
    tables
}

#[test]
fn bare_table_names_denote_the_public_schema() {
    let (plan, diags) = Plan::analyse(&config(RULES), &qualified_schemas("public"));
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(col(&plan, "public.people", "email").origin, Origin::Rule);
    // The relation's bare names resolved too.
    let r = col(&plan, "public.events", "ref");
    assert_eq!(r.inherited_from.as_deref(), Some("public.people.email"));
    assert_eq!(col(&plan, "public.staff", "id").strategy, "fpe");

    // In two schemas and neither is public: the user has to say which.
    let mut both = qualified_schemas("a");
    both.extend(qualified_schemas("b"));
    let (_, diags) = Plan::analyse(&config(RULES), &both);
    let people = diags
        .iter()
        .find(|d| d.message == "table `people` not found in the source")
        .expect("people is ambiguous");
    assert_eq!(
        people.hint.as_deref(),
        Some("the name is in several schemas; write one of `a.people`, `b.people`")
    );
}

/// `domain: example.com` on `email` (the STRATEGIES.md spelling of the addresses' domain) is
/// a token domain here: a warning at the option says to write `email_domain`. Token domains
/// without a dot, and configs that also give `email_domain`, raise none.
#[test]
fn a_host_name_as_token_domain_is_a_warning() {
    let body = "tables:\n  people:\n    columns:\n      email: { strategy: email, domain: example.com }\n      name: { strategy: url, domain: www.corp.test }\n  events:\n    columns:\n      ref: { strategy: email, domain: people_email }\n      kind: { strategy: deterministic_email, domain: x.org, email_domain: x.org }\n";
    let (plan, diags) = Plan::analyse(&config(body), &schemas());
    assert!(diags.is_empty(), "{diags:#?}");
    let found: Vec<(usize, usize, &str)> = plan
        .warnings
        .iter()
        .filter(|w| w.message.contains("is the token domain"))
        .map(|w| (w.pos.line, w.pos.col, w.hint.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(found.len(), 2, "{:#?}", plan.warnings);
    assert_eq!((found[0].0, found[0].1), (6, 33));
    assert!(
        found[0].2.contains("`email_domain: example.com`"),
        "{}",
        found[0].2
    );
    assert_eq!(found[1].0, 7);
    assert!(
        found[1].2.contains("`url_domain: www.corp.test`"),
        "{}",
        found[1].2
    );
}
