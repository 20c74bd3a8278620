"""One script of real work with b24pysdk (the official Python SDK), unmodified.

    python b24pysdk_work.py https://127.0.0.1:PORT OUT.json

b24pysdk always builds https://{domain}/rest/... URLs; the domain here is 127.0.0.1:PORT
and REQUESTS_CA_BUNDLE makes it trust the test CA. Writes what the client returned to
OUT.json for tests/clients/run.sh to compare. Calls are sequential, so the writes reach
both emulators in the same order and the created tasks get the same ids.
"""

import json
import sys
from urllib.parse import urlsplit

from b24pysdk import BitrixWebhook, Client

SELECT = ["ID", "TITLE", "STATUS", "PRIORITY", "RESPONSIBLE_ID", "CREATED_BY", "DEADLINE", "GROUP_ID"]


def plain(response):
    """A response object as JSON data: the SDK's own dict form."""
    return response.to_dict()


def main(base, out_path):
    domain = urlsplit(base).netloc
    client = Client(BitrixWebhook(domain=domain, webhook_token="1/hook1"))
    task = client.tasks.task
    out = {}

    out["get"] = plain(task.get(1).response)
    out["get_select"] = task.get(2, select=SELECT).result
    out["get_missing"] = task.get(999999).result

    # as_list(): pages with start=50, 100, ... driven by next/total.
    everything = task.list(select=SELECT, order={"ID": "ASC"}).as_list().result
    out["as_list"] = everything
    filtered = task.list(select=SELECT, filter={">ID": 10}, order={"ID": "DESC"}).as_list().result
    out["as_list_filtered"] = filtered
    # as_list_fast(): a chain of batch commands, each filtering on the last id of the
    # previous one through a $result[...] reference.
    fast = list(task.list(select=["ID", "TITLE"], filter={">ID": 5}).as_list_fast().result)
    out["as_list_fast"] = fast
    if min(len(everything), len(filtered), len(fast)) <= 50:
        raise SystemExit(f"expected more than one page: {len(everything)}, {len(filtered)}, {len(fast)}")

    added = task.add({"TITLE": "b24pysdk: Hello & [x]", "RESPONSIBLE_ID": 1, "PRIORITY": 2}).response
    out["add"] = plain(added)
    task_id = int(added.result["task"]["id"])
    out["update"] = plain(task.update(task_id, {"TITLE": "b24pysdk: renamed", "STATUS": 3}).response)
    out["get_after_update"] = task.get(task_id, select=SELECT).result

    batch = client.call_batch(
        {
            "get": task.get(1, select=["ID", "TITLE"]),
            "page": task.list(select=["ID", "TITLE"], filter={"<ID": 8}, order={"ID": "ASC"}),
            "add": task.add({"TITLE": "b24pysdk: in a batch", "RESPONSIBLE_ID": 1}),
            "missing": task.get(999999),
            "not_found": task.update(999999, {"TITLE": "nobody"}),
        },
        halt=False,
    )
    out["batch"] = plain(batch.response)

    out["delete"] = plain(task.delete(task_id).response)
    out["get_deleted"] = task.get(task_id).result

    # Last, a call REST 3.0 cannot express (a filter on RESPONSIBLE_ID): the bridge passes it
    # to v2, as run.sh's served-by check expects.
    out["fallback"] = task.list(select=["ID", "TITLE"], filter={"RESPONSIBLE_ID": 7, "<ID": 40}).result

    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, default=str)
    print(f"b24pysdk: {len(everything)} tasks, {len(filtered)} filtered, {len(fast)} fast, done", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
