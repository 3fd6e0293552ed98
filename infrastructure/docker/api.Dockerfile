# syntax=docker/dockerfile:1
#
# Gantry API server image: the `gantry` binary (package gantry-api) serving HTTP/GraphQL on
# 0.0.0.0:8080, and the web app (web/: the planners' console and the customers' portal) as a
# static export it serves at `/` (GANTRY_WEB_DIR; no Node.js at run time). Build from the
# repository root (the context must be the whole workspace):
#
#   docker build -f infrastructure/docker/api.Dockerfile -t gantry/api .
#
# Layer order is cache-friendly: the apt packages, then the dependency graph (built once from the
# manifests, Cargo.lock and empty stub crates), then the real sources. Editing Rust code only
# re-runs the last `cargo build`; HiGHS (compiled from source by cmake) stays cached until
# Cargo.lock or a manifest changes.

############################ builder ############################
FROM rust:1.95-bookworm AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# HiGHS (good_lp's MILP backend) builds from source: cmake + a C++ compiler; bindgen needs libclang.
# Versions are those of Debian bookworm (stable point releases), so they are not pinned here.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        cmake libclang-dev g++ pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# 1. Dependencies only: the workspace manifests and lock file, with stubs for every member crate
#    (cargo must be able to load the whole workspace): an empty src/lib.rs, and `fn main() {}` at
#    each target `path = "…"` a manifest declares. Keep the crate list in step with
#    `[workspace] members` in Cargo.toml (api/tests/infrastructure.rs checks that it is).
COPY Cargo.toml Cargo.lock ./
COPY engine/Cargo.toml engine/
COPY engine/protocol/Cargo.toml engine/protocol/
COPY engine/domain/Cargo.toml engine/domain/
COPY engine/app/Cargo.toml engine/app/
COPY solver/Cargo.toml solver/
COPY actors/Cargo.toml actors/
COPY api/Cargo.toml api/
COPY agent/Cargo.toml agent/
COPY benches/Cargo.toml benches/
RUN set -eux; \
    for crate in engine/protocol engine/domain engine/app engine solver actors api agent benches; do \
        mkdir -p "$crate/src"; \
        : > "$crate/src/lib.rs"; \
        sed -n 's/^path *= *"\(.*\)"/\1/p' "$crate/Cargo.toml" | while read -r target; do \
            mkdir -p "$crate/$(dirname "$target")"; \
            echo 'fn main() {}' > "$crate/$target"; \
        done; \
    done; \
    cargo build --release --locked -p gantry-api; \
    rm -rf engine solver actors api agent benches

# 2. The real sources. COPY keeps the files' own (older) modification times, so touch them or
#    cargo would consider the stub builds of the workspace crates fresh and ship an empty binary.
COPY engine/protocol engine/protocol
COPY engine/domain engine/domain
COPY engine/app engine/app
COPY engine engine
COPY solver solver
COPY actors actors
COPY api api
COPY agent agent
COPY benches benches
RUN set -eux; \
    find engine solver actors api agent benches -type f -exec touch {} +; \
    cargo build --release --locked -p gantry-api --bin gantry; \
    install -s -m 0755 target/release/gantry /usr/local/bin/gantry; \
    gantry --version

############################ web ############################
# The Next.js static export (`output: 'export'` → web/out). The generated GraphQL types are
# committed, so no codegen runs here. Next 16 needs Node.js >= 20.9.
FROM node:22-bookworm-slim AS web
WORKDIR /web
ENV NEXT_TELEMETRY_DISABLED=1
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npx next build && test -f out/index.html

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

# ca-certificates for TLS to managed databases and S3; curl for the HEALTHCHECK below.
# libstdc++6 (HiGHS is C++) is already in bookworm-slim; listed so that stays explicit.
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl libstdc++6 \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric non-root user, so Kubernetes `runAsNonRoot` can verify it.
RUN groupadd --system --gid 10001 gantry \
    && useradd --system --uid 10001 --gid gantry --home-dir /var/lib/gantry --shell /usr/sbin/nologin gantry \
    && mkdir -p /var/lib/gantry \
    && chown gantry:gantry /var/lib/gantry

COPY --from=builder /usr/local/bin/gantry /usr/local/bin/gantry
COPY --from=web /web/out /usr/share/gantry/web

ENV GANTRY_LISTEN=0.0.0.0:8080 \
    GANTRY_DATA_DIR=/var/lib/gantry \
    GANTRY_WEB_DIR=/usr/share/gantry/web
WORKDIR /var/lib/gantry
USER 10001:10001
EXPOSE 8080

# /healthz answers 200 when the database answers. The port follows GANTRY_LISTEN.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/bin/sh", "-c", "curl -fsS \"http://127.0.0.1:${GANTRY_LISTEN##*:}/healthz\" > /dev/null || exit 1"]

ENTRYPOINT ["gantry"]
CMD ["serve"]
