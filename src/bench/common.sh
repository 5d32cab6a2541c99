# Shared by the benchmark scripts (sourced, not run): build, start the broker and the gateway, check the
# gateway's blocked-thread checker at the end. Expects WORK, KAFKA_PORT, HTTP_PORT and GATEWAY_HEAP set.
# With BENCH_AUTH=both a second gateway runs beside the first with auth.mode jwt (start_auth_gateway), and the
# benchmark measures each gateway phase against both, taking turns (see AuthCost and src/bench/auth-cost.sh).

build_classpath() {
  mvn -q -B -DskipTests package test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
  CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"
}

cleanup() { kill "${GW_PID:-}" "${AUTH_GW_PID:-}" "${BASELINE_PID:-}" "${BROKER_PID:-}" "${BARE_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; }

start_broker() {
  java -Xmx1g -cp "$CP" io.tidegate.bench.BrokerMain "$KAFKA_PORT" "$WORK/kafka-data" > "$WORK/broker.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 1 120); do grep -q "BROKER READY" "$WORK/broker.log" && break; sleep 0.5; done
  grep -q "BROKER READY" "$WORK/broker.log" || { echo "broker did not start"; cat "$WORK/broker.log"; exit 1; }
}

start_gateway() {
  KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" TIDEGATE_HTTP_PORT="$HTTP_PORT" \
    java "-Xmx$GATEWAY_HEAP" ${GATEWAY_JAVA_OPTS:-} -jar target/tidegate.jar > "$WORK/gateway.log" 2>&1 &
  GW_PID=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null || { echo "gateway did not start"; cat "$WORK/gateway.log"; exit 1; }
}

# The jwt gateway: the shipped config plus an auth section (a fresh HS256 secret, one role) written by AuthCost,
# on 127.0.0.1 like the other. Sets AUTH_GW_PID and AUTH_ARGS (what the benchmark needs to sign its tokens).
start_auth_gateway() {
  AUTH_HTTP_PORT="${BENCH_AUTH_HTTP_PORT:-18083}"
  java -cp "$CP" io.tidegate.bench.AuthCost conf/config.json "$WORK/auth-config.json"
  KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" TIDEGATE_HTTP_PORT="$AUTH_HTTP_PORT" TIDEGATE_HTTP_HOST=127.0.0.1 \
    TIDEGATE_CONFIG="$WORK/auth-config.json" \
    java "-Xmx$GATEWAY_HEAP" ${AUTH_GATEWAY_JAVA_OPTS:-${GATEWAY_JAVA_OPTS:-}} -jar target/tidegate.jar > "$WORK/auth-gateway.log" 2>&1 &
  AUTH_GW_PID=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$AUTH_HTTP_PORT/health/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$AUTH_HTTP_PORT/health/ready" >/dev/null || { echo "jwt gateway did not start"; cat "$WORK/auth-gateway.log"; exit 1; }
  AUTH_ARGS="--auth-gateway=http://127.0.0.1:$AUTH_HTTP_PORT --auth-gateway-pid=$AUTH_GW_PID --auth-config=$WORK/auth-config.json"
}

# BENCH_AUTH: off (default), both (auth off measured first in each phase) or both-on-first (auth on first).
maybe_start_auth_gateway() {
  AUTH_ARGS=""
  case "${BENCH_AUTH:-off}" in
    off) ;;
    both) start_auth_gateway ;;
    both-on-first) start_auth_gateway; AUTH_ARGS="$AUTH_ARGS --auth-order=on-first" ;;
    *) echo "BENCH_AUTH must be off, both or both-on-first, got '$BENCH_AUTH'"; exit 2 ;;
  esac
}

check_blocked_thread_checker() {
  for log in "$WORK/gateway.log" "$WORK/auth-gateway.log"; do
    if [ -f "$log" ] && grep -q "Thread blocked" "$log"; then
      echo "The gateway's blocked-thread checker reported (see $log)"; exit 1
    fi
  done
  echo "blocked-thread checker: silent"
}
