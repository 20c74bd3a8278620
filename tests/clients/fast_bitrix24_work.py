"""One script of real work with fast_bitrix24, unmodified, as an integration would run it.

    python fast_bitrix24_work.py https://127.0.0.1:PORT OUT.json

Writes what the client returned to OUT.json; tests/clients/run.sh runs it against the
emulator's v2 endpoint and through the bridge and compares the two files. The order of
the writes is fixed (each awaited before the next), so both emulators, started from one
seed, give the created tasks the same ids.
"""

import json
import sys
import warnings

from fast_bitrix24 import Bitrix

SELECT = ["ID", "TITLE", "STATUS", "PRIORITY", "RESPONSIBLE_ID", "CREATED_BY", "DEADLINE", "GROUP_ID"]


def by_id(tasks):
    # get_all() merges pages answered concurrently: its order is the order the answers
    # arrived in, not data.
    return sorted(tasks, key=lambda t: int(t["id"]))


def main(base, out_path):
    # verbose=False only hides the progress bar; respect_velocity_policy stays True, the
    # default (False crashes on `time.operating`, see the reference).
    b = Bitrix(f"{base}/rest/1/hook1/", verbose=False)
    out = {}

    # get_all(): first page, then batches of start=50, 100, ... up to `total`.
    everything = b.get_all("tasks.task.list", {"select": SELECT})
    out["all"] = by_id(everything)
    filtered = b.get_all("tasks.task.list", {"select": SELECT, "filter": {">ID": 10}})
    out["filtered"] = by_id(filtered)
    if len(everything) <= 50 or len(filtered) <= 50:
        raise SystemExit(f"expected more than one page, got {len(everything)} and {len(filtered)}")

    # get_by_ID(): a batch of tasks.task.get, one command per id.
    got = b.get_by_ID("tasks.task.get", [1, 2, 3, 10, 11], ID_field_name="taskId")
    out["by_id"] = {str(k): v for k, v in got.items()}

    # call(): single writes (fast_bitrix24 sends even these as a batch).
    added = b.call(
        "tasks.task.add",
        {"fields": {"TITLE": "fast_bitrix24: Hello & [x]", "RESPONSIBLE_ID": 1, "PRIORITY": 2}},
    )
    out["add"] = added
    task_id = int(added["task"]["id"] if "task" in added else added["id"])
    out["update"] = b.call(
        "tasks.task.update",
        {"taskId": task_id, "fields": {"TITLE": "fast_bitrix24: renamed", "STATUS": 3}},
    )
    out["get_after_update"] = b.call("tasks.task.get", {"taskId": task_id, "select": SELECT})
    # call() with a list: one command per item, batched.
    more = b.call(
        "tasks.task.add",
        [{"fields": {"TITLE": f"fast_bitrix24: bulk {i}", "RESPONSIBLE_ID": 1}} for i in range(3)],
    )
    out["bulk_add"] = more
    out["delete"] = b.call("tasks.task.delete", {"taskId": task_id})
    out["get_deleted"] = b.call("tasks.task.get", {"taskId": task_id})

    # call_batch(): the client's raw batch, with a $result reference.
    out["batch"] = b.call_batch(
        {
            "halt": 0,
            "cmd": {
                "first": "tasks.task.list?select[0]=ID&select[1]=TITLE&filter[>ID]=140&order[ID]=asc",
                "one": "tasks.task.get?taskId=$result[first][tasks][0][id]&select[0]=ID&select[1]=TITLE",
                "count": "tasks.task.list?select[0]=ID&filter[<ID]=5&start=-1",
            },
        }
    )

    # Last, a call REST 3.0 cannot express (a filter on RESPONSIBLE_ID): the bridge passes it
    # to v2, as run.sh's served-by check expects.
    out["fallback"] = by_id(
        b.get_all("tasks.task.list", {"select": ["ID", "TITLE"], "filter": {"RESPONSIBLE_ID": 7, "<ID": 40}})
    )

    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(f"fast_bitrix24: {len(everything)} tasks, {len(filtered)} filtered, done", file=sys.stderr)


if __name__ == "__main__":
    warnings.simplefilter("default")
    main(sys.argv[1].rstrip("/"), sys.argv[2])
