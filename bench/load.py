#!/usr/bin/env python3
"""Loopback load benchmark of b24bridge against nginx and against going direct.

Run it through `scripts/bench-load`, which builds the binaries and installs wrk, nginx and
gnuplot first. Standard library only.

Layout on the machine's two cores:
  CPU0: the proxy under test (b24bridge with one tokio worker, or nginx with one worker);
  CPU1: the load generator (wrk, or the fixed-rate `rate_load` example) and the canned
        upstream (`canned_portal` example, one thread).
The proxy's cost is read from /proc/PID/stat (utime+stime) before and after each run and
divided by the requests wrk completed: CPU microseconds per request does not depend on how
fast the client or the upstream were, and little on what else the machine was doing.
Targets are run round-robin, `--rounds` times, each in a fresh proxy process, and the
median of the rounds is reported. Every run is bounded (at most 10 s) and targets
127.0.0.1 only.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
BRIDGE = os.path.join(RELEASE, "b24bridge")
CANNED = os.path.join(RELEASE, "examples", "canned_portal")
RATE_LOAD = os.path.join(RELEASE, "examples", "rate_load")
RESULTS = os.path.join(ROOT, "bench", "results")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROXY_CPU = "0"
LOAD_CPU = "1"
WEBHOOK = "/rest/1/b3nchc0de/"
FORM = "application/x-www-form-urlencoded"
TELEMETRY = "bx24_request_id=3f2a9c1e&bx24_sdk_ver=1.2.0&bx24_sdk_type=b24phpsdk"

# What each target sends: (v2 method, form body).
CALLS = {
    "user.current": ("user.current", TELEMETRY),
    "get": ("tasks.task.get", "taskId=1000&" + TELEMETRY),
    "list": ("tasks.task.list", "start=0&" + TELEMETRY),
    "list_start_-1": ("tasks.task.list", "start=-1&" + TELEMETRY),
}

# Throughput targets: (name, proxy, call, label). proxy: direct | nginx | bridge |
# bridge-info (access log at info) | bridge-v2list (tasks.task.list configured mode = "v2") |
# bridge-fresh (tasks.task.list with read_ahead = 0: every call reads its own page from the
# portal and translates it, the same payload v2 would send; `total` is counted once and
# remembered for total_ttl, as by default).
TARGETS = [
    ("direct", "direct", "user.current", "upstream directly, user.current (1.8 KB)"),
    ("nginx", "nginx", "user.current", "nginx, user.current"),
    ("bridge_pass", "bridge", "user.current", "b24bridge pass-through, user.current"),
    ("bridge_pass_info", "bridge-info", "user.current", "b24bridge pass-through, log level info"),
    ("bridge_get", "bridge", "get", "b24bridge translating tasks.task.get"),
    ("bridge_list", "bridge-fresh", "list",
     "b24bridge translating tasks.task.list, each page read fresh (read_ahead = 0; 1 upstream)"),
    ("bridge_list_nototal", "bridge-fresh", "list_start_-1",
     "b24bridge translating tasks.task.list start=-1, read fresh (1 upstream)"),
    ("bridge_list_window", "bridge", "list",
     "b24bridge translating tasks.task.list, default rules (served from the read-ahead window)"),
    ("bridge_v2list", "bridge-v2list", "list", "b24bridge pass-through of the same 50-task v2 list"),
    ("nginx_v2list", "nginx", "list", "nginx, the same 50-task v2 list"),
    ("direct_v2list", "direct", "list", "upstream directly, the same 50-task v2 list"),
]

# Fixed-rate latency targets: (name, proxy, call, rate, baseline). rate None: --rate. The
# 50-task list costs a few hundred µs of CPU, so it runs at --list-rate, against the same
# payload fetched directly.
RATE_TARGETS = [
    ("direct", "direct", "user.current", None, None),
    ("nginx", "nginx", "user.current", None, "direct"),
    ("bridge_pass", "bridge", "user.current", None, "direct"),
    ("bridge_get", "bridge", "get", None, "direct"),
    ("direct_v2list", "direct", "list", "list", None),
    ("bridge_v2list", "bridge-v2list", "list", "list", "direct_v2list"),
    ("bridge_list", "bridge-fresh", "list", "list", "direct_v2list"),
]

# Many keep-alive connections: (name, proxy, call, mode). mode "open": the connections
# stay open while rate_load sends --rate requests/s over them (what 1,000 connected clients
# look like); "saturated": wrk keeps a request in flight on every connection.
CONN_TARGETS = [
    ("nginx_open", "nginx", "user.current", "open"),
    ("bridge_pass_open", "bridge", "user.current", "open"),
    ("bridge_get_open", "bridge", "get", "open"),
    ("nginx_saturated", "nginx", "user.current", "saturated"),
    ("bridge_pass_saturated", "bridge", "user.current", "saturated"),
    ("bridge_list_saturated", "bridge-fresh", "list", "saturated"),
]

V2_LIST_CONFIG = '[methods."tasks.task.list"]\nmode = "v2"\n'
FRESH_LIST_CONFIG = '[methods."tasks.task.list"]\nread_ahead = 0\n'

NGINX_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    upstream portal {{
        server 127.0.0.1:{upstream};
        keepalive 64;
        keepalive_requests 1000000;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # Room for the 88 KB list answer in memory, as b24bridge holds it.
            proxy_buffer_size 16k;
            proxy_buffers 16 16k;
            proxy_busy_buffers_size 32k;
        }}
    }}
}}
"""

