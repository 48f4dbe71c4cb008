# Pure Go everywhere: no C toolchain needed, and the build cache stays warm
# across `make run` and `make test`.
export CGO_ENABLED := 0

.PHONY: run test vet fuzz build build-nodev

## run: intake dev — API, worker, embedded Temporal server and UI, SQLite
run:
	go run ./cmd/intake dev

## test: vet, then every test (PostgreSQL too when INTAKE_TEST_DATABASE_URL is set)
test: vet
	go test -count=1 ./...

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	go vet ./...

## fuzz: run each fuzz target for FUZZTIME (default 10s)
FUZZTIME ?= 10s
FUZZ_TARGETS := .:FuzzParseTimestamp .:FuzzParseLocalTime ./api:FuzzDecodeMetric ./api:FuzzDecodeBatchItems \
	./api:FuzzDecodeCustom ./api:FuzzDecodeTask ./api:FuzzDecodeSalesRecord ./mapping:FuzzCompile \
	./connectors:FuzzNormalize ./connectors:FuzzVerify
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} ($${t%%:*}) for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; \
	done

## build: bin/intake with `intake dev`; build-nodev: serve/worker only
build:
	go build -o bin/intake ./cmd/intake

build-nodev:
	go build -tags nodev -o bin/intake ./cmd/intake
