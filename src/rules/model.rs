//! Validated, immutable rules.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::raw::{RawEntity, RawErrorRule, RawField, RawMethod, RawRules};
use super::RuleError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Translate to REST 3.0.
    V3,
    /// Pass through to v2 untouched.
    V2,
    /// Refuse with a v2 error.
    Deny,
}

/// The shape of a method: each kind is one generic translation mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Get,
    List,
    Add,
    Update,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    V2,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// Count every matching row, so `total` is what v2 would say.
    Exact,
    /// Answer `total: 0` (the bridge's cheapest mode; clients paging by `total` break).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound {
    EmptyResult,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    pub fn parse(s: &str) -> Option<Direction> {
        match s.to_ascii_uppercase().as_str() {
            "ASC" => Some(Direction::Asc),
            "DESC" => Some(Direction::Desc),
            _ => None,
        }
    }

    pub fn as_v3(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub v2: String,
    pub v3: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ErrorAction {
    /// Answer `200 {"result": []}` as v2 does for a missing entity.
    EmptyResult,
    /// Answer this v2 error; `description: None` keeps the v3 message.
    V2 {
        code: String,
        description: Option<String>,
        status: u16,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRule {
    pub v3: String,
    pub field: Option<String>,
    pub action: ErrorAction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumTable {
    pairs: Vec<(String, String)>,
}

impl EnumTable {
    pub fn to_v3(&self, v2: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(a, _)| a == v2)
            .map(|(_, b)| b.as_str())
    }

    pub fn to_v2(&self, v3: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(_, b)| b == v3)
            .map(|(a, _)| a.as_str())
    }
}

/// How a value travels between versions.
#[derive(Debug, Clone, PartialEq)]
pub enum Converter {
    /// Strings and dates: the same text on both sides.
    Text,
    /// v2 `"412"` ↔ v3 `412`.
    IntString,
    /// A real JSON number on both sides.
    Int,
    /// v2 `"Y"`/`"N"` ↔ v3 `true`/`false`.
    YesNo,
    /// A value table.
    /// A value table; `numeric`: the v2 side is a JSON number (`enum_int`).
    Enum {
        table: Arc<EnumTable>,
        numeric: bool,
    },
    /// v2 `["22"]` ↔ v3 `[22]` (v3 may answer user objects; their ids are taken).
    IdList,
    /// v2 `"Y"` when the v3 array holds the caller's user id.
    MemberFlag,
    /// A v3 user object → the v2 `{id, name, link, icon, workPosition}` object.
    User { layout: Vec<(String, LayoutSource)> },
    /// v3 user objects → v2 object keyed by user id (`[]` when none).
    UserMap { layout: Vec<(String, LayoutSource)> },
    /// A v3 group object → the v2 group object (`[]` when none).
    Group { layout: Vec<(String, LayoutSource)> },
    /// A v3 flags object → a v2 flags object with other key names.
    Flags {
        map: Vec<(String, Option<FlagSource>)>,
    },
    /// A v2-only key with a fixed value.
    Constant(Value),
    /// v2 `SE_PARAMETER` list of `{CODE, VALUE}` → v3 boolean fields.
    SeParameter { codes: Vec<(String, String)> },
}

/// Where one key of a rebuilt v2 object comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum LayoutSource {
    /// A sub-field of the v3 object; `as_string` writes numbers as strings; `default`
    /// replaces null (an object value gives its `src`).
    Field {
        name: String,
        as_string: bool,
        default: Option<String>,
    },
    /// A text with `{id}` replaced by the object's id.
    Pattern(String),
    /// A fixed value v3 cannot supply.
    Literal(Value),
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

/// Where a v2 flag comes from: a v3 flag, optionally requiring the caller to be (or not
/// be) in an array field of the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSource {
    pub flag: String,
    pub member_of: Option<(String, bool)>,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    Selected,
    Always,
    Single,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub v2: Option<String>,
    pub key: String,
    pub v3: Option<String>,
    pub converter: Converter,
    pub select: Vec<String>,
    pub emit: Emit,
    pub with: Option<String>,
    pub default: bool,
    pub filterable: bool,
    pub sortable: bool,
    pub writable: bool,
    pub required: bool,
    pub create_only: bool,
    pub sort_as: Vec<String>,
    pub null_as: Option<Value>,
    pub v3_null: Option<String>,
}

impl Field {
    /// True when `name` (any case) is this field's v2 name.
    pub fn answers_to(&self, name: &str) -> bool {
        self.v2
            .as_deref()
            .is_some_and(|v2| v2.eq_ignore_ascii_case(name))
    }

    /// True when `name` (any case) orders by this field in v2.
    pub fn sorts_as(&self, name: &str) -> bool {
        self.sortable && self.sort_as.iter().any(|s| s.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub name: String,
    pub field_list: Option<String>,
    pub fields: Vec<Field>,
}

impl Entity {
    /// The field a v2 request name (select/filter/order/fields key) refers to.
    pub fn by_v2(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.answers_to(name))
    }

    /// The field a v2 `order` key refers to, when v3 can sort by it.
    pub fn by_sort_name(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.sorts_as(name))
    }

    /// The field whose v3 name is `name`.
    pub fn by_v3(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.v3.as_deref() == Some(name))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MethodRule {
    pub name: String,
    pub mode: Mode,
    pub kind: Kind,
    pub entity: Arc<Entity>,
    pub v3_method: String,
    pub id_param: Option<Param>,
    pub parent_param: Option<Param>,
    pub wrap: Option<String>,
    pub fallback: Fallback,
    pub total: Total,
    pub page_size: usize,
    /// False when the v2 method answers every row at once.
    pub paged: bool,
    pub count_page_size: usize,
    pub default_order: Vec<(String, Direction)>,
    pub not_found: NotFound,
    pub success: Option<Value>,
    pub fill_from_caller: Option<String>,
    pub reread_with: Option<String>,
    pub unsupported_params: Vec<String>,
    pub errors: Vec<ErrorRule>,
}

/// A method's route: only `v3` methods carry a full rule.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodRoute {
    V3(Arc<MethodRule>),
    V2,
    Deny,
}

/// Every rule, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    methods: HashMap<String, MethodRoute>,
    entities: std::collections::BTreeMap<String, Arc<Entity>>,
    pub sdk_filter_groups: bool,
    /// Error translations for every method, after the method's own.
    pub errors: Vec<ErrorRule>,
}

