# ivr-deflect: README "Deploying". Three stages on one base image, so the native module
# (better-sqlite3) is built for exactly the Node and glibc the server runs on:
#   build     all dependencies, TypeScript compiled to dist/
#   prod-deps `npm ci --omit=dev` with a compiler at hand (better-sqlite3 fetches a
#             prebuilt binary for this Node ABI, or compiles one when it cannot)
#   runtime   Node, the production node_modules, dist/, templates/, campaigns/: no
#             compiler, no TypeScript, no dev dependencies, running as `node` (uid 1000)
# Pinned by Node's major version (package.json engines: >=20.12); bookworm = Debian 12.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The last command fails the build here, not at the first call, if the native module
# does not load.
RUN npm ci --omit=dev --no-audit --no-fund \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# No secret here: they come from the environment at run time (compose's env_file, -e,
# or your orchestrator's secrets). These only place the server inside a container:
# listen on every interface (the port is published; the server still refuses to start
# without IVR_ALLOWED_CIDRS, IVR_SHARED_SECRET or IVR_OPEN=true), SQLite and the campaigns'
# last good copies (README "What happens when a campaign file is invalid") in the volume,
# so a new container still has them when a mounted campaign file is broken.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/ivr-deflect \
    CAMPAIGNS_DIR=/app/campaigns \
    CAMPAIGNS_LAST_GOOD_DIR=/var/lib/ivr-deflect/last-good
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY templates ./templates
COPY deploy/healthcheck.js ./deploy/healthcheck.js
# Campaigns are edited through the admin API and the console, which write this folder:
# it belongs to the server's user (mount your own folder here to keep edits).
COPY --chown=node:node campaigns ./campaigns
RUN mkdir -p /var/lib/ivr-deflect && chown node:node /var/lib/ivr-deflect
VOLUME ["/var/lib/ivr-deflect"]
USER node
EXPOSE 3000
# The graceful shutdown (src/shutdown.ts) starts on SIGTERM: drain, finish, hand back.
# Give it SHUTDOWN_DRAIN_MS + SHUTDOWN_GRACE_MS + 5 s: `docker stop -t 20`, compose's
# stop_grace_period (Docker's default 10 s would SIGKILL it mid-drain).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "deploy/healthcheck.js"]
# node itself, not `npm start`: its prestart runs the TypeScript build (a dev dependency),
# and npm would stand between the signal and the server.
# The Node flags are npm start's (package.json: README, "Memory").
CMD ["node", "--max-semi-space-size=2", "--heap-growing-percent=20", "dist/main.js"]
