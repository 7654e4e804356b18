# densecable — see README.md. `make run` and `make test` are all a fresh
# machine needs.

GO      ?= go
BIN     := bin
LDFLAGS := -s -w -X github.com/densecable/densecable/cmd/config.Version=$(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 5s

.PHONY: build run test test-unit test-e2e fuzz vet clean node-deps \
        bench bench-protocols bench-long bench-ocpp bench-sse bench-scale bench-compare bench-floor soak

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/densecable ./cmd/densecable
	$(GO) build -o $(BIN)/densecable-benchapp ./bench/app
	$(GO) build -o $(BIN)/densecable-loadgen ./bench/loadgen

# A self-contained server: the bundled demo RPC application plus densecable
# with HTTP broadcasting. Ctrl-C stops both.
run: build
	@bench/demo.sh

vet:
	$(GO) vet ./...

test: vet test-unit fuzz

test-unit: node-deps
	$(GO) test -race -count=1 -timeout 15m ./...

# The Node end-to-end tests (cmd/densecable/e2e, encoders) fail without these
# packages, so `make test` installs them: again whenever package.json or the
# lock file is newer than the install. npm ci writes node_modules/.package-lock.json.
E2E_JS := cmd/densecable/e2e/js
test-e2e: node-deps
	$(GO) test -race -count=1 -timeout 15m ./cmd/densecable/e2e/ ./encoders/

node-deps: $(E2E_JS)/node_modules/.package-lock.json

$(E2E_JS)/node_modules/.package-lock.json: $(E2E_JS)/package-lock.json $(E2E_JS)/package.json
	@command -v npm >/dev/null || { echo "npm not found: the end-to-end tests need Node.js 20 and npm" >&2; exit 1; }
	cd $(E2E_JS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Every fuzz target runs briefly; run one longer by hand with
#   go test -run XXX -fuzz FuzzName -fuzztime 5m ./pkg
fuzz:
	@bench/fuzz-all.sh $(FUZZTIME)

# BENCH_PROTOCOLS=0 skips the one-table run of every protocol and
# transport (bench/protocols.sh, several minutes at 10,000 connections).
bench: build
	@bench/run.sh
	@if [ "$${BENCH_PROTOCOLS:-1}" != 0 ]; then bench/protocols.sh; fi

# Every protocol and transport in one table (docs/benchmarks.md). Smaller:
# PROTO_CONNS=1000 PROTO_BCAST=500 make bench-protocols
bench-protocols: build
	@bench/protocols.sh

bench-long: build
	@bench/run.sh --long

# 10,000 idle OCPP charge points next to Action Cable clients: RSS per
# connection (docs/benchmarks.md). Smaller: OCPP_CONNS=2000 make bench-ocpp
bench-ocpp:
	@bench/ocpp-idle.sh

# Idle SSE streams and broadcasts to them, next to WebSocket clients.
bench-sse: build
	@bench/sse.sh

# 100,000 connections over 6 densecable processes sharing one port
# (--reuse_port) joined by NATS pub/sub, then broadcasts to all of them
# (docs/benchmarks.md). Not part of `make test`. Two processes:
#   SCALE_PROCS=2 SCALE_CONNS=36000 make bench-scale
bench-scale:
	@bench/scale.sh

# A 30-minute soak (churn, broadcasts, bad clients; RSS and goroutines over
# time). Not part of `make test`. Shorter: SOAK_DURATION=2m make soak
soak:
	@bench/soak.sh

# densecable against anycable-go with websocket-bench, alternating in one run
# (docs/benchmarks.md). Needs ANYCABLE_GO and WEBSOCKET_BENCH: the script says
# how to build them when they are missing.
bench-compare:
	@bench/compare-anycable.sh

clean:
	rm -rf $(BIN)

# densecable against the one-write floor (bench/floor), alternating in one
# run: CPU per delivery, paced and burst (docs/benchmarks.md).
bench-floor:
	@bench/floor.sh
