//! Validated, immutable rules: the types the translator reads. `validate` builds them.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Translate to REST 3.0.
    V3,
    /// Pass through to v2 untouched.
    V2,
    /// Answer from v2 untouched, and compare reads with their translation.
    Shadow,
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
    /// Count every matching row on every page, so `total` is what v2 would say.
    Exact,
    /// Count once per caller, method and filter, and reuse the count for `total_ttl`.
    Cached,
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

/// How a v2 `start` becomes an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartRounding {
    /// Down to a whole page: v2 pages by number (`start = (N - 1) * 50`).
    Page,
    /// The offset as given.
    Exact,
}

/// A v2 error the bridge answers itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Error {
    pub code: String,
    pub description: String,
    pub status: u16,
}

/// v2's answers to malformed parameters; `None` leaves the problem to v2 (fallback).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamErrors {
    pub id_missing: Option<V2Error>,
    pub id_invalid: Option<V2Error>,
    pub select_invalid: Option<V2Error>,
    pub fields_missing: Option<V2Error>,
    pub parent_invalid: Option<V2Error>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ErrorAction {
    /// Answer `200 {"result": []}` as v2 does for a missing entity.
    EmptyResult,
    /// Pass the REST 3.0 code and message on (only when a rule asks for it).
    PassV3,
    /// Answer this v2 error; `description: None` keeps the v3 message.
    V2 {
        code: String,
        description: Option<String>,
        status: u16,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRule {
    /// The v3 code; `None` matches any.
    pub v3: Option<String>,
    pub field: Option<String>,
    /// Lower-cased text the message must contain.
    pub message: Option<String>,
    pub v3_status: Option<u16>,
    pub action: ErrorAction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumTable {
    pub(super) pairs: Vec<(String, String)>,
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
    /// Strings: the same text on both sides.
    Text,
    /// Dates: the same text on both sides; an empty value clears the date (v3 `null`).
    DateTime,
    /// v2 a string or a list of strings ↔ v3 a list of strings (`UF_CRM_TASK`).
    TextList,
    /// v2 a list of ids ↔ v3 a list of integers, answered as JSON numbers.
    IntList,
    /// A JSON boolean on both sides.
    Bool,
    /// v3 BBCode text → the HTML v2 renders from it (`[B]x[/B]` → `<b>x</b>`).
    BbcodeHtml,
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
    /// A v2-only key with a fixed value; a string `"{caller}"` anywhere in it stands for
    /// the calling user's id.
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

/// Where a v2 flag comes from: a v3 flag, optionally requiring the caller to be (or not
/// be) in an array field of the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSource {
    pub flag: String,
    pub member_of: Option<(String, bool)>,
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
    /// Other v2 names whose selection brings this key too.
    pub with: Vec<String>,
    pub default: bool,
    pub filterable: bool,
    pub sortable: bool,
    pub writable: bool,
    pub required: bool,
    pub create_only: bool,
    pub sort_as: Vec<String>,
    pub null_as: Option<Value>,
    /// In list rows, when it differs from `null_as`.
    pub row_null_as: Option<Value>,
    /// A v3 value that stands for "none" (`"none"` for `mark`, `0` for a duration).
    pub v3_null: Option<Value>,
    /// Computed on the fly, not stored: not in a list row without `select`.
    pub computed: bool,
    /// Its place among the keys that follow the named fields (`late_order`), if any.
    pub late_rank: Option<usize>,
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
    /// Lists the entity's rows by id (for finding out what a failed batch changed).
    pub list_method: Option<String>,
    pub fields: Vec<Field>,
    /// Upper-case v2 names that send a call to the fallback.
    pub untranslatable: Vec<String>,
    /// The answers to calls without `select`, worked out once by the translator.
    pub default_shapes: DefaultShapes,
}

/// Which of an entity's fields a v2 answer carries, by field index, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    pub fields: Vec<usize>,
    pub render: Render,
}

/// Whether the answer is one entity (get and write answers) or a list row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    Single,
    Row,
}

/// The shape and REST 3.0 `select` of an answer to a call without `select`, per render:
/// most calls name no fields, and these depend on the entity alone. Filled on first use;
/// a copy of the entity starts empty, since whoever copies it may change its fields.
#[derive(Default)]
pub struct DefaultShapes {
    single: OnceLock<(Shape, Vec<String>)>,
    row: OnceLock<(Shape, Vec<String>)>,
}

impl DefaultShapes {
    /// The kept answer for `render`, worked out by `derive` the first time.
    pub fn get_or_derive<E>(
        &self,
        render: Render,
        derive: impl FnOnce() -> Result<(Shape, Vec<String>), E>,
    ) -> Result<&(Shape, Vec<String>), E> {
        let cell = match render {
            Render::Single => &self.single,
            Render::Row => &self.row,
        };
        if let Some(kept) = cell.get() {
            return Ok(kept);
        }
        let derived = derive()?;
        Ok(cell.get_or_init(|| derived))
    }
}

impl Clone for DefaultShapes {
    fn clone(&self) -> Self {
        DefaultShapes::default()
    }
}

impl PartialEq for DefaultShapes {
    /// Derived data: equal entities derive equal shapes.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for DefaultShapes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DefaultShapes")
    }
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

    /// True when `name` (any case) is a v2 name REST 3.0 cannot express.
    pub fn is_untranslatable(&self, name: &str) -> bool {
        self.untranslatable
            .iter()
            .any(|u| u.eq_ignore_ascii_case(name))
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
    pub param_errors: ParamErrors,
    pub start_rounding: StartRounding,
    /// How long a counted `total` is reused (`total = "cached"`).
    pub total_ttl: std::time::Duration,
    /// Rows a list reads at once, kept to answer the next pages (0: exactly the page).
    pub read_ahead: u64,
    /// How long rows read ahead answer later pages.
    pub read_ahead_ttl: std::time::Duration,
    /// Cells of `count_page_size` ids counted in the round of the page itself.
    pub count_cells: usize,
    /// Shadow mode: share of reads compared, and portal requests per second allowed.
    pub shadow_share: f64,
    pub shadow_rate: f64,
}

/// How the bridge writes v2 JSON, where the docs leave PHP's flags open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonStyle {
    pub escape_unicode: bool,
    pub escape_slashes: bool,
}

impl Default for JsonStyle {
    fn default() -> Self {
        JsonStyle {
            escape_unicode: true,
            escape_slashes: true,
        }
    }
}

/// A method's route: only `v3` methods carry a full rule.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodRoute {
    V3(Arc<MethodRule>),
    V2,
    Deny,
    /// Answered by v2; reads also translated and compared (`mode = "shadow"`).
    Shadow(Arc<MethodRule>),
}

/// Every rule, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    pub(super) methods: HashMap<String, MethodRoute>,
    pub(super) entities: std::collections::BTreeMap<String, Arc<Entity>>,
    pub sdk_filter_groups: bool,
    /// How v2 answers are written.
    pub json: JsonStyle,
    /// The portal's UTC offset in seconds for `time` blocks the bridge makes itself;
    /// `None`: learned from the portal's answers.
    pub utc_offset: Option<i32>,
    /// Most calls one REST 3.0 batch carries.
    pub v3_batch_size: usize,
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
}
