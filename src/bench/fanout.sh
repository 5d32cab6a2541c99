#!/usr/bin/env bash
# Fan-out benchmark: N WebSocket clients (one JVM) on one 6-partition topic through Tidegate, beside a bare
# Vert.x WebSocket broadcast to the same clients (the ceiling), for N = 1,000 and 10,000 by default.
# Four processes: the broker, the gateway (target/tidegate.jar), the bare broadcaster, the clients.
# Usage: src/bench/fanout.sh [seconds-per-step] [client counts]   (default: 20 "1000,10000")
#        src/bench/fanout.sh compare [seconds] [loads]   the same Node client against Tidegate, a bare Node broadcast
#        and a kafkajs bridge (default: 60 "1000x50,1000x100,10000x10"; ports 27000-27099; see fanout-compare.sh)
#        src/bench/fanout.sh memory [N]   the gateway's heap per idle subscribed WebSocket and SSE client (N: 10000)
# BENCH_AUTH=both: the gateway steps also run against a gateway with auth.mode jwt, side by side (auth-cost.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
COMPARE=0
if [ "${1:-}" = memory ]; then
  MEMORY_CLIENTS="${2:-10000}"; set -- compare
  : "${BENCH_KAFKA_PORT:=27040}" "${BENCH_HTTP_PORT:=27050}"
fi
if [ "${1:-}" = compare ]; then
  COMPARE=1; shift
  SECONDS_PER_STEP="${1:-60}"; LOADS="${2:-1000x50,1000x100,10000x10}"
  : "${BENCH_KAFKA_PORT:=27000}" "${BENCH_HTTP_PORT:=27010}" "${BENCH_BARE_PORT:=27020}"
  BRIDGE_PORT="${BENCH_BRIDGE_PORT:-27030}"
fi
SECONDS_PER_STEP="${SECONDS_PER_STEP:-${1:-20}}"
CLIENTS="${2:-1000,10000}"
KAFKA_PORT="${BENCH_KAFKA_PORT:-19092}"
HTTP_PORT="${BENCH_HTTP_PORT:-18080}"
BARE_PORT="${BENCH_BARE_PORT:-18082}"
WORK=target/bench-fanout${MEMORY_CLIENTS:+-memory}
rm -rf "$WORK" && mkdir -p "$WORK"

# 10,000 sockets per process and more: raise the open-files limit to the hard limit (inherited by children).
ulimit -n "$(ulimit -Hn)"
echo "open files limit: $(ulimit -n)"

GATEWAY_HEAP=2g
. src/bench/common.sh
build_classpath
trap cleanup EXIT

if [ "$COMPARE" = 1 ]; then
  . src/bench/fanout-compare.sh
  if [ -n "${MEMORY_CLIENTS:-}" ]; then memory_main "$MEMORY_CLIENTS"; exit 0; fi
  compare_main "$SECONDS_PER_STEP" "$LOADS"
  check_blocked_thread_checker
  exit 0
fi

start_broker
start_gateway
maybe_start_auth_gateway

java -Xmx2g -cp "$CP" io.tidegate.bench.BareWsBroadcast "$BARE_PORT" > "$WORK/bare.log" 2>&1 &
BARE_PID=$!
for _ in $(seq 1 60); do grep -q "BARE WS READY" "$WORK/bare.log" && break; sleep 0.5; done

java -Xmx3g ${BENCH_JAVA_OPTS:-} -cp "$CP" io.tidegate.bench.FanoutBenchmark --bootstrap="127.0.0.1:$KAFKA_PORT" \
  --gateway-port="$HTTP_PORT" --gateway-pid="$GW_PID" --bare-port="$BARE_PORT" --seconds="$SECONDS_PER_STEP" \
  --clients="$CLIENTS" $AUTH_ARGS ${BENCH_ARGS:-}
check_blocked_thread_checker
