#!/usr/bin/env bash
# A ConfigMonitor cluster on this machine: a private PostgreSQL and N node processes on loopback ports, optionally the
# reference config service and generated targets that point at it. Nothing here touches a system PostgreSQL or port 4053/9110.
#
#   deploy/local/cluster.sh start [N=3] [--targets M] [--interval D] [--with-config-service] [--env-file F]... [--no-build] [--no-wait]
#   deploy/local/cluster.sh status              # each node's pid and GET /health/ready
#   deploy/local/cluster.sh stop                # every node (SIGTERM, then SIGKILL after 60 s), the config service, PostgreSQL
#   deploy/local/cluster.sh stop-node I         # node I only, gracefully (it leaves the cluster)
#   deploy/local/cluster.sh kill-node I [SIG]   # node I with a signal (default KILL; STOP/CONT pause and resume it)
#   deploy/local/cluster.sh start-node I        # (re)start node I on its own ports, after a stop-node or kill-node
#
# State (logs, pids, PostgreSQL's data, the generated password) lives in ${CONFIGMONITOR_LOCAL_DIR:-/tmp/configmonitor-local};
# `start` empties it first. <state>/cluster.env lists every address and pid as KEY=VALUE lines for scripts and tests.
#
# Settings of every node: the variables ConfigMonitor__* of the calling environment, then each --env-file (KEY=VALUE
# lines, '#' comments, as a systemd EnvironmentFile or docker --env-file), then the generated targets, then what this
# script sets per node (Hostname, Port, SeedNodes, Persistence, ConnectionString, Api:Url, DataDirectory, Demo:Enabled).
#
# Other variables: CONFIGMONITOR_HOST_DLL / CONFIGMONITOR_CONFIG_SERVICE_DLL (use these builds instead of building
# src/ConfigMonitor.Host in Release), CONFIGMONITOR_HOST_DLL_<I> (node I runs this build instead: a rolling upgrade; read by
# start and start-node, kept for the node), CONFIGMONITOR_PG_BIN [/usr/lib/postgresql/15/bin], DOTNET [dotnet],
# CONFIGMONITOR_LOCAL_READY_TIMEOUT [180 s], CONFIGMONITOR_LOCAL_STOP_TIMEOUT [60 s], CONFIGMONITOR_LOCAL_PORTS [20000-31999]
# (the range the nodes', PostgreSQL's and the service's ports are picked from, e.g. 48000-48999 on a shared machine).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${CONFIGMONITOR_LOCAL_DIR:-/tmp/configmonitor-local}
PG_BIN=${CONFIGMONITOR_PG_BIN:-/usr/lib/postgresql/15/bin}
DOTNET=${DOTNET:-dotnet}
SYSTEM=configmonitor
READY_TIMEOUT=${CONFIGMONITOR_LOCAL_READY_TIMEOUT:-180}
PORTS=${CONFIGMONITOR_LOCAL_PORTS:-20000-31999}
PORT_LOW=${PORTS%-*}
PORT_HIGH=${PORTS#*-}
STOP_TIMEOUT=${CONFIGMONITOR_LOCAL_STOP_TIMEOUT:-60}

say() { printf '%s\n' "$*"; }
fail() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }
[[ $PORT_LOW =~ ^[0-9]+$ && $PORT_HIGH =~ ^[0-9]+$ ]] && (( PORT_LOW >= 1024 && PORT_HIGH <= 65535 && PORT_LOW + 10 <= PORT_HIGH )) ||
  fail "CONFIGMONITOR_LOCAL_PORTS is '$PORTS'; write LOW-HIGH within 1024-65535 with room for at least ten ports, such as 48000-48999"

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

# --- small helpers ----------------------------------------------------------------------------------------------------

