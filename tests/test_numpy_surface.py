"""The NumPy surface's bookkeeping: every public function of ``functorch_lite.numpy``
(with its ``linalg`` and ``fft`` submodules), ``functorch_lite.scipy.special``,
``functorch_lite.scipy.linalg`` and ``functorch_lite.nn`` is in some test table that
checks its values against NumPy/SciPy, ``jit`` against eager, ``vmap`` against a loop
and (when differentiable) its gradients.

Names are discovered from the namespaces, not listed here.  A table module is
registered in ``TABLES`` (one line each); what it checks is read from it:

* ``IMPLEMENTED``: its table names (``"sin"``, ``"linalg.det"``, ``"nn.relu"``);
* the names its tests are parametrized over (first argument ``name``), by the kind of
  test: a test function whose name has ``numpy`` (or ``scipy``), ``jit``, ``vmap`` or
  ``grad`` checks that kind;
* or, instead, ``COVERAGE``: kind -> names, where its tests are not parametrized by
  name (tests/test_special.py);
* optional sets/dicts: ``NOT_DIFFERENTIABLE`` (no gradient checks by design),
  ``NOTHING_TO_MAP`` (no array argument), ``NOT_MAPPED``/``NOT_JITTED`` (name ->
  reason: metadata functions returning ints or dtypes).

Test files that keep their own tables in another shape (test_linalg.py, test_fft.py,
test_array_api.py) are read by an adapter (``ADAPTERS``) returning the same sets.
"""
import importlib
import inspect
import types

import numpy as np
import pytest

import functorch_lite.nn as nn
import functorch_lite.numpy as fnp
from functorch_lite.scipy import linalg as fsl, special as fsp

KINDS = ("numpy", "jit", "vmap", "grad")

# module name of a test table (under tests/), one per line: helpers append theirs
TABLES = [
    "test_numpy_core_table",
    "test_numpy_core_table_arrays",
    "test_numpy_core_table_reductions",
    "test_numpy_sorting_stats",
    "test_numpy_manipulation",
    "test_special",
    "test_linalg",
    "test_fft",
    "test_numpy_extras",
    "test_array_api",
]

# prefix of a table name -> the namespace whose public names must all be checked
NAMESPACES = {"": fnp, "linalg.": fnp.linalg, "fft.": fnp.fft, "scipy.special.": fsp,
              "scipy.linalg.": fsl, "nn.": nn}

# Public names that are not functions of arrays, with the reason (each must be a class,
# a module or a value: ``test_exclusions_are_not_functions``).
EXCLUDED = {
    "ndarray": "the array class", "Array": "the array class",
    "linalg": "submodule (its names are checked)", "fft": "submodule (its names are checked)",
    "dtype": "NumPy's dtype class",
    **{t: "index-building object (``x[...]`` syntax, not a function)" for t in (
        "c_", "r_", "s_", "mgrid", "ogrid", "index_exp")},
    "pi": "constant", "e": "constant", "inf": "constant", "nan": "constant",
    "euler_gamma": "constant", "newaxis": "constant (None)",
    "linalg.EighResult": "result namedtuple", "linalg.QRResult": "result namedtuple",
    "linalg.SVDResult": "result namedtuple", "linalg.SlogdetResult": "result namedtuple",
}


# Functions that compute no array (dtype queries), with the reason: values only, checked
# in tests/test_dtypes.py and tests/test_numpy_core.py.
NO_ARRAY_COMPUTATION = {
    "finfo": "machine limits of a dtype (NumPy's finfo)",
    "iinfo": "machine limits of an integer dtype (NumPy's iinfo)",
    "isdtype": "a predicate on dtypes (tests/test_array_api.py checks it against NumPy)",
    "can_cast": "a predicate on dtypes (tests/test_array_api.py checks it against NumPy)",
}


def excluded(name, value):
    """Why ``name`` needs no table entry, or None: listed above, or a NumPy scalar type
    (a dtype name such as ``float32``, ``int_``, ``floating``)."""
    if name in EXCLUDED:
        return EXCLUDED[name]
    if name in NO_ARRAY_COMPUTATION:
        return NO_ARRAY_COMPUTATION[name]
    if inspect.isclass(value) and issubclass(value, np.generic):
        return "dtype (NumPy's scalar type)"
    return None


def public_names(namespace, prefix=""):
    """The qualified public names of a namespace: ``__all__`` when it has one; else, for a
    package (``functorch_lite.numpy``, whose API is what it re-exports), every name not
    starting with ``_`` (modules and classes included: see EXCLUDED); for a plain module
    (``functorch_lite.nn``), the public names it defines itself (not its imports)."""
    names = getattr(namespace, "__all__", None)
    if names is None:
        names = [n for n, v in vars(namespace).items() if not n.startswith("_")]
        if not hasattr(namespace, "__path__"):
            names = [n for n in names
                     if getattr(vars(namespace)[n], "__module__", None) == namespace.__name__]
    return {prefix + n for n in names}


