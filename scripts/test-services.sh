#!/usr/bin/env bash
# Services the test suite needs: a private PostgreSQL cluster on the loopback interface,
# Debian's Chromium for the dashboard's browser tests (Playwright drives it; no bundled browser),
# and a Java runtime for the Spark tests (PySpark starts a local JVM).
#
#   scripts/test-services.sh start    install PostgreSQL if missing, init the cluster once, start it
#   scripts/test-services.sh stop     stop the cluster (the data directory is kept)
#   scripts/test-services.sh status   say whether it runs
#
# The cluster lives in /tmp/salesops-pg-<uid>/data (not the distribution's default cluster) and
# listens only on 127.0.0.1:${SALESOPS_TEST_PG_PORT:-54329}. Role `salesops` (password
# ${SALESOPS_TEST_PG_PASSWORD:-salesops-test}, scram-sha-256) owns database `salesops_test` and may
# create databases. initdb refuses root, so as root the server runs as the `postgres` system user.
# Idempotent: a second `start` only checks that the server runs. When PostgreSQL cannot be
# installed the script says so and exits 0; the postgres tests then skip (and fail under CI=true).
set -euo pipefail

PORT="${SALESOPS_TEST_PG_PORT:-54329}"
PASSWORD="${SALESOPS_TEST_PG_PASSWORD:-salesops-test}"
ROLE="salesops"
DATABASE="salesops_test"
BASE="/tmp/salesops-pg-$(id -u)"
DATA="$BASE/data"
LOG="$BASE/postgres.log"

say() { printf '[test-services] %s\n' "$*" >&2; }

# Print the bin directory of the newest installed PostgreSQL server, if any.
find_bindir() {
    local postgres
    postgres="$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$postgres" ] && dirname "$postgres"
}

# Install the server from the distribution; says why and returns non-zero when it cannot.
install_postgres() {
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
            say "PostgreSQL is not installed; installing it needs root or passwordless sudo"
            return 1
        fi
        sudo=(sudo -n)
    fi
    mkdir -p "$BASE"
    say "installing PostgreSQL (apt-get, one time)"
    if ! { "${sudo[@]}" apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >"$BASE/install.log" 2>&1; then
        tail -n 5 "$BASE/install.log" >&2
        return 1
    fi
}

# Install a Debian package for a command the tests need when the command is missing (the tests
# that need it skip without it, and fail under CI=true): ensure_package COMMAND PACKAGE.
ensure_package() {
    local command=$1 package=$2
    if command -v "$command" >/dev/null 2>&1; then
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1 || ! sudo -n true 2>/dev/null; then
            say "$package is not installed; installing it needs root or passwordless sudo (its tests will skip)"
            return 0
        fi
        sudo=(sudo -n)
    fi
    mkdir -p "$BASE"
    say "installing $package (apt-get, one time)"
    if ! { "${sudo[@]}" apt-get update -qq &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package"; } >"$BASE/$package-install.log" 2>&1; then
        tail -n 5 "$BASE/$package-install.log" >&2
        say "$package could not be installed: its tests will skip (and fail under CI=true)"
    fi
}

# Debian's chromium: the browser tests and `salesops export-pdf` print with it.
ensure_chromium() { ensure_package chromium chromium; }

# A Java 17 runtime: the Spark tests run Spark in local mode (PySpark 4.0 supports Java 17 and 21).
ensure_java() { ensure_package java openjdk-17-jre-headless; }

# poppler-utils (pdftoppm, pdftotext): the PDF test renders and reads the review's PDF with them.
ensure_poppler() { ensure_package pdftoppm poppler-utils; }

# Run a PostgreSQL tool as the cluster owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Superuser SQL over the cluster's private socket (peer authentication), read from stdin.
psql_admin() {
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BASE" -p "$PORT" -d postgres "$@"
}

running() { as_owner "$BIN/pg_ctl" status -D "$DATA" >/dev/null 2>&1; }

running_port() { sed -n 4p "$DATA/postmaster.pid" 2>/dev/null; }

prepare_base() {
    mkdir -p "$BASE"
    chmod 700 "$BASE"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$BASE"
    elif [ "$(stat -c %u "$BASE")" != "$(id -u)" ]; then
        say "$BASE belongs to another user; remove it and retry"
        exit 1
    fi
}

init_cluster() {
    local pwfile
    as_owner "$BIN/initdb" -D "$DATA" --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$BASE/initdb.log" 2>&1 ||
        { cat "$BASE/initdb.log" >&2; exit 1; }
    # a throw-away test cluster: durability off, listen on loopback TCP and a private socket only
    cat >>"$DATA/postgresql.conf" <<EOF

# salesops test cluster (scripts/test-services.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$BASE'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

start_server() {
    as_owner "$BIN/pg_ctl" start -w -t 30 -D "$DATA" -l "$LOG" -o "-p $PORT" >/dev/null ||
        { tail -n 20 "$LOG" >&2; exit 1; }
}

# Create (or update the password of) the role and create the database, idempotently.
ensure_role() {
    local quoted="${PASSWORD//\'/\'\'}"
    psql_admin <<SQL
SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$ROLE') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') \gexec
ALTER ROLE $ROLE PASSWORD '$quoted';
SELECT format('CREATE DATABASE %I OWNER %I', '$DATABASE', '$ROLE') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE') \gexec
SQL
}

start() {
    local started=$SECONDS action
    ensure_chromium
    ensure_poppler
    ensure_java
    if ! BIN="$(find_bindir)" && ! { install_postgres && BIN="$(find_bindir)"; }; then
        say "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin:" \
            "the postgres tests will skip (and fail under CI=true)"
        exit 0
    fi
    if running; then
        if [ "$(running_port)" = "$PORT" ]; then
            ensure_role # cheap, and picks up a changed SALESOPS_TEST_PG_PASSWORD
            say "PostgreSQL already running on 127.0.0.1:$PORT ($DATA)"
            return 0
        fi
        as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast >/dev/null
        action="restarted"
    fi
    prepare_base
    if [ ! -s "$DATA/PG_VERSION" ]; then
        init_cluster
        action="initialised and started"
    fi
    start_server
    ensure_role
    say "PostgreSQL $(basename "$(dirname "$BIN")") ${action:-started} on 127.0.0.1:$PORT" \
        "(role $ROLE, database $DATABASE, data $DATA) in $((SECONDS - started)) s"
}

stop() {
    if BIN="$(find_bindir)" && [ -d "$DATA" ] && running; then
        as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast >/dev/null
        say "PostgreSQL stopped ($DATA)"
    else
        say "PostgreSQL was not running ($DATA)"
    fi
}

status() {
    if BIN="$(find_bindir)" && [ -d "$DATA" ] && running; then
        say "PostgreSQL running on 127.0.0.1:$(running_port) ($DATA)"
    else
        say "PostgreSQL not running ($DATA)"
        return 3
    fi
}

case "${1:-}" in
    start | stop | status) "$1" ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
