#!/usr/bin/env bash
# Publish benchmark: HTTP publish through Tidegate beside Kafka's own producer, same broker, same run.
# Three processes: the broker, the gateway (target/tidegate.jar) and the load generator.
# Usage: src/bench/publish.sh [seconds-per-phase]   (default 30)
# BENCH_AUTH=both: each gateway phase also runs against a gateway with auth.mode jwt, side by side (auth-cost.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_PHASE="${1:-30}"
KAFKA_PORT="${BENCH_KAFKA_PORT:-19092}"
HTTP_PORT="${BENCH_HTTP_PORT:-18080}"
WORK=target/bench
rm -rf "$WORK" && mkdir -p "$WORK"

GATEWAY_HEAP=1g
. src/bench/common.sh
build_classpath
trap cleanup EXIT

start_broker
start_gateway
maybe_start_auth_gateway

# The HTTP ceiling: a bare Vert.x server answering the same shape without Kafka (idle during the gateway phases).
BARE_PORT="${BENCH_BARE_PORT:-18081}"
java -Xmx512m -cp "$CP" io.tidegate.bench.BareHttpServer "$BARE_PORT" > "$WORK/bare.log" 2>&1 &
BARE_PID=$!
for _ in $(seq 1 60); do grep -q "BARE READY" "$WORK/bare.log" && break; sleep 0.5; done

# The baseline producer uses exactly the gateway's producer settings, as the gateway resolved them.
PRODUCER=$(java -cp "$CP" io.tidegate.bench.ProducerSettings)
java -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$CP" io.tidegate.bench.PublishBenchmark --gateway="http://127.0.0.1:$HTTP_PORT" \
  --bootstrap="127.0.0.1:$KAFKA_PORT" --seconds="$SECONDS_PER_PHASE" --gateway-pid="$GW_PID" --producer="$PRODUCER" \
  --bare="http://127.0.0.1:$BARE_PORT" $AUTH_ARGS
check_blocked_thread_checker