as_postgres() {
  # PostgreSQL refuses to run as root: as root, run its tools as the postgres system user.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

declare -A TAKEN=()
# Sets FREE_PORT (not printed: a $(…) subshell would forget the ports already handed out).
free_port() {
  # A port nobody listens on or is connected from, below Linux's ephemeral range (32768+) so outgoing connections do not take it.
  local port used
  used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  for _ in $(seq 1 200); do
    port=$((PORT_LOW + RANDOM % (PORT_HIGH - PORT_LOW + 1)))
    [ -n "${TAKEN[$port]:-}" ] && continue
    grep -qx "$port" <<<"$used" && continue
    TAKEN[$port]=1
    FREE_PORT=$port
    return 0
  done
  fail "no free loopback port found between $PORT_LOW and $PORT_HIGH (CONFIGMONITOR_LOCAL_PORTS)"
}

# Exports KEY=VALUE lines of an env file literally (no shell expansion); surrounding quotes are taken off.
load_env_file() {
  local file=$1 line key value
  [ -r "$file" ] || fail "env file '$file' cannot be read"
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    [[ "$line" == *=* ]] || fail "env file '$file': the line '$line' is not KEY=VALUE"
    key=${line%%=*}; value=${line#*=}
    key=${key#export }; key=${key//[[:space:]]/}
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "env file '$file': '$key' is not a variable name"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    export "$key=$value"
  done <"$file"
}

# True when PID runs and its command line holds WHAT (a pid file never makes us signal a process that reused the number).
ours() {
  local pid=$1 what=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$what"
}

read_pid() { [ -r "$1" ] && cat "$1" || true; }

# The build node I runs: its own (CONFIGMONITOR_HOST_DLL_<I>, recorded as NODE_<I>_HOST_DLL) or the cluster's.
node_dll() { local dll; dll=$(state_value "NODE_$1_HOST_DLL"); printf '%s' "${dll:-$HOST_DLL}"; }

# Records CONFIGMONITOR_HOST_DLL_<I> for node I when it is set (a node of another build beside the others).
take_node_dll() {
  local var=CONFIGMONITOR_HOST_DLL_$1
  [ -n "${!var:-}" ] || return 0
  [ -f "${!var}" ] || fail "$var is '${!var}', which is not a file; give the path of a ConfigMonitor.Host.dll build"
  set_state_value "NODE_$1_HOST_DLL" "${!var}"
}

# Sends TERM to every pid given, waits up to STOP_TIMEOUT seconds for all to end, then KILLs what is left.
stop_pids() {
  local what=$1; shift
  local pid left deadline=$((SECONDS + STOP_TIMEOUT))
  for pid in "$@"; do ours "$pid" "$what" && kill -TERM "$pid" 2>/dev/null || true; done
  while :; do
    left=()
    for pid in "$@"; do ours "$pid" "$what" && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      say "still running after ${STOP_TIMEOUT} s, killing: ${left[*]}"
      for pid in "${left[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
      return 0
    fi
    sleep 0.2
  done
}

state_value() { sed -n "s/^$1=//p" "$STATE/cluster.env" 2>/dev/null | tail -n 1; }

set_state_value() {
  local key=$1 value=$2
  if grep -q "^$key=" "$STATE/cluster.env" 2>/dev/null; then
    sed -i "s|^$key=.*|$key=$value|" "$STATE/cluster.env"
  else
    printf '%s=%s\n' "$key" "$value" >>"$STATE/cluster.env"
  fi
}

http_status() { curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true; }

# --- the parts -------------------------------------------------------------------------------------------------------

build() {
  if [ -n "${CONFIGMONITOR_HOST_DLL:-}" ]; then
    HOST_DLL=$CONFIGMONITOR_HOST_DLL
  else
    HOST_DLL=$REPO/src/ConfigMonitor.Host/bin/Release/net10.0/ConfigMonitor.Host.dll
    if [ "$NO_BUILD" != 1 ]; then
      say "building src/ConfigMonitor.Host (Release) once for every node …"
      "$DOTNET" build "$REPO/src/ConfigMonitor.Host" -c Release --nologo -v q -clp:ErrorsOnly >"$STATE/build.log" 2>&1 \
        || { tail -n 30 "$STATE/build.log" >&2; fail "the build failed (whole log: $STATE/build.log)"; }
    fi
  fi
  [ -f "$HOST_DLL" ] || fail "no node build at $HOST_DLL (build it, or set CONFIGMONITOR_HOST_DLL)"
  CONFIG_SERVICE_DLL=${CONFIGMONITOR_CONFIG_SERVICE_DLL:-$REPO/src/ConfigMonitor.ConfigService/bin/Release/net10.0/ConfigMonitor.ConfigService.dll}
}

start_postgres() {
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/psql" ] \
    || fail "PostgreSQL's server tools are not in $PG_BIN (Debian: apt-get install postgresql; or set CONFIGMONITOR_PG_BIN)"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || fail "running as root needs the 'postgres' system user (Debian's postgresql package makes it)"
    runuser -u postgres -- test -x "$STATE" || fail "the postgres user cannot enter $STATE: choose a CONFIGMONITOR_LOCAL_DIR whose parents it may traverse (e.g. under /tmp)"
  fi
  local dir=$STATE/postgres port superuser_password password
  free_port; port=$FREE_PORT
  superuser_password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  mkdir -p "$dir"
  ( umask 077; printf '%s\n' "$superuser_password" >"$dir/superuser-password"; printf '%s\n' "$password" >"$STATE/postgres.password" )
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile "$dir/superuser-password" --auth-host=scram-sha-256 \
    --auth-local=trust -E UTF8 --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; fail "initdb failed"; }
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=32MB" start >/dev/null \
    || { tail -n 20 "$dir/server.log" >&2; fail "PostgreSQL did not start"; }
  as_postgres "$PG_BIN/psql" -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE configmonitor LOGIN PASSWORD '$password'" -c "CREATE DATABASE configmonitor OWNER configmonitor" >/dev/null \
    || fail "could not create the configmonitor role and database"
  PG_PORT=$port
  CONNECTION_STRING="Host=127.0.0.1;Port=$port;Database=configmonitor;Username=configmonitor;Password=$password"
  ( umask 077; printf '%s\n' "$CONNECTION_STRING" >"$STATE/connection-string" )
  {
    printf 'POSTGRES_PORT=%s\n' "$port"
    printf 'POSTGRES_DATA=%s\n' "$dir/data"
    printf 'POSTGRES_BIN=%s\n' "$PG_BIN"
    printf 'POSTGRES_PID=%s\n' "$(head -n 1 "$dir/data/postmaster.pid")"
    printf 'POSTGRES_CONNECTION_STRING_FILE=%s\n' "$STATE/connection-string"
  } >>"$STATE/cluster.env"
}

start_config_service() {
  [ -f "$CONFIG_SERVICE_DLL" ] || fail "no reference config service build at $CONFIG_SERVICE_DLL (set CONFIGMONITOR_CONFIG_SERVICE_DLL)"
  local dir=$STATE/config-service port url
  free_port; port=$FREE_PORT
  url=http://127.0.0.1:$port
  mkdir -p "$dir"
  ( cd "$dir" && exec setsid "$DOTNET" "$CONFIG_SERVICE_DLL" --urls "$url" ) >>"$dir/service.log" 2>&1 </dev/null &
  echo $! >"$dir/service.pid"
  CONFIG_SERVICE_URL=$url
  printf 'CONFIG_SERVICE_URL=%s\nCONFIG_SERVICE_PID=%s\n' "$url" "$!" >>"$STATE/cluster.env"
  local deadline=$((SECONDS + 60))
  until [ "$(http_status "$url/health")" = 200 ]; do
    kill -0 "$(read_pid "$dir/service.pid")" 2>/dev/null || { tail -n 20 "$dir/service.log" >&2; fail "the reference config service exited"; }
    [ $SECONDS -lt $deadline ] || fail "the reference config service did not answer $url/health within 60 s (log: $dir/service.log)"
    sleep 0.3
  done
}

write_targets() {
  local file=$STATE/targets.env id k facet
  : >"$file"
  for k in $(seq 1 "$TARGETS"); do
    id=$(printf 't%02d' "$k")
    {
      printf 'ConfigMonitor__Targets__%s__Adapter=http\n' "$id"
      printf 'ConfigMonitor__Targets__%s__Endpoint=%s\n' "$id" "$CONFIG_SERVICE_URL"
      printf 'ConfigMonitor__Targets__%s__ProbeKey=app.name\n' "$id"
      if [ -n "$INTERVAL" ]; then
        for facet in Performance Health Cache Database; do printf 'ConfigMonitor__Targets__%s__%s__Interval=%s\n' "$id" "$facet" "$INTERVAL"; done
      fi
    } >>"$file"
  done
}

write_node_env() {
  local i=$1; local dir=$STATE/node-$i j
  mkdir -p "$dir"
  (
    umask 077
    {
      printf '# node %s: written by deploy/local/cluster.sh; holds the connection string, keep it private\n' "$i"
      printf 'ConfigMonitor__Hostname=127.0.0.1\n'
      printf 'ConfigMonitor__Port=%s\n' "${AKKA_PORT[$i]}"
      # Every node lists every node, node 1 first: only node 1 may form a new cluster (when no other seed answers);
      # the others join it. start-node reorders a restarted node's seeds (order_seeds_for_rejoin).
      for j in $(seq 1 "$NODES"); do printf 'ConfigMonitor__SeedNodes__%s=akka.tcp://%s@127.0.0.1:%s\n' "$((j - 1))" "$SYSTEM" "${AKKA_PORT[$j]}"; done
      printf 'ConfigMonitor__Persistence=PostgreSql\n'
      printf 'ConfigMonitor__ConnectionString=%s\n' "$CONNECTION_STRING"
      printf 'ConfigMonitor__Api__Url=http://127.0.0.1:%s\n' "${API_PORT[$i]}"
      printf 'ConfigMonitor__DataDirectory=%s\n' "$dir/data"
      # Configured targets must be the same on every node (the registry singleton takes the oldest node's): no demo.
      printf 'ConfigMonitor__Demo__Enabled=false\n'
    } >"$dir/node.env"
  )
}

launch_node() {
  local i=$1; local dir=$STATE/node-$i f
  [ -f "$dir/node.env" ] || fail "node $i is not part of the cluster in $STATE (nodes: $(state_value NODES))"
  local dll; dll=$(node_dll "$i")
  if ours "$(read_pid "$dir/node.pid")" "$dll"; then fail "node $i is already running (pid $(cat "$dir/node.pid"))"; fi
  (
    cd "$dir"
    # What the caller's shell may hold for Kestrel would add listeners the node's Api:Url rule refuses.
    unset ASPNETCORE_URLS DOTNET_URLS HTTP_PORTS HTTPS_PORTS ASPNETCORE_HTTP_PORTS ASPNETCORE_HTTPS_PORTS DOTNET_HTTP_PORTS DOTNET_HTTPS_PORTS
    export DOTNET_ENVIRONMENT=Production
    for f in $(state_value ENV_FILES); do load_env_file "$f"; done
    [ -s "$STATE/targets.env" ] && load_env_file "$STATE/targets.env"
    load_env_file "$dir/node.env"
    printf -- '--- started %s\n' "$(date -Is)"
    exec setsid "$DOTNET" "$dll"
  ) >>"$dir/node.log" 2>&1 </dev/null &
  echo $! >"$dir/node.pid"
  set_state_value "NODE_${i}_PID" "$!"
}

node_ready_wait() {
  local deadline=$((SECONDS + READY_TIMEOUT)) i pending
  while :; do
    pending=()
    for i in "$@"; do
      local dir=$STATE/node-$i
      # kill -0, not ours: right after the launch the pid may still be the subshell about to exec dotnet.
      if ! kill -0 "$(read_pid "$dir/node.pid")" 2>/dev/null; then
        say "node $i exited before it was ready; the end of $dir/node.log:" >&2
        tail -n 20 "$dir/node.log" >&2
        return 1
      fi
      [ "$(http_status "$(state_value "NODE_${i}_API")/health/ready")" = 200 ] || pending+=("$i")
    done
    [ ${#pending[@]} -eq 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      say "not ready within ${READY_TIMEOUT} s: node(s) ${pending[*]} (logs: $STATE/node-N/node.log)" >&2
      return 1
    fi
    sleep 0.5
  done
}

# --- commands --------------------------------------------------------------------------------------------------------

cmd_start() {
  NODES=3 TARGETS=0 INTERVAL="" WITH_CONFIG_SERVICE=0 NO_BUILD=0 NO_WAIT=0
  local env_files=()
  while [ $# -gt 0 ]; do
    case $1 in
      [0-9]*) NODES=$1 ;;
      --targets) TARGETS=${2:?--targets needs a number}; shift; WITH_CONFIG_SERVICE=1 ;;
      --interval) INTERVAL=${2:?--interval needs a duration such as 5s}; shift ;;
      --with-config-service) WITH_CONFIG_SERVICE=1 ;;
      --env-file) [ -r "${2:?--env-file needs a file}" ] || fail "--env-file '$2' cannot be read"; env_files+=("$(realpath "$2")"); shift ;;
      --no-build) NO_BUILD=1 ;;
      --no-wait) NO_WAIT=1 ;;
      -h|--help) usage 0 ;;
      *) say "unknown argument '$1'" >&2; usage 1 ;;
    esac
    shift
  done
  [[ "$NODES" =~ ^[1-9][0-9]?$ ]] || fail "N is '$NODES'; give a number of nodes from 1 to 99"
  [[ "$TARGETS" =~ ^[0-9]+$ ]] || fail "--targets is '$TARGETS'; give a number such as 30"
  if [ -f "$STATE/cluster.env" ]; then
    local pid
    for pid in $(sed -n 's/^\(NODE_[0-9]*_PID\|POSTGRES_PID\|CONFIG_SERVICE_PID\)=//p' "$STATE/cluster.env"); do
      if ours "$pid" ConfigMonitor || ours "$pid" postgres; then fail "a cluster from $STATE is still running (pid $pid): run '$0 stop' first"; fi
    done
  fi
  rm -rf "$STATE"
  mkdir -p "$STATE"
  chmod 755 "$STATE"
  : >"$STATE/cluster.env"
  build
  {
    printf 'STATE_DIR=%s\nNODES=%s\nTARGETS=%s\nACTOR_SYSTEM=%s\nHOST_DLL=%s\nENV_FILES=%s\n' \
      "$STATE" "$NODES" "$TARGETS" "$SYSTEM" "$HOST_DLL" "${env_files[*]:-}"
  } >>"$STATE/cluster.env"
  start_postgres
  say "PostgreSQL      127.0.0.1:$PG_PORT  database configmonitor, user configmonitor  (connection string with password: $STATE/connection-string)"
  if [ "$WITH_CONFIG_SERVICE" = 1 ]; then
    start_config_service
    say "config service  $CONFIG_SERVICE_URL  (reference config service; log $STATE/config-service/service.log)"
  fi
  if [ "$TARGETS" -gt 0 ]; then write_targets; say "targets         t01 … $(printf 't%02d' "$TARGETS") on every node, all probing $CONFIG_SERVICE_URL${INTERVAL:+ every $INTERVAL}"; fi
  declare -gA AKKA_PORT=() API_PORT=()
  local i
  for i in $(seq 1 "$NODES"); do free_port; AKKA_PORT[$i]=$FREE_PORT; free_port; API_PORT[$i]=$FREE_PORT; done
  for i in $(seq 1 "$NODES"); do
    write_node_env "$i"
    printf 'NODE_%s_API=http://127.0.0.1:%s\nNODE_%s_AKKA=akka.tcp://%s@127.0.0.1:%s\nNODE_%s_LOG=%s\n' \
      "$i" "${API_PORT[$i]}" "$i" "$SYSTEM" "${AKKA_PORT[$i]}" "$i" "$STATE/node-$i/node.log" >>"$STATE/cluster.env"
    take_node_dll "$i"
    launch_node "$i"
    say "node $i          API http://127.0.0.1:${API_PORT[$i]}  Akka akka.tcp://$SYSTEM@127.0.0.1:${AKKA_PORT[$i]}  pid $(cat "$STATE/node-$i/node.pid")  log $STATE/node-$i/node.log"
  done
  say "state           $STATE (cluster.env lists every address and pid)"
  [ "$NO_WAIT" = 1 ] && return 0
  say "waiting for every node's /health/ready (up to ${READY_TIMEOUT} s) …"
  node_ready_wait $(seq 1 "$NODES") || fail "the cluster did not become ready; '$0 stop' stops what runs"
  say "ready: $NODES node(s) Up. Try: curl -s $(state_value NODE_1_API)/api/cluster"
}

