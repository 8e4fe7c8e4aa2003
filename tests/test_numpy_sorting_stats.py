"""functorch_lite.numpy sorting, searching, sets, nonzero and statistics: values against
NumPy on random inputs (ties for sorting, NaNs for the nan-variants), derivatives
(check_grads, float64, fwd+rev), vmap against a Python loop and jit against eager.

``CASES`` maps each implemented name to how to call it; ``IMPLEMENTED`` lists them.
"""
import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import numpy as fnp
from functorch_lite.test_util import check_grads
from transforms.errors import ConcretizationError


# ---- input makers -----------------------------------------------------------------------

def normal(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def ties(rng, shape, dtype=np.int32, hi=4):
    return rng.integers(0, hi, shape).astype(dtype)


def with_nan(rng, shape, dtype=np.float64):
    """Normal values with NaNs, never a whole 1-d slice of NaNs (sides >= 2): NaNs only
    where the index sum is 1 mod 3, and no two such positions are adjacent on an axis."""
    x = normal(rng, shape, dtype)
    idx = np.indices(shape).sum(axis=0)
    x[(idx % 3 == 1) & (rng.random(shape) < 0.7)] = np.nan
    return x


def sorted_ties(rng, n):
    return np.sort(ties(rng, n, hi=6))


@dataclass
class Case:
    """``variants(rng)``: a list of (args, kwargs) compared with ``ref`` (the NumPy function
    of the same name unless given); the first one also runs under vmap (over argument
    ``vmap_arg``, batched with permutations of its entries) and jit, with ``jit_kwargs``
    added (the static ``size=`` family).  ``grad(rng)``: (args, kwargs) whose first
    argument check_grads differentiates (None: not differentiable)."""
    variants: Callable
    ref: Optional[Callable] = None
    grad: Optional[Callable] = None
    jit_kwargs: dict = field(default_factory=dict)
    vmap_arg: int = 0
    compare: Optional[Callable] = None


def _v(*args, **kwargs):
    return args, kwargs


def _partition_ok(name):
    def compare(ours, x, kth, axis=-1):
        ours, x = np.asarray(ours), np.asarray(x)
        values = np.take_along_axis(x, ours, axis) if name == "argpartition" else ours
        if name == "argpartition":
            assert (np.sort(ours, axis) == np.arange(x.shape[axis]).reshape(
                [-1 if d == axis % x.ndim else 1 for d in range(x.ndim)])).all()
        expected = np.partition(x, kth, axis)
        k = np.take(values, [kth], axis)
        np.testing.assert_array_equal(k, np.take(expected, [kth], axis))
        n = x.shape[axis]
        assert (np.take(values, np.arange(kth), axis) <= k).all()
        assert (np.take(values, np.arange(kth + 1, n), axis) >= k).all()
    return compare


def _sort_ref(x, axis=-1, descending=False):
    return np.flip(np.sort(x, axis), axis) if descending else np.sort(x, axis)


def _argsort_ref(x, axis=-1, descending=False):
    return np.argsort(-x if descending else x, axis, kind="stable")


def _padded(values, size, fill):
    values = np.asarray(values)
    return np.concatenate([values[:size], np.full(max(size - len(values), 0), fill,
                                                  values.dtype)])


def _bincount_ref(x, weights=None, minlength=0, length=None):
    out = np.bincount(x, weights, minlength)
    return out if length is None else _padded(out, length, 0)


_NAN_REDUCTION_VARIANTS = lambda rng: [  # noqa: E731
    _v(with_nan(rng, (3, 4))), _v(with_nan(rng, (3, 4)), axis=0),
    _v(with_nan(rng, (2, 3, 4), np.float32), axis=(0, 2), keepdims=True),
    _v(ties(rng, (3, 4)), axis=1)]

_NAN_GRAD = lambda rng: _v(with_nan(rng, (3, 4)), axis=1)  # noqa: E731

CASES = {
    # sorting and searching
    "sort": Case(lambda rng: [_v(with_nan(rng, (3, 4))), _v(ties(rng, (2, 3, 4)), axis=0),
                              _v(normal(rng, (3, 4), np.float32), axis=None),
                              _v(ties(rng, (3, 5)), axis=1, descending=True),
                              _v(with_nan(rng, (4, 3)), descending=True)],
                 ref=_sort_ref, grad=lambda rng: _v(normal(rng, (3, 4)), axis=0)),
    "argsort": Case(lambda rng: [_v(ties(rng, (3, 5))), _v(ties(rng, (2, 3, 4)), axis=0),
                                 _v(ties(rng, (6,)), descending=True),
                                 _v(ties(rng, (3, 5), np.float32), axis=None),
                                 _v(ties(rng, (4, 5)), axis=0, descending=True)],
                    ref=_argsort_ref),
    "lexsort": Case(lambda rng: [_v(ties(rng, (2, 7))), _v(ties(rng, (3, 8), hi=3))]),
    "partition": Case(lambda rng: [_v(normal(rng, (3, 6)), 2), _v(ties(rng, (5, 3)), 1, 0)],
                      compare=_partition_ok("partition"),
                      grad=lambda rng: _v(normal(rng, (3, 6)), 2)),
    "argpartition": Case(lambda rng: [_v(normal(rng, (3, 6)), 4), _v(ties(rng, (5, 3)), 0, 0)],
                         compare=_partition_ok("argpartition")),
    "searchsorted": Case(lambda rng: [_v(sorted_ties(rng, 8), ties(rng, (3, 4), hi=7)),
                                      _v(sorted_ties(rng, 8), ties(rng, (5,), hi=7), "right"),
                                      _v(np.sort(with_nan(rng, (7,))), with_nan(rng, (4, 3)),
                                         "right"),
                                      _v(np.sort(with_nan(rng, (7,))), with_nan(rng, (5,)))],
                         vmap_arg=1),
    "nanargmax": Case(lambda rng: [_v(with_nan(rng, (3, 4))), _v(with_nan(rng, (3, 4)), axis=0),
                                   _v(with_nan(rng, (2, 3, 4)), axis=-1, keepdims=True)]),
    "nanargmin": Case(lambda rng: [_v(with_nan(rng, (3, 4))), _v(with_nan(rng, (3, 4)), axis=1),
                                   _v(ties(rng, (4, 3)), axis=0)]),
    # sets
    "unique": Case(lambda rng: [_v(ties(rng, (3, 4)), return_index=True, return_inverse=True,
                                   return_counts=True),
                                _v(np.round(with_nan(rng, (4, 5)))), _v(ties(rng, (0,))),
                                _v(ties(rng, (6, 3), hi=2), axis=0, return_index=True,
                                   return_inverse=True, return_counts=True),
                                _v(ties(rng, (2, 7, 2), hi=2), axis=-2, return_counts=True),
                                _v(np.round(normal(rng, (3, 5))), axis=1)],
                   jit_kwargs={"size": 14}),
    "union1d": Case(lambda rng: [_v(ties(rng, (5,)), ties(rng, (3, 2), hi=7))],
                    jit_kwargs={"size": 9}),
    "intersect1d": Case(lambda rng: [_v(ties(rng, (6,), hi=6), ties(rng, (5,), hi=6)),
                                     _v(ties(rng, (7,), hi=6), ties(rng, (4,), hi=6),
                                        return_indices=True)],
                        jit_kwargs={"size": 7}),
    "setdiff1d": Case(lambda rng: [_v(ties(rng, (8,), hi=6), ties(rng, (3,), hi=6))],
                      jit_kwargs={"size": 8}),
    "isin": Case(lambda rng: [_v(ties(rng, (3, 4), hi=8), ties(rng, (5,), hi=8)),
                              _v(ties(rng, (6,), hi=8), ties(rng, (2, 2), hi=8), invert=True)]),
    # nonzero family
    "nonzero": Case(lambda rng: [_v(ties(rng, (3, 4), hi=3)), _v(ties(rng, (2, 3, 2)) > 1),
                                 _v(with_nan(rng, (5,)))],
                    jit_kwargs={"size": 13}),
    "argwhere": Case(lambda rng: [_v(ties(rng, (3, 4), hi=3)), _v(ties(rng, (7,), hi=2))],
                     jit_kwargs={"size": 13}),
    "flatnonzero": Case(lambda rng: [_v(ties(rng, (3, 4), hi=3))], jit_kwargs={"size": 13}),
    "count_nonzero": Case(lambda rng: [_v(ties(rng, (3, 4), hi=3)),
                                       _v(ties(rng, (3, 4), hi=3), axis=0),
                                       _v(ties(rng, (2, 3, 4), hi=2) > 0, axis=(0, 2),
                                          keepdims=True)]),
    # nan-aware reductions
    "nansum": Case(_NAN_REDUCTION_VARIANTS, grad=_NAN_GRAD),
    "nanprod": Case(_NAN_REDUCTION_VARIANTS, grad=_NAN_GRAD),
    "nanmax": Case(_NAN_REDUCTION_VARIANTS, grad=_NAN_GRAD),
    "nanmin": Case(_NAN_REDUCTION_VARIANTS, grad=_NAN_GRAD),
    "nanmean": Case(_NAN_REDUCTION_VARIANTS, grad=_NAN_GRAD),
    "nanvar": Case(lambda rng: _NAN_REDUCTION_VARIANTS(rng) + [
        _v(with_nan(rng, (4, 5)), axis=1, ddof=1)], grad=_NAN_GRAD),
    "nanstd": Case(_NAN_REDUCTION_VARIANTS, grad=_NAN_GRAD),
    "ptp": Case(lambda rng: [_v(normal(rng, (3, 4))), _v(ties(rng, (3, 4), hi=9), axis=0),
                             _v(normal(rng, (2, 3, 4)), axis=(0, 2), keepdims=True)],
                grad=lambda rng: _v(normal(rng, (3, 4)), axis=1)),
    # order statistics
    "median": Case(lambda rng: [_v(normal(rng, (3, 4))), _v(normal(rng, (3, 5)), axis=1),
                                _v(ties(rng, (2, 3, 4)), axis=(0, 2), keepdims=True),
                                _v(with_nan(rng, (3, 4)), axis=0)],
                   grad=lambda rng: _v(normal(rng, (3, 4)), axis=0)),
    "nanmedian": Case(lambda rng: [_v(with_nan(rng, (3, 4))), _v(with_nan(rng, (4, 5)), axis=1),
                                   _v(with_nan(rng, (2, 3, 4)), axis=(0, 1), keepdims=True)],
                      grad=lambda rng: _v(with_nan(rng, (3, 5)), axis=1)),
    "quantile": Case(lambda rng: [_v(normal(rng, (3, 5)), 0.3, axis=1),
                                  _v(normal(rng, (4, 3)), np.array([0.0, 0.25, 0.9, 1.0]),
                                     axis=0),
                                  _v(ties(rng, (2, 3, 4)), 0.6),
                                  _v(normal(rng, (3, 4)), np.array([0.1, 0.5]), axis=1,
                                     method="lower"),
                                  _v(normal(rng, (5, 3)), 0.4, axis=0, method="higher"),
                                  _v(normal(rng, (9,)), np.array([0.3, 0.375]),
                                     method="nearest"),
                                  _v(normal(rng, (3, 5)), np.array([0.2, 0.5]), axis=1,
                                     method="midpoint", keepdims=True),
                                  _v(with_nan(rng, (3, 4)), 0.5, axis=1)],
                     grad=lambda rng: _v(normal(rng, (4, 5)), np.array([0.1, 0.6]), axis=1)),
    "nanquantile": Case(lambda rng: [_v(with_nan(rng, (3, 5)), 0.3, axis=1),
                                     _v(with_nan(rng, (4, 3)), np.array([0.0, 0.7, 1.0]))],
                        grad=lambda rng: _v(with_nan(rng, (4, 5)), 0.3, axis=0)),
    "percentile": Case(lambda rng: [_v(normal(rng, (3, 5)), 30.0, axis=1),
                                    _v(normal(rng, (6,)), np.array([10.0, 50.0, 95.0]))],
                       grad=lambda rng: _v(normal(rng, (6,)), 35.0)),
    "nanpercentile": Case(lambda rng: [_v(with_nan(rng, (3, 5)), 30.0, axis=1)]),
    "average": Case(lambda rng: [_v(normal(rng, (3, 4))), _v(normal(rng, (3, 4)), axis=1),
                                 _v(normal(rng, (3, 4)), 0, rng.random(3) + 0.1),
                                 _v(normal(rng, (3, 4)), None, rng.random((3, 4)) + 0.1,
                                    True),
                                 _v(ties(rng, (3, 4)), 1, rng.random(4) + 0.1, True)],
                    grad=lambda rng: _v(normal(rng, (3, 4)), 1, rng.random(4) + 0.1)),
    "cov": Case(lambda rng: [_v(normal(rng, (3, 6))), _v(normal(rng, (6, 2)), rowvar=False),
                             _v(normal(rng, (7,)), normal(rng, (7,))),
                             _v(normal(rng, (2, 5)), bias=True),
                             _v(normal(rng, (3, 5)), ddof=2),
                             _v(normal(rng, (3, 5)), fweights=ties(rng, (5,)) + 1),
                             _v(normal(rng, (3, 5)), aweights=rng.random(5)),
                             _v(normal(rng, (2, 5)), fweights=ties(rng, (5,)) + 1,
                                aweights=rng.random(5), ddof=1)],
                grad=lambda rng: _v(normal(rng, (3, 6)))),
    "corrcoef": Case(lambda rng: [_v(normal(rng, (3, 6))),
                                  _v(normal(rng, (6, 2)), rowvar=False),
                                  _v(normal(rng, (5,)), normal(rng, (5,)))],
                     grad=lambda rng: _v(normal(rng, (3, 6)))),
    # counting
    "bincount": Case(lambda rng: [_v(ties(rng, (9,), hi=5)),
                                  _v(ties(rng, (9,), hi=5), normal(rng, (9,)), 7),
                                  _v(ties(rng, (0,)), minlength=3)],
                     ref=_bincount_ref, jit_kwargs={"length": 8}),
    "digitize": Case(lambda rng: [_v(normal(rng, (3, 4)), np.array([-1.0, 0.0, 0.5, 1.0])),
                                  _v(normal(rng, (5,)), np.array([1.0, 0.0, -1.0])),
                                  _v(np.array([0.0, 1.0, 2.5]), np.array([0.0, 1.0, 2.0]),
                                     True),
                                  _v(np.array([0.0, 1.0, 2.5]), np.array([2.0, 1.0, 0.0]),
                                     True)]),
    "histogram": Case(lambda rng: [_v(normal(rng, (20,))), _v(normal(rng, (4, 5)), 4),
                                   _v(normal(rng, (20,)), np.array([-2.0, -0.5, 0.0, 3.0])),
                                   _v(normal(rng, (20,)), 5, (-1.0, 1.0)),
                                   _v(normal(rng, (20,)), 3, weights=rng.random(20)),
                                   _v(normal(rng, (20,)), 3, density=True),
                                   _v(np.full(4, 2.0), 3)]),
}

IMPLEMENTED = sorted(CASES)


# ---- comparison helpers ----------------------------------------------------------------

def _leaves(out):
    return [np.asarray(o) for o in out] if isinstance(out, (tuple, list)) else [np.asarray(out)]


def assert_same(actual, expected, rtol=1e-9, atol=1e-12):
    actual, expected = _leaves(actual), _leaves(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape, (a.shape, e.shape)
        if a.dtype.kind in "biu" and e.dtype.kind in "biu":
            np.testing.assert_array_equal(a, e)
        else:
            tol = 2e-5 if np.float32 in (a.dtype, e.dtype) else rtol
            np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=tol,
                                       atol=max(atol, tol), equal_nan=True)


def _call(name, args, kwargs):
    return getattr(fnp, name)(*args, **kwargs)


def _check_values(name, seed):
    case = CASES[name]
    rng = np.random.default_rng(seed)
    ref = case.ref or getattr(np, name)
    for args, kwargs in case.variants(rng):
        ours = _call(name, args, kwargs)
        if case.compare is not None:
            case.compare(ours, *args, **kwargs)
        else:
            with np.errstate(all="ignore"):
                expected = ref(*args, **kwargs)
            assert_same(ours, expected, rtol=1e-6)


# ---- the four checks, over the table ---------------------------------------------------------

@pytest.mark.parametrize("name", IMPLEMENTED)
def test_values_against_numpy(name):
    _check_values(name, 0)


@pytest.mark.slow
@pytest.mark.parametrize("name", IMPLEMENTED)
@pytest.mark.parametrize("seed", range(1, 9))
def test_values_against_numpy_sweep(name, seed):
    _check_values(name, seed)


DIFFERENTIABLE = sorted(n for n, c in CASES.items() if c.grad is not None)
# read by tests/test_numpy_surface.py: integer-valued results (indices, counts, sets)
NOT_DIFFERENTIABLE = set(IMPLEMENTED) - set(DIFFERENTIABLE)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_check_grads(name):
    args, kwargs = CASES[name].grad(np.random.default_rng(0))
    x, rest = args[0], args[1:]
    check_grads(lambda x: _call(name, (x,) + rest, kwargs), (x,), order=1,
                modes=("fwd", "rev"))


def _batch(rng, x, n=3):
    """``n`` arrays like ``x`` (its entries permuted), stacked along a new leading axis."""
    x = np.asarray(x)
    return np.stack([x] + [rng.permutation(x.ravel()).reshape(x.shape) for _ in range(n - 1)])


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_vmap_matches_loop(name):
    case = CASES[name]
    rng = np.random.default_rng(1)
    args, kwargs = case.variants(rng)[0]
    kwargs = {**kwargs, **case.jit_kwargs}
    i = case.vmap_arg
    xs = _batch(rng, args[i])

    def f(x):
        return _call(name, args[:i] + (x,) + args[i + 1:], kwargs)
    out = fl.vmap(f)(xs)
    loop = [_leaves(f(x)) for x in xs]
    expected = [np.stack([leaves[k] for leaves in loop]) for k in range(len(loop[0]))]
    assert_same(out, expected)


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_jit_matches_eager(name):
    case = CASES[name]
    for args, kwargs in case.variants(np.random.default_rng(2))[:2]:
        kwargs = {**kwargs, **case.jit_kwargs}
        # arrays are traced; Python values (axes, methods, ranges) stay static
        traced = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]

        def f(*xs, args=args, kwargs=kwargs, traced=traced):
            full = list(args)
            for i, x in zip(traced, xs):
                full[i] = x
            return _call(name, tuple(full), kwargs)
        assert_same(fl.jit(f)(*[args[i] for i in traced]), f(*[args[i] for i in traced]))


