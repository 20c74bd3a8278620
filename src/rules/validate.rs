//! Checks raw rules and builds the immutable [`RuleSet`]: every problem is reported with
//! the key it concerns and the fix, not just the first one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::model::*;
use super::raw::{RawEntity, RawErrorRule, RawField, RawMethod, RawRules, RawV2Error};
use super::RuleError;

impl RuleSet {
    /// Checks every rule; reports every problem, not just the first.
    pub fn validate(raw: &RawRules) -> Result<RuleSet, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut enums = HashMap::new();
        for (name, pairs) in &raw.enums {
            let key = format!("enums.{name}");
            let mut seen2 = HashSet::new();
            let mut seen3 = HashSet::new();
            for [a, b] in pairs {
                if !seen2.insert(a) || !seen3.insert(b) {
                    errors.push(RuleError::new(
                        &key,
                        format!("the pair [{a:?}, {b:?}] repeats a value"),
                        "each v2 and each v3 value may appear once",
                    ));
                }
            }
            let table = EnumTable {
                pairs: pairs.iter().map(|[a, b]| (a.clone(), b.clone())).collect(),
            };
            enums.insert(name.clone(), Arc::new(table));
        }
        let mut entities = HashMap::new();
        for (name, entity) in &raw.entities {
            match validate_entity(name, entity, &enums) {
                Ok(e) => {
                    entities.insert(name.clone(), Arc::new(e));
                }
                Err(mut es) => errors.append(&mut es),
            }
        }
        let mut methods = HashMap::new();
        for (name, method) in &raw.methods {
            match validate_method(name, method, &entities) {
                Ok(route) => {
                    methods.insert(name.to_ascii_lowercase(), route);
                }
                Err(mut es) => errors.append(&mut es),
            }
        }
        let mut global_errors = Vec::new();
        for (i, e) in raw.errors.iter().enumerate() {
            match validate_error_rule(&format!("errors[{i}]"), e) {
                Ok(r) => global_errors.push(r),
                Err(e) => errors.push(e),
            }
        }
        let v3_batch_size = raw.translation.v3_batch_size.unwrap_or(50) as usize;
        if !(2..=50).contains(&v3_batch_size) {
            errors.push(RuleError::new(
                "translation.v3_batch_size",
                format!("{v3_batch_size} is outside 2..=50"),
                "use the portal's limit, 50, or fewer",
            ));
        }
        let utc_offset = match raw.translation.utc_offset.as_deref() {
            None | Some("auto") => None,
            Some(text) => match parse_utc_offset(text) {
                Some(offset) => Some(offset),
                None => {
                    errors.push(RuleError::new(
                        "translation.utc_offset",
                        format!("{text:?} is not an offset"),
                        "write \"auto\" or an offset such as \"+03:00\" or \"-05:30\"",
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(RuleSet {
                methods,
                entities: entities.into_iter().collect(),
                sdk_filter_groups: raw.translation.sdk_filter_groups.unwrap_or(false),
                json: JsonStyle {
                    escape_unicode: raw.translation.escape_unicode.unwrap_or(true),
                    escape_slashes: raw.translation.escape_slashes.unwrap_or(true),
                },
                utc_offset,
                v3_batch_size,
                errors: global_errors,
            })
        } else {
            Err(errors)
        }
    }
}

impl LayoutSource {
    pub fn parse(text: &str) -> Result<LayoutSource, String> {
        if let Some(json) = text.strip_prefix('=') {
            return serde_json::from_str(json)
                .map(LayoutSource::Literal)
                .map_err(|e| format!("{json:?} is not a JSON value: {e}"));
        }
        if text.contains("{id}") {
            return Ok(LayoutSource::Pattern(text.to_owned()));
        }
        let (name, default) = match text.split_once('|') {
            Some((n, d)) => (n, Some(d.to_owned())),
            None => (text, None),
        };
        let (name, as_string) = match name.strip_suffix(":string") {
            Some(n) => (n, true),
            None => (name, false),
        };
        if name.is_empty() {
            return Err("names no field".into());
        }
        Ok(LayoutSource::Field {
            name: name.to_owned(),
            as_string,
            default,
        })
    }
}

impl FlagSource {
    /// `flag`, `flag&in:field` or `flag&!in:field`.
    pub fn parse(text: &str) -> Result<FlagSource, String> {
        let (flag, condition) = match text.split_once('&') {
            Some((f, c)) => (f, Some(c)),
            None => (text, None),
        };
        let member_of = match condition {
            None => None,
            Some(c) => match (c.strip_prefix("in:"), c.strip_prefix("!in:")) {
                (Some(field), _) => Some((field.to_owned(), true)),
                (_, Some(field)) => Some((field.to_owned(), false)),
                _ => return Err(format!("condition {c:?} is not in:FIELD or !in:FIELD")),
            },
        };
        Ok(FlagSource {
            flag: flag.to_owned(),
            member_of,
        })
    }
}

fn one_of<T: Copy>(
    key: &str,
    value: Option<&str>,
    default: Option<T>,
    choices: &[(&str, T)],
) -> Result<T, RuleError> {
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    match value {
        None => default.ok_or_else(|| {
            RuleError::new(
                key,
                "is required",
                format!("set it to one of {}", names.join(", ")),
            )
        }),
        Some(v) => choices
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(v))
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                RuleError::new(
                    key,
                    format!("{v:?} is not a known value"),
                    format!("use one of {}", names.join(", ")),
                )
            }),
    }
}