impl RuleSet {
    /// The route of a v2 method (lower-case name); `None`: no rule, pass through.
    pub fn route(&self, method: &str) -> Option<&MethodRoute> {
        self.methods.get(method)
    }

    /// Entities by name.
    pub fn entities(&self) -> Vec<(String, Arc<Entity>)> {
        self.entities
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// (entity, field-list method) for every entity whose rule names one.
    pub fn field_list_methods(&self) -> Vec<(String, String)> {
        self.entities
            .iter()
            .filter_map(|(name, e)| e.field_list.clone().map(|m| (name.clone(), m)))
            .collect()
    }

    /// Rewrites every method route (used to refine rules with what a portal says).
    pub fn map_routes(&mut self, f: impl Fn(&MethodRoute) -> MethodRoute) {
        for route in self.methods.values_mut() {
            *route = f(route);
        }
    }

    /// Method names with a rule, sorted.
    pub fn method_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.methods.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

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
        if errors.is_empty() {
            Ok(RuleSet {
                methods,
                entities: entities.into_iter().collect(),
                sdk_filter_groups: raw.translation.sdk_filter_groups.unwrap_or(false),
                errors: global_errors,
            })
        } else {
            Err(errors)
        }
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
        if let Some(with) = &field.with {
            if !fields.iter().any(|f| f.answers_to(with)) {
                errors.push(RuleError::new(
                    format!("entities.{name} field {:?}", field.key),
                    format!("`with = {with:?}` names no field of the entity"),
                    "name the v2 field whose selection brings this key",
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(Entity {
            name: name.to_owned(),
            field_list: raw.field_list.clone(),
            fields,
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
        "text" | "datetime" => Converter::Text,
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
        "constant" => Converter::Constant(raw.value.clone().ok_or_else(|| {
            RuleError::new(key, "a constant field needs `value`", "give the value v2 answers")
        })?),
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
                "use one of text, datetime, int_string, int, yes_no, enum, enum_int, id_list, member_flag, user, user_map, group, flags, constant, se_parameter",
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
        with: raw.with.clone(),
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
        v3_null: raw.v3_null.clone(),
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
        &[("v3", Mode::V3), ("v2", Mode::V2), ("deny", Mode::Deny)],
    )
    .map_err(|e| vec![e])?;
    match mode {
        Mode::V2 => return Ok(MethodRoute::V2),
        Mode::Deny => return Ok(MethodRoute::Deny),
        Mode::V3 => {}
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
            Some(Total::Exact),
            &[("exact", Total::Exact), ("none", Total::None)],
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
            Ok(MethodRoute::V3(Arc::new(MethodRule {
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
            })))
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
            "name the v3 error code to match",
        ));
    }
    let action = match raw.answer.as_deref() {
        Some("empty_result") => ErrorAction::EmptyResult,
        Some(other) => {
            return Err(RuleError::new(
                key,
                format!("answer {other:?} is not known"),
                "use answer = \"empty_result\" or give code/status",
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
            status: raw.status.unwrap_or(400),
        },
    };
    Ok(ErrorRule {
        v3: raw.v3.clone(),
        field: raw.field.clone(),
        action,
    })
}
