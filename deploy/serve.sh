#!/usr/bin/env bash
# Chokepoint for more visitors than one process holds, on this machine, from Debian's packages: PostgreSQL (the
# saved-scenario store the replicas share), N Streamlit replicas on 127.0.0.1, and HAProxy in front of them
# (sticky sessions by cookie, websockets, health checks, a maintenance page). `make serve REPLICAS=N PORT=P`.
#
#   deploy/serve.sh [--replicas N] [--port PORT] [--bind ADDRESS] [--first-replica-port PORT] [--dir DIR]
#                   [--no-restart]
#
#   --replicas N            Streamlit processes (default: one per core, `nproc`). One process uses about one core.
#   --port PORT             where HAProxy listens (default 8080)
#   --bind ADDRESS          the address HAProxy listens on (default 127.0.0.1; 0.0.0.0 to serve a room)
#   --first-replica-port P  replica i listens on 127.0.0.1:P+i-1 (default 8601)
#   --dir DIR               state folder (default .serve/ in the project): the PostgreSQL cluster (kept between
#                           runs, so saved scenarios stay), the rendered haproxy.cfg, logs, pid files, serve.env
#   --no-restart            leave a replica that exits down (by default it is started again after 2 s)
#
# Installs haproxy and postgresql with apt-get when they are missing (as root). Stops everything it started on
# Ctrl-C (SIGINT) or SIGTERM. While it runs, DIR/serve.env says where everything is (URL, pids, ports) and
# DIR/replica-<i>.pid, DIR/haproxy.pid hold the pids. Exit status 0 after a stop by signal; 1 when something
# could not start, or when HAProxy or PostgreSQL stopped by themselves.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPLICAS=$(nproc 2>/dev/null || echo 2)
PORT=8080
BIND=127.0.0.1
FIRST_REPLICA_PORT=8601
DIR="$ROOT/.serve"
RESTART=1
PY=${CHOKEPOINT_PYTHON:-$ROOT/.venv/bin/python}

log() { echo "serve: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { sed -n '6,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS=${2:?}; shift 2 ;;
    --port) PORT=${2:?}; shift 2 ;;
    --bind) BIND=${2:?}; shift 2 ;;
    --first-replica-port) FIRST_REPLICA_PORT=${2:?}; shift 2 ;;
    --dir) DIR=${2:?}; shift 2 ;;
    --no-restart) RESTART=0; shift ;;
    -h|--help) usage ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done

is_int() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_int "$REPLICAS" && [ "$REPLICAS" -ge 1 ] && [ "$REPLICAS" -le 32 ] || die "--replicas must be 1-32, not '$REPLICAS'"
is_int "$PORT" && [ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "--port must be a port number, not '$PORT'"
is_int "$FIRST_REPLICA_PORT" && [ "$FIRST_REPLICA_PORT" -ge 1 ] && [ $((FIRST_REPLICA_PORT + REPLICAS - 1)) -le 65535 ] \
  || die "--first-replica-port must be a port number, not '$FIRST_REPLICA_PORT'"
[ -x "$PY" ] || die "$PY is missing: run \`make install\` first (or set CHOKEPOINT_PYTHON)"
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
echo '*' >"$DIR/.gitignore"  # nothing in the state folder belongs in git

# --- Debian's packages ----------------------------------------------------------------------------------------
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    die "$1 is not installed; install Debian's $1 package (apt-get needs root)"
  fi
  log "installing Debian's $1 package"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; } \
    || die "apt-get could not install Debian's $1 package"
}
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
if [ ! -x "$HAPROXY" ]; then
  apt_install haproxy
  HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
fi
find_pg() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}
PGBIN=$(find_pg)
if [ -z "$PGBIN" ]; then
  apt_install postgresql
  PGBIN=$(find_pg)
  [ -n "$PGBIN" ] || die "no PostgreSQL under /usr/lib/postgresql after installing it"
fi

port_free() {
  "$PY" -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try: s.bind((sys.argv[1], int(sys.argv[2])))
except OSError: sys.exit(1)' "$1" "$2"
}
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
healthy() {  # HTTP GET http://127.0.0.1:$1/_stcore/health answers "ok"
  "$PY" -c 'import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_stcore/health", timeout=1) as r:
        sys.exit(0 if r.read().strip() == b"ok" else 1)
except Exception:
    sys.exit(1)' "$1"
}

port_free "$BIND" "$PORT" || die "port $PORT on $BIND is taken (another \`make serve\`?): choose another with PORT=..."
for i in $(seq 1 "$REPLICAS"); do
  p=$((FIRST_REPLICA_PORT + i - 1))
  port_free 127.0.0.1 "$p" || die "replica port $p is taken: choose other ports with --first-replica-port"
done

