//! REST 3.0: the tasks methods as the REST 3.0 pages show them, `tasks.task.field.list`,
//! `rest.documentation.openapi` (alias `documentation`) and the JSON-array `batch`, with
//! `Idempotency-Key` replay for writes. Handlers are pure: a JSON body in, the `result`
//! value or a [`V3Err`] out.

pub mod batch;
pub mod dto;
mod fields_in;
mod filter;
pub mod idempotency;
mod meta;
mod paging;
mod render;
mod results;
mod select;
mod tasks;

use crate::store::Store;
use serde_json::{json, Map, Value};

pub const PREFIX: &str = "BITRIX_REST_V3_EXCEPTION_";

/// Methods served at `/rest/api/…`, in the order the OpenAPI document lists them.
pub const METHODS: [&str; 10] = [
    "tasks.task.get",
    "tasks.task.list",
    "tasks.task.add",
    "tasks.task.update",
    "tasks.task.delete",
    "tasks.task.result.list",
    "tasks.task.field.list",
    "rest.documentation.openapi",
    "documentation",
    "batch",
];

/// Methods that change data: the ones `Idempotency-Key` applies to.
pub fn is_write(method: &str) -> bool {
    matches!(
        method,
        "tasks.task.add" | "tasks.task.update" | "tasks.task.delete"
    )
}

/// A REST 3.0 error: `{"error": {"code", "message", "validation"?}}` with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Err {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// (field, message) pairs; present only for validation errors.
    pub validation: Vec<(String, String)>,
}

pub const VALIDATION_MESSAGE: &str = "Error validating request object";

impl V3Err {
    /// `suffix` follows `BITRIX_REST_V3_EXCEPTION_`.
    pub fn new(status: u16, suffix: &str, message: &str) -> Self {
        V3Err {
            status,
            code: format!("{PREFIX}{suffix}"),
            message: message.into(),
            validation: Vec::new(),
        }
    }

    pub fn validation(field: &str, message: &str) -> Self {
        V3Err {
            status: 400,
            code: format!("{PREFIX}VALIDATION_REQUESTVALIDATIONEXCEPTION"),
            message: VALIDATION_MESSAGE.into(),
            validation: vec![(field.into(), message.into())],
        }
    }

    pub fn required(field: &str) -> Self {
        Self::validation(field, &format!("Required field `{field}` is not specified"))
    }

    pub fn wrong_type(field: &str, ty: &str) -> Self {
        Self::validation(
            field,
            &format!("Field `{field}` requires data type `{ty}` for this request"),
        )
    }

    pub fn not_editable(field: &str) -> Self {
        Self::validation(
            field,
            &format!(
                "In DTO `TaskDto`, the field `{field}` requires the presence of the `Editable` attribute for such a request"
            ),
        )
    }

    pub fn not_found(id: u64) -> Self {
        Self::new(
            400,
            "ENTITYNOTFOUNDEXCEPTION",
            &format!("Record with ID = `{id}` not found"),
        )
    }

    pub fn access_denied() -> Self {
        Self::new(403, "ACCESSDENIEDEXCEPTION", "Access denied")
    }

    pub fn unknown_field(field: &str, entity: &str) -> Self {
        Self::new(
            400,
            "UNKNOWNDTOPROPERTYEXCEPTION",
            &format!("Unknown field `{field}` for entity `{entity}`"),
        )
    }

    pub fn invalid_select(select: &Value) -> Self {
        Self::new(
            400,
            "INVALIDSELECTEXCEPTION",
            &format!("Unable to recognize select expression `{select}`"),
        )
    }

    pub fn method_not_found() -> Self {
        V3Err {
            status: 404,
            code: "ERROR_METHOD_NOT_FOUND".into(),
            message: "Method not found".into(),
            validation: Vec::new(),
        }
    }

    pub fn body(&self) -> Value {
        let mut e = Map::new();
        e.insert("code".into(), json!(self.code));
        e.insert("message".into(), json!(self.message));
        if !self.validation.is_empty() {
            let v: Vec<Value> = self
                .validation
                .iter()
                .map(|(field, message)| json!({"message": message, "field": field}))
                .collect();
            e.insert("validation".into(), Value::Array(v));
        }
        json!({ "error": e })
    }
}

/// Runs one method (not `batch`); `body` is the request's JSON (an object; anything else
/// reads as an empty one, so the method's own required-field checks answer).
pub fn dispatch(
    store: &mut Store,
    method: &str,
    body: &Value,
    caller: u64,
) -> Result<Value, V3Err> {
    let empty = Map::new();
    let b = body.as_object().unwrap_or(&empty);
    match method {
        "tasks.task.get" => tasks::get(store, b, caller),
        "tasks.task.list" => tasks::list(store, b, caller),
        "tasks.task.add" => tasks::add(store, b, caller),
        "tasks.task.update" => tasks::update(store, b, caller),
        "tasks.task.delete" => tasks::delete(store, b, caller),
        "tasks.task.result.list" => results::list(store, b, caller),
        "tasks.task.field.list" => meta::field_list(b),
        "rest.documentation.openapi" | "documentation" => Ok(meta::openapi()),
        "batch" => Err(V3Err {
            status: 405,
            code: "ERROR_BATCH_METHOD_NOT_ALLOWED".into(),
            message: "Method is not allowed for batch usage".into(),
            validation: Vec::new(),
        }),
        _ => Err(V3Err::method_not_found()),
    }
}

/// The success envelope: result, then time.
pub fn envelope(result: Value, time: Value) -> Value {
    json!({ "result": result, "time": time })
}
