//! v2 `fields` of add/update read into neutral [`Changes`]. Names are the upper snake case
//! ones of fields.md (case and underscores are not significant); names the portal does not
//! know, read-only fields and undefined `UF_*` fields are ignored, as the PHP task API
//! ignores keys it has no use for. Values are loosely typed as PHP reads them.

use super::values::{flag, intval, items, norm_name, strict_int, text};
use crate::clock::parse_date;
use crate::store::{Biz, Changes, FileRef, Mark};
use serde_json::{Map, Value};

const DURATION_TYPES: [&str; 7] = ["secs", "mins", "hours", "days", "weeks", "monts", "years"];

fn id_or_none(v: &Value) -> Option<u64> {
    u64::try_from(intval(v)).ok().filter(|n| *n > 0)
}

fn user_id(v: &Value) -> u64 {
    u64::try_from(intval(v)).unwrap_or(0)
}

fn ids(v: &Value) -> Vec<u64> {
    items(v).into_iter().filter_map(id_or_none).collect()
}

/// `""`/null clears a date; a date that does not parse leaves the field alone.
fn date(v: &Value) -> Option<Option<i64>> {
    let s = text(v);
    if s.trim().is_empty() {
        return Some(None);
    }
    parse_date(&s).map(Some)
}

fn files(v: &Value) -> Vec<FileRef> {
    let mut out = Vec::new();
    for item in items(v) {
        let s = text(item);
        let s = s.trim();
        if let Some(drive) = s.strip_prefix(['n', 'N']) {
            if let Ok(n) = drive.parse::<u64>() {
                out.push(FileRef::Drive(n));
            }
        } else if let Ok(n) = s.parse::<u64>() {
            if n > 0 {
                out.push(FileRef::Attached(n));
            }
        }
    }
    out
}

fn se_parameter(v: &Value, c: &mut Changes) {
    for item in items(v) {
        let Some(o) = item.as_object() else { continue };
        let get = |name: &str| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let on = get("VALUE").is_some_and(flag);
        match get("CODE").map(intval) {
            Some(1) => c.matches_subtasks_time = Some(on),
            Some(2) => c.autocomplete_subtasks = Some(on),
            Some(3) => c.require_result = Some(on),
            _ => {}
        }
    }
}

