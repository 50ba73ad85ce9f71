#!/usr/bin/env bash
# DAViCal on 127.0.0.1, in a folder of its own:  davical.sh install|start|stop
#
#   install  apt-get the Debian packages that are missing (PostgreSQL, DAViCal, Apache, mod_php)
#   start    a fresh PostgreSQL cluster (initdb, pg_ctl) on a free loopback port, the DAViCal
#            database (create-database.sh), a user and two calendars, and an Apache with its own
#            config file on another free loopback port; writes <folder>/server.env
#   stop     Apache, then PostgreSQL; removes the one file outside the folder (see below)
#
# DAViCal reads its config from /etc/davical/<ServerName>-conf.php: the Apache here is named
# "pseudocal-interop" and that file (made at start, removed at stop) only includes the config in
# the folder. The packages' own services are never started (policy-rc.d during the install).
# The cluster trusts every connection from 127.0.0.1: a throwaway database of synthetic data.
SERVER_NAME=davical
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$INTEROP_DIR/davical"
PACKAGES=(postgresql davical apache2 libapache2-mod-php php-pgsql)
SHIM=/etc/davical/pseudocal-interop-conf.php
APACHE=/usr/sbin/apache2

pg_bin() {
    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    [ -n "$bin" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    echo "$bin"
}

as_postgres() { runuser -u postgres -- "$@"; }

start_postgres() {
    local bin; bin="$(pg_bin)"
    PGPORT="$(free_port)"
    mkdir -p "$DIR/pg"
    chown postgres: "$DIR/pg"
    say "PostgreSQL cluster on 127.0.0.1:$PGPORT"
    as_postgres "$bin/initdb" -D "$DIR/pg/data" -U postgres --auth=trust -E UTF8 \
        --no-locale >"$DIR/pg/initdb.log" 2>&1 || { cat "$DIR/pg/initdb.log" >&2; die "initdb failed"; }
    as_postgres "$bin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$DIR/pg" \
        start >&2 || { tail -20 "$DIR/pg/postgres.log" >&2; die "PostgreSQL did not start"; }
    echo "$PGPORT" > "$DIR/pg.port"
}

create_database() {
    export PGHOST=127.0.0.1 PGPORT PGUSER=postgres
    local admin; admin="$(new_password)"
    say "DAViCal database (create-database.sh)"
    /usr/share/davical/dba/create-database.sh davical "$admin" >"$DIR/create-database.log" 2>&1 \
        || { tail -30 "$DIR/create-database.log" >&2; die "create-database.sh failed"; }
    chmod 600 "$DIR/create-database.log"  # it prints the admin password
    PASSWORD="$(new_password)"
    psql -qXAt -v ON_ERROR_STOP=1 davical >/dev/null <<EOF
INSERT INTO usr (active, email_ok, updated, username, password, fullname, email)
  VALUES (TRUE, current_date, current_date, '$INTEROP_USER', '**$PASSWORD',
          'Synthetic Practitioner', '$INTEROP_USER@example.invalid');
INSERT INTO principal (type_id, user_no, displayname, default_privileges)
  SELECT 1, user_no, fullname, 0::BIT(24) FROM usr WHERE username = '$INTEROP_USER';
EOF
}

write_apache_config() {
    local mods=/usr/lib/apache2/modules php_mod
    php_mod="$(ls "$mods"/libphp*.so 2>/dev/null | sort -V | tail -1)"
    [ -n "$php_mod" ] || die "no mod_php in $mods (libapache2-mod-php)"
    cat > "$DIR/davical-conf.php" <<EOF
<?php
\$c->pg_connect[] = "dbname=davical user=davical_app host=127.0.0.1 port=$PGPORT";
\$c->system_name = "pseudocal interop DAViCal";
\$c->admin_email = 'admin@example.invalid';
EOF
    printf '<?php\ninclude "%s";\n' "$DIR/davical-conf.php" > "$SHIM"
    cat > "$DIR/apache2.conf" <<EOF
# An Apache for DAViCal on loopback only; nothing of /etc/apache2 is read.
ServerRoot "$DIR"
ServerName pseudocal-interop
UseCanonicalName On
Listen 127.0.0.1:$HTTP_PORT
PidFile "$DIR/apache2.pid"
DefaultRuntimeDir "$DIR/apache-run"
Mutex file:$DIR/apache-run default
ErrorLog "$DIR/apache-error.log"
LogLevel warn
LogFormat "%h %u \"%r\" %>s %b" brief
CustomLog "$DIR/apache-access.log" brief
User www-data
Group www-data
Timeout 60
KeepAlive On
LoadModule mpm_prefork_module $mods/mod_mpm_prefork.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule mime_module $mods/mod_mime.so
LoadModule dir_module $mods/mod_dir.so
LoadModule php_module $php_mod
StartServers 2
MinSpareServers 2
MaxSpareServers 4
MaxRequestWorkers 16
TypesConfig /etc/mime.types
DocumentRoot /usr/share/davical/htdocs
<Directory />
  Require all denied
  AllowOverride None
</Directory>
<Directory /usr/share/davical/htdocs>
  Require all granted
  DirectoryIndex index.php
  AcceptPathInfo On
</Directory>
<FilesMatch "\.php$">
  SetHandler application/x-httpd-php
</FilesMatch>
php_value include_path /usr/share/awl/inc
php_value default_charset "utf-8"
EOF
}

start() {
    stop quiet
    trap 'stop quiet' EXIT  # a start that fails half-way leaves nothing running
    rm -rf "$DIR"
    mkdir -p "$DIR/apache-run"
    chmod 755 "$DIR"
    start_postgres
    create_database
    HTTP_PORT="$(free_port)"
    write_apache_config
    say "Apache with mod_php on 127.0.0.1:$HTTP_PORT"
    "$APACHE" -f "$DIR/apache2.conf" -k start >&2 \
        || { tail -20 "$DIR/apache-error.log" >&2 || true; die "Apache did not start"; }
    local home="http://127.0.0.1:$HTTP_PORT/caldav.php/$INTEROP_USER/"
    if ! wait_dav 60 "$home" "$INTEROP_USER" "$PASSWORD"; then
        tail -20 "$DIR/apache-error.log" >&2 || true
        die "DAViCal does not answer"
    fi
    for calendar in practice selfcare; do
        mkcalendar "$home$calendar/" "$INTEROP_USER" "$PASSWORD" \
            || die "could not make the calendar $calendar"
    done
    write_env "$DIR/server.env" davical "$home" "$INTEROP_USER" "$PASSWORD"
    trap - EXIT
    say "ready: $home (user $INTEROP_USER)"
}

stop() {
    local quiet="${1:-}" pid
    if [ -f "$DIR/apache2.pid" ]; then
        pid="$(cat "$DIR/apache2.pid")"
        [ -n "$quiet" ] || say "stopping Apache ($pid)"
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone 30 "$pid" || kill -KILL "$pid" 2>/dev/null || true
        rm -f "$DIR/apache2.pid"
    fi
    if [ -f "$DIR/pg/data/postmaster.pid" ]; then
        [ -n "$quiet" ] || say "stopping PostgreSQL"
        as_postgres "$(pg_bin)/pg_ctl" -D "$DIR/pg/data" -m fast -w -t 30 stop >&2 || true
    fi
    rm -f "$SHIM"
}

case "${1:-}" in
    install) apt_install "${PACKAGES[@]}" ;;
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
