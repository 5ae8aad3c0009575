"""Lint (ruff, including the ban on print outside cli/render) and type checks (mypy --strict)
are part of the test suite, so that CI's single test command enforces them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def _tool(name: str) -> list[str]:
    if shutil.which(name) is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return [name]


def test_ruff() -> None:
    result = subprocess.run([*_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_does_not_import_heavy_modules() -> None:
    # Cold start: --help must not pay for asyncio protocol code, dnspython or aioice.
    code = ("import sys\nfrom flexdiag.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "heavy = [m for m in ('dns', 'aioice', 'flexdiag.runner', 'flexdiag.net.udp')"
            " if m in sys.modules]\nprint('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_import_contracts() -> None:
    # docs/architecture.md's layers, the purity of judging and the independence of the checks,
    # as import-linter contracts in pyproject.toml.
    result = subprocess.run([*_tool("lint-imports"), "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout or " broken" not in result.stdout, result.stdout


def test_no_import_cycles() -> None:
    # No module imports itself through others (Tarjan's strongly connected components).
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("flexdiag")
    modules = set(graph.modules)
    edges = {m: sorted(set(graph.find_modules_directly_imported_by(m)) & modules)
             for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(component) > 1:
                cycles.append(component)

    for module in sorted(modules):
        if module not in index:
            visit(module)
    assert cycles == []


def test_complexity() -> None:
    # "Small functions": no function above radon's C grade (cyclomatic complexity 15).
    pytest.importorskip("radon")
    from radon.visitors import ComplexityVisitor

    worst = []
    for path in sorted((ROOT / "flexdiag").rglob("*.py")):
        # .blocks: every function, method and nested function (a class is the sum of its
        # methods, and is not a function)
        for block in ComplexityVisitor.from_code(path.read_text()).blocks:
            if hasattr(block, "is_method") and block.complexity > 15:
                worst.append(f"{path.relative_to(ROOT)}:{block.lineno} {block.name} "
                             f"{block.complexity}")
    assert worst == []


def test_every_module_has_a_layer() -> None:
    # A module missing from the layers contract would be unconstrained by it.
    import re
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    named = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    package = ROOT / "flexdiag"
    modules = {p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert modules - named == set()
    assert named - modules == set()
