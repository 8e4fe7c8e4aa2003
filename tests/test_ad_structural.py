"""Derivatives of the structural and indexing primitives: JVP and transpose rules
checked against finite differences to second order, forward and reverse."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import numpy as fnp
from functorch_lite.test_util import check_grads
import transforms.ad_structural  # noqa: F401  (registers the rules under test)
from transforms import core
from transforms.jvp import Zero, jvp_rules
from transforms.linearize import UndefinedPrimal, transpose_rules
from xla_like import primitives as P
from xla_like import evaluate, typecheck
from xla_like.ir import ShapedArray
from xla_like.primitives import indexing, structural

INDEX_DTYPES = (np.int32, np.int64)


def _bind(prim, *args, **params):
    return core.bind(prim, *[fnp.asarray(a) for a in args], **params)


def _floats(data, shape, elements=st.floats(-3, 3)):
    return data.draw(hnp.arrays(np.float64, shape, elements=elements))


def _shape(data, min_dims=0, max_dims=3, min_side=1, max_side=3):
    return data.draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                      min_side=min_side, max_side=max_side))


def _subset(data, n, size=None):
    """A random ordered selection of ``range(n)`` (of ``size`` entries, or any)."""
    perm = data.draw(st.permutations(range(n)))
    k = data.draw(st.integers(0, n)) if size is None else size
    return tuple(perm[:k])


def _nan_to_zero(y):
    """gather(mode='fill') reads NaN out of range; finite differences need numbers."""
    return core.bind(P.select_n_p, core.bind(P.is_finite_p, y), fnp.zeros_like(y), y)


def _total(v):
    """Sum of all elements with this file's primitives only (scatter_add to one slot)."""
    n = int(np.prod(v.aval.shape, dtype=np.int64))
    flat = core.bind(P.reshape_p, v, new_sizes=(n,))
    slot = fnp.asarray(np.zeros((1,), v.aval.dtype))
    summed = core.bind(P.scatter_add_p, slot, fnp.asarray(np.zeros((n, 1), np.int32)), flat,
                       axes=(0,), mode="clip")
    return core.bind(P.reshape_p, summed, new_sizes=())


# ---- broadcasting, reshaping, transposition ---------------------------------------------

@given(data=st.data())
def test_broadcast_in_dim(data):
    in_shape = _shape(data, max_dims=2)
    rank = len(in_shape) + data.draw(st.integers(0, 2))
    dims = tuple(sorted(_subset(data, rank, len(in_shape))))
    out = [data.draw(st.integers(1, 3)) for _ in range(rank)]
    for d, size in zip(dims, in_shape):
        out[d] = out[d] if size == 1 else size          # size-1 axes may expand
    x = _floats(data, in_shape)
    check_grads(lambda x: _bind(P.broadcast_in_dim_p, x, shape=tuple(out),
                                broadcast_dimensions=dims), (x,), order=2)


def _prime_factors(n):
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


@given(data=st.data())
def test_reshape(data):
    shape = _shape(data)
    rank = data.draw(st.integers(1, 3))
    new = [1] * rank
    for f in _prime_factors(int(np.prod(shape))):
        new[data.draw(st.integers(0, rank - 1))] *= f
    x = _floats(data, shape)
    check_grads(lambda x: _bind(P.reshape_p, x, new_sizes=tuple(new)), (x,), order=2)


@given(data=st.data())
def test_squeeze(data):
    shape = list(_shape(data))
    ones = _subset(data, len(shape))
    for d in ones:
        shape[d] = 1
    x = _floats(data, tuple(shape))
    check_grads(lambda x: _bind(P.squeeze_p, x, dimensions=ones), (x,), order=2)


@given(data=st.data())
def test_expand_dims(data):
    shape = _shape(data, max_dims=2)
    k = data.draw(st.integers(0, 2))
    dims = tuple(sorted(_subset(data, len(shape) + k, k)))
    x = _floats(data, shape)
    check_grads(lambda x: _bind(P.expand_dims_p, x, dimensions=dims), (x,), order=2)


@given(data=st.data())
def test_transpose(data):
    shape = _shape(data)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    x = _floats(data, shape)
    check_grads(lambda x: _bind(P.transpose_p, x, permutation=perm), (x,), order=2)


