# syntax=docker/dockerfile:1
# The crabllm gateway as a container image: one self-contained binary on a small glibc base.
#
#   docker build -t crabllm .
#   docker volume create crabllm-data
#   docker run -d --name crabllm -p 5632:5632 -v crabllm-data:/data --stop-timeout 40 crabllm
#   docker logs crabllm        # first start: the admin token and the default key, printed once
#
# /data holds the config (/data/crabllm.toml) and the SQLite database beside it (crabllm.db). On the
# first start `crabllm serve` finds no config there and writes the starter one itself (the same file
# `crabllm init` writes), then serves it; later starts use the file as edited. The process runs as
# uid 10001: a named volume takes the image's /data (owned by 10001); a host directory mounted there
# must be writable by uid 10001 (`chown 10001:10001 DIR`).
#
# `docker stop` sends SIGTERM: the gateway refuses new connections and drains in-flight requests and
# streams for up to shutdown_timeout (30 s in the starter) before it exits 0. Docker's own default
# grace is 10 s before SIGKILL, hence --stop-timeout 40 above (stop_grace_period in compose.yaml).
#
# Needs BuildKit (docker buildx; the default builder of current Docker). Multi-platform:
#   docker buildx build --platform linux/amd64,linux/arm64 .
# builds both on the build machine's own platform and cross-compiles (no emulation, see below).

# ---- build: Node + npm ci, exactly as CI (.ci/run) does; Bun is the `bun` devDependency from the lockfile.
# It runs on the build machine's platform ($BUILDPLATFORM): Bun aborts under QEMU user-mode emulation, so
# the target's binary is cross-compiled with `scripts/build.ts --target` (Bun fetches that target's
# runtime from the npm registry) instead of building inside an emulated arm64 stage.
FROM --platform=$BUILDPLATFORM node:22-bookworm-slim AS build
# git: scripts/build.ts stamps the commit (from .git, which .dockerignore keeps) into the binary; /health
# and --version report it.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends git >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# TARGETARCH comes from BuildKit (amd64, arm64). CRABLLM_TARGET overrides the build.ts target
# (e.g. linux-x64-baseline for x86-64 CPUs without AVX2).
ARG TARGETARCH
ARG CRABLLM_TARGET=
RUN --mount=type=cache,target=/root/.bun/install/cache \
    set -eu; \
    target="$CRABLLM_TARGET"; \
    if [ -z "$target" ]; then \
      case "${TARGETARCH:-}" in \
        amd64) target=linux-x64 ;; \
        arm64) target=linux-arm64 ;; \
        *) echo "unsupported TARGETARCH '${TARGETARCH:-}' (amd64 or arm64)" >&2; exit 1 ;; \
      esac; \
    fi; \
    ./node_modules/.bin/bun scripts/build.ts --target "$target" --outfile /out/crabllm; \
    mkdir -p /out/data

# ---- runtime: Debian slim. The binary links only glibc (libc, libm, libpthread, libdl: `ldd
# dist/crabllm`; Bun links libstdc++ statically), and Bun carries its own TLS roots (Mozilla's), so
# no ca-certificates: for a private CA, mount its PEM file and set NODE_EXTRA_CA_CERTS to its path.
# Slim also has bash, which the health check uses. No RUN here: nothing executes for the target
# platform at build time, so a multi-platform build needs no emulation at all. COPY --chown/--chmod
# create /data owned by 10001, mode 0700; a new named volume starts as a copy of it.
FROM debian:bookworm-slim
COPY --from=build /out/crabllm /usr/local/bin/crabllm
COPY --from=build --chown=10001:10001 --chmod=0700 /out/data /data
# No /etc/passwd entry is needed: the gateway never looks its user up; HOME points at the volume.
ENV HOME=/data
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 5632
STOPSIGNAL SIGTERM
# GET /health answers 200 while serving and 503 while draining for shutdown. Bash's /dev/tcp speaks the
# one HTTP/1.0 request, so the image needs no curl or wget: the check passes only on a "200" status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/5632 && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
# The binary is PID 1 and handles SIGTERM/SIGINT itself. `serve` writes the starter config when
# /data/crabllm.toml is missing; --bind overrides the starter's 127.0.0.1 listen address so that the
# published port reaches it. Other subcommands run in place of CMD, e.g.
#   docker run --rm -v crabllm-data:/data crabllm models
ENTRYPOINT ["crabllm"]
CMD ["serve", "--config", "/data/crabllm.toml", "--bind", "0.0.0.0:5632"]
