#!/usr/bin/env bash
# Broadcast to 5,000 subscribers (100 broadcasts, websocket-bench pacing)
# with two server binaries in the same run, twice each, for an A/B figure on
# a shared machine. Usage: bench/compare-broadcast.sh OLD_BINARY [NEW_BINARY]
cd /work/main
OUT=/tmp/bcmp; rm -rf $OUT; mkdir -p $OUT
bin/densecable-benchapp --grpc 127.0.0.1:29151 --http "" --broadcast_url http://127.0.0.1:29190/_broadcast --log_level warn > $OUT/app.log 2>&1 &
APP=$!
sleep 1
for round in 1 2; do
for bin in "${1:?old binary}" "${2:-bin/densecable}"; do
  label=$(basename $bin)-$round
  $bin --host 127.0.0.1 --port 29180 --rpc_host 127.0.0.1:29151 --broadcast_adapter http --http_broadcast_port 29190 --log_level warn > $OUT/$label.log 2>&1 &
  S=$!
  sleep 1
  bin/densecable-loadgen broadcast --url ws://127.0.0.1:29180/cable --server-pid $S --label $label --out $OUT/results.jsonl --json --log-level warn --encoding json --steps 5000 --sample-size 100 > /dev/null 2>&1
  kill $S; wait $S 2>/dev/null
done
done
kill $APP
bin/densecable-loadgen report $OUT/results.jsonl
