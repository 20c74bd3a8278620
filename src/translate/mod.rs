//! Pure translation of a v2 call into REST 3.0 requests, and of the answers back.
//!
//! Nothing here does I/O: [`plan`] turns a method rule and the decoded v2 parameters into a
//! [`Plan`] (the v3 requests to send and how to render their answers), and the `render`
//! and `errors` modules turn v3 answers into v2 ones. The executor in `crate::execute`
//! sends the requests. Where a call cannot be expressed exactly, planning answers
//! [`Unexpressible`] and the caller applies the rule's fallback.
//!
//! - `filter`: `{">=ID": 5}` → `[["id", ">=", 5]]`
//! - `select`: `["ID", "TITLE"]` → `["id", "title"]` and the shape of the v2 answer
//! - `order`: `{"ID": "desc"}` → `{"id": "DESC"}`
//! - `write`: `{"TITLE": "x"}` → `{"title": "x"}`
//! - `convert`: value converters (`"412"` ↔ `412`, `"Y"` ↔ `true`, `"2"` ↔ `"pending"`)

pub mod answer;
mod bbcode;
pub mod convert;
pub mod count;
pub mod errors;
pub mod filter;
pub mod order;
pub mod render;
pub mod reply;
pub mod select;
pub mod write;

use serde_json::{Map, Value};

use select::{Render, Shape};

use crate::decode::value::{int_value, is_empty_value, param};
use crate::rules::{Converter, Kind, MethodRule, RuleSet, StartRounding, V2Error};

/// Why a v2 call cannot be expressed in REST 3.0 exactly; the rule's fallback applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexpressible(pub String);

/// Who calls, as far as translation needs to know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// The calling user's id: the webhook's user, or the OAuth token's once learned.
    pub caller: Option<u64>,
    /// Allow SDK-documented filter groups (`logic: "and"`).
    pub sdk_filter_groups: bool,
}

impl Context {
    pub fn for_rules(rules: &RuleSet, caller: Option<u64>) -> Self {
        Context {
            caller,
            sdk_filter_groups: rules.sdk_filter_groups,
        }
    }
}

/// The re-read after a write, which rebuilds v2's full entity answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reread {
    pub method: String,
    pub select: Vec<String>,
    pub shape: Shape,
}

/// The v3 requests a v2 call becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Get {
        request: Map<String, Value>,
        shape: Shape,
    },
    List {
        /// The page request without `pagination`, which the executor adds.
        request: Map<String, Value>,
        shape: Shape,
        /// v2 `start`; `None` for `start=-1` (no count, no `next`).
        start: Option<u64>,
    },
    Add {
        request: Map<String, Value>,
        reread: Option<Reread>,
    },
    Update {
        request: Map<String, Value>,
        id: i64,
        reread: Option<Reread>,
    },
    Delete {
        request: Map<String, Value>,
    },
    /// A call v2 answers with an error before doing anything (a malformed parameter):
    /// the bridge answers it the same way, without asking the portal.
    Refuse(V2Error),
}

/// Why planning stopped: the call goes to the fallback, or v2's own error is the answer.
enum Refusal {
    Fallback(Unexpressible),
    Answer(V2Error),
}

impl From<Unexpressible> for Refusal {
    fn from(why: Unexpressible) -> Self {
        Refusal::Fallback(why)
    }
}

/// v2's error for a malformed parameter when the rule states it, else the fallback.
fn malformed(answer: &Option<V2Error>, why: String) -> Refusal {
    match answer {
        Some(error) => Refusal::Answer(error.clone()),
        None => Refusal::Fallback(Unexpressible(why)),
    }
}

impl Plan {
    /// True for calls that change data: they carry an `Idempotency-Key`.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Plan::Add { .. } | Plan::Update { .. } | Plan::Delete { .. }
        )
    }

    /// The first v3 request body, to adjust before sending (batch references); `None` for
    /// a call answered without asking the portal.
    pub fn first_request_mut(&mut self) -> Option<&mut Map<String, Value>> {
        match self {
            Plan::Get { request, .. }
            | Plan::List { request, .. }
            | Plan::Add { request, .. }
            | Plan::Update { request, .. }
            | Plan::Delete { request } => Some(request),
            Plan::Refuse(_) => None,
        }
    }

    /// The first v3 request body, for display.
    pub fn first_request(&self) -> Option<&Map<String, Value>> {
        match self {
            Plan::Get { request, .. }
            | Plan::List { request, .. }
            | Plan::Add { request, .. }
            | Plan::Update { request, .. }
            | Plan::Delete { request } => Some(request),
            Plan::Refuse(_) => None,
        }
    }
}

/// True when rendering or planning this rule needs the caller's user id.
pub fn needs_caller(rule: &MethodRule) -> bool {
    rule.fill_from_caller.is_some()
        || rule
            .entity
            .fields
            .iter()
            .any(|f| matches!(f.converter, Converter::MemberFlag))
}

/// Plans the v3 requests for a v2 call.
pub fn plan(
    rule: &MethodRule,
    params: &Map<String, Value>,
    ctx: Context,
) -> Result<Plan, Unexpressible> {
    match plan_call(rule, params, ctx) {
        Ok(plan) => Ok(plan),
        Err(Refusal::Answer(error)) => Ok(Plan::Refuse(error)),
        Err(Refusal::Fallback(why)) => Err(why),
    }
}

