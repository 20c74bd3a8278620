//! `tasks.task.field.list` and `rest.documentation.openapi`, both generated from the DTO
//! tables so they describe exactly what the other methods accept.
//!
//! field.list items default to the example's keys (`name`, `type`, `title`, `description`,
//! `filterable`, `sortable`, `multiple`); `select` may pick any of the eleven documented
//! keys. `sortable` reports the list page's sortable fields (the field.list example marks
//! only `id`; the list page wins since it is what the list method accepts). `multiple` is
//! false for every field, as the example prints it even for arrays.

use super::dto::{Dto, Field, Kind, Ty};
use super::{V3Err, METHODS};
use serde_json::{json, Map, Value};

const ITEM_KEYS: [&str; 11] = [
    "name",
    "type",
    "title",
    "description",
    "validationRules",
    "requiredGroups",
    "filterable",
    "sortable",
    "editable",
    "multiple",
    "elementType",
];

const DEFAULT_KEYS: [&str; 7] = [
    "name",
    "type",
    "title",
    "description",
    "filterable",
    "sortable",
    "multiple",
];

fn required_on_add(name: &str) -> bool {
    matches!(name, "title" | "creatorId" | "responsibleId")
}

fn element_type(f: &Field) -> Value {
    match f.kind {
        Kind::Relation { dto, many: true } => json!(dto.entity()),
        Kind::Scalar(Ty::Array) => match f.name {
            "crmItemIds" | "scenarios" => json!("string"),
            _ => json!("int"),
        },
        _ => Value::Null,
    }
}

