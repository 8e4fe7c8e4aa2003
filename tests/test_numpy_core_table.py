"""The older functions of functorch_lite.numpy, table-driven, with every transform.

This module holds the shared harness (``Case``, ``Draw``, ``table_tests``) and the table
of elementwise functions (``_ufuncs``, ``_smooth``, ``_complex``); the other
``test_numpy_core_table_*.py`` files hold the other tables and reuse the harness.

For every variant (``Case``) of every name:

* values against NumPy/SciPy on random inputs: hypothesis picks the seeds from which
  ``Draw`` takes shapes (rank 0-3, broadcasting pairs) and values; the dtypes (bool,
  int32, float32, float64, complex64/128) and axes are the cases' own;
* ``check_grads`` (float64 or complex128, fwd and rev, ``order`` 1 or 2) on the
  differentiable ones, on inputs drawn inside their domain;
* ``vmap`` against a Python loop over three draws of the same shapes;
* ``jit`` against eager.

A name is registered as non-differentiable when none of its cases is differentiable;
a case with float inputs and float outputs must say ``why`` it is not
(``test_declared_non_differentiable_cases_say_why``).
"""
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings, strategies as st

import functorch_lite as fl
import functorch_lite.nn as nn
from functorch_lite import numpy as fnp
from functorch_lite.scipy import linalg as fsl, special as fsp
from functorch_lite.test_util import check_grads
from transforms.pytree import tree_flatten, tree_map, tree_unflatten

from table_harness import TableCase, check_grads_in, stack_trees


# ---- the harness ----------------------------------------------------------------------------

@dataclass
class Case(TableCase):                  # ``make`` takes a Draw
    vmap: bool = True
    jit: bool = True
    order: int = 1                      # check_grads order
    tol: float = None                   # value tolerance (default: by dtype)
    why: str = ""                       # why float -> float is not differentiable


class Draw:
    """Random inputs: shapes from one seed and values from another, so that vmap can
    stack several draws of the same shapes."""

    def __init__(self, shape_seed, value_seed):
        self.shapes = np.random.default_rng(shape_seed)
        self.values = np.random.default_rng(value_seed)
        self.main = self.shape()        # the shape of every array drawn with shape=None

    def shape(self, min_rank=0, max_rank=3, hi=4):
        rank = int(self.shapes.integers(min_rank, max_rank + 1))
        return tuple(int(s) for s in self.shapes.integers(1, hi + 1, rank))

    def pair(self, max_rank=3):
        """Two shapes that broadcast together (some sides set to 1, ranks may differ)."""
        full = self.shape(0, max_rank)
        a = tuple(1 if self.shapes.random() < 0.3 else s for s in full)
        b = tuple(1 if self.shapes.random() < 0.3 else s for s in full)
        return a, b[int(self.shapes.integers(0, len(b) + 1)):]

    def f(self, shape=None, lo=-2.0, hi=2.0, dtype=np.float64):
        shape = self.main if shape is None else shape
        return self.values.uniform(lo, hi, shape).astype(dtype)

    def away(self, shape=None, lo=0.2, hi=2.0, dtype=np.float64):
        """Floats with |x| in [lo, hi] and random signs (away from a kink at 0)."""
        shape = self.main if shape is None else shape
        sign = np.where(self.values.random(shape) < 0.5, -1.0, 1.0)
        return (sign * self.values.uniform(lo, hi, shape)).astype(dtype)

    def i(self, shape=None, lo=-5, hi=5, dtype=np.int32):
        shape = self.main if shape is None else shape
        return self.values.integers(lo, hi, shape).astype(dtype)

    def b(self, shape=None):
        shape = self.main if shape is None else shape
        return self.values.random(shape) < 0.5

    def c(self, shape=None, lo=-1.0, hi=1.0, dtype=np.complex128, re_lo=None):
        """Complex values; ``re_lo`` bounds the real part from below (branch cuts)."""
        shape = self.main if shape is None else shape
        re = self.values.uniform(lo if re_lo is None else re_lo, hi, shape)
        return (re + 1j * self.values.uniform(lo, hi, shape)).astype(dtype)


