# shellcheck shell=bash disable=SC2034  # sourced: the NETNS_* variables are read by the callers
# Network namespaces for the multi-host scripts (sourced by multihost-test.sh and bench-netem.sh).
#
# A "switch" namespace holds a bridge; each host is a namespace with one veth (eth0) plugged into
# it, addressed 10.77.0.N/24. Nothing touches the machine's own namespace, so several runs can
# coexist (names carry the caller's pid) and deleting the namespaces removes every link.
#
# Callers set NETNS_PREFIX (e.g. "sy$$") before calling anything here, and NETNS_LOG_DIR before
# netns_start.

NETNS_SUBNET="10.77.0"
NETNS_CREATED=()
# What the last netns_shape_link did: "netem", "relay" (delay by delay_relay.py, any rate by tbf),
# "tbf" (rate only) or "none".
NETNS_DELAY_MODE="none"
NETNS_NETEM_ERROR=""
# Processes netns_start started and not yet reaped: name -> pid.
declare -A NETNS_PIDS=()

# When namespaces cannot be used here, prints why and returns 0; otherwise prints nothing, returns 1.
netns_unavailable_reason() {
    if [ "$(id -u)" -ne 0 ]; then echo "needs root (network namespaces)"; return 0; fi
    if ! command -v ip >/dev/null 2>&1; then echo "needs the ip command (iproute2)"; return 0; fi
    if ! command -v tc >/dev/null 2>&1; then echo "needs the tc command (iproute2)"; return 0; fi
    local probe="${NETNS_PREFIX}-probe"
    if ! ip netns add "$probe" 2>/dev/null; then echo "ip netns add fails here (no CAP_SYS_ADMIN or no netns support)"; return 0; fi
    if ! ip -n "$probe" link add br0 type bridge 2>/dev/null || ! ip -n "$probe" link add v0 type veth peer name v1 2>/dev/null; then
        ip netns del "$probe" 2>/dev/null
        echo "the kernel lacks bridge or veth support"
        return 0
    fi
    ip netns del "$probe" 2>/dev/null
    return 1
}

netns_name() { echo "${NETNS_PREFIX}-$1"; }
netns_address() { echo "${NETNS_SUBNET}.$1"; }

# netns_up HOST...: the switch plus one namespace per host; the k-th host gets 10.77.0.k.
netns_up() {
    local switch; switch="$(netns_name sw)"
    ip netns add "$switch" && NETNS_CREATED+=("$switch")
    ip -n "$switch" link add br0 type bridge
    ip -n "$switch" link set br0 up
    local index=0 host
    for host in "$@"; do
        index=$((index + 1))
        local ns; ns="$(netns_name "$host")"
        ip netns add "$ns" && NETNS_CREATED+=("$ns")
        ip -n "$switch" link add "p$index" type veth peer name eth0 netns "$ns"
        ip -n "$switch" link set "p$index" master br0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "$(netns_address "$index")/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
}

# netns_down: ends whatever still runs inside the namespaces netns_up created (SIGTERM, then SIGKILL
# after 5 s), then deletes them (their links go with them). A namespace outlives `ip netns del`
# while a process is in it, so nothing started there may survive.
netns_down() {
    local ns pid left
    for ns in "${NETNS_CREATED[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    done
    for _ in $(seq 1 50); do
        left=""
        for ns in "${NETNS_CREATED[@]}"; do left+="$(ip netns pids "$ns" 2>/dev/null)"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    for ns in "${NETNS_CREATED[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    NETNS_CREATED=()
}

# netns_exec HOST CMD...: runs CMD inside HOST's namespace (exec: the pid is CMD's).
netns_exec() {
    local ns; ns="$(netns_name "$1")"; shift
    ip netns exec "$ns" "$@"
}