/// Reads `fields`. Only an invalid `STATUS` is refused here (the pages' "Incorrect status").
pub fn read(fields: &Map<String, Value>) -> Result<Changes, Biz> {
    let mut c = Changes::default();
    for (name, v) in fields {
        match norm_name(name).as_str() {
            "TITLE" => c.title = Some(text(v)),
            "DESCRIPTION" => c.description = Some(text(v)),
            "DESCRIPTIONINBBCODE" => c.description_in_bbcode = Some(flag(v)),
            "PARENTID" => c.parent_id = Some(id_or_none(v)),
            "MARK" => match text(v).trim().to_ascii_uppercase().as_str() {
                "" => c.mark = Some(None),
                "P" => c.mark = Some(Some(Mark::Positive)),
                "N" => c.mark = Some(Some(Mark::Negative)),
                _ => {}
            },
            "PRIORITY" => {
                if let Some(p @ 0..=2) = strict_int(v) {
                    c.priority = Some(p as u8);
                }
            }
            "MULTITASK" => c.multitask = Some(flag(v)),
            "REPLICATE" => c.replicate = Some(flag(v)),
            "STAGEID" => c.stage_id = Some(id_or_none(v)),
            "CREATEDBY" => c.created_by = Some(user_id(v)),
            "RESPONSIBLEID" => c.responsible_id = Some(user_id(v)),
            "ACCOMPLICES" => c.accomplices = Some(ids(v)),
            "AUDITORS" => c.auditors = Some(ids(v)),
            "DEADLINE" => c.deadline = date(v).or(c.deadline),
            "STARTDATEPLAN" => c.start_plan = date(v).or(c.start_plan),
            "ENDDATEPLAN" => c.end_plan = date(v).or(c.end_plan),
            "XMLID" => c.xml_id = Some(Some(text(v)).filter(|s| !s.is_empty())),
            "ALLOWCHANGEDEADLINE" => c.allow_change_deadline = Some(flag(v)),
            "ALLOWTIMETRACKING" => c.allow_time_tracking = Some(flag(v)),
            "TASKCONTROL" => c.task_control = Some(flag(v)),
            "ADDINREPORT" => c.add_in_report = Some(flag(v)),
            "TIMEESTIMATE" => c.time_estimate = Some(intval(v).max(0)),
            "MATCHWORKTIME" => c.match_work_time = Some(flag(v)),
            "DURATIONPLAN" => {
                c.duration_plan = Some(Some(intval(v)).filter(|_| !text(v).trim().is_empty()))
            }
            "DURATIONTYPE" => {
                let t = text(v).trim().to_ascii_lowercase();
                if DURATION_TYPES.contains(&t.as_str()) {
                    c.duration_type = Some(t);
                }
            }
            "STATUS" => match strict_int(v) {
                Some(s @ 2..=7) => c.status = Some(s as u8),
                _ => return Err(Biz::BadStatus),
            },
            "GROUPID" => c.group_id = Some(id_or_none(v)),
            "FLOWID" => c.flow_id = Some(id_or_none(v)),
            "UFCRMTASK" => {
                c.crm_items = Some(
                    items(v)
                        .into_iter()
                        .map(text)
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            "UFTASKWEBDAVFILES" => c.files = Some(files(v)),
            "UFMAILMESSAGE" => c.mail_message = Some(id_or_none(v)),
            "SEPARAMETER" => se_parameter(v, &mut c),
            "TAGS" => {
                c.tags = Some(match v {
                    Value::String(s) => s.split(',').map(str::to_string).collect(),
                    other => items(other).into_iter().map(text).collect(),
                })
            }
            "DEPENDSON" => c.depends_on = Some(ids(v)),
            "SITEID" => {
                let s = text(v);
                if !s.trim().is_empty() {
                    c.site_id = Some(s.trim().to_string());
                }
            }
            _ => {}
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_json(v: Value) -> Result<Changes, Biz> {
        read(v.as_object().unwrap_or(&Map::new()))
    }

    #[test]
    fn reads_the_update_example() {
        let c = read_json(json!({"UF_CRM_TASK": ["L_4", "C_7", "CO_5", "D_10"], "UF_TASK_WEBDAV_FILES": ["n12345", "n67890"], "RESPONSIBLE_ID": 123}))
            .unwrap_or_default();
        assert_eq!(
            c.crm_items,
            Some(vec![
                "L_4".into(),
                "C_7".into(),
                "CO_5".into(),
                "D_10".into()
            ])
        );
        assert_eq!(
            c.files,
            Some(vec![FileRef::Drive(12345), FileRef::Drive(67890)])
        );
        assert_eq!(c.responsible_id, Some(123));
    }

    #[test]
    fn loose_values_clears_and_ignored_names() {
        let c = read_json(json!({"title": "T", "DEADLINE": "", "START_DATE_PLAN": "not a date", "NONSENSE": 1, "ID": 5, "UF_CUSTOM": "x", "PRIORITY": "9", "TASK_CONTROL": "Y", "SE_PARAMETER": [{"CODE": 3, "VALUE": "Y"}]}))
            .unwrap_or_default();
        assert_eq!(c.title.as_deref(), Some("T"));
        assert_eq!(c.deadline, Some(None));
        assert_eq!(c.start_plan, None);
        assert_eq!(c.priority, None);
        assert_eq!(c.task_control, Some(true));
        assert_eq!(c.require_result, Some(true));
        let known = Changes {
            title: c.title.clone(),
            deadline: Some(None),
            task_control: Some(true),
            require_result: Some(true),
            ..Changes::default()
        };
        assert_eq!(c, known);
        assert_eq!(read_json(json!({"STATUS": "abc"})), Err(Biz::BadStatus));
        assert_eq!(
            read_json(json!({"STATUS": "3"})).map(|c| c.status),
            Ok(Some(3))
        );
    }
}
