//! Queries on a `report.json` value, shared by the end-to-end tests.
#![allow(dead_code)]

use serde_json::Value;

/// The findings of one check.
pub fn findings<'a>(r: &'a Value, check: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The findings of one rule, whatever the check.
pub fn by_rule<'a>(r: &'a Value, rule: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The state (`ran`, `partial`, ...) of one check.
pub fn check_state<'a>(r: &'a Value, check: &str) -> &'a str {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == check)
        .unwrap()["state"]
        .as_str()
        .unwrap()
}

/// The coverage group with this label.
pub fn coverage<'a>(r: &'a Value, label: &str) -> &'a Value {
    r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == label)
        .unwrap_or_else(|| panic!("no coverage group {label}"))
}