@given(data=st.data())
def test_rev(data):
    shape = _shape(data)
    dims = _subset(data, len(shape))
    x = _floats(data, shape)
    check_grads(lambda x: _bind(P.rev_p, x, dimensions=dims), (x,), order=2)


# ---- pad, concatenate, slice --------------------------------------------------------------

@given(data=st.data())
def test_pad_with_negative_and_interior_padding(data):
    shape = _shape(data, max_dims=2, min_side=0)
    config = []
    for d in shape:
        lo, hi = data.draw(st.integers(-2, 2)), data.draw(st.integers(-2, 2))
        interior = data.draw(st.integers(0, 2))
        core_size = structural.padded_size(d, 0, 0, interior)
        config.append((lo, max(hi, -lo - core_size), interior))   # never a negative size
    x, value = _floats(data, shape), _floats(data, ())
    check_grads(lambda x, v: _bind(P.pad_p, x, v, padding_config=tuple(config)),
                (x, value), order=2)


def test_pad_value_cotangent_counts_padding_elements():
    config = ((-1, 2, 1),)      # [x0 p x1 p x2 p p], the first element cropped away
    g = fl.grad(lambda x, v: _total(_bind(P.pad_p, x, v, padding_config=config)),
                argnums=(0, 1))(np.array([1.0, 2.0, 3.0]), np.array(0.0))
    np.testing.assert_array_equal(np.asarray(g[0]), [0.0, 1.0, 1.0])
    assert float(g[1]) == 4.0


@given(data=st.data())
def test_concatenate(data):
    shape = list(_shape(data, min_dims=1, min_side=0))
    dim = data.draw(st.integers(0, len(shape) - 1))
    xs = []
    for _ in range(data.draw(st.integers(1, 3))):
        shape[dim] = data.draw(st.integers(0, 3))
        xs.append(_floats(data, tuple(shape)))
    check_grads(lambda *xs: _bind(P.concatenate_p, *xs, dimension=dim), xs, order=2)


@given(data=st.data())
def test_slice_with_strides(data):
    shape = _shape(data, min_side=0, max_side=5)
    starts, limits = [], []
    for d in shape:
        lo = data.draw(st.integers(0, d))
        starts.append(lo)
        limits.append(data.draw(st.integers(lo, d)))
    strides = data.draw(st.none() | st.tuples(*[st.integers(1, 3) for _ in shape]))
    x = _floats(data, shape)
    check_grads(lambda x: _bind(P.slice_p, x, start_indices=tuple(starts),
                                limit_indices=tuple(limits), strides=strides), (x,), order=2)


# ---- dynamic slices ---------------------------------------------------------------------------

def _window(data, shape):
    """Window sizes and start indices (0-d ints), some of them needing clamping."""
    sizes = tuple(data.draw(st.integers(0, d)) for d in shape)
    dtype = data.draw(st.sampled_from(INDEX_DTYPES))
    starts = [np.asarray(data.draw(st.integers(-2, d + 1)), dtype) for d in shape]
    return sizes, starts


@given(data=st.data())
def test_dynamic_slice_with_clamped_starts(data):
    shape = _shape(data)
    sizes, starts = _window(data, shape)
    x = _floats(data, shape)
    check_grads(lambda x: _bind(P.dynamic_slice_p, x, *starts, slice_sizes=sizes), (x,),
                order=2)


@given(data=st.data())
def test_dynamic_update_slice_with_clamped_starts(data):
    shape = _shape(data)
    sizes, starts = _window(data, shape)
    x, update = _floats(data, shape), _floats(data, sizes)
    check_grads(lambda x, u: _bind(P.dynamic_update_slice_p, x, u, *starts), (x, update),
                order=2)


def test_iota_has_a_zero_tangent():
    out, t = jvp_rules[P.iota_p]((), (), dtype=np.dtype(np.float64), shape=(3,), dimension=0)
    np.testing.assert_array_equal(np.asarray(out), [0.0, 1.0, 2.0])
    assert type(t) is Zero and t.aval.shape == (3,)
    ramp = core.bind(P.iota_p, dtype=np.dtype(np.float64), shape=(3,), dimension=0)
    check_grads(lambda x: _bind(P.mul_p, x, ramp), (np.array([0.5, -1.0, 2.0]),), order=2)


# ---- gather and the scatter family -----------------------------------------------------------

