# Every go command here runs the Go of go.mod's toolchain line, which the go
# command fetches once from the module proxy when the machine's Go is another:
# one Go for every build keeps the release binaries reproducible and free of
# the standard library's known vulnerabilities (`make vulncheck`). The go line
# stays older, so that a plain `go vet` or `go test` also runs on a machine
# whose Go is set to GOTOOLCHAIN=local. Override it on the command line
# (`make GOTOOLCHAIN=go1.27.4 ...`), not in the environment.
export GOTOOLCHAIN := $(shell sed -n 's/^toolchain //p' go.mod)

# Pinned versions of the tools the tests use. `make tools` installs them with
# the Go toolchain into a folder per version under .tools, so a fresh machine
# needs only Go, and changing a pin installs the new version.
STRIPE_MOCK_VERSION := v0.203.0
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
HELM_VERSION := v4.3.2
# GoReleaser (with nFPM inside) builds the release archives and packages; only
# the release and package targets need it, so `make tools` leaves it out.
GORELEASER_VERSION := v2.15.1
# syft writes the SBOMs of the release archives and of the image; only the
# release, package and image targets need it.
SYFT_VERSION := v1.57.2
# The Go vulnerability database as of 2026-11-05, the date in the version of
# the golang.org/x/vulndb module, which carries its OSV entries. To bump it,
# set the version that `go list -m golang.org/x/vulndb@latest` prints.
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018

STRIPE_MOCK := $(CURDIR)/.tools/stripe-mock-$(STRIPE_MOCK_VERSION)/stripe-mock
# staticcheck and govulncheck read the code with the Go they were built with,
# which must be at least the code's: their folders name that Go too, so that a
# change of Go installs them again.
STATICCHECK := $(CURDIR)/.tools/staticcheck-$(STATICCHECK_VERSION)-$(GOTOOLCHAIN)/staticcheck
GOVULNCHECK := $(CURDIR)/.tools/govulncheck-$(GOVULNCHECK_VERSION)-$(GOTOOLCHAIN)/govulncheck
VULNDB := $(CURDIR)/.tools/vulndb-$(VULNDB_VERSION)
HELM := $(CURDIR)/.tools/helm-$(HELM_VERSION)/helm
GORELEASER := $(CURDIR)/.tools/goreleaser-$(GORELEASER_VERSION)/goreleaser
SYFT := $(CURDIR)/.tools/syft-$(SYFT_VERSION)/syft

# Prometheus 3 and Alertmanager for `make e2e-prometheus3`, built from source.
# Module v0.316.0 is Prometheus 3.16.0. The folders are not named
# <command>-<version>, which the tests' .tools/<command>-*/ lookup would find
# and use in place of Debian's: only e2e-prometheus3 names these binaries.
PROMETHEUS3_VERSION := v0.316.0
PROMETHEUS3_RELEASE := 3.16.0
ALERTMANAGER3_VERSION := v0.35.0
PROMETHEUS3_DIR := $(CURDIR)/.tools/prometheus3-$(PROMETHEUS3_VERSION)
PROMETHEUS3 := $(PROMETHEUS3_DIR)/prometheus
PROMTOOL3 := $(PROMETHEUS3_DIR)/promtool
ALERTMANAGER3 := $(CURDIR)/.tools/prometheus3-alertmanager-$(ALERTMANAGER3_VERSION)/alertmanager

# The end-to-end tests run Debian's Prometheus and Alertmanager; the load
# test runs wrk.
DEBIAN_PACKAGES := prometheus prometheus-alertmanager wrk
DEBIAN_COMMANDS := prometheus promtool prometheus-alertmanager wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null)
# Builds are reproducible: the same commit gives the same binary and image
# wherever and whenever it is built, so the build time stamped in is the
# commit's (SOURCE_DATE_EPOCH, as reproducible-builds.org defines it) and the
# build user a fixed name rather than who ran make where.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
BUILD_DATE := $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y%m%d-%H:%M:%S)
BUILD_USER ?= stripe_exporter
VERSION_PKG := github.com/prometheus/common/version
LDFLAGS := -s -w \
	-X $(VERSION_PKG).Version=$(VERSION) \
	-X $(VERSION_PKG).Revision=$(REVISION) \
	-X $(VERSION_PKG).Branch=$(BRANCH) \
	-X $(VERSION_PKG).BuildUser=$(BUILD_USER) \
	-X $(VERSION_PKG).BuildDate=$(BUILD_DATE)

GO_FILES = $(shell find . -name '*.go' -not -path './.tools/*')

