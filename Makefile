# Ferry: Kafka components for Benthos / Redpanda Connect.
#
#   make demo   build, start `connect dev`, run the quickstart, count the topic
#   make test   vet, staticcheck, and every test with the race detector
#   make build  the connect binary in bin/
#   make lint   gofmt, vet and staticcheck only
#   make bench  Ferry vs raw franz-go and the host floor (docs/benchmarks.md)
#   make docs   regenerate docs/components/ from the component specs
#   make fuzz   run each fuzz target for FUZZTIME (default 10s; try FUZZTIME=10m)

GO          ?= go
BIN         := bin/connect
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DATE        := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS     := -X main.Version=$(VERSION) -X main.DateBuilt=$(DATE)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 10s
# package:target, each run for FUZZTIME by `make fuzz` (and by `make test`).
FUZZ_TARGETS := serde/avro:FuzzAvroDecode serde/avro:FuzzJSONToAvro serde/confluent:FuzzConfluentHeader serde/confluent:FuzzReadFrame serde/protobuf:FuzzProtobufDecode serde/protobuf:FuzzProtobufConfluentDecode serde/jsonschema:FuzzJSONSchemaDecode serde/jsonschema:FuzzJSONSchemaConfluentDecode serde/protobuf:FuzzProtobufFastPath serde/protobuf:FuzzProtobufFastDecode internal/jsonscan:FuzzJSONField
DEMO_PORT   ?= 19092
DEMO_SR     ?= 18081

.PHONY: all build test lint fmt-check vet staticcheck bench bench-go docs fuzz demo clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/connect

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# bench/, deploy/ and oracle/ are modules of their own (so the library's
# go.mod does not carry their dependencies: oracle/ links librdkafka
# through cgo for Confluent's serializers); vet, staticcheck and test
# cover them.
MODULES := . bench deploy oracle

vet:
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

staticcheck:
	@for m in $(MODULES); do (cd $$m && $(GO) run $(STATICCHECK) ./...) || exit 1; done

lint: fmt-check vet staticcheck

test: lint
	@command -v kcat >/dev/null || { echo "make test needs kcat (librdkafka's client), the tests' independent reader: apt-get install kcat"; exit 1; }
	@command -v systemd-analyze >/dev/null || { echo "make test needs systemd-analyze, which checks deploy/systemd: apt-get install systemd"; exit 1; }
	$(GO) test -race -count=1 -timeout 12m ./...
	cd bench && $(GO) test -count=1 ./...
	cd deploy && $(GO) test -count=1 ./...
	cd oracle && $(GO) test -count=1 ./...
	@# Tests that cannot run under -race (see plugin/input/atleastonce_test.go).
	$(GO) test -count=1 -run 'TestIntegrationAtLeastOnce' ./plugin/input/
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)

# A duration -fuzztime can end with "context deadline exceeded" and no
# finding: a race in Go's fuzz coordinator at the deadline
# (golang/go#75804, fixed in Go 1.27, present in 1.26). A run fails only
# when it fails otherwise, or writes a failing input to testdata/fuzz.
fuzz:
	@for pf in $(FUZZ_TARGETS); do \
		p=$${pf%%:*}; f=$${pf#*:}; corpus=$$p/testdata/fuzz/$$f; \
		echo "fuzz $$p $$f for $(FUZZTIME)"; \
		before=$$(ls $$corpus 2>/dev/null | wc -l); \
		out=$$($(GO) test ./$$p -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) 2>&1); rc=$$?; \
		echo "$$out" | tail -n 5; \
		after=$$(ls $$corpus 2>/dev/null | wc -l); \
		if [ $$rc -ne 0 ]; then \
			if [ "$$after" = "$$before" ] && echo "$$out" | grep -q '^    context deadline exceeded$$' && [ $$(echo "$$out" | grep -c -- '--- FAIL') = 1 ]; then \
				echo "fuzz $$p $$f: ended by Go's fuzz deadline race (golang/go#75804), no failing input written"; \
			else \
				echo "$$out"; exit 1; \
			fi; \
		fi; \
	done

docs:
	$(GO) test ./internal/docgen -run TestComponentDocsUpToDate -count=1 -update

# Ferry vs a raw franz-go client and the host floor, on `connect dev` out
# of process; rewrites the generated section of docs/benchmarks.md and
# docs/benchmarks.png. BENCH_FLAGS e.g. "-records 200000 -reps 1", or
# "-profile 3s" for a CPU profile of each pipeline in bin/bench/<name>.pprof.
bench:
	cd bench && $(GO) run ./harness -root .. $(BENCH_FLAGS)

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	cd bench && $(GO) test -run '^$$' -bench . -benchmem ./...

# The demo uses its own ports so it does not collide with a broker already
# on 9092; the broker is stopped however the pipeline ends.
demo: build
	@set -e; \
	$(BIN) dev --port $(DEMO_PORT) --registry-port $(DEMO_SR) --topic orders:6 > bin/dev.log 2>&1 & dev=$$!; \
	trap 'kill -TERM $$dev 2>/dev/null; wait $$dev 2>/dev/null || true' EXIT; \
	for i in $$(seq 50); do grep -q "broker(s) at" bin/dev.log && break; sleep 0.1; done; \
	cat bin/dev.log; \
	echo "== running config/examples/quickstart.yaml"; \
	KAFKA_BROKERS=127.0.0.1:$(DEMO_PORT) $(BIN) run config/examples/quickstart.yaml; \
	echo "== records per partition in topic orders"; \
	$(BIN) dev count --brokers 127.0.0.1:$(DEMO_PORT) orders

clean:
	rm -rf bin