def _indexing_case(data):
    """Operand shape, axes, indices (with out-of-range rows and duplicates) and the
    shape of the gathered rows / scatter updates."""
    shape = _shape(data, min_dims=1)
    axes = _subset(data, len(shape))
    batch = _shape(data, max_dims=2)
    dtype = data.draw(st.sampled_from(INDEX_DTYPES))
    columns = [data.draw(hnp.arrays(dtype, batch, elements=st.integers(-1, shape[a])))
               for a in axes]
    indices = np.stack(columns, axis=-1) if axes else np.zeros(batch + (0,), dtype)
    rows = batch + tuple(d for i, d in enumerate(shape) if i not in axes)
    return shape, axes, indices, rows


@pytest.mark.parametrize("mode", ["clip", "fill"])
@given(data=st.data())
def test_gather(mode, data):
    shape, axes, indices, _ = _indexing_case(data)
    x = _floats(data, shape)
    check_grads(lambda x: _nan_to_zero(_bind(P.gather_p, x, indices, axes=axes, mode=mode)),
                (x,), order=2)


def test_gather_fill_rows_have_zero_tangent():
    x, idx = np.array([1.0, 2.0, 3.0]), np.array([[2], [5], [-1]], np.int32)
    out, t = fl.jvp(lambda x: _bind(P.gather_p, x, idx, axes=(0,), mode="fill"), (x,),
                    (np.ones(3),))
    assert np.isnan(np.asarray(out)[1:]).all()
    np.testing.assert_array_equal(np.asarray(t), [1.0, 0.0, 0.0])


SCATTERS = [P.scatter_add_p, P.scatter_p]


@pytest.mark.parametrize("mode", ["drop", "clip"])
@pytest.mark.parametrize("prim", SCATTERS, ids=lambda p: p.name)
@given(data=st.data())
def test_linear_scatters_with_duplicates(prim, mode, data):
    shape, axes, indices, rows = _indexing_case(data)
    x, updates = _floats(data, shape), _floats(data, rows)
    check_grads(lambda x, u: _bind(prim, x, indices, u, axes=axes, mode=mode),
                (x, updates), order=2)


