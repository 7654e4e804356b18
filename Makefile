# densecable — see README.md. `make run` and `make test` are all a fresh
# machine needs.

GO      ?= go
BIN     := bin
LDFLAGS := -s -w -X github.com/densecable/densecable/cmd/config.Version=$(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 5s

.PHONY: build run test test-unit test-e2e fuzz bench bench-long bench-compare vet clean

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

test-unit:
	$(GO) test -race -count=1 -timeout 15m ./...

# Every fuzz target runs briefly; run one longer by hand with
#   go test -run XXX -fuzz FuzzName -fuzztime 5m ./pkg
fuzz:
	@bench/fuzz-all.sh $(FUZZTIME)

bench: build
	@bench/run.sh

bench-long: build
	@bench/run.sh --long

# densecable against anycable-go with websocket-bench, alternating in one run
# (docs/benchmarks.md). Needs ANYCABLE_GO and WEBSOCKET_BENCH: the script says
# how to build them when they are missing.
bench-compare:
	@bench/compare-anycable.sh

clean:
	rm -rf $(BIN)
