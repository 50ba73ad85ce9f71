#!/usr/bin/env bash
# Cyrus IMAP with CalDAV on 127.0.0.1, in a folder of its own:  cyrus.sh install|start|stop
#
#   install  apt-get the Debian packages that are missing (cyrus-imapd, cyrus-caldav, ...)
#   start    its own `master -C imapd.conf -M cyrus.conf` with only the imap and http (CalDAV)
#            services, each on a free loopback port; sasldb auth (saslpasswd2); the admin
#            creates the user's mailbox over IMAP; MKCALENDAR makes two calendars;
#            writes <folder>/server.env
#   stop     SIGTERM to master (it stops its children), SIGKILL after 30 s
#
# Nothing outside the folder is read or written: not /etc/imapd.conf, not /var/lib/cyrus.
SERVER_NAME=cyrus
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$INTEROP_DIR/cyrus"
PACKAGES=(cyrus-imapd cyrus-caldav cyrus-admin sasl2-bin)
MASTER=/usr/lib/cyrus/bin/master
ADMIN=cyrusadmin

# master does not hand its -C to the services: each command names the config itself.
write_config() {
    cat > "$DIR/imapd.conf" <<EOF
# Cyrus for the pseudocal interop tests: loopback only, everything under $DIR.
configdirectory: $DIR/conf
defaultpartition: default
partition-default: $DIR/spool
proc_path: $DIR/conf/proc
mboxname_lockpath: $DIR/conf/lock
lmtpsocket: $DIR/conf/socket/lmtp
idlesocket: $DIR/conf/socket/idle
notifysocket: $DIR/conf/socket/notify
sievedir: $DIR/sieve
servername: pseudocal-interop
admins: $ADMIN
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $DIR/conf/sasldb2
sasl_mech_list: PLAIN LOGIN
httpmodules: caldav
caldav_allowscheduling: off
altnamespace: no
unixhierarchysep: no
virtdomains: off
hashimapspool: true
delete_mode: immediate
# (expunge_mode stays the default "delayed", as on a real server: with "immediate" a
# sync-collection token goes stale as soon as an event is deleted)
umask: 077
syslog_prefix: cyrus-interop
EOF
    cat > "$DIR/cyrus.conf" <<EOF
START {
  recover cmd="ctl_cyrusdb -C $DIR/imapd.conf -r"
}
SERVICES {
  imap cmd="imapd -C $DIR/imapd.conf" listen="127.0.0.1:$IMAP_PORT" prefork=0 maxchild=10
  http cmd="httpd -C $DIR/imapd.conf" listen="127.0.0.1:$HTTP_PORT" prefork=0 maxchild=10
}
EVENTS {
  checkpoint cmd="ctl_cyrusdb -C $DIR/imapd.conf -c" period=30
}
EOF
}

make_users() {
    ADMIN_PASSWORD="$(new_password)"
    PASSWORD="$(new_password)"
    printf '%s' "$ADMIN_PASSWORD" | saslpasswd2 -f "$DIR/conf/sasldb2" -u pseudocal-interop -p -c "$ADMIN"
    printf '%s' "$PASSWORD" | saslpasswd2 -f "$DIR/conf/sasldb2" -u pseudocal-interop -p -c "$INTEROP_USER"
    chown cyrus:mail "$DIR/conf/sasldb2"
    chmod 600 "$DIR/conf/sasldb2"
}

# The admin creates user.<name> over IMAP (what `cyradm> cm user.<name>` does).
create_mailbox() {
    "$PY" - "$IMAP_PORT" "$ADMIN" "$ADMIN_PASSWORD" "$INTEROP_USER" <<'EOF'
import imaplib, sys
port, admin, password, user = sys.argv[1:5]
imap = imaplib.IMAP4("127.0.0.1", int(port), timeout=20)
imap.login(admin, password)
status, detail = imap.create(f"user.{user}")
if status != "OK":
    sys.exit(f"CREATE user.{user}: {status} {detail}")
imap.logout()
EOF
}

imap_up() {
    "$PY" -c 'import imaplib, sys; imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=3).logout()' "$IMAP_PORT"
}

start() {
    stop quiet
    trap 'stop quiet' EXIT  # a start that fails half-way leaves nothing running
    rm -rf "$DIR"
    mkdir -p "$DIR"/conf/{db,proc,lock,socket,log,user,quota,sieve,msg,ptclient} "$DIR"/spool "$DIR/sieve"
    chown -R cyrus:mail "$DIR/conf" "$DIR/spool" "$DIR/sieve"
    chmod 755 "$DIR"
    IMAP_PORT="$(free_port)"
    HTTP_PORT="$(free_port)"
    write_config
    make_users
    say "master with imap on 127.0.0.1:$IMAP_PORT and http (CalDAV) on 127.0.0.1:$HTTP_PORT"
    "$MASTER" -C "$DIR/imapd.conf" -M "$DIR/cyrus.conf" -p "$DIR/master.pid" \
        -L "$DIR/master.log" -d
    wait_until 30 "Cyrus IMAP on port $IMAP_PORT" imap_up \
        || { tail -20 "$DIR/master.log" >&2 || true; die "Cyrus does not answer IMAP"; }
    create_mailbox || die "could not create the mailbox of $INTEROP_USER"
    local home="http://127.0.0.1:$HTTP_PORT/dav/calendars/user/$INTEROP_USER/"
    wait_dav 60 "$home" "$INTEROP_USER" "$PASSWORD" || die "Cyrus CalDAV does not answer"
    for calendar in practice selfcare; do
        mkcalendar "$home$calendar/" "$INTEROP_USER" "$PASSWORD" \
            || die "could not make the calendar $calendar"
    done
    write_env "$DIR/server.env" cyrus "$home" "$INTEROP_USER" "$PASSWORD"
    trap - EXIT
    say "ready: $home (user $INTEROP_USER)"
}

stop() {
    local quiet="${1:-}" pid
    [ -f "$DIR/master.pid" ] || return 0
    pid="$(cat "$DIR/master.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        [ -n "$quiet" ] || say "stopping master ($pid)"
        kill -TERM "$pid"
        wait_gone 30 "$pid" || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/master.pid"
}

case "${1:-}" in
    install) apt_install "${PACKAGES[@]}" ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
