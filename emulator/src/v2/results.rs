//! v2 tasks.task.result.list: a bare array of the task's results, newest first as the
//! page's example lists them, every id and the status as JSON integers, `text` the stored
//! BBCode and `formattedText` its HTML.

use super::values::{param, strict_int};
use super::{V2Err, V2Ok, RESULT_ACCESS_DENIED, RESULT_TASK_ID_MISSING, RESULT_TASK_ID_TYPE};
use crate::bbcode;
use crate::clock::iso;
use crate::store::{Store, TaskResult};
use serde_json::{json, Map, Value};

pub fn result_obj(r: &TaskResult) -> Value {
    json!({
        "id": r.id,
        "taskId": r.task_id,
        "commentId": r.comment_id.unwrap_or(0),
        "createdBy": r.author_id,
        "createdAt": iso(r.created_at),
        "updatedAt": iso(r.updated_at),
        "status": u8::from(r.closed),
        "text": r.text,
        "formattedText": bbcode::to_html(&r.text),
        "files": r.files,
    })
}

pub fn list(store: &mut Store, p: &Map<String, Value>, caller: u64) -> Result<V2Ok, V2Err> {
    let id = match param(p, "taskId") {
        None | Some(Value::Null) => return Err(V2Err::new(400, "100", RESULT_TASK_ID_MISSING)),
        Some(v) => strict_int(v).ok_or_else(|| V2Err::new(400, "100", RESULT_TASK_ID_TYPE))?,
    };
    let readable = u64::try_from(id)
        .ok()
        .and_then(|id| store.tasks.get(&id))
        .is_some_and(|t| store.can_read(t, caller));
    if !readable {
        return Err(V2Err::new(400, "0", RESULT_ACCESS_DENIED));
    }
    let mut rows: Vec<&TaskResult> = store.results_of(id as u64).iter().collect();
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(V2Ok::plain(Value::Array(
        rows.into_iter().map(result_obj).collect(),
    )))
}
