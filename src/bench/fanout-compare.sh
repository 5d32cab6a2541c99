# The comparison phases of fanout.sh (sourced by it: `src/bench/fanout.sh compare [seconds] [loads]`): the same
# Node client (src/bench/node/node_client.js) against Tidegate, a bare Node broadcast of pre-encoded frames (no
# Kafka) and a kafkajs + ws bridge, in one run, at each load SOCKETSxRATE (default 1000x50,1000x100,10000x10).
# Records of ~200 bytes are written by RateProducer into a fresh 6-partition topic per phase. Per server and load:
# deliveries/s, p50/p99 from the record timestamp, the server's CPU-seconds per million deliveries (utime+stime
# of its process over the measured window), and records lost (gaps in a partition's offsets) or duplicated.
# Each load is measured COMPARE_REPEAT times (3) per server, the servers taking turns (each round starts with the
# next one), and the table gives each server's median with every phase's figure: one phase's p99 moves with
# what else the two cores do (the client shares them with everything, and how long it waited for a core is in
# each row), and the medians of interleaved phases say more than any one of them. Phases are 60 s by default:
# in a 15 s phase, one stall of the client of 150 ms is 1% of the records, and the p99 moved by 2-5x between
# runs. Each server is warmed first (unreported runs, COMPARE_WARM_SECONDS in all, 150, at the first load, see
# warm(): at 1,000 x 50 the gateway's JIT compilers still took 0.1-0.17 cores in the first minute and a half),
# and records flow before the clients of a phase subscribe (as the bare broadcast's do), so each phase is
# measured warm.
# BENCH_BASELINE_JAR=path/to/older/tidegate.jar adds a server "baseline": a second gateway started from that jar
# (port BENCH_BASELINE_PORT, default 27060, same broker, same options), measured in turn with the others, so a
# change is compared with what it replaces in the same run (COMPARE_SERVERS sets which servers run, in order).
# BASELINE_JAVA_OPTS and BENCH_BASELINE_INSTANCES (its http.instances) set it apart when the jar is the same.

compare_main() {
  local secs="$1" loads="$2"
  [ -d src/bench/node/node_modules ] || (cd src/bench/node && npm install --no-audit --no-fund >/dev/null)
  start_broker
  start_gateway
  local servers="${COMPARE_SERVERS:-tidegate bare kafkajs}"
  if [ -n "${BENCH_BASELINE_JAR:-}" ]; then
    start_baseline_gateway
    [ -n "${COMPARE_SERVERS:-}" ] || servers="baseline tidegate bare kafkajs"
  fi
  local first=1 load n rate rep order server repeat="${COMPARE_REPEAT:-3}"
  for load in ${loads//,/ }; do
    n="${load%x*}"; rate="${load#*x}"
    if [ "$first" = 1 ]; then
      for server in $servers; do warm "$server" "$n" "$rate"; done
    fi
    order="$servers"
    for rep in $(seq 1 "$repeat"); do
      for server in $order; do compare_phase "$server" "$n" "$rate" "$secs" "report-$rep"; done
      # the next round starts with the next server: none is always first
      if [[ "$order" == *" "* ]]; then order="${order#* } ${order%% *}"; fi
    done
    first=0
  done
  echo; echo "== Fan-out comparison ($(date -u +%Y-%m-%dT%H:%MZ), $repeat x $secs s per server and load, load average $(cut -d' ' -f1-3 /proc/loadavg))"
  summary "$WORK/phases.jsonl" | tee "$WORK/table.md"
}

# The table: per load and server, the median of its phases (each phase's figure after it, in the order run),
# and the records lost and duplicated over all of them.
summary() {
  python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| load | server | deliveries/s | p50 ms | p99 ms (median; each) | CPU-s per million (median; each) "
      "| client waiting for a core, % (median; each) | lost | duplicated |")
print("|---|---|---|---|---|---|---|---|---|")
seen = []
for r in rows:
    if (r['n'], r['rate'], r['server']) not in seen:
        seen.append((r['n'], r['rate'], r['server']))
for n, rate, server in seen:
    got = [r for r in rows if (r['n'], r['rate'], r['server']) == (n, rate, server)]
    ok = [r for r in got if r.get('p99') is not None and r.get('cpu') is not None]
    if not ok:
        print(f"| {n:,} x {rate}/s | {server} | no result | | | | | | |"); continue
    med = lambda k: statistics.median(r[k] for r in ok)
    waits = lambda rs: (f"{statistics.median(r['client_wait'] for r in rs):.1f}; "
                        + ', '.join(f"{r['client_wait']:.1f}" for r in rs)) if all(r.get('client_wait') is not None for r in rs) else '?'
    each = lambda k, f: ', '.join(f.format(r[k]) for r in ok)
    lost = sum(r['lost'] for r in ok if isinstance(r['lost'], int))
    print(f"| {n:,} x {rate}/s | {server} | {med('per_s')/1000:.1f}k | {med('p50'):.0f} "
          f"| **{med('p99'):,.0f}**; {each('p99', '{:,}')} | **{med('cpu'):.1f}**; {each('cpu', '{:.1f}')} "
          f"| {waits(ok)} | {lost} | {sum(r['dup'] for r in ok)} |" + ('' if len(ok) == len(got) else f" ({len(got) - len(ok)} without result)"))
PY
}

