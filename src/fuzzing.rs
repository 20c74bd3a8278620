//! Entry points for the cargo-fuzz targets in `fuzz/` (run them with `scripts/fuzz`).
//!
//! Thin wrappers and re-exports only, so the fuzzers call the very code the server runs,
//! including modules that are otherwise private. Not an API for anything else.

use serde_json::{Map, Value};

pub use crate::batch::{Batch, Command, Reference};
pub use crate::decode::{decode_request, parse_php_query, DecodeError, DecodeLimits, V2Request};
pub use crate::translate::filter::{translate as translate_filter, FilterOptions};
pub use crate::translate::render::{entity as render_entity, wrap as render_wrap};
pub use crate::translate::select::{requested as select_names, shape, Render, Shape};

/// The commands of a v2 `batch` call's parameters (`None`: v2 answers it itself).
pub fn parse_batch(params: &Map<String, Value>, limits: &DecodeLimits) -> Option<Batch> {
    crate::batch::parse(params, limits)
}

/// Every `$result[key][path…]` reference in one string.
pub fn batch_references(text: &str) -> Vec<Reference> {
    crate::batch::references(text)
}

/// Replaces the references that `lookup` knows; true when anything changed.
pub fn batch_substitute(
    params: &mut Map<String, Value>,
    lookup: &dyn Fn(&str) -> Option<Value>,
) -> bool {
    crate::batch::substitute(params, lookup)
}

/// Follows a reference's path into an earlier command's result.
pub fn batch_resolve<'a>(result: &'a Value, path: &[String]) -> Option<&'a Value> {
    crate::batch::resolve(result, path)
}
