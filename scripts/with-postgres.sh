#!/usr/bin/env bash
# Run COMMAND with CHOKEPOINT_TEST_DATABASE_URL pointing at a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh COMMAND [ARGS...]
#
# If CHOKEPOINT_TEST_DATABASE_URL is already set, COMMAND runs as is. Otherwise this uses Debian's PostgreSQL
# (installing the `postgresql` package with apt-get when running as root and it is missing), creates a cluster
# in a temporary folder, starts it on 127.0.0.1 at a free port (trust authentication, loopback only), creates
# the database chokepoint_test, runs COMMAND, then stops the server and deletes the folder, whatever happens.
# The exit status is COMMAND's.
#
# If the server cannot be had (no PostgreSQL and no way to install it, initdb or the start failing), this exits
# with status 1 and says why, without running COMMAND: a test run without PostgreSQL is never green by accident.
# To run without it on purpose, set CHOKEPOINT_SKIP_POSTGRES=1: no server is started, COMMAND runs alone and the
# PostgreSQL tests report themselves skipped (tests/conftest.py). CI never sets it.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

if [ "${CHOKEPOINT_SKIP_POSTGRES:-}" = 1 ]; then
  echo "with-postgres: CHOKEPOINT_SKIP_POSTGRES=1: not starting PostgreSQL; the PostgreSQL tests will be skipped" >&2
  exec "$@"
fi

if [ -n "${CHOKEPOINT_TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi

# Stop here (status 1, COMMAND not run) with what went wrong and the ways on.
fail() {
  echo "with-postgres: $1" >&2
  echo "with-postgres: the PostgreSQL store tests cannot run, so $(basename "$0") stops here (status 1)." \
       "Fix the above, point CHOKEPOINT_TEST_DATABASE_URL at a PostgreSQL server of your own," \
       "or set CHOKEPOINT_SKIP_POSTGRES=1 to skip the PostgreSQL tests on purpose." >&2
  exit 1
}

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    echo "$dir"
  fi
}

PGBIN=$(find_bin)
if [ -z "$PGBIN" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "with-postgres: installing Debian's postgresql package for the store tests" >&2
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; then
      PGBIN=$(find_bin)
    fi
  fi
  if [ -z "$PGBIN" ]; then
    if [ "$(id -u)" = 0 ]; then
      fail "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin) and apt-get could not install Debian's postgresql package"
    fi
    fail "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin); install Debian's postgresql package (apt-get needs root)"
  fi
fi

# initdb and postgres refuse to run as root: run them as the postgres user then.
if [ "$(id -u)" = 0 ]; then
  if ! id -u postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  fi
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

PGTMP=$(mktemp -d "${TMPDIR:-/tmp}/chokepoint-pg.XXXXXX")
PGDATA_DIR="$PGTMP/data"
PGLOG="$PGTMP/server.log"
STARTED=0

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$STARTED" = 1 ]; then
    (cd "$PGTMP" && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 30 stop >/dev/null 2>&1) || true
  fi
  rm -rf "$PGTMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" = 0 ]; then
  chown postgres "$PGTMP"
fi
chmod 700 "$PGTMP"
cd_pg() { (cd "$PGTMP" && as_pg "$@"); }  # the postgres user may not be able to read the caller's folder

if ! cd_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N >"$PGTMP/initdb.log" 2>&1 \
   && ! { rm -rf "$PGDATA_DIR"; cd_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale -N \
          >"$PGTMP/initdb.log" 2>&1; }; then
  cat "$PGTMP/initdb.log" >&2
  fail "initdb could not create a cluster (its log is above)"
fi
# Loopback TCP and the private socket folder only.
cat >"$PGTMP/pg_hba.conf" <<'EOF'
local all all trust
host all all 127.0.0.1/32 trust
EOF
if [ "$(id -u)" = 0 ]; then chown postgres "$PGTMP/pg_hba.conf"; fi
mv "$PGTMP/pg_hba.conf" "$PGDATA_DIR/pg_hba.conf"

free_port() {
  "${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

PORT=""
for attempt in 1 2 3; do
  candidate=$(free_port)
  if cd_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 \
       -o "-c listen_addresses=127.0.0.1 -p $candidate -k $PGTMP" \
       start >/dev/null 2>&1; then
    PORT=$candidate
    STARTED=1
    break
  fi
done
if [ -z "$PORT" ]; then
  tail -n 20 "$PGLOG" >&2 || true
  fail "the PostgreSQL server did not start (the end of its log is above)"
fi

if ! cd_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres chokepoint_test; then
  fail "the server started but the database chokepoint_test could not be created"
fi
export CHOKEPOINT_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PORT/chokepoint_test"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway, removed on exit)" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
