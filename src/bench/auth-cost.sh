#!/usr/bin/env bash
# The cost of auth: the publish benchmark, then the fan-out benchmark over WebSocket, each run against a gateway
# with auth.mode none and a gateway with auth.mode jwt (HS256, clients carrying a token signed by the benchmark),
# in the same run, taking turns (publish: 5 s slices, A B C then C B A; fan-out: at each producer rate); each prints its
# own figures and then the auth-on / auth-off table. Publish compares two tokens (permissions in the tidegate claim,
# and a role mapped through auth.roles); fan-out the claim token only (both resolve to the same permissions at the
# handshake, and the jwt gateway would otherwise hold both client sets at once).
# Usage: src/bench/auth-cost.sh [seconds-per-phase] [fan-out clients]   (default: 20 1000)
# BENCH_AUTH=both-on-first measures auth on first in each phase (default: auth off first).
# Ports: BENCH_KAFKA_PORT, BENCH_HTTP_PORT, BENCH_AUTH_HTTP_PORT, BENCH_BARE_PORT (as the two scripts).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_PHASE="${1:-20}"
CLIENTS="${2:-1000}"
export BENCH_AUTH="${BENCH_AUTH:-both}"
src/bench/publish.sh "$SECONDS_PER_PHASE"
BENCH_ARGS="--transports=ws --auth-variants=claim ${BENCH_ARGS:-}" src/bench/fanout.sh "$SECONDS_PER_PHASE" "$CLIENTS"
