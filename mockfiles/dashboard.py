"""The dashboard's panel registry: each service contributes its own panel.

This module knows no service and no HTTP. A service module registers, for its service
class, a panel: a title, its columns, and a function ``(service, tenant, limit) -> rows``
giving at most ``limit`` rows for one tenant (newest first). The dashboard page
(``GET /_mock/``) shows every registered panel of every service in
``backend.services``, once per tenant, so adding a service's panel touches nothing
else::

    # at the bottom of mockfiles/services/batches.py
    from ..dashboard import Column, register_panel

    def _batch_rows(service: BatchService, tenant: str, limit: int) -> list[Row]:
        return [{"id": b.id, "status": b.status, ...} for b in service.newest(tenant, limit)]

    register_panel(
        BatchService,
        "Batches",
        (Column("id", "ID"), Column("status", "Status"), Column("input_file_id", "Input", "file")),
        _batch_rows,
    )

A row maps column keys to plain values (str, int, float, bool or None). A column's
``kind`` says how the page shows its values: ``text``, ``number``, ``bytes`` (a size),
``time`` (a Unix time, shown relative to the mock's clock) or ``file`` (a file id,
shown as a link that downloads the file's bytes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

ColumnKind = Literal["text", "number", "bytes", "time", "file"]
Cell = str | int | float | bool | None
Row = Mapping[str, Cell]

S = TypeVar("S")

#: The most rows a panel shows for one tenant (the newest).
MAX_ROWS = 200


@dataclass(frozen=True)
class Column:
    """One column of a panel: the row key it shows, its header, and how to show it."""

    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Panel:
    """A service's panel: ``rows(service, tenant, limit)`` gives at most ``limit`` rows."""

    title: str
    columns: tuple[Column, ...]
    rows: Callable[[Any, str, int], Sequence[Row]]
    #: Shown under the table when the tenant has no row.
    empty: str = "None."


_PANELS: dict[type, list[Panel]] = {}
_LOCK = threading.Lock()


def register_panel(
    service_class: type[S],
    title: str,
    columns: Sequence[Column],
    rows: Callable[[S, str, int], Sequence[Row]],
    *,
    empty: str = "None.",
) -> Panel:
    """Show a panel for every instance of ``service_class`` on the dashboard.

    Registering the same title again for the class replaces the earlier panel (so a
    module reloaded in a session does not show its panel twice).
    """
    panel = Panel(title, tuple(columns), rows, empty)
    with _LOCK:
        panels = [p for p in _PANELS.get(service_class, []) if p.title != title]
        _PANELS[service_class] = [*panels, panel]
    return panel


def panels_of(service: object) -> list[Panel]:
    """The panels registered for ``service``'s class (or a base class of it)."""
    with _LOCK:
        return [panel for cls in type(service).__mro__ for panel in _PANELS.get(cls, [])]
