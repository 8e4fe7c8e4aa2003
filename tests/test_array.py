"""Arrays: NumPy indexing, ``.at`` updates, operators, methods and NumPy interop.

Indexing is checked against NumPy on random shapes and random index tuples, eagerly
and staged with ``make_ir`` (the program, run by the reference interpreter, must
agree with eager execution).
"""
import operator

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import numpy as fnp
from functorch_lite.numpy._indexing import take, take_along_axis
from xla_like import evaluate
from xla_like import primitives as P


def _arange(shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def _same(got, want):
    got = np.asarray(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


def _prims(program):
    return {eqn.prim for eqn in program.eqns}


# ---- index strategies -----------------------------------------------------------------------

def _slices(n):
    bound = st.none() | st.integers(-n - 2, n + 2)
    return st.builds(slice, bound, bound, st.sampled_from([None, 1, 2, 3, -1, -2, -3]))


@st.composite
def basic_index(draw, shape):
    """A random valid tuple of in-range ints, slices, ``None`` and at most one ``...``."""
    items = [draw(st.integers(-n, n - 1)) if n and draw(st.booleans()) else draw(_slices(n))
             for n in shape]
    if items and draw(st.booleans()):
        i = draw(st.integers(0, len(items)))
        j = draw(st.integers(i, len(items)))
        items = items[:i] + [Ellipsis] + items[j:]
    else:
        items = items[:draw(st.integers(0, len(items)))]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


@st.composite
def advanced_index(draw, shape):
    """Integer arrays (at least one; broadcastable; adjacent or not) mixed with ints,
    slices and ``None``; arrays come as NumPy arrays, lists or Arrays."""
    bshape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    kinds = [draw(st.sampled_from(["array", "slice", "int"])) for _ in shape]
    kinds[draw(st.integers(0, len(shape) - 1))] = "array"
    items = []
    for kind, n in zip(kinds, shape):
        if kind == "slice":
            items.append(draw(_slices(n)))
        elif kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        else:
            k = draw(st.integers(0, len(bshape)))
            sub = tuple(d if draw(st.booleans()) else 1 for d in bshape[len(bshape) - k:])
            a = draw(hnp.arrays(np.int64, sub, elements=st.integers(-n, n - 1)))
            form = draw(st.sampled_from(["numpy", "list", "array"]))
            items.append(a.tolist() if form == "list" and a.ndim else
                         fnp.asarray(a) if form == "array" else a)
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


def _numpy_index(idx):
    """The same index for NumPy (Arrays become NumPy arrays)."""
    return tuple(np.asarray(e) if isinstance(e, fl.Array) else e for e in idx)


# ---- basic and advanced indexing vs NumPy ----------------------------------------------------

@given(st.data(), hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
def test_basic_indexing_matches_numpy(data, shape):
    x = _arange(shape)
    idx = data.draw(basic_index(shape))
    _same(fnp.asarray(x)[idx], x[idx])


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
def test_advanced_indexing_matches_numpy(data, shape):
    x = _arange(shape, np.int32)
    idx = data.draw(advanced_index(shape))
    _same(fnp.asarray(x)[idx], x[_numpy_index(idx)])


@pytest.mark.parametrize("idx", [
    ([0, 1], None, [0, 1]), (slice(None), [0, 1], None, [0, 1]), ([0, 1], True, [0, 1]),
    (slice(None), True), (True,), (False,), (0, slice(None), [1, 2]),
    (np.array(0), slice(None), [1, 2]), (Ellipsis, np.array(1)), ([[0], [2]], [[1, 3]]),
    (slice(None), [], slice(None)), ([-1, -3], Ellipsis, [0, -1]),
])
def test_advanced_index_placement_edge_cases(idx):
    x = _arange((3, 4, 5))
    _same(fnp.asarray(x)[idx], x[idx])


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
def test_boolean_masks_match_numpy(data, shape):
    x = _arange(shape)
    start = data.draw(st.integers(0, len(shape) - 1))
    stop = data.draw(st.integers(start + 1, len(shape)))
    mask = data.draw(hnp.arrays(np.bool_, shape[start:stop]))
    forms = [np.asarray, fnp.asarray] + ([np.ndarray.tolist] if mask.size else [])
    form = data.draw(st.sampled_from(forms))     # an empty list is an integer index
    idx = (slice(None),) * start + (form(mask),)
    _same(fnp.asarray(x)[idx], x[(slice(None),) * start + (mask,)])


def test_mask_shape_mismatch_and_too_many_indices_raise_index_error():
    x = fnp.asarray(_arange((3, 4)))
    with pytest.raises(IndexError, match="boolean index did not match"):
        x[np.ones(2, bool)]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match="could not be broadcast"):
        x[[0, 1], [0, 1, 2]]


@pytest.mark.parametrize("idx", [3, -4, (0, 4), (slice(None), [0, 4]), ([-4],), (1, [[5]])])
def test_out_of_bounds_concrete_indices_raise_index_error(idx):
    x = fnp.asarray(_arange((3, 4)))
    with pytest.raises(IndexError, match="out of bounds"):
        x[idx]
    with pytest.raises(IndexError):
        _arange((3, 4))[idx]


@pytest.mark.parametrize("idx", [1.0, "a", np.array([0.5]), [slice(None)]])
def test_invalid_index_types_raise_type_error(idx):
    with pytest.raises(TypeError, match="valid indices"):
        fnp.asarray(_arange((3,)))[idx]


def test_zero_d_and_trivial_indices():
    x = fnp.asarray(np.float32(2.5))
    _same(x[()], np.float32(2.5))
    _same(x[None], np.array([2.5], np.float32))
    _same(x[...], np.float32(2.5))
    y = fnp.asarray(_arange((2, 3)))
    assert y[:] is y and y[...] is y


# ---- staged indexing -------------------------------------------------------------------------

@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_staged_indexing_matches_eager(data, shape):
    """Traced ints and traced integer arrays, staged, agree with eager indexing."""
    x = _arange(shape)
    idx = data.draw(st.one_of(basic_index(shape), advanced_index(shape)))
    idx = _numpy_index(idx)
    traced = [i for i, e in enumerate(idx)
              if isinstance(e, (int, np.ndarray)) and data.draw(st.booleans())]

    def f(x, *values):
        full = list(idx)
        for i, v in zip(traced, values):
            full[i] = v
        return x[tuple(full)]
    args = [idx[i] for i in traced]
    program = fl.make_ir(f)(x, *args)
    (out,) = evaluate(program, x, *args)
    _same(out, x[idx])


def test_traced_scalar_index_uses_dynamic_slice_and_clamps():
    x = _arange((4, 3))
    program = fl.make_ir(lambda x, i: x[i])(x, 1)
    assert P.dynamic_slice_p in _prims(program) and P.gather_p not in _prims(program)
    _same(evaluate(program, x, np.int32(-1))[0], x[-1])
    _same(evaluate(program, x, np.int32(7))[0], x[3])     # out of range clamps


def test_traced_index_array_uses_gather_and_normalizes_negatives():
    x = _arange((4, 3))
    program = fl.make_ir(lambda x, i: x[:, i])(x, np.array([0, 1, 2]))
    assert P.gather_p in _prims(program)
    _same(evaluate(program, x, np.array([-1, 0, 9]))[0], x[:, [2, 0, 2]])


def test_traced_boolean_mask_raises_clear_error():
    x = _arange((3,))
    with pytest.raises(fl.ConcretizationError, match="where") as info:
        fl.make_ir(lambda x: x[x > 1.0])(x)
    assert "boolean" in str(info.value)
    concrete_mask = x > 1.0       # a concrete mask is fine while tracing
    program = fl.make_ir(lambda x: x[concrete_mask])(x)
    _same(evaluate(program, x)[0], x[concrete_mask])


def test_traced_slice_bound_raises_concretization_error():
    with pytest.raises(fl.ConcretizationError, match="dynamic_slice"):
        fl.make_ir(lambda x, i: x[i:i + 2])(_arange((5,)), 1)


# ---- .at updates ---------------------------------------------------------------------------

_AT_REFERENCE = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}


def _reference_update(x, idx, values, kind):
    """NumPy reference: targets in the row-major order of ``x[idx]``; for ``set`` the
    last write wins, the others accumulate (``ufunc.at``)."""
    out = x.copy()
    targets = np.arange(x.size).reshape(x.shape)[idx].ravel()
    values = np.broadcast_to(values, np.shape(x[idx])).ravel().astype(x.dtype)
    if kind == "set":
        for t, v in zip(targets, values):
            out.flat[t] = v
    else:
        _AT_REFERENCE[kind].at(out.reshape(-1), targets, values)
    return out


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       st.sampled_from(["set", "add", "multiply", "min", "max"]))
def test_at_updates_match_numpy(data, shape, kind):
    x = _arange(shape) - 3.0
    idx = _numpy_index(data.draw(st.one_of(basic_index(shape), advanced_index(shape))))
    target_shape = x[idx].shape
    vshape = data.draw(st.sampled_from([target_shape, target_shape[1:], ()]))
    values = data.draw(hnp.arrays(np.float32, vshape, elements=st.integers(-4, 4)))
    got = getattr(fnp.asarray(x).at[idx], kind)(values)
    _same(got, _reference_update(x, idx, values, kind))
    assert got.dtype == x.dtype


