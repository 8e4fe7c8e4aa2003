"""The NumPy surface's bookkeeping: every function of the table-driven modules is in
its test table, and each table runs the value, grad, vmap and jit checks.

Modules covered so far (the older functions of ``functorch_lite.numpy`` are checked
by ``tests/test_numpy_core.py`` and are not yet in such tables):
sorting/statistics, manipulation/numerical/einsum, ``scipy.special`` and ``fft`` (which
assert their own tables against ``__all__``)."""
import inspect

import pytest

import functorch_lite.numpy as fnp
from functorch_lite.numpy import _einsum, _manipulation, _numerical, _sorting, _statistics
from tests import test_numpy_manipulation, test_numpy_sorting_stats

TABLES = [
    (test_numpy_sorting_stats, (_sorting, _statistics)),
    (test_numpy_manipulation, (_manipulation, _numerical, _einsum)),
]


def _public_functions(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items()
                 if inspect.isfunction(v) and not n.startswith("_") and v.__module__ == module.__name__]
    return set(names)


@pytest.mark.parametrize("tests, modules", TABLES,
                         ids=[t.__name__.split(".")[-1] for t, _ in TABLES])
def test_every_function_of_the_module_is_in_its_table(tests, modules):
    defined = set().union(*[_public_functions(m) for m in modules])
    missing = sorted(defined - set(tests.IMPLEMENTED))
    assert not missing, f"{tests.__name__} has no CASES entry for {missing}"
    unknown = sorted(n for n in tests.IMPLEMENTED if not hasattr(fnp, n))
    assert not unknown, f"functorch_lite.numpy does not export {unknown}"


# Functions with no array input to map over (vmap has nothing to batch).
NOTHING_TO_MAP = {"tri"}


def _names_covered(fn):
    """The table names a test function is parametrized over (first argument ``name``)."""
    names = set()
    for mark in getattr(fn, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        argnames, values = mark.args[0], mark.args[1]
        first = argnames.split(",")[0].strip() if isinstance(argnames, str) else argnames[0]
        if first == "name":
            for v in values:
                v = v.values if hasattr(v, "values") else v       # pytest.param(...)
                names.add(v[0] if isinstance(v, tuple) else v)
    return names


def _covered(tests, keyword):
    return set().union(*[_names_covered(fn) for name, fn in vars(tests).items()
                         if name.startswith("test_") and keyword in name])


@pytest.mark.parametrize("tests", [t for t, _ in TABLES],
                         ids=[t.__name__.split(".")[-1] for t, _ in TABLES])
def test_each_table_drives_every_kind_of_check(tests):
    """Values against NumPy and jit-vs-eager run for every name, vmap-vs-loop for every
    name with an array input, check_grads for the differentiable ones."""
    names = set(tests.IMPLEMENTED)
    for keyword, required in (("numpy", names), ("jit", names),
                              ("vmap", names - NOTHING_TO_MAP)):
        missing = sorted(required - _covered(tests, keyword))
        assert not missing, f"{tests.__name__}: no {keyword!r} check for {missing}"
    assert _covered(tests, "grad") & names, f"{tests.__name__}: no gradient checks"
