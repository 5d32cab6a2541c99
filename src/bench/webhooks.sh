#!/usr/bin/env bash
# Webhook benchmark: records POSTed by a Tidegate webhook to a local receiver that answers 204 at once, beside a
# plain KafkaConsumer + JDK HttpClient loop with the same settings (per-key order, maxInFlight, HMAC-SHA256
# signature, commits after delivery) in the same run: a backlog drain, then a live rate.
# Four processes: the broker, the gateway (target/tidegate.jar), the baseline (WebhookBaseline), and the driver
# (WebhookBenchmark: producer, receiver, the table).
# Usage: src/bench/webhooks.sh [seconds] [records]   (default: 20 s per live rate, a backlog of 100,000 records)
# BENCH_RATE sets the live rates (default "500,2000" records/s, one live phase each); ports from BENCH_KAFKA_PORT, BENCH_HTTP_PORT,
# BENCH_RECEIVER_PORT (defaults 21092, 21080, 21081).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_LIVE="${1:-20}"
RECORDS="${2:-100000}"
KAFKA_PORT="${BENCH_KAFKA_PORT:-21092}"
HTTP_PORT="${BENCH_HTTP_PORT:-21080}"
RECEIVER_PORT="${BENCH_RECEIVER_PORT:-21081}"
WORK=target/bench-webhooks
rm -rf "$WORK" && mkdir -p "$WORK"

GATEWAY_HEAP=1g
. src/bench/common.sh
build_classpath
trap cleanup EXIT

start_broker
start_gateway

java -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$CP" io.tidegate.bench.WebhookBenchmark --bootstrap="127.0.0.1:$KAFKA_PORT" \
  --gateway="http://127.0.0.1:$HTTP_PORT" --gateway-pid="$GW_PID" --receiver-port="$RECEIVER_PORT" \
  --seconds="$SECONDS_LIVE" --records="$RECORDS" --rate="${BENCH_RATE:-500,2000}" --baseline-heap=1g ${BENCH_ARGS:-}
check_blocked_thread_checker