# ---- static sizes ----------------------------------------------------------------------

SIZED = sorted(n for n, c in CASES.items() if c.jit_kwargs)


@pytest.mark.parametrize("name", SIZED)
def test_data_dependent_size_under_jit_asks_for_it(name):
    case = CASES[name]
    args, kwargs = case.variants(np.random.default_rng(3))[0]
    arg = next(iter(case.jit_kwargs))
    with pytest.raises(ConcretizationError, match=rf"{name}.*{arg}="):
        fl.jit(lambda *a: _call(name, a, kwargs))(*args)
    with pytest.raises(ConcretizationError, match=rf"{name}.*{arg}="):
        fl.vmap(lambda x: _call(name, (x,) + args[1:], kwargs))(_batch(
            np.random.default_rng(0), args[0]))


def test_size_pads_with_fill_value_and_truncates():
    x = np.array([3, 1, 3, 2, 7, 1])
    values, index, counts = fnp.unique(x, return_index=True, return_counts=True, size=6,
                                       fill_value=-1)
    assert np.asarray(values).tolist() == [1, 2, 3, 7, -1, -1]
    assert np.asarray(index).tolist() == [1, 3, 0, 4, 1, 1]       # padding: perm[0]
    assert np.asarray(counts).tolist() == [2, 1, 2, 1, 0, 0]
    assert np.asarray(fnp.unique(x, size=2)).tolist() == [1, 2]
    assert np.asarray(fnp.unique(x, size=5)).tolist() == [1, 2, 3, 7, 1]   # default: min
    rows, cols = fnp.nonzero(np.array([[0, 5], [6, 7]]), size=5, fill_value=(-1, -2))
    assert np.asarray(rows).tolist() == [0, 1, 1, -1, -1]
    assert np.asarray(cols).tolist() == [1, 0, 1, -2, -2]
    assert np.asarray(fnp.flatnonzero(np.array([0, 5, 6, 7]), size=2)).tolist() == [1, 2]
    assert np.asarray(fnp.bincount(np.array([0, 4, 1]), length=3)).tolist() == [1, 1, 0]


