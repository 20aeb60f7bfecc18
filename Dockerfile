# syntax=docker/dockerfile:1
# One image for every Celeriac process; the command picks which (infra/image/celeriac.sh):
#   docker build -t celeriac .
#   docker run --env-file celeriac.env celeriac collector | projector | gateway | migrate | topics
#   docker run --env-file celeriac.env celeriac admin keys create --name ops --role admin --all
# The build steps are infra/image/build.sh; infra/image/image.int.spec.ts runs the same script and
# starts the compiled services it assembles on Node 24 and on Node 20.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
# Every dependency, dev ones too: the compiler is one. The cache mount keeps npm's cache out of
# the layers and warm from one build to the next.
RUN --mount=type=cache,target=/root/.npm npm install --ignore-scripts --no-audit --no-fund
RUN bash infra/image/build.sh compile
# The runtime tree: package manifests, dist/, SQL migrations, bin/celeriac and production
# dependencies only (no TypeScript sources, no compiler, no test tools), and the dashboard's built
# static assets (services/dashboard/dist, which `compile` builds) for the gateway to serve at `/`.
RUN --mount=type=cache,target=/root/.npm bash infra/image/build.sh assemble /app

# A runtime layer of its own: node:24 slim plus the tree above. A distroless Node 24 base also
# fits, with ENTRYPOINT set to the node command bin/celeriac would exec (it has no shell).
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Owned by root and so read-only to the service user: a compromised process cannot rewrite its code.
COPY --from=build /app /app
# The base image's unprivileged `node` user, by number so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
# Defaults: gateway HTTP 8080; collector gRPC 50051 and ops 9101; projector ops 9102.
EXPOSE 8080 50051 9101 9102
ENTRYPOINT ["/app/bin/celeriac"]