def all_public_names():
    return set().union(*[public_names(ns, p) for p, ns in NAMESPACES.items()])


def _value(name):
    prefix = max((p for p in NAMESPACES if name.startswith(p)), key=len)
    return getattr(NAMESPACES[prefix], name[len(prefix):], None)


def checked_names():
    """Every public name that must be in a table."""
    return {n for n in all_public_names() if excluded(n, _value(n)) is None}


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


def _keyword_of(test_name):
    return [k for k in KINDS if k in test_name or (k == "numpy" and "scipy" in test_name)]


def coverage_from_marks(tests):
    """kind -> table names, read from a table module's parametrized test functions."""
    covered = {k: set() for k in KINDS}
    for test_name, fn in vars(tests).items():
        if test_name.startswith("test_") and callable(fn):
            for kind in _keyword_of(test_name):
                covered[kind] |= _names_covered(fn)
    return covered


def _base(key, names):
    """The public name a table key is about (``"cholesky_upper"`` -> ``"cholesky"``)."""
    matches = [n for n in names if key == n or key.startswith(n + "_")]
    return max(matches, key=len) if matches else key


def _linalg(tests):
    """tests/test_linalg.py: SIMPLE (values), GRADS, MAPPED (vmap and jit) and the value
    tests named ``test_<name>_...`` (qr, eigh, svd, solve, lstsq, norm, ...)."""
    scipy_names = set(fsl.__all__) - {"cholesky"}       # test_linalg's cholesky is NumPy's
    names = set(fnp.linalg.__all__) | scipy_names

    def qualify(keys):
        based = {_base(k, names) for k in keys}
        return {("scipy.linalg." if n in scipy_names else "linalg.") + n for n in based}
    value_tests = {t[5:] for t in vars(tests) if t.startswith("test_")}
    return {"numpy": qualify(set(tests.SIMPLE) | {n for n in names for t in value_tests
                                                   if t.startswith(n + "_")}),
            "grad": qualify(tests.GRADS), "vmap": qualify(tests.MAPPED),
            "jit": qualify(tests.MAPPED)}


def _fft(tests):
    """tests/test_fft.py: every transform has value, gradient, vmap and jit tables; the
    helpers (frequencies, shifts) have value tests."""
    transforms = {"fft." + n for n in tests.TRANSFORMS}
    helpers = {"fft." + n for n in tests.HELPERS}
    return {"numpy": transforms | helpers, "grad": {"fft." + n for n in tests.GRADIENT_CASES},
            "vmap": transforms, "jit": transforms}


def _array_api(tests):
    """tests/test_array_api.py: each ``Case`` (``.name``, ``.grad``) runs the value, jit
    and vmap tests, and the gradient test when ``grad``; a name whose cases all have
    ``grad=False`` is declared non-differentiable.  Names tested only by its dedicated
    tests are not read (they need a table entry or a reason here)."""
    names = {c.name for c in tests.CASES}
    grads = {c.name for c in tests.CASES if c.grad}
    return {"numpy": names, "jit": names, "vmap": names, "grad": grads,
            "not_differentiable": names - grads}


ADAPTERS = {"test_linalg": _linalg, "test_fft": _fft, "test_array_api": _array_api}


def table_coverage(tests):
    """kind -> covered names for one registered module, and its declared exemptions."""
    name = tests.__name__.split(".")[-1]
    if hasattr(tests, "COVERAGE"):
        covered = {k: set(tests.COVERAGE.get(k, ())) for k in KINDS}
    elif name in ADAPTERS:
        covered = ADAPTERS[name](tests)
    else:
        covered = coverage_from_marks(tests)
    declared = covered.pop("not_differentiable", set())
    exempt = {"grad": set(getattr(tests, "NOT_DIFFERENTIABLE", ())) | declared,
              "vmap": set(getattr(tests, "NOTHING_TO_MAP", ())) | set(getattr(
                  tests, "NOT_MAPPED", {})),
              "jit": set(getattr(tests, "NOT_JITTED", {})), "numpy": set()}
    return covered, exempt