def test_scatter_gradient_goes_to_the_winning_duplicate():
    idx = np.array([[1], [1], [2], [7]], np.int32)       # row 1 overwrites row 0; 7 dropped
    weights = np.array([1.0, 2.0, 3.0])
    g = fl.grad(lambda x, u: _total(_bind(P.mul_p, _bind(P.scatter_p, x, idx, u, axes=(0,),
                                                              mode="drop"), weights)),
                argnums=(0, 1))(np.ones(3), np.ones(4))
    np.testing.assert_array_equal(np.asarray(g[0]), [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(np.asarray(g[1]), [0.0, 2.0, 3.0, 0.0])


_NONZERO = st.floats(0.5, 1.5) | st.floats(-1.5, -0.5)


@pytest.mark.parametrize("mode", ["drop", "clip"])
@given(data=st.data())
def test_scatter_mul_with_duplicates(mode, data):
    shape, axes, indices, rows = _indexing_case(data)
    x, updates = _floats(data, shape), _floats(data, rows, _NONZERO)
    check_grads(lambda x, u: _bind(P.scatter_mul_p, x, indices, u, axes=axes, mode=mode),
                (x, updates), order=2)


def test_scatter_mul_with_zero_updates():
    idx = np.array([[0], [0], [1], [1], [1], [2]], np.int32)
    x = np.array([2.0, 3.0, 5.0])
    f = lambda x, u: _bind(P.scatter_mul_p, x, idx, u, axes=(0,), mode="clip")
    # location 0: one zero among its updates; location 1: two zeros
    u = np.array([0.0, 4.0, 0.0, 0.0, 6.0, 7.0])
    g = fl.grad(lambda x, u: _total(f(x, u)), argnums=(0, 1))(x, u)
    np.testing.assert_allclose(np.asarray(g[0]), [0.0, 0.0, 7.0])
    np.testing.assert_allclose(np.asarray(g[1]), [8.0, 0.0, 0.0, 0.0, 0.0, 5.0])
    check_grads(f, (x, np.array([0.0, 4.0, 0.5, -2.0, 6.0, 7.0])), order=2)


def test_scatter_mul_is_not_transposable_in_its_updates():
    x, u = ShapedArray((3,), np.dtype(np.float64)), ShapedArray((2,), np.dtype(np.float64))
    ct = fnp.asarray(np.ones(3))
    with pytest.raises(ValueError, match="scatter_mul"):
        transpose_rules[P.scatter_mul_p](ct, UndefinedPrimal(x),
                                         fnp.asarray(np.zeros((2, 1), np.int32)),
                                         UndefinedPrimal(u), axes=(0,), mode="clip")


@pytest.mark.parametrize("mode", ["drop", "clip"])
@pytest.mark.parametrize("prim", [P.scatter_min_p, P.scatter_max_p], ids=lambda p: p.name)
@given(data=st.data())
def test_scatter_min_max_without_ties(prim, mode, data):
    shape, axes, indices, rows = _indexing_case(data)
    n_x, n_u = int(np.prod(shape)), int(np.prod(rows))
    # distinct values spaced far beyond the finite-difference step: no ties
    values = (np.array(data.draw(st.permutations(range(n_x + n_u))), np.float64) - 5) / 4
    x, updates = values[:n_x].reshape(shape), values[n_x:].reshape(rows)
    check_grads(lambda x, u: _bind(prim, x, indices, u, axes=axes, mode=mode),
                (x, updates), order=2)


def test_scatter_max_ties_split_evenly():
    idx = np.array([[0], [0], [0], [9]], np.int32)       # the last row is dropped
    f = lambda x, u: _total(_bind(P.scatter_max_p, x, idx, u, axes=(0,), mode="drop"))
    g = fl.grad(f, argnums=(0, 1))(np.array([1.0, 3.0]), np.array([1.0, 0.5, 1.0, 8.0]))
    np.testing.assert_allclose(np.asarray(g[0]), [1 / 3, 1.0])
    np.testing.assert_allclose(np.asarray(g[1]), [1 / 3, 0.0, 1 / 3, 0.0])


# ---- staged gradients and rule coverage -----------------------------------------------------

def _staged_cases():
    idx = np.array([[0, 1], [2, 0], [0, 1]], np.int32)
    return {
        "dynamic_slice": (lambda x, i, j: _total(fnp.sin(_bind(
            P.dynamic_slice_p, x, i, j, slice_sizes=(2, 1)))),
            (np.ones((3, 2)), np.int32(2), np.int32(-1)), "dynamic_update_slice"),
        "pad": (lambda x: _total(fnp.sin(_bind(
            P.pad_p, x, np.array(0.5, np.float32),
            padding_config=((1, -1, 1), (0, 2, 0))))), (np.ones((3, 2), np.float32),),
            "slice"),
        "gather": (lambda x, i: _total(fnp.sin(_bind(P.gather_p, x, i, axes=(0, 1),
                                                          mode="fill"))),
                   (np.ones((3, 2)), idx), "scatter_add"),
        "scatter_mul": (lambda x: _total(_bind(P.scatter_mul_p, x, idx[:, :1],
                                                   fnp.sin(x), axes=(0,), mode="clip")),
                        (np.ones((3, 2)),), "scatter_mul"),
        "scatter_max": (lambda x: _total(_bind(
            P.scatter_max_p, x, idx[:, :1], fnp.cos(x), axes=(0,),
            mode="drop")), (np.ones((3, 2)),), "scatter_max"),
    }


@pytest.mark.parametrize("name", sorted(_staged_cases()))
def test_make_ir_of_grad_typechecks(name):
    f, args, expected = _staged_cases()[name]
    program = fl.make_ir(fl.grad(f))(*args)
    typecheck(program)
    assert expected in [e.prim.name for e in program.eqns]
    x = (np.asarray(args[0]) * 0.7 + 0.1).astype(np.asarray(args[0]).dtype)
    (staged,) = evaluate(program, x, *args[1:])
    eager = np.asarray(fl.grad(f)(x, *args[1:]))
    assert np.isfinite(eager).all()
    np.testing.assert_allclose(staged, eager, rtol=1e-6)


ALL = [getattr(P, name) for name in structural.__all__ + indexing.__all__]
NONLINEAR = {P.iota_p, P.scatter_min_p, P.scatter_max_p}


def test_every_structural_and_indexing_primitive_has_its_rules():
    missing_jvp = [p.name for p in ALL if p not in jvp_rules]
    missing_transpose = [p.name for p in ALL if p not in NONLINEAR and p not in transpose_rules]
    assert not missing_jvp, f"jvp rules missing for {missing_jvp}"
    assert not missing_transpose, f"transpose rules missing for {missing_transpose}"
