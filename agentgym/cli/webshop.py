"""`agentgym webshop serve`: the WebShop site (agentgym.envs.webshop.site) on a local port."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    ws = sub.add_parser("webshop", help="the WebShop site: `agentgym webshop serve`",
                        description="Run WebShop as a web site (extra: web).")
    wsub = ws.add_subparsers(title="webshop commands", metavar="ACTION")
    serve = wsub.add_parser("serve", help="serve the shop on a local port (loopback by default)",
                            description="Serve the shop: Flask over the same engine as agentgym/WebShop-v0, served "
                                        "by waitress. Open the printed URL; / starts a session on a random goal.")
    from agentgym.envs.webshop.site import add_arguments, run_from_args

    add_arguments(serve)
    serve.set_defaults(func=run_from_args)
