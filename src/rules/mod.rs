//! Rewrite rules: which v2 methods are served from REST 3.0, and how.
//!
//! Rules are data. The built-in set ([`BUILTIN_RULES`], `src/rules/builtin.toml`) is the
//! first layer of the configuration, so an operator's `[methods."…"]`, `[entities.…]` and
//! `[enums.…]` tables override it key by key, and a rule for a method Bitrix moves to REST
//! 3.0 later is written the same way as the built-in ones. [`RawRules`] is what the
//! configuration holds; [`RuleSet::validate`] checks every rule and builds the immutable
//! [`RuleSet`] the translator reads. The Rust code knows mechanisms (method kinds, value
//! converters, filter operators), never a particular method.

mod model;
mod raw;
mod validate;

pub use model::*;
pub use raw::*;

/// The built-in rules, embedded in the binary.
pub const BUILTIN_RULES: &str = include_str!("builtin.toml");

/// A rule problem: the key, what is wrong, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {problem}. Fix: {fix}")]
pub struct RuleError {
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl RuleError {
    pub fn new(key: impl Into<String>, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        RuleError {
            key: key.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}
