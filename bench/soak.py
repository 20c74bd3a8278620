#!/usr/bin/env python3
"""Soak test: minutes of mixed v2 load through b24bridge in front of the emulator.

Run it through `scripts/soak`, which builds the bridge, starts the emulated portal and the
bridge on free 127.0.0.1 ports, calls this script with their port and pid, and stops both
afterwards. Standard library only.

Load: a closed loop of --clients threads, each with its own keep-alive http.client
connection to the bridge, each picking the next operation at random (seeded per thread)
from this mix, by weight:

  get     tasks.task.get of a random seeded task, a few fields selected      (translated)
  list    tasks.task.list, a page start=0/50/..., filter[>ID]=N, order, select (translated)
  write   tasks.task.add, then tasks.task.update and tasks.task.delete of the added id
  batch   a v2 batch as a JSON body {"halt":0,"cmd":{...}}: four gets and a list page
  pass    user.current, server.time, or a list filtered by RESPONSIBLE_ID (v2 pass-through)

A request is an error when the connection fails, the status is not 200 (what v2 answers
to each of these), or the body is not a JSON object with `result`. Stricter checks on top:
a batch whose result_error is not empty, an add whose answer carries no task id.

Every --interval seconds a sampler reads the bridge's VmRSS from /proc/PID/status, its CPU
time from /proc/PID/stat and the requests completed in the interval. The samples go to
--csv; the summary is printed and, with --md, written as a Markdown report. RSS growth is
the average of the samples in the last minute against the average of the samples in
minute 2 (60 s < t <= 120 s, after warm-up), in percent.

The run is bounded: clients stop starting operations at the deadline, every request has a
--timeout, and the sampler joins them with a bound. Only 127.0.0.1 is ever contacted.
"""

import argparse
import collections
import datetime
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

