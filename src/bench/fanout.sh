#!/usr/bin/env bash
# Fan-out benchmark: N WebSocket clients (one JVM) on one 6-partition topic through Tidegate, beside a bare
# Vert.x WebSocket broadcast to the same clients (the ceiling), for N = 1,000 and 10,000 by default.
# Four processes: the broker, the gateway (target/tidegate.jar), the bare broadcaster, the clients.
# Usage: src/bench/fanout.sh [seconds-per-step] [client counts]   (default: 20 "1000,10000")
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

mvn -q -B -DskipTests package test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"

cleanup() { kill "${GW_PID:-}" "${BROKER_PID:-}" "${BARE_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

java -Xmx1g -cp "$CP" io.tidegate.bench.BrokerMain "$KAFKA_PORT" "$WORK/kafka-data" > "$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 1 120); do grep -q "BROKER READY" "$WORK/broker.log" && break; sleep 0.5; done
grep -q "BROKER READY" "$WORK/broker.log" || { echo "broker did not start"; cat "$WORK/broker.log"; exit 1; }

KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" TIDEGATE_HTTP_PORT="$HTTP_PORT" \
  java -Xmx2g ${GATEWAY_JAVA_OPTS:-} -jar target/tidegate.jar > "$WORK/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null || { echo "gateway did not start"; cat "$WORK/gateway.log"; exit 1; }

java -Xmx2g -cp "$CP" io.tidegate.bench.BareWsBroadcast "$BARE_PORT" > "$WORK/bare.log" 2>&1 &
BARE_PID=$!
for _ in $(seq 1 60); do grep -q "BARE WS READY" "$WORK/bare.log" && break; sleep 0.5; done

java -Xmx3g ${BENCH_JAVA_OPTS:-} -cp "$CP" io.tidegate.bench.FanoutBenchmark --bootstrap="127.0.0.1:$KAFKA_PORT" \
  --gateway-port="$HTTP_PORT" --gateway-pid="$GW_PID" --bare-port="$BARE_PORT" --seconds="$SECONDS_PER_STEP" \
  --clients="$CLIENTS" ${BENCH_ARGS:-}
if grep -q "Thread blocked" "$WORK/gateway.log"; then
  echo "The gateway's blocked-thread checker reported (see $WORK/gateway.log)"; exit 1
fi
echo "blocked-thread checker: silent"
