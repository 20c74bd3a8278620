//! Property: a translated filter selects exactly the rows the v2 filter selects, or the
//! translation is refused. Random v2 filters (every prefix operator, arrays, OR/AND
//! groups, unconvertible values) are evaluated with v2 semantics and, when translated,
//! with REST 3.0 semantics over the same rows.

use b24bridge::config::{Config, RawConfig};
use b24bridge::rules::MethodRoute;
use b24bridge::translate::filter::{translate, FilterOptions};
use serde_json::{json, Map, Value};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const PREFIXES: [&str; 18] = [
    "", "=", "!", "!=", ">", ">=", "<", "<=", "@", "!@", "><", "!><", "%", "=%", "%=", "!%", "?",
    "+",
];
const FIELDS: [&str; 3] = ["ID", "RESPONSIBLE_ID", "id"];

fn id_value(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => json!((rng.below(70) as i64) - 5),
        1 => Value::String(rng.below(70).to_string()),
        2 => json!("abc"),
        3 => json!(""),
        4 => Value::Array((0..rng.below(4)).map(|_| json!(rng.below(70))).collect()),
        _ => json!([rng.below(30), 30 + rng.below(40)]),
    }
}

fn random_filter(rng: &mut Rng, depth: u32) -> Map<String, Value> {
    let mut m = Map::new();
    for i in 0..(1 + rng.below(3)) {
        if depth < 2 && rng.below(4) == 0 {
            let mut g = random_filter(rng, depth + 1);
            g.insert("logic".into(), json!(*rng.pick(&["OR", "AND", "or"])));
            m.insert(i.to_string(), Value::Object(g));
        } else {
            let key = format!("{}{}", rng.pick(&PREFIXES), rng.pick(&FIELDS));
            m.insert(key, id_value(rng));
        }
    }
    m
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// v2 semantics for one row `{ID, RESPONSIBLE_ID}`; `None` when the test does not model it.
fn v2_matches(filter: &Map<String, Value>, row: (i64, i64)) -> Option<bool> {
    let or = filter
        .get("logic")
        .and_then(Value::as_str)
        .is_some_and(|l| l.eq_ignore_ascii_case("or"));
    let mut results = Vec::new();
    for (key, value) in filter {
        if key == "logic" {
            continue;
        }
        if key.bytes().all(|b| b.is_ascii_digit()) {
            results.push(v2_matches(value.as_object()?, row)?);
            continue;
        }
        let prefix = PREFIXES
            .iter()
            .filter(|p| key.starts_with(**p))
            .max_by_key(|p| p.len())?;
        let field = &key[prefix.len()..];
        let actual = if field.eq_ignore_ascii_case("ID") {
            row.0
        } else {
            row.1
        };
        let list: Option<Vec<i64>> = match value {
            Value::Array(a) => a.iter().map(int).collect(),
            other => int(other).map(|i| vec![i]),
        };
        let list = list?;
        let one = || list.first().copied();
        let r = match *prefix {
            "" | "=" | "@" => list.contains(&actual),
            "!" | "!=" | "!@" => !list.contains(&actual),
            ">" => actual > one()?,
            ">=" => actual >= one()?,
            "<" => actual < one()?,
            "<=" => actual <= one()?,
            "><" if list.len() == 2 => list[0] <= actual && actual <= list[1],
            "!><" if list.len() == 2 => !(list[0] <= actual && actual <= list[1]),
            _ => return None,
        };
        results.push(r);
    }
    Some(if or {
        results.iter().any(|r| *r)
    } else {
        results.iter().all(|r| *r)
    })
}

/// REST 3.0 semantics of a filter array over the row's `id`.
fn v3_matches(nodes: &[Value], id: i64) -> bool {
    nodes.iter().all(|n| v3_node(n, id))
}

fn v3_node(node: &Value, id: i64) -> bool {
    if let Some(group) = node.as_object() {
        let conditions = group["conditions"].as_array().unwrap();
        let all = conditions.iter().map(|c| v3_node(c, id));
        let r = match group["logic"].as_str().unwrap() {
            "or" => all.collect::<Vec<_>>().into_iter().any(|x| x),
            _ => all.collect::<Vec<_>>().into_iter().all(|x| x),
        };
        return if group.get("negative") == Some(&json!(true)) {
            !r
        } else {
            r
        };
    }
    let c = node.as_array().unwrap();
    assert_eq!(c[0], "id", "only id is filterable in REST 3.0 for tasks");
    let v = &c[2];
    match c[1].as_str().unwrap() {
        "=" => v.as_i64() == Some(id),
        "!=" => v.as_i64() != Some(id),
        ">" => id > v.as_i64().unwrap(),
        ">=" => id >= v.as_i64().unwrap(),
        "<" => id < v.as_i64().unwrap(),
        "<=" => id <= v.as_i64().unwrap(),
        "in" => v.as_array().unwrap().iter().any(|x| x.as_i64() == Some(id)),
        "between" => v[0].as_i64().unwrap() <= id && id <= v[1].as_i64().unwrap(),
        other => panic!("operator {other} is not one of the eight"),
    }
}

#[test]
fn translation_is_exact_or_refused() {
    let mut raw = RawConfig::builtin().unwrap();
    raw.upstream = Some("http://127.0.0.1:1".into());
    let config = Config::validate(&raw).unwrap();
    let Some(MethodRoute::V3(rule)) = config.rules.route("tasks.task.list") else {
        panic!("no list rule")
    };
    let rows: Vec<(i64, i64)> = (0..70).map(|i| (i, i % 7)).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut translated, mut refused, mut compared) = (0, 0, 0);
    for _ in 0..20_000 {
        let filter = random_filter(&mut rng, 0);
        for and_groups in [false, true] {
            match translate(
                &Value::Object(filter.clone()),
                &rule.entity,
                FilterOptions { and_groups },
            ) {
                Err(_) => refused += 1,
                Ok(v3) => {
                    translated += 1;
                    for &row in &rows {
                        if let Some(expected) = v2_matches(&filter, row) {
                            compared += 1;
                            assert_eq!(
                                v3_matches(&v3, row.0),
                                expected,
                                "row {row:?}: v2 {filter:?} became {v3:?}"
                            );
                        }
                    }
                }
            }
        }
    }
    assert!(
        translated > 1_000 && refused > 1_000,
        "both outcomes are exercised: {translated} / {refused}"
    );
    assert!(compared > 50_000, "{compared}");
}
