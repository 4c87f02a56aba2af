#!/usr/bin/env bash
# Builds a local stand-in for the official `python:3.11-slim` image and tags it with that name.
#
# Why this exists: the machine the image was verified on (see bench/RESULTS.md, "Docker image
# (issue #10)") has no route to Docker Hub, only to a PyPI mirror and Debian's apt mirror, so
# `FROM python:3.11-slim` cannot be pulled. Debian bookworm ships Python 3.11, so a minimal
# bookworm tree from debootstrap with a venv on PATH behaves like the official image for what
# our Dockerfile needs (`apt-get`, `python`, `pip`, `useradd`). On a normal machine none of this
# is needed: Docker pulls the real image and this script is never run.
#
# Usage: sudo ops/docker/standin-base.sh [--force]
#   Idempotent: does nothing if `python:3.11-slim` already exists (unless --force).
#   The host's pip configuration (mirror CA, pip.conf, constraints) is copied into the image so
#   that `pip install` inside `docker build` reaches the same mirror as the host.
set -euo pipefail

TAG=python:3.11-slim
if [[ "${1:-}" != --force ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "standin-base: $TAG already present, nothing to do"
    exit 0
fi

command -v debootstrap >/dev/null || apt-get install -y debootstrap

ROOT=$(mktemp -d /tmp/py311-standin.XXXXXX)
chmod 0755 "$ROOT"  # it becomes the image's `/`: mktemp's 0700 would lock out non-root users
cleanup() { rm -rf "$ROOT"; }
trap cleanup EXIT

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$ROOT" "$MIRROR"

# Apt inside the image: the same bookworm (+ security) sources the official image uses.
cat >"$ROOT/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES

# Like Debian's official images (debian:bookworm-slim under python:3.11-slim): apt keeps no
# package caches, or every `apt-get install` layer carries ~80 MB of /var/cache/apt/*.bin.
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
cat >"$ROOT/etc/apt/apt.conf.d/docker-no-languages" <<'LANGS'
Acquire::Languages "none";
LANGS

# The mirror's CA bundle (TLS to pypi.org is intercepted here) and pip's configuration.
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
copy_pip_conf() {  # $1 source file, $2 destination; drops file:// index lines pointing at /opt
    mkdir -p "$(dirname "$2")"
    grep -Ev '^\s*(index-url|extra-index-url|find-links)\s*=\s*(file://)?/opt' "$1" >"$2" || true
}
[[ -f /etc/pip.conf ]] && copy_pip_conf /etc/pip.conf "$ROOT/etc/pip.conf"
if [[ -d /etc/xdg/pip ]]; then
    mkdir -p "$ROOT/etc/xdg/pip"
    for f in /etc/xdg/pip/*; do
        case "$f" in
            *.conf) copy_pip_conf "$f" "$ROOT/etc/xdg/pip/$(basename "$f")" ;;
            *) cp "$f" "$ROOT/etc/xdg/pip/" ;;
        esac
    done
fi

# The official image has python/pip on PATH under /usr/local; a venv there gives the same.
chroot "$ROOT" /usr/bin/python3 -m venv /usr/local/python
chroot "$ROOT" /usr/local/python/bin/python -m pip --version

# Keep it slim: no apt lists, docs or caches in the base.
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb \
    "$ROOT"/usr/share/doc/* \
    "$ROOT"/usr/share/man/* "$ROOT"/root/.cache

tar -C "$ROOT" -c . | docker import \
    --change 'ENV PATH=/usr/local/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$TAG"
docker run --rm --network host "$TAG" python -c 'import sys; print("standin-base:", sys.version)'