WRK_LUA = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "{form}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {{\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d}}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def user_sys(pid):
    """utime and stime of a process, all threads, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def jiffies(pid):
    return sum(user_sys(pid))


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def established(port):
    """Established TCP connections to 127.0.0.1:port (the proxy's upstream connections)."""
    want = f"0100007F:{port:04X}"
    n = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[2] == want and parts[3] == "01":
                n += 1
    return n


class ConnSampler:
    """The most upstream connections seen open during a run, sampled every 0.25 s."""

    def __init__(self, port):
        import threading
        self.port, self.peak, self.done = port, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.wait(0.25):
            self.peak = max(self.peak, established(self.port))

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.peak


def machine_busy():
    """Busy jiffies of the whole machine and of each CPU, from /proc/stat."""
    busy = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            parts = line.split()
            v = [int(x) for x in parts[1:]]
            # user nice system idle iowait irq softirq steal
            busy[parts[0]] = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return busy


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Proc:
    """A process we started; stopped by its own pid only."""

    def __init__(self, argv, env=None, stdout=None, stderr=None):
        self.p = subprocess.Popen(argv, env=env, stdout=stdout or subprocess.DEVNULL,
                                  stderr=stderr or subprocess.DEVNULL)
        self.pid = self.p.pid

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class Proxy:
    """The process under test: b24bridge, nginx, or nothing (direct)."""

    def __init__(self, kind, upstream_port, workdir):
        self.kind = kind
        self.proc = None
        self.upstream_port = upstream_port
        if kind == "direct":
            self.port = upstream_port
            return
        self.port = free_port()
        if kind == "nginx":
            d = tempfile.mkdtemp(prefix="nginx-", dir=workdir)
            conf = os.path.join(d, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(dir=d, upstream=upstream_port, port=self.port))
            self.proc = Proc(["taskset", "-c", PROXY_CPU, "nginx", "-p", d, "-c", conf],
                             stderr=open(os.path.join(d, "stderr.log"), "w"))
        else:
            env = dict(os.environ)
            env.update({
                "B24BRIDGE_LISTEN": f"127.0.0.1:{self.port}",
                "B24BRIDGE_UPSTREAM": f"http://127.0.0.1:{upstream_port}",
                "B24BRIDGE_LOG__LEVEL": "info" if kind == "bridge-info" else "warn",
                # One worker thread on one pinned core, like nginx's one worker process.
                "TOKIO_WORKER_THREADS": "1",
            })
            env.pop("RUST_LOG", None)
            argv = ["taskset", "-c", PROXY_CPU, BRIDGE, "serve"]
            if kind == "bridge-v2list":
                conf = os.path.join(workdir, "v2list.toml")
                with open(conf, "w") as f:
                    f.write(V2_LIST_CONFIG)
                argv += ["--config", conf]
            elif kind.startswith("bridge-fresh"):
                conf = os.path.join(workdir, "fresh.toml")
                with open(conf, "w") as f:
                    f.write(FRESH_LIST_CONFIG)
                argv += ["--config", conf]
            else:
                # An empty config file: no ./b24bridge.toml of the developer's is read.
                conf = os.path.join(workdir, "empty.toml")
                open(conf, "w").close()
                argv += ["--config", conf]
            self.proc = Proc(argv, env=env, stderr=open(os.path.join(workdir, f"{kind}.log"), "a"))
        wait_port(self.port)
        time.sleep(0.1)  # nginx: let the worker start

    def pids(self):
        if self.proc is None:
            return []
        return [self.proc.pid] + children(self.proc.pid)

    def cpu(self):
        return sum(jiffies(p) for p in self.pids())

    def user_cpu(self):
        return sum(user_sys(p)[0] for p in self.pids())

    def peak_rss_kb(self):
        """VmHWM of the serving process (nginx: its worker)."""
        pids = self.pids()
        if not pids:
            return 0
        return max(status_kb(p, "VmHWM") for p in pids)

    def stop(self):
        if self.proc is not None:
            self.proc.stop()


def url(port, call):
    method, _ = CALLS[call]
    return f"http://127.0.0.1:{port}{WEBHOOK}{method}"


def wrk_script(workdir, call):
    path = os.path.join(workdir, f"wrk-{call}.lua")
    _, body = CALLS[call]
    with open(path, "w") as f:
        f.write(WRK_LUA.format(body=json.dumps(body), form=FORM))
    return path


def run_wrk(port, call, workdir, seconds, connections, threads=1):
    argv = ["taskset", "-c", LOAD_CPU, "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
            "--timeout", "5s", "--latency", "-s", wrk_script(workdir, call), url(port, call)]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=seconds + 30)
    for line in out.splitlines():
        if line.startswith("WRKJSON "):
            return json.loads(line[len("WRKJSON "):])
    raise RuntimeError(f"wrk printed no summary: {out}\n{err}")