require_state() {
  [ -f "$STATE/cluster.env" ] || fail "no cluster in $STATE (start one with '$0 start')"
  NODES=$(state_value NODES)
  HOST_DLL=$(state_value HOST_DLL)
}

node_index() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || fail "node is '${1:-}'; give a number from 1 to $NODES"
}

cmd_status() {
  require_state
  local i pid api code state
  for i in $(seq 1 "$NODES"); do
    pid=$(read_pid "$STATE/node-$i/node.pid"); api=$(state_value "NODE_${i}_API")
    if ours "$pid" "$(node_dll "$i")"; then
      state=running
      [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = T ] && state=paused
      code=$(http_status "$api/health/ready")
      say "node $i  pid $pid  $state  $api  /health/ready ${code:-no answer}$([ "$code" = 200 ] && echo ' (ready)')"
    else
      say "node $i  not running  $api"
    fi
  done
  local pg_pid; pg_pid=$(state_value POSTGRES_PID)
  if ours "$pg_pid" postgres; then say "PostgreSQL  pid $pg_pid  127.0.0.1:$(state_value POSTGRES_PORT)"; else say "PostgreSQL  not running"; fi
  local cs_pid; cs_pid=$(state_value CONFIG_SERVICE_PID)
  [ -n "$cs_pid" ] && { ours "$cs_pid" ConfigMonitor.ConfigService && say "config service  pid $cs_pid  $(state_value CONFIG_SERVICE_URL)" || say "config service  not running"; }
  return 0
}