fn plan_call(
    rule: &MethodRule,
    params: &Map<String, Value>,
    ctx: Context,
) -> Result<Plan, Refusal> {
    for name in &rule.unsupported_params {
        if param(params, name).is_some_and(|v| !is_empty_value(v)) {
            return Err(Refusal::Fallback(Unexpressible(format!(
                "parameter {name} has no REST 3.0 counterpart"
            ))));
        }
    }
    let entity = &rule.entity;
    let errors = &rule.param_errors;
    let id = || -> Result<i64, Refusal> {
        let p = rule
            .id_param
            .as_ref()
            .ok_or_else(|| Unexpressible("the rule names no id parameter".into()))?;
        let value = param(params, &p.v2)
            .filter(|v| !v.is_null())
            .ok_or_else(|| malformed(&errors.id_missing, format!("{} is missing", p.v2)))?;
        int_value(value).filter(|id| *id > 0).ok_or_else(|| {
            malformed(
                &errors.id_invalid,
                format!("{} is not a positive integer", p.v2),
            )
        })
    };
    let id_key = || {
        rule.id_param
            .as_ref()
            .map(|p| p.v3.clone())
            .unwrap_or_else(|| "id".into())
    };
    let select = || -> Result<Vec<String>, Refusal> {
        let given = param(params, "select").filter(|v| !v.is_null());
        if given.is_some_and(|v| !v.is_array() && !v.is_object()) && errors.select_invalid.is_some()
        {
            return Err(malformed(
                &errors.select_invalid,
                "select is not a list".into(),
            ));
        }
        Ok(select::requested(given)?)
    };
    let fields = || -> Result<&Value, Refusal> {
        param(params, "fields")
            .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
            .ok_or_else(|| malformed(&errors.fields_missing, "fields is missing or empty".into()))
    };
    match rule.kind {
        Kind::Get => {
            let id = id()?;
            let names = select()?;
            let (shape, v3_select) = select::shape(entity, &names, Render::Single)?;
            let mut request = Map::new();
            request.insert(id_key(), Value::from(id));
            request.insert("select".into(), strings(v3_select));
            Ok(Plan::Get { request, shape })
        }
        Kind::List => {
            let names = select()?;
            let (shape, v3_select) = select::shape(entity, &names, Render::Row)?;
            let options = filter::FilterOptions {
                and_groups: ctx.sdk_filter_groups,
            };
            let mut conditions = Vec::new();
            if let Some(parent) = &rule.parent_param {
                let value = param(params, &parent.v2)
                    .ok_or_else(|| Unexpressible(format!("{} is missing", parent.v2)))?;
                let condition = filter::parent_condition(&parent.v3, value)
                    .map_err(|why| malformed(&errors.parent_invalid, why.0))?;
                conditions.push(condition);
            }
            if let Some(f) = param(params, "filter") {
                conditions.extend(filter::translate(f, entity, options)?);
            }
            let order = order::translate(param(params, "order"), entity, &rule.default_order)?;
            let start = match param(params, "start") {
                None => Some(0),
                Some(v) if is_empty_value(v) => Some(0),
                Some(v) => match int_value(v) {
                    Some(-1) => None,
                    Some(n) if n >= 0 => Some(match rule.start_rounding {
                        StartRounding::Page => {
                            n as u64 / rule.page_size as u64 * rule.page_size as u64
                        }
                        StartRounding::Exact => n as u64,
                    }),
                    _ => return Err(Unexpressible(format!("start {v} is not an offset")).into()),
                },
            };
            let mut request = Map::new();
            request.insert("select".into(), strings(v3_select));
            if !conditions.is_empty() {
                request.insert("filter".into(), Value::Array(conditions));
            }
            if !order.is_empty() {
                request.insert("order".into(), Value::Object(order));
            }
            Ok(Plan::List {
                request,
                shape,
                start,
            })
        }
        Kind::Add => {
            let mut fields = write::translate(fields()?, entity, write::WriteKind::Create)?;
            for f in entity.fields.iter().filter(|f| f.required) {
                let present =
                    f.v3.as_deref()
                        .is_some_and(|v3| fields.get(v3).is_some_and(|v| !is_empty_value(v)));
                if !present {
                    return Err(Unexpressible(format!(
                        "{} is missing; v2 answers that error itself",
                        f.v2.as_deref().unwrap_or(&f.key)
                    ))
                    .into());
                }
            }
            if let Some(v3) = &rule.fill_from_caller {
                if !fields.contains_key(v3) {
                    let me = ctx
                        .caller
                        .ok_or_else(|| Unexpressible("the calling user is not known".into()))?;
                    fields.insert(v3.clone(), Value::from(me));
                }
            }
            let mut request = Map::new();
            request.insert("fields".into(), Value::Object(fields));
            Ok(Plan::Add {
                request,
                reread: reread(rule)?,
            })
        }
        Kind::Update => {
            let id = id()?;
            let fields = write::translate(fields()?, entity, write::WriteKind::Update)?;
            if fields.is_empty() {
                return Err(
                    Unexpressible("no field of the update is one REST 3.0 writes".into()).into(),
                );
            }
            let mut request = Map::new();
            request.insert(id_key(), Value::from(id));
            request.insert("fields".into(), Value::Object(fields));
            Ok(Plan::Update {
                request,
                id,
                reread: reread(rule)?,
            })
        }
        Kind::Delete => {
            let mut request = Map::new();
            request.insert(id_key(), Value::from(id()?));
            Ok(Plan::Delete { request })
        }
    }
}

fn reread(rule: &MethodRule) -> Result<Option<Reread>, Unexpressible> {
    match &rule.reread_with {
        None => Ok(None),
        Some(method) => {
            let (shape, select) = select::shape(&rule.entity, &[], Render::Single)?;
            Ok(Some(Reread {
                method: method.clone(),
                select,
                shape,
            }))
        }
    }
}

/// Names as a JSON array, moved rather than copied (a full select has some 70).
fn strings(names: Vec<String>) -> Value {
    Value::Array(names.into_iter().map(Value::String).collect())
}
