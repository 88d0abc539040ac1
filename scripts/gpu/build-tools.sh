#!/usr/bin/env bash
# Builds the media and queue tools the pipeline needs on the borrowed GPU machine, which has no
# internet, no ffmpeg and no Redis, and whose whole carry (with Node and ONNX Runtime) must fit in
# 64 MiB:
#   ffmpeg + ffprobe  Debian bookworm's FFmpeg 5.1.x source (the version the rest of the project
#                     uses, so decoding is bit-identical), --disable-everything plus only the
#                     demuxers, decoders, parsers and filters the detector and the ffprobe calls use
#                     (services/detector/src/media/frame-decoder.ts, shared/src/probe.ts,
#                     shared/src/frame-timestamps.ts, the integration tests), no external libraries,
#                     linked fully static.
#   redis-server + redis-cli
#                     Debian bookworm's Redis 7.0.x source, libc malloc, no TLS, no systemd, static.
# Static (not just glibc-dynamic) because the target's distribution is not known for sure.
#
# Steps: apt installs the build tools (needs root); the sources come from Debian's mirrors with
# `apt-get source` through a private apt configuration (the system's sources.list, lists and cache
# are not touched); the builds run under $GPU_TOOLS_WORK (/tmp/gpu-tools-build); the stripped
# binaries go to the output folder. A tool already there that runs, is static and (ffmpeg) was
# built with this script's exact configure flags is kept, so a second run does nothing.
#
# NVIDIA decoding: ffmpeg is built with --enable-ffnvcodec/nvdec/cuvid from Debian's
# libffmpeg-nvenc-dev headers. They load libcuda/libnvcuvid with dlopen only when asked
# (-hwaccel cuda, -c:v h264_cuvid), so without those options nothing changes and no GPU is needed.
# Caveat: dlopen from a static glibc binary loads the target's libc next to the built-in one;
# check `-hwaccel cuda` on the target before relying on it (the detector does not use it).
# AV1: FFmpeg 5.1's native AV1 decoder only works through a hwaccel (Debian's ffmpeg decodes AV1
# with libdav1d), so no AV1 decoder is built; ffprobe still names av1 streams (parser included).
#
# Usage: sudo scripts/gpu/build-tools.sh [OUT_DIR]   (default: <repo>/.gpu-tools/bin, git-ignored)
# Env:   GPU_TOOLS_WORK (/tmp/gpu-tools-build), JOBS (2), FORCE=1 (rebuild everything)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$REPO/.gpu-tools/bin}
WORK=${GPU_TOOLS_WORK:-/tmp/gpu-tools-build}
JOBS=${JOBS:-2}
FORCE=${FORCE:-0}

