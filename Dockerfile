# syntax=docker/dockerfile:1.7
# One image recipe for every Node service and the operator. Build from the repository root (npm
# workspaces need the lockfile and the shared packages):
#   docker build --build-arg SERVICE=auth -t parley/auth .
#   docker build --build-arg SERVICE=operator -t parley/operator .
# SERVICE is a folder under services/ (auth, compliance, crypto, gateway, messaging, ...) or
# `operator`. Node 24 runs the TypeScript sources directly (type stripping): there is no compile
# step, and the image holds the service's production dependencies, the shared packages and the
# service's own sources, without tests or test data (.dockerignore keeps them out of the context).

# node:24-bookworm-slim (Node 24.18.0), pinned by the digest of its multi-platform index, so a
# rebuild gets the same base. Update the tag and digest together (`docker buildx imagetools
# inspect node:24-bookworm-slim` prints the current digest).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# patch-package at the version the lockfile pins, installed from the lockfile with the root's other
# tools (nothing is fetched by name at build time). Only its node_modules leave this stage.
FROM ${NODE_IMAGE} AS patch-tool
WORKDIR /tool
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --workspaces=false --include-workspace-root --ignore-scripts --no-audit --no-fund

# Every workspace's package.json and nothing else, so the install below stays cached until a
# manifest changes (a source edit only re-runs the last copy).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY packages/ packages/
COPY services/ services/
COPY operator/ operator/
RUN find . -type f ! -name package.json -delete

# The web client (web/), built once with the root's Vite; the gateway serves it at / (every image
# carries these few files, so one install stage serves every SERVICE).
FROM ${NODE_IMAGE} AS web-client
WORKDIR /app
COPY package.json package-lock.json ./
COPY dev/package.json dev/package.json
COPY tests/package.json tests/package.json
COPY web/package.json web/package.json
COPY --from=manifests /app/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --workspace web --include-workspace-root --ignore-scripts --no-audit --no-fund
# The workspace packages the web client imports and theirs (sdk, socket-client, contracts, ...):
# all of packages/, so a new import among them cannot break only the image build.
COPY packages/ packages/
COPY web/ web/
WORKDIR /app/web
RUN ../node_modules/.bin/vite build

FROM ${NODE_IMAGE} AS install
ARG SERVICE
WORKDIR /app
# npm ci checks the lockfile against every workspace's manifest, so all of them are here; only
# SERVICE's production dependencies are installed. Scripts stay off (no install script of the
# registry's code runs); patches/ (kafkajs' request queue timer, pino's redaction cost:
# patches/README.md) is then applied, failing the build when a patch does not apply.
COPY package.json package-lock.json ./
COPY dev/package.json dev/package.json
COPY tests/package.json tests/package.json
COPY web/package.json web/package.json
COPY --from=manifests /app/ ./
COPY patches/ patches/
COPY --from=patch-tool /tool/node_modules /tool/node_modules
RUN --mount=type=cache,target=/root/.npm \
    set -eu; \
    case "${SERVICE:-}" in \
      "") echo "Dockerfile: --build-arg SERVICE=<a folder of services/, or operator> is required" >&2; exit 1 ;; \
      operator) dir=operator ;; \
      *) dir="services/${SERVICE}" ;; \
    esac; \
    [ -f "$dir/package.json" ] || { echo "Dockerfile: no $dir/package.json (SERVICE=$SERVICE)" >&2; exit 1; }; \
    npm ci --workspace "$dir" --omit=dev --ignore-scripts --no-audit --no-fund; \
    node /tool/node_modules/patch-package/index.js --error-on-fail; \
    echo "$dir" > /tmp/service-dir
COPY packages/ packages/
COPY services/ services/
COPY operator/ operator/
COPY --from=web-client /app/web/dist/client /web-client
# /out is what the image keeps: the root manifest, node_modules without the links to workspaces
# this service does not use, the shared packages and the service itself, which /app/service
# points to so that one WORKDIR serves every SERVICE.
RUN set -eu; \
    dir="$(cat /tmp/service-dir)"; \
    [ -f "$dir/src/main.ts" ] || { echo "Dockerfile: no $dir/src/main.ts" >&2; exit 1; }; \
    mkdir -p "/out/$(dirname "$dir")"; \
    cp -a package.json node_modules packages /out/; \
    cp -a "$dir" "/out/$dir"; \
    mkdir -p /out/web/dist && cp -a /web-client /out/web/dist/client; \
    find /out/node_modules -xtype l -delete; \
    ln -s "$dir" /out/service

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    PARLEY_ENV=production \
    HOST=0.0.0.0 \
    MASTER_KEY_PATH=/etc/parley/master-keys \
    MASTER_KEY_CREATE_IF_MISSING=false \
    AUDIT_SIGNING_KEY_CREATE_IF_MISSING=false
WORKDIR /app
# Owned by root and not writable by the service's user; the charts also mount the root
# filesystem read-only and give /tmp as an emptyDir.
COPY --from=install /out/ /app/
WORKDIR /app/service
# The base image's unprivileged `node` user, by number, so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# Each service's port comes from PORT (the charts set it; the settings default to the service's own).
CMD ["node", "src/main.ts"]
