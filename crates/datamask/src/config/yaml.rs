//! A YAML tree that remembers where every node came from.
//!
//! serde-based YAML deserialisers stop at the first error and lose positions. The config
//! validator wants every problem at once, each with `file:line:column`, so it walks this tree
//! instead. Built from yaml-rust2's event stream; anchors and aliases are resolved by copying.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A 1-based position in the config text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    fn from_marker(m: Marker) -> Self {
        Pos {
            line: m.line(),
            col: m.col() + 1,
        }
    }
}

/// One YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub kind: NodeKind,
}

/// The resolved kinds of node (YAML 1.2 core schema for plain scalars).
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order; keys keep their own positions.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The string of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Map entries, if this is a map.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// A short name of the node's kind, for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The scalar as text (keys are usually strings, but `1:` is an int key).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(f) => Some(f.to_string()),
            NodeKind::Bool(b) => Some(b.to_string()),
            NodeKind::Null => Some("null".into()),
            _ => None,
        }
    }
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Parses one YAML document. An empty document is an empty map.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| SyntaxError {
        pos: Pos::from_marker(*e.marker()),
        message: e.info().to_string(),
    })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.root.unwrap_or(Node {
        pos: Pos { line: 1, col: 1 },
        kind: NodeKind::Map(Vec::new()),
    }))
}

enum Frame {
    Seq(Pos, usize, Vec<Node>),
    Map(Pos, usize, Vec<(Node, Node)>, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    error: Option<SyntaxError>,
}

impl Builder {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(_, _, items)) => items.push(node),
            Some(Frame::Map(_, _, entries, key)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::from_marker(mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let kind = resolve_scalar(text, style);
                self.push_node(Node { pos, kind }, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(pos, anchor, Vec::new())),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(pos, anchor, Vec::new(), None))
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(p, anchor, items)) => self.push_node(
                    Node {
                        pos: p,
                        kind: NodeKind::Seq(items),
                    },
                    anchor,
                ),
                Some(Frame::Map(p, anchor, entries, _)) => self.push_node(
                    Node {
                        pos: p,
                        kind: NodeKind::Map(entries),
                    },
                    anchor,
                ),
                None => {}
            },
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.push_node(Node { pos, ..node }, 0),
                None => {
                    self.error.get_or_insert(SyntaxError {
                        pos,
                        message: "unknown alias".into(),
                    });
                }
            },
            _ => {}
        }
    }
}

/// Resolves a scalar with the YAML 1.2 core schema; quoted scalars are always strings.
fn resolve_scalar(text: String, style: TScalarStyle) -> NodeKind {
    if style != TScalarStyle::Plain {
        return NodeKind::Str(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return NodeKind::Int(i);
    }
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if looks_numeric && text.chars().any(|c| c.is_ascii_digit()) {
        if let Ok(f) = text.parse::<f64>() {
            return NodeKind::Float(f);
        }
    }
    NodeKind::Str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_kinds() {
        let doc = parse("a: 1\nb:\n  c: \"x\"\n  d: [true, ~, 2.5, null]\n").unwrap();
        let map = doc.as_map().unwrap();
        assert_eq!(map[0].0.pos, Pos { line: 1, col: 1 });
        assert_eq!(map[0].1.kind, NodeKind::Int(1));
        let b = map[1].1.as_map().unwrap();
        assert_eq!(b[0].1.pos, Pos { line: 3, col: 6 });
        assert_eq!(b[0].1.as_str(), Some("x"));
    }

    #[test]
    fn quoted_null_is_a_string() {
        let doc = parse("x: \"null\"\ny: null\n").unwrap();
        let m = doc.as_map().unwrap();
        assert_eq!(m[0].1.as_str(), Some("null"));
        assert_eq!(m[1].1.kind, NodeKind::Null);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.pos.line >= 1);
    }

    #[test]
    fn aliases_resolve() {
        let doc = parse("a: &x {k: 1}\nb: *x\n").unwrap();
        let m = doc.as_map().unwrap();
        assert_eq!(m[1].1.as_map().unwrap()[0].1.kind, NodeKind::Int(1));
    }
}
