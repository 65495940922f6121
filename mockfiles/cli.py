"""Command line: ``mockfiles serve`` and ``mockfiles profiles``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .mock import MockFiles
from .profile_table import markdown_table
from .profiles import PROFILES
from .server import serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockfiles", description="A mock of the Files API.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve a mock on a real socket")
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_cmd.add_argument(
        "--profile", default="openai", choices=sorted(PROFILES), help="provider dialect"
    )
    commands.add_parser("profiles", help="print the profiles as a Markdown table")
    return parser


def env_lines(mock: MockFiles) -> list[str]:
    """``export`` lines that point the profile's client at ``mock``."""
    values = {**mock.client_env(), **mock.client_env_defaults()}
    return [f"export {name}={value}" for name, value in values.items()]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockfiles`` command."""
    args = build_parser().parse_args(argv)
    if args.command == "profiles":
        print(markdown_table(PROFILES.values()), end="")
        return 0
    base_url = f"http://{args.host}:{args.port}{PROFILES[args.profile].base_path}"
    mock = MockFiles(args.profile, base_url=base_url)
    print(f"mockfiles ({mock.profile.name} profile) serving on {mock.base_url}", flush=True)
    print("\n".join(env_lines(mock)), flush=True)
    serve(mock, args.host, args.port)
    return 0