.PHONY: all build test check-fmt vet staticcheck unit e2e e2e-prometheus3 fuzz-short fuzz bench scale vulncheck tools debian-packages demo clean chart-test

all: test build

# -buildvcs=false: the revision is stamped above already, and VCS stamping
# would make a build from a checkout differ from one without .git (the
# image's, whose build context leaves .git out).
build:
	CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags '$(LDFLAGS)' -o stripe_exporter .

# The test command: formatting, vet, staticcheck, every package's tests with
# the race detector (the stripe-mock conformance, fault and load tests
# among them), then the end-to-end tests against real Prometheus and
# Alertmanager. A plain `go test` skips the tests whose tool is missing;
# these targets make a missing tool fail them, as CI=true does.
test: tools debian-packages check-fmt vet staticcheck
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory fuzz-short

check-fmt:
	@out=$$(gofmt -l $(GO_FILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# go mod verify: the modules in the cache still hash as go.sum says.
vet:
	go mod verify
	go vet ./...

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

unit e2e e2e-prometheus3 scale: export STRIPE_EXPORTER_REQUIRE_TOOLS := 1

unit: $(STRIPE_MOCK)
	STRIPE_MOCK=$(STRIPE_MOCK) go test -race -count=1 $$(go list ./... | grep -v '/e2e$$')

# Run alone, after the rest: the scale test checks request rates and scrape
# coverage, which other tests' load on a small machine would disturb.
e2e:
	go test -count=1 ./e2e

# The same end-to-end tests against Prometheus 3 and a current Alertmanager
# instead of Debian's, which CI keeps: building Prometheus from cold takes
# longer than CI has to spare (docs/performance.md).
e2e-prometheus3: $(PROMETHEUS3) $(PROMTOOL3) $(ALERTMANAGER3)
	PROMETHEUS=$(PROMETHEUS3) PROMTOOL=$(PROMTOOL3) ALERTMANAGER=$(ALERTMANAGER3) go test -count=1 ./e2e

# Fuzz targets, one per run as go test requires. The seed corpus in
# testdata/fuzz runs with every `go test`; these explore beyond it, briefly
# in CI (fuzz-short) and for FUZZTIME each with `make fuzz`. Coverage of a
# scrape varies a little with timing, so minimizing is kept short.
# fuzz-short counts executions rather than seconds, so that every machine
# does the same work.
FUZZ_TARGETS := stripe:FuzzMajorUnits stripe:FuzzBalanceBody stripe:FuzzTransactionBody stripe:FuzzTransactionListBody stripe:FuzzKeyWithheld collector:FuzzCollectBalance
FUZZTIME ?= 30m
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=20000x
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo ">> fuzzing $$name in ./$$pkg for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 100x ./$$pkg/ || exit 1; \
	done

# The performance goals of docs/performance.md. Every benchmark runs and
# prints its figures; each fails when its goal is missed, and so then does
# the target.
bench: build
	@ls -l stripe_exporter | awk '{printf "binary size: %d bytes (%.1f MiB)\n", $$5, $$5/1048576}'
	@status=0; \
	go test -run '^$$' -bench . -benchmem -benchtime 200x ./collector/ || status=1; \
	go test -run '^$$' -bench 'ScrapeOverhead' -benchtime 300x . || status=1; \
	go test -run '^$$' -bench 'ConcurrentScrapes' -benchtime 20x . || status=1; \
	go test -run '^$$' -bench 'Memory' -benchtime 1x . || status=1; \
	go test -run '^$$' -bench 'FollowMillionADay' -benchtime 5x ./activity/ || status=1; \
	exit $$status

# The full scale run: 1,000 connected accounts answering after 50 ms,
# probed once a minute through discovery, for five minutes.
scale:
	SCALE_ACCOUNTS=1000 SCALE_INTERVAL=60s SCALE_INTERVALS=5 go test -count=1 -v -timeout 30m -run 'TestScale$$' ./e2e

# Known vulnerabilities in the code the exporter calls, from the pinned
# database rather than vuln.go.dev, which CI cannot reach; fails on any.
# scripts/vulncheck first checks that the database reports a known one.
vulncheck: $(GOVULNCHECK) $(VULNDB)
	GOVULNCHECK=$(GOVULNCHECK) VULNDB=$(VULNDB) ./scripts/vulncheck

tools: $(STRIPE_MOCK) $(STATICCHECK)

$(STRIPE_MOCK):
	GOBIN=$(@D) go install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

$(STATICCHECK):
	GOBIN=$(@D) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOVULNCHECK):
	GOBIN=$(@D) go install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

# The module's OSV files lack the index govulncheck reads; the module's own
# indexdb command writes the database with it.
$(VULNDB):
	go mod download golang.org/x/vulndb@$(VULNDB_VERSION)
	rm -rf $@.tmp
	go run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns $$(go env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv -out $@.tmp
	mv $@.tmp $@

$(HELM):
	GOBIN=$(@D) go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

# The Helm chart (charts/stripe-exporter) rendered and checked by its own Go
# module, charts/test, which keeps the Kubernetes and Prometheus Operator
# types out of the exporter's go.mod. Apart from `make test`, since only
# chart changes need helm, which takes minutes to build cold; CI runs both.
chart-test: $(HELM) $(STATICCHECK) debian-packages
	cd charts/test && go vet ./... && $(STATICCHECK) ./...
	cd charts/test && HELM=$(HELM) STRIPE_EXPORTER_REQUIRE_TOOLS=1 go test -count=1 ./...

# remove_all_sd leaves out the cloud service discoveries (Kubernetes, AWS,
# ...), which the tests do not use, to shorten the build; static, file and
# HTTP discovery stay. Without the builtinassets tag the web UI is read from
# disk, so there is none; the API, which the tests use, does not need it.
# The version is stamped for `prometheus --version`, which the tests read.
PROMETHEUS3_INSTALL = GOBIN=$(@D) go install -tags remove_all_sd \
	-ldflags '-X github.com/prometheus/common/version.Version=$(PROMETHEUS3_RELEASE)'
$(PROMETHEUS3):
	$(PROMETHEUS3_INSTALL) github.com/prometheus/prometheus/cmd/prometheus@$(PROMETHEUS3_VERSION)
$(PROMTOOL3):
	$(PROMETHEUS3_INSTALL) github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS3_VERSION)

# Alertmanager embeds its web UI from ui/app/dist, which npm builds and the
# Go module does not hold, so go install stops at the missing files. It is
# built from a copy of the module with one placeholder file there instead
# (go build refuses overlays of the module cache); the API, which the tests
# use, needs no UI.
$(ALERTMANAGER3):
	rm -rf $(@D)/src
	mkdir -p $(@D)
	cp -R "$$(go mod download -json github.com/prometheus/alertmanager@$(ALERTMANAGER3_VERSION) | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p')" $(@D)/src
	chmod -R u+w $(@D)/src
	mkdir -p $(@D)/src/ui/app/dist
	echo "The web UI was not built: its assets come from npm, not the Go module." >$(@D)/src/ui/app/dist/ui-not-built.txt
	cd $(@D)/src && go build -buildvcs=false -o $@ \
		-ldflags '-X github.com/prometheus/common/version.Version=$(ALERTMANAGER3_VERSION:v%=%)' ./cmd/alertmanager
	rm -rf $(@D)/src

$(GORELEASER):
	GOBIN=$(@D) go install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)

