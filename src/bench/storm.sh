#!/usr/bin/env bash
# Reconnect-storm benchmark: N subscribed WebSocket clients (one JVM) lose their connections at once (TCP reset,
# no close frame) while records keep flowing into a 6-partition topic, and all reconnect within a few seconds
# from the offsets after their last record. Three processes: the broker, the gateway (target/tidegate.jar with the
# shipped config), the clients. Reports per N the time from the drop to each client's subscribe answered and to
# each client caught up (p50/p99/max), beside the same clients' first connect (the baseline), the records caught
# up, the most catch-up reads at once against ws.maxCatchUps, readiness, the gateway's CPU and heap, and every
# client's records checked for gaps and duplicates.
# Usage: src/bench/storm.sh [client counts] [records/s]   (default: "5000,10000" 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
CLIENTS="${1:-5000,10000}"
RATE="${2:-60}"
KAFKA_PORT="${BENCH_KAFKA_PORT:-26092}"
HTTP_PORT="${BENCH_HTTP_PORT:-26080}"
WORK=target/bench-storm
rm -rf "$WORK" && mkdir -p "$WORK"

# every socket is a file descriptor in the client JVM and one in the gateway: raise the limit to the hard limit
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "open files limit: $(ulimit -n)"
max_clients=$(echo "$CLIENTS" | tr ',' '\n' | sort -n | tail -1)
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max_clients + 2000)) ]; then
  echo "the open-files limit $(ulimit -n) is too low for $max_clients sockets; run fewer or raise the hard limit"; exit 2
fi

GATEWAY_HEAP=2g
. src/bench/common.sh
build_classpath
trap cleanup EXIT

start_broker
start_gateway
MAX_CATCHUPS=$(grep -o '"maxCatchUps" *: *[0-9]*' conf/config.json | grep -o '[0-9]*$' || echo 64)

java -Xmx3g ${BENCH_JAVA_OPTS:-} -cp "$CP" io.tidegate.bench.StormBenchmark --bootstrap="127.0.0.1:$KAFKA_PORT" \
  --gateway-port="$HTTP_PORT" --gateway-pid="$GW_PID" --sockets="$CLIENTS" --rate="$RATE" \
  --spread-ms="${BENCH_SPREAD_MS:-5000}" --max-catchups="${MAX_CATCHUPS:-64}" ${BENCH_ARGS:-}
check_blocked_thread_checker