cmd_stop() {
  [ -f "$STATE/cluster.env" ] || { say "no cluster in $STATE"; return 0; }
  require_state
  local pids=() i pid
  for i in $(seq 1 "$NODES"); do
    pid=$(read_pid "$STATE/node-$i/node.pid")
    # A paused node cannot handle SIGTERM: resume it first.
    ours "$pid" "$(node_dll "$i")" && { kill -CONT "$pid" 2>/dev/null || true; pids+=("$pid"); }
  done
  # Every node build's path ends in ConfigMonitor.Host.dll (one build or several).
  [ ${#pids[@]} -gt 0 ] && { say "stopping node(s): ${pids[*]} (SIGTERM, up to ${STOP_TIMEOUT} s each)"; stop_pids ConfigMonitor.Host.dll "${pids[@]}"; }
  pid=$(state_value CONFIG_SERVICE_PID)
  ours "$pid" ConfigMonitor.ConfigService && { say "stopping the config service ($pid)"; stop_pids ConfigMonitor.ConfigService "$pid"; }
  if [ -f "$(state_value POSTGRES_DATA)/postmaster.pid" ]; then
    say "stopping PostgreSQL"
    as_postgres "$(state_value POSTGRES_BIN)/pg_ctl" -D "$(state_value POSTGRES_DATA)" -m fast -w -t 60 stop >/dev/null 2>&1 \
      || { pid=$(state_value POSTGRES_PID); ours "$pid" postgres && kill -KILL "$pid" 2>/dev/null || true; }
  fi
  say "stopped (logs kept in $STATE)"
}

cmd_stop_node() {
  require_state; node_index "${1:-}"
  local pid; pid=$(read_pid "$STATE/node-$1/node.pid")
  ours "$pid" "$(node_dll "$1")" || { say "node $1 is not running"; return 0; }
  kill -CONT "$pid" 2>/dev/null || true
  stop_pids "$(node_dll "$1")" "$pid"
  say "node $1 stopped"
}

cmd_kill_node() {
  require_state; node_index "${1:-}"
  local signal=${2:-KILL} pid; pid=$(read_pid "$STATE/node-$1/node.pid")
  ours "$pid" "$(node_dll "$1")" || fail "node $1 is not running"
  kill -"$signal" "$pid"
  say "node $1 (pid $pid) sent SIG$signal"
}

# Seeds for a node (re)started while others run: the running nodes first, itself last. Listed first, a restarted node 1
# would run the first-seed process: a crashed node's address stays gated at the survivors for a few seconds, their
# InitJoinAck can be lost, and after seed-node-timeout (12 s in akka.hocon) it would form a second cluster of its own (seen here).
# Not first, it only ever joins. With no other node running, the original order stands (node 1 forms the cluster).
order_seeds_for_rejoin() {
  local i=$1 j others=() env=$STATE/node-$1/node.env
  for j in $(seq 1 "$NODES"); do
    [ "$j" = "$i" ] && continue
    ours "$(read_pid "$STATE/node-$j/node.pid")" "$(node_dll "$j")" && others+=("$j")
  done
  local order=()
  if [ ${#others[@]} -gt 0 ]; then
    order=("${others[@]}")
    for j in $(seq 1 "$NODES"); do [ "$j" != "$i" ] && [[ " ${others[*]} " != *" $j "* ]] && order+=("$j"); done
    order+=("$i")
  else
    order=($(seq 1 "$NODES"))
  fi
  local k=0 tmp; tmp=$(mktemp "$STATE/node-$i/node.env.XXXX")
  grep -v '^ConfigMonitor__SeedNodes__' "$env" >"$tmp"
  for j in "${order[@]}"; do printf 'ConfigMonitor__SeedNodes__%s=%s\n' "$k" "$(state_value "NODE_${j}_AKKA")" >>"$tmp"; k=$((k + 1)); done
  chmod 600 "$tmp"; mv "$tmp" "$env"
  say "node $i seeds: nodes ${order[*]}"
}

cmd_start_node() {
  require_state; node_index "${1:-}"
  NO_WAIT=0
  order_seeds_for_rejoin "$1"
  take_node_dll "$1"
  launch_node "$1"
  say "node $1 started, pid $(cat "$STATE/node-$1/node.pid"), API $(state_value "NODE_$1_API")"
  [ "${2:-}" = --no-wait ] && return 0
  node_ready_wait "$1" || fail "node $1 did not become ready"
  say "node $1 ready"
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  stop-node) cmd_stop_node "${2:-}" ;;
  kill-node) cmd_kill_node "${2:-}" "${3:-}" ;;
  start-node) cmd_start_node "${2:-}" "${3:-}" ;;
  -h|--help|help) usage 0 ;;
  *) usage 1 ;;
esac
