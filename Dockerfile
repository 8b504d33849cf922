# The stripe_exporter container image: a static binary on distroless, run as
# the non-root user 65532, for linux/amd64 and linux/arm64.
#
#   make image                      # buildah, both platforms, version stamped in
#   docker build -t stripe_exporter \
#     --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg REVISION=$(git rev-parse HEAD) .
#
# The bases are build arguments so that CI (scripts/image-test) can supply
# locally built stand-ins instead of pulling them, and so that a mirror can
# be used; everything else runs as it does for users. Names are fully
# qualified, as buildah and podman need them.
#
# The defaults are pinned to the digest of each tag's multi-arch index, so
# that rebuilding a commit uses the same bases whatever the tags point at
# later: golang:1.27.2-bookworm as of 9 October 2026, distroless
# static-debian12:nonroot as of 26 August to 9 October 2026, both taken on
# 2 December 2026 from public Dockerfiles that pin them (no registry could be
# asked, and none of them pinned a golang:1.27.3 yet). How to update them:
# docs/container.md.
ARG GO_IMAGE=docker.io/library/golang:1.27.2-bookworm@sha256:5cf287a799e6b94384bad13d16b14904c531f51ba65792237e122ce42b392f61
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab

# The builder runs on the build machine's platform and cross-compiles for the
# target one (docker buildx build --platform linux/arm64 ...), no emulation.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src

# GOPROXY: a module mirror, if the default proxy.golang.org is not reachable;
# it must also serve golang.org/toolchain (see GOTOOLCHAIN below).
ARG GOPROXY
COPY . .

# What `make build` stamps into the binary (github.com/prometheus/common/version).
ARG VERSION=dev
ARG REVISION=
ARG BRANCH=
ARG BUILD_USER=container
ARG BUILD_DATE=
ARG TARGETOS
ARG TARGETARCH
# The module and build caches are cache mounts, kept by the builder between
# builds and never in the image, so a rebuild compiles only what changed;
# the binary is the same either way. GOTOOLCHAIN=auto (the golang image sets
# local) builds with the Go of go.mod's toolchain line when the base's is
# older: the go command fetches it from GOPROXY and checks it against the
# checksum database.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 GOTOOLCHAIN=auto GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
	go build -trimpath -buildvcs=false -o /out/stripe_exporter \
	-ldflags "-s -w \
	-X github.com/prometheus/common/version.Version=${VERSION} \
	-X github.com/prometheus/common/version.Revision=${REVISION} \
	-X github.com/prometheus/common/version.Branch=${BRANCH} \
	-X github.com/prometheus/common/version.BuildUser=${BUILD_USER} \
	-X github.com/prometheus/common/version.BuildDate=${BUILD_DATE}" \
	.

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532), no shell, no package manager. This stage has no RUN, so building it
# for another platform needs no emulation.
FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
ARG REVISION=
ARG CREATED=
LABEL org.opencontainers.image.title="stripe_exporter" \
	org.opencontainers.image.description="Prometheus exporter for the balance of a Stripe account" \
	org.opencontainers.image.source="https://github.com/stripe-exporter/stripe_exporter" \
	org.opencontainers.image.licenses="Apache-2.0" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.revision="${REVISION}" \
	org.opencontainers.image.created="${CREATED}"
COPY --from=build /out/stripe_exporter /stripe_exporter
USER 65532:65532
EXPOSE 19550
ENTRYPOINT ["/stripe_exporter"]
