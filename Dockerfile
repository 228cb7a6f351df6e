# stsgate in a container: the same tarball as every other install (docs/operations.md).
# Not built in this repository's CI; see the README.
#   docker build -t stsgate .
#   docker run -p 3000:3000 -p 1883:1883 -v stsgate-data:/var/lib/stsgate stsgate

# Build: dev dependencies, TypeScript, `npm pack` (prepack builds dist/).
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json openapi.yaml LICENSE README.md ./
COPY src ./src
COPY routes ./routes
COPY schemas ./schemas
COPY docs ./docs
RUN npm pack --pack-destination /tmp && mv /tmp/stsgate-*.tgz /tmp/stsgate.tgz

# Run: Node and the installed tarball only (production dependencies, no TypeScript).
FROM node:24-slim
ENV NODE_ENV=production \
    STSGATE_HOST=0.0.0.0 \
    STSGATE_PORT=3000 \
    STSGATE_MQTT_HOST=0.0.0.0 \
    STSGATE_DATA_DIR=/var/lib/stsgate
COPY --from=build /tmp/stsgate.tgz /tmp/stsgate.tgz
RUN npm install -g --no-audit --no-fund /tmp/stsgate.tgz \
 && rm /tmp/stsgate.tgz \
 && npm cache clean --force \
 && mkdir -p /var/lib/stsgate \
 && chown node:node /var/lib/stsgate
# The embedded store, generated admin token and master key; with STSGATE_DATABASE_URL,
# STSGATE_MASTER_KEY and STSGATE_ADMIN_TOKEN set, nothing is written here.
VOLUME /var/lib/stsgate
WORKDIR /var/lib/stsgate
USER node
EXPOSE 3000 1883
# /readyz: 200 once the store answers and the instance takes traffic (plain HTTP;
# with STSGATE_TLS_CERT set, probe https instead).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.STSGATE_PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# stsgate handles SIGTERM itself, also as PID 1: it drains in-flight requests, then exits.
STOPSIGNAL SIGTERM
CMD ["stsgate", "serve"]