NAMESPACES = {   # prefix of a table name -> (our namespace, the reference namespace)
    "": (fnp, np), "linalg.": (fnp.linalg, np.linalg), "fft.": (fnp.fft, np.fft),
    "nn.": (nn, None), "scipy.special.": (fsp, scipy.special),
    "scipy.linalg.": (fsl, __import__("scipy.linalg").linalg),
}


def resolve(name):
    """(our function, NumPy's) for a table name such as ``"sin"`` or ``"linalg.det"``."""
    prefix = max((p for p in NAMESPACES if name.startswith(p)), key=len)
    ours, theirs = NAMESPACES[prefix]
    short = name[len(prefix):]
    return getattr(ours, short), getattr(theirs, short, None)


def _leaves(tree):
    return [np.asarray(x) for x in tree_flatten(tuple(tree) if isinstance(tree, list)
                                                else tree)[0]]


def _tol(dtype):
    return 2e-5 if np.dtype(dtype) in (np.float32, np.complex64, np.float16) else 1e-9


def assert_tree_close(got, want, tol=None, dtype_kind=True):
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want), (len(got), len(want))
    for g, w in zip(got, want):
        assert g.shape == w.shape, (g.shape, w.shape)
        if dtype_kind:       # bool/int/float/complex as NumPy (widths follow our rules)
            assert g.dtype.kind.replace("u", "i") == w.dtype.kind.replace("u", "i"), (
                g.dtype, w.dtype)
        t = tol or max(_tol(g.dtype), _tol(w.dtype))
        if w.dtype.kind in "biu":
            np.testing.assert_array_equal(g.astype(w.dtype), w)
        else:
            np.testing.assert_allclose(g.astype(np.complex128), w.astype(np.complex128),
                                       rtol=t, atol=t, equal_nan=True)


def _call(name, case):
    fn = resolve(name)[0] if case.call is None else case.call
    return lambda *a: fn(*a, **case.kwargs)


def _reference(name, case, args):
    fn = case.numpy or resolve(name)[1]
    with np.errstate(all="ignore"):
        return fn(*args, **case.kwargs)


def _float_argnums(case, args):
    if case.diff_argnums is not None:
        return case.diff_argnums

    def inexact(a):      # a float64/complex128 array or scalar, or a pytree of them
        leaves = tree_flatten(a)[0]
        return leaves and all(isinstance(x, (np.ndarray, np.generic, float, complex)) and
                              np.asarray(x).dtype in (np.float64, np.complex128)
                              for x in leaves)
    return tuple(k for k, a in enumerate(args) if inexact(a))


def grad_args(case):
    return case.make(Draw(0, 0))


_GRADIENT_CHECKED = {}       # id(case) -> bool: computed once, at collection


def _gradient_checked(name, case):
    """A differentiable case with float64/complex128 inputs and some float output."""
    if id(case) not in _GRADIENT_CHECKED:
        checked = case.differentiable and bool(_float_argnums(case, grad_args(case)))
        if checked:
            with np.errstate(all="ignore"):
                out = _call(name, case)(*grad_args(case))
            checked = any(o.dtype.kind in "fc" for o in _leaves(out))
        _GRADIENT_CHECKED[id(case)] = checked
    return _GRADIENT_CHECKED[id(case)]


def _check_values(name, case, draw):
    args = case.make(draw)
    with np.errstate(all="ignore"):
        got = _call(name, case)(*args)
    assert_tree_close(got, _reference(name, case, args), case.tol)


def _check_grads(name, case, draw):
    """check_grads in the float64/complex128 arguments, the others held fixed."""
    args = case.make(draw)
    argnums = _float_argnums(case, args)
    check_grads_in(_call(name, case), args, argnums, order=case.order)


def _check_vmap(name, case):
    samples = [case.make(Draw(2, seed)) for seed in range(3)]
    fn = _call(name, case)
    rebuild = _arrays(samples[0])[1]
    stacked = [np.stack(group) for group in zip(*[_arrays(s)[0] for s in samples])]
    with np.errstate(all="ignore"):
        got = fl.vmap(lambda *a: fn(*rebuild(a)))(*stacked)
        want = stack_trees([tree_map(np.asarray, fn(*s)) for s in samples])
    assert_tree_close(got, want, case.tol)


