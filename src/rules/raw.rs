//! Rules as written in TOML, before any check. Every field is optional so that a user's
//! table can override a single key of a built-in rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The rule tables of the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRules {
    /// Per-method rules, keyed by the v2 method name (`"tasks.task.get"`).
    pub methods: BTreeMap<String, RawMethod>,
    /// Field tables, keyed by entity name (`task`).
    pub entities: BTreeMap<String, RawEntity>,
    /// Value tables for `type = "enum"` fields: pairs of `[v2 value, v3 value]`.
    pub enums: BTreeMap<String, Vec<[String; 2]>>,
    /// Settings that apply to every translated method.
    pub translation: RawTranslation,
    /// Error translations tried after a method's own `errors`.
    pub errors: Vec<RawErrorRule>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTranslation {
    /// Allow `{"negative": true, ...}` and `{"logic": "and", ...}` v3 filter groups, which
    /// only Bitrix's JS SDK documents. Off: such v2 filters go to v2 instead.
    pub sdk_filter_groups: Option<bool>,
    /// Write non-ASCII characters of v2 answers as `\uXXXX` escapes (PHP's `json_encode`
    /// default) rather than raw UTF-8. The docs show no non-ASCII answer.
    pub escape_unicode: Option<bool>,
    /// Write `/` as `\/` in v2 answers, as PHP's `json_encode` does by default.
    pub escape_slashes: Option<bool>,
    /// The portal's UTC offset for `time` blocks the bridge makes itself: `auto` (learned
    /// from the portal's own answers, UTC until one arrives) or `+03:00`-style.
    pub utc_offset: Option<String>,
    /// Most calls one REST 3.0 batch carries (the portal's limit is 50).
    pub v3_batch_size: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawMethod {
    /// `v3` (translate), `v2` (pass through) or `deny` (refuse).
    pub mode: Option<String>,
    /// `get`, `list`, `add`, `update` or `delete`.
    pub kind: Option<String>,
    pub entity: Option<String>,
    pub v3_method: Option<String>,
    /// The id parameter: `{ v2 = "taskId", v3 = "id" }`.
    pub id_param: Option<RawParam>,
    /// A v2 parameter that becomes an `=` condition of the v3 filter:
    /// `{ v2 = "taskId", v3 = "taskId" }`.
    pub parent_param: Option<RawParam>,
    /// Key wrapping the v2 result (`task`, `tasks`); absent: the bare value.
    pub wrap: Option<String>,
    /// What happens to a call v3 cannot express: `v2` (pass through) or `error`.
    pub fallback: Option<String>,
    /// How a list's `total` is obtained: `cached` (counted once per caller, method and
    /// filter, reused for `total_ttl`), `exact` (counted on every page) or `none` (always 0).
    pub total: Option<String>,
    /// How long a counted total is reused, e.g. "30s".
    pub total_ttl: Option<String>,
    /// Rows a list reads at once and keeps to answer the next pages (at most 1000; 0
    /// reads exactly the page).
    pub read_ahead: Option<u64>,
    /// How long rows read ahead answer later pages, e.g. "10s".
    pub read_ahead_ttl: Option<String>,
    /// Grid cells of `count_page_size` ids counted in the page's own round.
    pub count_cells: Option<u64>,
    /// With `mode = "shadow"`: the share of reads also run through REST 3.0 (0 to 1).
    pub shadow_share: Option<f64>,
    /// With `mode = "shadow"`: the most portal requests per second shadow calls may spend.
    pub shadow_rate: Option<f64>,
    pub page_size: Option<u64>,
    /// `v2` (default): pages of `page_size` with `next`/`total`; `all`: the v2 method
    /// answers every row at once (bare list, no `next`/`total`).
    pub paging: Option<String>,
    /// Rows per counting request when `total = "exact"`.
    pub count_page_size: Option<u64>,
    /// v3 order used when the v2 call sends none: pairs `[v3 field, "ASC"|"DESC"]`.
    pub default_order: Option<Vec<[String; 2]>>,
    /// On v3 "entity not found": `empty_result` (`200 {"result": []}`) or `error`.
    pub not_found: Option<String>,
    /// The v2 result of a successful call that returns no entity (delete).
    pub success: Option<serde_json::Value>,
    /// A v3 field filled with the caller's user id when the v2 call does not set it.
    pub fill_from_caller: Option<String>,
    /// v3 method that re-reads the entity after a write, to answer with all its fields.
    pub reread_with: Option<String>,
    /// v2 parameters that v3 cannot express: when present and not empty, the call goes
    /// to the fallback.
    pub unsupported_params: Option<Vec<String>>,
    /// Error translations, tried in order before the generic ones.
    pub errors: Option<Vec<RawErrorRule>>,
    /// v2's own answers to malformed parameters, given by the bridge without asking the
    /// portal. A problem without an entry goes to the fallback, which lets v2 answer.
    pub param_errors: Option<RawParamErrors>,
    /// How a v2 `start` becomes an offset: `page` (rounded down to a whole page, as the
    /// v2 server pages) or `exact`.
    pub start_rounding: Option<String>,
}

/// v2 error answers to malformed parameters, by problem.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawParamErrors {
    /// The id parameter is absent.
    pub id_missing: Option<RawV2Error>,
    /// The id parameter is not a positive integer.
    pub id_invalid: Option<RawV2Error>,
    /// `select` is given but is not a list.
    pub select_invalid: Option<RawV2Error>,
    /// `fields` is absent, not an object, or empty.
    pub fields_missing: Option<RawV2Error>,
    /// The parent parameter (`parent_param`) is not an integer.
    pub parent_invalid: Option<RawV2Error>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawV2Error {
    pub code: String,
    pub description: String,
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParam {
    pub v2: String,
    pub v3: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawErrorRule {
    /// The v3 error code to match (full, e.g. `BITRIX_REST_V3_EXCEPTION_ACCESSDENIEDEXCEPTION`),
    /// or `*` for any.
    pub v3: String,
    /// Only when a `validation[].field` equals this.
    pub field: Option<String>,
    /// Only when the error's message (or a validation message) contains this text,
    /// compared without case.
    pub message: Option<String>,
    /// Only when the v3 answer had this HTTP status.
    pub v3_status: Option<u16>,
    /// `empty_result` to answer `200 {"result": []}` instead of an error; `v3` to pass the
    /// REST 3.0 code and message on as they are (never done unless a rule says so).
    pub answer: Option<String>,
    pub code: Option<String>,
    pub description: Option<String>,
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawEntity {
    /// The REST 3.0 method that lists the entity's fields with their
    /// filterable/sortable/editable attributes (`tasks.task.field.list`).
    pub field_list: Option<String>,
    /// Answer keys that follow the named fields in answers to an explicit `select`, in
    /// this order (the others follow the order named).
    pub late_order: Option<Vec<String>>,
    /// The REST 3.0 method that lists the entity's rows by id (`tasks.task.list`): with it
    /// the bridge packs writes of a v2 batch together and can find out which ran when a
    /// packed batch fails; without it, each write travels alone.
    pub list_method: Option<String>,
    /// v2 names the entity's v2 methods accept that REST 3.0 has no counterpart for and that
    /// are not answer keys (`TAGS` in a write): a call using one goes to the fallback rather
    /// than losing it.
    pub untranslatable: Option<Vec<String>>,
    pub fields: Vec<RawField>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawField {
    /// The v2 request name (`select`, `filter`, `order`, `fields`), upper case.
    pub v2: Option<String>,
    /// The key in the v2 answer.
    pub key: String,
    /// The v3 field the value comes from; absent for values v3 cannot supply.
    pub v3: Option<String>,
    /// The value converter.
    #[serde(rename = "type")]
    pub kind: String,
    /// v3 `select` entries this field needs (default: the `v3` field).
    pub select: Option<Vec<String>>,
    /// When the key appears: `selected` (default), `always`, `single` (get and write
    /// answers, not lists).
    pub emit: Option<String>,
    /// Also emitted when one of these other v2 names is selected (`creator` with
    /// `CREATED_BY`; `descriptionInBbcode` with `DESCRIPTION`). A field without a v2 name
    /// of its own is emitted only then.
    pub with: Option<OneOrMany>,
    /// Part of the v2 default select (no `select`, or `*`). Default true when `v2` is set.
    pub default: Option<bool>,
    pub filterable: Option<bool>,
    pub sortable: Option<bool>,
    pub writable: Option<bool>,
    /// Must be present in the v2 `fields` of a create; without it v2 answers its own error.
    pub required: Option<bool>,
    /// Writable on create only (v3 refuses it in updates).
    pub create_only: Option<bool>,
    /// v2 names accepted in `order` for this field (default: its v2 name when sortable).
    pub sort_as: Option<Vec<String>>,
    /// A v3 value that means "no value" and reads as v2 null (`mark = "none"`).
    pub v3_null: Option<serde_json::Value>,
    /// Computed on the fly rather than stored: left out of list rows without `select`.
    pub computed: Option<bool>,
    /// The v2 value when v3 has null.
    pub null_as: Option<serde_json::Value>,
    /// The v2 value when v3 has null, in list rows (default: `null_as`).
    pub row_null_as: Option<serde_json::Value>,
    /// The v2 value of a `constant` field, or the neutral value of parts v3 lacks.
    pub value: Option<serde_json::Value>,
    /// The same as JSON text, for objects whose key order matters (TOML tables are read
    /// with their keys sorted).
    pub value_json: Option<String>,
    /// The enum table for `type = "enum"`.
    #[serde(rename = "enum")]
    pub enum_table: Option<String>,
    /// `user`, `user_map`, `group`: the v2 object's keys in order, each with its source:
    /// a v3 sub-field (`name`), an id as a string (`id:string`), a sub-field with a default
    /// (`image|/default.png`; an object gives its `src`), a pattern (`/user/{id}/`) or a
    /// JSON literal (`=0`).
    pub layout: Option<Vec<[String; 2]>>,
    /// `flags`: pairs `[v2 key, v3 key]`; an empty v3 key means always false.
    pub map: Option<Vec<[String; 2]>>,
    /// `se_parameter`: pairs `[CODE, v3 boolean field]`.
    pub codes: Option<Vec<[String; 2]>>,
}

/// A TOML value that may be one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}
