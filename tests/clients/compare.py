"""Compares what a client received directly from v2 with what it received through the bridge.

    python compare.py DIRECT.json BRIDGED.json

Exit 0 when equal after normalising what may legitimately differ, else 1 with the first
differences. Normalised, as in tests/support/differential.rs:
- every value inside a `time` block and inside `result_time` entries (wall-clock timings);
- the v2-only values listed in tests/data/v2-only-values.txt, which REST 3.0 cannot
  supply and the bridge answers with neutral values (the keys must still be there).
Everything else, key order included, must be equal.
"""

import json
import os
import sys

_LIST = os.path.join(os.path.dirname(__file__), "..", "data", "v2-only-values.txt")
with open(_LIST, encoding="utf-8") as _f:
    V2_ONLY_VALUES = frozenset(
        line.strip() for line in _f if line.strip() and not line.startswith("#"))
TIME_KEYS = ("time", "result_time")


def blank_block(value):
    if isinstance(value, dict):
        return {k: "<time>" for k in value}
    return "<time>"


def normalise(value):
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            if key == "time":
                out[key] = blank_block(child)
            elif key == "result_time" and isinstance(child, dict):
                out[key] = {k: blank_block(v) for k, v in child.items()}
            elif key == "result_time" and isinstance(child, list):
                out[key] = [blank_block(v) for v in child]
            elif key in V2_ONLY_VALUES:
                out[key] = "<v2-only>"
            else:
                out[key] = normalise(child)
        return out
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def differences(a, b, path="$", found=None, limit=10):
    """Paths where a and b differ, key order included."""
    found = [] if found is None else found
    if len(found) >= limit:
        return found
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            if set(a) == set(b):
                found.append(f"{path}: key order differs: {list(a)} vs {list(b)}")
            else:
                only_a = [k for k in a if k not in b]
                only_b = [k for k in b if k not in a]
                found.append(f"{path}: keys only direct {only_a}, only bridged {only_b}")
        for key in a:
            if key in b:
                differences(a[key], b[key], f"{path}.{key}", found, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            found.append(f"{path}: {len(a)} items direct, {len(b)} bridged")
        for i, (x, y) in enumerate(zip(a, b)):
            differences(x, y, f"{path}[{i}]", found, limit)
    elif a != b or type(a) is not type(b):
        found.append(f"{path}: direct {json.dumps(a, ensure_ascii=False)[:200]}, "
                     f"bridged {json.dumps(b, ensure_ascii=False)[:200]}")
    return found


def main(direct_path, bridged_path):
    with open(direct_path, encoding="utf-8") as f:
        direct = normalise(json.load(f))
    with open(bridged_path, encoding="utf-8") as f:
        bridged = normalise(json.load(f))
    diffs = differences(direct, bridged)
    if diffs:
        for d in diffs:
            print(d)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
