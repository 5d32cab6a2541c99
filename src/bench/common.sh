# Shared by the benchmark scripts (sourced, not run): build, start the broker and the gateway, check the
# gateway's blocked-thread checker at the end. Expects WORK, KAFKA_PORT, HTTP_PORT and GATEWAY_HEAP set.

build_classpath() {
  mvn -q -B -DskipTests package test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" -Dmdep.includeScope=test
  CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"
}

cleanup() { kill "${GW_PID:-}" "${BROKER_PID:-}" "${BARE_PID:-}" 2>/dev/null || true; wait 2>/dev/null || true; }

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

check_blocked_thread_checker() {
  if grep -q "Thread blocked" "$WORK/gateway.log"; then
    echo "The gateway's blocked-thread checker reported (see $WORK/gateway.log)"; exit 1
  fi
  echo "blocked-thread checker: silent"
}
