#!/usr/bin/env bash
# End-to-end suite: three real, unmodified Bitrix24 clients (fast_bitrix24, b24pysdk,
# @bitrix24/b24jssdk) run one script of real work each, once against the emulator's v2
# endpoint ("direct") and once through the bridge in front of a second emulator
# ("behind"), and the data they received must be equal. Then the bridged run is repeated
# with the behind emulator enforcing Bitrix24's rate limit.
#
#   tests/clients/run.sh            # everything; the last line is "N passed, N failed"
#   CLIENTS="b24jssdk" tests/clients/run.sh   # a subset
#   KEEP_TMP=1 tests/clients/run.sh # keep the certificates, logs and outputs
#
# Installs what it needs (a virtualenv in tests/clients/.venv, npm packages in
# tests/clients/node/node_modules), reusing them when they are up to date. Runs the debug
# binary, target/debug/b24bridge, after `cargo build` (B24BRIDGE_BIN names another).
# Every client run is bounded by `timeout` (CLIENT_TIMEOUT seconds, 300 by default).
#
# Every client speaks https to both endpoints, trusting a throwaway CA made here:
# b24pysdk and b24jssdk only build https URLs, and fast_bitrix24's aiohttp builds its
# default SSL context from OpenSSL's default paths, which honour SSL_CERT_FILE. So one
# TLS emulator serves as the direct endpoint for all three, and the bridge serves TLS
# in front of a plain-http emulator, as the sidecar would.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SEED=${SEED:-42}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-300}
CLIENTS=${CLIENTS:-"fast_bitrix24 b24pysdk b24jssdk"}

PASSED=0
FAILED=0
PIDS=()
CLIENT_PID=
TMP=$(mktemp -d "${TMPDIR:-/tmp}/b24bridge-clients.XXXXXX")

say() { printf '%s\n' "$*"; }

pass() {
    PASSED=$((PASSED + 1))
    say "ok   - $1"
}

fail() {
    FAILED=$((FAILED + 1))
    say "FAIL - $1"
    shift
    local line
    for line in "$@"; do
        say "       $line"
    done
}

# Prints the last lines of a file, indented, under a failure.
show_tail() {
    [ -f "$1" ] || return 0
    say "       --- last lines of $(basename "$1"):"
    tail -n "${2:-25}" "$1" | sed 's/^/       | /'
}

stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    PIDS=()
}

finish() {
    local status=$?
    if [ -n "$CLIENT_PID" ]; then
        kill -TERM "$CLIENT_PID" 2>/dev/null
        wait "$CLIENT_PID" 2>/dev/null
    fi
    stop_all
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        say "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    if [ "$FAILED" -gt 0 ] && [ "$status" -eq 0 ]; then
        status=1
    fi
    say "$PASSED passed, $FAILED failed"
    exit "$status"
}
trap finish EXIT
trap 'fail "interrupted"; exit 130' INT TERM

# A setup step that must work for anything else to run.
require() {
    local what=$1
    shift
    local log="$TMP/setup.log"
    if "$@" >"$log" 2>&1; then
        pass "$what"
    else
        fail "$what" "command: $*"
        show_tail "$log" 40
        exit 1
    fi
}

# --- tools and packages -----------------------------------------------------------------

# The debug binary, brought up to date by cargo (a no-op after `cargo test`), unless
# B24BRIDGE_BIN names one.
BIN=${B24BRIDGE_BIN:-"${CARGO_TARGET_DIR:-$ROOT/target}/debug/b24bridge"}
build_binary() {
    if [ -z "${B24BRIDGE_BIN:-}" ]; then
        (cd "$ROOT" && cargo build --locked --bin b24bridge) || return 1
    fi
    [ -x "$BIN" ]
}

VENV="$HERE/.venv"
PY="$VENV/bin/python"
# The virtualenv is reused while requirements.txt is the one it was made from.
setup_venv() {
    local want have
    want=$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)
    have=$(cat "$VENV/.requirements.sha256" 2>/dev/null || true)
    if [ -x "$PY" ] && [ "$want" = "$have" ]; then
        return 0
    fi
    rm -rf "$VENV"
    python3 -m venv "$VENV" &&
        "$PY" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" &&
        echo "$want" >"$VENV/.requirements.sha256"
}

NODE_DIR="$HERE/node"
# node_modules is reused while package-lock.json is the one it was installed from.
setup_node() {
    local want have
    want=$(sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1)
    have=$(cat "$NODE_DIR/node_modules/.lock.sha256" 2>/dev/null || true)
    if [ -d "$NODE_DIR/node_modules/@bitrix24/b24jssdk" ] && [ "$want" = "$have" ]; then
        return 0
    fi
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) &&
        echo "$want" >"$NODE_DIR/node_modules/.lock.sha256"
}

# A throwaway CA and a certificate for 127.0.0.1 and localhost signed by it.
make_certificates() {
    local dir="$TMP/tls"
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
        -subj "/CN=b24bridge client-suite test CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$dir/ca.key" -out "$dir/ca.pem" &&
        openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" \
            -keyout "$dir/server.key" -out "$dir/server.csr" &&
        printf '%s\n' \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$dir/server.ext" &&
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
            -CAcreateserial -days 2 -sha256 -extfile "$dir/server.ext" -out "$dir/server.pem"
}