# The version is stamped as syft's own release builds stamp it, so that each
# SBOM names the syft that made it (a plain go install says "[not provided]").
$(SYFT):
	GOBIN=$(@D) go install -ldflags '-X main.version=$(SYFT_VERSION:v%=%)' \
		github.com/anchore/syft/cmd/syft@$(SYFT_VERSION)

debian-packages:
	@missing=; for c in $(DEBIAN_COMMANDS); do command -v $$c >/dev/null || missing=yes; done; \
	if [ -n "$$missing" ]; then \
		echo ">> installing $(DEBIAN_PACKAGES) from Debian"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEBIAN_PACKAGES) >/dev/null; \
	fi

# Runs the exporter against a local stripe-mock and prints a scrape.
demo: build $(STRIPE_MOCK)
	STRIPE_MOCK=$(STRIPE_MOCK) ./scripts/demo

clean:
	rm -rf .tools stripe_exporter dist dist-image

# Container image (Dockerfile). `make image` builds it with buildah from the
# real bases (docker.io/library/golang, gcr.io/distroless/static-debian12,
# pinned by digest in the Dockerfile) for every platform in IMAGE_PLATFORMS,
# into the manifest list $(IMAGE):$(IMAGE_TAG), with an SBOM of each platform's
# image (scripts/build-image). `make image-test`, run by CI, builds it from
# locally made stand-ins for the bases, twice, and checks both builds are
# identical, that the SBOMs list what the binaries hold, and that the image
# runs against stripe-mock (scripts/image-test). Chroot isolation needs no OCI
# runtime (runc, crun); IMAGE_ISOLATION=oci uses one. --timestamp sets the
# image's and its files' times to the commit's, for reproducibility. No
# --layers (the image's history, and so its digest, differs with it): every
# step runs each time, which the Go cache mounts make cheap, and image-test,
# on vfs storage, is spared a copy of the whole build stage per step.
IMAGE ?= stripe_exporter
IMAGE_TAG ?= $(VERSION)
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
# Where `make image` writes each platform image's SBOM (scripts/build-image):
# not dist/, which GoReleaser empties and whose files checksums.txt lists.
IMAGE_SBOM_DIR ?= dist-image
IMAGE_ISOLATION ?= chroot
IMAGE_BUILD_ARGS = \
	--timestamp $(SOURCE_DATE_EPOCH) \
	--build-arg BUILDPLATFORM=linux/$(shell go env GOHOSTARCH) \
	--build-arg GOPROXY=$(shell go env GOPROXY) \
	--build-arg VERSION=$(VERSION) \
	--build-arg REVISION=$(REVISION) \
	--build-arg BRANCH=$(BRANCH) \
	--build-arg BUILD_USER=$(BUILD_USER) \
	--build-arg BUILD_DATE=$(BUILD_DATE) \
	--build-arg CREATED=$(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)

