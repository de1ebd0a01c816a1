//! Which columns are linked and must therefore share one transform.
//!
//! A link is a declared foreign key, a virtual one from `relations:`, membership of a
//! `domains:` group, or two rules naming the same `domain:`. Composite keys link column by
//! column. Linked columns form groups (connected components, so multi-hop chains and
//! self-references need nothing special); the planner gives every member of a group the same
//! strategy, options and PRF domain, which is what keeps joins intact after masking.
//!
//! Everything here is deterministic: links are collected in source-table order, then config
//! order, and groups list their members in (table, column) order.

use crate::config::diagnostic::did_you_mean;
use crate::config::{ColumnRef, Config, Diagnostic, Pos, Topic};
use datamask_core::TableSchema;
use std::collections::BTreeMap;

/// A column: (index of its table in the source's table list, index of the column).
pub(crate) type ColId = (usize, usize);

/// Why two columns are linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkKind {
    /// A foreign key declared in the source schema.
    ForeignKey,
    /// A foreign key from the config's `relations:`.
    Relation,
    /// Both columns are listed under this name in `domains:`.
    Domain(String),
    /// Both columns' rules name this `domain:`.
    DomainOption(String),
}

/// One link: `from` references (or shares a domain with) `to`.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub from: ColId,
    pub to: ColId,
    pub kind: LinkKind,
}

impl Link {
    /// How the link reads in plans and messages.
    pub fn describe(&self, tables: &[TableSchema]) -> String {
        let name = |(t, c): ColId| format!("{}.{}", tables[t].name, tables[t].columns[c].name);
        match &self.kind {
            LinkKind::ForeignKey => {
                format!("foreign key {} -> {}", name(self.from), name(self.to))
            }
            LinkKind::Relation => format!("relation {} -> {}", name(self.from), name(self.to)),
            LinkKind::Domain(d) | LinkKind::DomainOption(d) => format!("domain `{d}`"),
        }
    }

    /// True for links that are references (declared or virtual foreign keys).
    pub fn is_reference(&self) -> bool {
        matches!(self.kind, LinkKind::ForeignKey | LinkKind::Relation)
    }

    /// The domain name the link imposes, if any.
    pub fn domain_name(&self) -> Option<&str> {
        match &self.kind {
            LinkKind::Domain(d) | LinkKind::DomainOption(d) => Some(d),
            _ => None,
        }
    }
}

/// A connected group of linked columns.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// Members in (table, column) order.
    pub members: Vec<ColId>,
    /// Indices into [`Links::links`] of the links inside the group, in collection order.
    pub links: Vec<usize>,
}

/// Every link, the groups they form, and table dependencies for the load order.
#[derive(Debug, Default)]
pub(crate) struct Links {
    pub links: Vec<Link>,
    pub groups: Vec<Group>,
    /// For each table, the tables it references (declared or virtual), without itself.
    pub depends_on: Vec<Vec<usize>>,
}

impl Links {
    /// The group a column belongs to, if it is linked at all.
    pub fn group_of(&self, col: ColId) -> Option<&Group> {
        self.groups.iter().find(|g| g.members.contains(&col))
    }
}

/// Resolves `table.column` names from the config against the source.
struct Resolver<'a> {
    tables: &'a [TableSchema],
}

impl Resolver<'_> {
    fn table(&self, name: &str, pos: Pos, diags: &mut Vec<Diagnostic>) -> Option<usize> {
        if let Some(i) = self.tables.iter().position(|t| t.name == name) {
            return Some(i);
        }
        let mut d = Diagnostic::new(pos, format!("table `{name}` not found in the source"))
            .topic(Topic::Relations);
        if let Some(s) = did_you_mean(name, self.tables.iter().map(|t| t.name.as_str())) {
            d = d.hint(format!("did you mean `{s}`?"));
        }
        diags.push(d);
        None
    }

    fn column(&self, t: usize, name: &str, pos: Pos, diags: &mut Vec<Diagnostic>) -> Option<ColId> {
        let table = &self.tables[t];
        if let Some(c) = table.column_index(name) {
            return Some((t, c));
        }
        let mut d = Diagnostic::new(
            pos,
            format!("column `{}.{name}` not found in the source", table.name),
        )
        .topic(Topic::Relations);
        if let Some(s) = did_you_mean(name, table.columns.iter().map(|c| c.name.as_str())) {
            d = d.hint(format!("did you mean `{s}`?"));
        }
        diags.push(d);
        None
    }

    fn column_ref(&self, r: &ColumnRef, pos: Pos, diags: &mut Vec<Diagnostic>) -> Option<ColId> {
        let t = self.table(&r.table, pos, diags)?;
        self.column(t, &r.column, pos, diags)
    }
}