def _check_jit(name, case):
    args = case.make(Draw(1, 1))
    fn = _call(name, case)
    arrays, rebuild = _arrays(args)
    with np.errstate(all="ignore"):
        got = fl.jit(lambda *a: fn(*rebuild(a)))(*arrays)
        want = tree_map(np.asarray, fn(*args))
    assert_tree_close(got, want, case.tol)


def _check_declared_non_differentiable(name, i, case):
    args = grad_args(case)
    floats_in = any(np.asarray(a).dtype.kind in "fc" for a in tree_flatten(args)[0])
    floats_out = any(o.dtype.kind in "fc" for o in _leaves(_call(name, case)(*args)))
    assert case.why or not (floats_in and floats_out), (
        f"{name}[{i}] maps floats to floats: check its gradients or say why not")


def table_tests(CASES):
    """The table-driven tests over ``CASES`` (name -> list of Case), by name, for a module
    to bind at top level: ``globals().update(table_tests(CASES))``."""
    params = [pytest.param(n, i, id=f"{n}-{i}") for n in sorted(CASES)
              for i in range(len(CASES[n]))]
    grads = [p for p in params if _gradient_checked(p.values[0], CASES[p.values[0]][p.values[1]])]
    mapped = [p for p in params if CASES[p.values[0]][p.values[1]].vmap
              and _arrays(grad_args(CASES[p.values[0]][p.values[1]]))[0]]
    jitted = [p for p in params if CASES[p.values[0]][p.values[1]].jit]

    @pytest.mark.parametrize("name,i", params)
    @settings(max_examples=3)
    @given(shape_seed=st.integers(0, 2**16), value_seed=st.integers(0, 2**16))
    def test_values_match_numpy(name, i, shape_seed, value_seed):
        _check_values(name, CASES[name][i], Draw(shape_seed, value_seed))

    @pytest.mark.parametrize("name,i", grads)
    def test_grads(name, i):
        _check_grads(name, CASES[name][i], Draw(0, 0))

    @pytest.mark.parametrize("name,i", mapped)
    def test_vmap_matches_loop(name, i):
        _check_vmap(name, CASES[name][i])

    @pytest.mark.parametrize("name,i", jitted)
    def test_jit_matches_eager(name, i):
        _check_jit(name, CASES[name][i])

    not_diff = registry(CASES)[1]

    @pytest.mark.parametrize("name,i", [p for p in params if p.values[0] in not_diff
                                        or not CASES[p.values[0]][p.values[1]].differentiable])
    def test_declared_non_differentiable_cases_say_why(name, i):
        """A case without gradient checks has no float input or no float output, or
        says why (e.g. ``nextafter``: its true derivative is not the one we define)."""
        _check_declared_non_differentiable(name, i, CASES[name][i])

    @pytest.mark.slow
    @pytest.mark.parametrize("name,i", params)
    @settings(max_examples=25)
    @given(shape_seed=st.integers(0, 2**16), value_seed=st.integers(0, 2**16))
    def test_values_match_numpy_many_draws(name, i, shape_seed, value_seed):
        _check_values(name, CASES[name][i], Draw(shape_seed, value_seed))

    @pytest.mark.slow
    @pytest.mark.parametrize("name,i", grads)
    @pytest.mark.parametrize("seed", range(1, 6))
    def test_grads_many_draws(name, i, seed):
        _check_grads(name, CASES[name][i], Draw(seed, seed))

    return {f.__name__: f for f in (
        test_values_match_numpy, test_grads, test_vmap_matches_loop, test_jit_matches_eager,
        test_declared_non_differentiable_cases_say_why, test_values_match_numpy_many_draws,
        test_grads_many_draws)}


def _arrays(args):
    """The NumPy-array leaves of ``args`` and a function that puts new ones in their place
    (the other leaves stay: shapes, counts and scalars are static)."""
    leaves, treedef = tree_flatten(args)
    where = [k for k, leaf in enumerate(leaves) if isinstance(leaf, (np.ndarray, np.generic))]

    def rebuild(arrays):
        full = list(leaves)
        for k, a in zip(where, arrays):
            full[k] = a
        return tree_unflatten(treedef, full)
    return [leaves[k] for k in where], rebuild