WEBHOOK = "/rest/1/hook1/"
FORM = "application/x-www-form-urlencoded"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SELECT = ["ID", "TITLE", "STATUS", "RESPONSIBLE_ID", "DEADLINE"]
# Operation weights of the mix (write is three requests, batch five commands in one).
MIX = [("get", 30), ("list", 20), ("write", 10), ("batch", 15), ("pass", 25)]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def status_field(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split(":", 1)[1].strip()
    return ""


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def form(pairs):
    return urllib.parse.urlencode(pairs)


class Client(threading.Thread):
    """One closed-loop client on its own keep-alive connection."""

    def __init__(self, index, port, tasks, deadline, timeout, seed):
        super().__init__(daemon=True, name=f"client-{index}")
        self.port, self.tasks, self.deadline, self.timeout = port, tasks, deadline, timeout
        self.rng = random.Random(seed * 1000 + index)
        self.index = index
        self.conn = None
        self.requests = 0  # completed requests, read by the sampler
        self.errors = collections.Counter()  # (op, kind) -> n
        self.by_op = collections.Counter()  # op -> requests
        self.latency = collections.defaultdict(list)  # op -> seconds
        self.added = 0
        self.stop = threading.Event()
        ops, weights = zip(*MIX)
        self.ops, self.weights = ops, weights

    # -- one request -------------------------------------------------------------------
    def call(self, op, method, body, content_type=FORM):
        """POSTs one v2 call; returns the decoded `result` or None (the error is counted)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        t0 = time.monotonic()
        try:
            self.conn.request("POST", WEBHOOK + method, body=body.encode(),
                              headers={"Content-Type": content_type})
            resp = self.conn.getresponse()
            data = resp.read()
            status = resp.status
            if resp.will_close:
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException) as e:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            self.count(op, t0)
            self.errors[(op, "connection: " + type(e).__name__)] += 1
            return None
        self.count(op, t0)
        if status != 200:
            self.errors[(op, f"status {status}")] += 1
            return None
        try:
            doc = json.loads(data)
        except ValueError:
            self.errors[(op, "body not JSON")] += 1
            return None
        if not isinstance(doc, dict) or "result" not in doc:
            self.errors[(op, "no result")] += 1
            return None
        return doc["result"]

    def count(self, op, t0):
        self.latency[op].append(time.monotonic() - t0)
        self.by_op[op] += 1
        self.requests += 1

    # -- the mix ------------------------------------------------------------------------
    def task_id(self):
        return self.rng.randint(1, self.tasks)

    def select_pairs(self):
        fields = self.rng.sample(SELECT, self.rng.randint(2, len(SELECT)))
        return [("select[]", f) for f in fields]

    def op_get(self):
        self.call("get", "tasks.task.get", form([("taskId", self.task_id())] + self.select_pairs()))

    def op_list(self):
        pairs = [("start", 50 * self.rng.randint(0, 5)),
                 ("filter[>ID]", self.rng.randint(0, max(self.tasks - 300, 0))),
                 ("order[ID]", self.rng.choice(["asc", "desc"]))] + self.select_pairs()
        self.call("list", "tasks.task.list", form(pairs))

    def op_write(self):
        self.added += 1
        title = f"soak {self.index}-{self.added}"
        result = self.call("add", "tasks.task.add", form([
            ("fields[TITLE]", title), ("fields[RESPONSIBLE_ID]", 1),
            ("fields[DESCRIPTION]", "added by bench/soak.py")]))
        if result is None:
            return
        try:
            tid = int(result["task"]["id"])
        except (KeyError, TypeError, ValueError):
            self.errors[("add", "no task id")] += 1
            return
        self.call("update", "tasks.task.update", form([
            ("taskId", tid), ("fields[TITLE]", title + " (updated)"), ("fields[PRIORITY]", 2)]))
        self.call("delete", "tasks.task.delete", form([("taskId", tid)]))

    def op_batch(self):
        cmd = {}
        for i in range(4):
            fields = "&".join(f"select[]={f}" for f in self.rng.sample(SELECT, 3))
            cmd[f"g{i}"] = f"tasks.task.get?taskId={self.task_id()}&{fields}"
        start = 50 * self.rng.randint(0, 3)
        cmd["page"] = (f"tasks.task.list?start={start}&filter[>ID]={self.rng.randint(0, self.tasks // 2)}"
                       "&select[]=ID&select[]=TITLE")
        result = self.call("batch", "batch", json.dumps({"halt": 0, "cmd": cmd}), "application/json")
        if result is None:
            return
        if not isinstance(result, dict) or not isinstance(result.get("result"), dict):
            self.errors[("batch", "no result.result")] += 1
        elif result.get("result_error"):
            self.errors[("batch", "result_error not empty")] += 1
        elif len(result["result"]) != len(cmd):
            self.errors[("batch", "commands missing")] += 1

    def op_pass(self):
        which = self.rng.randint(0, 2)
        if which == 0:
            self.call("user.current", "user.current", "")
        elif which == 1:
            self.call("server.time", "server.time", "")
        else:
            self.call("list_responsible", "tasks.task.list", form([
                ("filter[RESPONSIBLE_ID]", self.rng.randint(1, 8)),
                ("start", 50 * self.rng.randint(0, 2)),
                ("select[]", "ID"), ("select[]", "TITLE")]))

    def run(self):
        ops = {"get": self.op_get, "list": self.op_list, "write": self.op_write,
               "batch": self.op_batch, "pass": self.op_pass}
        try:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                ops[self.rng.choices(self.ops, self.weights)[0]]()
        except Exception as e:  # a bug of this script: counted, never silent
            self.errors[("client", "exception: " + repr(e))] += 1
        finally:
            if self.conn is not None:
                self.conn.close()


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count()
    return {"nproc": nproc, "cpu": model, "kernel": platform.release(),
            "python": platform.python_version()}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def git_rev(root):
    try:
        return subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def mean(xs):
    return statistics.fmean(xs) if xs else None


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True, help="the bridge's port on 127.0.0.1")
    ap.add_argument("--pid", type=int, required=True, help="the bridge's pid (RSS, CPU)")
    ap.add_argument("--emulator-pid", type=int, help="the emulator's pid (its CPU, to see the bottleneck)")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--tasks", type=int, default=2000, help="tasks the emulator holds")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, s")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv", help="write the samples here")
    ap.add_argument("--md", help="write the Markdown report here")
    ap.add_argument("--command", default="scripts/soak", help="command line shown in the report")
    ap.add_argument("--setup", default="", help="one line on how the processes were started")
    args = ap.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    duration = args.minutes * 60.0
    started_at = datetime.datetime.now(datetime.timezone.utc)
    load_start = loadavg()
    rss0 = vm_rss_kb(args.pid)
    t0 = time.monotonic()
    deadline = t0 + duration
    clients = [Client(i, args.port, args.tasks, deadline, args.timeout, args.seed)
               for i in range(args.clients)]
    samples = [{"t": 0.0, "requests": 0, "rps": 0.0, "rss_kb": rss0, "cpu_pct": 0.0,
                "emu_cpu_pct": 0.0, "client_cpu_pct": 0.0, "errors": 0}]
    cpu_prev = cpu_start = cpu_ticks(args.pid)
    emu_prev = cpu_ticks(args.emulator_pid) if args.emulator_pid else 0
    own_prev = sum(os.times()[:2])
    log(f"soak: {args.clients} clients for {duration:.0f} s against 127.0.0.1:{args.port}, "
        f"bridge pid {args.pid}, RSS {rss0} kB")
    for c in clients:
        c.start()

    prev_req, prev_t = 0, t0
    next_at = t0 + args.interval
    bridge_alive = True
    while True:
        target = min(next_at, deadline)
        time.sleep(max(0.0, target - time.monotonic()))
        now = time.monotonic()
        req = sum(c.requests for c in clients)
        errs = sum(sum(c.errors.values()) for c in clients)
        try:
            rss = vm_rss_kb(args.pid)
            cpu = cpu_ticks(args.pid)
        except OSError:
            log("soak: the bridge is gone")
            bridge_alive = False
            break
        try:
            emu = cpu_ticks(args.emulator_pid) if args.emulator_pid else 0
        except OSError:
            emu = emu_prev
        own = sum(os.times()[:2])
        dt = max(now - prev_t, 1e-6)
        samples.append({"t": round(now - t0, 1), "requests": req, "rps": (req - prev_req) / dt,
                        "rss_kb": rss, "cpu_pct": 100.0 * (cpu - cpu_prev) / CLK_TCK / dt,
                        "emu_cpu_pct": 100.0 * (emu - emu_prev) / CLK_TCK / dt,
                        "client_cpu_pct": 100.0 * (own - own_prev) / dt, "errors": errs})
        x = samples[-1]
        log(f"  t={now - t0:6.0f}s  {x['rps']:7.1f} req/s  RSS {rss} kB  CPU % bridge "
            f"{x['cpu_pct']:5.1f} emulator {x['emu_cpu_pct']:5.1f} client {x['client_cpu_pct']:5.1f}  errors {errs}")
        prev_req, prev_t, cpu_prev, emu_prev, own_prev = req, now, cpu, emu, own
        if target >= deadline:
            break
        next_at += args.interval
    for c in clients:
        c.stop.set()
    for c in clients:
        c.join(timeout=args.timeout + 5)
    stuck = [c.name for c in clients if c.is_alive()]
    if stuck:
        log(f"soak: {', '.join(stuck)} still in a request after the bound; not waiting")
    elapsed = time.monotonic() - t0

    # -- summary ------------------------------------------------------------------------
    total = sum(c.requests for c in clients)
    errors = collections.Counter()
    by_op = collections.Counter()
    lat = collections.defaultdict(list)
    for c in clients:
        errors.update(c.errors)
        by_op.update(c.by_op)
        for op, xs in c.latency.items():
            lat[op].extend(xs)
    n_err = sum(errors.values())
    interval_rps = [s["rps"] for s in samples[1:]]
    # The last sample may cover a short tail of the interval; leave it out of min/max
    # when it is under half an interval.
    full = [s["rps"] for i, s in enumerate(samples[1:], 1)
            if s["t"] - samples[i - 1]["t"] >= args.interval / 2]
    warm = [s["rss_kb"] for s in samples if 60.0 < s["t"] <= 120.0]
    end_t = samples[-1]["t"]
    last = [s["rss_kb"] for s in samples if s["t"] > end_t - 60.0 and s["t"] > 0]
    warm_range = (min(warm), max(warm)) if warm else None
    last_range = (min(last), max(last)) if last else None
    loaded = [x for x in samples[1:] if x["t"] > 60.0]
    growth = None
    if duration >= 180 and warm and last:
        growth = 100.0 * (mean(last) - mean(warm)) / mean(warm)
    try:
        hwm = status_field(args.pid, "VmHWM")
        threads = status_field(args.pid, "Threads")
    except OSError:
        hwm, threads = "gone", "gone"
    summary = {
        "started": started_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "elapsed_s": elapsed,
        "total": total,
        "rps_mean": total / elapsed if elapsed else 0.0,
        "rps_min": min(full) if full else None,
        "rps_max": max(full) if full else None,
        "errors": n_err,
        "rss_start": rss0,
        "rss_warm": mean(warm),
        "rss_end": samples[-1]["rss_kb"],
        "rss_last_min": mean(last),
        "growth": growth,
        "rss_warm_range": warm_range,
        "rss_last_range": last_range,
        "rss_loaded_range": (min(x["rss_kb"] for x in loaded), max(x["rss_kb"] for x in loaded)) if loaded else None,
        "cpu_mean": {k: mean([x[k] for x in samples[1:]]) for k in ("cpu_pct", "emu_cpu_pct", "client_cpu_pct")},
        "bridge_alive": bridge_alive,
        "bridge_cpu_ms_per_request": 1e3 * (cpu_prev - cpu_start) / CLK_TCK / max(samples[-1]["requests"], 1),
    }
    log("")
    log(f"soak: {total} requests in {elapsed:.0f} s = {summary['rps_mean']:.1f} req/s "
        f"(intervals {summary['rps_min'] or 0:.1f}..{summary['rps_max'] or 0:.1f}); errors {n_err}")
    for (op, kind), n in sorted(errors.items()):
        log(f"  error {op}: {kind}: {n}")
    log(f"  RSS start {rss0} kB, minute 2 {summary['rss_warm']}, last minute {summary['rss_last_min']}, "
        f"growth {'n/a' if growth is None else f'{growth:.2f} %'}; VmHWM {hwm}")

    if args.csv:
        with open(args.csv, "w") as f:
            f.write("t_s,requests_total,requests_per_s,bridge_rss_kb,bridge_cpu_pct,"
                    "emulator_cpu_pct,client_cpu_pct,errors_total\n")
            for s in samples:
                f.write(f"{s['t']:.1f},{s['requests']},{s['rps']:.1f},{s['rss_kb']},"
                        f"{s['cpu_pct']:.1f},{s['emu_cpu_pct']:.1f},{s['client_cpu_pct']:.1f},{s['errors']}\n")
    if args.md:
        write_md(args, summary, samples, errors, by_op, lat, machine(), load_start, loadavg(),
                 git_rev(root), hwm, threads)
    print(json.dumps(summary))
    return 0 if n_err == 0 and bridge_alive else 1


def write_md(args, s, samples, errors, by_op, lat, m, load_start, load_end, rev, hwm, threads):
    def kb(v):
        return "n/a" if v is None else f"{v / 1024:.1f} MiB ({v:.0f} kB)"

    def rng(r):
        return "n/a" if r is None else f"{r[0]} .. {r[1]} kB"

    err_ok = s["errors"] == 0 and s["bridge_alive"]
    growth_ok = s["growth"] is not None and s["growth"] < 10.0
    lines = [
        f"# Soak test: {s['elapsed_s'] / 60:.0f} minutes of mixed load through b24bridge",
        "",
        "Written by `bench/soak.py` (run through `scripts/soak`); the raw samples are in",
        "`bench/results/soak.csv`.",
        "",
        "## Run",
        "",
        f"- Date: {s['started']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}, Python {m['python']}.",
        "  The 2 cores are **shared**: the bridge, the emulator, the Python load generator and",
        "  other engineers' builds and tests ran on them at the same time, nothing pinned.",
        f"  Load average at start {load_start}, at end {load_end}.",
        f"- Source: `{rev}`, release build (`cargo build --release --locked --bin b24bridge`). A",
        "  `-dirty` tree holds other engineers' uncommitted edits of the moment, built in too.",
        f"- Command: `{args.command}`",
        f"- Setup: {args.setup}" if args.setup else "- Setup: see scripts/soak.",
        f"- Load: {args.clients} closed-loop clients (Python threads), each with its own keep-alive",
        f"  connection to the bridge, webhook `{WEBHOOK}`; mix by weight "
        + ", ".join(f"{op} {w}" for op, w in MIX) + " (see the header of bench/soak.py).",
        f"- Duration: {s['elapsed_s']:.0f} s; a sample every {args.interval:.0f} s.",
        "",
        "## Result",
        "",
        "| | |",
        "|---|---|",
        f"| total requests | {s['total']} |",
        f"| requests/s, mean | {s['rps_mean']:.1f} |",
        f"| requests/s, min / max interval ({args.interval:.0f} s) | "
        f"{s['rps_min'] or 0:.1f} / {s['rps_max'] or 0:.1f} |",
        f"| errors | {s['errors']} |",
        f"| bridge RSS at start (idle, before load) | {kb(s['rss_start'])} |",
        f"| bridge RSS after warm-up (mean of minute 2) | {kb(s['rss_warm'])} |",
        f"| bridge RSS min..max in minute 2 | {rng(s['rss_warm_range'])} |",
        f"| bridge RSS min..max in the last minute | {rng(s['rss_last_range'])} |",
        f"| bridge RSS min..max after minute 1 | {rng(s['rss_loaded_range'])} |",
        f"| bridge RSS in the last minute (mean) | {kb(s['rss_last_min'])} |",
        f"| bridge RSS at end (last sample) | {kb(s['rss_end'])} |",
        f"| bridge VmHWM at end / threads | {hwm} / {threads} |",
        f"| mean CPU, % of one core: bridge / emulator / load client | "
        + " / ".join("n/a" if s["cpu_mean"][k] is None else f"{s['cpu_mean'][k]:.0f}"
                     for k in ("cpu_pct", "emu_cpu_pct", "client_cpu_pct")) + " |",
        f"| bridge CPU per request (user + system, mean over the mix) | {s['bridge_cpu_ms_per_request']:.2f} ms |",
        "| RSS growth, last minute vs minute 2 | "
        + ("n/a (run shorter than 3 minutes)" if s["growth"] is None else f"{s['growth']:+.2f} %") + " |",
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| 0 errors | {s['errors']} errors" + ("" if s["bridge_alive"] else ", the bridge died")
        + f" | **{'met' if err_ok else 'not met'}** |",
        "| RSS growth under 10 % | "
        + ("n/a" if s["growth"] is None else f"{s['growth']:+.2f} %")
        + " | **" + ("not measured" if s["growth"] is None else "met" if growth_ok else "not met") + "** |",
        "",
        "## Errors by kind",
        "",
    ]
    if errors:
        lines += ["| operation | kind | count |", "|---|---|---|"]
        lines += [f"| {op} | {kind} | {n} |" for (op, kind), n in sorted(errors.items())]
    else:
        lines.append("None: every answer was 200 with a JSON body carrying `result` (batches: "
                     "empty `result_error`, every command answered; adds: a task id).")
    lines += [
        "",
        "## Requests by operation (client-side latency, ms)",
        "",
        "| operation | requests | share | p50 | p99 | max |",
        "|---|---|---|---|---|---|",
    ]
    total = max(s["total"], 1)
    for op, n in sorted(by_op.items(), key=lambda kv: -kv[1]):
        xs = lat[op]
        lines.append(f"| {op} | {n} | {100.0 * n / total:.1f} % | {1e3 * pct(xs, 0.5):.1f} | "
                     f"{1e3 * pct(xs, 0.99):.1f} | {1e3 * max(xs):.1f} |")
    lines += [
        "",
        "The latencies include the Python client's own time on a loaded 2-core machine;",
        "they show stability over the run, not the bridge's cost.",
        "",
        "## Samples, one per minute",
        "",
        "| t (s) | requests/s in the 10 s before | bridge RSS (kB) | CPU % bridge | CPU % emulator | CPU % client | errors so far |",
        "|---|---|---|---|---|---|---|",
    ]
    picked = [samples[0]]
    for minute in range(1, int(s["elapsed_s"] // 60) + 2):
        cands = [x for x in samples if abs(x["t"] - 60.0 * minute) < args.interval / 2]
        if cands:
            picked.append(cands[0])
    if samples[-1] is not picked[-1]:
        picked.append(samples[-1])
    for x in picked:
        lines.append(f"| {x['t']:.0f} | {x['rps']:.1f} | {x['rss_kb']} | {x['cpu_pct']:.1f} | "
                     f"{x['emu_cpu_pct']:.1f} | {x['client_cpu_pct']:.1f} | {x['errors']} |")
    lines += [
        "",
        "RSS growth is the mean of the samples in the last minute against the mean of the",
        "samples in minute 2 (60 s < t <= 120 s), so the first minute's pool, cache and",
        "allocator warm-up is not counted as growth. CPU % is of one core, over the 10 s",
        "before the sample.",
        "",
    ]
    with open(args.md, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
