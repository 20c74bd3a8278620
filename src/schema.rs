//! What the portal itself says about REST 3.0: which methods exist
//! (`rest.documentation.openapi`) and which fields can be filtered, sorted and written
//! (`*.field.list`). The built-in rules are the default; a portal's answers can check them
//! (`b24bridge check --portal`) or refine them at start-up (`[schema] webhook`).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::BridgeError;
use crate::rules::{Entity, MethodRoute, RuleSet};
use crate::upstream::{Credentials, UpstreamClient};

/// One field as a `*.field.list` method describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: String,
    pub filterable: bool,
    pub sortable: bool,
    pub editable: bool,
}

/// The portal's REST 3.0 schema, as far as the rules need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortalSchema {
    /// v3 method names (lower case).
    pub methods: HashSet<String>,
    /// Field lists by entity name (entities whose rule names a `field_list` method).
    pub fields: BTreeMap<String, Vec<FieldInfo>>,
}

/// The method names an OpenAPI document's `paths` describe (`/tasks.task.get` → `tasks.task.get`).
pub fn methods_from_openapi(doc: &Value) -> HashSet<String> {
    let paths = doc
        .get("result")
        .and_then(|r| r.get("paths"))
        .or_else(|| doc.get("paths"))
        .and_then(Value::as_object);
    paths
        .map(|p| {
            p.keys()
                .map(|k| {
                    k.trim_start_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase()
                })
                .filter(|k| !k.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The fields of a `*.field.list` answer (`result.items`).
pub fn fields_from_field_list(answer: &Value) -> Vec<FieldInfo> {
    let flag = |item: &Value, key: &str| item.get(key).and_then(Value::as_bool).unwrap_or(false);
    answer
        .get("result")
        .and_then(|r| r.get("items"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    Some(FieldInfo {
                        name: item.get("name")?.as_str()?.to_owned(),
                        filterable: flag(item, "filterable"),
                        sortable: flag(item, "sortable"),
                        editable: flag(item, "editable"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asks the portal, with a webhook's credentials, for its REST 3.0 schema.
pub async fn fetch(
    client: &UpstreamClient,
    webhook: &Credentials,
    rules: &RuleSet,
) -> Result<PortalSchema, BridgeError> {
    let doc = client
        .post_json(&webhook.v3_call("rest.documentation.openapi", Map::new()))
        .await?;
    if doc.status != 200 {
        return Err(BridgeError::UpstreamProtocol(format!(
            "rest.documentation.openapi answered HTTP {}",
            doc.status
        )));
    }
    let mut schema = PortalSchema {
        methods: methods_from_openapi(&doc.body),
        fields: BTreeMap::new(),
    };
    for (entity, method) in rules.field_list_methods() {
        // The attributes the rules rely on; without a select the field list leaves some out.
        let mut query = Map::new();
        query.insert(
            "select".into(),
            serde_json::json!(["name", "filterable", "sortable", "editable"]),
        );
        let answer = client.post_json(&webhook.v3_call(&method, query)).await?;
        if answer.status == 200 {
            schema
                .fields
                .insert(entity, fields_from_field_list(&answer.body));
        }
    }
    Ok(schema)
}

/// How serious a difference between the rules and the portal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The portal allows more than the rule uses.
    Note,
    /// A rule relies on something the portal does not offer: calls would fail.
    Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub key: String,
    pub message: String,
}

/// Compares the rules with the portal's schema.
pub fn compare(rules: &RuleSet, schema: &PortalSchema) -> Vec<Finding> {
    let mut out = Vec::new();
    let problem = |key: String, message: String| Finding {
        severity: Severity::Problem,
        key,
        message,
    };
    for name in rules.method_names() {
        let Some(MethodRoute::V3(rule)) = rules.route(name) else {
            continue;
        };
        for v3 in std::iter::once(&rule.v3_method).chain(rule.reread_with.iter()) {
            if !schema.methods.contains(&v3.to_ascii_lowercase()) {
                out.push(problem(
                    format!("methods.\"{name}\""),
                    format!("the portal's OpenAPI document has no method {v3}"),
                ));
            }
        }
    }
    for (entity_name, entity) in rules.entities() {
        let Some(fields) = schema.fields.get(&entity_name) else {
            continue;
        };
        for f in &entity.fields {
            let Some(v3) = &f.v3 else { continue };
            let key = format!("entities.{entity_name} field {:?}", f.key);
            let Some(info) = fields.iter().find(|i| &i.name == v3) else {
                out.push(Finding {
                    severity: if f.filterable || f.sortable || f.writable {
                        Severity::Problem
                    } else {
                        Severity::Note
                    },
                    key,
                    message: format!("the portal lists no field {v3}"),
                });
                continue;
            };
            for (claim, offered, what) in [
                (f.filterable, info.filterable, "filterable"),
                (f.sortable, info.sortable, "sortable"),
                // A create-only field is not "editable" in the field list's sense.
                (f.writable && !f.create_only, info.editable, "editable"),
            ] {
                if claim && !offered {
                    out.push(problem(
                        key.clone(),
                        format!("the rule relies on {v3} being {what}; the portal says it is not"),
                    ));
                } else if offered && !claim && f.v2.is_some() {
                    out.push(Finding {
                        severity: Severity::Note,
                        key: key.clone(),
                        message: format!(
                            "the portal says {v3} is {what}; the rule does not use it"
                        ),
                    });
                }
            }
        }
    }
    out
}

/// The rules refined by the portal: methods it lacks go to v2, and a field is filterable,
/// sortable or writable exactly when both the rule and the portal allow it.
pub fn apply(rules: &RuleSet, schema: &PortalSchema) -> RuleSet {
    let mut learned = rules.clone();
    let restrict = |entity: &Entity| -> Entity {
        let mut e = entity.clone();
        if let Some(fields) = schema.fields.get(&e.name) {
            for f in &mut e.fields {
                let info =
                    f.v3.as_ref()
                        .and_then(|v3| fields.iter().find(|i| &i.name == v3));
                if let Some(info) = info {
                    f.filterable &= info.filterable;
                    f.sortable &= info.sortable;
                    if !f.create_only {
                        f.writable &= info.editable;
                    }
                }
            }
        }
        e
    };
    learned.map_routes(|route| match route {
        MethodRoute::V3(rule)
            if !schema
                .methods
                .contains(&rule.v3_method.to_ascii_lowercase()) =>
        {
            MethodRoute::V2
        }
        MethodRoute::V3(rule) => {
            let mut r = (**rule).clone();
            r.entity = Arc::new(restrict(&rule.entity));
            MethodRoute::V3(Arc::new(r))
        }
        other => other.clone(),
    });
    learned
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openapi_paths_name_methods() {
        let doc = json!({"openapi": "3.0.0", "paths": {"/tasks.task.get": {}, "/rest/api/tasks.task.list": {}}});
        let methods = methods_from_openapi(&doc);
        assert!(methods.contains("tasks.task.get") && methods.contains("tasks.task.list"));
    }

    #[test]
    fn field_lists_are_read() {
        let answer = json!({"result": {"items": [{"name": "id", "filterable": true, "sortable": true, "editable": false}]}});
        assert_eq!(
            fields_from_field_list(&answer),
            vec![FieldInfo {
                name: "id".into(),
                filterable: true,
                sortable: true,
                editable: false
            }]
        );
    }
}
