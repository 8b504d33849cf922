# The stripe_exporter container image: a static binary on distroless, run as
# the non-root user 65532.
#
#   make image                      # buildah, with the version stamped in
#   docker build -t stripe_exporter \
#     --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg REVISION=$(git rev-parse HEAD) .
#
# The bases are build arguments so that CI (scripts/image-test) can supply
# locally built stand-ins instead of pulling them; everything else runs as it
# does for users. Names are fully qualified, as buildah and podman need them.
ARG GO_IMAGE=docker.io/library/golang:1.26-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# The builder runs on the build machine's platform and cross-compiles for the
# target one (docker buildx build --platform linux/arm64 ...), no emulation.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src

# Modules first, so this layer stays cached until go.mod or go.sum change.
# GOPROXY: a module mirror, if the default proxy.golang.org is not reachable.
ARG GOPROXY
COPY go.mod go.sum ./
RUN ["go", "mod", "download"]

COPY . .

# What `make build` stamps into the binary (github.com/prometheus/common/version).
ARG VERSION=dev
ARG REVISION=
ARG BRANCH=
ARG BUILD_USER=container
ARG BUILD_DATE=
ARG TARGETOS
ARG TARGETARCH
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
	go build -trimpath -o /out/stripe_exporter \
	-ldflags "-s -w \
	-X github.com/prometheus/common/version.Version=${VERSION} \
	-X github.com/prometheus/common/version.Revision=${REVISION} \
	-X github.com/prometheus/common/version.Branch=${BRANCH} \
	-X github.com/prometheus/common/version.BuildUser=${BUILD_USER} \
	-X github.com/prometheus/common/version.BuildDate=${BUILD_DATE}" \
	.

# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532), no shell, no package manager.
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
