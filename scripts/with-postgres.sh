#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a throw-away PostgreSQL server on 127.0.0.1 (free port, temp data dir),
# creates an empty database `xiaoxiang_test` owned by user `xx`, exports
#   TEST_DATABASE_URL=postgresql://xx@127.0.0.1:PORT/xiaoxiang_test
# runs CMD, then stops the server and removes the temp dir. Exits with CMD's status.
#
# If the PostgreSQL server binaries are not installed, installs Debian's `postgresql`
# package with apt-get. If they still cannot be found it fails loudly: it never skips.
set -euo pipefail

log() { echo "with-postgres: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$#" -ge 1 ] || die "usage: $0 CMD [ARGS...]"

# --- locate initdb / pg_ctl -------------------------------------------------------------
PGBIN=""
find_pgbin() {
    PGBIN=""
    local p d
    # 1. PATH (resolve symlinks so the sibling tools of the same version are used)
    if p="$(command -v initdb 2>/dev/null)"; then
        d="$(dirname "$(readlink -f "$p")")"
        if [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            PGBIN="$d"
            return 0
        fi
    fi
    # 2. Debian layout, newest version first
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
            PGBIN="$d"
            return 0
        fi
    done
    return 1
}

if ! find_pgbin; then
    log "PostgreSQL server binaries not found; installing Debian package 'postgresql'"
    if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
    "${SUDO[@]}" apt-get update -qq || log "warning: apt-get update failed; trying install anyway"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
        postgresql </dev/null >&2 || log "warning: apt-get install postgresql failed"
    find_pgbin || die "PostgreSQL server binaries (initdb, pg_ctl, postgres) still not found after apt-get install; cannot run PostgreSQL tests"
fi

CREATEDB="$PGBIN/createdb"
[ -x "$CREATEDB" ] || CREATEDB="$(command -v createdb 2>/dev/null)" \
    || die "createdb not found"

# --- who runs the server ----------------------------------------------------------------
# initdb/postgres refuse to run as root, so as root use an unprivileged account.
RUNAS=""
if [ "$(id -u)" -eq 0 ]; then
    if id postgres >/dev/null 2>&1; then
        RUNAS=postgres
    else
        RUNAS=xxtest
        if ! id "$RUNAS" >/dev/null 2>&1; then
            useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$RUNAS" 2>/dev/null \
                || id "$RUNAS" >/dev/null 2>&1 \
                || die "could not create system user $RUNAS"
        fi
    fi
fi

PGTMP="$(mktemp -d "${TMPDIR:-/tmp}/xx-pg.XXXXXX")"
chmod 700 "$PGTMP"
[ -z "$RUNAS" ] || chown "$RUNAS:" "$PGTMP"
PGDATA_DIR="$PGTMP/data"
PGLOG="$PGTMP/server.log"

# Run a PostgreSQL tool as the server user, from a directory it can read.
as_pg() {
    if [ -z "$RUNAS" ]; then
        (cd "$PGTMP" && "$@")
    elif command -v runuser >/dev/null 2>&1; then
        (cd "$PGTMP" && runuser -u "$RUNAS" -- "$@")
    else
        (cd "$PGTMP" && su -s /bin/sh "$RUNAS" -c "$(printf '%q ' "$@")")
    fi
}

STARTED=0
cleanup() {
    local rc=$?
    if [ "$STARTED" -eq 1 ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 \
            || log "warning: could not stop the server in $PGDATA_DIR"
    fi
    rm -rf "$PGTMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Avoid ambient libpq settings leaking into the tools.
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGDATA PGSERVICE PGSSLMODE || true

# --- initdb -----------------------------------------------------------------------------
if ! as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -A trust -U xx --encoding=UTF8 \
        --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1; then
    log "initdb with --locale=C.UTF-8 failed; retrying with --no-locale"
    rm -rf "$PGDATA_DIR"
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -A trust -U xx --encoding=UTF8 \
        --no-locale >"$PGTMP/initdb.log" 2>&1 \
        || { cat "$PGTMP/initdb.log" >&2; die "initdb failed"; }
fi

cat >>"$PGDATA_DIR/postgresql.conf" <<'EOF'

# --- throw-away test server (scripts/with-postgres.sh) ---
max_connections = 100
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_statement = 'none'
EOF

# --- start on a free port (retry in case another process grabs it first) -----------------
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

PORT=""
for attempt in 1 2 3; do
    PORT="$(free_port)"
    if as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" \
            -o "-h 127.0.0.1 -p $PORT -k $PGTMP -F" -w -t 60 start >/dev/null; then
        STARTED=1
        break
    fi
    log "start attempt $attempt on port $PORT failed:"
    tail -n 20 "$PGLOG" >&2 || true
done
[ "$STARTED" -eq 1 ] || die "could not start PostgreSQL"

"$CREATEDB" -h 127.0.0.1 -p "$PORT" -U xx xiaoxiang_test \
    || { tail -n 20 "$PGLOG" >&2 || true; die "createdb failed"; }

export TEST_DATABASE_URL="postgresql://xx@127.0.0.1:$PORT/xiaoxiang_test"
log "started $("$PGBIN/postgres" --version) on 127.0.0.1:$PORT (run as ${RUNAS:-$(id -un)}); TEST_DATABASE_URL=$TEST_DATABASE_URL"

# --- run the command --------------------------------------------------------------------
set +e
"$@"
rc=$?
set -e
exit "$rc"
