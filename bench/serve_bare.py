"""Serve bench/bare_asgi.py on hypercorn's trio worker, configured as ``tracker serve`` is."""

from __future__ import annotations

import sys

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from bench.bare_asgi import app

if __name__ == "__main__":
    config = Config()
    config.bind = [f"127.0.0.1:{int(sys.argv[1])}"]
    config.accesslog = None
    trio.run(serve, app, config)
