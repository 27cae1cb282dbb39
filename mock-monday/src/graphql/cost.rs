//! Complexity costs (api-facts.md section 3). All are settings; defaults are the published weights.

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
}

impl Default for CostSettings {
    fn default() -> Self {
        Self {
            mutation: 30_000,
            scalar: 1,
            object: 10,
            items_page_by_column_values: 100_000,
            default_list_size: 25,
        }
    }
}
