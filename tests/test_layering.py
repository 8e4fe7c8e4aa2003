"""Imports flow one way: functorch_lite -> transforms -> xla_like.

Every module of the lower layers is parsed with ``ast``; an import of a higher layer
(``import x``, ``from x import y``, ``from x.sub import y``, anywhere in the file,
including inside functions) fails the test.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# package -> the packages it must never import
FORBIDDEN = {
    "xla_like": ("transforms", "functorch_lite"),
    "transforms": ("functorch_lite",),
}


def imported_packages(source, filename="<string>"):
    """Top-level package names of every absolute import in ``source``, with line numbers.

    >>> imported_packages("from transforms.core import bind")
    [('transforms', 1)]
    """
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def violations(package):
    """``file:line imports pkg`` for every upward import under ``package``."""
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name, line in imported_packages(path.read_text(), str(path)):
            if name in FORBIDDEN[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package):
    files = list((ROOT / package).rglob("*.py"))
    assert len(files) >= 3, f"expected the {package} package under {ROOT}"
    assert violations(package) == []


@pytest.mark.parametrize("source", [
    "import functorch_lite",
    "import numpy, functorch_lite.numpy as fnp",
    "from functorch_lite import numpy",
    "from functorch_lite.numpy._convert import asarray",
    "def f():\n    from functorch_lite import tree\n",
])
def test_checker_finds_imports(source):
    assert "functorch_lite" in [name for name, _ in imported_packages(source)]


def test_checker_ignores_relative_and_similar_names():
    names = [n for n, _ in imported_packages(
        "from . import ir\nfrom .primitives import add_p\nimport transforms_extra\n"
        "from xla_like import dtypes\n")]
    assert names == ["transforms_extra", "xla_like"]