fn field_item(f: &Field, keys: &[&str]) -> Value {
    let mut m = Map::new();
    for k in ITEM_KEYS {
        if !keys.contains(&k) {
            continue;
        }
        let v = match k {
            "name" | "title" => json!(f.name),
            "type" => json!(f.ty().name()),
            "description" => Value::Null,
            "validationRules" => {
                if required_on_add(f.name) {
                    json!([{"type": "required", "groups": ["add"]}])
                } else {
                    json!([])
                }
            }
            "requiredGroups" => {
                if required_on_add(f.name) {
                    json!(["add"])
                } else {
                    json!([])
                }
            }
            "filterable" => json!(f.filterable),
            "sortable" => json!(f.sortable),
            "editable" => json!(f.editable),
            "multiple" => json!(false),
            _ => element_type(f),
        };
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

pub fn field_list(b: &Map<String, Value>) -> Result<Value, V3Err> {
    let keys: Vec<&str> = match b.get("select") {
        None | Some(Value::Null) => DEFAULT_KEYS.to_vec(),
        Some(Value::Array(items)) => {
            let mut keys = Vec::new();
            for item in items {
                let Some(name) = item.as_str() else {
                    return Err(V3Err::invalid_select(&Value::Array(items.clone())));
                };
                match ITEM_KEYS.iter().find(|k| **k == name) {
                    Some(k) => keys.push(*k),
                    None => return Err(V3Err::unknown_field(name, "DtoFieldDto")),
                }
            }
            if keys.is_empty() {
                DEFAULT_KEYS.to_vec()
            } else {
                keys
            }
        }
        Some(other) => return Err(V3Err::invalid_select(other)),
    };
    let items: Vec<Value> = Dto::Task
        .fields()
        .iter()
        .map(|f| field_item(f, &keys))
        .collect();
    Ok(json!({ "items": items }))
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn field_schema(f: &Field) -> Value {
    match f.kind {
        Kind::Relation { dto, many: false } => schema_ref(dto.entity()),
        Kind::Relation { dto, many: true } => {
            json!({"type": "array", "items": schema_ref(dto.entity())})
        }
        Kind::Scalar(Ty::Int) => json!({"type": "integer", "nullable": true}),
        Kind::Scalar(Ty::Str) => match f.name {
            "priority" => json!({"type": "string", "enum": ["low", "average", "high"]}),
            "status" => {
                json!({"type": "string", "enum": ["pending", "in_progress", "supposedly_completed", "completed", "deferred", "declined"]})
            }
            "mark" => json!({"type": "string", "enum": ["none", "positive", "negative"]}),
            _ => json!({"type": "string", "nullable": true}),
        },
        Kind::Scalar(Ty::Bool) => json!({"type": "boolean"}),
        Kind::Scalar(Ty::DateTime) => {
            json!({"type": "string", "format": "date-time", "nullable": true})
        }
        Kind::Scalar(Ty::Array) => json!({"type": "array", "items": {}}),
        Kind::Scalar(Ty::Object) => json!({"type": "object"}),
    }
}

fn dto_schema(dto: Dto) -> Value {
    let props: Map<String, Value> = dto
        .fields()
        .iter()
        .map(|f| (f.name.to_string(), field_schema(f)))
        .collect();
    json!({"type": "object", "properties": props})
}

fn request(method: &str) -> Option<Value> {
    let select = json!({"type": "array", "items": {"type": "string"}});
    let list = |filterable: &[&str]| {
        json!({"type": "object", "properties": {
            "select": select,
            "filter": {"type": "array", "items": {}},
            "order": {"type": "object", "additionalProperties": {"type": "string", "enum": ["ASC", "DESC"]}},
            "pagination": {"type": "object", "properties": {"page": {"type": "integer"}, "limit": {"type": "integer", "maximum": 1000}, "offset": {"type": "integer"}}},
        }, "x-filterable": filterable})
    };
    Some(match method {
        "tasks.task.get" => {
            json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}, "select": select}})
        }
        "tasks.task.list" => list(&["id"]),
        "tasks.task.add" => {
            json!({"type": "object", "required": ["fields"], "properties": {"fields": {"allOf": [schema_ref("TaskDto")], "required": ["title", "creatorId", "responsibleId"]}}})
        }
        "tasks.task.update" => {
            json!({"type": "object", "required": ["id", "fields"], "properties": {"id": {"type": "integer"}, "fields": schema_ref("TaskDto")}})
        }
        "tasks.task.delete" => {
            json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}})
        }
        "tasks.task.result.list" => list(&["taskId", "id", "authorId", "status", "messageId"]),
        "tasks.task.field.list" => json!({"type": "object", "properties": {"select": select}}),
        "batch" => {
            json!({"type": "array", "maxItems": 50, "items": {"type": "object", "required": ["method", "query"], "properties": {"method": {"type": "string"}, "query": {"type": "object"}, "as": {"type": "string"}}}})
        }
        _ => return None,
    })
}

fn result_schema(method: &str) -> Value {
    match method {
        "tasks.task.get" | "tasks.task.add" => {
            json!({"type": "object", "properties": {"item": schema_ref("TaskDto")}})
        }
        "tasks.task.list" => {
            json!({"type": "object", "properties": {"items": {"type": "array", "items": schema_ref("TaskDto")}}})
        }
        "tasks.task.update" | "tasks.task.delete" => {
            json!({"type": "object", "properties": {"result": {"type": "boolean"}}})
        }
        "tasks.task.result.list" => {
            json!({"type": "object", "properties": {"items": {"type": "array", "items": schema_ref("ResultDto")}}})
        }
        "tasks.task.field.list" => {
            json!({"type": "object", "properties": {"items": {"type": "array", "items": schema_ref("DtoFieldDto")}}})
        }
        "batch" => json!({"type": "array", "items": {"type": "object"}}),
        _ => json!({"type": "object"}),
    }
}

