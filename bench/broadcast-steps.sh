#!/usr/bin/env bash
# Broadcast to 5,000 / 10,000 / 19,000 subscribers (100 broadcasts per step,
# websocket-bench pacing) in json, msgpack and protobuf, one fresh server per
# encoding. Usage: bench/broadcast-steps.sh (after make build).
cd /work/main
OUT=/tmp/bsteps; rm -rf $OUT; mkdir -p $OUT
bin/densecable-benchapp --grpc 127.0.0.1:29251 --http "" --broadcast_url http://127.0.0.1:29290/_broadcast --log_level warn > $OUT/app.log 2>&1 &
APP=$!
sleep 1
for enc in json msgpack protobuf; do
  bin/densecable --host 127.0.0.1 --port 29280 --rpc_host 127.0.0.1:29251 --broadcast_adapter http --http_broadcast_port 29290 --log_level warn > $OUT/server-$enc.log 2>&1 &
  S=$!
  sleep 1
  bin/densecable-loadgen broadcast --url ws://127.0.0.1:29280/cable --server-pid $S --label densecable --out $OUT/results.jsonl --json --log-level warn --encoding $enc --steps 5000,10000,19000 --sample-size 100 > /dev/null 2>&1
  kill $S; wait $S 2>/dev/null
done
kill $APP
bin/densecable-loadgen report $OUT/results.jsonl
