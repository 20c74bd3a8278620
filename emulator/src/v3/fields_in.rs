//! REST 3.0 `fields` of add/update read strictly into [`Changes`]: every key must be a
//! TaskDto field (else `UNKNOWNDTOPROPERTYEXCEPTION`), editable (else the validation error
//! "requires the presence of the `Editable` attribute"; `creatorId` is editable on add
//! only), and of its type (else "requires data type …"). Nullable references and dates take
//! `null` to clear.

use super::dto::Dto;
use super::render::status_code;
use super::V3Err;
use crate::clock::parse_date;
use crate::store::{Changes, Mark};
use serde_json::{Map, Value};

fn int(name: &str, v: &Value) -> Result<i64, V3Err> {
    v.as_i64().ok_or_else(|| V3Err::wrong_type(name, "int"))
}

fn opt_id(name: &str, v: &Value) -> Result<Option<u64>, V3Err> {
    if v.is_null() {
        return Ok(None);
    }
    let n = int(name, v)?;
    Ok(u64::try_from(n).ok().filter(|n| *n > 0))
}

fn id(name: &str, v: &Value) -> Result<u64, V3Err> {
    Ok(u64::try_from(int(name, v)?).unwrap_or(0))
}

fn string(name: &str, v: &Value) -> Result<String, V3Err> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| V3Err::wrong_type(name, "string"))
}

fn boolean(name: &str, v: &Value) -> Result<bool, V3Err> {
    v.as_bool().ok_or_else(|| V3Err::wrong_type(name, "bool"))
}

fn date(name: &str, v: &Value) -> Result<Option<i64>, V3Err> {
    if v.is_null() {
        return Ok(None);
    }
    let s = v
        .as_str()
        .ok_or_else(|| V3Err::wrong_type(name, "DateTime"))?;
    parse_date(s)
        .map(Some)
        .ok_or_else(|| V3Err::wrong_type(name, "DateTime"))
}

fn ids(name: &str, v: &Value) -> Result<Vec<u64>, V3Err> {
    let arr = v
        .as_array()
        .ok_or_else(|| V3Err::wrong_type(name, "array"))?;
    arr.iter()
        .map(|x| x.as_u64().ok_or_else(|| V3Err::wrong_type(name, "int[]")))
        .collect()
}

fn strings(name: &str, v: &Value) -> Result<Vec<String>, V3Err> {
    let arr = v
        .as_array()
        .ok_or_else(|| V3Err::wrong_type(name, "array"))?;
    arr.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| V3Err::wrong_type(name, "string[]"))
        })
        .collect()
}