def test_unique_along_an_axis_pads_rows_under_jit():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    f = fl.jit(lambda x: fnp.unique(x, axis=0, return_inverse=True, size=4, fill_value=-1.0))
    values, inverse = f(x)
    np.testing.assert_array_equal(values, [[0, 0], [0, 1], [1, 0], [-1, -1]])
    np.testing.assert_array_equal(np.asarray(values)[np.asarray(inverse)], x)
    xs = np.stack([x.T, x.T[::-1]])
    batched = fl.vmap(lambda x: fnp.unique(x, axis=1, size=3))(xs)
    for got, one in zip(batched, xs):
        np.testing.assert_array_equal(got, np.unique(one, axis=1))


def test_unique_inverse_rebuilds_input_under_jit():
    x = np.random.default_rng(4).integers(0, 5, (4, 6))
    values, inverse = fl.jit(lambda x: fnp.unique(x, return_inverse=True, size=x.size))(x)
    np.testing.assert_array_equal(np.asarray(values)[np.asarray(inverse)], x)


def test_descending_sort_is_stable_and_puts_nan_first():
    x = np.array([1.0, np.nan, 2.0, 1.0, 2.0])
    assert np.asarray(fnp.argsort(x, descending=True)).tolist() == [1, 2, 4, 0, 3]
    np.testing.assert_array_equal(fnp.sort(x, descending=True), [np.nan, 2, 2, 1, 1])


