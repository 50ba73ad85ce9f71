# Shared helpers for the interop server scripts (sourced, not run).
#
# Every server lives in its own folder under $INTEROP_DIR (default: <repo>/.interop/<name>),
# listens on 127.0.0.1 only, on a free port, and writes <folder>/server.env for the tests:
#   PSEUDOCAL_INTEROP_<NAME>_URL       the user's calendar home (calendars are made under it)
#   PSEUDOCAL_INTEROP_<NAME>_USER      the CalDAV user name
#   PSEUDOCAL_INTEROP_<NAME>_PASSWORD  its password (synthetic, made for this run)
#   PSEUDOCAL_INTEROP_<NAME>_CALENDAR  the calendar made at start ("practice")
#   PSEUDOCAL_INTEROP_<NAME>_CALENDAR2 the second one ("selfcare")
# Every wait is bounded; a timeout prints the server's log tail and fails.

set -euo pipefail

INTEROP_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INTEROP_ROOT="$(cd "$INTEROP_HERE/../.." && pwd)"
INTEROP_DIR="${INTEROP_DIR:-$INTEROP_ROOT/.interop}"
INTEROP_USER="${INTEROP_USER:-practitioner}"
PY="${PYTHON:-python3}"

say() { printf '[interop %s] %s\n' "${SERVER_NAME:-?}" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# A free TCP port on 127.0.0.1 (bound and released; good enough on a quiet machine).
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A random synthetic password (letters and digits only: safe in every config file).
new_password() {
    "$PY" -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(24)))'
}

# wait_until SECONDS WHAT COMMAND...: run COMMAND every 0.2 s until it succeeds.
wait_until() {
    local timeout="$1" what="$2"; shift 2
    local deadline=$(( $(date +%s) + timeout ))
    until "$@" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            say "timed out after ${timeout}s waiting for $what"
            return 1
        fi
        sleep 0.2
    done
}

# wait_gone SECONDS PID: wait for a process to exit.
wait_gone() {
    local timeout="$1" pid="$2"
    wait_until "$timeout" "process $pid to exit" sh -c "! kill -0 $pid 2>/dev/null"
}

# wait_dav SECONDS URL USER PASSWORD: until a PROPFIND Depth 0 on URL answers 207.
wait_dav() {
    "$PY" "$INTEROP_HERE/dav.py" wait "$1" "$2" "$3" "$4"
}

# mkcalendar URL USER PASSWORD: MKCALENDAR, then a PROPFIND proves it is a calendar.
mkcalendar() {
    "$PY" "$INTEROP_HERE/dav.py" mkcalendar "$1" "$2" "$3"
}

# installed PKG: is this Debian package installed?
installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# apt_install PKG...: install the packages that are missing, starting no service.
# A policy-rc.d answering 101 keeps the packages' own services (Apache on :80, Cyrus on
# :143...) from starting on every interface while they are installed.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do installed "$pkg" || missing+=("$pkg"); done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "packages already installed: $*"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "installing ${missing[*]} needs root (apt-get)"
    say "installing ${missing[*]} (the first time takes a few minutes)"
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; made_policy=1
    fi
    local status=0
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}"; } >&2 || status=$?
    [ -z "$made_policy" ] || rm -f "$policy"
    [ "$status" -eq 0 ] || die "apt-get install ${missing[*]} failed ($status)"
}

# write_env FILE NAME URL USER PASSWORD: the variables the tests read (mode 0600).
write_env() {
    local file="$1" up; up="$(echo "$2" | tr '[:lower:]' '[:upper:]')"
    umask 077
    cat > "$file" <<EOF
export PSEUDOCAL_INTEROP_${up}_URL='$3'
export PSEUDOCAL_INTEROP_${up}_USER='$4'
export PSEUDOCAL_INTEROP_${up}_PASSWORD='$5'
export PSEUDOCAL_INTEROP_${up}_CALENDAR='${3}practice/'
export PSEUDOCAL_INTEROP_${up}_CALENDAR2='${3}selfcare/'
EOF
    umask 022
}
