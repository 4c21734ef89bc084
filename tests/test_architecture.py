"""The layout is the architecture (STYLE.md §1): imports flow one way, the surface is declared."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import narrowcast

SRC = Path(narrowcast.__file__).parent

# Which of our packages each layer may import (besides itself, errors and config).
ALLOWED = {
    "model": set(),
    "importers": {"model"},
    "store": {"model", "importers"},
    "measures": {"model"},
    "synthetic": {"model"},
    "engines": {"model", "measures"},
    "evaluate": {"model", "measures"},
    "distributed": {"model", "store", "measures", "engines"},
    "scoring": {"model", "store", "measures", "engines", "evaluate", "distributed"},
    "evaluation": {
        "model",
        "importers",
        "store",
        "measures",
        "engines",
        "evaluate",
        "scoring",
        "distributed",
    },
    "api": {
        "model",
        "importers",
        "store",
        "measures",
        "synthetic",
        "scoring",
        "evaluation",
        "distributed",
    },
    "faces": {"model", "store", "scoring", "evaluation"},
    "cli": {"api", "model", "importers", "store", "faces"},
}
# The store reads files only to hash them for the import log (importers._common.sha256_of).


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("narrowcast")
        ):
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("narrowcast"))
    return {n.split(".")[1] if "." in n else "" for n in names} - {""}


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_one_way(path: Path):
    layer = _layer(path)
    if layer not in ALLOWED:
        return
    ours = _imports(path) - {layer, "errors", "config", "__version__", "__init__"}
    assert ours <= ALLOWED[layer], (
        f"{path.relative_to(SRC)} imports {sorted(ours - ALLOWED[layer])}"
    )


def test_every_module_declares_its_public_surface():
    for info in pkgutil.walk_packages(narrowcast.__path__, "narrowcast."):
        module = importlib.import_module(info.name)
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        assert hasattr(module, "__all__"), f"{info.name} has no __all__"
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.__all__ names missing {name}"


def test_the_package_exports_the_library_front():
    assert {"import_files", "info", "demo"} <= set(narrowcast.__all__)