say "== client suite (seed $SEED; work files in $TMP)"
require "build b24bridge" build_binary
require "python virtualenv ($(grep -E '^(fast_bitrix24|b24pysdk)==' "$HERE/requirements.txt" | paste -sd ' '))" setup_venv
require "npm packages (@bitrix24/b24jssdk $(sed -n 's/.*"@bitrix24\/b24jssdk": *"\([^"]*\)".*/\1/p' "$NODE_DIR/package.json"))" setup_node
require "test CA and server certificate" make_certificates

CA="$TMP/tls/ca.pem"
CERT="$TMP/tls/server.pem"
KEY="$TMP/tls/server.key"

# --- processes --------------------------------------------------------------------------

# Processes run from a folder without b24bridge.toml and with no B24BRIDGE_* or RUST_LOG
# from the caller's environment: `env "${CLEAN_ENV[@]}"`.
CLEAN_ENV=(-u RUST_LOG)
for name in $(compgen -e); do
    case $name in B24BRIDGE_*) CLEAN_ENV+=(-u "$name") ;; esac
done

# Waits until FILE holds a line matching the sed expression SED (which prints the capture),
# or the process PID dies, or 20 s pass; prints the capture.
wait_for() {
    local file=$1 expr=$2 pid=$3 found _
    for _ in $(seq 1 200); do
        found=$(sed -n "$expr" "$file" 2>/dev/null | head -n 1)
        if [ -n "$found" ]; then
            printf '%s\n' "$found"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# start_emulator NAME [FLAGS...]: an emulator on a free loopback port; sets ADDR.
# stdout goes to NAME.out, stderr (one line per served call) to NAME.log.
start_emulator() {
    local name=$1
    shift
    # The subshell execs into env, and env into the binary: $! is the binary's pid.
    (cd "$TMP" && exec env "${CLEAN_ENV[@]}" "$BIN" emulate --listen 127.0.0.1:0 --seed "$SEED" "$@") \
        >"$TMP/$name.out" 2>"$TMP/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    ADDR=$(wait_for "$TMP/$name.out" 's|^emulated portal on https\{0,1\}://\([0-9.:]*\).*|\1|p' "$pid") || {
        fail "start emulator $name"
        show_tail "$TMP/$name.log"
        return 1
    }
}

# start_bridge NAME UPSTREAM_ADDR: the bridge (TLS) on a free loopback port in front of
# http://UPSTREAM_ADDR; sets ADDR. Its JSON access log goes to NAME.log.
start_bridge() {
    local name=$1 upstream=$2
    (cd "$TMP" && exec env "${CLEAN_ENV[@]}" B24BRIDGE_LISTEN=127.0.0.1:0 \
        B24BRIDGE_ADMIN__LISTEN=127.0.0.1:0 \
        B24BRIDGE_UPSTREAM="http://$upstream" \
        B24BRIDGE_TLS__CERT="$CERT" \
        B24BRIDGE_TLS__KEY="$KEY" \
        B24BRIDGE_LOG__FORMAT=json \
        "$BIN" serve) >"$TMP/$name.out" 2>"$TMP/$name.log" &
    local pid=$!
    PIDS+=("$pid")
    ADDR=$(wait_for "$TMP/$name.log" '/b24bridge is serving/s|.*"listen":"\([0-9.:]*\)".*|\1|p' "$pid") || {
        fail "start bridge $name"
        show_tail "$TMP/$name.log"
        return 1
    }
}

# Sends requests straight to a rate-limited emulator until it answers 503, so the bucket
# is full when the client starts: the client then meets QUERY_LIMIT_EXCEEDED on its first
# calls whatever its own throttling does, and the leak (2/s) paces the rest.
fill_bucket() {
    "$PY" - "$1" <<'PY'
import sys, urllib.error, urllib.request
url = f"http://{sys.argv[1]}/rest/1/hook1/server.time"
for _ in range(200):
    try:
        urllib.request.urlopen(url, timeout=5).read()
    except urllib.error.HTTPError as e:
        if e.code == 503:
            sys.exit(0)
sys.exit(1)
PY
}

# --- clients ----------------------------------------------------------------------------

# run_client CLIENT BASE_URL OUT.json LOG: the client's script, bounded in time, trusting
# the test CA.
run_client() {
    local client=$1 base=$2 out=$3 log=$4
    local -a cmd
    case $client in
    fast_bitrix24) cmd=("$PY" "$HERE/fast_bitrix24_work.py") ;;
    b24pysdk) cmd=("$PY" "$HERE/b24pysdk_work.py") ;;
    b24jssdk) cmd=(node "$NODE_DIR/b24jssdk_work.mjs") ;;
    *)
        say "unknown client $client" >"$log"
        return 2
        ;;
    esac
    # In the background and waited for, so a signal to this script is handled at once
    # (timeout runs in a process group of its own and passes a TERM on to the client).
    (cd "$TMP" && exec timeout -k 10 "$CLIENT_TIMEOUT" env \
        SSL_CERT_FILE="$CA" REQUESTS_CA_BUNDLE="$CA" NODE_EXTRA_CA_CERTS="$CA" \
        NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
        "${cmd[@]}" "$base" "$out") >"$log" 2>&1 &
    CLIENT_PID=$!
    local status=0
    wait "$CLIENT_PID" || status=$?
    CLIENT_PID=
    return "$status"
}