def registry(CASES):
    """What the meta-test (tests/test_numpy_surface.py) reads from a table module."""
    args = {n: [grad_args(c) for c in cases] for n, cases in CASES.items()}
    not_diff = {n for n, cases in CASES.items()
                if not any(_gradient_checked(n, c) for c in cases)}
    no_inputs = {n for n in CASES if not any(_arrays(a)[0] for a in args[n])}
    return sorted(CASES), not_diff, no_inputs


# ---- elementwise: inputs ------------------------------------------------------------------

def unary(lo=-2.0, hi=2.0, dtypes=(np.float64, np.float32), **kw):
    """One variant per dtype, elements uniform in [lo, hi]."""
    return [Case(lambda d, t=t: (d.f(None, lo, hi, t),), **kw) for t in dtypes]


def kinked(lo=0.2, hi=3.0, **kw):
    """Functions with a kink or jump at 0: inputs with |x| in [lo, hi]."""
    return [Case(lambda d: (d.away(None, lo, hi),), **kw),
            Case(lambda d: (d.away(None, lo, hi, np.float32),), **kw)]


def off_integers(**kw):
    """Rounding functions: inputs away from the jumps at integers and half-integers."""
    def make(d, t=np.float64):       # k/2 + [0.1, 0.4]: 0.1 from every jump
        return ((d.i(None, -8, 8) + d.f(None, 0.2, 0.8)) / 2).astype(t),
    return [Case(make, **kw), Case(lambda d: make(d, np.float32), **kw),
            Case(lambda d: (d.i(),), **kw)]


def binary(lo=-2.0, hi=2.0, lo2=None, hi2=None, ints=True, **kw):
    """float64 pairs (broadcasting), a float32 pair, and an int32 pair."""
    lo2, hi2 = (lo, hi) if lo2 is None else (lo2, hi2)

    def make(d, t=np.float64):
        a, b = d.pair()
        return d.f(a, lo, hi, t), d.f(b, lo2, hi2, t)
    cases = [Case(make, **kw), Case(lambda d: make(d, np.float32), **kw)]
    if ints:
        cases.append(Case(lambda d: (lambda a, b: (d.i(a), d.i(b, 1, 5)))(*d.pair()), **kw))
    return cases


def away_pair(**kw):
    """Pairs whose second operand is away from 0 (divisions)."""
    def make(d, t=np.float64):
        a, b = d.pair()
        return d.f(a, -3, 3, t), d.away(b, 0.5, 2, t)
    return [Case(make, **kw), Case(lambda d: make(d, np.float32), **kw)]


def logical(kind="b"):
    """Non-differentiable predicates on bools (``kind='b'``) or ints (``'i'``)."""
    def make(d):
        a, b = d.pair()
        return (d.b(a), d.b(b)) if kind == "b" else (d.i(a, -50, 50), d.i(b, -50, 50))

    def mixed(d):
        if kind == "b":
            return d.i(None, -3, 3), d.f()
        return d.i(None, 0, 9, np.uint8), d.i(None, 0, 9, np.uint8)
    return [Case(make), Case(mixed)]


def compare():
    def make(d):
        a, b = d.pair()
        return d.i(a, -2, 2).astype(np.float64), d.i(b, -2, 2)
    return [Case(make), Case(lambda d: (d.f(), 0.5)), Case(lambda d: (d.b(), d.b()))]


def complex_case(re_lo=None, scale=1.0, **kw):
    """complex128 and complex64 variants (values and complex check_grads)."""
    return [Case(lambda d: (d.c(None, -scale, scale, re_lo=re_lo),), **kw),
            Case(lambda d: (d.c(None, -scale, scale, np.complex64, re_lo),), **kw)]


NO_DERIVATIVE = "our derivative is 0 (piecewise constant); finite differences see a step"

# ---- elementwise: the table ---------------------------------------------------------------