fn validate_entity(
    name: &str,
    raw: &RawEntity,
    enums: &HashMap<String, Arc<EnumTable>>,
) -> Result<Entity, Vec<RuleError>> {
    let mut errors = Vec::new();
    let mut fields = Vec::new();
    let mut keys = HashSet::new();
    let mut v2_names = HashSet::new();
    for (i, raw_field) in raw.fields.iter().enumerate() {
        let key = format!("entities.{name}.fields[{i}] (key {:?})", raw_field.key);
        if raw_field.key.is_empty() {
            errors.push(RuleError::new(
                &key,
                "has no `key`",
                "give the key the v2 answer uses",
            ));
            continue;
        }
        if !keys.insert(raw_field.key.clone()) {
            errors.push(RuleError::new(
                &key,
                "repeats an answer key",
                "each `key` may appear once per entity",
            ));
        }
        if let Some(v2) = &raw_field.v2 {
            if !v2_names.insert(v2.to_ascii_uppercase()) {
                errors.push(RuleError::new(
                    &key,
                    format!("repeats the v2 name {v2:?}"),
                    "each v2 name may appear once per entity",
                ));
            }
        }
        match validate_field(&key, raw_field, enums) {
            Ok(f) => fields.push(f),
            Err(e) => errors.push(e),
        }
    }
    for field in &fields {
        for with in &field.with {
            if !fields.iter().any(|f| f.answers_to(with)) {
                errors.push(RuleError::new(
                    format!("entities.{name} field {:?}", field.key),
                    format!("`with = {with:?}` names no field of the entity"),
                    "name the v2 field whose selection brings this key",
                ));
            }
        }
    }
    let late_order = raw.late_order.clone().unwrap_or_default();
    for key in &late_order {
        if !fields.iter().any(|f| &f.key == key) {
            errors.push(RuleError::new(
                format!("entities.{name}.late_order"),
                format!("{key:?} is not an answer key of the entity"),
                "list `key`s of the entity's fields",
            ));
        }
    }
    for field in &mut fields {
        field.late_rank = late_order.iter().position(|k| k == &field.key);
    }
    if errors.is_empty() {
        Ok(Entity {
            name: name.to_owned(),
            field_list: raw.field_list.clone(),
            list_method: raw.list_method.clone(),
            fields,
            untranslatable: raw
                .untranslatable
                .iter()
                .flatten()
                .map(|n| n.to_ascii_uppercase())
                .collect(),
            default_shapes: Default::default(),
        })
    } else {
        Err(errors)
    }
}

