"""Command line: ``mockfiles serve | replay | record | validate | profiles``."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import ipaddress
import math
import socket
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from . import safe_json, scenario
from .batch_types import BATCH_PHASES
from .journal import DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_CALLS
from .mock import MockFiles
from .profile_table import markdown_table
from .profiles import PROFILES, Profile
from .scenario_format import ScenarioError, check_profile
from .server import (
    BODY_READ_TIMEOUT_SECONDS,
    GRACEFUL_SHUTDOWN_SECONDS,
    bind,
    return_freed_memory_promptly,
    serve,
)
from .validation import VALIDATORS, validate


def _non_negative_int(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def _positive_int(text: str) -> int:
    number = _non_negative_int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return number


def _seconds(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 <= number <= 10**9:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 1e9, got {text!r}")
    return number


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected field=value, got {text!r}")
    return name.strip(), value


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
    serve_cmd.add_argument(
        "--api-key",
        action="append",
        metavar="KEY",
        help="an accepted API key (repeatable; default: any key is accepted)",
    )
    serve_cmd.add_argument(
        "--processing-seconds",
        type=_seconds,
        default=0.0,
        help="new files stay 'uploaded' this long on the mock's clock (default 0)",
    )
    serve_cmd.add_argument(
        "--validate-content",
        action="store_true",
        help="check batch and fine-tune uploads line by line (status 'error' when bad)",
    )
    serve_cmd.add_argument("--seed", type=int, help="seed for ids (reproducible ids)")
    serve_cmd.add_argument(
        "--set",
        dest="profile_fields",
        action="append",
        type=_assignment,
        default=[],
        metavar="FIELD=VALUE",
        help="change a profile field; VALUE is JSON (e.g. --set list_max_limit=100)",
    )
    serve_cmd.add_argument(
        "--max-file-bytes", type=_positive_int, help="largest file accepted (profile field)"
    )
    serve_cmd.add_argument(
        "--storage-quota-bytes", type=_non_negative_int, help="bytes each tenant may store"
    )
    serve_cmd.add_argument(
        "--journal-bytes",
        type=_non_negative_int,
        default=DEFAULT_JOURNAL_BYTES,
        help=f"request/response bodies the journal keeps (default {DEFAULT_JOURNAL_BYTES})",
    )
    serve_cmd.add_argument(
        "--journal-calls",
        type=_positive_int,
        default=DEFAULT_JOURNAL_CALLS,
        help=f"calls the journal keeps, oldest dropped (default {DEFAULT_JOURNAL_CALLS})",
    )
    serve_cmd.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="let non-loopback callers use /_mock routes when they send "
        "'x-mockfiles-control-token: TOKEN', or open /_mock/?token=TOKEN in a browser "
        "(default: loopback callers only)",
    )
    serve_cmd.add_argument(
        "--token-for-loopback",
        action="store_true",
        help="require the control token from loopback callers too (a machine shared "
        "with other people); needs --control-token",
    )
    serve_cmd.add_argument(
        "--graceful-timeout",
        type=_seconds,
        default=GRACEFUL_SHUTDOWN_SECONDS,
        help="seconds requests in flight get after SIGINT/SIGTERM "
        f"(default {GRACEFUL_SHUTDOWN_SECONDS:g})",
    )
    serve_cmd.add_argument(
        "--body-timeout",
        type=_seconds,
        default=BODY_READ_TIMEOUT_SECONDS,
        help="seconds a request body may stall before a 408 "
        f"(default {BODY_READ_TIMEOUT_SECONDS:g})",
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


def _field_value(profile: Profile, name: str, text: str) -> Any:
    """``text`` (JSON) as a value for the profile field ``name``; ``ValueError`` if not."""
    fields = {f.name for f in dataclasses.fields(profile)}
    if name not in fields:
        known = ", ".join(sorted(fields))
        raise ValueError(f"--set {name}: no such profile field; fields are {known}")
    current = getattr(profile, name)
    try:
        value = safe_json.loads(text)
    except ValueError:
        value = text  # a bare word is a string
    expected: type | tuple[type, ...]
    if isinstance(current, bool):
        expected = bool
    elif isinstance(current, int) or current is None:
        expected = int if current is not None else (int, type(None))
    elif isinstance(current, str):
        expected = str
    elif isinstance(current, tuple | frozenset):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return type(current)(value)
        raise ValueError(f"--set {name}: expected a JSON list of strings, got {text!r}")
    elif isinstance(current, Mapping):
        expected = dict
    else:
        raise ValueError(f"--set {name}: this field cannot be set from the command line")
    bad_bool = isinstance(value, bool) and expected is not bool
    if bad_bool or not isinstance(value, expected):
        raise ValueError(f"--set {name}: {text!r} is not a value of the field's type")
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise ValueError(f"--set {name}: must not be negative, got {value}")
    return value


def _profile_changes(args: argparse.Namespace, profile: Profile) -> dict[str, Any]:
    changes = {name: _field_value(profile, name, text) for name, text in args.profile_fields}
    if args.max_file_bytes is not None:
        changes["max_file_bytes"] = args.max_file_bytes
    if args.storage_quota_bytes is not None:
        changes["storage_quota_bytes"] = args.storage_quota_bytes
    return changes


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def non_loopback_warning(host: str) -> str | None:
    """The warning ``serve`` prints when ``host`` lets other machines in (else None)."""
    if _is_loopback(host):
        return None
    return (
        f"mockfiles serve: warning: {host} is not a loopback address; other machines can "
        "reach this mock (any API key is accepted unless --api-key is given; /_mock "
        "routes refuse them unless --control-token is set)"
    )


def _listen(host: str, port: int) -> socket.socket:
    """A bound socket, or an ``OSError`` saying in one line why not (port in use...)."""
    if not 0 <= port <= 65535:
        raise OSError(f"cannot listen on {host}:{port}: a port is a number from 0 to 65535")
    try:
        return bind(host, port)
    except OSError as exc:
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _serve(args: argparse.Namespace) -> int:
    for phase, seconds in args.batch_duration:
        if not math.isfinite(seconds):
            raise ValueError(
                f"--batch-duration {phase}={seconds}: SECONDS must be a finite number >= 0"
            )
    if args.control_token == "":
        raise ValueError("--control-token must not be empty")
    if args.token_for_loopback and args.control_token is None:
        raise ValueError("--token-for-loopback needs --control-token TOKEN")
    if args.api_key is not None and "" in args.api_key:
        raise ValueError("--api-key must not be empty")
    loaded = scenario.read(args.load) if args.load else None
    profile = args.profile or (loaded or {}).get("profile", "openai")
    if loaded is not None:
        check_profile(loaded, profile)
    if profile not in PROFILES:
        raise ValueError(f"the scenario names an unknown profile {profile!r}")
    changes = _profile_changes(args, PROFILES[profile])
    sock = _listen(args.host, args.port)
    with sock:
        port = sock.getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        mock = MockFiles(
            profile,
            base_url=f"http://{host}:{port}{PROFILES[profile].base_path}",
            isolate_tenants=not args.shared,
            api_keys=args.api_key,
            processing_seconds=args.processing_seconds,
            validate_content=args.validate_content,
            seed=args.seed,
            journal_bytes=args.journal_bytes,
            journal_calls=args.journal_calls,
            control_token=args.control_token,
            control_token_for_loopback=args.token_for_loopback,
            batch_durations=dict(args.batch_duration),
            **changes,
        )
        report = mock.load_scenario(loaded) if loaded is not None else None
        warning = non_loopback_warning(args.host)
        if warning is not None:
            print(warning, file=sys.stderr, flush=True)
        print(f"mockfiles ({mock.profile.name} profile) serving on {mock.base_url}", flush=True)
        print("\n".join(env_lines(mock)), flush=True)
        if report is not None:
            lines = (f"loaded {args.load}: {line}" for line in report.describe())
            print("\n".join(lines), flush=True)
        print(f"dashboard: http://{host}:{port}/_mock/", flush=True)
        return_freed_memory_promptly()
        serve(
            mock.app,
            sock=sock,
            graceful_seconds=args.graceful_timeout,
            body_timeout=args.body_timeout,
        )
    return 0


def _client_errors() -> tuple[type[Exception], ...]:
    """The HTTP libraries' errors for a server that cannot be reached (or a bad URL)."""
    errors: list[type[Exception]] = []
    for library in ("httpx", "httpx2"):
        try:
            module = importlib.import_module(library)
        except ImportError:
            continue
        errors += [module.TransportError, module.InvalidURL]
    return tuple(errors)


def _replay(args: argparse.Namespace) -> int:
    try:
        report = scenario.replay(
            args.scenario, base_url=args.base_url, profile=args.profile, api_key=args.api_key
        )
    except _client_errors() as exc:
        raise OSError(f"cannot reach {args.base_url}: {exc or type(exc).__name__}") from None
    print(report.render())
    return 0 if report.ok else 1


def _record(args: argparse.Namespace) -> int:
    from .proxy import RecordingProxy

    proxy = RecordingProxy(args.upstream, args.output, profile=args.profile)
    sock = _listen(args.host, args.port)
    with sock:
        port = sock.getsockname()[1]
        print(
            f"recording to {args.output}: http://{args.host}:{port} -> {proxy.upstream}",
            flush=True,
        )
        serve(proxy, sock=sock)
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
    except (ScenarioError, OSError, ValueError, TypeError) as exc:
        print(f"mockfiles {args.command}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional library this command needs is missing
        print(
            f"mockfiles {args.command}: needs {exc.name or exc}, which is not installed "
            "(pip install 'mockfiles[httpx]')",
            file=sys.stderr,
        )
        return 2
