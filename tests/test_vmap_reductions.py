"""vmap of the reductions, scans, sort, contractions and windowed reductions: every
primitive against a Python loop over the batch, with each operand mapped over its
first axis, its last axis or not at all; plus the IR of a batched matrix-vector
product (one dot_general, no broadcast), nested vmap against einsum, every conv
grouping, and rule coverage."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import functorch_lite as fl
import transforms.vmap_reductions  # noqa: F401  (registers the rules under test)
from functorch_lite import numpy as fnp
from primitive_cases import CASES, arrays
from transforms.core import bind
from transforms.vmap import batch_rules
from xla_like import primitives as P
from xla_like import typecheck
from xla_like.primitives import contractions, reductions, windows

PRIMS = [getattr(m, name) for m in (reductions, contractions, windows) for name in m.__all__]
# primitives whose cases mix NaN and infinities into float operands
SPECIAL = {P.reduce_max_p, P.reduce_min_p, P.argmax_p, P.argmin_p, P.cummax_p, P.cummin_p,
           P.sort_p, P.reduce_window_max_p, P.reduce_window_min_p}
IN_AXES = (0, -1, None)
MATVEC = (((1,), (0,)), ((), ()))
VDOT = (((0,), (0,)), ((), ()))


def _prim_fn(prim, **params):
    """``prim`` as a function of arrays (NumPy operands keep their dtype)."""
    return lambda *xs: bind(prim, *[fnp.asarray(x) for x in xs], **params)


@st.composite
def batched_case(draw, prim):
    """(operands with a batch axis where mapped, in_axes, batch size, params).

    The first batch element is the primitive's case; the others are fresh draws of
    the same shape and dtype."""
    args, params = draw(CASES[prim])
    size = draw(st.integers(1, 3))
    axes = [draw(st.sampled_from(IN_AXES)) for _ in args]
    if all(a is None for a in axes):
        axes[draw(st.integers(0, len(args) - 1))] = draw(st.sampled_from((0, -1)))
    stacked = []
    for a, axis in zip(args, axes):
        if axis is None:
            stacked.append(a)
            continue
        special = prim in SPECIAL and a.dtype.kind == "f"
        others = [draw(arrays(a.dtype, a.shape, -3, 3, special)) for _ in range(size - 1)]
        stacked.append(np.stack([a] + others, axis=axis))
    return stacked, tuple(axes), size, params


def _loop(f, args, axes, size):
    """``f`` applied to each batch element, results stacked on a leading axis."""
    results = []
    for i in range(size):
        xs = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)]
        out = f(*xs)
        results.append([np.asarray(o) for o in out] if isinstance(out, list) else
                       [np.asarray(out)])
    return [np.stack(group) for group in zip(*results)]


def assert_matches(actual, expected):
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if expected.dtype.kind not in "fc":
        np.testing.assert_array_equal(actual, expected)
        return
    tol = 1e-5 if expected.dtype.itemsize <= 4 else 1e-12
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale, equal_nan=True)


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
@given(data=st.data())
def test_vmap_matches_loop(prim, data):
    args, axes, size, params = data.draw(batched_case(prim))
    f = _prim_fn(prim, **params)
    out = fl.vmap(f, in_axes=axes)(*args)
    outs = out if prim.multiple_results else [out]
    expected = _loop(f, args, axes, size)
    assert len(outs) == len(expected)
    for o, e in zip(outs, expected):
        assert_matches(o, e)


def test_every_primitive_has_a_batch_rule():
    missing = [p.name for p in PRIMS if p not in batch_rules]
    assert not missing, f"vmap rules missing for {missing}"
    assert {p.name for p in PRIMS} >= {"reduce_sum", "argmax", "cummin", "sort",
                                       "dot_general", "conv_general_dilated",
                                       "reduce_window_max"}


# ---- dot_general: one contraction, unbatched operands stay unbatched ----------------------

def _count(program, prim):
    return sum(e.prim is prim for e in program.eqns)


@pytest.mark.parametrize("in_axes,out_axes", [((None, 0), 0), ((None, 0), 1),
                                              ((0, None), 0), ((2, None), 0)])
def test_matvec_ir_is_one_dot_general(in_axes, out_axes):
    W = np.arange(12, dtype=np.float32).reshape(3, 4)
    xs = np.arange(20, dtype=np.float32).reshape(5, 4)
    args = (W, xs) if in_axes[1] is not None else (np.stack([W] * 5, in_axes[0]), xs[0])
    matvec = fl.vmap(lambda w, x: bind(P.dot_general_p, w, x, dimension_numbers=MATVEC,
                                       preferred_element_type=None),
                     in_axes=in_axes, out_axes=out_axes)
    program = fl.make_ir(matvec)(*args)
    typecheck(program)
    assert _count(program, P.dot_general_p) == 1
    assert _count(program, P.broadcast_in_dim_p) == 0
    dot = next(e for e in program.eqns if e.prim is P.dot_general_p)
    assert tuple(dot.inputs) == tuple(program.invars)   # the operands enter untouched
    unbatched = [np.asarray(W) @ x for x in xs]
    if in_axes[1] is None:
        unbatched = [np.take(args[0], i, in_axes[0]) @ xs[0] for i in range(5)]
    assert_matches(matvec(*args), np.stack(unbatched, axis=out_axes))


def test_matvec_with_numpy_matmul_is_one_dot_general():
    W = np.ones((3, 4), np.float32)
    xs = np.ones((6, 2, 4), np.float32)
    program = fl.make_ir(fl.vmap(fnp.matmul, in_axes=(None, 0)))(W, np.swapaxes(xs, 1, 2))
    assert _count(program, P.dot_general_p) == 1
    assert _count(program, P.broadcast_in_dim_p) == 0


BATCHED_MATMUL = (((2,), (1,)), ((0,), (0,)))


@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (-1, None), (None, -1), (1, 2),
                                     (0, -1)])
def test_dot_general_with_batch_dims_every_placement(in_axes):
    """The vmap axis lands after the primitive's own batch dims and the lhs free dims."""
    rng = np.random.default_rng(1)
    size = 3
    lhs, rhs = rng.normal(size=(size, 2, 3, 4)), rng.normal(size=(size, 2, 4, 5))
    args = [np.moveaxis(a, 0, ax) if ax is not None else a[0]
            for a, ax in zip((lhs, rhs), in_axes)]
    f = _prim_fn(P.dot_general_p, dimension_numbers=BATCHED_MATMUL,
                 preferred_element_type=None)
    assert_matches(fl.vmap(f, in_axes=in_axes)(*args), _loop(f, args, in_axes, size)[0])
    program = fl.make_ir(fl.vmap(f, in_axes=in_axes))(*args)
    assert _count(program, P.dot_general_p) == 1
    assert _count(program, P.broadcast_in_dim_p) == 0


