//! Table schemas as introspected from a source and handed to strategies and sinks.

use crate::constraints::Constraints;
use serde::{Deserialize, Serialize};

/// The logical type of a column. Connectors map native types onto these (docs/types.md); the
/// exact native declaration is kept in [`Column::native_type`] so same-engine copies are
/// faithful.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DataType {
    Bool,
    Int {
        bits: u8,
        unsigned: bool,
    },
    Float {
        bits: u8,
    },
    Decimal {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Text {
        max_len: Option<u32>,
    },
    Bytes,
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Uuid,
    Json,
}

impl DataType {
    /// The type family name used in strategy descriptions ("text", "int", ...).
    pub fn family(&self) -> &'static str {
        match self {
            DataType::Bool => "bool",
            DataType::Int { .. } => "int",
            DataType::Float { .. } => "float",
            DataType::Decimal { .. } => "decimal",
            DataType::Text { .. } => "text",
            DataType::Bytes => "bytes",
            DataType::Date => "date",
            DataType::Time => "time",
            DataType::Timestamp => "timestamp",
            DataType::TimestampTz => "timestamptz",
            DataType::Uuid => "uuid",
            DataType::Json => "json",
        }
    }

    /// Unbounded text: the type of every column of a CSV file.
    pub fn text() -> Self {
        DataType::Text { max_len: None }
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub data_type: DataType,
    /// The declaration as the source wrote it (`VARCHAR(80)`), when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_type: Option<String>,
    pub nullable: bool,
    /// What the column accepts beyond its type (enum values, simple checks); see
    /// [`crate::constraints`]. Left out of the serialised form when empty, so schema
    /// fingerprints of tables without constraints do not change.
    #[serde(default, skip_serializing_if = "Constraints::is_empty")]
    pub constraints: Constraints,
    /// The column's comment in the source database (`COMMENT ON COLUMN`, MySQL `COMMENT`),
    /// where rules may live next to the schema (`datamask: email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Column {
    /// A nullable column of type `data_type`, without constraints.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        Column {
            name: name.into(),
            data_type,
            native_type: None,
            nullable: true,
            constraints: Constraints::default(),
            comment: None,
        }
    }
}

/// A foreign key from `columns` of this table to `ref_columns` of `ref_table`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
}

/// A table: columns in order, keys and constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<Column>,
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Unique constraints other than the primary key.
    #[serde(default)]
    pub unique: Vec<Vec<String>>,
    #[serde(default)]
    pub foreign_keys: Vec<ForeignKey>,
    #[serde(default)]
    pub indexes: Vec<Index>,
    /// Columns the database computes (`GENERATED ALWAYS AS ...`). A target recomputes them
    /// from its own, masked, values, so they are not compared with the source's. Left out of
    /// the serialised form when empty, so schema fingerprints of other tables do not change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generated: Vec<String>,
}

impl TableSchema {
    /// A table with the given columns and no constraints.
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> Self {
        TableSchema {
            name: name.into(),
            columns,
            primary_key: Vec::new(),
            unique: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            generated: Vec::new(),
        }
    }

    /// Position of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// True when `column` alone is a primary key or unique key, i.e. its values must stay
    /// distinct after masking.
    pub fn is_unique_column(&self, column: &str) -> bool {
        let single = |cols: &Vec<String>| cols.len() == 1 && cols[0] == column;
        single(&self.primary_key)
            || self.unique.iter().any(single)
            || self.indexes.iter().any(|i| i.unique && single(&i.columns))
    }

    /// True when `column` takes part in any primary, unique or unique-index key.
    pub fn in_unique_key(&self, column: &str) -> bool {
        let has = |cols: &Vec<String>| cols.iter().any(|c| c == column);
        has(&self.primary_key)
            || self.unique.iter().any(has)
            || self.indexes.iter().any(|i| i.unique && has(&i.columns))
    }
}
