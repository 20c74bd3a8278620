//! `rest.documentation.openapi`: an OpenAPI 3.0 document whose `paths` are exactly the v3
//! methods served here, with schemas generated from the task field table.

use super::fields::{FieldDef, Kind, F, FIELDS};
use super::tasks_v3::{required, v3_type, GROUP_FIELDS, METHODS, RESULT_FIELDS, USER_FIELDS};
use serde_json::{json, Map, Value};

fn schema_of(d: &FieldDef) -> Value {
    let mut s = match d.kind {
        Kind::Date => json!({"type": "string", "format": "date-time"}),
        Kind::Status => {
            json!({"type": "string", "enum": ["pending", "in_progress", "supposedly_completed", "completed", "deferred", "declined"]})
        }
        Kind::Priority => json!({"type": "string", "enum": ["low", "average", "high"]}),
        Kind::Mark => json!({"type": "string", "enum": ["none", "positive", "negative"]}),
        Kind::Users | Kind::Member | Kind::Checklist => {
            json!({"type": "array", "items": {"type": "integer"}})
        }
        Kind::Strings => json!({"type": "array", "items": {"type": "string"}}),
        Kind::Rights => json!({"type": "object", "additionalProperties": {"type": "boolean"}}),
        k => json!({"type": v3_type(k)}),
    };
    if let Some(m) = s.as_object_mut() {
        m.insert("title".into(), json!(d.title));
        if matches!(
            d.kind,
            Kind::OptInt | Kind::IdZero | Kind::OptText | Kind::Date | Kind::RealInt
        ) {
            m.insert("nullable".into(), json!(true));
        }
    }
    s
}

fn object(fields: impl Iterator<Item = &'static FieldDef>, required_names: &[&str]) -> Value {
    let props: Map<String, Value> = fields.map(|d| (d.v3.to_string(), schema_of(d))).collect();
    let mut s = json!({"type": "object", "properties": props});
    if !required_names.is_empty() {
        s["required"] = json!(required_names);
    }
    s
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn ok(result: Value) -> Value {
    json!({
        "200": {"description": "Success", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"result": result, "time": reference("Time")}}}}},
        "400": {"description": "Error", "content": {"application/json": {"schema": reference("Error")}}}
    })
}

fn list_request(filterable: &[&str]) -> Value {
    json!({"type": "object", "properties": {
        "select": {"type": "array", "items": {"type": "string"}},
        "filter": reference("Filter"),
        "order": {"type": "object", "additionalProperties": {"type": "string", "enum": ["ASC", "DESC"]}},
        "pagination": reference("Pagination")},
        "x-filterable": filterable})
}

