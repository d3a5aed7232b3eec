# syntax=docker/dockerfile:1
#
# headroom's container image: the static binary on an empty base, run as an
# unprivileged user. Build it where a container engine runs:
#
#   docker build -t headroom .
#   docker run -p 8080:8080 -v headroom-data:/var/lib/headroom \
#     -v "$PWD/headroom.yaml:/etc/headroom/headroom.yaml:ro" headroom
#
# The config must set `server.listen: 0.0.0.0:8080` (the default,
# 127.0.0.1:8080, is not reachable from outside the container) and
# `storage.dir: /var/lib/headroom`. docs/deploy.md has the whole story, and
# the Kubernetes manifests that run this image as the server and the agent.
# deploy/image_test.go builds the final stage with buildah.

# The build stage runs on the builder's own platform and cross-compiles:
# the binary is pure Go, so one builder makes every architecture.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: a static binary that needs no libc (the store is
# modernc.org/sqlite, SQLite compiled to Go). timetzdata: the time zone
# database is compiled in, so sprints.timezone works without
# /usr/share/zoneinfo. -buildvcs=false: .git is not sent to the builder
# (.dockerignore), so `headroom version` shows no commit.
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false -tags timetzdata -ldflags='-s -w' \
      -o /rootfs/usr/local/bin/headroom ./cmd/headroom
# The rest of the final image's file system: the CA certificates (Slack,
# webhooks and Alertmanager over https), a /tmp for SQLite's temporary
# files, the config directory, and the store's directory, owned by the
# user headroom runs as (a new Docker volume mounted there takes that owner).
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/etc/headroom /rootfs/tmp /rootfs/var/lib/headroom \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && chmod 1777 /rootfs/tmp \
 && chown 65532:65532 /rootfs/var/lib/headroom

FROM scratch
COPY --from=build /rootfs/ /
# 65532: no user of the host or of a distroless image's is likely to share it.
USER 65532:65532
WORKDIR /var/lib/headroom
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/headroom"]
CMD ["serve", "--config", "/etc/headroom/headroom.yaml"]
