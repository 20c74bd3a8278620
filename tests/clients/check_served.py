"""Checks from the behind emulator's log which API served the bridged run.

    python check_served.py LOG [--v3 METHOD]... [--v2 METHOD=COUNT]...

The emulator writes one line per served call on stderr, e.g.
    ... INFO b24emu: served api="v3" method=tasks.task.list in_batch=true
Passes when every `--v3` method was served by REST 3.0 at least once, and the v2 calls
are exactly the `--v2` ones, COUNT times each: any other v2 call means the bridge passed
through something it should have translated.
"""

import argparse
import collections
import re
import sys

LINE = re.compile(r'api="?(v[23])"? method=(\S+)')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("--v3", action="append", default=[])
    parser.add_argument("--v2", action="append", default=[])
    args = parser.parse_args()

    served = collections.Counter()
    with open(args.log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.search(line)
            if m:
                served[(m.group(1), m.group(2).lower())] += 1

    problems = []
    for method in args.v3:
        if served[("v3", method)] == 0:
            problems.append(f"{method} was never served by REST 3.0")
    allowed = {}
    for spec in args.v2:
        method, _, count = spec.partition("=")
        allowed[method] = int(count or 1)
    for (api, method), n in sorted(served.items()):
        if api != "v2":
            continue
        want = allowed.get(method, 0)
        if n != want:
            problems.append(f"v2 served {method} {n} times, expected {want}")
    for method, want in allowed.items():
        if served[("v2", method)] == 0 and want > 0:
            problems.append(f"v2 served {method} 0 times, expected {want}")

    summary = ", ".join(f'{api} {method}: {n}' for (api, method), n in sorted(served.items()))
    print(f"served: {summary or 'nothing'}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