# What the served-by check expects of each client's bridged run: the REST 3.0 methods
# that must have served it, and the only v2 calls allowed, with their exact count. Each
# script ends with one deliberate fallback, a filter on RESPONSIBLE_ID (one v2
# tasks.task.list). Everything else the scripts do is translatable.
served_expectations() {
    local v3="--v3 tasks.task.list --v3 tasks.task.get --v3 tasks.task.add --v3 tasks.task.update --v3 tasks.task.delete --v3 batch"
    case $1 in
    fast_bitrix24 | b24jssdk) echo "$v3 --v2 tasks.task.list=1" ;;
    # as_list_fast() sends a chain of 50 commands, each filtering on
    # `$result[previous][tasks][49][id]`. The bridge answers the first page with a
    # read-ahead and the next ones from it, resolving each reference itself, until a page
    # is short: past it the path does not exist (v2 makes it an empty string, which no
    # REST 3.0 filter expresses), so the commands from there on, 48 of them with the
    # seed's 148 tasks, go to v2 together in one v2 batch.
    b24pysdk) echo "$v3 --v2 tasks.task.list=49 --v2 batch=1" ;;
    esac
}

# One client: direct run (the reference), bridged run, bridged run under the rate limit.
# Each run starts from fresh emulators with the same seed, so equal writes give equal ids.
client_case() {
    local c=$1
    local ref="$TMP/$c.direct.json"

    say "-- $c"
    start_emulator "$c.direct" --tls-cert "$CERT" --tls-key "$KEY" || return 0
    if run_client "$c" "https://$ADDR" "$ref" "$TMP/$c.direct.client.log"; then
        pass "$c: script completes against v2 directly"
    else
        fail "$c: script completes against v2 directly" "exit status $?"
        show_tail "$TMP/$c.direct.client.log"
        stop_all
        return 0
    fi
    stop_all

    start_emulator "$c.behind" || return 0
    start_bridge "$c.bridge" "$ADDR" || return 0
    local got="$TMP/$c.bridged.json"
    if run_client "$c" "https://$ADDR" "$got" "$TMP/$c.bridged.client.log"; then
        pass "$c: script completes through the bridge"
        if "$PY" "$HERE/compare.py" "$ref" "$got" >"$TMP/$c.compare.log" 2>&1; then
            pass "$c: same data through the bridge as from v2"
        else
            fail "$c: same data through the bridge as from v2"
            show_tail "$TMP/$c.compare.log" 20
        fi
        # shellcheck disable=SC2046
        if "$PY" "$HERE/check_served.py" "$TMP/$c.behind.log" $(served_expectations "$c") \
            >"$TMP/$c.served.log" 2>&1; then
            pass "$c: translatable calls served by REST 3.0 ($(sed -n 's/^served: //p' "$TMP/$c.served.log"))"
        else
            fail "$c: translatable calls served by REST 3.0"
            show_tail "$TMP/$c.served.log" 20
        fi
    else
        fail "$c: script completes through the bridge" "exit status $?"
        show_tail "$TMP/$c.bridged.client.log"
        show_tail "$TMP/$c.bridge.log" 10
    fi
    stop_all

    start_emulator "$c.behind-limited" --rate-limit || return 0
    local behind=$ADDR
    start_bridge "$c.bridge-limited" "$behind" || return 0
    if ! fill_bucket "$behind"; then
        fail "$c: fill the rate-limit bucket" "the emulator never answered 503"
        stop_all
        return 0
    fi
    local limited="$TMP/$c.limited.json" started=$SECONDS
    if run_client "$c" "https://$ADDR" "$limited" "$TMP/$c.limited.client.log"; then
        local n503
        n503=$(grep -c '"status":503' "$TMP/$c.bridge-limited.log")
        pass "$c: script completes through the bridge under the rate limit ($n503 answers of 503, $((SECONDS - started)) s)"
        if [ "$n503" -gt 0 ]; then
            pass "$c: met QUERY_LIMIT_EXCEEDED and retried"
        else
            fail "$c: met QUERY_LIMIT_EXCEEDED and retried" "the bridge never answered 503"
        fi
        if "$PY" "$HERE/compare.py" "$ref" "$limited" >"$TMP/$c.compare-limited.log" 2>&1; then
            pass "$c: same data under the rate limit as from v2"
        else
            fail "$c: same data under the rate limit as from v2"
            show_tail "$TMP/$c.compare-limited.log" 20
        fi
    else
        fail "$c: script completes through the bridge under the rate limit" "exit status $?"
        show_tail "$TMP/$c.limited.client.log"
        show_tail "$TMP/$c.bridge-limited.log" 10
    fi
    stop_all
}

for client in $CLIENTS; do
    client_case "$client"
    stop_all
done