def measure(proxy, canned, call, workdir, seconds, connections, threads=1):
    """One measured wrk run: the proxy's and upstream's CPU, the machine's other load."""
    run_wrk(proxy.port, call, workdir, 1, connections, threads)  # warm-up: pools, caches
    up0 = jiffies(canned.pid)
    cpu0 = proxy.cpu()
    user0 = proxy.user_cpu()
    busy0 = machine_busy()
    t0 = time.monotonic()
    usage0 = os.times()
    sampler = ConnSampler(proxy.upstream_port)
    r = run_wrk(proxy.port, call, workdir, seconds, connections, threads)
    usage1 = os.times()
    wall = time.monotonic() - t0
    busy1 = machine_busy()
    cpu1 = proxy.cpu()
    user1 = proxy.user_cpu()
    up1 = jiffies(canned.pid)
    upstream_conns = sampler.stop() if proxy.proc else None
    n = max(r["requests"], 1)
    proxy_j = cpu1 - cpu0
    up_j = up1 - up0
    client_j = ((usage1.children_user + usage1.children_system)
                - (usage0.children_user + usage0.children_system)) * CLK_TCK
    all_j = busy1["cpu"] - busy0["cpu"]
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return {
        "requests": r["requests"],
        "errors": errors,
        "rps": r["requests"] / (r["duration_us"] / 1e6),
        "proxy_cpu_us": proxy_j * 1e6 / CLK_TCK / n if proxy.proc else None,
        "proxy_user_us": (user1 - user0) * 1e6 / CLK_TCK / n if proxy.proc else None,
        "proxy_sys_us": (proxy_j - (user1 - user0)) * 1e6 / CLK_TCK / n if proxy.proc else None,
        "upstream_connections": upstream_conns,
        "upstream_cpu_us": up_j * 1e6 / CLK_TCK / n,
        "proxy_core_busy": (busy1["cpu" + PROXY_CPU] - busy0["cpu" + PROXY_CPU]) / CLK_TCK / wall,
        "proxy_share_of_core": proxy_j / CLK_TCK / wall,
        "other_load_cores": max(0.0, (all_j - proxy_j - up_j - client_j) / CLK_TCK / wall),
        "p50_us": r["p50_us"],
        "p99_us": r["p99_us"],
        "max_us": r["max_us"],
        "bytes_per_answer": r["bytes"] / n,
        "peak_rss_kb": proxy.peak_rss_kb(),
    }


