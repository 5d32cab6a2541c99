#!/usr/bin/env bash
# Fan-out benchmark: N WebSocket clients (one JVM) on one 6-partition topic through Tidegate, beside a bare
# Vert.x WebSocket broadcast to the same clients (the ceiling), for N = 1,000 and 10,000 by default.
# Four processes: the broker, the gateway (target/tidegate.jar), the bare broadcaster, the clients.
# Usage: src/bench/fanout.sh [seconds-per-step] [client counts]   (default: 20 "1000,10000")
# BENCH_AUTH=both: the gateway steps also run against a gateway with auth.mode jwt, side by side (auth-cost.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_STEP="${1:-20}"
CLIENTS="${2:-1000,10000}"
KAFKA_PORT="${BENCH_KAFKA_PORT:-19092}"
HTTP_PORT="${BENCH_HTTP_PORT:-18080}"
BARE_PORT="${BENCH_BARE_PORT:-18082}"
WORK=target/bench-fanout
rm -rf "$WORK" && mkdir -p "$WORK"

# 10,000 sockets per process and more: raise the open-files limit to the hard limit (inherited by children).
ulimit -n "$(ulimit -Hn)"
echo "open files limit: $(ulimit -n)"

GATEWAY_HEAP=2g
. src/bench/common.sh
build_classpath
trap cleanup EXIT

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