@given(data=st.data())
def test_nested_vmap_of_vector_dot_is_matmul(data):
    dtype = data.draw(st.sampled_from((np.float32, np.float64, np.int32)))
    m, k, n = (data.draw(st.integers(1, 4)) for _ in "mkn")
    a = data.draw(arrays(np.dtype(dtype), (m, k), -3, 3))
    b = data.draw(arrays(np.dtype(dtype), (k, n), -3, 3))
    vdot = _prim_fn(P.dot_general_p, dimension_numbers=VDOT, preferred_element_type=None)
    rows_outer = fl.vmap(fl.vmap(vdot, in_axes=(None, 1)), in_axes=(0, None))
    cols_outer = fl.vmap(fl.vmap(vdot, in_axes=(0, None)), in_axes=(None, 1), out_axes=1)
    expected = np.einsum("ij,jk->ik", a, b)
    assert_matches(rows_outer(a, b), expected)
    assert_matches(cols_outer(a, b), expected)


@given(data=st.data())
def test_nested_vmap_both_operands_batched(data):
    """Batched matmul as vmap over the batch of vmap over rows of a vector dot."""
    size, m, k = (data.draw(st.integers(1, 3)) for _ in "bmk")
    a = data.draw(arrays(np.dtype(np.float64), (size, m, k), -3, 3))
    v = data.draw(arrays(np.dtype(np.float64), (size, k), -3, 3))
    vdot = _prim_fn(P.dot_general_p, dimension_numbers=VDOT, preferred_element_type=None)
    f = fl.vmap(fl.vmap(vdot, in_axes=(0, None)), in_axes=(0, 0))
    assert_matches(f(a, v), np.einsum("bmk,bk->bm", a, v))


