//! Complexity costs (docs/monday-api.md §3). All are settings; defaults are the published weights.
//!
//! The estimate ([`estimate`]) walks the chosen operation:
//! - each root mutation field costs [`CostSettings::mutation`] plus its selection;
//! - `complexity` is free; `items_page_by_column_values` costs its fixed price plus its selection;
//! - in reads, every scalar costs `scalar` and every object `object`, multiplied by the sizes of
//!   the lists above it: a list's size is its `ids` count, else its `limit` argument (given or the
//!   schema default), else the `limit` of the field just above it (`items_page(limit:)` sizes
//!   `items`), else `default_list_size`.
//!
//! The estimate is monotone: adding fields or raising limits never lowers it.

use apollo_compiler::ast::Value as AstValue;
use apollo_compiler::executable::{ExecutableDocument, Field, Selection};
use apollo_compiler::response::JsonMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostSettings {
    /// Cost of each root mutation field (create_item, ...). 30,000 per the published weights.
    pub mutation: u64,
    /// Cost of each scalar field selected in a read.
    pub scalar: u64,
    /// Cost of each object field selected in a read.
    pub object: u64,
    /// Cost of `items_page_by_column_values` (successor of `items_by_column_values`).
    pub items_page_by_column_values: u64,
    /// Assumed list size for unbounded list fields when estimating.
    pub default_list_size: u64,
    /// What a root mutation field that failed costs from API 2025-10 on ("failed queries cost
    /// significantly less", changelog 2025-10; the number is the simulator's choice: 10% of
    /// `mutation`). Earlier versions charge failed fields in full.
    pub failed_mutation: u64,
}

impl Default for CostSettings {
    fn default() -> Self {
        Self {
            mutation: 30_000,
            scalar: 1,
            object: 10,
            items_page_by_column_values: 100_000,
            default_list_size: 25,
            failed_mutation: 3_000,
        }
    }
}

/// Deepest selection nesting the estimate follows (deeper parts count as one scalar).
const MAX_DEPTH: usize = 64;

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    vars: &'a JsonMap,
    costs: &'a CostSettings,
}

impl Walker<'_> {
    fn int_value(&self, value: &AstValue) -> Option<u64> {
        match value {
            AstValue::Int(i) => i.as_str().parse::<i64>().ok().map(|v| v.max(0) as u64),
            AstValue::Variable(name) => self
                .vars
                .get(name.as_str())
                .and_then(|v| v.as_i64())
                .map(|v| v.max(0) as u64),
            _ => None,
        }
    }

    /// `limit` given, else the schema default of the field's `limit` argument.
    fn limit(&self, field: &Field) -> Option<u64> {
        if let Some(arg) = field.arguments.iter().find(|a| a.name == "limit") {
            if let Some(v) = self.int_value(&arg.value) {
                return Some(v);
            }
        }
        field
            .definition
            .argument_by_name("limit")
            .and_then(|a| a.default_value.as_ref())
            .and_then(|v| self.int_value(v))
    }

    /// Number of ids passed in an `ids` argument (a single value counts as one).
    fn ids_count(&self, field: &Field) -> Option<u64> {
        let arg = field.arguments.iter().find(|a| a.name == "ids")?;
        match arg.value.as_ref() {
            AstValue::List(items) => Some(items.len() as u64),
            AstValue::Null => None,
            AstValue::Variable(name) => match self.vars.get(name.as_str())? {
                v if v.is_null() => None,
                v => Some(v.as_array().map_or(1, |a| a.len() as u64)),
            },
            _ => Some(1),
        }
    }

    fn selections(&self, sels: &[Selection], mult: u64, pending: Option<u64>, depth: usize) -> u64 {
        if depth > MAX_DEPTH {
            return self.costs.scalar.saturating_mul(mult);
        }
        let mut total: u64 = 0;
        for sel in sels {
            let cost = match sel {
                Selection::Field(f) => self.field(f, mult, pending, depth),
                Selection::FragmentSpread(s) => match self.doc.fragments.get(&s.fragment_name) {
                    Some(frag) => {
                        self.selections(&frag.selection_set.selections, mult, pending, depth + 1)
                    }
                    None => 0,
                },
                Selection::InlineFragment(i) => {
                    self.selections(&i.selection_set.selections, mult, pending, depth + 1)
                }
            };
            total = total.saturating_add(cost);
        }
        total
    }

    fn field(&self, f: &Field, mult: u64, pending: Option<u64>, depth: usize) -> u64 {
        if f.name.starts_with("__") {
            return 0;
        }
        let sub = &f.selection_set.selections;
        if sub.is_empty() {
            return self.costs.scalar.saturating_mul(mult);
        }
        let limit = self.limit(f);
        if f.definition.ty.is_list() {
            let size = self
                .ids_count(f)
                .or(limit)
                .or(pending)
                .unwrap_or(self.costs.default_list_size)
                .max(1);
            let mult = mult.saturating_mul(size);
            let own = self.costs.object.saturating_mul(mult);
            own.saturating_add(self.selections(sub, mult, None, depth + 1))
        } else {
            let own = self.costs.object.saturating_mul(mult);
            own.saturating_add(self.selections(sub, mult, limit, depth + 1))
        }
    }
}

/// Complexity estimate of one operation's root fields (see the module docs).
pub(crate) fn estimate(
    doc: &ExecutableDocument,
    root: &[Selection],
    is_mutation: bool,
    vars: &JsonMap,
    costs: &CostSettings,
) -> u64 {
    let w = Walker { doc, vars, costs };
    let mut total: u64 = 0;
    let mut fields: Vec<&Field> = Vec::new();
    collect_root(doc, root, &mut fields, 0);
    for f in fields {
        let cost = match f.name.as_str() {
            "complexity" => 0,
            n if n.starts_with("__") => 0,
            _ if is_mutation => {
                costs
                    .mutation
                    .saturating_add(w.selections(&f.selection_set.selections, 1, None, 1))
            }
            "items_page_by_column_values" => costs
                .items_page_by_column_values
                .saturating_add(w.selections(&f.selection_set.selections, 1, w.limit(f), 1)),
            _ => w.field(f, 1, None, 0),
        };
        total = total.saturating_add(cost);
    }
    total
}

/// Complexity given back after execution for `failed_fields` root mutation fields that failed:
/// from 2025-10 each costs [`CostSettings::failed_mutation`] instead of
/// [`CostSettings::mutation`]; before 2025-10 nothing is given back.
pub fn failed_mutation_refund(
    version: crate::version::ApiVersion,
    failed_fields: u32,
    costs: &CostSettings,
) -> u64 {
    if (version.year, version.month) < (2025, 10) {
        return 0;
    }
    costs
        .mutation
        .saturating_sub(costs.failed_mutation)
        .saturating_mul(u64::from(failed_fields))
}

/// Root fields of a selection set, expanding fragments.
pub(crate) fn collect_root<'a>(
    doc: &'a ExecutableDocument,
    sels: &'a [Selection],
    out: &mut Vec<&'a Field>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for sel in sels {
        match sel {
            Selection::Field(f) => out.push(f),
            Selection::FragmentSpread(s) => {
                if let Some(frag) = doc.fragments.get(&s.fragment_name) {
                    collect_root(doc, &frag.selection_set.selections, out, depth + 1);
                }
            }
            Selection::InlineFragment(i) => {
                collect_root(doc, &i.selection_set.selections, out, depth + 1)
            }
        }
    }
}
