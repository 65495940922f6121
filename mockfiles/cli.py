"""Command line: ``mockfiles serve | replay | record | validate | profiles``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import scenario
from .batch_types import BATCH_PHASES
from .mock import MockFiles
from .profile_table import markdown_table
from .profiles import PROFILES
from .scenario_format import ScenarioError
from .server import serve
from .validation import VALIDATORS, validate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockfiles", description="A mock of the Files API.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="serve a mock on a real socket")
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_cmd.add_argument("--profile", choices=sorted(PROFILES), help="dialect (default openai)")
    serve_cmd.add_argument(
        "--load", metavar="SCENARIO", help="start in the state a scenario leaves"
    )
    serve_cmd.add_argument(
        "--shared", action="store_true", help="one tenant for every API key (default: per key)"
    )
    serve_cmd.add_argument(
        "--batch-duration",
        metavar="PHASE=SECONDS",
        action="append",
        type=_batch_duration,
        default=[],
        help="how long a batch phase lasts on the clock (validating, in_progress, "
        "finalizing, cancelling; default 0); repeatable",
    )

    replay_cmd = commands.add_parser("replay", help="replay a scenario and diff the responses")
    replay_cmd.add_argument("scenario", help="a scenario JSON file")
    replay_cmd.add_argument("--base-url", help="a server to replay against (default: in-process)")
    replay_cmd.add_argument("--profile", choices=sorted(PROFILES), help="override the profile")
    replay_cmd.add_argument("--api-key", help="key sent where the scenario redacted one")

    record_cmd = commands.add_parser("record", help="proxy to a service, recording a scenario")
    record_cmd.add_argument("--upstream", required=True, help="the service to forward to")
    record_cmd.add_argument("--host", default="127.0.0.1")
    record_cmd.add_argument("--port", type=int, default=8001)
    record_cmd.add_argument("--profile", default="openai", help="profile named in the scenario")
    record_cmd.add_argument("-o", "--output", required=True, help="scenario file to write")

    validate_cmd = commands.add_parser("validate", help="check a JSONL file line by line")
    validate_cmd.add_argument("file", help="the JSONL file")
    validate_cmd.add_argument("--purpose", required=True, choices=sorted(VALIDATORS))

    commands.add_parser("profiles", help="print the profiles as a Markdown table")
    return parser


def _batch_duration(text: str) -> tuple[str, float]:
    phase, sep, seconds = text.partition("=")
    try:
        value = float(seconds)
    except ValueError:
        value = -1.0
    if not sep or phase not in BATCH_PHASES or value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected PHASE=SECONDS with PHASE one of {', '.join(BATCH_PHASES)} "
            "and SECONDS >= 0"
        )
    return phase, value


def env_lines(mock: MockFiles) -> list[str]:
    """``export`` lines that point the profile's client at ``mock``."""
    values = {**mock.client_env(), **mock.client_env_defaults()}
    return [f"export {name}={value}" for name, value in values.items()]


def _serve(args: argparse.Namespace) -> int:
    loaded = scenario.read(args.load) if args.load else None
    profile = args.profile or (loaded or {}).get("profile", "openai")
    base_url = f"http://{args.host}:{args.port}{PROFILES[profile].base_path}"
    mock = MockFiles(
        profile,
        base_url=base_url,
        isolate_tenants=not args.shared,
        batch_durations=dict(args.batch_duration),
    )
    report = mock.load_scenario(loaded) if loaded is not None else None
    print(f"mockfiles ({mock.profile.name} profile) serving on {mock.base_url}", flush=True)
    print("\n".join(env_lines(mock)), flush=True)
    if report is not None:
        print("\n".join(f"loaded {args.load}: {line}" for line in report.describe()), flush=True)
    serve(mock.app, args.host, args.port)
    return 0


def _replay(args: argparse.Namespace) -> int:
    report = scenario.replay(
        args.scenario, base_url=args.base_url, profile=args.profile, api_key=args.api_key
    )
    print(report.render())
    return 0 if report.ok else 1


def _record(args: argparse.Namespace) -> int:
    from .proxy import RecordingProxy

    proxy = RecordingProxy(args.upstream, args.output, profile=args.profile)
    print(
        f"recording to {args.output}: http://{args.host}:{args.port} -> {proxy.upstream}",
        flush=True,
    )
    serve(proxy, args.host, args.port)
    return 0


def _validate(args: argparse.Namespace) -> int:
    with open(args.file, "rb") as handle:
        content = handle.read()
    problems = validate(content, args.purpose)
    for problem in problems:
        print(problem)
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") or not content else 1)
    if problems:
        print(f"{args.file}: {len(problems)} problem(s) in {lines} line(s)")
        return 1
    print(f"{args.file}: OK, {lines} line(s), no problems for purpose {args.purpose}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mockfiles`` command."""
    args = build_parser().parse_args(argv)
    if args.command == "profiles":
        print(markdown_table(PROFILES.values()), end="")
        return 0
    handlers = {"serve": _serve, "replay": _replay, "record": _record, "validate": _validate}
    try:
        return handlers[args.command](args)
    except (ScenarioError, OSError, ValueError) as exc:
        print(f"mockfiles {args.command}: {exc}", file=sys.stderr)
        return 2