CASES = {
    "exp": unary(-3, 3) + complex_case(order=2), "exp2": unary(-3, 3) + complex_case(),
    "expm1": unary(-3, 3) + complex_case(), "log": unary(0.1, 5) + complex_case(0.2),
    "log2": unary(0.1, 5) + complex_case(0.2), "log10": unary(0.1, 5) + complex_case(0.2),
    "log1p": unary(-0.9, 5) + complex_case(0.0, 0.5), "sqrt": unary(0.1, 5) + complex_case(0.2),
    "cbrt": kinked(), "sin": unary(-4, 4) + complex_case(order=2),
    "cos": unary(-4, 4) + complex_case(), "tan": unary(-1.2, 1.2) + complex_case(),
    "arcsin": unary(-0.9, 0.9) + complex_case(scale=0.6),
    "arccos": unary(-0.9, 0.9) + complex_case(scale=0.6),
    "arctan": unary(-4, 4) + complex_case(scale=0.6), "sinh": unary() + complex_case(),
    "cosh": unary() + complex_case(), "tanh": unary(-3, 3) + complex_case(order=2),
    "arcsinh": unary(-4, 4) + complex_case(scale=0.6),
    "arccosh": unary(1.1, 5) + complex_case(scale=2.0),
    "arctanh": unary(-0.9, 0.9) + complex_case(scale=0.6),
    "sinc": unary(-3, 3), "deg2rad": unary(-360, 360), "rad2deg": unary(-7, 7),
    "radians": unary(-360, 360), "degrees": unary(-7, 7),
    "reciprocal": kinked() + complex_case(0.3), "square": unary(order=2) + complex_case(),
    "negative": unary() + complex_case() + [Case(lambda d: (d.i(),))],
    "positive": unary() + complex_case() + [Case(lambda d: (d.i(),))],
    "abs": kinked() + complex_case(0.2) + [Case(lambda d: (d.i(),)), Case(lambda d: (d.b(),))],
    "absolute": kinked() + complex_case(0.2), "fabs": kinked(),
    "sign": kinked() + complex_case(0.2) + [Case(lambda d: (d.i(),))],
    "floor": off_integers(), "ceil": off_integers(), "trunc": off_integers(),
    "rint": off_integers(), "fix": off_integers(), "round": off_integers() + [
        Case(lambda d: (d.f(None, -40, 40),), {"decimals": 1}, differentiable=False,
             why=NO_DERIVATIVE)],
    "around": off_integers() + [Case(lambda d: (d.i(None, -900, 900),), {"decimals": -1})],
    "isnan": [Case(lambda d: (np.where(d.b(), np.nan, d.f()),))],
    "isinf": [Case(lambda d: (np.where(d.b(), -np.inf, d.f()),))],
    "isfinite": [Case(lambda d: (np.where(d.b(), np.inf, d.f(None, -1, 1, np.float32)),))],
    "signbit": [Case(lambda d: (d.away(),)), Case(lambda d: (d.i(),))],
    "logical_not": [Case(lambda d: (d.b(),)), Case(lambda d: (d.f(),))],
    "invert": [Case(lambda d: (d.i(),)), Case(lambda d: (d.b(),))],
    "bitwise_not": [Case(lambda d: (d.i(None, 0, 200, np.uint8),))],
    "add": binary() + logical() + complex_case(call=lambda z: fnp.add(z, z * 1j),
                                               numpy=lambda z: z + z * 1j),
    "subtract": binary(), "multiply": binary(order=2) + logical(),
    "divide": away_pair(), "true_divide": away_pair() + [
        Case(lambda d: (d.i(), d.i(None, 1, 4)))],
    "power": binary(0.3, 2.0, -2.0, 2.0, ints=False) + [
        Case(lambda d: (d.i(None, -3, 3), d.i(None, 0, 4)))] + complex_case(
            0.3, call=lambda z: fnp.power(z, 1.5 - z), numpy=lambda z: np.power(z, 1.5 - z)),
    "maximum": binary(), "minimum": binary(), "fmax": binary(), "fmin": binary(),
    "arctan2": binary(ints=False), "hypot": binary(ints=False, order=2),
    "logaddexp": binary(-5, 5, ints=False, order=2), "logaddexp2": binary(-5, 5, ints=False),
    "copysign": [Case(lambda d: (d.away(), d.away()))],
    "heaviside": [Case(lambda d: (d.away(), d.f(None, 0, 1)))],
    "nextafter": [Case(lambda d: (d.f(), d.f()), differentiable=False,
                       why="one ulp from x: our derivative is 0, as in JAX")],
    "fmod": away_pair(differentiable=False, why=NO_DERIVATIVE + " in y"),
    "remainder": away_pair(differentiable=False, why=NO_DERIVATIVE + " in y"),
    "mod": away_pair(differentiable=False, why=NO_DERIVATIVE + " in y"),
    "floor_divide": away_pair(), "divmod": away_pair(differentiable=False,
                                                     why=NO_DERIVATIVE + " in y"),
    "equal": compare(), "not_equal": compare(), "less": compare(),
    "less_equal": compare(), "greater": compare(), "greater_equal": compare(),
    "logical_and": logical(), "logical_or": logical(), "logical_xor": logical(),
    "bitwise_and": logical("i"), "bitwise_or": logical("i"), "bitwise_xor": logical("i"),
    "left_shift": [Case(lambda d: (d.i(None, -9, 9), d.i(None, 0, 8)))],
    "right_shift": [Case(lambda d: (d.i(None, -99, 99), d.i(None, 0, 8))),
                    Case(lambda d: (d.i(None, 0, 99, np.uint8), d.i(None, 0, 8, np.uint8)))],
    "clip": [Case(lambda d: (d.f(None, -3, 3), -1.0, 1.0)),
             Case(lambda d: (d.f((3, 4), -3, 3), d.f((4,), -2, -0.5), d.f((3, 1), 0.5, 2))),
             Case(lambda d: (d.i(),), {"a_min": -2, "a_max": 3},
                  numpy=lambda x, a_min, a_max: np.clip(x, a_min, a_max))],
    "where": [Case(lambda d: (d.b((3, 4)), d.f((4,)), d.f((3, 1))), diff_argnums=(1, 2)),
              Case(lambda d: (d.f((2, 3)) > 0, d.i((2, 3)), 0.5), diff_argnums=(2,)),
              Case(lambda d: (d.b(), d.c(), d.c()), diff_argnums=(1, 2))],
    # complex parts (_complex)
    "real": complex_case() + unary(), "imag": complex_case() + unary(),
    "conj": complex_case() + unary(), "conjugate": complex_case() + [
        Case(lambda d: (d.i(),))],
    "angle": complex_case(0.2) + kinked() + [
        Case(lambda d: (d.c(re_lo=0.2),), {"deg": True})],
}