# ---- conv_general_dilated: every grouping with each operand batched ----------------------

def _conv_operands(grouping, rng):
    groups = 2
    fg, bg = (groups, 1) if grouping == "feature" else (1, groups) if grouping == "batch" \
        else (1, 1)
    lhs = rng.integers(-3, 4, size=(2 * bg, 3 * fg, 5, 4)).astype(np.float64)
    rhs = rng.integers(-3, 4, size=(2 * fg * bg, 3, 2, 3)).astype(np.float64)
    params = {"window_strides": (1, 2), "padding": ((1, 0), (0, 1)), "lhs_dilation": (1, 1),
              "rhs_dilation": (2, 1), "feature_group_count": fg, "batch_group_count": bg,
              "preferred_element_type": None}
    return lhs, rhs, params


@pytest.mark.parametrize("grouping", ["none", "feature", "batch"])
@pytest.mark.parametrize("in_axes", [(0, None), (None, 0), (0, 0), (-1, 1), (2, -1)])
def test_conv_every_grouping(grouping, in_axes):
    rng = np.random.default_rng(0)
    size = 3
    cases = [_conv_operands(grouping, rng) for _ in range(size)]
    params = cases[0][2]
    f = _prim_fn(P.conv_general_dilated_p, **params)
    args = [np.stack([c[i] for c in cases], axis) if axis is not None else cases[0][i]
            for i, axis in enumerate(in_axes)]
    expected = _loop(f, args, in_axes, size)[0]
    assert_matches(fl.vmap(f, in_axes=in_axes)(*args), expected)
    program = fl.make_ir(fl.vmap(f, in_axes=in_axes))(*args)
    typecheck(program)
    assert _count(program, P.conv_general_dilated_p) == 1


@pytest.mark.parametrize("grouping", ["none", "feature", "batch"])
def test_conv_with_an_empty_batch(grouping):
    """A zero-size vmap axis cannot scale the group counts; the result is just empty."""
    lhs, rhs, params = _conv_operands(grouping, np.random.default_rng(2))
    f = _prim_fn(P.conv_general_dilated_p, **params)
    out = fl.vmap(f)(lhs[None][:0], rhs[None][:0])
    assert np.asarray(out).shape == (0,) + np.asarray(f(lhs, rhs)).shape


# ---- placement of the batch axis and errors -------------------------------------------------

def test_reductions_keep_the_batch_axis_in_place():
    """Reducing around a batch axis needs no transpose."""
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    f = _prim_fn(P.reduce_sum_p, axes=(0,))
    program = fl.make_ir(fl.vmap(f, in_axes=1, out_axes=0))(x)
    assert [e.prim for e in program.eqns] == [P.reduce_sum_p]
    assert program.eqns[0].params["axes"] == (0,)


def test_bad_params_name_the_per_example_shape():
    f = _prim_fn(P.reduce_sum_p, axes=(1,))
    with pytest.raises(ValueError, match=r"reduce_sum: axes 1 is out of range for rank 1"):
        fl.vmap(f)(np.ones((3, 4), np.float32))
    g = _prim_fn(P.dot_general_p, dimension_numbers=VDOT, preferred_element_type=None)
    with pytest.raises(TypeError, match=r"dot_general: contracting dimensions"):
        fl.vmap(g, in_axes=(0, None))(np.ones((2, 3), np.float32), np.ones(4, np.float32))
