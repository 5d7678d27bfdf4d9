# One image for every Fjord service; the first argument picks it (docker/entrypoint.sh):
#   docker build -t fjord:latest .
#   docker run fjord:latest api        (or scheduler, compute, volume, metering, image, console, identity)
# docker-compose.yml runs it once per service with etc/compose/ mounted on /etc/fjord.
# No `# syntax=` line: a build without a registry (tools/compose) must not fetch a frontend.

# What `npm ci` reads, and nothing else: the manifests of the root and of every workspace (a test
# in tests/compose checks that none is missing) and the root postinstall's script. The install
# layers below stay cached until one of them changes, not on every source edit. (One COPY per
# manifest: the classic builder flattens wildcards, and does not cache `COPY --from` a stage that
# was rebuilt.)
FROM node:20-bookworm-slim AS manifests
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /fjord
COPY package.json package-lock.json ./
COPY tools/prisma/generate.mjs tools/prisma/
COPY apps/api/package.json apps/api/
COPY apps/console/package.json apps/console/
COPY apps/identity/package.json apps/identity/
COPY apps/compute/package.json apps/compute/
COPY apps/image/package.json apps/image/
COPY apps/metering/package.json apps/metering/
COPY apps/scheduler/package.json apps/scheduler/
COPY apps/volume/package.json apps/volume/
COPY libs/compute-db/package.json libs/compute-db/
COPY libs/compute-rpcapi/package.json libs/compute-rpcapi/
COPY libs/messaging/package.json libs/messaging/
COPY libs/scheduler-rpcapi/package.json libs/scheduler-rpcapi/
COPY libs/service-kit/package.json libs/service-kit/
COPY libs/upgrade-levels/package.json libs/upgrade-levels/
COPY libs/volume-rpcapi/package.json libs/volume-rpcapi/
COPY tests/compose/package.json tests/compose/
COPY tests/e2e/package.json tests/e2e/
COPY tests/faults/package.json tests/faults/
COPY tests/interop/package.json tests/interop/
COPY tools/bench/package.json tools/bench/
COPY tools/demo/package.json tools/demo/
COPY tools/devstack/package.json tools/devstack/
COPY tools/flows/package.json tools/flows/
COPY tools/load/package.json tools/load/
COPY tools/soak/package.json tools/soak/

# Build: every dependency (TypeScript, Nx, the Prisma CLI), then the apps and the libraries they use.
FROM manifests AS build
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true
# The root postinstall finds no Prisma schema yet: the clients are generated once the sources are in.
RUN npm ci --no-audit --no-fund
COPY . .
RUN node tools/prisma/generate.mjs \
 && npx nx run-many -t build -p api scheduler compute volume metering image console identity --outputStyle=static
# Only what runs: each package's manifest, compiled code, migrations and static files (the console's page).
RUN mkdir /out \
 && for dir in libs/* apps/*; do \
      mkdir -p "/out/$dir" && cp "$dir/package.json" "/out/$dir/" && cp -r "$dir/dist" "/out/$dir/"; \
      if [ -d "$dir/prisma" ]; then cp -r "$dir/prisma" "/out/$dir/"; fi; \
      if [ -d "$dir/public" ]; then cp -r "$dir/public" "/out/$dir/"; fi; \
    done

# The apps' production dependencies only: no test tools, no compilers.
FROM manifests AS runtime-deps
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      -w apps/api -w apps/scheduler -w apps/compute -w apps/volume -w apps/metering -w apps/image -w apps/console -w apps/identity

FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="fjord" \
      org.opencontainers.image.description="Fjord services (a miniature nova, cinder, ceilometer and glance on @fjord/messaging, and the live view of its bus)"
ENV NODE_ENV=production
WORKDIR /fjord
COPY --from=runtime-deps /fjord ./
COPY --from=build /out ./
COPY docker/entrypoint.sh /usr/local/bin/fjord-entrypoint
COPY etc/compose/ /etc/fjord/
# The credentials volume starts as a copy of this folder: owned by node, private.
RUN install -d -o node -g node -m 700 /var/lib/fjord/credentials
USER node
ENTRYPOINT ["fjord-entrypoint"]
CMD ["api"]