def test_at_add_accumulates_duplicates_like_ufunc_at():
    x = np.zeros((3, 2), np.float32)
    idx = ([0, 0, 2, 0], slice(None))
    ref = x.copy()
    np.add.at(ref, idx, 1.0)
    _same(fnp.asarray(x).at[idx].add(1.0), ref)
    _same(fnp.asarray(x).at[[1, 1]].set(np.array([[1, 2], [3, 4]])), np.array(
        [[0, 0], [3, 4], [0, 0]], np.float32))   # set: the last write wins


def test_at_get_divide_power_and_casting():
    x = fnp.asarray(np.array([1.0, 2.0, 4.0], np.float32))
    _same(x.at[[2, 0]].get(), np.array([4.0, 1.0], np.float32))
    _same(x.at[1:].divide(2.0), np.array([1.0, 1.0, 2.0], np.float32))
    _same(x.at[2].power(2), np.array([1.0, 2.0, 16.0], np.float32))
    _same(x.at[0].mul(3), np.array([3.0, 2.0, 4.0], np.float32))
    ints = fnp.asarray(np.array([1, 2, 3], np.int32))
    out = ints.at[0].set(7.9)           # cast to the array's dtype (truncates)
    assert out.dtype == np.int32 and out.tolist() == [7, 2, 3]
    with pytest.raises(TypeError, match="divide"):
        ints.at[0].divide(2)
    with pytest.raises(ValueError, match="could not be broadcast"):
        x.at[:2].set(np.ones(3))


