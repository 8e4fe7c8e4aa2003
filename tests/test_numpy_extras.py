"""The rest of NumPy's main namespace in functorch_lite.numpy (``_extras_*``,
``_windows``, ``_polynomial``, ``_vectorize``) against NumPy, with every transform:
values on random inputs; ``check_grads`` for the differentiable ones; ``vmap`` against
a Python loop; ``jit`` against eager.  Plus the bookkeeping of the names deliberately
left out (``functorch_lite.numpy._omitted``).

``CASES`` (tests/numpy_extras_cases.py) maps each implemented name to its variants.
``static=True`` marks functions that answer with Python values (type predicates):
inside ``vmap``/``jit`` they must give the same answer on tracers.  ``traced='raises'`` marks eager-only
variants (the result's shape depends on the values): under ``vmap``/``jit`` they must
raise a ``ConcretizationError`` naming the function.
"""
import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import numpy as fnp
from functorch_lite.numpy import (_extras_index, _extras_logic, _extras_math, _extras_shape,
                                  _polynomial, _vectorize, _windows)
from functorch_lite.numpy._omitted import OMITTED
from transforms.errors import ConcretizationError
from transforms.pytree import tree_map

from numpy_extras_cases import CASES, canonical_roots
from table_harness import (assert_tree_close, case_args, case_params, check_grads_in,
                           stack_trees)