fn operation(method: &str) -> (&'static str, Value) {
    let id_only =
        json!({"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]});
    let bool_result = json!({"type": "object", "properties": {"result": {"type": "boolean"}}});
    let item = json!({"type": "object", "properties": {"item": reference("Task")}});
    let items = |r: &str| json!({"type": "object", "properties": {"items": {"type": "array", "items": reference(r)}}});
    let (verb, request, result, summary) = match method {
        "tasks.task.get" => (
            "post",
            Some(
                json!({"type": "object", "properties": {"id": {"type": "integer"}, "select": {"type": "array", "items": {"type": "string"}}}, "required": ["id"]}),
            ),
            item,
            "Read one task",
        ),
        "tasks.task.list" => {
            let filterable: Vec<&str> = FIELDS
                .iter()
                .filter(|d| d.filterable)
                .map(|d| d.v3)
                .collect();
            (
                "post",
                Some(list_request(&filterable)),
                items("Task"),
                "List tasks",
            )
        }
        "tasks.task.add" => (
            "post",
            Some(
                json!({"type": "object", "properties": {"fields": reference("TaskAddFields")}, "required": ["fields"]}),
            ),
            item,
            "Create a task",
        ),
        "tasks.task.update" => (
            "post",
            Some(
                json!({"type": "object", "properties": {"id": {"type": "integer"}, "fields": reference("TaskUpdateFields")}, "required": ["id", "fields"]}),
            ),
            bool_result,
            "Change a task",
        ),
        "tasks.task.delete" => ("post", Some(id_only), bool_result, "Delete a task"),
        "tasks.task.result.list" => (
            "post",
            Some(list_request(&[
                "taskId",
                "id",
                "authorId",
                "status",
                "messageId",
            ])),
            items("TaskResult"),
            "List task results",
        ),
        "tasks.task.field.list" => ("post", None, items("FieldInfo"), "Describe task fields"),
        "batch" => (
            "post",
            Some(
                json!({"type": "array", "maxItems": 50, "items": {"type": "object", "properties": {
                "method": {"type": "string"}, "query": {"type": "object"}, "as": {"type": "string"}},
                "required": ["method", "query"]}}),
            ),
            json!({"type": "array", "items": {"type": "object"}}),
            "Run several calls",
        ),
        _ => ("get", None, json!({"type": "object"}), "This document"),
    };
    let mut op = json!({"operationId": method, "summary": summary, "responses": ok(result)});
    if let Some(r) = request {
        op["requestBody"] = body(r);
    }
    (verb, op)
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for m in METHODS
        .iter()
        .copied()
        .chain(std::iter::once("documentation"))
    {
        let (verb, op) = operation(m);
        paths.insert(format!("/{m}"), json!({ verb: op }));
    }
    let add_required: Vec<&str> = FIELDS
        .iter()
        .filter(|d| required(d.v3))
        .map(|d| d.v3)
        .collect();
    let user: Map<String, Value> = USER_FIELDS
        .iter()
        .map(|f| {
            let t = match *f {
                "id" => json!({"type": "integer"}),
                "image" => json!({"type": "object", "nullable": true}),
                _ => json!({"type": "string", "nullable": true}),
            };
            (f.to_string(), t)
        })
        .collect();
    let group: Map<String, Value> = GROUP_FIELDS
        .iter()
        .map(|f| {
            let t = match *f {
                "id" => json!({"type": "integer"}),
                "isVisible" => json!({"type": "boolean"}),
                "image" => json!({"type": "object", "nullable": true}),
                _ => json!({"type": "string"}),
            };
            (f.to_string(), t)
        })
        .collect();
    let mut task = object(FIELDS.iter(), &[]);
    for (name, schema) in [
        ("creator", reference("User")),
        ("responsible", reference("User")),
        ("changedBy", reference("User")),
        ("statusChangedBy", reference("User")),
        ("closedBy", reference("User")),
        ("group", reference("Group")),
    ] {
        task["properties"][name] = schema;
    }
    let result_props: Map<String, Value> = RESULT_FIELDS
        .iter()
        .map(|f| {
            let t = match *f {
                "id" | "taskId" | "authorId" | "messageId" => json!({"type": "integer"}),
                "author" => reference("User"),
                "createdAt" | "updatedAt" => json!({"type": "string", "format": "date-time"}),
                "status" => json!({"type": "string", "enum": ["open", "closed"]}),
                "fileIds" => json!({"type": "array", "items": {"type": "integer"}}),
                "rights" => json!({"type": "object", "additionalProperties": {"type": "boolean"}}),
                _ => json!({"type": "string"}),
            };
            (f.to_string(), t)
        })
        .collect();
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Bitrix24 REST 3.0 (b24bridge emulator)", "version": "3.0"},
        "servers": [{"url": "/rest/api"}],
        "paths": paths,
        "components": {"schemas": {
            "Task": task,
            "TaskAddFields": object(FIELDS.iter().filter(|d| d.editable || d.f == F::CreatedBy), &add_required),
            "TaskUpdateFields": object(FIELDS.iter().filter(|d| d.editable), &[]),
            "TaskResult": {"type": "object", "properties": result_props},
            "User": {"type": "object", "properties": user},
            "Group": {"type": "object", "properties": group},
            "FieldInfo": {"type": "object", "properties": {
                "name": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"},
                "filterable": {"type": "boolean"}, "sortable": {"type": "boolean"}, "editable": {"type": "boolean"},
                "multiple": {"type": "boolean"}, "required": {"type": "boolean"}}},
            "Filter": {"type": "array", "items": {"oneOf": [
                {"type": "array", "minItems": 2, "maxItems": 3},
                {"type": "object", "properties": {"logic": {"type": "string", "enum": ["and", "or"]},
                    "negative": {"type": "boolean"}, "conditions": {"type": "array"}}, "required": ["conditions"]}]}},
            "Pagination": {"type": "object", "properties": {"page": {"type": "integer", "minimum": 1},
                "limit": {"type": "integer", "minimum": 1, "maximum": 1000}, "offset": {"type": "integer", "minimum": 0}}},
            "Time": {"type": "object"},
            "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "validation": {"type": "array", "items": {"type": "object", "properties": {
                    "field": {"type": "string"}, "message": {"type": "string"}}}}}}}}
        }}
    })
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::Emulator;
    use super::*;

    #[test]
    fn paths_are_exactly_the_served_methods() {
        let e = Emulator::new(1);
        for name in ["rest.documentation.openapi", "documentation"] {
            let a = e.call_v3(name, &Value::Null, &ADMIN, None);
            assert_eq!(a.status, 200);
            let paths: Vec<String> = a.body["result"]["paths"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let mut want: Vec<String> = METHODS.iter().map(|m| format!("/{m}")).collect();
            want.push("/documentation".into());
            assert_eq!(paths, want);
            // every served path answers something other than 404
            for p in &paths {
                let m = p.trim_start_matches('/');
                let r = e.call_v3(m, &json!({}), &ADMIN, None);
                assert_ne!(r.status, 404, "{m}");
            }
        }
    }

    #[test]
    fn add_schema_comes_from_the_field_table() {
        let d = document();
        let add = &d["components"]["schemas"]["TaskAddFields"];
        assert_eq!(
            add["required"],
            json!(["title", "creatorId", "responsibleId"])
        );
        assert!(add["properties"].get("creatorId").is_some());
        assert!(d["components"]["schemas"]["TaskUpdateFields"]["properties"]
            .get("creatorId")
            .is_none());
        assert_eq!(
            add["properties"]["priority"]["enum"],
            json!(["low", "average", "high"])
        );
    }
}