def test_at_out_of_bounds_modes():
    x = fnp.asarray(np.array([1.0, 2.0, 3.0], np.float32))
    _same(x.at[5].set(9.0), np.array([1.0, 2.0, 3.0], np.float32))        # dropped
    _same(x.at[[0, 5]].add(1.0), np.array([2.0, 2.0, 3.0], np.float32))
    _same(x.at[5].set(9.0, mode="clip"), np.array([1.0, 2.0, 9.0], np.float32))
    _same(x.at[[-1, 7]].get(mode="fill"), np.array([3.0, np.nan], np.float32))
    _same(x.at[7].get(mode="clip"), np.float32(3.0))
    with pytest.raises(IndexError):
        x.at[7].get()
    with pytest.raises(ValueError, match="mode"):
        x.at[0].set(1.0, mode="wrong")


def test_at_does_not_modify_the_original_and_staged_update_matches():
    base = _arange((3, 4))
    x = fnp.asarray(base)
    x.at[1, [0, 2]].set(-1.0)
    _same(x, base)

    def f(x, i, v):
        return x.at[i, 1:].add(v)
    program = fl.make_ir(f)(base, np.array([0, 0]), np.float32(2.0))
    assert P.scatter_add_p in _prims(program)
    (out,) = evaluate(program, base, np.array([2, 2]), np.float32(2.0))
    _same(out, _reference_update(base, (np.array([2, 2]), slice(1, None)), 2.0, "add"))


def test_static_box_update_uses_dynamic_update_slice():
    program = fl.make_ir(lambda x: x.at[1:3, 0].set(0.0))(_arange((4, 2)))
    assert P.dynamic_update_slice_p in _prims(program)
    assert P.scatter_p not in _prims(program)


# ---- immutability, repr, conversions --------------------------------------------------------

def test_item_assignment_raises_with_at_hint():
    x = fnp.asarray([1.0, 2.0])
    with pytest.raises(TypeError, match=r"\.at\[index\]\.set"):
        x[0] = 1.0

    def f(x):
        x[0] = 1.0
        return x
    with pytest.raises(TypeError, match=r"\.at\[index\]\.set"):
        fl.make_ir(f)(np.ones(2, np.float32))


def test_repr_and_numpy_conversion():
    x = fnp.asarray([1.0, 2.0])
    assert repr(x) == "Array([1., 2.], dtype=float32)"
    assert repr(fnp.asarray([[1, 2], [3, 4]])) == "Array([[1, 2],\n       [3, 4]], dtype=int32)"
    view = np.asarray(x)
    assert not view.flags.writeable and view.tolist() == [1.0, 2.0]
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert np.array(x).flags.writeable


