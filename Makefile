# deploytrail — `make test` is the whole test suite (CI runs it via .ci/run).
SHELL   := /bin/bash
GO      ?= go
# Fuzz smoke runs are counted in executions, not seconds: a time limit can
# end a run while a worker is mid-input, which go test reports as a failure
# ("context deadline exceeded") with nothing found.
FUZZTIME ?= 20000x

.PHONY: all build run test unit fuzz vet

all: build

build:
	$(GO) build -o bin/deploytrail ./cmd/deploytrail

run:
	$(GO) run ./cmd/deploytrail serve

# The whole suite: vet, every test with the race detector (the end-to-end
# ones drive the real binary with the AWS CLI), then a short run of every
# fuzz target.
test: vet unit fuzz

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

# Every test, with a throwaway MinIO (scripts/minio.sh, loopback only) so the
# s3 object store's tests run against a real server; the first run builds
# MinIO, which takes minutes. Beside it a throwaway PostgreSQL
# (scripts/postgres.sh, installed with apt-get if missing): the store's
# contract suite runs on it as well as on SQLite, and then all of
# internal/apptest runs a second time with every server's store in it
# (without the race detector, which the first run had on the same code:
# about 5 minutes on a busy 2-vCPU machine, against 4 on SQLite).
# Both servers are stopped even when tests fail. test/cluster's fault tests
# run the real binary as nodes on that PostgreSQL (their own database) and
# on MinIOs of their own, killing nodes under load: about 2 minutes.
# scripts/ruby.sh installs Debian's Ruby and the packages AWS's CodeDeploy
# agent needs (TestRealAgent) if they are missing. cmd/deploytrail's
# end-to-end tests (AWS CLI, both agents) take about 9 minutes on a busy
# 2-vCPU machine, near go test's default 10-minute limit per package.
# scripts/chromium.sh installs Debian's Chromium for the console's browser
# test (TestConsoleInChromium), whose screenshots land under ARTIFACTS.
ARTIFACTS ?= $(CURDIR)/test-artifacts
unit:
	scripts/ruby.sh
	scripts/chromium.sh
	mkdir -p "$(ARTIFACTS)"
	set -euo pipefail; dir=$$(mktemp -d); pgdir=$$(mktemp -d); \
	trap 'scripts/minio.sh stop "$$dir"; scripts/postgres.sh stop "$$pgdir"; rm -rf "$$dir" "$$pgdir"' EXIT; \
	exports=$$(scripts/minio.sh start "$$dir"); eval "$$exports"; \
	exports=$$(scripts/postgres.sh start "$$pgdir"); eval "$$exports"; \
	$(GO) test -race -count=1 -timeout=20m -artifacts -outputdir="$(ARTIFACTS)" ./...; \
	DEPLOYTRAIL_TEST_APP_STORE=postgres $(GO) test -count=1 -timeout=20m ./internal/apptest/

# Each fuzz target for FUZZTIME executions (go test -fuzz takes one target at a time).
fuzz:
	@set -eo pipefail; for spec in \
		internal/sigv4:FuzzParseAuthorization \
		internal/sigv4:FuzzParsePresigned \
		internal/sigv4:FuzzChunkedReader \
		internal/iam/policy:FuzzParse \
		internal/awsproto:FuzzDecodeQuery \
		internal/awsproto:FuzzDecodeJSON \
		internal/codedeploy:FuzzCreateDeploymentGroupInput \
		internal/codedeploy:FuzzCreateDeploymentInput \
		internal/codedeploy:FuzzEventTimeouts \
		internal/sns:FuzzCheckEndpoint \
		internal/digest:FuzzParse \
		internal/lifecycle:FuzzParse \
		internal/objstore/fs:FuzzUnseal \
		internal/s3api:FuzzRequest; do \
		pkg=$${spec%%:*}; target=$${spec##*:}; \
		$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) ./$$pkg 2>&1 | grep -v '^fuzz: elapsed'; \
	done

# The benchmarks (cmd/deploytrail-bench, BENCHMARKS.md): builds what it
# needs, starts moto_server and MinIO if installed, and prints one JSON
# object. BENCHFLAGS=--quick makes it a short run.
.PHONY: bench
bench:
	@$(GO) run ./cmd/deploytrail-bench $(BENCHFLAGS)