fn validate_field(
    key: &str,
    raw: &RawField,
    enums: &HashMap<String, Arc<EnumTable>>,
) -> Result<Field, RuleError> {
    let layout = || -> Result<Vec<(String, LayoutSource)>, RuleError> {
        let pairs = raw.layout.as_ref().ok_or_else(|| {
            RuleError::new(
                key,
                "an object field needs `layout`",
                "list [v2 key, source] pairs",
            )
        })?;
        pairs
            .iter()
            .map(|[k, src]| {
                LayoutSource::parse(src)
                    .map(|s| (k.clone(), s))
                    .map_err(|e| {
                        RuleError::new(
                            key,
                            format!("layout source {src:?} {e}"),
                            "see README, Rules",
                        )
                    })
            })
            .collect()
    };
    let converter = match raw.kind.as_str() {
        "text" => Converter::Text,
        "datetime" => Converter::DateTime,
        "text_list" => Converter::TextList,
        "int_list" => Converter::IntList,
        "bool" => Converter::Bool,
        "bbcode_html" => Converter::BbcodeHtml,
        "int_string" => Converter::IntString,
        "int" => Converter::Int,
        "yes_no" => Converter::YesNo,
        kind @ ("enum" | "enum_int") => {
            let table = raw.enum_table.as_deref().ok_or_else(|| {
                RuleError::new(key, "an enum field needs `enum`", "name a table from [enums]")
            })?;
            Converter::Enum {
                table: enums.get(table).cloned().ok_or_else(|| {
                    RuleError::new(key, format!("enum table {table:?} does not exist"), "define it under [enums]")
                })?,
                numeric: kind == "enum_int",
            }
        }
        "id_list" => Converter::IdList,
        "member_flag" => Converter::MemberFlag,
        "user" => Converter::User { layout: layout()? },
        "user_map" => Converter::UserMap { layout: layout()? },
        "group" => Converter::Group { layout: layout()? },
        "flags" => Converter::Flags {
            map: raw
                .map
                .as_ref()
                .ok_or_else(|| RuleError::new(key, "a flags field needs `map`", "list [v2 key, v3 key] pairs"))?
                .iter()
                .map(|[a, b]| {
                    if b.is_empty() {
                        return Ok((a.clone(), None));
                    }
                    FlagSource::parse(b)
                        .map(|f| (a.clone(), Some(f)))
                        .map_err(|e| RuleError::new(key, e, "write flag, flag&in:FIELD or flag&!in:FIELD"))
                })
                .collect::<Result<_, _>>()?,
        },
        "constant" => Converter::Constant(match (&raw.value, &raw.value_json) {
            (_, Some(text)) => serde_json::from_str(text).map_err(|e| {
                RuleError::new(key, format!("`value_json` is not JSON: {e}"), "write one JSON value")
            })?,
            (Some(value), None) => value.clone(),
            (None, None) => {
                return Err(RuleError::new(
                    key,
                    "a constant field needs `value` or `value_json`",
                    "give the value v2 answers",
                ))
            }
        }),
        "se_parameter" => Converter::SeParameter {
            codes: raw
                .codes
                .as_ref()
                .ok_or_else(|| RuleError::new(key, "an se_parameter field needs `codes`", "list [CODE, v3 field] pairs"))?
                .iter()
                .map(|[a, b]| (a.clone(), b.clone()))
                .collect(),
        },
        other => {
            return Err(RuleError::new(
                key,
                format!("type {other:?} is not a known converter"),
                "use one of text, datetime, text_list, int_list, int_string, int, bool, yes_no, enum, enum_int, id_list, member_flag, user, user_map, group, flags, constant, se_parameter, bbcode_html",
            ))
        }
    };
    let needs_v3 = !matches!(converter, Converter::Constant(_));
    if needs_v3 && raw.v3.is_none() {
        return Err(RuleError::new(
            key,
            "has no `v3` field to read from",
            "name the v3 field, or make it `type = \"constant\"` with the neutral `value`",
        ));
    }
    let emit = one_of(
        &format!("{key}.emit"),
        raw.emit.as_deref(),
        Some(Emit::Selected),
        &[
            ("selected", Emit::Selected),
            ("always", Emit::Always),
            ("single", Emit::Single),
        ],
    )?;
    let select = match (&raw.select, &raw.v3) {
        (Some(s), _) => s.clone(),
        (None, Some(v3)) if needs_v3 => vec![v3.clone()],
        _ => Vec::new(),
    };
    if select.iter().any(|s| s.is_empty()) {
        return Err(RuleError::new(
            key,
            "has an empty `select` entry",
            "remove it",
        ));
    }
    Ok(Field {
        v2: raw.v2.as_ref().map(|s| s.to_ascii_uppercase()),
        key: raw.key.clone(),
        v3: raw.v3.clone(),
        converter,
        select,
        emit,
        with: raw
            .with
            .as_ref()
            .map(|w| w.to_vec().iter().map(|n| n.to_ascii_uppercase()).collect())
            .unwrap_or_default(),
        default: raw.default.unwrap_or(raw.v2.is_some()),
        filterable: raw.filterable.unwrap_or(false),
        sortable: raw.sortable.unwrap_or(false),
        writable: raw.writable.unwrap_or(false) || raw.create_only.unwrap_or(false),
        required: raw.required.unwrap_or(false),
        create_only: raw.create_only.unwrap_or(false),
        sort_as: raw
            .sort_as
            .clone()
            .unwrap_or_else(|| raw.v2.iter().cloned().collect()),
        null_as: raw.null_as.clone(),
        row_null_as: raw.row_null_as.clone(),
        v3_null: raw.v3_null.clone(),
        computed: raw.computed.unwrap_or(false),
        late_rank: None,
    })
}