IMPLEMENTED, NOT_DIFFERENTIABLE, NOTHING_TO_MAP = registry(CASES)

globals().update(table_tests(CASES))


# ---- check_grads on complex values (functorch_lite/test_util.py) ----------------------------

def _square_with_jvp(slope):
    @fl.custom_jvp
    def square(z):
        return z * z

    @square.defjvp
    def _square_jvp(primals, tangents):
        (z,), (t,) = primals, tangents
        return square(z), slope(z) * t
    return square


def test_check_grads_on_complex_inputs_catches_a_conjugated_derivative():
    """d(z^2) = 2 z dz; ``2 conj(z) dz`` agrees on the real line only."""
    z = np.array([1 + 2j, 0.5 - 1j, -0.3 + 0.2j])
    check_grads(_square_with_jvp(lambda z: 2 * z), (z,), order=1)
    with pytest.raises(AssertionError, match="jvp does not match"):
        check_grads(_square_with_jvp(lambda z: 2 * fnp.conj(z)), (z,), order=1)
    check_grads(_square_with_jvp(lambda z: 2 * fnp.conj(z)), (z.real.copy(),), order=1)


def test_check_grads_pairs_complex_cotangents_without_conjugation():
    """grad(L)(z) = dL/dx - i dL/dy: for L = |z|^2 that is 2 conj(z)."""
    z = np.array([3 + 4j, -1 + 0.5j])
    g = fl.grad(lambda z: fnp.sum(fnp.abs(z) ** 2))(z)
    np.testing.assert_allclose(np.asarray(g), 2 * np.conj(z))
    check_grads(lambda z: fnp.abs(z) ** 2, (z,), order=2)
