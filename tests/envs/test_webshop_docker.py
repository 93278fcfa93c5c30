"""The WebShop site's Docker image (docker/webshop/Dockerfile): it builds (from a local base where there is no
registry), runs, answers /healthz, and serves the same search results as the site in this process.

Outside CI a missing engine skips it; in CI (.ci/run starts dockerd) it is a failure, as for the SWE docker tests.
The base is $AGENTGYM_WEBSHOP_BASE if set, else agentgym/webshop-base:bookworm (docker/webshop/build_base.sh makes it
from agentgym/swe-base:bookworm, which scripts/setup.sh builds), else the Dockerfile's public python:3.11-slim.
`docker build` reuses its layer cache, so a second run only rebuilds what changed (a few seconds when nothing did)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "agentgym-webshop:test"
LOCAL_BASE = "agentgym/webshop-base:bookworm"
LABEL = {"agentgym.test": "webshop-docker"}
# a result row as the site renders it: the product link, then its title
_ROW = re.compile(r"<a class='product-link' [^>]*data-kind='link'[^>]*>([^<]+)</a>\n<p data-kind='text'>([^<]*)</p>")


def _client():
    why = None
    try:
        import docker

        client = docker.from_env(timeout=120)
        client.ping()
        return client
    except Exception as e:  # no SDK, no engine
        why = f"{type(e).__name__}: {e}"
    if os.environ.get("CI"):
        pytest.fail(f"CI must test the WebShop image, but no docker engine answers: {why}")
    pytest.skip(f"no docker engine here ({why}); .ci/run starts dockerd")


def _has(client, image: str) -> bool:
    try:
        client.images.get(image)
        return True
    except Exception:
        return False


def _base(client) -> str:
    if os.environ.get("AGENTGYM_WEBSHOP_BASE"):
        return os.environ["AGENTGYM_WEBSHOP_BASE"]
    if not _has(client, LOCAL_BASE) and _has(client, "agentgym/swe-base:bookworm"):
        subprocess.run([str(ROOT / "docker/webshop/build_base.sh"), LOCAL_BASE], check=True, timeout=600)
    return LOCAL_BASE if _has(client, LOCAL_BASE) else "python:3.11-slim"


def _titles(html: str) -> list[tuple[str, str]]:
    return [(asin, title) for asin, title in _ROW.findall(html)]


def test_image_builds_runs_and_serves_the_same_search_results():
    client = _client()
    base = _base(client)
    previous = client.images.get(IMAGE).id if _has(client, IMAGE) else None
    try:
        # the host's network for pip: CI's dockerd runs without a bridge, where a build would have no network
        image, _ = client.images.build(path=str(ROOT), dockerfile="docker/webshop/Dockerfile", tag=IMAGE,
                                       buildargs={"BASE": base}, rm=True, forcerm=True, network_mode="host")
    except Exception as e:
        if base == "python:3.11-slim" and not _has(client, base) and not os.environ.get("CI"):
            pytest.skip(f"no local base image and the public {base} could not be had ({type(e).__name__}: {e}); "
                        "make one with docker/swe-sandbox/build_base.sh (scripts/setup.sh does)")
        raise
    if previous is not None and previous != image.id:
        # The tag moved to the new build: drop the image it left untagged, or every changed rebuild leaves one.
        import docker

        try:
            client.images.remove(previous)
        except docker.errors.APIError:
            pass  # still used by a container or another tag: not ours to force
    # The host's network, the site on its loopback at a free port: CI's dockerd runs without a bridge
    # (--bridge=none), where a published port never reaches the container.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    container = client.containers.run(IMAGE, ["--host", "127.0.0.1", "--port", str(port)], detach=True,
                                      labels=LABEL, network_mode="host")
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            container.reload()
            try:
                health = json.loads(urllib.request.urlopen(f"{url}/healthz", timeout=5).read())
                break
            except OSError:
                pass
            assert container.status in ("created", "running"), container.logs()[-2000:]
            assert time.monotonic() < deadline, f"the site did not answer in 120 s: {container.logs()[-2000:]!r}"
            time.sleep(0.5)
        assert health == {"ok": True, "catalogue": "v1-1000-seed0", "products": 1000, "goals": 375}

        from agentgym.envs.webshop.site import create_app

        local = create_app().test_client()
        for goal in (0, 7, 200):
            sid_local = local.post("/api/sessions", json={"goal": goal}).get_json()["session_id"]
            req = urllib.request.Request(f"{url}/api/sessions", data=json.dumps({"goal": goal}).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
            sid = json.loads(urllib.request.urlopen(req, timeout=30).read())["session_id"]
            words = local.get(f"/api/s/{sid_local}/state").get_json()["text"].split(" [SEP] ")[2]  # the instruction
            want = local.post(f"/s/{sid_local}/search", data={"search_query": words}).get_data(as_text=True)
            got = urllib.request.urlopen(urllib.request.Request(
                f"{url}/s/{sid}/search", data=urllib.parse.urlencode({"search_query": words}).encode()),
                timeout=30).read().decode()
            assert len(_titles(want)) == 10 and _titles(got) == _titles(want), goal
            state = json.loads(urllib.request.urlopen(f"{url}/api/s/{sid}/state", timeout=30).read())
            assert state == local.get(f"/api/s/{sid_local}/state").get_json()
    finally:
        container.remove(force=True)
    assert not client.containers.list(all=True, filters={"label": "agentgym.test=webshop-docker"})