fn validate_method(
    name: &str,
    raw: &RawMethod,
    entities: &HashMap<String, Arc<Entity>>,
) -> Result<MethodRoute, Vec<RuleError>> {
    let k = |field: &str| format!("methods.\"{name}\".{field}");
    let mode = one_of(
        &k("mode"),
        raw.mode.as_deref(),
        None,
        &[
            ("v3", Mode::V3),
            ("v2", Mode::V2),
            ("deny", Mode::Deny),
            ("shadow", Mode::Shadow),
        ],
    )
    .map_err(|e| vec![e])?;
    match mode {
        Mode::V2 => return Ok(MethodRoute::V2),
        Mode::Deny => return Ok(MethodRoute::Deny),
        Mode::V3 | Mode::Shadow => {}
    }
    let mut errors = Vec::new();
    let kind = keep(
        &mut errors,
        one_of(
            &k("kind"),
            raw.kind.as_deref(),
            None,
            &[
                ("get", Kind::Get),
                ("list", Kind::List),
                ("add", Kind::Add),
                ("update", Kind::Update),
                ("delete", Kind::Delete),
            ],
        ),
    );
    let fallback = keep(
        &mut errors,
        one_of(
            &k("fallback"),
            raw.fallback.as_deref(),
            Some(Fallback::V2),
            &[("v2", Fallback::V2), ("error", Fallback::Error)],
        ),
    );
    let total = keep(
        &mut errors,
        one_of(
            &k("total"),
            raw.total.as_deref(),
            Some(Total::Cached),
            &[
                ("cached", Total::Cached),
                ("exact", Total::Exact),
                ("none", Total::None),
            ],
        ),
    );
    let not_found = keep(
        &mut errors,
        one_of(
            &k("not_found"),
            raw.not_found.as_deref(),
            Some(NotFound::Error),
            &[
                ("empty_result", NotFound::EmptyResult),
                ("error", NotFound::Error),
            ],
        ),
    );
    let entity = match raw.entity.as_deref() {
        Some(e) => entities.get(e).cloned().or_else(|| {
            errors.push(RuleError::new(
                k("entity"),
                format!("entity {e:?} does not exist"),
                "define it under [entities] or name an existing one",
            ));
            None
        }),
        None => {
            errors.push(RuleError::new(
                k("entity"),
                "is required for mode = \"v3\"",
                "name the entity whose fields the method uses",
            ));
            None
        }
    };
    let v3_method = raw.v3_method.clone().unwrap_or_default();
    if v3_method.is_empty() {
        errors.push(RuleError::new(
            k("v3_method"),
            "is required for mode = \"v3\"",
            "name the REST 3.0 method",
        ));
    }
    if matches!(kind, Some(Kind::Get | Kind::Update | Kind::Delete)) && raw.id_param.is_none() {
        errors.push(RuleError::new(
            k("id_param"),
            "is required for this kind",
            "set id_param = { v2 = \"taskId\", v3 = \"id\" } or similar",
        ));
    }
    let paged = keep(
        &mut errors,
        one_of(
            &k("paging"),
            raw.paging.as_deref(),
            Some(true),
            &[("v2", true), ("all", false)],
        ),
    );
    let page_size = raw.page_size.unwrap_or(50) as usize;
    let count_page_size = raw.count_page_size.unwrap_or(1000) as usize;
    if page_size == 0 || count_page_size == 0 {
        errors.push(RuleError::new(
            k("page_size"),
            "page sizes must be positive",
            "v2 pages hold 50 rows",
        ));
    }
    let mut default_order = Vec::new();
    for [field, dir] in raw.default_order.clone().unwrap_or_default() {
        match Direction::parse(&dir) {
            Some(d) => default_order.push((field, d)),
            None => errors.push(RuleError::new(
                k("default_order"),
                format!("{dir:?} is not a direction"),
                "use \"ASC\" or \"DESC\"",
            )),
        }
    }
    if let Some(entity) = &entity {
        for (field, _) in &default_order {
            if !entity
                .fields
                .iter()
                .any(|f| f.v3.as_deref() == Some(field.as_str()) && f.sortable)
            {
                errors.push(RuleError::new(
                    k("default_order"),
                    format!(
                        "{field:?} is not a sortable v3 field of entity {:?}",
                        entity.name
                    ),
                    "use a field marked sortable = true",
                ));
            }
        }
    }
    let total_ttl = keep(
        &mut errors,
        duration(&k("total_ttl"), raw.total_ttl.as_deref(), "30s"),
    )
    .unwrap_or_default();
    let read_ahead_ttl = keep(
        &mut errors,
        duration(&k("read_ahead_ttl"), raw.read_ahead_ttl.as_deref(), "10s"),
    )
    .unwrap_or_default();
    let read_ahead = raw.read_ahead.unwrap_or(1000);
    if read_ahead > 1000 {
        errors.push(RuleError::new(
            k("read_ahead"),
            format!("{read_ahead} rows is more than one REST 3.0 page holds"),
            "use at most 1000, or 0 to read exactly the page",
        ));
    }
    let shadow_share = raw.shadow_share.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&shadow_share) {
        errors.push(RuleError::new(
            k("shadow_share"),
            format!("{shadow_share} is not a share"),
            "use a number from 0 (none) to 1 (every read)",
        ));
    }
    let shadow_rate = raw.shadow_rate.unwrap_or(1.0);
    if !(shadow_rate > 0.0 && shadow_rate.is_finite()) {
        errors.push(RuleError::new(
            k("shadow_rate"),
            format!("{shadow_rate} requests per second"),
            "use a positive number such as 1 (a share of the portal's 2 per second)",
        ));
    }
    let count_cells = raw.count_cells.unwrap_or(24) as usize;
    if count_cells > 40 {
        errors.push(RuleError::new(
            k("count_cells"),
            format!("{count_cells} cells leave no room in a REST 3.0 batch"),
            "use at most 40",
        ));
    }
    let start_rounding = keep(
        &mut errors,
        one_of(
            &k("start_rounding"),
            raw.start_rounding.as_deref(),
            Some(StartRounding::Page),
            &[
                ("page", StartRounding::Page),
                ("exact", StartRounding::Exact),
            ],
        ),
    )
    .unwrap_or(StartRounding::Page);
    let param_errors = match &raw.param_errors {
        None => ParamErrors::default(),
        Some(p) => {
            let mut one = |name: &str, e: &Option<RawV2Error>| {
                e.as_ref().and_then(|e| {
                    keep(
                        &mut errors,
                        v2_error(&k(&format!("param_errors.{name}")), e),
                    )
                })
            };
            ParamErrors {
                id_missing: one("id_missing", &p.id_missing),
                id_invalid: one("id_invalid", &p.id_invalid),
                select_invalid: one("select_invalid", &p.select_invalid),
                fields_missing: one("fields_missing", &p.fields_missing),
                parent_invalid: one("parent_invalid", &p.parent_invalid),
            }
        }
    };
    let mut error_rules = Vec::new();
    for (i, e) in raw.errors.clone().unwrap_or_default().iter().enumerate() {
        match validate_error_rule(&k(&format!("errors[{i}]")), e) {
            Ok(r) => error_rules.push(r),
            Err(e) => errors.push(e),
        }
    }
    match (kind, fallback, total, not_found, entity, paged) {
        (Some(kind), Some(fallback), Some(total), Some(not_found), Some(entity), Some(paged))
            if errors.is_empty() =>
        {
            let shadow = mode == Mode::Shadow;
            let rule = Arc::new(MethodRule {
                name: name.to_ascii_lowercase(),
                mode,
                kind,
                entity,
                v3_method,
                id_param: raw.id_param.as_ref().map(|p| Param {
                    v2: p.v2.clone(),
                    v3: p.v3.clone(),
                }),
                parent_param: raw.parent_param.as_ref().map(|p| Param {
                    v2: p.v2.clone(),
                    v3: p.v3.clone(),
                }),
                wrap: raw.wrap.clone(),
                fallback,
                total,
                page_size,
                paged,
                count_page_size,
                default_order,
                not_found,
                success: raw.success.clone(),
                fill_from_caller: raw.fill_from_caller.clone(),
                reread_with: raw.reread_with.clone(),
                unsupported_params: raw.unsupported_params.clone().unwrap_or_default(),
                errors: error_rules,
                param_errors,
                start_rounding,
                total_ttl,
                read_ahead,
                read_ahead_ttl,
                count_cells,
                shadow_share,
                shadow_rate,
            });
            Ok(if shadow {
                MethodRoute::Shadow(rule)
            } else {
                MethodRoute::V3(rule)
            })
        }
        _ => Err(errors),
    }
}