# netns_shape_link HOST DELAY RATE: shapes the egress of HOST's link. DELAY like 1ms or "" (none),
# RATE like 1gbit or "". Uses netem when the kernel has it; otherwise (NETNS_NETEM_ERROR says why)
# rate goes to tbf and NETNS_DELAY_MODE=relay tells the caller to put delay_relay.py on the path
# (netem is often left out of minimal VM kernels: CONFIG_NET_SCH_NETEM).
netns_shape_link() {
    local host="$1" delay="$2" rate="$3"
    [ -z "$delay$rate" ] && { NETNS_DELAY_MODE="none"; return 0; }
    local args=()
    [ -n "$delay" ] && args+=(delay "$delay")
    [ -n "$rate" ] && args+=(rate "$rate")
    local error
    if error="$(netns_exec "$host" tc qdisc add dev eth0 root netem "${args[@]}" 2>&1)"; then
        NETNS_DELAY_MODE="netem"
        return 0
    fi
    NETNS_NETEM_ERROR="$error"
    if [ -n "$rate" ]; then
        # Burst of 1 ms at the given rate, at least 64 KiB (one GSO segment); 50 ms of queue.
        netns_exec "$host" tc qdisc add dev eth0 root tbf rate "$rate" burst 256kb latency 50ms || return 1
    fi
    if [ -n "$delay" ]; then NETNS_DELAY_MODE="relay"; else NETNS_DELAY_MODE="tbf"; fi
}

# netns_delay_ms "1ms" -> 1, "500us" -> 0.5 (for delay_relay.py); fails on other units.
netns_delay_ms() {
    python3 - "$1" <<'PY'
import re, sys
match = re.fullmatch(r"([0-9]*\.?[0-9]+)(us|ms|s)", sys.argv[1])
if not match:
    sys.exit(f"cannot read delay {sys.argv[1]!r} (expected e.g. 1ms, 500us)")
value, unit = float(match.group(1)), match.group(2)
print(value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit])
PY
}

# netns_start NAME HOST CMD...: runs CMD in HOST's namespace in the background, output in
# $NETNS_LOG_DIR/NAME.log. ip netns exec execs CMD, so the pid kept is CMD's own (a function or
# subshell in between would leave CMD orphaned when it is signalled).
netns_start() {
    local name="$1" host="$2"; shift 2
    ip netns exec "$(netns_name "$host")" "$@" >"$NETNS_LOG_DIR/$name.log" 2>&1 &
    NETNS_PIDS[$name]=$!
}

netns_running() { [ -n "${NETNS_PIDS[$1]:-}" ] && kill -0 "${NETNS_PIDS[$1]}" 2>/dev/null; }

# netns_wait_exit NAME SECONDS: waits for the process to end and returns its exit status, or 124
# when it is still running after SECONDS.
netns_wait_exit() {
    local name="$1" limit="$2" pid="${NETNS_PIDS[$1]}"
    local deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null; do
        [ "$SECONDS" -ge "$deadline" ] && return 124
        sleep 0.1
    done
    local status=0
    wait "$pid" 2>/dev/null || status=$?
    unset "NETNS_PIDS[$name]"
    return "$status"
}

# netns_stop NAME SIGNAL SECONDS: signals the process, waits up to SECONDS, then SIGKILLs it.
# Returns its exit status (124 when it had to be killed; 0 when it was not running).
netns_stop() {
    local name="$1" signal="$2" limit="$3" pid="${NETNS_PIDS[$1]:-}"
    [ -n "$pid" ] || return 0
    kill -"$signal" "$pid" 2>/dev/null || true
    local status=0
    netns_wait_exit "$name" "$limit" || status=$?
    if [ "$status" -eq 124 ]; then
        echo "$name (pid $pid) still running ${limit} s after SIG$signal: killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        unset "NETNS_PIDS[$name]"
    fi
    return "$status"
}

# netns_stop_all: SIGTERM to every process still running, 10 s for all to end, then SIGKILL.
netns_stop_all() {
    local name
    for name in "${!NETNS_PIDS[@]}"; do kill -TERM "${NETNS_PIDS[$name]}" 2>/dev/null || true; done
    for name in "${!NETNS_PIDS[@]}"; do netns_stop "$name" TERM 10 >/dev/null 2>&1 || true; done
}
