"""Derivatives of the reductions, scans, sort, contractions and windowed reductions:
finite differences (forward) and the inner-product identity (reverse) to second order,
plus deterministic tie, zero-safety, staging and rule-coverage tests."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import transforms.ad_reductions  # noqa: F401  (registers the rules under test)
import transforms.ad_structural  # noqa: F401  (pad, gather, ... used by these rules)
from functorch_lite import numpy as fnp
from functorch_lite.test_util import check_grads
from transforms.core import bind
from transforms.jvp import jvp_rules
from transforms.linearize import UndefinedPrimal, transpose_rules
from xla_like import primitives as P
from xla_like import typecheck
from xla_like.primitives import contractions, reductions, windows
from xla_like.primitives.shape_rules import windowed_sizes

MODES = ("fwd", "rev")


def _prim_fn(prim, **params):
    """``prim`` as a function of NumPy operands (float64 stays float64)."""
    return lambda *xs: bind(prim, *[fnp.asarray(x) for x in xs], **params)


def _floats(shape, lo=-2.0, hi=2.0):
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi))


def _distinct(data, shape):
    """A random permutation of well-separated values: no ties, so max/min/sort are
    smooth at the point and finite differences are valid."""
    n = int(np.prod(shape, dtype=np.int64))
    order = np.array(data.draw(st.permutations(range(n))), dtype=np.float64)
    return ((order - n / 2) * 0.37 + 0.05).reshape(shape)


def _axes(data, ndim):
    return tuple(sorted(data.draw(st.sets(st.integers(0, ndim - 1), max_size=ndim))
                        if ndim else ()))


def _finite_part(f):
    """``f`` with infinite results (windows wholly in padding) replaced by 0."""
    def g(*xs):
        out = f(*xs)
        return fnp.where(fnp.isfinite(out), out, 0.0)
    return g


# ---- reductions and scans ------------------------------------------------------------------

@pytest.mark.parametrize("prim", [P.reduce_sum_p, P.reduce_prod_p], ids=lambda p: p.name)
@given(data=st.data())
def test_reduce_sum_and_prod(prim, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    x = data.draw(_floats(shape))           # zeros are common: the prod rule is zero-safe
    axes = _axes(data, len(shape))
    check_grads(_prim_fn(prim, axes=axes), (x,), order=2, modes=MODES)


@pytest.mark.parametrize("prim", [P.reduce_max_p, P.reduce_min_p], ids=lambda p: p.name)
@given(data=st.data())
def test_reduce_max_and_min(prim, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    axes = _axes(data, len(shape))
    check_grads(_prim_fn(prim, axes=axes), (_distinct(data, shape),), order=2, modes=MODES)


@pytest.mark.parametrize("prim", [P.cumsum_p, P.cumprod_p, P.cummax_p, P.cummin_p],
                         ids=lambda p: p.name)
@given(data=st.data())
def test_cumulative(prim, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=5))
    axis = data.draw(st.integers(0, len(shape) - 1))
    reverse = data.draw(st.booleans())
    x = (_distinct(data, shape) if prim in (P.cummax_p, P.cummin_p)
         else data.draw(_floats(shape)))
    check_grads(_prim_fn(prim, axis=axis, reverse=reverse), (x,), order=2, modes=MODES)


def test_reduce_prod_is_zero_safe():
    f = _prim_fn(P.reduce_prod_p, axes=(0,))
    np.testing.assert_allclose(np.asarray(fl.grad(f)(np.array([0.0, 2.0, 3.0]))),
                               [6.0, 0.0, 0.0])
    g = np.asarray(fl.grad(f)(np.array([0.0, 0.0, 3.0])))
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])       # no 0/0 = NaN
    second = np.array([0.0, 1.0, 0.0])
    hess_row = fl.grad(lambda x: fnp.sum(fl.grad(f)(x) * second))(np.array([0.0, 0.0, 3.0]))
    np.testing.assert_allclose(np.asarray(hess_row), [3.0, 0.0, 0.0])
    check_grads(f, (np.array([0.0, 0.0, 3.0, -1.5]),), order=2, modes=MODES)


def test_reduce_max_ties_share_evenly():
    f = _prim_fn(P.reduce_max_p, axes=(0,))
    np.testing.assert_allclose(np.asarray(fl.grad(f)(np.array([1.0, 3.0, 3.0, 2.0]))),
                               [0.0, 0.5, 0.5, 0.0])
    g = _prim_fn(P.reduce_min_p, axes=(0, 1))
    np.testing.assert_allclose(np.asarray(fl.grad(g)(np.full((2, 3), 4.0))),
                               np.full((2, 3), 1 / 6))


def test_cummax_ties_follow_the_balanced_max_rule():
    # doubling scan: y1 = max(x1, x0); y2 = max(max(x2, x1), x0); y3 = max(max(x3, x2),
    # max(x1, x0)), each max splitting its tangent in half on a tie
    want = np.array([[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0.5, 0.25, 0.25, 0],
                     [0.25, 0.25, 0.25, 0.25]])
    f = _prim_fn(P.cummax_p, axis=0, reverse=False)
    x = np.full(4, 2.0)
    jac = np.stack([np.asarray(fl.jvp(f, (x,), (e,))[1]) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(jac, want)
    g = _prim_fn(P.cummin_p, axis=0, reverse=True)
    jac = np.stack([np.asarray(fl.jvp(g, (x,), (e,))[1]) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(jac, want[::-1, ::-1])
    # a tie only with an earlier element: the tangent is split between the two
    _, t = fl.jvp(f, (np.array([1.0, 3.0, 0.0, 3.0]),), (np.array([1.0, 2.0, 4.0, 8.0]),))
    np.testing.assert_allclose(np.asarray(t), [1.0, 2.0, 2.0, 5.0])


def test_non_differentiable_reductions_have_zero_tangents():
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    for prim in (P.argmax_p, P.argmin_p):
        f = _prim_fn(prim, axis=1, index_dtype=np.dtype(np.int32))
        _, t = fl.jvp(f, (x,), (np.ones_like(x),))
        assert np.asarray(t).dtype == fl.float0 and np.asarray(t).shape == (2,)
    for prim in (P.reduce_and_p, P.reduce_or_p):
        _, t = fl.jvp(lambda v: bind(prim, fnp.asarray(v) > 0.0, axes=(0,)), (x,),
                      (np.ones_like(x),))
        assert np.asarray(t).dtype == fl.float0


# ---- sort -------------------------------------------------------------------------------

@given(data=st.data())
def test_sort_several_operands(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    n_ops = data.draw(st.integers(1, 3))
    num_keys = data.draw(st.integers(1, n_ops))
    dimension = data.draw(st.integers(0, len(shape) - 1))
    keys = [_distinct(data, shape) for _ in range(num_keys)]
    rest = [data.draw(_floats(shape)) for _ in range(n_ops - num_keys)]
    f = _prim_fn(P.sort_p, dimension=dimension, is_stable=data.draw(st.booleans()),
                 num_keys=num_keys)
    check_grads(f, tuple(keys + rest), order=2, modes=MODES)


def test_sort_tangent_is_permuted_and_int_operands_pass_through():
    keys = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]])
    labels = fnp.asarray(np.array([[0, 1, 2], [0, 1, 2]], dtype=np.int32))

    def f(k):
        out_k, out_labels = bind(P.sort_p, fnp.asarray(k), labels, dimension=1,
                                 is_stable=True, num_keys=1)
        return out_k * 2.0, out_labels
    (_, sorted_labels), (t, t_labels) = fl.jvp(f, (keys,), (keys * 10.0,))
    np.testing.assert_array_equal(np.asarray(sorted_labels), [[1, 2, 0], [2, 0, 1]])
    np.testing.assert_allclose(np.asarray(t), 20 * np.sort(keys, axis=1))
    assert np.asarray(t_labels).dtype == fl.float0


# ---- dot_general ------------------------------------------------------------------------

def _dot_problem(data):
    """Random operands and dimension numbers: batch, contracting and free dims at random
    positions, contracting dims paired in a random order."""
    nb, nc = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    nlf, nrf = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    size = st.integers(1, 3)
    batch = [data.draw(size) for _ in range(nb)]
    contract = [data.draw(size) for _ in range(nc)]
    lfree = [data.draw(size) for _ in range(nlf)]
    rfree = [data.draw(size) for _ in range(nrf)]
    lpos = data.draw(st.permutations(range(nb + nc + nlf)))
    rpos = data.draw(st.permutations(range(nb + nc + nrf)))
    lshape, rshape = [0] * len(lpos), [0] * len(rpos)
    for p, d in zip(lpos, batch + contract + lfree):
        lshape[p] = d
    for p, d in zip(rpos, batch + contract + rfree):
        rshape[p] = d
    dn = ((tuple(lpos[nb:nb + nc]), tuple(rpos[nb:nb + nc])),
          (tuple(lpos[:nb]), tuple(rpos[:nb])))
    return data.draw(_floats(tuple(lshape))), data.draw(_floats(tuple(rshape))), dn


@given(data=st.data())
def test_dot_general(data):
    lhs, rhs, dn = _dot_problem(data)
    f = _prim_fn(P.dot_general_p, dimension_numbers=dn, preferred_element_type=None)
    check_grads(f, (lhs, rhs), order=2, modes=MODES)


def test_dot_general_preferred_element_type():
    rng = np.random.default_rng(0)
    lhs = rng.standard_normal((2, 3, 4)).astype(np.float32)
    rhs = rng.standard_normal((4, 2, 5)).astype(np.float32)
    f = _prim_fn(P.dot_general_p, dimension_numbers=(((2,), (0,)), ((0,), (1,))),
                 preferred_element_type=np.dtype(np.float64))
    check_grads(f, (lhs, rhs), order=2, modes=MODES)
    g_lhs, g_rhs = fl.grad(lambda a, b: fnp.sum(f(a, b)), argnums=(0, 1))(lhs, rhs)
    assert g_lhs.dtype == np.float32 and g_rhs.dtype == np.float32
    np.testing.assert_allclose(np.asarray(g_lhs),
                               np.broadcast_to(rhs.sum(axis=2).T[:, None, :], lhs.shape),
                               rtol=1e-5)


def test_transpose_with_both_operands_linear_is_rejected():
    a = UndefinedPrimal(fnp.ones((2, 2)).aval)
    with pytest.raises(ValueError, match="dot_general"):
        transpose_rules[P.dot_general_p](fnp.ones((2, 2)), a, a,
                                         dimension_numbers=(((1,), (0,)), ((), ())),
                                         preferred_element_type=None)


# ---- conv_general_dilated ------------------------------------------------------------------

def _conv_problem(data):
    """Random 1-d or 2-d convolution: strides, asymmetric padding (cropping where the
    dilated input is long enough), lhs/rhs dilation, and feature or batch groups."""
    ns = data.draw(st.integers(1, 2))
    g, b = data.draw(st.sampled_from([(1, 1), (2, 1), (1, 2)]))
    n, i = b * data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    o = g * b * data.draw(st.integers(1, 2))
    spatial = [data.draw(st.integers(1, 5)) for _ in range(ns)]
    kernel = [data.draw(st.integers(1, 3)) for _ in range(ns)]
    lhs_dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(ns))
    crop = [-1 if (s - 1) * d + 1 >= 3 else 0 for s, d in zip(spatial, lhs_dilation)]
    params = dict(
        window_strides=tuple(data.draw(st.integers(1, 3)) for _ in range(ns)),
        padding=tuple((data.draw(st.integers(c, 2)), data.draw(st.integers(c, 2)))
                      for c in crop),
        lhs_dilation=lhs_dilation,
        rhs_dilation=tuple(data.draw(st.integers(1, 2)) for _ in range(ns)),
        feature_group_count=g, batch_group_count=b, preferred_element_type=None)
    lhs = data.draw(_floats((n, i * g) + tuple(spatial)))
    rhs = data.draw(_floats((o, i) + tuple(kernel)))
    return lhs, rhs, params


@given(data=st.data())
def test_conv_general_dilated(data):
    lhs, rhs, params = _conv_problem(data)
    check_grads(_prim_fn(P.conv_general_dilated_p, **params), (lhs, rhs), order=2,
                modes=MODES)


def test_conv_transposes_match_explicit_cases():
    # strided 1-d conv with asymmetric padding, dilations and two feature groups
    rng = np.random.default_rng(3)
    lhs, rhs = rng.standard_normal((2, 4, 7)), rng.standard_normal((4, 2, 3))
    params = dict(window_strides=(2,), padding=((2, 0),), lhs_dilation=(2,),
                  rhs_dilation=(2,), feature_group_count=2, batch_group_count=1,
                  preferred_element_type=None)
    check_grads(_prim_fn(P.conv_general_dilated_p, **params), (lhs, rhs), order=2,
                modes=MODES)
    # float32 operands accumulating in float64: cotangents come back as float32
    f = _prim_fn(P.conv_general_dilated_p, **dict(
        params, preferred_element_type=np.dtype(np.float64)))
    g = fl.grad(lambda a, b: fnp.sum(f(a, b)), argnums=(0, 1))(
        lhs.astype(np.float32), rhs.astype(np.float32))
    assert [x.dtype for x in g] == [np.float32, np.float32]


# ---- windowed reductions -----------------------------------------------------------------

def _window_params(data, shape):
    n = len(shape)

    def ints(lo, hi):
        return tuple(data.draw(st.integers(lo, hi)) for _ in range(n))
    return dict(window_dimensions=ints(1, 3), window_strides=ints(1, 2),
                padding=tuple((data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2)))
                              for _ in range(n)),
                base_dilation=ints(1, 2), window_dilation=ints(1, 2))


@pytest.mark.parametrize("prim", [P.reduce_window_sum_p, P.reduce_window_max_p,
                                  P.reduce_window_min_p], ids=lambda p: p.name)
@given(data=st.data())
def test_reduce_window(prim, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=4))
    params = _window_params(data, shape)
    if prim is P.reduce_window_sum_p:
        f, x = _prim_fn(prim, **params), data.draw(_floats(shape))
    else:
        f, x = _finite_part(_prim_fn(prim, **params)), _distinct(data, shape)
    check_grads(f, (x,), order=2, modes=MODES)


def test_reduce_window_sum_with_cropping_padding():
    f = _prim_fn(P.reduce_window_sum_p, window_dimensions=(2, 3), window_strides=(2, 1),
                 padding=((-1, 1), (1, -2)), base_dilation=(1, 2), window_dilation=(2, 1))
    x = np.random.default_rng(4).standard_normal((5, 4))
    check_grads(f, (x,), order=2, modes=MODES)


def test_reduce_window_max_ties_share_evenly():
    f = _prim_fn(P.reduce_window_max_p, window_dimensions=(2,), window_strides=(1,),
                 padding=((0, 0),), base_dilation=(1,), window_dilation=(1,))
    # windows [1, 3], [3, 3], [3, 2]: the middle window splits its tangent
    g = fl.grad(lambda x: fnp.sum(f(x)))(np.array([1.0, 3.0, 3.0, 2.0]))
    np.testing.assert_allclose(np.asarray(g), [0.0, 1.5, 1.5, 0.0])


def test_window_patch_indices_cover_the_windows():
    shape, params = (5,), dict(window_dimensions=(2,), window_strides=(2,),
                               padding=((1, 0),), base_dilation=(2,), window_dilation=(3,))
    idx = transforms.ad_reductions._window_indices(shape, **params)
    out_shape = windowed_sizes("t", shape, *params.values())
    assert idx.shape == out_shape + (2, 1)
    np.testing.assert_array_equal(idx[..., 0], [[0, 3], [2, 5], [4, 7], [6, 9]])


# ---- staging and coverage -------------------------------------------------------------------

STAGED = {
    "reduce_max": (lambda x: fnp.sum(bind(P.reduce_max_p, x, axes=(1,))), (3, 4)),
    "cumprod": (lambda x: fnp.sum(bind(P.cumprod_p, x, axis=0, reverse=True)), (5,)),
    "sort": (lambda x: fnp.sum(bind(P.sort_p, x, dimension=0, is_stable=True,
                                    num_keys=1)[0] * np.arange(8.0).reshape(4, 2)), (4, 2)),
    "conv": (lambda x: fnp.sum(bind(
        P.conv_general_dilated_p, x, x[:, :, :2], window_strides=(2,), padding=((1, 1),),
        lhs_dilation=(1,), rhs_dilation=(1,), feature_group_count=1, batch_group_count=1,
        preferred_element_type=None) ** 2), (2, 2, 5)),
    "reduce_window_max": (lambda x: fnp.sum(bind(
        P.reduce_window_max_p, x, window_dimensions=(2, 2), window_strides=(1, 1),
        padding=((0, 1), (1, 0)), base_dilation=(1, 1), window_dilation=(1, 1))), (3, 3)),
}


@pytest.mark.parametrize("name", sorted(STAGED))
def test_make_ir_of_grad_is_one_typechecked_program(name):
    f, shape = STAGED[name]
    x = np.random.default_rng(5).permutation(int(np.prod(shape))).reshape(shape) * 0.5
    program = fl.make_ir(fl.grad(f))(x.astype(np.float64))
    typecheck(program)
    assert program.outvars[0].aval.shape == shape
    assert len(program.invars) == 1


LINEAR = {P.reduce_sum_p, P.cumsum_p, P.dot_general_p, P.conv_general_dilated_p,
          P.reduce_window_sum_p}


@pytest.mark.parametrize("module", [reductions, contractions, windows],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_every_primitive_has_its_derivative_rules(module):
    prims = [getattr(module, name) for name in module.__all__]
    assert [p.name for p in prims if p not in jvp_rules] == []
    assert [p.name for p in prims if p in LINEAR and p not in transpose_rules] == []
    assert LINEAR & set(prims)
