"""`python -m services.<name> [--port P] [--unit CODE ...]`: run one service's HTTP app."""

from __future__ import annotations

import argparse
import importlib

from services.common.http import serve
from services.common.settings import SERVICE_PORTS, Settings


def main(service: str, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=SERVICE_PORTS[service])
    parser.add_argument(
        "--unit", action="append", default=None, help="unit code served (repeatable; or HDND_UNITS)"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    if args.unit:
        settings = settings.model_copy(update={"units": args.unit})
    module = importlib.import_module(f"services.{service}.app")
    serve(module.create_app(settings), args.host, args.port)
