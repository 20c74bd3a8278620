//! v3 batch (written last).

use super::{Caller, State, V3Err};
use serde_json::Value;

pub fn run(_st: &mut State, _body: &Value, _caller: &Caller) -> Result<Value, V3Err> {
    Err(V3Err::new(500, "INTERNAL", "batch is not implemented yet"))
}