pytestmark = [pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")]

IMPLEMENTED = sorted(CASES)
# the modules whose public functions (``__all__``) this table must cover
MODULES = (_extras_shape, _extras_index, _extras_math, _extras_logic, _windows, _polynomial,
           _vectorize)


def _reference(name, case, arrays):
    if case.numpy is not None:
        return case.numpy(*arrays, **case.kwargs)
    return getattr(np, name)(*arrays, **case.kwargs)


def _call(name, case):
    fn = getattr(fnp, name) if case.call is None else case.call
    return lambda *a: fn(*a, **case.kwargs)


def _assert_tree_close(got, want, tol=1e-6):
    assert_tree_close(got, want, rtol=tol, atol=tol * 1e-2)


PARAMS = case_params(CASES)


def _check_values(name, i, seeds):
    case = CASES[name][i]
    for seed in seeds:
        arrays = case_args(case, seed)
        got, want = _call(name, case)(*arrays), _reference(name, case, arrays)
        if case.static:
            assert got == want
        else:
            _assert_tree_close(got, want, case.tol)


@pytest.mark.parametrize("name,i", PARAMS)
def test_values_match_numpy(name, i):
    _check_values(name, i, range(2))


def _float_argnums(case, arrays):
    if case.diff_argnums is not None:
        return case.diff_argnums
    return tuple(k for k, a in enumerate(arrays) if np.asarray(a).dtype == np.float64)


def _grad_params():
    out = []
    for p in PARAMS:
        case = CASES[p.values[0]][p.values[1]]
        if case.differentiable and not case.static and _float_argnums(case, case_args(case, 0)):
            out.append(p)
    return out


# Names none of whose variants is differentiable (integer, boolean, index or Python
# results, or declared ``differentiable=False`` in every variant): tests/test_numpy_surface.py
# reads this.
NOT_DIFFERENTIABLE = set(IMPLEMENTED) - {p.values[0] for p in _grad_params()}


@pytest.mark.parametrize("name,i", _grad_params())
def test_grads(name, i):
    case = CASES[name][i]
    arrays = case_args(case, 0)
    argnums = _float_argnums(case, arrays)
    check_grads_in(_call(name, case), arrays, argnums, order=1, modes=("fwd", "rev"))


def _under_transform(transform, fn, arrays):
    """``fn(*arrays)`` called on tracers of ``transform``; returns what ``fn`` returned
    (the Python value of a static predicate)."""
    seen = []

    def traced(*xs):
        seen.append(fn(*xs[1:]))
        return xs[0]
    transform(traced)(np.arange(3.0) if transform is fl.vmap else np.float64(0), *arrays)
    return seen[0]


@pytest.mark.parametrize("name,i", PARAMS)
def test_vmap_matches_loop(name, i):
    case = CASES[name][i]
    fn = _call(name, case)
    if case.static or case.traced == "raises":
        arrays = case_args(case, 0)
        mapped = lambda *xs: fn(*xs)
        if case.traced == "raises":
            with pytest.raises(ConcretizationError, match=name):
                fl.vmap(mapped)(*stack_trees([arrays, arrays]))
            return
        eager = fn(*arrays)
        got = _under_transform(fl.vmap, fn, stack_trees([arrays] * 3) if arrays else ())
        assert got == eager
        return
    samples = [case_args(case, seed) for seed in range(3)]
    if not samples[0]:
        # nothing to map over: called inside vmap, the result must not depend on it
        got = fl.vmap(lambda s: (fn(), s))(np.arange(3.0))[0]
        want = stack_trees([tree_map(np.asarray, fn()) for _ in range(3)])
        _assert_tree_close(got, want, case.tol)
        return
    got = fl.vmap(fn)(*stack_trees(samples))
    want = stack_trees([tree_map(np.asarray, fn(*s)) for s in samples])
    _assert_tree_close(got, want, case.tol)


@pytest.mark.parametrize("name,i", PARAMS)
def test_jit_matches_eager(name, i):
    case = CASES[name][i]
    arrays = case_args(case, 1)
    fn = _call(name, case)
    if case.traced == "raises":
        with pytest.raises(ConcretizationError, match=name):
            fl.jit(fn)(*arrays)
        return
    if case.static:
        assert _under_transform(fl.jit, fn, arrays) == fn(*arrays)
        return
    _assert_tree_close(fl.jit(fn)(*arrays), tree_map(np.asarray, fn(*arrays)), case.tol)


# ---- the names deliberately left out --------------------------------------------------------

# Array API names another change is adding at the same time; never listed as omitted.
PENDING = {"acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_invert",
           "bitwise_left_shift", "bitwise_right_shift", "concat", "permute_dims", "pow",
           "matrix_transpose", "vecdot", "unique_all", "unique_counts", "unique_inverse",
           "unique_values", "isdtype", "unstack", "cumulative_sum", "cumulative_prod", "bool",
           "can_cast"}


def test_every_numpy_name_is_provided_or_omitted_with_a_reason():
    public = {n for n in dir(np) if not n.startswith("_")}
    unaccounted = sorted(n for n in public - PENDING
                         if n not in OMITTED and not hasattr(fnp, n))
    assert not unaccounted, f"neither in functorch_lite.numpy nor in OMITTED: {unaccounted}"


def test_omitted_names_are_not_provided_and_have_reasons():
    provided = sorted(n for n in OMITTED if n in vars(fnp))
    assert not provided, f"listed in OMITTED but provided: {provided}"
    assert not set(OMITTED) & PENDING
    for name, reason in OMITTED.items():
        assert isinstance(reason, str) and len(reason) > 10, name


def test_an_omitted_name_raises_with_its_reason():
    with pytest.raises(AttributeError, match="does not provide 'savez'.*file I/O"):
        fnp.savez
    with pytest.raises(AttributeError, match="does not provide 'errstate'"):
        getattr(fnp, "errstate")
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        fnp.no_such_name
    assert not hasattr(fnp, "matrix")


# ---- specific behaviour -------------------------------------------------------------------

def test_in_place_writers_are_functional():
    a = np.zeros((3, 3))
    out = fnp.fill_diagonal(a, 1.0)
    np.testing.assert_array_equal(out, np.eye(3))
    assert not a.any()                                   # the input is untouched
    for call in (lambda: fnp.fill_diagonal(a, 1.0, inplace=True),
                 lambda: fnp.put(a, [0], 1.0, inplace=True),
                 lambda: fnp.place(a, a > 0, [1.0], inplace=True),
                 lambda: fnp.put_along_axis(a, np.zeros((3, 1), int), 1.0, 1, inplace=True)):
        with pytest.raises(ValueError, match="inplace=True is not supported"):
            call()


def test_eager_only_functions_name_themselves_under_jit():
    x = np.array([0.0, 1.0, 2.0, 0.0])
    with pytest.raises(ConcretizationError, match="trim_zeros: filt must be concrete"):
        fl.jit(fnp.trim_zeros)(x)
    with pytest.raises(ConcretizationError, match="setxor1d.*size="):
        fl.jit(fnp.setxor1d)(x, x)
    with pytest.raises(ConcretizationError, match="mask_indices|nonzero"):
        fl.jit(lambda: fnp.mask_indices(3, fnp.triu))()
    np.testing.assert_array_equal(fnp.mask_indices(3, fnp.triu)[1], np.mask_indices(3, np.triu)[1])


def test_trim_zeros_is_differentiable_eagerly():
    x = np.array([0.0, 0.0, 1.5, -2.0, 0.0])
    g = fl.grad(lambda v: fnp.sum(fnp.trim_zeros(v) ** 2))(x)
    np.testing.assert_allclose(g, [0.0, 0.0, 3.0, -4.0, 0.0])


def test_delete_with_a_traced_index_under_jit_and_vmap():
    x = np.arange(5.0)
    f = fl.jit(lambda a, i: fnp.delete(a, i))
    for i in range(-5, 5):
        np.testing.assert_array_equal(f(x, np.int32(i)), np.delete(x, i))
    got = fl.vmap(lambda i: fnp.delete(x, i))(np.array([0, 4], np.int32))
    np.testing.assert_array_equal(got, [np.delete(x, 0), np.delete(x, 4)])


def test_compress_and_extract_pad_to_size_under_jit():
    cond = np.array([False, True, True, False])
    f = fl.jit(lambda c, a: fnp.compress(c, a, size=3, fill_value=-1.0))
    np.testing.assert_array_equal(f(cond, np.arange(4.0)), [1.0, 2.0, -1.0])
    g = fl.jit(lambda c, a: fnp.extract(c, a, size=1))
    np.testing.assert_array_equal(g(cond, np.arange(4.0)), [1.0])


def test_isscalar_counts_zero_d_arrays_as_in_jax():
    assert fnp.isscalar(fnp.asarray(1.0)) and not fnp.isscalar(fnp.asarray([1.0]))
    assert fnp.isscalar(np.float32(1)) and not fnp.isscalar([1.0]) and not fnp.isscalar(None)


def test_vectorize_under_grad_and_jit():
    f = fnp.vectorize(lambda x, y: fnp.sin(x) * y)
    x, y = np.linspace(0, 1, 4), np.array([2.0])
    g = fl.jit(fl.grad(lambda a: fnp.sum(f(a, y))))(x)
    np.testing.assert_allclose(g, 2.0 * np.cos(x), rtol=1e-12)
    norm = fnp.vectorize(lambda v: fnp.sqrt(fnp.sum(v * v)), signature="(n)->()")
    assert norm(np.ones((2, 3, 4))).shape == (2, 3)
    assert fnp.vectorize(lambda a: a + 1)(2.0) == 3.0        # scalars: no batching needed

    @fnp.vectorize(signature="(n)->(n)")
    def centred(v):
        return v - fnp.mean(v)
    np.testing.assert_allclose(centred(np.arange(6.0).reshape(2, 3)), [[-1, 0, 1]] * 2)


@pytest.mark.parametrize("call, error, match", [
    (lambda: fnp.vectorize(lambda v: v, signature="(n->()")(np.ones(3)), ValueError,
     "signature"),
    (lambda: fnp.vectorize(lambda u, v: u, signature="(n),(n)->()")(np.ones(3)), TypeError,
     "2 inputs"),
    (lambda: fnp.vectorize(lambda u, v: u @ v, signature="(n),(n)->()")(np.ones(3), np.ones(4)),
     ValueError, "core dimension 'n'"),
    (lambda: fnp.vectorize(lambda v: v, signature="(n)->()")(np.ones(3)), ValueError,
     "core shape"),
    (lambda: fnp.vsplit(np.ones(4), 2), ValueError, "vsplit: only works on arrays of 2"),
    (lambda: fnp.hsplit(np.ones((2, 5)), 2), ValueError, "hsplit: array split"),
    (lambda: fnp.fliplr(np.ones(3)), ValueError, "fliplr: input must be at least 2-d"),
    (lambda: fnp.delete(np.ones(3), 5), IndexError, "delete: index 5 is out of bounds"),
    (lambda: fnp.insert(np.ones(3), 7, 1.0), IndexError, "insert: index"),
    (lambda: fnp.block([[np.ones(2)], np.ones(2)]), ValueError, "block: list depths"),
    (lambda: fnp.resize(np.ones(2), (-1, 2)), ValueError, "resize: all elements"),
    (lambda: fnp.trim_zeros(np.ones(3), "x"), ValueError, "trim_zeros: trim"),
    (lambda: fnp.fill_diagonal(np.ones((2, 3, 2)), 1.0), ValueError, "fill_diagonal: all"),
    (lambda: fnp.put(np.ones(3), [5], 1.0), IndexError, "put: index 5"),
    (lambda: fnp.choose(np.array([0, 3]), [np.ones(2), np.ones(2)]), ValueError,
     "choose: invalid entry"),
    (lambda: fnp.choose(np.array([0.5]), [np.ones(1)]), TypeError, "choose: a must be integers"),
    (lambda: fnp.compress(np.ones((2, 2), bool), np.ones(2)), ValueError,
     "compress: condition must be 1-d"),
    (lambda: fnp.gcd(np.ones(2), np.ones(2)), TypeError, "gcd: arguments must be integers"),
    (lambda: fnp.bitwise_count(np.ones(2)), TypeError, "bitwise_count: input must be integers"),
    (lambda: fnp.unpackbits(np.ones(2, np.int32)), TypeError, "unpackbits: input must be uint8"),
    (lambda: fnp.packbits(np.ones(2, np.uint8), bitorder="middle"), ValueError, "bitorder"),
    (lambda: fnp.isposinf(np.ones(2, complex)), TypeError, "isposinf: this operation"),
    (lambda: fnp.frexp(np.ones(2, complex)), TypeError, "frexp: complex input"),
    (lambda: fnp.ldexp(np.ones(2), np.ones(2)), TypeError, "ldexp: x2 must be integers"),
    (lambda: fnp.geomspace(0.0, 1.0, 3), ValueError, "geomspace: geometric sequence cannot"),
    (lambda: fnp.geomspace(-1.0, 1.0, 3), ValueError, "geomspace: start and stop"),
    (lambda: fnp.histogram_bin_edges(np.ones(3), bins="auto"), ValueError,
     "histogram_bin_edges: bins='auto'"),
    (lambda: fnp.histogramdd(np.ones((4, 2)), bins=[2, 3, 4]), ValueError,
     "histogramdd: bins must have one entry per dimension"),
    (lambda: fnp.poly(np.ones((2, 3))), ValueError, "poly: input must be 1-d roots"),
    (lambda: fnp.polyder(np.ones(3), -1), ValueError, "polyder: order"),
    (lambda: fnp.polyint(np.ones(3), 2, k=[1.0, 2.0, 3.0]), ValueError, "polyint: k must"),
    (lambda: fnp.polyfit(np.ones(3), np.ones(4), 1), ValueError, "polyfit: x must be 1-d"),
    (lambda: fnp.polydiv(np.ones(3), np.ones(0)), ValueError, "polydiv: the divisor"),
    (lambda: fnp.diag_indices_from(np.ones((2, 3))), ValueError, "diag_indices_from: all"),
    (lambda: fnp.tril_indices_from(np.ones(3)), ValueError, "tril_indices_from: input array"),
    (lambda: fnp.ix_(np.ones((2, 2), int)), ValueError, "ix_: cross index must be 1-d"),
    (lambda: fnp.ix_(np.ones(2)), TypeError, "ix_: cross index must be integers"),
    (lambda: fnp.r_["r", np.ones(2)], ValueError, "r_: the matrix directives"),
    (lambda: fnp.mgrid[0], TypeError, "mgrid: indices must be slices"),
    (lambda: fnp.fromstring("1 2"), TypeError, "sep"),
    (lambda: fnp.apply_over_axes(lambda a, ax: a[0, 0], np.ones((2, 2)), [0]), ValueError,
     "apply_over_axes: function is not returning"),
    (lambda: fnp.matvec(np.ones(3), np.ones(3)), ValueError, "matvec: needs a matrix"),
])
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_ix_with_a_boolean_mask_and_bool_results():
    rows, cols = fnp.ix_(np.array([True, False, True]), np.array([1, 0]))
    want = np.ix_(np.array([True, False, True]), np.array([1, 0]))
    np.testing.assert_array_equal(rows, want[0])
    np.testing.assert_array_equal(cols, want[1])


def test_roots_converge_for_wider_degrees():
    rng = np.random.default_rng(5)
    for degree in (1, 2, 7, 10, 20):
        p = rng.standard_normal(degree + 1)
        np.testing.assert_allclose(np.asarray(canonical_roots(fnp.roots(p), fnp)),
                                   canonical_roots(np.roots(p), np), rtol=1e-7, atol=1e-8)


def test_i0_is_accurate_across_the_series_switch():
    x = np.concatenate([np.linspace(-40, 40, 801), [700.0]])
    np.testing.assert_allclose(np.asarray(fnp.i0(x)), np.i0(x), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(fnp.i0(x.astype(np.float32)))[:-1],
                               np.i0(x)[:-1], rtol=2e-6)


@pytest.mark.parametrize("dtype, powers", [(np.float64, (-300, 300)), (np.float32, (-44, 38))])
def test_frexp_is_exact_and_ldexp_inverts_it(dtype, powers):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(200) * 10.0 ** rng.integers(*powers, 200)
    info = np.finfo(dtype)
    edges = np.ldexp(1.0, np.arange(info.minexp - info.nmant, info.maxexp, 5))   # powers of 2
    x = np.concatenate([x, edges, -edges]).astype(dtype)
    want_m, want_e = np.frexp(x)
    for frexp in (fnp.frexp, fl.jit(fnp.frexp)):      # the compiled log2 too
        m, e = frexp(x)
        np.testing.assert_array_equal(np.asarray(m), want_m)
        np.testing.assert_array_equal(np.asarray(e), want_e)
    np.testing.assert_array_equal(np.asarray(fl.jit(fnp.ldexp)(want_m, want_e)), x)


def test_dtype_names_follow_numpy_2():
    from functorch_lite.numpy import _extras_names
    for name in _extras_names.__all__:
        assert getattr(fnp, name) is getattr(np, name), name
    assert fnp.asarray([1, 2], dtype=fnp.single).dtype == np.float32
    assert fnp.asarray([1, 2], dtype=fnp.double).dtype == np.float64
    assert fnp.issubdtype(fnp.asarray([1.0]), fnp.inexact)
    assert not fnp.issubdtype(fnp.int32, fnp.floating)
    assert not hasattr(fnp, "float_") and not hasattr(fnp, "complex_")   # gone in NumPy 2


def test_print_options_apply_to_arrays():
    x = fnp.asarray([1.23456789])
    with fnp.printoptions(precision=2):
        assert "1.23" in repr(x) and "1.2346" not in repr(x)
        assert fnp.get_printoptions()["precision"] == 2
    assert fnp.get_printoptions()["precision"] == np.get_printoptions()["precision"]


@pytest.mark.slow
@pytest.mark.parametrize("name,i", PARAMS)
def test_values_match_numpy_many_seeds(name, i):
    _check_values(name, i, range(2, 12))


# ---- shapes and axes drawn by hypothesis ----------------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402

SHAPES = st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def array_and_axis(draw, dtype=np.float64):
    shape = draw(SHAPES)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    seed = draw(st.integers(0, 2 ** 16))
    x = np.random.default_rng(seed).standard_normal(shape)
    return (x if dtype == np.float64 else (x > 0).astype(dtype)), axis, seed


def _both(fn, np_fn, *args):
    """``fn`` eagerly and under jit, against NumPy's ``np_fn``."""
    want = np_fn(*args)
    _assert_tree_close(fn(*args), want, 1e-12)
    _assert_tree_close(fl.jit(fn)(*args), want, 1e-12)


@given(array_and_axis(), st.data())
def test_shape_functions_on_drawn_shapes(case, data):
    x, axis, seed = case
    n = x.shape[axis]
    rng = np.random.default_rng(seed)
    obj = sorted(rng.integers(-n, n, data.draw(st.integers(0, 3))).tolist()) if n else []
    _both(lambda a: fnp.delete(a, obj, axis), lambda a: np.delete(a, obj, axis), x)
    where = data.draw(st.integers(-n, n))
    _both(lambda a: fnp.insert(a, where, 1.5, axis), lambda a: np.insert(a, where, 1.5, axis), x)
    _both(lambda a: fnp.insert(a, [where, 0], 2.5, axis),
          lambda a: np.insert(a, [where, 0], 2.5, axis), x)
    _both(lambda a: fnp.append(a, a, axis), lambda a: np.append(a, a, axis), x)
    start = data.draw(st.integers(-x.ndim, x.ndim))
    _both(lambda a: fnp.rollaxis(a, axis, start), lambda a: np.rollaxis(a, axis, start), x)
    new_shape = data.draw(SHAPES)
    _both(lambda a: fnp.resize(a, new_shape), lambda a: np.resize(a, new_shape), x)
    _both(lambda a: fnp.ediff1d(a), np.ediff1d, x)
    _both(lambda a: fnp.nancumsum(a, axis), lambda a: np.nancumsum(a, axis), x)
    _both(lambda a: fnp.unwrap(a * 4, axis=axis), lambda a: np.unwrap(a * 4, axis=axis), x)


@given(array_and_axis(np.uint8), st.sampled_from(["big", "little"]), st.integers(-9, 20))
def test_bit_packing_on_drawn_shapes(case, bitorder, count):
    bits, axis, _ = case
    _both(lambda b: fnp.packbits(b, axis, bitorder), lambda b: np.packbits(b, axis,
                                                                              bitorder), bits)
    packed = np.packbits(bits, axis, bitorder)
    n = packed.shape[axis] * 8
    if count < -n:
        with pytest.raises(ValueError, match="unpackbits: -count larger"):
            fnp.unpackbits(packed, axis, count, bitorder)
    elif n == 0:      # NumPy pads an empty input with uninitialized memory: expect zeros
        want_shape = packed.shape[:axis % packed.ndim] + (max(count, 0),) + \
            packed.shape[axis % packed.ndim + 1:]
        _both(lambda p: fnp.unpackbits(p, axis, count, bitorder),
              lambda p: np.zeros(want_shape, np.uint8), packed)
    else:
        _both(lambda p: fnp.unpackbits(p, axis, count, bitorder),
              lambda p: np.unpackbits(p, axis, count, bitorder), packed)
    _both(lambda p: fnp.bitwise_count(p), np.bitwise_count, packed)
