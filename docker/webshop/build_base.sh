#!/usr/bin/env bash
# Make a local base image for docker/webshop/Dockerfile without a registry: Debian bookworm's Python 3.11 in a venv
# on PATH (so `python` and `pip` work as in the public python:3.11-slim image), on top of the debootstrapped Debian
# that docker/swe-sandbox/build_base.sh imports (agentgym/swe-base:bookworm; run that first, as root, if it is
# missing). The host's CA bundle is copied in, so pip trusts the same certificates as this machine (a TLS-inspecting
# proxy between it and PyPI included) while the site's image is built: as OpenSSL's default bundle and PIP_CERT for
# the first pip, which upgrades itself to one that reads the system's store (truststore) also in the isolated
# subprocesses that fetch build dependencies (where PIP_CERT is not read).
#
#   docker/webshop/build_base.sh [IMAGE] [FROM]    (defaults: agentgym/webshop-base:bookworm agentgym/swe-base:bookworm)
#   docker build -f docker/webshop/Dockerfile --build-arg BASE=agentgym/webshop-base:bookworm -t agentgym-webshop .
#
# A user with a registry skips this: the Dockerfile's default base is python:3.11-slim.
set -euo pipefail
image="${1:-agentgym/webshop-base:bookworm}"
from="${2:-agentgym/swe-base:bookworm}"
ca="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
if docker image inspect "$image" >/dev/null 2>&1; then
    echo "base image $image is there"; exit 0
fi
if ! docker image inspect "$from" >/dev/null 2>&1; then
    echo "no image $from: build it with docker/swe-sandbox/build_base.sh (root, debootstrap) first" >&2; exit 1
fi
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp "$ca" "$ctx/ca-certificates.crt"
# the bundle goes in after apt-get: installing ca-certificates (a dependency) rewrites /etc/ssl/certs
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $from
RUN apt-get update && apt-get install -y --no-install-recommends python3-venv \\
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY ca-certificates.crt /usr/local/share/agentgym/ca-certificates.crt
ENV SSL_CERT_FILE=/usr/local/share/agentgym/ca-certificates.crt \\
    PIP_CERT=/usr/local/share/agentgym/ca-certificates.crt \\
    REQUESTS_CA_BUNDLE=/usr/local/share/agentgym/ca-certificates.crt
RUN ln -sf /usr/local/share/agentgym/ca-certificates.crt /usr/lib/ssl/cert.pem \\
    && python3 -m venv /opt/venv \\
    && /opt/venv/bin/pip install --no-cache-dir --upgrade "pip>=25"
ENV PATH=/opt/venv/bin:\$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LANG=C.UTF-8
DOCKERFILE
# the host's network for apt-get: CI's dockerd runs without a bridge (--bridge=none), where a build has none
docker build -q --force-rm --network host -t "$image" "$ctx" >/dev/null
echo "base image $image built from $from"