def test_attributes_len_iteration_and_scalar_conversions():
    base = _arange((2, 3))
    x = fnp.asarray(base)
    assert (x.shape, x.dtype, x.ndim, x.size) == ((2, 3), np.float32, 2, 6)
    assert x.device == fl.devices()[0]
    _same(x.T, base.T)
    _same(fnp.asarray(_arange((2, 3, 4))).mT, np.swapaxes(_arange((2, 3, 4)), -1, -2))
    assert len(x) == 2
    rows = list(x)
    assert len(rows) == 2 and all(isinstance(r, fl.Array) for r in rows)
    _same(rows[1], base[1])
    scalar = fnp.asarray(np.float32(2.5))
    assert float(scalar) == 2.5 and int(scalar) == 2 and bool(scalar)
    assert [int(v) for v in fnp.asarray([3, 4])] == [3, 4]
    with pytest.raises(TypeError, match="0-d"):
        iter(scalar)
    with pytest.raises(TypeError, match="0-d"):
        len(scalar)


# ---- operators ------------------------------------------------------------------------------

_ARITH = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
          operator.mod, operator.pow]
_INT_ONLY = [operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift]
_COMPARE = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


def _operand_forms(value, dtype):
    """The right operand as a Python scalar, NumPy array and Array."""
    array = np.full((3,), value, dtype)
    return [value, array, fnp.asarray(array)]


@pytest.mark.parametrize("op", _ARITH + _COMPARE)
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_binary_operators_both_sides_match_numpy(op, dtype):
    base = np.array([3 if op is operator.pow else -3, 1, 4], dtype)
    x = fnp.asarray(base)
    scalar = 2 if dtype == np.int32 else 2.0
    for other in _operand_forms(scalar, dtype):
        other_np = np.asarray(other) if isinstance(other, fl.Array) else other
        for got, want in [(op(x, other), op(base, other_np)), (op(other, x), op(other_np, base))]:
            assert isinstance(got, fl.Array), (op, type(other))
            np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=1e-6)


@pytest.mark.parametrize("op", _INT_ONLY)
def test_bitwise_and_shift_operators(op):
    base = np.array([1, 6, 12], np.int32)
    x = fnp.asarray(base)
    for other in _operand_forms(2, np.int32):
        other_np = np.asarray(other) if isinstance(other, fl.Array) else other
        _same(op(x, other), op(base, other_np))
        _same(op(other, x), op(other_np, base))
    _same(~x, ~base)