def test_all_nan_slices():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    assert np.asarray(fnp.nanargmax(x, axis=1)).tolist() == [-1, 0]
    np.testing.assert_array_equal(fnp.nanmax(x, axis=1), [np.nan, 1.0])
    np.testing.assert_array_equal(fnp.nanmedian(x, axis=1), [np.nan, 1.0])


def test_bad_input_errors_name_the_function():
    with pytest.raises(ValueError, match="bincount: x must be non-negative"):
        fnp.bincount(np.array([1, -1]))
    with pytest.raises(ValueError, match="quantile: method"):
        fnp.quantile(np.ones(3), 0.5, method="bogus")
    with pytest.raises(ValueError, match="searchsorted: a must be 1-d"):
        fnp.searchsorted(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="partition: kth"):
        fnp.partition(np.ones(3), 5)
    with pytest.raises(TypeError, match="average: axis must be given"):
        fnp.average(np.ones((2, 3)), weights=np.ones(3))
    with pytest.raises(ValueError, match="unique: axis 2 is out of bounds"):
        fnp.unique(np.ones((2, 2)), axis=2)


def test_grad_of_order_statistics_matches_the_selected_entries():
    x = np.array([4.0, 1.0, 3.0, 2.0])
    np.testing.assert_allclose(fl.grad(fnp.median)(x), [0, 0, 0.5, 0.5])
    g = fl.grad(lambda x: fnp.sort(x)[-1] - 2 * fnp.sort(x, descending=True)[-1])(x)
    np.testing.assert_allclose(g, [1, -2, 0, 0])
    assert math.isclose(float(fl.grad(lambda q: fnp.quantile(x, q))(0.5)), 3.0 * 1.0)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_jit_and_vmap_of_grad_match_eager_grad(name):
    args, kwargs = CASES[name].grad(np.random.default_rng(5))
    x, rest = args[0], args[1:]

    def loss(x):
        return fnp.sum(fnp.sin(_call(name, (x,) + rest, kwargs)))
    g = fl.grad(loss)
    assert_same(fl.jit(g)(x), g(x))
    xs = _batch(np.random.default_rng(6), x)
    assert_same(fl.vmap(g)(xs), np.stack([np.asarray(g(xi)) for xi in xs]))
