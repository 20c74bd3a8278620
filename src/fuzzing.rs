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

/// True when some object in the JSON text has a key twice (or the text is not JSON).
pub fn has_duplicate_keys(json: &[u8]) -> bool {
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::collections::HashSet;

    struct Check;
    impl<'de> Deserialize<'de> for Check {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Check, D::Error> {
            d.deserialize_any(Check)
        }
    }
    impl<'de> Visitor<'de> for Check {
        type Value = Check;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Check, A::Error> {
            let mut seen = HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key) {
                    return Err(serde::de::Error::custom("duplicate key"));
                }
                map.next_value::<Check>()?;
            }
            Ok(Check)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Check, A::Error> {
            while seq.next_element::<Check>()?.is_some() {}
            Ok(Check)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Check, E> {
            Ok(Check)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Check, E> {
            Ok(Check)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Check, E> {
            Ok(Check)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Check, E> {
            Ok(Check)
        }
        fn visit_str<E>(self, _: &str) -> Result<Check, E> {
            Ok(Check)
        }
        fn visit_unit<E>(self) -> Result<Check, E> {
            Ok(Check)
        }
    }
    serde_json::from_slice::<Check>(json).is_err()
}
