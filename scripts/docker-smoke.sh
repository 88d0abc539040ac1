#!/usr/bin/env bash
# Smoke test of the Docker images and the compose stack, run for real on this machine (slow: not
# part of `npm test` or CI). It:
#   1. installs what is missing (Debian's docker.io and debootstrap; the Compose v2 and buildx CLI
#      plugins from Debian's docker-compose / docker-buildx packages when `docker compose` is absent),
#   2. starts a private Docker engine with no bridge network (--bridge=none --iptables=false
#      --ip-masq=false, its own socket, data and exec roots), so all traffic stays on loopback,
#   3. makes the base images locally (scripts/docker-base-images.sh: no registry here),
#   4. builds the three images with `docker compose build` (host network),
#   5. checks the API image holds no onnxruntime, starts the stack (docker-compose.yml +
#      docker-compose.smoke.yml: host network, Redis on 6390, API on 3090) and waits until healthy,
#   6. registers a user, gets a token, uploads a video, waits for `completed`, checks the detections
#      (friday.mp4: 185 frames, at least one person),
#   7. scales to two detectors, checks both are healthy, uploads again and shows that both did work
#      (CPU time each detector container used for that video),
#   8. stops the stack (each service must exit 0 on SIGTERM), prints the image sizes, and tears
#      everything down: containers, networks, volumes, and the engine it started.
#
# Usage: sudo scripts/docker-smoke.sh            (needs root, ../shared beside the repo)
# Env: SMOKE_VIDEO (../shared/media/friday.mp4), SMOKE_EXPECT_FRAMES (185), SMOKE_REDIS_PORT (6390),
#      SMOKE_API_PORT (3090), SMOKE_STATE_DIR (/var/lib/video-detect-smoke; keeps the engine's
#      images and build cache between runs), SMOKE_PURGE=1 (also delete that state at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
SHARED=$(cd "$REPO/.." && pwd)/shared
STATE_DIR=${SMOKE_STATE_DIR:-/var/lib/video-detect-smoke}
VIDEO=${SMOKE_VIDEO:-$SHARED/media/friday.mp4}
EXPECT_FRAMES=${SMOKE_EXPECT_FRAMES:-185}
export SMOKE_REDIS_PORT=${SMOKE_REDIS_PORT:-6390}
export SMOKE_API_PORT=${SMOKE_API_PORT:-3090}
export SMOKE_MODELS_DIR="$SHARED/models"
SMOKE_JWT_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export SMOKE_JWT_SECRET
export VIDEO_DETECT_TAG=smoke
export COMPOSE_PROJECT_NAME=vdsmoke
export COMPOSE_FILE=docker-compose.yml:docker-compose.smoke.yml
export COMPOSE_PARALLEL_LIMIT=1          # 2 cores: one build at a time
export DOCKER_HOST="unix://$STATE_DIR/docker.sock"
export DOCKER_CONFIG="$STATE_DIR/docker-config"
API="http://127.0.0.1:$SMOKE_API_PORT"
T0=$(date +%s)

