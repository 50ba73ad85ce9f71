#!/usr/bin/env bash
# `make interop`: for each server (default: davical cyrus) install it if needed, start it on
# loopback, run the remote contract suite, the probes and the full sync cycle against it,
# stop it; then print the result table. Exit 0 only when everything passed.
#
#   tests/interop/run.sh [davical] [cyrus]
#
# Root is needed (apt-get, a PostgreSQL cluster run as `postgres`, Cyrus as `cyrus`).
# Results stay in .interop/<server>/: junit.xml, pytest.log, probes.json, the server's logs.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${INTEROP_DIR:-$ROOT/.interop}"
PY="${INTEROP_PYTHON:-$ROOT/.venv/bin/python}"
SERVERS=("$@")
[ "${#SERVERS[@]}" -gt 0 ] || SERVERS=(davical cyrus)

[ "$(id -u)" -eq 0 ] || { echo "make interop needs root (apt-get, postgres, cyrus)" >&2; exit 2; }
[ -x "$PY" ] || { echo "no $PY: run it through \`make interop\`" >&2; exit 2; }
for name in "${SERVERS[@]}"; do
    [ -f "$HERE/$name.sh" ] || { echo "unknown server $name (have: davical cyrus)" >&2; exit 2; }
done

running=""
stop_running() {
    if [ -n "$running" ]; then
        bash "$HERE/$running.sh" stop || true
        running=""
    fi
}
trap stop_running EXIT
trap 'stop_running; exit 130' INT TERM

cd "$ROOT"
for name in "${SERVERS[@]}"; do
    echo "== $name: install, start" >&2
    if ! bash "$HERE/$name.sh" install; then
        mkdir -p "$OUT/$name" && echo "install failed (see above)" > "$OUT/$name/failed-to-start"
        continue
    fi
    running="$name"
    if ! bash "$HERE/$name.sh" start; then
        running=""
        mkdir -p "$OUT/$name" && echo "start failed (see above)" > "$OUT/$name/failed-to-start"
        continue
    fi
    echo "== $name: contract suite, probes, sync cycle (log: $OUT/$name/pytest.log)" >&2
    (
        set -a
        source "$OUT/$name/server.env"
        set +a
        export PSEUDOCAL_INTEROP_SERVERS="$name" PSEUDOCAL_INTEROP_OUT="$OUT"
        timeout --kill-after=30 1800 "$PY" -m pytest -m interop -q --tb=short -p no:cacheprovider \
            --junitxml="$OUT/$name/junit.xml" -o junit_family=xunit1 \
            tests/integration/test_remote_contract.py tests/interop
    ) > "$OUT/$name/pytest.log" 2>&1
    tail -1 "$OUT/$name/pytest.log" >&2
    echo "== $name: stop" >&2
    stop_running
done

"$PY" "$HERE/report.py" --dir "$OUT" "${SERVERS[@]}"