/// Collects every link and groups them. Problems (a relation or domain naming a missing table
/// or column) go to `diags` under [`Topic::Relations`].
pub(crate) fn collect(
    config: &Config,
    tables: &[TableSchema],
    diags: &mut Vec<Diagnostic>,
) -> Links {
    let r = Resolver { tables };
    let mut links = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            // A reference to a table outside the source (another schema or database) links
            // nothing that this run writes.
            let Some(rt) = tables.iter().position(|x| x.name == fk.ref_table) else {
                continue;
            };
            for (c, rc) in fk.columns.iter().zip(&fk.ref_columns) {
                if let (Some(ci), Some(rci)) = (t.column_index(c), tables[rt].column_index(rc)) {
                    links.push(Link {
                        from: (ti, ci),
                        to: (rt, rci),
                        kind: LinkKind::ForeignKey,
                    });
                }
            }
        }
    }
    for rel in &config.relations {
        let (Some(ft), Some(tt)) = (
            r.table(&rel.from_table, rel.pos, diags),
            r.table(&rel.to_table, rel.pos, diags),
        ) else {
            continue;
        };
        for (fc, tc) in rel.from_columns.iter().zip(&rel.to_columns) {
            let from = r.column(ft, fc, rel.pos, diags);
            let to = r.column(tt, tc, rel.pos, diags);
            if let (Some(from), Some(to)) = (from, to) {
                links.push(Link {
                    from,
                    to,
                    kind: LinkKind::Relation,
                });
            }
        }
    }
    for d in &config.domains {
        let members: Vec<ColId> = d
            .columns
            .iter()
            .filter_map(|(c, pos)| r.column_ref(c, *pos, diags))
            .collect();
        for m in members.iter().skip(1) {
            links.push(Link {
                from: *m,
                to: members[0],
                kind: LinkKind::Domain(d.name.clone()),
            });
        }
    }
    links.extend(domain_option_links(config, tables));
    let groups = group(&links);
    let mut depends_on = vec![Vec::new(); tables.len()];
    for l in links.iter().filter(|l| l.is_reference()) {
        let deps: &mut Vec<usize> = &mut depends_on[l.from.0];
        if l.from.0 != l.to.0 && !deps.contains(&l.to.0) {
            deps.push(l.to.0);
        }
    }
    Links {
        links,
        groups,
        depends_on,
    }
}

/// Rules naming the same `domain:` are linked to the first such column.
fn domain_option_links(config: &Config, tables: &[TableSchema]) -> Vec<Link> {
    let mut first: BTreeMap<String, ColId> = BTreeMap::new();
    let mut out = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        let Some(rule) = config.table(&t.name) else {
            continue;
        };
        for (ci, col) in t.columns.iter().enumerate() {
            let Some(domain) = rule
                .columns
                .iter()
                .find(|c| c.column == col.name)
                .and_then(|c| c.options.get("domain"))
                .and_then(|v| v.as_text())
            else {
                continue;
            };
            match first.get(&domain) {
                Some(&root) => out.push(Link {
                    from: (ti, ci),
                    to: root,
                    kind: LinkKind::DomainOption(domain),
                }),
                None => {
                    first.insert(domain, (ti, ci));
                }
            }
        }
    }
    out
}

/// Connected components of the link graph (union-find), members and groups in order.
fn group(links: &[Link]) -> Vec<Group> {
    let mut parent: BTreeMap<ColId, ColId> = BTreeMap::new();
    fn find(parent: &mut BTreeMap<ColId, ColId>, x: ColId) -> ColId {
        let p = *parent.entry(x).or_insert(x);
        if p == x {
            return x;
        }
        let root = find(parent, p);
        parent.insert(x, root);
        root
    }
    for l in links {
        let (a, b) = (find(&mut parent, l.from), find(&mut parent, l.to));
        if a != b {
            // The smaller id becomes the root, so the result does not depend on link order.
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            parent.insert(hi, lo);
        }
    }
    let cols: Vec<ColId> = parent.keys().copied().collect();
    let mut by_root: BTreeMap<ColId, Group> = BTreeMap::new();
    for c in cols {
        let root = find(&mut parent, c);
        by_root
            .entry(root)
            .or_insert_with(|| Group {
                members: Vec::new(),
                links: Vec::new(),
            })
            .members
            .push(c);
    }
    for (i, l) in links.iter().enumerate() {
        let root = find(&mut parent, l.from);
        if let Some(g) = by_root.get_mut(&root) {
            g.links.push(i);
        }
    }
    by_root.into_values().collect()
}

/// Tables in load order: every table after the tables it references, otherwise in source
/// order. A cycle of references (rare; a self-reference is not one) is broken at the first
/// table in source order, so the order is always complete and deterministic.
pub(crate) fn load_order(depends_on: &[Vec<usize>]) -> Vec<usize> {
    let n = depends_on.len();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n)
            .find(|&t| !placed[t] && depends_on[t].iter().all(|&d| placed[d]))
            .or_else(|| (0..n).find(|&t| !placed[t]))
            .expect("an unplaced table remains");
        placed[next] = true;
        order.push(next);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_order_puts_parents_first_and_keeps_source_order() {
        // 0 -> 2, 1 -> 0, 3 free
        let deps = vec![vec![2], vec![0], vec![], vec![]];
        assert_eq!(load_order(&deps), vec![2, 0, 1, 3]);
        // A cycle 0 <-> 1 is broken at 0.
        assert_eq!(load_order(&[vec![1], vec![0]]), vec![0, 1]);
    }

    #[test]
    fn groups_are_connected_components() {
        let l = |from, to| Link {
            from,
            to,
            kind: LinkKind::ForeignKey,
        };
        // a chain (2,0)->(1,0)->(0,0) and a separate pair.
        let links = vec![l((2, 0), (1, 0)), l((3, 1), (3, 0)), l((1, 0), (0, 0))];
        let g = group(&links);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].members, vec![(0, 0), (1, 0), (2, 0)]);
        assert_eq!(g[0].links, vec![0, 2]);
        assert_eq!(g[1].members, vec![(3, 0), (3, 1)]);
    }
}
