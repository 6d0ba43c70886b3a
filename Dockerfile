# syntax=docker/dockerfile:1
# Signal Factory image: one image, two commands (`control-plane`, `enforcer`; see k8s/signal-factory).
#   docker build -t signal-factory:$(node -p 'require("./package.json").version') .
# Build stage compiles the native addons (librdkafka through @confluentinc/kafka-javascript, linked
# against the system libraries; better-sqlite3) and the TypeScript; the runtime stage carries only
# the shared libraries librdkafka needs, the pruned node_modules and dist/.

ARG NODE_IMAGE=node:20-bookworm
ARG NODE_RUNTIME_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# librdkafka build dependencies (the full bookworm image already has gcc, make and python3).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# CKJS_LINKING=dynamic: kafka-javascript's configure uses the system libraries above instead of
# downloading its own. The repo's .npmrc points nodedir at /usr (our build machines); the official
# Node images install Node under /usr/local.
ENV CKJS_LINKING=dynamic \
    npm_config_nodedir=/usr/local
COPY package.json package-lock.json .npmrc ./
RUN CKJS_LINKING=dynamic npm ci \
 && test -f node_modules/@confluentinc/kafka-javascript/build/Release/confluent-kafka-javascript.node
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY test ./test
COPY perf ./perf
COPY scripts/build-ui.mjs ./scripts/
RUN npm run build \
 && rm -rf dist/test dist/perf dist/.tsbuildinfo \
 && npm prune --omit=dev

FROM ${NODE_RUNTIME_IMAGE} AS runtime
# Runtime shared libraries of librdkafka only (no -dev packages, no compiler).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libssl3 zlib1g libzstd1 liblz4-1 libsasl2-2 libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 signal-factory \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin signal-factory
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
# Files are root-owned and read-only to the app; it writes only to /tmp and its data volume
# (the chart mounts emptyDirs there and sets readOnlyRootFilesystem).
USER 10001:10001
EXPOSE 8080 9464
ENTRYPOINT ["node", "bin/signal-factory.js"]
CMD ["--help"]