.PHONY: image image-test

image: $(SYFT)
	@command -v buildah >/dev/null || { \
		echo ">> installing buildah from Debian"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah >/dev/null; }
	IMAGE_PLATFORMS='$(IMAGE_PLATFORMS)' SYFT=$(SYFT) IMAGE_SBOM_DIR=$(IMAGE_SBOM_DIR) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) \
		./scripts/build-image $(IMAGE):$(IMAGE_TAG) --isolation $(IMAGE_ISOLATION) $(IMAGE_BUILD_ARGS)

image-test: $(STRIPE_MOCK) $(SYFT)
	STRIPE_MOCK=$(STRIPE_MOCK) SYFT=$(SYFT) IMAGE_PLATFORMS='$(IMAGE_PLATFORMS)' VERSION=$(VERSION) \
		SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) ./scripts/image-test $(IMAGE_BUILD_ARGS)

# Release archives with their SBOMs and .deb/.rpm packages (.goreleaser.yaml)
# into dist/. release-snapshot builds every platform from the current commit
# and publishes nothing; package-test, run by CI, then checks them and
# installs the .deb on this machine, as root (scripts/package-test).
.PHONY: release-snapshot package-test

# GoReleaser asks git for the remote's URL and, in a clone without a remote,
# leaves out the commit and its date too; it is given the project's then.
NO_REMOTE_ENV = $(if $(shell git remote 2>/dev/null),,GIT_CONFIG_COUNT=1 \
	GIT_CONFIG_KEY_0=remote.origin.url \
	GIT_CONFIG_VALUE_0=https://github.com/stripe-exporter/stripe_exporter.git)
# scripts/sbom, which GoReleaser runs for the SBOMs, takes the pinned syft.
RELEASE_ENV = $(NO_REMOTE_ENV) SYFT=$(SYFT)

release-snapshot: $(GORELEASER) $(SYFT)
	$(RELEASE_ENV) $(GORELEASER) release --snapshot --clean

# It builds twice, and scripts/package-test checks the second build is the
# same as the first. CI's check builds for linux/amd64 only: the five other targets would add
# about 15 CPU-minutes to a cold CI run (docs/performance.md).
PACKAGE_TEST_TARGETS := -e 's/^    goos: \[linux, darwin, windows\]$$/    goos: [linux]/' \
	-e 's/^    goarch: \[amd64, arm64\]$$/    goarch: [amd64]/'

package-test: $(GORELEASER) $(SYFT) $(STRIPE_MOCK)
	@sed $(PACKAGE_TEST_TARGETS) .goreleaser.yaml >.goreleaser.package-test.yaml
	@grep -qx '    goos: \[linux\]' .goreleaser.package-test.yaml && \
		grep -qx '    goarch: \[amd64\]' .goreleaser.package-test.yaml || \
		{ echo "package-test: cannot find the targets in .goreleaser.yaml"; rm -f .goreleaser.package-test.yaml; exit 1; }
	$(RELEASE_ENV) $(GORELEASER) release --snapshot --clean --config .goreleaser.package-test.yaml && \
		cp dist/checksums.txt .package-test-first-checksums.txt && \
		$(RELEASE_ENV) $(GORELEASER) release --snapshot --clean --config .goreleaser.package-test.yaml; \
		status=$$?; rm -f .goreleaser.package-test.yaml; exit $$status
	FIRST_CHECKSUMS=.package-test-first-checksums.txt STRIPE_MOCK=$(STRIPE_MOCK) ./scripts/package-test; \
		status=$$?; rm -f .package-test-first-checksums.txt; exit $$status