log() { printf '\n==> %s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# ffmpeg's configuration. Kept in one array: it is also what decides whether an existing build
# is current (ffmpeg -buildconf prints it back).
FFMPEG_CONFIG=(
  --extra-version=0+deb12u1-static
  # Static: no shared libraries at all, not even glibc's.
  --enable-static --disable-shared --extra-ldflags=-static --pkg-config-flags=--static
  --disable-doc --disable-debug --enable-stripping
  # Nothing picked up from the build machine (zlib, iconv, xlib, vaapi, ...); threads explicitly,
  # as --disable-autodetect also turns pthreads off.
  --disable-autodetect --disable-iconv --enable-pthreads
  --disable-everything --disable-network --disable-avdevice --disable-swresample --disable-postproc
  --disable-ffplay
  --enable-protocol=file,pipe
  # Uploads: MP4/MOV, Matroska/WebM, AVI, MPEG-TS/PS, FLV, raw H.264/HEVC/MPEG video, IVF.
  --enable-demuxer=mov,matroska,avi,mpegts,mpegps,mpegvideo,m4v,h264,hevc,ivf,flv
  # Video only: audio streams are probed (codec_type/codec_name come from the demuxer), never decoded.
  --enable-decoder=h264,hevc,vp8,vp9,mpeg4,mpeg2video,mpeg1video
  # Video parsers, and audio ones so that probing raw audio in MPEG-TS/PS still fills in its parameters.
  --enable-parser=h264,hevc,vp8,vp9,av1,mpeg4video,mpegvideo,aac,ac3,mpegaudio,opus,vorbis,flac
  --enable-bsf=null,extract_extradata,h264_mp4toannexb,hevc_mp4toannexb,aac_adtstoasc,vp9_superframe,vp9_superframe_split
  # frame-decoder.ts: select, trim, format; autorotation inserts transpose/hflip/vflip/rotate; scale
  # does the pixel format conversion; the rest are handy when checking by hand.
  --enable-filter=buffer,buffersink,select,trim,format,scale,transpose,hflip,vflip,rotate,null,copy,fps,setpts,showinfo
  # -f rawvideo pipe:1 (detector), -f framemd5/md5 (verification), -f null (timing),
  # matroska (test/integration/detector-frames.test.ts remuxes with -c copy to an .mkv).
  --enable-encoder=rawvideo,wrapped_avframe
  --enable-muxer=rawvideo,framemd5,md5,null,matroska
  # NVIDIA decoding, loaded at run time only when requested (see the top of this file).
  --enable-ffnvcodec --enable-nvdec --enable-cuvid
  --enable-hwaccel=h264_nvdec,hevc_nvdec,vp8_nvdec,vp9_nvdec,mpeg1_nvdec,mpeg2_nvdec,mpeg4_nvdec
  --enable-decoder=h264_cuvid,hevc_cuvid,vp8_cuvid,vp9_cuvid
)

is_static() { file -L "$1" | grep -q 'statically linked'; }

ffmpeg_ok() {
  local f
  for f in ffmpeg ffprobe; do
    [[ -x $OUT/$f ]] && is_static "$OUT/$f" && "$OUT/$f" -hide_banner -version >/dev/null 2>&1 || return 1
  done
  # Same flags as now: configure quotes comma lists ('a,b'), so compare with the quotes removed.
  local want have
  want=$(printf '%s ' "${FFMPEG_CONFIG[@]}")
  have=$("$OUT/ffmpeg" -hide_banner -buildconf 2>/dev/null | sed -n 's/^ *\(--.*\)$/\1/p' | grep -v '^--prefix=' | tr -d "'" | tr '\n' ' ')
  [[ $have == "$want" ]]
}

redis_ok() {
  [[ -x $OUT/redis-server && -x $OUT/redis-cli ]] || return 1
  is_static "$OUT/redis-server" && is_static "$OUT/redis-cli" || return 1
  "$OUT/redis-server" --version 2>/dev/null | grep -q 'v=7\.0\..*malloc=libc' && "$OUT/redis-cli" --version >/dev/null 2>&1
}

need_ffmpeg=1 need_redis=1
if [[ $FORCE != 1 ]]; then
  ffmpeg_ok && need_ffmpeg=0 && log "ffmpeg/ffprobe in $OUT are current: kept"
  redis_ok && need_redis=0 && log "redis-server/redis-cli in $OUT work: kept"
fi

if ((need_ffmpeg || need_redis)); then
  [[ $(id -u) == 0 ]] || { echo "needs root (apt-get install of the build tools)" >&2; exit 1; }
  mkdir -p "$WORK/src" "$OUT"

  log "build tools (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # None of these replaces or changes the system's ffmpeg or redis.
  apt-get install -y -q --no-install-recommends build-essential dpkg-dev pkg-config nasm \
    libffmpeg-nvenc-dev file xz-utils ca-certificates

  # A private apt configuration with only deb-src lines: the system's sources, lists and package
  # caches stay as they are. bookworm-security carries the point releases' fixes first, so the
  # newest version across the three is Debian's current one.
  APT_DIR=$WORK/apt
  mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
  cat >"$APT_DIR/sources.list" <<'EOF'
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
deb-src http://deb.debian.org/debian-security bookworm-security main
EOF
  APT_OPTS=(-o Dir::Etc::sourcelist="$APT_DIR/sources.list" -o Dir::Etc::sourceparts=-
            -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache"
            -o APT::Sandbox::User=root)
  apt-get "${APT_OPTS[@]}" update -q

  # `apt-get source` downloads and unpacks with Debian's patches applied (into <name>-<version>).
  source_dir() { # package -> prints its unpacked source folder (newest version), fetching it when missing
    local pkg=$1 ver upstream dir
    ver=$(apt-cache "${APT_OPTS[@]}" showsrc "$pkg" | sed -n 's/^Version: //p' | sort -V | tail -1)
    [[ -n $ver ]] || { echo "no source package $pkg" >&2; exit 1; }
    upstream=${ver#*:}     # the folder is <pkg>-<upstream version>: no epoch, no Debian revision
    dir=$WORK/src/$pkg-${upstream%-*}
    if [[ ! -f $dir/.unpacked-$ver ]]; then
      rm -rf "$dir"
      (cd "$WORK/src" && apt-get "${APT_OPTS[@]}" source -q "$pkg=$ver" >&2)
      touch "$dir/.unpacked-$ver"
    fi
    echo "$dir"
  }
fi

if ((need_ffmpeg)); then
  FFSRC=$(source_dir ffmpeg)
  log "ffmpeg from $FFSRC"
  BUILD=$WORK/ffmpeg-build
  rm -rf "$BUILD" && mkdir -p "$BUILD"
  (cd "$BUILD" && "$FFSRC/configure" --prefix="$WORK/ffmpeg-install" "${FFMPEG_CONFIG[@]}" >configure.log 2>&1) \
    || { tail -30 "$BUILD/configure.log"; cat "$BUILD/ffbuild/config.log" | tail -40; exit 1; }
  make -C "$BUILD" -j"$JOBS" ffmpeg ffprobe >"$BUILD/make.log" 2>&1 || { tail -40 "$BUILD/make.log"; exit 1; }
  for f in ffmpeg ffprobe; do
    install -m 755 "$BUILD/$f" "$OUT/$f"
    strip "$OUT/$f"
  done
fi

if ((need_redis)); then
  RSRC=$(source_dir redis)
  log "redis from $RSRC"
  make -C "$RSRC" distclean >/dev/null 2>&1 || true
  # MALLOC=libc: no jemalloc to build (smaller; fine for a job queue). The link warns that static
  # getaddrinfo/dlopen need the build's glibc at run time: dlopen is only for MODULE LOAD (unused),
  # and glibc >= 2.34 has the files/dns NSS backends built in, so host names still resolve.
  make -C "$RSRC" -j"$JOBS" MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no LDFLAGS=-static \
    redis-server redis-cli >"$WORK/redis-make.log" 2>&1 || { tail -40 "$WORK/redis-make.log"; exit 1; }
  for f in redis-server redis-cli; do
    install -m 755 "$RSRC/src/$f" "$OUT/$f"
    strip "$OUT/$f"
  done
fi

ffmpeg_ok || { echo "ffmpeg/ffprobe in $OUT do not check out" >&2; exit 1; }
redis_ok || { echo "redis-server/redis-cli in $OUT do not check out" >&2; exit 1; }

log "done: $OUT"
for f in ffmpeg ffprobe redis-server redis-cli; do
  printf '%-13s %9d bytes, %9d xz -9  %s\n' "$f" "$(stat -c %s "$OUT/$f")" "$(xz -9 -c "$OUT/$f" | wc -c)" \
    "$(file -b "$OUT/$f" | cut -d, -f1-2,4)"
done
printf '%-13s %9s        %9d xz -9 (tar of all four)\n' all '' "$(tar -C "$OUT" -cf - ffmpeg ffprobe redis-server redis-cli | xz -9 | wc -c)"
