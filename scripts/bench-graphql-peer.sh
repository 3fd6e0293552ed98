#!/usr/bin/env bash
# Gantry against the Apollo Server peer on the same PostgreSQL data, side by side in one run
# (issue 16, item 4; results in docs/benchmarks.md, "GraphQL: Gantry and the Apollo peer").
#
#   PEER=/path/to/apollo-peer (npm ci done; loadgen built: rustc --edition 2021 -O -o loadgen loadgen.rs)
#   BIN=$CARGO_TARGET_DIR/release   (gantry and orders-bench, release builds)
#   scripts/bench-graphql-peer.sh [RUNS] [SECONDS] [CONCURRENCY]
#
# Loads a fresh database with `orders-bench load` (10,000 orders, an API token), starts the peer
# (one Node process, 16 pooled connections), Gantry with the response cache off and Gantry with
# `GANTRY_GRAPHQL_RESPONSE_CACHE_MS=1000` (two replicas of one cluster: one JWT secret), then runs
# the peer's load generator against each in turn with `farm-bench --vs` (A and B alternate, run
# by run), for the orders page and the light query. Every run's line is kept in $OUT/*.txt.
set -euo pipefail
RUNS=${1:-5}
SECS=${2:-8}
C=${3:-16}
: "${PEER:?PEER=the apollo peer directory}"
: "${BIN:?BIN=the directory of the release gantry and orders-bench}"
OUT=${OUT:-/tmp/gantry-peer-bench}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=gantry_peer_bench_$$
URL=$PG/$DB
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/run-*.sh
psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
}
trap cleanup EXIT
TOKEN=$("$BIN/orders-bench" load --database-url "$URL" --orders 10000 | sed -n 's/^token: //p')
[ -n "$TOKEN" ] || { echo "no token from orders-bench load" >&2; exit 1; }
(cd "$PEER" && DATABASE_URL=$URL PORT=18082 NODE_ENV=production exec node server.mjs) >"$OUT/apollo.log" 2>&1 &
pids+=($!)
export GANTRY_JWT_SECRET=peer-benchmark-secret-0123456789abcdef RUST_LOG=warn DATABASE_URL=$URL
GANTRY_LISTEN=127.0.0.1:18081 GANTRY_DATA_DIR=$OUT/data-a "$BIN/gantry" serve >"$OUT/gantry.log" 2>&1 &
pids+=($!)
sleep 3
GANTRY_LISTEN=127.0.0.1:18083 GANTRY_DATA_DIR=$OUT/data-b GANTRY_GRAPHQL_RESPONSE_CACHE_MS=1000 \
    "$BIN/gantry" serve >"$OUT/gantry-cached.log" 2>&1 &
pids+=($!)
for port in 18081 18082 18083; do
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.2; done
done
ORDERS='query { orders(first: 50) { edges { node { id status priority createdAt total { minor currency } customer { id name email } lines { id lineNo description quantity unitPrice { minor currency } materialId } } } pageInfo { hasNextPage endCursor } } }'
LIGHT='{ orders(first: 10) { edges { node { id status } } } }'
load() { # port query file: a script running the load generator, appending to $OUT/file.txt
    local script=$OUT/run-$3.sh
    printf '#!/bin/sh\nexec %q --addr 127.0.0.1:%s --path /graphql --token %q --query %q --concurrency %s --duration %s --warmup 1 >>%q 2>&1\n' \
        "$PEER/loadgen" "$1" "$TOKEN" "$2" "$C" "$SECS" "$OUT/$3.txt" >"$script"
    echo "$script"
}
pair() { # name query gantry-port
    local a b
    a=$(load "$3" "$2" "$1-gantry-$3")
    b=$(load 18082 "$2" "$1-apollo-vs-$3")
    farm-bench -n "$RUNS" --warmup 0 --timeout 900 --vs "sh $b" -- sh "$a" >"$OUT/$1-farm-bench-$3.log" 2>&1
}
for q in orders light; do
    query=$ORDERS
    [ $q = light ] && query=$LIGHT
    pair $q "$query" 18081
    pair $q "$query" 18083
done
for f in "$OUT"/*.txt; do
    echo "== $(basename "$f" .txt)"
    grep '^concurrency' "$f"
done