log() { printf '[smoke %4ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
fail() { printf '[smoke] FAIL: %s\n' "$*" >&2; exit 1; }
# jsget EXPR: evaluates EXPR with `d` = the JSON read from stdin.
jsget() { node -e 'const d=JSON.parse(require("fs").readFileSync(0,"utf8"));const v=('"$1"');console.log(typeof v==="object"?JSON.stringify(v):v)'; }

# ---- 1. preconditions and tools ----
[ "$(id -u)" = 0 ] || fail "run as root (dockerd, debootstrap)"
[ -f "$VIDEO" ] || fail "no test video at $VIDEO"
[ -f "$SMOKE_MODELS_DIR/yolox_nano.onnx" ] || fail "no model at $SMOKE_MODELS_DIR/yolox_nano.onnx"
for port in "$SMOKE_REDIS_PORT" "$SMOKE_API_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port is already in use"; fi
done
[ -f .env ] && log "note: ./.env exists and is passed to the services (env_file); the smoke override wins where it sets a value"

apt_install() {
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v curl >/dev/null || missing+=(curl)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
command -v docker >/dev/null || fail "no docker client after installing docker.io"

# Compose v2 and buildx are CLI plugins. Debian bookworm has only Compose v1 (python, no
# `env_file.required`); Debian trixie's docker-compose (2.x) and docker-buildx are static-ish Go
# binaries that run on bookworm: fetched with apt from Debian's archive into a private apt state,
# unpacked into this script's DOCKER_CONFIG/cli-plugins (nothing installed system-wide).
mkdir -p "$DOCKER_CONFIG/cli-plugins"
if ! docker compose version >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
  mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  apt_state="$STATE_DIR/apt-trixie"
  mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" "$apt_state/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt_state/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_state/sources.list" -o Dir::Etc::SourceParts=/nonexistent
            -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache" -o APT::Sandbox::User=root)
  log "fetching the Compose v2 and buildx CLI plugins (Debian trixie's docker-compose, docker-buildx)"
  apt-get "${apt_opts[@]}" update -qq
  (cd "$apt_state/debs" && apt-get "${apt_opts[@]}" download docker-compose docker-buildx >/dev/null)
  for deb in "$apt_state"/debs/*.deb; do
    dpkg-deb -x "$deb" "$apt_state/unpacked"
  done
  cp "$apt_state"/unpacked/usr/libexec/docker/cli-plugins/docker-{compose,buildx} "$DOCKER_CONFIG/cli-plugins/"
fi

# ---- 2. a private Docker engine, loopback only ----
DOCKERD_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$DOCKERD_PID" ]; then
    if docker info >/dev/null 2>&1; then
      log "teardown: docker compose down --volumes --remove-orphans"
      docker compose down --volumes --remove-orphans --timeout 45 >/dev/null 2>&1
      left=$(docker ps -aq)
      [ -n "$left" ] && docker rm -f $left >/dev/null 2>&1
      docker volume prune -f >/dev/null 2>&1
    fi
    log "teardown: stopping the Docker engine this script started (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -9 "$DOCKERD_PID"
    wait "$DOCKERD_PID" 2>/dev/null
    # dockerd leaves its network-namespace bind mount behind
    for m in "$STATE_DIR"/exec/netns/*; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
    rm -rf "$STATE_DIR/exec"
  fi
  if [ "${SMOKE_PURGE:-0}" = 1 ]; then
    log "teardown: SMOKE_PURGE=1, removing $STATE_DIR"
    rm -rf "$STATE_DIR"
  fi
  if [ $rc = 0 ]; then log "PASS"; else log "FAILED (exit $rc); engine log: $STATE_DIR/dockerd.log"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -S "$STATE_DIR/docker.sock" ] && docker info >/dev/null 2>&1; then
  fail "a Docker engine already answers on $STATE_DIR/docker.sock (an earlier run?); stop it first"
fi
mkdir -p "$STATE_DIR/docker" "$STATE_DIR/exec"
log "starting dockerd --bridge=none --iptables=false --ip-masq=false (log: $STATE_DIR/dockerd.log)"
dockerd --bridge=none --iptables=false --ip-masq=false \
  --data-root "$STATE_DIR/docker" --exec-root "$STATE_DIR/exec" \
  --pidfile "$STATE_DIR/dockerd.pid" --host "$DOCKER_HOST" \
  >"$STATE_DIR/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
docker info >/dev/null 2>&1 || fail "dockerd did not come up"
log "engine $(docker version --format '{{.Server.Version}}'), compose $(docker compose version --short), buildx $(docker buildx version | awk '{print $2}')"

# ---- 3. base images ----
scripts/docker-base-images.sh

# ---- 4. build ----
log "docker compose build (api, processor, detector; host network)"
docker compose build --progress plain api processor detector >"$STATE_DIR/build.log" 2>&1 \
  || { tail -40 "$STATE_DIR/build.log"; fail "build failed (log: $STATE_DIR/build.log)"; }

# ---- 5. image checks, stack up ----
log "API image: looking for onnxruntime anywhere in it"
found=$(docker run --rm --network none --entrypoint sh "video-detect/api:$VIDEO_DETECT_TAG" \
  -c 'find / -xdev \( -path /proc -o -path /sys \) -prune -o -iname "*onnxruntime*" -print 2>/dev/null' || true)
[ -z "$found" ] || fail "the API image contains onnxruntime: $found"
log "  none (detector image: $(docker run --rm --network none --entrypoint sh "video-detect/detector:$VIDEO_DETECT_TAG" -c 'ls -d /app/node_modules/onnxruntime-node/bin/napi-v6/*/*'))"
for svc in api processor detector; do
  user=$(docker image inspect -f '{{.Config.User}}' "video-detect/$svc:$VIDEO_DETECT_TAG")
  [ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "$svc image runs as root"
done

log "docker compose up -d --wait (start order: redis healthy, then api, processor, detector)"
docker compose up -d --wait --wait-timeout 300 >"$STATE_DIR/up.log" 2>&1 \
  || { cat "$STATE_DIR/up.log"; docker compose ps; docker compose logs --tail 50; fail "stack did not become healthy"; }
docker compose ps --format 'table {{.Service}}\t{{.Name}}\t{{.Status}}'
nets=$(docker network ls --format '{{.Name}}' | grep -v -E '^(host|none)$' || true)
[ -z "$nets" ] || fail "unexpected Docker networks: $nets"

# ---- 6. one video through the stack ----
user="smoke$RANDOM"
password="smoke test password"
curl -fsS "$API/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"$password\"}" >/dev/null || fail "register"
TOKEN=$(curl -fsS "$API/api/v1/auth/token" -H 'content-type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"$password\"}" | jsget 'd.access_token') || fail "token"
log "registered $user, got a token"
curl -fsS -o /dev/null "$API/readyz" || fail "/readyz"

upload_and_wait() {   # prints the final video resource JSON
  local id body status last="" deadline=$(($(date +%s) + 600))
  id=$(curl -fsS "$API/api/v1/videos" -H "authorization: Bearer $TOKEN" -F "video=@$VIDEO" | jsget 'd.id') || fail "upload"
  log "uploaded $(basename "$VIDEO") as $id" >&2
  while :; do
    body=$(curl -fsS "$API/api/v1/videos/$id" -H "authorization: Bearer $TOKEN") || fail "GET video"
    status=$(jsget '`${d.status} ${d.progress.frames_done}/${d.progress.frames_total} frames, ${d.progress.chunks_done}/${d.progress.chunks_total} chunks`' <<<"$body")
    [ "$status" != "$last" ] && log "  $status" >&2 && last=$status
    case "$status" in completed*) break ;; failed*|cancelled*) fail "video $id: $(jsget 'd.error' <<<"$body")" ;; esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "video $id not completed in time"
    sleep 2
  done
  echo "$body"
}

VIDEO1=$(upload_and_wait)
ID1=$(jsget 'd.id' <<<"$VIDEO1")
frames_total=$(jsget 'd.progress.frames_total' <<<"$VIDEO1")
[ "$frames_total" = "$EXPECT_FRAMES" ] || fail "frames_total $frames_total, expected $EXPECT_FRAMES"
log "summary: $(jsget 'd.summary' <<<"$VIDEO1")"
DETS=$(curl -fsS "$API/api/v1/videos/$ID1/detections?limit=1000" -H "authorization: Bearer $TOKEN")
nframes=$(jsget 'd.frames.length' <<<"$DETS")
persons=$(jsget 'd.frames.filter(f=>f.objects.some(o=>o.label==="person")).length' <<<"$DETS")
[ "$nframes" = "$EXPECT_FRAMES" ] || fail "detections page has $nframes frames, expected $EXPECT_FRAMES"
[ "$persons" -ge 1 ] || fail "no person detected"
log "detections: $nframes frames, $persons with a person; first box: $(jsget 'd.frames.flatMap(f=>f.objects.map(o=>({frame:f.index,...o})))[0]' <<<"$DETS")"

rcli() { docker compose exec -T redis redis-cli -p "$SMOKE_REDIS_PORT" "$@"; }
chunk_bytes=0
for k in $(rcli --scan --pattern "vd:video:$ID1:chunk:*"); do chunk_bytes=$((chunk_bytes + $(rcli STRLEN "$k"))); done
nobjects=$(jsget 'd.frames.reduce((n,f)=>n+f.objects.length,0)' <<<"$DETS")
log "Redis: $chunk_bytes bytes of results for $nframes frames and $nobjects objects ($((chunk_bytes / nframes)) bytes per frame); used_memory $(rcli INFO memory | awk -F: '/^used_memory_human/ {print $2}' | tr -d '\r')"

# ---- 7. two detectors ----
log "docker compose up -d --wait --scale detector=2"
docker compose up -d --wait --wait-timeout 300 --scale detector=2 >"$STATE_DIR/up.log" 2>&1 \
  || { cat "$STATE_DIR/up.log"; docker compose logs --tail 50 detector; fail "scaling to 2 detectors"; }
mapfile -t DETECTORS < <(docker compose ps -q detector)
[ ${#DETECTORS[@]} = 2 ] || fail "expected 2 detector containers, got ${#DETECTORS[@]}"
for c in "${DETECTORS[@]}"; do
  h=$(docker inspect -f '{{.Name}} {{.State.Health.Status}}' "$c")
  log "  ${h#/}"
  [ "${h##* }" = healthy ] || fail "detector $h"
done
log "  healthcheck output: $(docker inspect -f '{{(index .State.Health.Log 0).Output}}' "${DETECTORS[1]}" | tr -d '\n')"
cpu_ns() { curl -fsS --unix-socket "$STATE_DIR/docker.sock" "http://docker/containers/$1/stats?stream=false" | jsget 'd.cpu_stats.cpu_usage.total_usage'; }
declare -A CPU0
for c in "${DETECTORS[@]}"; do CPU0[$c]=$(cpu_ns "$c"); done
VIDEO2=$(upload_and_wait)
for c in "${DETECTORS[@]}"; do
  used=$(( ($(cpu_ns "$c") - CPU0[$c]) / 1000000 ))
  log "  $(docker inspect -f '{{.Name}}' "$c" | tr -d /): ${used} ms CPU during the second video"
  [ "$used" -ge 500 ] || fail "detector $c did (almost) no work: ${used} ms CPU"
done
[ "$(jsget 'd.progress.frames_total' <<<"$VIDEO2")" = "$EXPECT_FRAMES" ] || fail "second video: wrong frames_total"

# ---- 8. clean stop, sizes ----
log "docker compose stop (SIGTERM; every service must exit 0)"
start=$(date +%s)
docker compose stop --timeout 45 >/dev/null 2>&1
log "  stopped in $(($(date +%s) - start)) s"
for c in $(docker compose ps -aq); do
  s=$(docker inspect -f '{{.Name}} exit={{.State.ExitCode}}' "$c")
  log "  ${s#/}"
  [ "${s##*=}" = 0 ] || fail "$s"
done
log "image sizes:"
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E "^video-detect/.*:$VIDEO_DETECT_TAG|^(node|redis|debian):" | sed 's/^/    /'