def missing_checks(names, modules, value=lambda name: None):
    """name -> the kinds of check no registered table runs on it (empty: all fine).  A
    kind is satisfied by a check in any table, or a declared exemption, of the name or of
    an alias (a name bound to the very same function object, e.g. ``acos``/``arccos``)."""
    covered = {k: set() for k in KINDS}
    exempt = {k: set() for k in KINDS}
    for tests in modules:
        c, e = table_coverage(tests)
        for k in KINDS:
            covered[k] |= c[k]
            exempt[k] |= e[k]
    groups = {}
    for n in set(names) | set().union(*covered.values()):
        v = value(n)
        groups.setdefault(id(v) if v is not None else n, set()).add(n)
    for k in KINDS:
        for table in (covered, exempt):
            table[k] |= {a for g in groups.values() if g & table[k] for a in g}
    return {n: [k for k in KINDS if n not in covered[k] and n not in exempt[k]]
            for n in sorted(names)
            if any(n not in covered[k] and n not in exempt[k] for k in KINDS)}


def _load(name):
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def modules():
    return [_load(t) for t in TABLES]


def test_every_public_function_has_every_kind_of_check(modules):
    names = checked_names()
    missing = missing_checks(names, modules, _value)
    assert not missing, ("public functions lacking a table check (kinds missing): "
                         f"{missing}")


def test_table_names_exist(modules):
    """A table entry names a real public function (no stale entries)."""
    tables = 0
    for tests in modules:
        implemented = getattr(tests, "IMPLEMENTED", None)
        if hasattr(tests, "COVERAGE"):
            implemented = set().union(*tests.COVERAGE.values())
        if implemented is None:
            continue              # adapter-read modules assert their tables themselves
        tables += 1
        unknown = sorted(set(implemented) - all_public_names())
        assert not unknown, f"{tests.__name__} has entries nobody exports: {unknown}"
    assert tables >= 3


def test_exclusions_are_not_functions():
    everything = {}
    for prefix, ns in NAMESPACES.items():
        for n in public_names(ns):
            everything[prefix + n] = getattr(ns, n)
    for name in EXCLUDED:
        if name not in everything:
            continue              # e.g. a name another helper has not exported yet
        value = everything[name]
        assert (inspect.isclass(value) or isinstance(value, types.ModuleType)
                or not callable(value)), f"{name} is a function: give it a table entry"


# ---- the meta-test's logic, on a fake namespace and fake tables ------------------------

def _fake_table(names, kinds, not_differentiable=()):
    module = types.ModuleType("fake_table")
    module.IMPLEMENTED = sorted(names)
    module.NOT_DIFFERENTIABLE = set(not_differentiable)
    for kind in kinds:
        @pytest.mark.parametrize("name", sorted(names))
        def check(name):
            pass
        setattr(module, f"test_{kind}_check", check)
    return module


def test_meta_logic_flags_a_new_function_without_checks():
    fake = types.SimpleNamespace(__all__=["old", "new", "count"])
    names = public_names(fake, "fake.")
    complete = _fake_table({"fake.old", "fake.count"}, KINDS, {"fake.count"})
    assert missing_checks(names, [complete]) == {"fake.new": list(KINDS)}
    partial = _fake_table({"fake.new"}, ("numpy", "jit"))
    assert missing_checks(names, [complete, partial]) == {"fake.new": ["vmap", "grad"]}
    full = _fake_table({"fake.new"}, ("numpy", "jit", "vmap", "grad"))
    assert missing_checks(names, [complete, partial, full]) == {}
    # a non-differentiable declaration exempts only the gradient check
    nondiff = _fake_table({"fake.new"}, ("numpy", "vmap"), {"fake.new"})
    assert missing_checks(names, [complete, nondiff]) == {"fake.new": ["jit"]}
    # an alias (the same function object) shares its original's checks
    alias = types.SimpleNamespace(new=len, old=len)
    value = lambda name: getattr(alias, name.split(".")[-1], None)  # noqa: E731
    assert missing_checks({"fake.new"}, [complete], value) == {}


def test_meta_logic_reads_a_module_s_own_functions_and_a_package_s_exports():
    module = types.ModuleType("fake_module")
    exec("import math\nfrom math import sqrt\ndef f(x):\n    return x\n_g = f\n",
         vars(module))
    assert public_names(module, "m.") == {"m.f"}
    package = types.ModuleType("fake_package")
    package.__path__ = []
    package.sqrt, package._hidden = module.sqrt, module.f
    assert public_names(package) == {"sqrt"}


def test_meta_logic_reads_kinds_from_test_names():
    assert _keyword_of("test_values_match_numpy") == ["numpy"]
    assert _keyword_of("test_unary_matches_scipy") == ["numpy"]
    assert _keyword_of("test_jit_and_vmap_of_grad") == ["jit", "vmap", "grad"]
    assert _keyword_of("test_errors") == []
    assert _base("cholesky_upper", {"cholesky", "cho_solve"}) == "cholesky"
    assert _base("solve_triangular_unit", {"solve", "solve_triangular"}) == "solve_triangular"