def test_matmul_divmod_round_unary():
    a, b = _arange((2, 3)), _arange((3, 4))
    np.testing.assert_allclose(fnp.asarray(a) @ fnp.asarray(b), a @ b)
    np.testing.assert_allclose(a @ fnp.asarray(b), a @ b)
    np.testing.assert_allclose(fnp.asarray(a) @ b, a @ b)
    x = np.array([-7.0, 7.0, 5.5], np.float32)
    q, r = divmod(fnp.asarray(x), 2.0)
    _same(q, x // 2.0)
    _same(r, x % 2.0)
    _same(round(fnp.asarray(np.array([0.5, 1.5, 2.26], np.float32)), 1),
          np.round(np.array([0.5, 1.5, 2.26], np.float32), 1))
    _same(-fnp.asarray(x), -x)
    _same(abs(fnp.asarray(x)), abs(x))


def test_numpy_on_the_left_and_ufuncs_return_arrays():
    x = fnp.asarray(np.array([1.0, 2.0], np.float32))
    left = np.array([10.0, 20.0], np.float32) + x
    assert isinstance(left, fl.Array) and left.tolist() == [11.0, 22.0]
    assert isinstance(np.float32(2.0) * x, fl.Array)
    assert isinstance(np.sin(x), fl.Array)
    _same(np.sin(x), np.sin(np.array([1.0, 2.0], np.float32)))
    assert isinstance(np.array([1.0, 5.0]) > x, fl.Array)
    # a ufunc method with no functorch_lite counterpart runs in NumPy
    assert np.add.reduce(x) == 3.0
    program = fl.make_ir(lambda x: np.sin(x) + np.ones(2, np.float32))(x)
    assert P.sin_p in _prims(program)


# ---- methods --------------------------------------------------------------------------------

_METHOD_CASES = [
    ("sum", (), {}), ("sum", (1,), {"keepdims": True}), ("mean", (0,), {}),
    ("max", (), {}), ("min", (-1,), {}), ("prod", (0,), {}), ("all", (), {}),
    ("any", (1,), {}), ("argmax", (), {}), ("argmin", (1,), {}), ("cumsum", (1,), {}),
    ("cumprod", (0,), {}), ("var", (), {}), ("std", (0,), {}), ("ravel", (), {}),
    ("flatten", (), {}), ("clip", (1.0, 4.0), {}), ("round", (1,), {}),
    ("swapaxes", (0, 1), {}), ("transpose", (), {}), ("transpose", (1, 0), {}),
    ("transpose", ((1, 0),), {}), ("reshape", (3, 2), {}), ("reshape", ((6,),), {}),
    ("reshape", (-1, 1), {}), ("astype", (np.int32,), {}), ("copy", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", _METHOD_CASES)
def test_methods_match_numpy(name, args, kwargs):
    base = (_arange((2, 3)) - 2.0) / 3.0
    got = getattr(fnp.asarray(base), name)(*args, **kwargs)
    want = getattr(base, name)(*args, **kwargs)
    assert isinstance(got, fl.Array)
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=1e-5, atol=1e-6)
    assert np.asarray(got).shape == np.shape(want)


def test_more_methods_and_numpy_functions_on_arrays():
    base = _arange((2, 1, 3))
    x = fnp.asarray(base)
    _same(x.squeeze(), base.squeeze())
    _same(x.squeeze(1), base.squeeze(1))
    np.testing.assert_allclose(x[0, 0].dot(x[1, 0]), base[0, 0].dot(base[1, 0]))
    assert x[1, 0, 2].item() == 5.0 and x[0].tolist() == base[0].tolist()
    assert np.sum(x) == base.sum() and np.mean(x) == base.mean()   # NumPy calls the methods
    with pytest.raises(TypeError, match="out="):
        x.sum(out=np.zeros(()))


def test_methods_and_indexing_work_on_tracers():
    def f(x):
        return (x.T.reshape(-1)[::2].sum() + x.at[0].add(1.0).max(), x.mT @ x, list(x)[1])
    base = _arange((2, 2))
    program = fl.make_ir(f)(base)
    outs = evaluate(program, base)
    want = f(fnp.asarray(base))
    for got, expected in zip(outs, want):
        _same(got, np.asarray(expected))


# ---- take / take_along_axis -----------------------------------------------------------------

@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_take_matches_numpy(data, shape):
    x = _arange(shape)
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    n = x.size if axis is None else shape[axis]
    indices = data.draw(hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=2),
                                   elements=st.integers(-n, n - 1)))
    _same(take(x, indices, axis=axis), np.take(x, indices, axis=axis))
    wrapped = indices * 3 + 1
    _same(take(x, wrapped, axis=axis, mode="wrap"), np.take(x, wrapped, axis=axis, mode="wrap"))
    _same(take(x, wrapped, axis=axis, mode="clip"), np.take(x, wrapped, axis=axis, mode="clip"))


def test_take_modes_and_errors():
    x = np.array([1.0, 2.0, 3.0], np.float32)
    with pytest.raises(IndexError):
        take(x, [3])
    _same(take(x, [3, -1], mode="fill"), np.array([np.nan, 3.0], np.float32))
    program = fl.make_ir(lambda x, i: take(x, i))(x, np.array([0, 0]))
    _same(evaluate(program, x, np.array([5, 1]))[0], np.array([np.nan, 2.0], np.float32))
    program = fl.make_ir(lambda x, i: take(x, i, mode="wrap"))(x, np.array([0, 0]))
    _same(evaluate(program, x, np.array([-4, 4]))[0], np.take(x, [-4, 4], mode="wrap"))
    with pytest.raises(ValueError, match="mode"):
        take(x, [0], mode="bogus")


@given(st.data(), hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
def test_take_along_axis_matches_numpy(data, shape):
    x = _arange(shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    ishape = tuple(data.draw(st.sampled_from([1, n])) for n in shape)
    ishape = ishape[:axis % len(shape)] + (data.draw(st.integers(0, 4)),) + \
        ishape[axis % len(shape) + 1:]
    n = shape[axis]
    indices = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(-n, n - 1)))
    _same(take_along_axis(x, indices, axis), np.take_along_axis(x, indices, axis))
    program = fl.make_ir(lambda x, i: take_along_axis(x, i, axis))(x, indices)
    _same(evaluate(program, x, indices)[0], np.take_along_axis(x, indices, axis))


def test_take_along_axis_sorts_with_argsort_indices():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], np.float32)
    order = np.argsort(x, axis=1)
    _same(take_along_axis(x, order, axis=1), np.sort(x, axis=1))
    _same(take_along_axis(x.ravel(), np.array([5, 0]), axis=None), np.array([4.0, 3.0]))
    with pytest.raises(ValueError, match="same number of dimensions"):
        take_along_axis(x, np.array([0]), axis=1)
