"""The shop as a web site: a Flask app over the same engine (engine.Session), served by waitress.

    agentgym webshop serve --port 3000                  # http://127.0.0.1:3000/ (loopback only unless --host)
    python -m agentgym.envs.webshop.site --port 0       # the same; prints "serving on URL" once it listens

Every shopper has a session (one per episode), keyed by its id, each with its own state and lock, so many sessions
run at once without seeing each other. Pages are HTML rendered from the engine's elements: text as <p>, buttons as
one-button forms that post the click, product ids as links, options as radio buttons that post when clicked, and the
search page a form with #search_input. Each clickable carries data-key (what click[...] names) and every visible
string data-kind, so the browser env reads the same strings the text env shows.

Routes: GET / (a new session on a random goal), POST /api/sessions {"goal": i, "session_id": optional} -> the
session's URL, GET /s/<id> (its page; ?goal=i creates it), POST /s/<id>/act (form field action = "click[...]" or
"search[...]"), POST /s/<id>/search (field search_query), GET /s/<id>/act?action=..., GET /api/s/<id>/state (page,
done, reward and its terms, progress; every page also carries it in a <script id="session-state"> JSON block, which
is not page text), GET /healthz.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import secrets
import sys
import threading
import time
from collections import OrderedDict
from typing import Any

from agentgym.envs.webshop.deps import require
from agentgym.envs.webshop.engine import Element, Session
from agentgym.envs.webshop.tasks import load_catalogue

MAX_SESSIONS = 10_000
"""Sessions kept in memory; the oldest is dropped beyond this."""

_STYLE = """body{font-family:sans-serif;max-width:960px;margin:24px auto;color:#222}
.instruction{background:#f3f6fb;padding:8px 12px;border-radius:6px}
form{display:inline-block;margin:2px}button{padding:4px 10px;cursor:pointer}
.product-link{font-weight:bold;display:block;margin-top:12px}.option-group{margin:4px 0}
.option label{border:1px solid #999;border-radius:4px;padding:2px 8px;margin:2px;cursor:pointer}
.option input{display:none}.option input:checked+label{background:#2a6ebb;color:#fff}
#search_input{width:60%;padding:6px}"""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(session_id: str, s: Session) -> str:
    """The page of session `s` as HTML: the same elements, in the same order, as its text observation."""
    base = f"/s/{_esc(session_id)}"
    parts: list[str] = []
    for i, e in enumerate(s.elements):
        parts.append(_element_html(base, i, e))
    body = "\n".join(parts)
    # the session's state for the env (not visible: scripts are not page text), so a step needs one request only
    state = json.dumps(session_state(s)).replace("</", "<\\/")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>WebShop</title><style>{_STYLE}</style>"
            f"</head><body data-page='{s.page}'>\n{body}\n"
            f"<script type='application/json' id='session-state'>{state}</script>\n</body></html>")


def session_state(s: Session) -> dict[str, Any]:
    """What the env reads besides the page: where it is, whether it is done, the reward and the progress."""
    return {"page": s.page, "done": s.done, "progress": s.progress(), "reward": s.reward.total if s.reward else 0.0,
            "reward_info": s.reward.as_dict() if s.reward else None, "goal": s.goal_index,
            "last_valid": getattr(s, "last_valid", True), "text": s.text()}


def _element_html(base: str, i: int, e: Element) -> str:
    text = _esc(e.text)
    sel = " data-selected='1'" if e.selected else ""
    if e.kind == "search":
        return (f"<form method='post' action='{base}/search' id='search-form'>"
                f"<input id='search_input' type='text' name='search_query' placeholder='Search...' required>")
    if e.kind == "button" and e.key == "search":
        return f"<button type='submit' data-key='search' data-kind='button'>{text}</button></form>"
    if e.kind == "button":
        action = _esc(f"click[{e.key}]")
        return (f"<form method='post' action='{base}/act'><input type='hidden' name='action' value='{action}'>"
                f"<button type='submit' data-key='{_esc(e.key or '')}' data-kind='button'>{text}</button></form>")
    if e.kind == "link":
        href = f"{base}/act?action=" + _esc(_quote(f"click[{e.key}]"))
        return f"<a class='product-link' href='{href}' data-key='{_esc(e.key or '')}' data-kind='link'{sel}>{text}</a>"
    if e.kind == "option":
        action = _esc(f"click[{e.key}]")
        checked = " checked" if e.selected else ""
        return (f"<form class='option' method='post' action='{base}/act'>"
                f"<input type='hidden' name='action' value='{action}'>"
                f"<input type='radio' id='opt{i}' name='{_esc(e.group or '')}' value='{_esc(e.key or '')}'{checked} "
                f"onclick='this.form.submit()'>"
                f"<label for='opt{i}' data-key='{_esc(e.key or '')}' data-kind='option'{sel}>{text}</label></form>")
    return f"<p data-kind='text'>{text}</p>"


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


class SessionStore:
    """Sessions by id, each with its own lock; bounded (oldest dropped)."""

    def __init__(self, catalogue, *, show_attrs: bool = False, reward_variant: str = "master") -> None:
        self.catalogue = catalogue
        self.show_attrs = show_attrs
        self.reward_variant = reward_variant
        self._sessions: OrderedDict[str, tuple[Session, threading.Lock]] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, goal: int, session_id: str | None = None) -> str:
        if not 0 <= goal < len(self.catalogue.goals):
            raise ValueError(f"goal must be in [0, {len(self.catalogue.goals)}), got {goal}")
        sid = session_id or secrets.token_hex(8)
        s = Session(self.catalogue, goal, show_attrs=self.show_attrs, reward_variant=self.reward_variant)  # type: ignore[arg-type]
        with self._lock:
            self._sessions[sid] = (s, threading.Lock())
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return sid

    def get(self, sid: str) -> tuple[Session, threading.Lock] | None:
        with self._lock:
            return self._sessions.get(sid)


def create_app(catalogue: str = "1k", catalogue_seed: int = 0, data_dir: str | None = None,
               num_products: int | None = None, show_attrs: bool = False, reward_variant: str = "master"):
    flask = require("flask")
    cat = load_catalogue(str(catalogue), catalogue_seed, data_dir, num_products)
    cat.search_engine  # build the index before the first request
    store = SessionStore(cat, show_attrs=show_attrs, reward_variant=reward_variant)
    app = flask.Flask("agentgym-webshop")
    app.config["store"] = store

    def page(sid: str, status: int = 200):
        got = store.get(sid)
        if got is None:
            return flask.Response(f"no session {_esc(sid)}: create it with /s/{_esc(sid)}?goal=N", status=404)
        s, lock = got
        with lock:
            return flask.Response(render_html(sid, s), status=status, mimetype="text/html")

    def act(sid: str, action: str):
        got = store.get(sid)
        if got is None:
            return flask.Response(f"no session {_esc(sid)}", status=404)
        s, lock = got
        with lock:
            valid, feedback = s.act(action)
            s.last_valid, s.last_feedback = valid, feedback  # type: ignore[attr-defined]
        return page(sid, 200 if valid else 400)

    @app.get("/healthz")
    def healthz():
        return {"ok": True, "catalogue": cat.name, "products": len(cat.products), "goals": len(cat.goals)}

    @app.get("/")
    def index():
        sid = store.create(random.randrange(len(cat.goals)))
        return flask.redirect(f"/s/{sid}")

    @app.post("/api/sessions")
    def new_session():
        body = flask.request.get_json(force=True, silent=True) or {}
        try:
            sid = store.create(int(body.get("goal", 0)), body.get("session_id"))
        except (TypeError, ValueError) as e:
            return {"error": str(e)}, 400
        return {"session_id": sid, "url": f"/s/{sid}"}

    @app.get("/s/<sid>")
    def show(sid: str):
        if store.get(sid) is None and "goal" in flask.request.args:
            store.create(int(flask.request.args["goal"]), sid)
        return page(sid)

    @app.route("/s/<sid>/act", methods=["GET", "POST"])
    def do_act(sid: str):
        values = flask.request.form if flask.request.method == "POST" else flask.request.args
        return act(sid, values.get("action", ""))

    @app.post("/s/<sid>/search")
    def do_search(sid: str):
        return act(sid, f"search[{flask.request.form.get('search_query', '')}]")

    @app.get("/api/s/<sid>/state")
    def state(sid: str):
        got = store.get(sid)
        if got is None:
            return {"error": f"no session {sid}"}, 404
        s, lock = got
        with lock:
            return session_state(s)

    return app


def _watch_parent(parent_pid: int) -> None:
    """Exit when the process that started this server is gone (so a killed env leaves no server behind)."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(0)
        time.sleep(0.5)


def serve(host: str = "127.0.0.1", port: int = 3000, threads: int = 16, parent_pid: int | None = None,
          **app_kwargs: Any) -> None:
    waitress = require("waitress")
    app = create_app(**app_kwargs)
    server = waitress.create_server(app, host=host, port=port, threads=threads)
    print(f"serving on http://{host}:{server.effective_port}", flush=True)
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    server.run()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=3000, help="port (0: any free one; the URL is printed)")
    p.add_argument("--threads", type=int, default=16, help="waitress worker threads (default 16)")
    p.add_argument("--catalogue", default="1k", help="generated catalogue: 1k (default), 10k or a product count")
    p.add_argument("--catalogue-seed", type=int, default=0, help="the generator's seed (default 0)")
    p.add_argument("--data-dir", default=None, help="serve WebShop's own data files from this folder instead")
    p.add_argument("--num-products", type=int, default=None, help="with --data-dir: keep the first N products")
    p.add_argument("--show-attrs", action="store_true", help="show the Attributes sub-page")
    p.add_argument("--reward-variant", choices=("master", "v2"), default="master")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)


def run_from_args(args: argparse.Namespace) -> int:
    serve(host=args.host, port=args.port, threads=args.threads, parent_pid=args.parent_pid,
          catalogue=args.catalogue, catalogue_seed=args.catalogue_seed, data_dir=args.data_dir,
          num_products=args.num_products, show_attrs=args.show_attrs, reward_variant=args.reward_variant)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m agentgym.envs.webshop.site", description="Serve the WebShop site.")
    add_arguments(p)
    return run_from_args(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