# --- stopping -------------------------------------------------------------------------------------------------
PG_STARTED=0
HAPROXY_PID=""
declare -a REPLICA_PID=()
PGDIR="$DIR/postgres"
if [ "$(id -u)" = 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  as_pg() { (cd "$PGDIR" && runuser -u postgres -- "$@"); }
else
  as_pg() { (cd "$PGDIR" && "$@"); }
fi

stop_group() {  # SIGTERM the process group led by $1 (each child is started with setsid), SIGKILL after 5 s
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  log "stopping"
  rm -f "$DIR/serve.env"
  stop_group "$HAPROXY_PID"
  for pid in "${REPLICA_PID[@]}"; do stop_group "$pid"; done
  if [ "$PG_STARTED" = 1 ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -f "$DIR"/replica-*.pid "$DIR/haproxy.pid"
  log "stopped"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# --- PostgreSQL: a cluster in DIR/postgres, kept between runs ------------------------------------------------
mkdir -p "$PGDIR"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$PGDIR"
  runuser -u postgres -- test -x "$PGDIR" \
    || die "the postgres user cannot reach $PGDIR (a folder above it is private): choose a --dir it can reach"
fi
chmod 700 "$PGDIR"
if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
  log "creating a PostgreSQL cluster in $PGDIR/data"
  rm -rf "$PGDIR/data"
  if ! as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
     && ! { rm -rf "$PGDIR/data"; as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --no-locale \
            >"$DIR/initdb.log" 2>&1; }; then
    cat "$DIR/initdb.log" >&2
    die "initdb could not create the cluster (its log is above)"
  fi
  # Loopback TCP and the cluster's own socket folder only.
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DIR/pg_hba.conf"
  if [ "$(id -u)" = 0 ]; then chown postgres "$DIR/pg_hba.conf"; fi
  mv "$DIR/pg_hba.conf" "$PGDIR/data/pg_hba.conf"
fi
if as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
  log "stopping a PostgreSQL left running by an earlier run that did not stop cleanly"
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
fi
PGPORT=""
for attempt in 1 2 3; do
  candidate=$(free_port)
  if as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
       -o "-c listen_addresses=127.0.0.1 -p $candidate -k $PGDIR" start >/dev/null 2>&1; then
    PGPORT=$candidate
    PG_STARTED=1
    break
  fi
done
[ -n "$PGPORT" ] || { tail -n 20 "$PGDIR/server.log" >&2 || true; die "PostgreSQL did not start (end of its log above)"; }
if ! as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -tAc \
     "SELECT 1 FROM pg_database WHERE datname = 'chokepoint'" | grep -q 1; then
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres chokepoint || die "could not create the database"
fi
DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/chokepoint"
PG_PID=$(head -n 1 "$PGDIR/data/postmaster.pid")
log "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT, data in $PGDIR/data"

# --- replicas -------------------------------------------------------------------------------------------------
# One cookie secret for all replicas (Streamlit signs its XSRF cookie with it), so a browser that moves to another
# replica after a failure keeps working. Made once, kept in the state folder.
if [ ! -s "$DIR/cookie_secret" ]; then
  (umask 077 && "$PY" -c 'import secrets; print(secrets.token_hex(32))' >"$DIR/cookie_secret")
fi
COOKIE_SECRET=$(cat "$DIR/cookie_secret")

# Where visitors reach the app: links the app builds outside a page run (in files it exports) start with it.
# Behind a TLS terminator or another name, set CHOKEPOINT_PUBLIC_URL yourself (e.g. https://chokepoint.example).
PROBE_HOST=$BIND
if [ "$BIND" = 0.0.0.0 ] || [ "$BIND" = "*" ]; then PROBE_HOST=127.0.0.1; fi
PUBLIC_URL=${CHOKEPOINT_PUBLIC_URL:-http://$([ "$PROBE_HOST" = "$BIND" ] && echo "$BIND" || hostname -f 2>/dev/null || hostname):$PORT}

start_replica() {  # start replica $1 in its own session; sets REPLICA_PID[$1]
  local i=$1 port=$((FIRST_REPLICA_PORT + $1 - 1))
  (cd "$ROOT" && CHOKEPOINT_DATABASE_URL="$DATABASE_URL" CHOKEPOINT_PUBLIC_URL="$PUBLIC_URL" \
     STREAMLIT_SERVER_COOKIE_SECRET="$COOKIE_SECRET" \
     PYTHONUNBUFFERED=1 exec setsid "$PY" -m streamlit run "$ROOT/app.py" \
       --server.address 127.0.0.1 --server.port "$port" --server.headless true \
       --server.fileWatcherType none --server.runOnSave false --browser.gatherUsageStats false \
       >>"$DIR/replica-$i.log" 2>&1 </dev/null) &
  REPLICA_PID[$i]=$!
  echo "${REPLICA_PID[$i]}" >"$DIR/replica-$i.pid"
}

for i in $(seq 1 "$REPLICAS"); do start_replica "$i"; done
deadline=$((SECONDS + 120))
for i in $(seq 1 "$REPLICAS"); do
  port=$((FIRST_REPLICA_PORT + i - 1))
  until healthy "$port"; do
    kill -0 "${REPLICA_PID[$i]}" 2>/dev/null || { tail -n 20 "$DIR/replica-$i.log" >&2; die "replica $i exited at start (its log is above)"; }
    [ "$SECONDS" -lt "$deadline" ] || die "replica $i was not healthy within 120 s (log $DIR/replica-$i.log)"
    sleep 0.3
  done
done
log "$REPLICAS replicas healthy on 127.0.0.1:$FIRST_REPLICA_PORT-$((FIRST_REPLICA_PORT + REPLICAS - 1))"

# --- HAProxy --------------------------------------------------------------------------------------------------
SERVERS=""
STATIC_SERVERS=""  # the same replicas, for Streamlit's own files (no cookie: see deploy/haproxy.cfg)
for i in $(seq 1 "$REPLICAS"); do
  SERVERS+="    server r$i 127.0.0.1:$((FIRST_REPLICA_PORT + i - 1)) cookie r$i"$'\n'
  STATIC_SERVERS+="    server s$i 127.0.0.1:$((FIRST_REPLICA_PORT + i - 1))"$'\n'
done
# The maintenance page, with the CRLF line ends of an HTTP response.
sed 's/\r$//; s/$/\r/' "$ROOT/deploy/maintenance.http" >"$DIR/maintenance.http"
export TEMPLATE_SERVERS=$SERVERS TEMPLATE_STATIC_SERVERS=$STATIC_SERVERS
sed -e "s|@BIND@|$BIND|g" -e "s|@PORT@|$PORT|g" -e "s|@STATE_DIR@|$DIR|g" \
    -e "s|@MAINTENANCE_FILE@|$DIR/maintenance.http|g" "$ROOT/deploy/haproxy.cfg" \
  | awk '/^@SERVERS@$/ { printf "%s", ENVIRON["TEMPLATE_SERVERS"]; next }
         /^@STATIC_SERVERS@$/ { printf "%s", ENVIRON["TEMPLATE_STATIC_SERVERS"]; next } { print }' >"$DIR/haproxy.cfg"
"$HAPROXY" -c -q -f "$DIR/haproxy.cfg" || die "HAProxy refused $DIR/haproxy.cfg"
(cd "$DIR" && exec setsid "$HAPROXY" -db -f "$DIR/haproxy.cfg" >>"$DIR/haproxy.log" 2>&1 </dev/null) &
HAPROXY_PID=$!
echo "$HAPROXY_PID" >"$DIR/haproxy.pid"
deadline=$((SECONDS + 30))
until "$PY" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' \
        "$PROBE_HOST" "$PORT" 2>/dev/null; do
  kill -0 "$HAPROXY_PID" 2>/dev/null || { tail -n 20 "$DIR/haproxy.log" >&2; die "HAProxy exited at start (its log is above)"; }
  [ "$SECONDS" -lt "$deadline" ] || die "HAProxy did not listen on $BIND:$PORT within 30 s"
  sleep 0.2
done

{
  echo "URL=http://$PROBE_HOST:$PORT"
  echo "HAPROXY_PID=$HAPROXY_PID"
  echo "REPLICAS=$REPLICAS"
  echo "FIRST_REPLICA_PORT=$FIRST_REPLICA_PORT"
  echo "DATABASE_URL=$DATABASE_URL"
} >"$DIR/serve.env.tmp"
mv "$DIR/serve.env.tmp" "$DIR/serve.env"
log "Chokepoint is served at http://$PROBE_HOST:$PORT/ by $REPLICAS replicas behind HAProxy (state and logs in $DIR)."
if [ "$PUBLIC_URL" != "http://$PROBE_HOST:$PORT" ]; then log "Visitors use $PUBLIC_URL/ (the links the app writes start with it)."; fi
log "Ctrl-C stops everything."

# --- watch: restart a replica that exits; stop if HAProxy or PostgreSQL does ---------------------------------
declare -a DOWN_SINCE=()
while :; do
  sleep 1 &
  wait $! || true
  kill -0 "$HAPROXY_PID" 2>/dev/null || { tail -n 20 "$DIR/haproxy.log" >&2; die "HAProxy stopped (its log is above)"; }
  kill -0 "$PG_PID" 2>/dev/null || { PG_STARTED=0; die "PostgreSQL stopped (log $PGDIR/server.log)"; }
  for i in $(seq 1 "$REPLICAS"); do
    if kill -0 "${REPLICA_PID[$i]}" 2>/dev/null; then
      continue
    fi
    if [ -z "${DOWN_SINCE[$i]:-}" ]; then
      wait "${REPLICA_PID[$i]}" 2>/dev/null && status=0 || status=$?
      log "replica $i (port $((FIRST_REPLICA_PORT + i - 1))) exited with status $status; HAProxy sends its visitors to the others"
      DOWN_SINCE[$i]=$SECONDS
    fi
    if [ "$RESTART" = 1 ] && [ $((SECONDS - DOWN_SINCE[$i])) -ge 2 ]; then
      log "starting replica $i again"
      start_replica "$i"
      DOWN_SINCE[$i]=""
    fi
  done
done
