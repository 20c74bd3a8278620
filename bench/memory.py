#!/usr/bin/env python3
"""Peak memory of b24bridge under concurrent translated lists that read rows ahead.

Run it through `scripts/bench-memory`, which builds the bridge, starts the emulated portal
(5,000 tasks) and the bridge, and calls this script with the bridge's port and pid.
Standard library only; talks to 127.0.0.1 only; every request has a timeout.

Load: --rounds rounds of --concurrency threads at once, each sending one
`tasks.task.list` with `filter[>ID]=k`, `order[ID]=asc` and the default (full-row)
select, each thread with its own k, so that every call reads its own 1,000 rows ahead
(`read_ahead`) and the bridge keeps them as a window. Peak memory is VmHWM of the bridge
(/proc/PID/status) after the run; the figure before the load is VmRSS.
"""

import argparse
import concurrent.futures
import http.client
import json
import sys
import time


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def one_list(port, k, timeout):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        target = f"/rest/1/hook1/tasks.task.list?filter%5B%3EID%5D={k}&order%5BID%5D=asc"
        conn.request("GET", target)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            return 0, f"HTTP {response.status}"
        rows = json.loads(body)["result"]["tasks"]
        return len(rows), None
    except Exception as e:  # noqa: BLE001 - every failure is counted, none ends the run
        return 0, type(e).__name__
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--label", default="")
    args = ap.parse_args()

    before = status_kb(args.pid, "VmRSS")
    started = time.monotonic()
    rows = 0
    errors = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for r in range(args.rounds):
            ks = [1 + (r * args.concurrency + i) * 37 % 4000 for i in range(args.concurrency)]
            for got, error in pool.map(lambda k: one_list(args.port, k, args.timeout), ks):
                rows += got
                if error:
                    errors[error] = errors.get(error, 0) + 1
    seconds = time.monotonic() - started
    peak = status_kb(args.pid, "VmHWM")
    after = status_kb(args.pid, "VmRSS")
    result = {
        "label": args.label,
        "calls": args.rounds * args.concurrency,
        "concurrency": args.concurrency,
        "rows_answered": rows,
        "errors": errors,
        "seconds": round(seconds, 2),
        "rss_before_mb": round(before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
    }
    print(json.dumps(result))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