/// Reads `fields`; `creating` allows `creatorId`.
pub fn read(fields: &Map<String, Value>, creating: bool) -> Result<Changes, V3Err> {
    let mut c = Changes::default();
    for (name, v) in fields {
        let Some(field) = Dto::Task.field(name) else {
            return Err(V3Err::unknown_field(name, Dto::Task.entity()));
        };
        let editable = field.editable && (creating || name != "creatorId");
        if !editable {
            return Err(V3Err::not_editable(name));
        }
        let n = name.as_str();
        match n {
            "title" => c.title = Some(string(n, v)?),
            "description" => c.description = Some(string(n, v)?),
            "creatorId" => c.created_by = Some(id(n, v)?),
            "responsibleId" => c.responsible_id = Some(id(n, v)?),
            "deadline" => c.deadline = Some(date(n, v)?),
            "needsControl" => c.task_control = Some(boolean(n, v)?),
            "startPlan" => c.start_plan = Some(date(n, v)?),
            "endPlan" => c.end_plan = Some(date(n, v)?),
            "groupId" => c.group_id = Some(opt_id(n, v)?),
            "stageId" => c.stage_id = Some(opt_id(n, v)?),
            "flowId" => c.flow_id = Some(opt_id(n, v)?),
            "priority" => {
                c.priority = Some(match v.as_str() {
                    Some("low") => 0,
                    Some("average") => 1,
                    Some("high") => 2,
                    _ => return Err(V3Err::wrong_type(n, "TaskPriority")),
                })
            }
            "status" => {
                c.status = Some(
                    v.as_str()
                        .and_then(status_code)
                        .ok_or_else(|| V3Err::wrong_type(n, "TaskStatus"))?,
                )
            }
            "accomplices" => c.accomplices = Some(ids(n, v)?),
            "auditors" => c.auditors = Some(ids(n, v)?),
            "parentId" => c.parent_id = Some(opt_id(n, v)?),
            "plannedDuration" => {
                c.duration_plan = Some(if v.is_null() { None } else { Some(int(n, v)?) })
            }
            "durationType" => c.duration_type = Some(string(n, v)?),
            "estimatedTime" => c.time_estimate = Some(int(n, v)?.max(0)),
            "replicate" => c.replicate = Some(boolean(n, v)?),
            "xmlId" => {
                c.xml_id = Some(if v.is_null() {
                    None
                } else {
                    Some(string(n, v)?)
                })
            }
            "mark" => {
                c.mark = Some(match v.as_str() {
                    Some("none") => None,
                    Some("positive") => Some(Mark::Positive),
                    Some("negative") => Some(Mark::Negative),
                    _ => return Err(V3Err::wrong_type(n, "TaskMark")),
                })
            }
            "allowsChangeDeadline" => c.allow_change_deadline = Some(boolean(n, v)?),
            "allowsTimeTracking" => c.allow_time_tracking = Some(boolean(n, v)?),
            "matchesWorkTime" => c.match_work_time = Some(boolean(n, v)?),
            "addInReport" => c.add_in_report = Some(!v.is_null() && boolean(n, v)?),
            "isMultitask" => c.multitask = Some(boolean(n, v)?),
            "crmItemIds" => c.crm_items = Some(strings(n, v)?),
            "requireResult" => c.require_result = Some(boolean(n, v)?),
            "matchesSubTasksTime" => c.matches_subtasks_time = Some(boolean(n, v)?),
            "autocompleteSubTasks" => c.autocomplete_subtasks = Some(boolean(n, v)?),
            "allowsChangeDatePlan" => c.allows_change_date_plan = Some(boolean(n, v)?),
            "dependsOn" => c.depends_on = Some(ids(n, v)?),
            _ => return Err(V3Err::not_editable(n)),
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_json(v: Value, creating: bool) -> Result<Changes, V3Err> {
        read(v.as_object().unwrap_or(&Map::new()), creating)
    }

    fn message(e: Result<Changes, V3Err>) -> String {
        e.err()
            .map(|e| {
                e.validation
                    .first()
                    .map(|v| v.1.clone())
                    .unwrap_or(e.message)
            })
            .unwrap_or_default()
    }

    #[test]
    fn strict_types_and_attributes() {
        let ok = read_json(json!({"title": "T", "creatorId": 1, "responsibleId": 2, "deadline": "2026-01-01T00:59:59+03:00", "priority": "high", "accomplices": [3]}), true)
            .unwrap_or_default();
        assert_eq!(
            (ok.priority, ok.created_by, ok.accomplices.clone()),
            (Some(2), Some(1), Some(vec![3]))
        );
        assert_eq!(
            message(read_json(json!({"deadline": "soon"}), true)),
            "Field `deadline` requires data type `DateTime` for this request"
        );
        assert_eq!(
            message(read_json(json!({"title": 5}), true)),
            "Field `title` requires data type `string` for this request"
        );
        assert_eq!(
            message(read_json(json!({"creatorId": 1}), false)),
            "In DTO `TaskDto`, the field `creatorId` requires the presence of the `Editable` attribute for such a request"
        );
        assert_eq!(message(read_json(json!({"rights": {}}), false)), "In DTO `TaskDto`, the field `rights` requires the presence of the `Editable` attribute for such a request");
        assert_eq!(
            message(read_json(json!({"notViewed": "Y"}), false)),
            "Unknown field `notViewed` for entity `TaskDto`"
        );
        assert_eq!(
            read_json(json!({"deadline": null, "groupId": null}), false)
                .map(|c| (c.deadline, c.group_id)),
            Ok((Some(None), Some(None)))
        );
    }
}
