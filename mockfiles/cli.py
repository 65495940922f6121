"""Command line: ``mockfiles serve``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .mock import MockFiles
from .profiles import PROFILES
from .server import serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockfiles", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve a mock on a real socket")
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_cmd.add_argument(
        "--profile", default="openai", choices=sorted(PROFILES), help="provider dialect"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockfiles`` command."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        mock = MockFiles(args.profile)
        base_url = f"http://{args.host}:{args.port}{mock.profile.base_path}"
        print(f"mockfiles ({mock.profile.name} profile) serving on {base_url}", flush=True)
        print(f"export OPENAI_BASE_URL={base_url} OPENAI_API_KEY=sk-anything", flush=True)
        serve(mock, args.host, args.port)
    return 0
