# One image for every Fjord service; the first argument picks it (docker/entrypoint.sh):
#   docker build -t fjord:latest .
#   docker run fjord:latest api        (or scheduler, compute, volume, metering, image)
# docker-compose.yml runs it once per service with etc/compose/ mounted on /etc/fjord.
# No `# syntax=` line: a build without a registry (tools/compose) must not fetch a frontend.

# What `npm ci` reads, and nothing else (manifests, lockfile, the Prisma schemas and the script
# its postinstall generates clients with), so the install layers below stay cached until one of
# those changes, not on every source edit.
FROM node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -path '*/prisma/schema.prisma' ! -path './tools/prisma/*' -delete \
 && find . -mindepth 1 -type d -empty -delete

# Build: every dependency (TypeScript, Nx, the Prisma CLI), then the apps and the libraries they use.
FROM node:20-bookworm-slim AS build
ENV NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /fjord
COPY --from=manifests /src ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx nx run-many -t build -p api scheduler compute volume metering image --outputStyle=static
# Only what runs: each package's manifest, compiled code and migrations.
RUN mkdir /out \
 && for dir in libs/* apps/*; do \
      mkdir -p "/out/$dir" && cp "$dir/package.json" "/out/$dir/" && cp -r "$dir/dist" "/out/$dir/"; \
      if [ -d "$dir/prisma" ]; then cp -r "$dir/prisma" "/out/$dir/"; fi; \
    done

# The apps' production dependencies only: no test tools, no compilers.
FROM node:20-bookworm-slim AS runtime-deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /fjord
COPY --from=manifests /src ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      -w apps/api -w apps/scheduler -w apps/compute -w apps/volume -w apps/metering -w apps/image

FROM node:20-bookworm-slim
LABEL org.opencontainers.image.title="fjord" \
      org.opencontainers.image.description="Fjord services (a miniature nova, cinder, ceilometer and glance on @fjord/messaging)"
ENV NODE_ENV=production
WORKDIR /fjord
COPY --from=runtime-deps /fjord ./
COPY --from=build /out ./
COPY docker/entrypoint.sh /usr/local/bin/fjord-entrypoint
COPY etc/compose/ /etc/fjord/
USER node
ENTRYPOINT ["fjord-entrypoint"]
CMD ["api"]
