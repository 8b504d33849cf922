# Pinned versions of the tools the tests use; `make tools` installs them into
# .tools/bin with the Go toolchain, so a fresh machine needs only Go.
STRIPE_MOCK_VERSION := v0.203.0
STATICCHECK_VERSION := v0.8.2

TOOLS := $(CURDIR)/.tools/bin
STRIPE_MOCK := $(TOOLS)/stripe-mock
STATICCHECK := $(TOOLS)/staticcheck

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null)
VERSION_PKG := github.com/prometheus/common/version
LDFLAGS := -s -w \
	-X $(VERSION_PKG).Version=$(VERSION) \
	-X $(VERSION_PKG).Revision=$(REVISION) \
	-X $(VERSION_PKG).Branch=$(BRANCH) \
	-X $(VERSION_PKG).BuildUser=$(shell id -un)@$(shell hostname) \
	-X $(VERSION_PKG).BuildDate=$(shell date -u +%Y%m%d-%H:%M:%S)

GO_FILES = $(shell find . -name '*.go' -not -path './.tools/*')

.PHONY: all build test check-fmt vet staticcheck unit tools demo clean

all: test build

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o stripe_exporter .

# The test command: formatting, vet, staticcheck, then every test with the
# race detector, the stripe-mock conformance tests included.
test: tools check-fmt vet staticcheck unit

check-fmt:
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

unit: $(STRIPE_MOCK)
	STRIPE_MOCK=$(STRIPE_MOCK) go test -race -count=1 ./...

tools: $(STRIPE_MOCK) $(STATICCHECK)

# A stamp per version, so changing a pin above reinstalls the tool.
$(STRIPE_MOCK): $(TOOLS)/.stripe-mock-$(STRIPE_MOCK_VERSION)
$(TOOLS)/.stripe-mock-$(STRIPE_MOCK_VERSION):
	GOBIN=$(TOOLS) go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)
	touch $@

$(STATICCHECK): $(TOOLS)/.staticcheck-$(STATICCHECK_VERSION)
$(TOOLS)/.staticcheck-$(STATICCHECK_VERSION):
	GOBIN=$(TOOLS) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	touch $@

# Runs the exporter against a local stripe-mock and prints a scrape.
demo: build $(STRIPE_MOCK)
	STRIPE_MOCK=$(STRIPE_MOCK) ./scripts/demo

clean:
	rm -rf .tools stripe_exporter
