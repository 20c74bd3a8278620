//! v2 batch (written last).

use super::{Caller, State, V2Err, V2Ok};
use serde_json::{Map, Value};

pub fn run(_st: &mut State, _params: &Map<String, Value>, _caller: &Caller) -> Result<V2Ok, V2Err> {
    Err(V2Err::new(
        500,
        "INTERNAL_SERVER_ERROR",
        "batch is not implemented yet",
    ))
}
