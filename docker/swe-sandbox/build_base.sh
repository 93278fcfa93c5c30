#!/usr/bin/env bash
# Make the sandbox's base image locally, without a registry: debootstrap a minimal Debian (bookworm) with Python 3 and
# pytest from Debian's archive, then `docker import` it as agentgym/swe-base:bookworm. The Dockerfile beside this file
# builds the sandbox image on top of it (docker build --build-arg BASE=agentgym/swe-base:bookworm ...).
#
#   docker/swe-sandbox/build_base.sh [IMAGE]     (root; needs debootstrap and a running dockerd)
#
# A user with a registry skips this and builds the Dockerfile from a public image (BASE=python:3.11-slim).
# The rootfs tarball is cached in ~/.cache/agentgym/swe/ so a second run on one machine only re-imports it.
set -euo pipefail
image="${1:-agentgym/swe-base:bookworm}"
cache="${AGENTGYM_CACHE:-$HOME/.cache/agentgym}/swe"
tarball="$cache/bookworm-rootfs.tar"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if docker image inspect "$image" >/dev/null 2>&1; then
    echo "base image $image is there"; exit 0
fi
mkdir -p "$cache"
if [[ ! -s "$tarball" ]]; then
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    # minbase + the interpreter and test runner the tasks need; git and patch for applying diffs inside the sandbox
    debootstrap --variant=minbase --include=python3,python3-pytest,patch,git,procps bookworm "$root" "$mirror"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
fi
docker import "$tarball" "$image" >/dev/null
echo "base image $image imported from $tarball"
