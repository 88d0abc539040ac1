#!/usr/bin/env bash
# Makes the base images that our Dockerfiles and docker-compose.yml name, for a Docker engine that
# cannot pull from a registry (this project's build machines). Where `docker pull` works you do not
# need this: the real images are used.
#
#   debian:bookworm-slim    debootstrap --variant=minbase of Debian bookworm, trimmed like the
#                           official slim image (no docs, man pages or locales), `docker import`ed
#   node:20-bookworm-slim   that + this machine's Node.js 20 and npm, laid out as in the official
#                           image (/usr/local/bin/node, /usr/local/lib/node_modules/npm) with user
#                           `node` (uid/gid 1000); when this machine's npm trusts an extra CA
#                           bundle (npm `cafile` or NODE_EXTRA_CA_CERTS: an egress proxy that
#                           re-signs TLS), that bundle is added as NODE_EXTRA_CA_CERTS so `npm ci`
#                           in the builds reaches the registry as the host's npm does
#   redis:7-bookworm        that + Debian's redis-server (7.0; the official image has 7.4), user
#                           `redis`, WORKDIR /data, CMD redis-server
#
# Only what our Dockerfiles rely on is reproduced: PATH (docker import drops ENV), the `node` user,
# node/npm on PATH, apt sources for bookworm, bookworm-updates and bookworm-security.
#
# Usage: DOCKER_HOST=... scripts/docker-base-images.sh [--force]
#   Needs root (debootstrap), debootstrap, and a Docker engine. Builds use host networking.
#   State (the root filesystem) goes to $SMOKE_STATE_DIR (default /var/lib/video-detect-smoke).
set -euo pipefail

STATE_DIR=${SMOKE_STATE_DIR:-/var/lib/video-detect-smoke}
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

log() { printf '[base-images] %s\n' "$*"; }
have_image() { [ "$FORCE" = 0 ] && docker image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror this machine's apt uses (deb822 or one-line format), else deb.debian.org.
debian_mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

make_debian() {
  if have_image debian:bookworm-slim; then log "debian:bookworm-slim present"; return; fi
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs="$STATE_DIR/rootfs-bookworm"
  if [ ! -f "$rootfs/.debootstrap-done" ] || [ "$FORCE" = 1 ]; then
    command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install -y debootstrap" >&2; exit 1; }
    rm -rf "$rootfs"
    log "debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$STATE_DIR/debootstrap.log" 2>&1 \
      || { tail -20 "$STATE_DIR/debootstrap.log" >&2; exit 1; }
    # As the official slim image: apt sources in deb822 form, no docs/man/locales in later installs,
    # apt caches cleaned after each install.
    local security=${mirror%/debian}/debian-security
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    rm -f "$rootfs/etc/apt/sources.list"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/* "$rootfs"/usr/share/locale/*
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    rm -f "$rootfs"/var/log/*.log "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf
    touch "$rootfs/.debootstrap-done"
  fi
  log "docker import -> debian:bookworm-slim"
  tar --numeric-owner --exclude=./.debootstrap-done -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - debian:bookworm-slim >/dev/null
}

make_node() {
  if have_image node:20-bookworm-slim; then log "node:20-bookworm-slim present"; return; fi
  local node_bin npm_dir version ctx
  node_bin=$(readlink -f "$(command -v node)")
  version=$("$node_bin" --version)
  case "$version" in v20.*) ;; *) echo "this machine's node is $version, not 20.x" >&2; exit 1 ;; esac
  npm_dir=$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")
  [ -f "$npm_dir/bin/npm-cli.js" ] || { echo "cannot find npm next to node ($npm_dir)" >&2; exit 1; }
  ctx="$STATE_DIR/node-context"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$node_bin" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  local cafile extra_ca=""
  cafile=$(npm config get cafile 2>/dev/null || true)
  [ -f "$cafile" ] || cafile=${NODE_EXTRA_CA_CERTS:-}
  if [ -n "$cafile" ] && [ -f "$cafile" ]; then
    cp "$cafile" "$ctx/extra-ca.crt"
    extra_ca=$'COPY extra-ca.crt /usr/local/share/host-ca/extra-ca.crt\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca/extra-ca.crt'
    log "adding this machine's CA bundle $cafile as NODE_EXTRA_CA_CERTS"
  fi
  log "node:20-bookworm-slim from this machine's node $version and npm $(node "$npm_dir/bin/npm-cli.js" --version 2>/dev/null)"
  docker build --network host -q -t node:20-bookworm-slim -f - "$ctx" >/dev/null <<EOF
FROM debian:bookworm-slim
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
${extra_ca}
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
ENV NODE_VERSION=${version#v}
CMD ["node"]
EOF
}

make_redis() {
  if have_image redis:7-bookworm; then log "redis:7-bookworm present"; return; fi
  log "redis:7-bookworm from Debian's redis-server"
  docker build --network host -q -t redis:7-bookworm -f - "$STATE_DIR" >/dev/null <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
VOLUME /data
USER redis
EXPOSE 6379
CMD ["redis-server"]
EOF
}

mkdir -p "$STATE_DIR"
make_debian
make_node
make_redis
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E '^(debian:bookworm-slim|node:20-bookworm-slim|redis:7-bookworm)\b' | sed 's/^/[base-images]   /'