def run_rate(proxy, call, seconds, rate, connections):
    method, body = CALLS[call]
    argv = ["taskset", "-c", LOAD_CPU, RATE_LOAD, "--url", url(proxy.port, call), "--rate", str(rate),
            "--duration", str(seconds), "--connections", str(connections), "--body", body,
            "--content-type", FORM]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    if out.returncode != 0:
        raise RuntimeError(f"rate_load failed: {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs):
    keys = runs[0].keys()
    return {k: median([r[k] for r in runs]) for k in keys} | {"rounds": len(runs)}


def post(port, method, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{WEBHOOK}{method}", data=body.encode(),
                                 headers={"Content-Type": FORM}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def stats(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__canned/stats", timeout=5) as r:
        return json.load(r)


COUNT_CALLS = [
    ("tasks.task.get", "tasks.task.get", "taskId=1000"),
    ("tasks.task.list, a full page with total", "tasks.task.list", "start=0"),
    ("tasks.task.list, start=-1", "tasks.task.list", "start=-1"),
    ("tasks.task.list, last page (start=100)", "tasks.task.list", "start=100"),
    ("tasks.task.add", "tasks.task.add", "fields%5BTITLE%5D=Call%20back&fields%5BRESPONSIBLE_ID%5D=1"),
    ("tasks.task.update", "tasks.task.update", "taskId=1000&fields%5BTITLE%5D=Call%20back%20today"),
    ("tasks.task.delete", "tasks.task.delete", "taskId=1000"),
    ("batch: 2 × tasks.task.get + user.current", "batch",
     "halt=0&cmd%5Ba%5D=tasks.task.get%3FtaskId%3D1000&cmd%5Bb%5D=tasks.task.get%3FtaskId%3D999"
     "&cmd%5Bc%5D=user.current"),
    ("batch: tasks.task.list (page + total) + tasks.task.get", "batch",
     "halt=0&cmd%5Ba%5D=tasks.task.list%3Fstart%3D0&cmd%5Bb%5D=tasks.task.get%3FtaskId%3D1000"),
    ("tasks.task.list with a LIKE filter (falls back to v2)", "tasks.task.list",
     "filter%5B%25TITLE%5D=report"),
    ("user.current (no rule: pass-through)", "user.current", ""),
]


def count_upstream(canned_port, workdir):
    proxy = Proxy("bridge", canned_port, workdir)
    out = []
    try:
        for label, method, body in COUNT_CALLS:
            before = stats(canned_port)
            status, answer = post(proxy.port, method, body)
            after = stats(canned_port)
            delta = {k: after[k] - before[k] for k in after if after[k] != before[k]}
            ok = status == 200 and b'"result"' in answer
            out.append({"call": label, "status": status, "ok": ok,
                        "upstream_requests": delta.pop("total", 0), "by_kind": delta})
            log(f"  {label}: {out[-1]['upstream_requests']} upstream ({delta}), HTTP {status}")
    finally:
        proxy.stop()
    return out


def machine():
    def first(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip() \
                or subprocess.run(cmd, capture_output=True, text=True, timeout=10).stderr.strip()
        except OSError:
            return "not found"
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    hyper = "KVM" if "hypervisor" in open("/proc/cpuinfo").read() else "bare metal"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} vCPU {model} ({hyper})",
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "rustc": first(["rustc", "--version"]),
        "wrk": first(["wrk", "--version"]).splitlines()[0],
        "nginx": first(["nginx", "-v"]),
        "loadavg_start": loadavg(),
    }


def fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def ms(us):
    return "–" if us is None else f"{us / 1000:.2f} ms"


def write_markdown(res, path):
    t = res["throughput"]
    m = res["machine"]
    p = res["params"]
    L = []
    L.append("# b24bridge load benchmark results\n")
    L.append(f"Measured {m['date']} with `scripts/bench-load` "
             f"(rounds: {p['rounds']}, {p['seconds']} s per run, {p['connections']} connections).\n")
    L.append("## Machine\n")
    L.append(f"- {m['cpu']}, {m['memory_gib']} GiB, Linux {m['kernel']}; {m['rustc']}; "
             f"{m['wrk']}; {m['nginx']}")
    L.append(f"- Load average at start {m['loadavg_start']}, at end {m['loadavg_end']}. "
             "Other developers build on this machine at the same time: the column *other load* "
             "is the CPU the rest of the machine used during each run (median, in cores), "
             "*proxy core busy* how busy the proxy's core was in all.")
    L.append("- Proxy pinned to CPU0 (`taskset -c 0`; b24bridge with `TOKIO_WORKER_THREADS=1`, "
             "nginx with `worker_processes 1`); wrk (1 thread) and the canned upstream (one thread) "
             "share CPU1. Plain HTTP on 127.0.0.1; b24bridge logs at `warn` unless stated.")
    L.append("- *CPU µs/req* is the proxy process's utime+stime delta (`/proc/PID/stat`) over the "
             "requests completed: the number to compare. req/s and latencies are closed-loop wrk "
             "figures, bounded by CPU1 (client + upstream) as much as by the proxy.\n")
    L.append("## Throughput and cost per request\n")
    L.append("| target | req/s | proxy CPU µs/req | of which user / kernel | upstream CPU µs/req | "
             "p50 | p99 | max | peak RSS | bytes/answer | proxy core busy | other load |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, _, _, label in TARGETS:
        if name not in t:
            continue
        r = t[name]
        split = ("–" if r["proxy_user_us"] is None
                 else f"{fmt(r['proxy_user_us'])} / {fmt(r['proxy_sys_us'])}")
        L.append(f"| {label} | {fmt(r['rps'], 0)} | **{fmt(r['proxy_cpu_us'])}** | {split} | "
                 f"{fmt(r['upstream_cpu_us'])} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
                 f"{ms(r['max_us'])} | {fmt(r['peak_rss_kb'] / 1024)} MB | "
                 f"{fmt(r['bytes_per_answer'], 0)} | {fmt(100 * r['proxy_core_busy'], 0)} % | "
                 f"{fmt(r['other_load_cores'], 2)} |")
    L.append("")
    # Saturated bridge runs keep ~1,000 requests in flight: past `client.max_connections`
    # (128 to the portal) and the translation queue the bridge answers 503 at once, by design.
    refused = sum(x.get("errors", 0) for name, runs in res.get("raw", {}).get("connections", {}).items()
                  if name.startswith("bridge") and name.endswith("_saturated") for x in runs)
    L.append("Errors (connect/read/write/timeouts/non-2xx) over all runs: "
             f"{res['errors_total'] - refused}, besides {refused:,} answers of 503 "
             "`QUERY_LIMIT_EXCEEDED` in the *saturated* bridge runs below: with ~1,000 requests in "
             "flight the bridge refuses at once what exceeds `client.max_connections` (128 requests "
             "to the portal) and `limits.max_queued_translations`, as configured (issue #14).\n")
    L.append("## Ratios (CPU per request)\n")
    L.append("| ratio | value | target | met |")
    L.append("|---|---:|---|---|")
    for r in res["ratios"]:
        met = "–" if r["target"] is None else ("yes" if r["met"] else "**no**")
        L.append(f"| {r['label']} | {fmt(r['value'], 2)} | {r['target'] or ''} | {met} |")
    L.append("")
    L.append(f"## Latency at a fixed rate ({p['rate']} requests/s; the 50-task list at "
             f"{p['list_rate']})\n")
    L.append(f"Open-loop load from the `rate_load` example ({p['rate_connections']} keep-alive "
             f"connections, {p['rate_seconds']} s per run, median of {p.get('rate_rounds', p['rounds'])} rounds); "
             "*added* is the target's percentile minus the same payload's fetched directly from "
             "the upstream in the same round, median over rounds. nginx's row is the noise floor of this machine: a proxy on a shared "
             "core waits for the scheduler now and then, whatever it is.\n")
    if res.get("measured", {}).get("rate"):
        L.append(f"Measured {res['measured']['rate']}.\n")
    L.append(f"*quiet*: the same, over the rounds in which neither run saw more than {QUIET} "
             "cores of outside load (other developers' builds); *other load* is the median "
             "outside load of the target's runs.\n")
    L.append("| target | rate | p50 | p99 | p99.9 | max | added p50 | added p99 | "
             "added p99, quiet (rounds) | proxy CPU µs/req | other load |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, _, call, _, base in RATE_TARGETS:
        r = res["rate"].get(name)
        if not r:
            continue
        add50 = ms(r.get("added_p50_us")) if base else "–"
        add99 = ms(r.get("added_p99_us")) if base else "–"
        L.append(f"| {name} ({call}) | {fmt(r['achieved_rate'], 0)} | {ms(r['p50_us'])} | "
                 f"{ms(r['p99_us'])} | {ms(r['p999_us'])} | {ms(r['max_us'])} | {add50} | "
                 f"{add99} | "
                 f"{'**' + ms(r.get('quiet_added_p99_us')) + '**' + ' (' + str(r.get('quiet_rounds')) + ')' if base else '–'} | "
                 f"{fmt(r.get('proxy_cpu_us'))} | {fmt(r.get('other_load_cores'), 2)} |")
    L.append("")
    L.append(f"## Peak RSS with {p['many_connections']} concurrent keep-alive connections\n")
    L.append(f"*open*: {p['many_connections']} keep-alive connections stay open while `rate_load` "
             f"sends {p['rate']} requests/s over them ({p['seconds']} s); *saturated*: wrk keeps a "
             "request in flight on every connection, so the proxy also holds ~1,000 upstream "
             "connections and 1,000 answers at once. Peak RSS is VmHWM of the serving process.\n")
    L.append("| target | mode | req/s | peak RSS (VmHWM) | upstream connections (peak) | p99 | errors |")
    L.append("|---|---|---:|---:|---:|---:|---:|")
    for name, kind, call, mode in CONN_TARGETS:
        r = res["connections"].get(name)
        if r:
            L.append(f"| {kind} ({call}) | {mode} | {fmt(r['rps'], 0)} | "
                     f"**{fmt(r['peak_rss_kb'] / 1024)} MB** | {fmt(r['upstream_connections'])} | "
                     f"{ms(r['p99_us'])} | {fmt(r['errors'], 0)} |")
    L.append("")
    L.append("## Upstream requests per v2 call\n")
    L.append("Counted at the canned upstream (`GET /__canned/stats` before and after one call "
             "through the bridge), not assumed. The canned portal holds 108 tasks, so a first "
             "page has a next page and the counting request gets a short page of 57 ids.\n")
    L.append("| v2 call | upstream requests | of which | answer |")
    L.append("|---|---:|---|---|")
    for c in res["upstream_requests"]:
        kinds = ", ".join(f"{k} {v}" for k, v in c["by_kind"].items())
        L.append(f"| {c['call']} | {c['upstream_requests']} | {kinds} | "
                 f"HTTP {c['status']}{'' if c['ok'] else ' (no result!)'} |")
    L.append("")
    L.append("![chart](chart.png)\n")
    with open(path, "w") as f:
        f.write("\n".join(L))


CHART_HEAD = """set terminal pngcairo size 1300,560 font "sans,10"
set output "{png}"
set datafile separator "\\t"
set multiplot layout 1,{panels} title "b24bridge load benchmark, {date} (medians over rounds; see results.md)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -35 left noenhanced
set key top left
set yrange [0:*]
"""

CHART_CPU = """set title "proxy CPU per request (lower is better; log scale)"
set style histogram clustered gap 1
set logscale y
set yrange [1:*]
set ylabel "CPU µs per request"
plot "{cpu}" using ($2+$3):xtic(1) title "user + kernel" lc rgb "#3060a0", "" using 2 title "user" lc rgb "#90a8d0"
unset logscale y
set yrange [0:*]
"""

CHART_LAT = """set title "latency at {rate} req/s (open loop)"
set style histogram clustered gap 1
set ylabel "ms"
plot "{lat}" using 2:xtic(1) title "p50" lc rgb "#60a060", "" using 3 title "p99" lc rgb "#d07030"
"""


def write_chart(res, workdir, png):
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no chart")
        return
    cpu = os.path.join(workdir, "cpu.tsv")
    lat = os.path.join(workdir, "lat.tsv")
    cpu_rows = []
    for name, _, _, _ in TARGETS:
        r = res["throughput"].get(name)
        if r and r["proxy_cpu_us"] is not None:
            cpu_rows.append(f"{name}\t{r['proxy_user_us']:.2f}\t{r['proxy_sys_us']:.2f}\n")
    lat_rows = []
    for name, _, call, _, _ in RATE_TARGETS:
        r = res["rate"].get(name)
        if r and call != "list":
            lat_rows.append(f"{name}\t{r['p50_us'] / 1000:.3f}\t{r['p99_us'] / 1000:.3f}\n")
    panels = [(CHART_CPU, cpu, cpu_rows), (CHART_LAT, lat, lat_rows)]
    panels = [p for p in panels if p[2]]
    if not panels:
        return
    gp = os.path.join(workdir, "chart.gp")
    with open(gp, "w") as f:
        f.write(CHART_HEAD.format(png=png, panels=len(panels), date=res["machine"]["date"],
                                  rounds=res["params"]["rounds"]))
        for template, path, rows in panels:
            with open(path, "w") as d:
                d.writelines(rows)
            f.write(template.format(cpu=cpu, lat=lat, rate=res["params"]["rate"]))
        f.write("unset multiplot\n")
    subprocess.run(["gnuplot", gp], check=True, timeout=60)


def ratio(res, label, num, den, target=None, limit=None):
    t = res["throughput"]
    a = t.get(num, {}).get("proxy_cpu_us")
    b = t.get(den, {}).get("proxy_cpu_us")
    value = a / b if a and b else None
    met = None if limit is None or value is None else value <= limit
    return {"label": label, "value": value, "target": target, "met": met}


QUIET = 0.25  # cores of outside load below which a round counts as quiet


def derive(res):
    """Ratios, paired added latencies and target verdicts, from the measured medians."""
    p = res["params"]
    raw = res.get("raw", {}).get("rate", {})
    # Added latency, paired: each round's target minus its baseline measured seconds before
    # it, then the median over rounds, so slow swings of outside load cancel. "quiet": only
    # the rounds in which neither run saw more than QUIET cores of outside load.
    for name, _, _, _, base in RATE_TARGETS:
        if not (base and raw.get(name) and raw.get(base) and name in res["rate"]):
            continue
        pairs = list(zip(raw[name], raw[base]))
        quiet = [(a, b) for a, b in pairs
                 if max(a.get("other_load_cores", 0), b.get("other_load_cores", 0)) < QUIET]
        for q in ("p50_us", "p99_us"):
            res["rate"][name]["added_" + q] = median([a[q] - b[q] for a, b in pairs])
            res["rate"][name]["quiet_added_" + q] = median([a[q] - b[q] for a, b in quiet])
        res["rate"][name]["quiet_rounds"] = len(quiet)
    res["ratios"] = [
        ratio(res, "b24bridge pass-through / nginx (user.current)", "bridge_pass", "nginx", "≤ 1.0", 1.0),
        ratio(res, "b24bridge pass-through / nginx (50-task v2 list)", "bridge_v2list", "nginx_v2list"),
        ratio(res, "translated 50-task list, page read fresh / pass-through of the same payload",
              "bridge_list", "bridge_v2list", "≤ 3.0", 3.0),
        ratio(res, "translated 50-task list from the read-ahead window / pass-through of the same payload",
              "bridge_list_window", "bridge_v2list"),
        ratio(res, "translated 50-task list start=-1 / pass-through of the same payload",
              "bridge_list_nototal", "bridge_v2list"),
        ratio(res, "translated tasks.task.get / pass-through user.current", "bridge_get", "bridge_pass",
              "≤ 2.0", 2.0),
        ratio(res, "pass-through at log level info / at warn", "bridge_pass_info", "bridge_pass"),
    ]
    for name, what in (("nginx", "nginx"), ("bridge_pass", "b24bridge pass-through"),
                       ("bridge_get", "b24bridge translated tasks.task.get")):
        r = res["rate"].get(name)
        for key, rounds in (("added_p99_us", "all rounds"), ("quiet_added_p99_us", "quiet rounds")):
            if r and r.get(key) is not None:
                added = r[key]
                if key.startswith("quiet"):
                    rounds = f"{r['quiet_rounds']} quiet rounds"
                res["ratios"].append({
                    "label": f"added p99 latency at {p['rate']} req/s, {what}, {rounds} (µs)",
                    "value": float(added), "target": None if name == "nginx" else "< 1000 µs",
                    "met": added < 1000})
    conn = res["connections"].get("bridge_pass_open")
    if conn:
        mb = conn["peak_rss_kb"] / 1024
        res["ratios"].append({"label": f"peak RSS with {p['many_connections']} open keep-alive "
                              f"connections at {p['rate']} req/s, pass-through (MB)",
                              "value": mb, "target": "< 30 MB", "met": mb < 30})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5, help="measured seconds per wrk run (≤ 9)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--list-rate", type=int, default=200)
    ap.add_argument("--rate-seconds", type=int, default=8)
    ap.add_argument("--rate-connections", type=int, default=32)
    ap.add_argument("--many-connections", type=int, default=1000)
    ap.add_argument("--only", default="", help="comma-separated throughput target names")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: throughput,rate,connections,count")
    ap.add_argument("--out", default=RESULTS)
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite results.md and chart.png from OUT/results.json, measure nothing")
    ap.add_argument("--merge", action="store_true",
                    help="keep the parts of OUT/results.json that --skip leaves out")
    args = ap.parse_args()
    if not 1 <= args.seconds <= 9 or not 1 <= args.rate_seconds <= 10:
        ap.error("runs are bounded to 10 s")
    for exe in (BRIDGE, CANNED, RATE_LOAD):
        if not os.path.exists(exe):
            ap.error(f"{exe} is missing: run scripts/bench-load (it builds them)")
    if args.report_only:
        with open(os.path.join(args.out, "results.json")) as f:
            res = json.load(f)
        derive(res)
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(res, f, indent=1)
        write_markdown(res, os.path.join(args.out, "results.md"))
        write_chart(res, tempfile.mkdtemp(), os.path.join(args.out, "chart.png"))
        return
    skip = set(filter(None, args.skip.split(",")))
    only = set(filter(None, args.only.split(",")))

    workdir = tempfile.mkdtemp(prefix="b24bridge-bench-")
    os.makedirs(args.out, exist_ok=True)
    res = {"machine": machine(), "params": vars(args) | {"only": sorted(only)},
           "throughput": {}, "rate": {}, "connections": {}, "raw": {}, "errors_total": 0,
           "measured": {}}
    previous = os.path.join(args.out, "results.json")
    if args.merge and os.path.exists(previous):
        # Re-measure only the parts not skipped; keep the others from the last full run.
        with open(previous) as f:
            old = json.load(f)
        for key in ("throughput", "rate", "connections", "raw", "upstream_requests", "measured"):
            if key in old:
                res[key] = old[key]
        res["machine"]["date"] = old["machine"]["date"]
        res["machine"]["loadavg_start"] = old["machine"]["loadavg_start"]
        res["errors_total"] = old.get("errors_total", 0)
        res["params"] = old["params"] | {"merged": sorted(
            {"throughput", "rate", "connections", "count"} - skip)}
    canned_port = free_port()
    canned = Proc(["taskset", "-c", LOAD_CPU, CANNED, "--listen", f"127.0.0.1:{canned_port}"],
                  stderr=open(os.path.join(workdir, "canned.log"), "w"))
    wait_port(canned_port)
    try:
        if "count" not in skip:
            log("== upstream requests per v2 call")
            res["upstream_requests"] = count_upstream(canned_port, workdir)
        else:
            res.setdefault("upstream_requests", [])

        targets = [t for t in TARGETS if (not only or t[0] in only)]
        if "throughput" not in skip:
            raw = {t[0]: [] for t in targets}
            for rnd in range(args.rounds):
                # Rotate the order so that a burst of outside load does not always hit the same target.
                order = targets[rnd % len(targets):] + targets[:rnd % len(targets)]
                for name, kind, call, _ in order:
                    proxy = Proxy(kind, canned_port, workdir)
                    try:
                        r = measure(proxy, canned, call, workdir, args.seconds, args.connections)
                    finally:
                        proxy.stop()
                    raw[name].append(r)
                    res["errors_total"] += r["errors"]
                    log(f"round {rnd + 1} {name}: {r['rps']:.0f} req/s, proxy "
                        f"{fmt(r['proxy_cpu_us'])} µs/req, p99 {r['p99_us']} µs, rss "
                        f"{r['peak_rss_kb']} kB, other load {r['other_load_cores']:.2f}")
            res["raw"]["throughput"] = raw
            res["throughput"] = {k: summarise(v) for k, v in raw.items() if v}

        if "rate" not in skip:
            raw = {t[0]: [] for t in RATE_TARGETS}
            for rnd in range(args.rounds):
                for name, kind, call, which, _ in RATE_TARGETS:
                    rate = args.list_rate if which == "list" else args.rate
                    proxy = Proxy(kind, canned_port, workdir)
                    try:
                        run_wrk(proxy.port, call, workdir, 1, args.rate_connections)  # warm-up
                        c0, up0, busy0, t0 = proxy.cpu(), jiffies(canned.pid), machine_busy(), time.monotonic()
                        usage0 = os.times()
                        r = run_rate(proxy, call, args.rate_seconds, rate, args.rate_connections)
                        usage1 = os.times()
                        c1, up1, busy1, wall = (proxy.cpu(), jiffies(canned.pid), machine_busy(),
                                                time.monotonic() - t0)
                        r["proxy_cpu_us"] = ((c1 - c0) * 1e6 / CLK_TCK / max(r["requests"], 1)
                                             if proxy.proc else None)
                        client_j = ((usage1.children_user + usage1.children_system)
                                    - (usage0.children_user + usage0.children_system)) * CLK_TCK
                        r["other_load_cores"] = max(0.0, (busy1["cpu"] - busy0["cpu"] - (c1 - c0)
                                                          - (up1 - up0) - client_j) / CLK_TCK / wall)
                    finally:
                        proxy.stop()
                    raw[name].append(r)
                    res["errors_total"] += r["errors"]
                    log(f"round {rnd + 1} rate {name}: {r['achieved_rate']:.0f} req/s p50 "
                        f"{r['p50_us']} p99 {r['p99_us']} max {r['max_us']} µs")
            res["raw"]["rate"] = raw
            res["rate"] = {k: summarise(v) for k, v in raw.items() if v}
            res["params"]["rate_rounds"] = args.rounds
            res["measured"]["rate"] = datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC") + f", load average {loadavg()}"

        if "connections" not in skip:
            raw = {t[0]: [] for t in CONN_TARGETS}
            for rnd in range(args.rounds):
                for name, kind, call, mode in CONN_TARGETS:
                    proxy = Proxy(kind, canned_port, workdir)
                    try:
                        if mode == "saturated":
                            r = measure(proxy, canned, call, workdir, args.seconds,
                                        args.many_connections)
                        else:
                            sampler = ConnSampler(canned_port)
                            r = run_rate(proxy, call, args.seconds, args.rate, args.many_connections)
                            r["upstream_connections"] = sampler.stop()
                            r["rps"] = r["achieved_rate"]
                            r["peak_rss_kb"] = proxy.peak_rss_kb()
                    finally:
                        proxy.stop()
                    raw[name].append(r)
                    res["errors_total"] += r["errors"]
                    log(f"round {rnd + 1} {args.many_connections} connections {name}: "
                        f"{r['rps']:.0f} req/s, rss {r['peak_rss_kb']} kB, upstream conns "
                        f"{r['upstream_connections']}, errors {r['errors']}")
            res["raw"]["connections"] = raw
            res["connections"] = {k: summarise(v) for k, v in raw.items() if v}
    finally:
        canned.stop()

    res["machine"]["loadavg_end"] = loadavg()
    derive(res)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    write_markdown(res, os.path.join(args.out, "results.md"))
    write_chart(res, workdir, os.path.join(args.out, "chart.png"))
    shutil.rmtree(workdir, ignore_errors=True)
    log(f"results: {os.path.join(args.out, 'results.md')}")


if __name__ == "__main__":
    main()