fn keep<T>(errors: &mut Vec<RuleError>, result: Result<T, RuleError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

fn validate_error_rule(key: &str, raw: &RawErrorRule) -> Result<ErrorRule, RuleError> {
    if raw.v3.is_empty() {
        return Err(RuleError::new(
            key,
            "has no `v3` code",
            "name the v3 error code to match, or \"*\" for any",
        ));
    }
    let action = match raw.answer.as_deref() {
        Some("empty_result") => ErrorAction::EmptyResult,
        Some("v3") => ErrorAction::PassV3,
        Some(other) => {
            return Err(RuleError::new(
                key,
                format!("answer {other:?} is not known"),
                "use answer = \"empty_result\" or \"v3\", or give code/status",
            ))
        }
        None => ErrorAction::V2 {
            code: raw.code.clone().ok_or_else(|| {
                RuleError::new(
                    key,
                    "has neither `answer` nor `code`",
                    "give the v2 error code",
                )
            })?,
            description: raw.description.clone(),
            status: status_code(key, raw.status.unwrap_or(400))?,
        },
    };
    Ok(ErrorRule {
        v3: (raw.v3 != "*").then(|| raw.v3.clone()),
        field: raw.field.clone(),
        message: raw.message.as_ref().map(|m| m.to_lowercase()),
        v3_status: raw.v3_status,
        action,
    })
}

fn status_code(key: &str, status: u16) -> Result<u16, RuleError> {
    if (100..=599).contains(&status) {
        Ok(status)
    } else {
        Err(RuleError::new(
            key,
            format!("status {status} is not an HTTP status"),
            "use the status v2 answers with, e.g. 400",
        ))
    }
}

fn v2_error(key: &str, raw: &RawV2Error) -> Result<V2Error, RuleError> {
    if raw.code.is_empty() {
        return Err(RuleError::new(
            key,
            "has an empty `code`",
            "give the v2 error code",
        ));
    }
    Ok(V2Error {
        code: raw.code.clone(),
        description: raw.description.clone(),
        status: status_code(key, raw.status.unwrap_or(400))?,
    })
}

/// `+03:00`, `-05:30` or `Z` as seconds east of UTC.
fn parse_utc_offset(text: &str) -> Option<i32> {
    if text.eq_ignore_ascii_case("z") || text == "+00:00" || text == "UTC" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
}

fn duration(
    key: &str,
    text: Option<&str>,
    default: &str,
) -> Result<std::time::Duration, RuleError> {
    let text = text.unwrap_or(default);
    humantime::parse_duration(text).map_err(|e| {
        RuleError::new(
            key,
            format!("{text:?} is not a duration: {e}"),
            "write a duration such as \"10s\" or \"1m\" (\"0s\" switches it off)",
        )
    })
}