/// The OpenAPI 3.0 document of the methods served here.
pub fn openapi() -> Value {
    let mut paths = Map::new();
    for m in METHODS {
        let mut op = json!({
            "tags": [if m.starts_with("tasks.") { "tasks" } else { "rest" }],
            "operationId": m,
            "responses": {
                "200": {"description": "Success", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"result": result_schema(m), "time": schema_ref("Time")}}}}},
                "400": {"description": "Error", "content": {"application/json": {"schema": schema_ref("Error")}}},
            }
        });
        if let Some(r) = request(m) {
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": r}}});
        }
        let item = if request(m).is_some() {
            json!({ "post": op })
        } else {
            json!({ "get": op.clone(), "post": op })
        };
        paths.insert(format!("/{m}"), item);
    }
    let mut schemas = Map::new();
    for dto in [
        Dto::Task,
        Dto::User,
        Dto::Group,
        Dto::Stage,
        Dto::Flow,
        Dto::Chat,
        Dto::File,
        Dto::Template,
        Dto::Email,
        Dto::ElapsedTime,
        Dto::Source,
    ] {
        schemas.insert(dto.entity().into(), dto_schema(dto));
    }
    let result_props: Map<String, Value> = super::dto::RESULT_FIELDS
        .iter()
        .map(|f| {
            let s = match *f {
                "author" => schema_ref("UserDto"),
                "text" | "createdAt" | "updatedAt" => json!({"type": "string"}),
                "status" => json!({"type": "string", "enum": ["open", "closed"]}),
                "fileIds" => json!({"type": "array", "items": {"type": "integer"}}),
                "rights" => json!({"type": "object"}),
                _ => json!({"type": "integer", "nullable": true}),
            };
            (f.to_string(), s)
        })
        .collect();
    schemas.insert(
        "ResultDto".into(),
        json!({"type": "object", "properties": result_props}),
    );
    let field_props: Map<String, Value> = ITEM_KEYS
        .iter()
        .map(|k| (k.to_string(), json!({})))
        .collect();
    schemas.insert(
        "DtoFieldDto".into(),
        json!({"type": "object", "properties": field_props}),
    );
    let time: Map<String, Value> = crate::clock::TIME_KEYS
        .iter()
        .map(|k| {
            let t = if k.starts_with("date_") {
                "string"
            } else {
                "number"
            };
            (k.to_string(), json!({"type": t}))
        })
        .collect();
    schemas.insert("Time".into(), json!({"type": "object", "properties": time}));
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "validation": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}}}}}),
    );
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Bitrix24 REST V3 API", "version": "1.0.0"},
        "tags": [{"name": "tasks", "description": "tasks module methods"}, {"name": "rest", "description": "rest module methods"}],
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_list_defaults_to_the_example_keys() {
        let v = field_list(&Map::new()).unwrap_or_default();
        let first = &v["items"][0];
        assert_eq!(
            first,
            &json!({"name": "id", "type": "int", "title": "id", "description": null, "filterable": true, "sortable": true, "multiple": false})
        );
        assert_eq!(v["items"][5]["name"], "created");
        assert_eq!(v["items"][5]["type"], "object");
    }

    #[test]
    fn field_list_select() {
        let b = json!({"select": ["name", "editable", "requiredGroups"]});
        let v = field_list(b.as_object().unwrap_or(&Map::new())).unwrap_or_default();
        assert_eq!(
            v["items"][1],
            json!({"name": "title", "requiredGroups": ["add"], "editable": true})
        );
        let bad = json!({"select": ["unknownField"]});
        let e = field_list(bad.as_object().unwrap_or(&Map::new())).err();
        assert_eq!(
            e.map(|e| e.message),
            Some("Unknown field `unknownField` for entity `DtoFieldDto`".into())
        );
    }

    #[test]
    fn openapi_lists_exactly_the_served_methods() {
        let doc = openapi();
        let paths: Vec<&String> = doc["paths"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(paths.len(), METHODS.len());
        assert!(doc["paths"]["/tasks.task.get"]["post"].is_object());
        assert!(doc["components"]["schemas"]["TaskDto"]["properties"]["crmItemIds"].is_object());
        assert!(doc["components"]["schemas"]["TaskDto"]["properties"]
            .get("notViewed")
            .is_none());
    }
}
