//! The v2 checklist as the start/complete examples print it: `checklist`, an object of
//! items keyed by id (strings, `Y`/`N`, the checklists themselves with `parentId` the
//! integer 0), ordered by sort index with ties newest id first as the example lists them;
//! and `checkListTree`, a root node (all fields null) whose descendants are the checklists
//! and their items, numbered in pre-order, with typed fields and 1-based display indexes.

use super::values::php_array;
use crate::clock::iso;
use crate::store::{ChecklistItem, Rights, Task};
use serde_json::{json, Map, Value};

fn item_action(r: &Rights) -> Value {
    let can = r.checklist_edit;
    json!({
        "modify": can,
        "remove": can,
        "toggle": r.checklist_toggle,
        "add": can,
        "addAccomplice": can,
    })
}

fn yn(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

pub fn checklist_map(t: &Task, r: &Rights) -> Value {
    let mut items: Vec<&ChecklistItem> = t.checklist.iter().collect();
    items.sort_by(|a, b| a.sort_index.cmp(&b.sort_index).then(b.id.cmp(&a.id)));
    let mut m = Map::new();
    for it in items {
        let mut o = Map::new();
        o.insert("id".into(), json!(it.id.to_string()));
        o.insert("taskId".into(), json!(t.id.to_string()));
        o.insert("createdBy".into(), json!(it.created_by.to_string()));
        o.insert(
            "parentId".into(),
            if it.parent_id == 0 {
                json!(0)
            } else {
                json!(it.parent_id.to_string())
            },
        );
        o.insert("title".into(), json!(it.title));
        o.insert("sortIndex".into(), json!(it.sort_index.to_string()));
        o.insert("isComplete".into(), json!(yn(it.complete)));
        o.insert("isImportant".into(), json!(yn(it.important)));
        o.insert(
            "toggledBy".into(),
            it.toggled_by
                .map(|u| json!(u.to_string()))
                .unwrap_or(Value::Null),
        );
        o.insert(
            "toggledDate".into(),
            it.toggled_at.map(|d| json!(iso(d))).unwrap_or(Value::Null),
        );
        o.insert("ufChecklistFiles".into(), json!(false));
        o.insert("members".into(), json!([]));
        o.insert("attachments".into(), json!([]));
        o.insert("entityId".into(), json!(t.id.to_string()));
        o.insert("action".into(), item_action(r));
        m.insert(it.id.to_string(), Value::Object(o));
    }
    php_array(m)
}

fn children(t: &Task, parent: u64) -> Vec<&ChecklistItem> {
    let mut v: Vec<&ChecklistItem> = t
        .checklist
        .iter()
        .filter(|i| i.parent_id == parent)
        .collect();
    v.sort_by_key(|i| (i.sort_index, i.id));
    v
}

struct Tree<'a> {
    task: &'a Task,
    user: u64,
    rights: &'a Rights,
    next_node: i64,
}

impl Tree<'_> {
    fn node(&mut self, item: &ChecklistItem, display: String, depth: usize) -> Value {
        self.next_node += 1;
        let node_id = self.next_node;
        let kids = children(self.task, item.id);
        let completed = kids.iter().filter(|k| k.complete).count();
        let mut descendants = Vec::new();
        if depth < 32 {
            for (i, kid) in kids.iter().enumerate() {
                let d = if display.is_empty() {
                    (i + 1).to_string()
                } else {
                    format!("{display}.{}", i + 1)
                };
                descendants.push(self.node(kid, d, depth + 1));
            }
        }
        json!({
            "nodeId": node_id,
            "fields": {
                "id": item.id,
                "copiedId": null,
                "entityId": self.task.id,
                "userId": self.user,
                "createdBy": item.created_by,
                "parentId": item.parent_id,
                "title": item.title,
                "sortIndex": item.sort_index,
                "displaySortIndex": display,
                "isComplete": item.complete,
                "isImportant": item.important,
                "completedCount": completed,
                "members": [],
                "attachments": [],
                "nodeId": null,
            },
            "action": item_action(self.rights),
            "descendants": descendants,
        })
    }
}

pub fn checklist_tree(t: &Task, user: u64, r: &Rights) -> Value {
    let roots = children(t, 0);
    let completed = roots.iter().filter(|k| k.complete).count();
    let mut tree = Tree {
        task: t,
        user,
        rights: r,
        next_node: 0,
    };
    let descendants: Vec<Value> = roots
        .iter()
        .map(|root| tree.node(root, String::new(), 0))
        .collect();
    json!({
        "nodeId": 0,
        "fields": {
            "id": null,
            "copiedId": null,
            "entityId": null,
            "userId": user,
            "createdBy": null,
            "parentId": null,
            "title": "",
            "sortIndex": null,
            "displaySortIndex": "",
            "isComplete": false,
            "isImportant": false,
            "completedCount": completed,
            "members": [],
            "attachments": [],
            "nodeId": null,
        },
        "action": [],
        "descendants": descendants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn item(id: u64, parent: u64, sort: i64) -> ChecklistItem {
        ChecklistItem {
            id,
            parent_id: parent,
            created_by: 503,
            title: format!("t{id}"),
            sort_index: sort,
            complete: false,
            important: false,
            toggled_by: None,
            toggled_at: None,
        }
    }

    #[test]
    fn reproduces_the_start_example_shape() {
        let store = Store::seeded(1, 5);
        let mut t = store
            .tasks
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("seeded"));
        t.id = 8017;
        t.checklist = vec![item(431, 0, 0), item(433, 431, 0), item(435, 431, 1)];
        let r = Rights {
            checklist_edit: true,
            checklist_toggle: true,
            ..Rights::default()
        };
        let m = checklist_map(&t, &r);
        let keys: Vec<&String> = m
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["433", "431", "435"]);
        assert_eq!(m["431"]["parentId"], json!(0));
        assert_eq!(m["433"]["parentId"], json!("431"));
        let tree = checklist_tree(&t, 503, &r);
        assert_eq!(tree["fields"]["userId"], 503);
        let list = &tree["descendants"][0];
        assert_eq!(
            (list["nodeId"].clone(), list["fields"]["id"].clone()),
            (json!(1), json!(431))
        );
        assert_eq!(list["fields"]["displaySortIndex"], "");
        let second = &list["descendants"][1];
        assert_eq!(second["nodeId"], 3);
        assert_eq!(second["fields"]["displaySortIndex"], "2");
        assert_eq!(second["fields"]["parentId"], 431);
    }

    #[test]
    fn empty_checklist_is_an_empty_php_array_and_a_bare_root() {
        let store = Store::seeded(1, 5);
        let mut t = store
            .tasks
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("seeded"));
        t.checklist.clear();
        assert_eq!(checklist_map(&t, &Rights::default()), json!([]));
        let tree = checklist_tree(&t, 1, &Rights::default());
        assert_eq!(tree["descendants"], json!([]));
        assert_eq!(tree["action"], json!([]));
    }
}
