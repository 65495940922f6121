"""The README's profile table, generated from the profile data (so the two cannot drift)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .profiles import DAY, DOCUMENTED_KEY_ORDER, GB, MB, RECORDED_KEY_ORDER, TB, Profile


def _size(value: int | None) -> str:
    if value is None:
        return "unlimited"
    for unit, name in ((TB, "TB"), (GB, "GB"), (MB, "MB")):
        if value >= unit:
            return f"{value / unit:g} {name}"
    return f"{value} B"


def _seconds(value: int | None) -> str:
    if value is None:
        return "never"
    return f"{value // DAY} days" if value % DAY == 0 else f"{value} s"


def _names(values: Iterable[str]) -> str:
    items = list(values)
    return ", ".join(f"`{v}`" for v in items) if items else "—"


def _auth(profile: Profile) -> str:
    return {
        "bearer": "`Authorization: Bearer KEY`",
        "api-key": "`api-key: KEY`",
        "api-key-or-bearer": "`api-key: KEY` or `Authorization: Bearer TOKEN`",
    }[profile.auth_scheme]


def _expiry(profile: Profile) -> str:
    parts = [f"`{p}`: {_seconds(s)}" for p, s in profile.default_expiry_seconds.items()]
    parts.append(f"{'others' if parts else 'all'}: {_seconds(profile.default_expiry_all_seconds)}")
    return "; ".join(parts)


def _limits(profile: Profile) -> str:
    per_purpose = [f"`{p}` {_size(v)}" for p, v in profile.purpose_max_bytes.items()]
    return ", ".join([f"{_size(profile.max_file_bytes)} per file", *per_purpose])


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _key_order(profile: Profile) -> str:
    named = {RECORDED_KEY_ORDER: "as recorded (2025-10)", DOCUMENTED_KEY_ORDER: "as documented"}
    return named.get(profile.key_order, "custom")


def _unsupported(profile: Profile) -> str:
    return _names(profile.unsupported_purposes)


def _uploads(profile: Profile) -> str:
    if profile.upload_max_bytes is None:
        return "—"
    parts = _size(profile.upload_part_max_bytes)
    return (
        f"`POST {profile.base_path}/uploads`: {_size(profile.upload_max_bytes)} per Upload, "
        f"parts of {parts}, open {_seconds(profile.upload_expiry_seconds)}, "
        f"at most {profile.upload_max_pending:,} pending per tenant"
    )


ROWS: list[tuple[str, Callable[[Profile], str]]] = [
    ("Files routes under", lambda p: f"`{p.base_path}/files`"),
    ("auth", _auth),
    ("required query", lambda p: _names(p.required_query)),
    ("upload purposes", lambda p: _names(p.upload_purposes)),
    ("refused as not yet supported", _unsupported),
    ("stored purposes", lambda p: _names(p.file_purposes)),
    ("`.jsonl` name required", lambda p: _names(sorted(p.jsonl_filename_required))),
    (
        "one JSON object per line, checked at upload",
        lambda p: _names(sorted(p.jsonl_checked_purposes)),
    ),
    ("size limits", _limits),
    ("storage quota per tenant", lambda p: _size(p.storage_quota_bytes)),
    ("default expiry", _expiry),
    ("`expires_after` keys required", lambda p: _names(p.expires_after_required)),
    ("downloadable purposes", lambda p: _names(sorted(p.downloadable_purposes))),
    (
        "ids",
        lambda p: (
            f"`{p.id_format.prefix}` + {p.id_format.length} "
            + ("hex" if set(p.id_format.alphabet) <= set("0123456789abcdef") else "base62")
            + " chars"
        ),
    ),
    ("`status` in file objects", lambda p: _yes(p.include_status)),
    ("key order of file objects, lists, deletes", _key_order),
    ("`detail` beside `error` in error bodies", lambda p: _yes(p.error_detail)),
    ("`openai-organization`, `openai-project` headers", lambda p: _yes(p.organization_headers)),
    ("list filters", lambda p: _names(["purpose", *p.list_filters])),
    ("import from URL", lambda p: _names(f"POST {p.base_path}{path}" for path in p.import_paths)),
    ("Uploads API (large files in parts)", _uploads),
    (
        "Batches API",
        lambda p: f"`{p.base_path}/batches`" if p.batch_endpoints else "—",
    ),
    ("batch output purpose", lambda p: f"`{p.batch_output_purpose}`" if p.batch_endpoints else "—"),
    (
        "unfinished batches expire after 24 h",
        lambda p: ("yes" if p.batches_expire else "no") if p.batch_endpoints else "—",
    ),
    ("client", lambda p: f"`openai.{p.client_class}`"),
]


def markdown_table(profiles: Iterable[Profile]) -> str:
    """A Markdown table: one row per setting, one column per profile."""
    chosen = list(profiles)
    lines = [
        "| setting | " + " | ".join(f"`{p.name}`" for p in chosen) + " |",
        "|---|" + "---|" * len(chosen),
    ]
    for label, describe in ROWS:
        lines.append(f"| {label} | " + " | ".join(describe(p) for p in chosen) + " |")
    return "\n".join(lines) + "\n"
