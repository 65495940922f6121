"""The package's shape: every module has a layer, and no module imports one above it.

Imports are read from the source (every ``import`` statement, including those inside
functions and ``TYPE_CHECKING`` blocks), so a cycle cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import mockfiles

PACKAGE = Path(mockfiles.__file__).parent

#: Lowest first. A module may import modules of its own layer or below, never above;
#: within a layer the import graph must stay acyclic.
LAYERS: list[set[str]] = [
    # primitives: no mockfiles imports above these
    {
        "blobs",
        "clock",
        "errors",
        "asgi_scope",
        "coroutines",
        "profiles",
        "profile_table",
        "batch_types",
        "safe_json",
    },
    {"dashboard"},
    {"store", "journal", "faults", "urls", "validation", "auth", "multipart"},
    {"scenario_format"},
    # state, its services, and the backend that owns them
    {"state"},
    {"services", "services.base", "services.files", "services.uploads", "services.batch_answers"},
    {"services.batches"},
    {"backend"},
    {"scenario_state"},
    {"control"},
    # HTTP over the backend
    {
        "api",
        "api.context",
        "api.render",
        "api.routing",
        "api.paging",
        "api.json_input",
        "api.upload_schema",
        "api.middleware",
        "api.files",
        "api.imports",
        "api.uploads",
        "api.batches",
        "api.dashboard",
        "api.control_cookie",
        "api.control_login",
        "api.control",
        "api.app",
    },
    {"transport"},
    {"patching"},
    # front doors
    {"mock"},
    {"scenario", "server", "proxy"},
    {"cli", "pytest_plugin"},
    {"__init__", "__main__"},
]


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = relative.parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path, name: str) -> set[str]:
    """The package's modules that ``path`` imports (relative or absolute)."""
    tree = ast.parse(path.read_text())
    if path.name == "__init__.py":
        package = "" if name == "__init__" else name
    else:
        package = name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("mockfiles."):
                    found.add(alias.name.removeprefix("mockfiles."))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.startswith("mockfiles"):
                    base = node.module.removeprefix("mockfiles").lstrip(".")
                else:
                    continue
            else:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                found.add(candidate if _exists(candidate) else base)
    return {module for module in found if module and module != name}


def _exists(module: str) -> bool:
    path = PACKAGE.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    for number, layer in enumerate(LAYERS):
        if module in layer:
            return number
    raise AssertionError(f"module mockfiles.{module} has no layer: add it to LAYERS")


def test_every_module_has_a_layer() -> None:
    for module in all_modules():
        layer_of(module)


def test_no_module_imports_a_module_above_it() -> None:
    upward = []
    for module, path in all_modules().items():
        for imported in imported_modules(path, module):
            if layer_of(imported) > layer_of(module):
                upward.append(f"mockfiles.{module} imports mockfiles.{imported}")
    assert upward == []


def test_no_import_cycles() -> None:
    graph = {module: imported_modules(path, module) for module, path in all_modules().items()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, "import cycle: " + " -> ".join([*visiting, module])
        visiting.append(module)
        for imported in graph.get(module, ()):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_the_checker_sees_relative_and_lazy_imports(tmp_path: Path) -> None:
    """The checker itself: a lazy relative import inside a function is found."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from .mock import MockFiles\n    from . import scenario\n")
    assert imported_modules(source, "probe") == {"mock", "scenario"}