# Warms a server at the first load for COMPARE_WARM_SECONDS (150), in rounds of up to 30 s, each with a fresh
# client and topic: a measured phase connects and subscribes its clients anew, and the code that does it runs
# once per connection, so it takes several rounds to be compiled (one round left the JIT compiling it, at 0.05
# cores, inside the measured window).
warm() {
  local left="${COMPARE_WARM_SECONDS:-150}" round
  while [ "$left" -gt 0 ]; do
    round=$(( left < 30 ? left : 30 ))
    compare_phase "$1" "$2" "$3" "$round" warm
    left=$(( left - round ))
  done
}

# The gateway of BENCH_BASELINE_JAR beside the one under test (same broker, heap and options).
start_baseline_gateway() {
  BASELINE_PORT="${BENCH_BASELINE_PORT:-27060}"
  KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" TIDEGATE_HTTP_PORT="$BASELINE_PORT" \
    TIDEGATE_HTTP_INSTANCES="${BENCH_BASELINE_INSTANCES:-${TIDEGATE_HTTP_INSTANCES:-$(nproc)}}" java "-Xmx$GATEWAY_HEAP" ${BASELINE_JAVA_OPTS:-${GATEWAY_JAVA_OPTS:-}} -jar "$BENCH_BASELINE_JAR" > "$WORK/baseline-gateway.log" 2>&1 &
  BASELINE_PID=$!
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$BASELINE_PORT/health/ready" >/dev/null && break; sleep 0.5; done
  curl -sf "http://127.0.0.1:$BASELINE_PORT/health/ready" >/dev/null || { echo "baseline gateway did not start"; cat "$WORK/baseline-gateway.log"; exit 1; }
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# client_waited PID: nanoseconds the process's main thread has spent runnable, waiting for a core
client_waited() { cut -d' ' -f2 "/proc/$1/task/$1/schedstat" 2>/dev/null || echo 0; }
# thread_ticks PID: one line per thread, "name utime+stime" (names as the kernel keeps them, 15 characters)
thread_ticks() { for t in /proc/"$1"/task/*; do echo "$(tr ' ' _ < "$t/comm") $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0)"; done; }

# compare_phase SERVER SOCKETS RATE SECONDS warm|report
compare_phase() {
  local server="$1" n="$2" rate="$3" secs="$4" mode="$5"
  local topic="cmp-$server-$n-$rate-$mode-$RANDOM" url pid srv_pid="" log="$WORK/$server-$n-$rate-$mode"
  java -cp "$CP" io.tidegate.bench.RateProducer create "127.0.0.1:$KAFKA_PORT" "$topic"
  case "$server" in
    tidegate) url="ws://127.0.0.1:$HTTP_PORT/ws"; pid="$GW_PID" ;;
    baseline) url="ws://127.0.0.1:$BASELINE_PORT/ws"; pid="$BASELINE_PID" ;;
    bare) node src/bench/node/node_reference.js bare "$BARE_PORT" "$rate" > "$log.server" 2>&1 &
      srv_pid=$!; pid=$srv_pid; url="ws://127.0.0.1:$BARE_PORT/ws" ;;
    kafkajs) node src/bench/node/node_reference.js kafka "$BRIDGE_PORT" "127.0.0.1:$KAFKA_PORT" "$topic" > "$log.server" 2>&1 &
      srv_pid=$!; pid=$srv_pid; url="ws://127.0.0.1:$BRIDGE_PORT/ws" ;;
  esac
  if [ -n "$srv_pid" ]; then
    for _ in $(seq 1 120); do grep -q ready "$log.server" 2>/dev/null && break; sleep 0.5; done
    # kafkajs says ready before its group has its partitions (from latest): give it time to join
    [ "$server" = kafkajs ] && sleep 5
  fi
  # Records flow before the clients subscribe, as the bare broadcast's do from its start: the measured window
  # opens on a warm client, producer and server alike, not on their first records.
  local producer=""
  if [ "$server" != bare ]; then
    java -Xmx256m -cp "$CP" io.tidegate.bench.RateProducer produce "127.0.0.1:$KAFKA_PORT" "$topic" "$rate" 100000 > "$log.producer" 2>&1 &
    producer=$!
    sleep 2
  fi
  node src/bench/node/node_client.js "$url" "$topic" "$n" "$secs" > "$log.client" 2>&1 &
  local client=$!
  for _ in $(seq 1 240); do grep -q '"ready"' "$log.client" 2>/dev/null && break; sleep 0.25; done
  local c0; c0=$(cpu_ticks "$pid")
  thread_ticks "$pid" > "$log.threads0"
  local metrics=""
  case "$server" in tidegate) metrics="http://127.0.0.1:$HTTP_PORT/metrics" ;; baseline) metrics="http://127.0.0.1:$BASELINE_PORT/metrics" ;; esac
  [ -n "$metrics" ] && curl -sf "$metrics" > "$log.metrics0"
  # How long the client's thread was ready to run but had no core: on two shared cores, the servers' threads
  # (and the broker's, the producer's, the JIT's) take the client's core from it, and its records wait meanwhile.
  local q0 q1 t0 t1
  q0=$(client_waited "$client"); t0=$(date +%s%N); q1=$q0; t1=$t0
  while kill -0 "$client" 2>/dev/null; do
    local q; q=$(client_waited "$client")
    [ "$q" != 0 ] && { q1=$q; t1=$(date +%s%N); }
    sleep 1
  done
  wait "$client" || true
  local c1; c1=$(cpu_ticks "$pid")
  thread_ticks "$pid" > "$log.threads1"
  [ -n "$metrics" ] && curl -sf "$metrics" > "$log.metrics1"
  [ -n "$producer" ] && { kill "$producer" 2>/dev/null || true; wait "$producer" 2>/dev/null || true; }
  [ -n "$srv_pid" ] && { kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; }
  [ "${mode%%-*}" = report ] || return 0
  local hz; hz=$(getconf CLK_TCK)
  python3 - "$log.client" "$server" "$n" "$rate" "$secs" "$c0" "$c1" "$hz" "$mode" "$(( q1 - q0 ))" "$(( t1 - t0 ))" >> "$WORK/phases.jsonl" <<'PY'
import json, sys
path, server, n, rate, secs, c0, c1, hz, mode, waited, span = sys.argv[1:]
res = [json.loads(l) for l in open(path) if l.startswith('{') and '"result"' in l]
row = {'n': int(n), 'rate': int(rate), 'server': server, 'phase': mode, 'p99': None}
if res:
    r = res[-1]
    delivered = r['delivered_per_s'] * int(secs)
    cpu = (int(c1) - int(c0)) / int(hz)
    row.update(per_s=r['delivered_per_s'], p50=r['p50_ms'], p99=r['p99_ms'],
               cpu=round(cpu / delivered * 1e6, 1) if delivered else None, lost=r.get('lost', '?'), dup=r['duplicates'],
               client_wait=round(100 * int(waited) / int(span), 1) if int(span) > 0 else None)
print(json.dumps(row))
PY
  tail -1 "$WORK/phases.jsonl"
  [ -n "$metrics" ] && stages "$log.metrics0" "$log.metrics1" && threads "$log.threads0" "$log.threads1" "$secs" "$hz"
  return 0
}

# The gateway's own histograms over the phase (bucket differences): p50/p99 of each stage from the record timestamp.
stages() {
  python3 - "$1" "$2" <<'PY'
import re, sys
def buckets(path):
    out = {}
    for line in open(path):
        m = re.match(r'(tidegate_(?:feed_poll|feed_dispatch|delivery)_latency_seconds)_bucket\{(.*)\} (\S+)', line)
        if m:
            tags = dict(kv.split('=', 1) for kv in re.findall(r'(\w+="[^"]*")', m.group(2)))
            le = tags.pop('le').strip('"')
            name = m.group(1) + ''.join(f'{{{k}={v}}}' for k, v in sorted(tags.items()))
            out.setdefault(name, []).append((float('inf') if le == '+Inf' else float(le), float(m.group(3))))
    return out
a, b = buckets(sys.argv[1]), buckets(sys.argv[2])
parts = []
for name in sorted(b):
    before = dict(a.get(name, []))
    cum = sorted((le, c - before.get(le, 0)) for le, c in b[name])
    total = cum[-1][1] if cum else 0
    if not total:
        continue
    q = lambda p: next(le for le, c in cum if c >= p * total)
    parts.append(f"{name.replace('tidegate_', '').replace('_latency_seconds', '')} p50 <= {q(0.5)*1000:.0f} ms, p99 <= {q(0.99)*1000:.0f} ms")
print('  gateway stages: ' + ('; '.join(parts) if parts else 'none recorded'))
PY
}

# Where a JVM server's CPU went over the phase, in cores, by thread name (numbers stripped: the event loops,
# the feed's poll thread, the JIT compilers, the collector), to tell the gateway's own work from the JVM's.
threads() {
  python3 - "$@" <<'PY'
import collections, re, sys
def read(path):
    out = collections.Counter()
    for line in open(path):
        name, ticks = line.rsplit(' ', 1)
        out[re.sub(r'[-_#]?[0-9]+$', '', name)] += int(ticks)
    return out
a, b = read(sys.argv[1]), read(sys.argv[2])
secs, hz = int(sys.argv[3]), int(sys.argv[4])
used = sorted(((b[k] - a[k]) / hz / secs, k) for k in b if b[k] - a[k] > 0)
print('  gateway threads (cores): ' + ', '.join(f'{k} {c:.3f}' for c, k in reversed(used)))
PY
}

# `fanout.sh memory [N]`: the gateway's heap per idle subscribed client, measured from outside: heap used after a
# full GC (jcmd GC.run, then GC.heap_info) with 1 client and with N (default 10,000), for WebSocket and then for
# SSE; the class histograms of both are kept in $WORK (memory-*.histo) for the difference.
memory_main() {
  local n="$1"
  [ -d src/bench/node/node_modules ] || (cd src/bench/node && npm install --no-audit --no-fund >/dev/null)
  start_broker
  start_gateway
  local topic="mem-$RANDOM"
  java -cp "$CP" io.tidegate.bench.RateProducer create "127.0.0.1:$KAFKA_PORT" "$topic"
  for transport in ws sse; do
    local one many
    one=$(memory_with "$transport" "$topic" 1)
    many=$(memory_with "$transport" "$topic" "$n")
    python3 -c "import sys; o,m,n=map(int,sys.argv[1:4]); print(f'{sys.argv[4]}: heap after full GC {o/1024:.1f} MiB with 1 client, {m/1024:.1f} MiB with {n:,}: {(m-o)/(n-1):.2f} KiB per idle subscribed client')" "$one" "$many" "$n" "$transport"
  done
}

# memory_with ws|sse TOPIC N: opens N idle subscribed clients, prints the gateway's heap used (KiB) after a full GC
memory_with() {
  local transport="$1" topic="$2" n="$3" log="$WORK/memory-$1-$3" client
  if [ "$transport" = ws ]; then
    node src/bench/node/node_client.js "ws://127.0.0.1:$HTTP_PORT/ws" "$topic" "$n" 600 > "$log.client" 2>&1 &
  else
    node src/bench/node/node_sse_idle.js "http://127.0.0.1:$HTTP_PORT" "$topic" "$n" 600 > "$log.client" 2>&1 &
  fi
  client=$!
  for _ in $(seq 1 600); do grep -q '"ready"' "$log.client" 2>/dev/null && break; sleep 0.25; done
  sleep 2 # the last subscriptions settle (their acknowledgements are already sent)
  jcmd "$GW_PID" GC.run > /dev/null
  jcmd "$GW_PID" GC.run > /dev/null
  jcmd "$GW_PID" GC.class_histogram > "$log.histo"
  jcmd "$GW_PID" GC.heap_info > "$log.heap"
  kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
  # wait until the gateway has let the clients go before the next measurement
  for _ in $(seq 1 240); do
    [ "$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^tidegate_(ws|sse)_sessions /{s+=$2} END{print s+0}')" = 0 ] && break
    sleep 0.5
  done
  grep -oE "used [0-9]+K" "$log.heap" | head -1 | grep -oE "[0-9]+"
}
