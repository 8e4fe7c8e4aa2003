"""functorch_lite.numpy against NumPy: elementwise math, reductions, shapes, creation
and products, on random shapes, dtypes and axes; exact result dtypes under the
project's rules; and the same functions staged with make_ir then evaluated."""

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import numpy as fnp
from xla_like import evaluate
from xla_like import primitives as P

F16, F32, F64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
I8, I16, I32, I64 = (np.dtype(t) for t in ("int8", "int16", "int32", "int64"))
U8, U16, U32, BOOL = np.dtype("uint8"), np.dtype("uint16"), np.dtype("uint32"), np.dtype(bool)
FLOATS, INTS = (F32, F64), (I8, I32, I64, U8)
NUMERIC = FLOATS + INTS


def elements(dtype, lo=-10, hi=10):
    if dtype.kind == "f":
        return st.floats(float(dtype.type(lo)), float(dtype.type(hi)), width=8 * dtype.itemsize)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(builtin_max(lo, info.min), builtin_min(hi, info.max))
    return st.booleans()


builtin_max, builtin_min = max, min


def NAME(value):
    return getattr(value, "__name__", "")


def arrays(dtype, shape, lo=-10, hi=10):
    return hnp.arrays(dtype, shape, elements=elements(dtype, lo, hi))


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
nonempty_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def array_and_axis(draw, dtypes_=NUMERIC, shape=nonempty_shapes, lo=-10, hi=10):
    """An array plus an ``axis`` argument: None, an int (maybe negative) or a tuple."""
    dtype = draw(st.sampled_from(dtypes_))
    x = draw(arrays(dtype, draw(shape), lo, hi))
    nd = x.ndim
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                          st.lists(st.integers(0, nd - 1), unique=True, max_size=nd)
                          .map(lambda axes: tuple(a - nd if a % 2 else a for a in axes))))
    return x, axis


def close(actual, expected, dtype=None, rtol=2e-5, atol=1e-5):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    if actual.dtype.kind in "biu" and expected.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual.astype(np.complex128 if actual.dtype.kind == "c"
                                                 else np.float64),
                                   expected, rtol=rtol, atol=atol, equal_nan=True)


def float_of(dtype):
    """Float dtype an int input becomes: float32, or float64 for 64-bit ints."""
    if dtype.kind in "fc":
        return dtype
    return F64 if dtype.itemsize == 8 else F32


# ---- elementwise -----------------------------------------------------------------------------

UNARY_FLOAT = [  # (ours, NumPy's, element range)
    (fnp.exp, np.exp, (-5, 5)), (fnp.log2, np.log2, (0.01, 100)),
    (fnp.log10, np.log10, (0.01, 100)), (fnp.sqrt, np.sqrt, (0, 100)),
    (fnp.rint, np.rint, (-10, 10)), (fnp.deg2rad, np.deg2rad, (-360, 360)),
    (fnp.rad2deg, np.rad2deg, (-7, 7)), (fnp.sinc, np.sinc, (-3, 3)),
    (fnp.fabs, np.fabs, (-10, 10)), (fnp.reciprocal, np.reciprocal, (0.5, 10)),
    (fnp.square, np.square, (-10, 10)), (fnp.floor, np.floor, (-10, 10)),
    (fnp.ceil, np.ceil, (-10, 10)), (fnp.trunc, np.trunc, (-10, 10)),
    (fnp.round, np.round, (-10, 10)), (fnp.tanh, np.tanh, (-5, 5)),
]


@pytest.mark.parametrize("ours,theirs,domain", UNARY_FLOAT, ids=NAME)
@given(data=st.data())
def test_unary_float_functions_match_numpy(ours, theirs, domain, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    x = data.draw(arrays(dtype, data.draw(shapes), *domain))
    close(ours(x), theirs(x), dtype)


@pytest.mark.parametrize("fn", [fnp.exp, fnp.log2, fnp.sqrt, fnp.rint, fnp.deg2rad, fnp.fabs])
@pytest.mark.parametrize("dtype", [I8, I32, U8, BOOL, I64])
def test_int_inputs_to_float_functions_become_float32_or_float64(fn, dtype):
    x = np.arange(1, 5).astype(dtype)
    assert fn(x).dtype == float_of(dtype)


@pytest.mark.parametrize("fn", [fnp.floor, fnp.ceil, fnp.trunc, fnp.round, fnp.fix])
@pytest.mark.parametrize("dtype", [I8, I32, U8, BOOL])
def test_rounding_keeps_integers(fn, dtype):
    x = np.arange(4).astype(dtype)
    out = fn(x)
    assert out.dtype == dtype and np.asarray(out).tolist() == x.tolist()


@given(x=arrays(F32, shapes, -1000, 1000), decimals=st.integers(-2, 3))
def test_round_decimals_halves_to_even(x, decimals):
    x = np.concatenate([x.ravel(), np.float32([0.5, 1.5, 2.5, -0.5, -2.5])])
    close(fnp.round(x, decimals), np.round(x, decimals), F32, rtol=1e-5, atol=1e-3)


@given(x=arrays(I32, shapes, -100000, 100000), decimals=st.integers(-4, -1))
def test_round_ints_to_negative_decimals(x, decimals):
    close(fnp.around(x, decimals), np.round(x, decimals), I32)


BINARY = [  # (ours, NumPy's, divisor-like second operand avoids 0 for floats)
    (fnp.add, np.add), (fnp.subtract, np.subtract), (fnp.multiply, np.multiply),
    (fnp.maximum, np.maximum), (fnp.minimum, np.minimum), (fnp.floor_divide, np.floor_divide),
    (fnp.remainder, np.remainder), (fnp.fmod, np.fmod), (fnp.fmax, np.fmax),
    (fnp.fmin, np.fmin), (fnp.equal, np.equal), (fnp.less_equal, np.less_equal),
]


@pytest.mark.parametrize("ours,theirs", BINARY, ids=NAME)
@given(data=st.data())
def test_binary_functions_broadcast_promote_and_match_numpy(ours, theirs, data):
    shape_x, shape_y = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2,
                                                                   max_dims=3)).input_shapes
    dx, dy = data.draw(st.sampled_from(NUMERIC)), data.draw(st.sampled_from(NUMERIC))
    x, y = data.draw(arrays(dx, shape_x)), data.draw(arrays(dy, shape_y))
    common = fnp.promote_types(dx, dy)
    if common.kind == "f":
        y = np.where(y == 0, 1, y).astype(dy)   # float division by zero is tested elsewhere
    with np.errstate(all="ignore"):
        expected = theirs(x.astype(common), y.astype(common))
    out = ours(x, y)
    close(out, expected, expected.dtype if expected.dtype == BOOL else common)


@given(x=arrays(F64, nonempty_shapes, -100, 100), y=arrays(F64, nonempty_shapes, -5, 5))
def test_float_floor_divide_and_remainder_follow_python(x, y):
    x, y = np.broadcast_arrays(x.ravel()[:, None], y.ravel()[None, :])
    y = np.where(y == 0, 0.1, y)
    q, r = fnp.divmod(x, y)
    assert np.array_equal(np.asarray(q), np.floor_divide(x, y))
    assert np.array_equal(np.asarray(r), np.remainder(x, y))


def test_floor_semantics_edge_cases():
    x = np.array([-7, 7, -7, 7, 5, -1], np.int32)
    y = np.array([2, -2, -2, 2, 0, 3], np.int32)
    with np.errstate(divide="ignore"):
        assert fnp.floor_divide(x, y).tolist() == np.floor_divide(x, y).tolist()
        assert fnp.remainder(x, y).tolist() == np.remainder(x, y).tolist()
    assert fnp.floor_divide(x, y).dtype == I32
    fx = np.array([1.0, -1.0, 0.0, -0.0, 1.0, -3.0], np.float32)
    fy = np.array([0.1, np.inf, 2.0, 2.0, 0.0, -0.0], np.float32)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(fnp.floor_divide(fx, fy), np.floor_divide(fx, fy))
        ours, theirs = np.asarray(fnp.remainder(fx, fy)), np.remainder(fx, fy)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


def test_true_divide_of_ints_is_float_and_floor_divide_stays_int():
    a, b = np.array([7, -7], np.int32), np.array([2, 2], np.int32)
    assert fnp.true_divide(a, b).dtype == F32 and fnp.true_divide(a, a).dtype == F32
    assert fnp.true_divide(a, b).tolist() == [3.5, -3.5]
    assert fnp.floor_divide(a, b).tolist() == [3, -4]
    assert fnp.divide(np.int64(7), np.int64(2)).dtype == F64


@given(x=arrays(I32, shapes, -6, 6), y=arrays(I32, shapes, 0, 9))
def test_int_power_stays_int_and_wraps_like_numpy(x, y):
    x, y = np.broadcast_arrays(x.ravel()[:, None], y.ravel()[None, :])
    close(fnp.power(x, y), np.power(x, y), I32)
    close(fnp.power(x, 3), np.power(x, 3), I32)


def test_power_with_python_int_exponent_is_integer_pow():
    prog = fl.make_ir(lambda x: x ** 3)(np.ones(2, np.float32))
    assert [e.prim for e in prog.eqns] == [P.integer_pow_p]
    with pytest.raises(ValueError, match="negative integer powers"):
        fnp.power(np.arange(3), -1)


SPECIAL = np.array([0.0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan, 3.0], np.float32)


@pytest.mark.parametrize("ours,theirs", [(fnp.isnan, np.isnan), (fnp.isinf, np.isinf),
                                         (fnp.isfinite, np.isfinite),
                                         (fnp.signbit, np.signbit)])
def test_float_predicates(ours, theirs):
    values = SPECIAL[:-2] if ours is fnp.signbit else SPECIAL   # NaN's sign is not tracked
    close(ours(values), theirs(values), BOOL)
    close(ours(np.arange(-2, 3)), theirs(np.arange(-2, 3)), BOOL)


@given(x=arrays(F32, shapes, -50, 50), y=arrays(F32, shapes, -50, 50))
def test_two_argument_float_functions(x, y):
    x, y = np.broadcast_arrays(x.ravel()[:, None], y.ravel()[None, :])
    close(fnp.logaddexp(x, y), np.logaddexp(x, y), F32)
    close(fnp.logaddexp2(x, y), np.logaddexp2(x, y), F32)
    close(fnp.hypot(x, y), np.hypot(x, y), F32)
    close(fnp.copysign(x, y), np.copysign(x, y), F32)
    close(fnp.heaviside(x, y), np.heaviside(x, y), F32)
    close(fnp.arctan2(x, y), np.arctan2(x, y), F32)


def test_special_values_of_composite_functions():
    inf = np.float32(np.inf)
    assert fnp.logaddexp(-inf, -inf).item() == -np.inf
    assert fnp.logaddexp(inf, inf).item() == np.inf
    assert fnp.hypot(inf, np.float32(np.nan)).item() == np.inf
    big = np.float32(2e38)
    assert fnp.hypot(big, big).item() == np.hypot(big, big)
    assert fnp.copysign(1.0, -0.0).item() == -1.0
    assert fnp.sinc(0.0).item() == 1.0


@given(x=arrays(F32, shapes), lo=st.floats(-5, 0, width=32), hi=st.floats(0, 5, width=32))
def test_clip_and_where(x, lo, hi):
    close(fnp.clip(x, lo, hi), np.clip(x, lo, hi), F32)
    close(fnp.clip(x, max=hi), np.minimum(x, hi), F32)
    close(fnp.where(x > 0, x, -1.0), np.where(x > 0, x, np.float32(-1)), F32)
    close(fnp.where(x.astype(np.int32), 1, 0), np.where(x.astype(np.int32), 1, 0), I32)


def test_where_broadcasts_and_promotes():
    cond = np.array([True, False, True])
    out = fnp.where(cond[:, None], np.ones((1, 2), np.int8), np.zeros(2, np.float32))
    assert out.shape == (3, 2) and out.dtype == F32
    with pytest.raises(TypeError, match="one-argument form"):
        fnp.where(cond)


@given(x=arrays(I8, shapes, -128, 127), y=arrays(I8, shapes, -128, 127))
def test_logical_and_bitwise(x, y):
    x, y = np.broadcast_arrays(x.ravel()[:, None], y.ravel()[None, :])
    for ours, theirs in [(fnp.logical_and, np.logical_and), (fnp.logical_or, np.logical_or),
                         (fnp.logical_xor, np.logical_xor), (fnp.bitwise_and, np.bitwise_and),
                         (fnp.bitwise_xor, np.bitwise_xor)]:
        close(ours(x, y), theirs(x, y))
    close(fnp.logical_not(x), np.logical_not(x), BOOL)
    close(fnp.invert(x), np.invert(x), I8)
    close(fnp.bitwise_not(x.astype(bool)), np.invert(x.astype(bool)), BOOL)


@given(x=arrays(I32, shapes, -2**31, 2**31 - 1), shift=st.integers(0, 31))
def test_right_shift_is_arithmetic_for_signed_and_logical_for_unsigned(x, shift):
    close(fnp.right_shift(x, shift), np.right_shift(x, shift), I32)
    u = x.astype(np.uint32)
    close(fnp.right_shift(u, np.uint32(shift)), np.right_shift(u, np.uint32(shift)), U32)
    close(fnp.left_shift(x, shift), np.left_shift(x, shift), I32)


def test_elementwise_errors_are_clear():
    with pytest.raises(ValueError, match=r"shapes \(3,\), \(4,\) cannot be broadcast"):
        fnp.add(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="bitwise_and: unsupported dtype float32"):
        fnp.bitwise_and(np.ones(2, np.float32), np.ones(2, np.float32))
    with pytest.raises(TypeError, match="right_shift: unsupported dtype float32"):
        fnp.right_shift(np.ones(2, np.float32), 1)


def test_weak_scalars_keep_the_array_dtype():
    x = np.ones(3, np.float16)
    for fn in (fnp.add, fnp.floor_divide, fnp.remainder, fnp.hypot, fnp.copysign, fnp.maximum):
        assert fn(x, 2.0).dtype == F16
    assert fnp.floor_divide(np.ones(3, np.int8), 2).dtype == I8


# ---- reductions -------------------------------------------------------------------------------

def sum_dtype(dtype):
    return {BOOL: I32, I8: I32, I16: I32, U8: U32, U16: U32}.get(dtype, dtype)


REDUCTIONS = [  # (ours, NumPy's, result dtype for an input dtype)
    (fnp.sum, np.sum, sum_dtype), (fnp.prod, np.prod, sum_dtype),
    (fnp.max, np.max, lambda d: d), (fnp.amin, np.min, lambda d: d),
    (fnp.all, np.all, lambda d: BOOL), (fnp.any, np.any, lambda d: BOOL),
    (fnp.mean, np.mean, float_of), (fnp.var, np.var, float_of), (fnp.std, np.std, float_of),
]


@pytest.mark.parametrize("ours,theirs,out_dtype", REDUCTIONS, ids=NAME)
@given(data=st.data(), keepdims=st.booleans())
def test_reductions_match_numpy(ours, theirs, out_dtype, data, keepdims):
    lo, hi = (-3, 3) if ours is fnp.prod else (-10, 10)
    x, axis = data.draw(array_and_axis(NUMERIC + (BOOL, I16), lo=lo, hi=hi))
    if ours in (fnp.var, fnp.std, fnp.mean) and x.dtype == BOOL:
        x = x.astype(np.int8)
    with np.errstate(all="ignore"):
        expected = theirs(x.astype(np.float64) if x.dtype.kind == "f" else x, axis=axis,
                          keepdims=keepdims)
    if ours in (fnp.sum, fnp.prod):     # NumPy's 64-bit accumulators vs our int32 ones
        expected = np.asarray(expected).astype(out_dtype(x.dtype))
    close(ours(x, axis=axis, keepdims=keepdims), expected, out_dtype(x.dtype), rtol=1e-4,
          atol=1e-4)


@given(data=st.data())
def test_reduction_dtype_where_initial_and_ddof(data):
    x, axis = data.draw(array_and_axis(FLOATS))
    mask = data.draw(arrays(BOOL, x.shape))
    close(fnp.sum(x, axis, dtype=np.float64), np.sum(x, axis, dtype=np.float64), F64)
    close(fnp.sum(x, axis, where=mask, initial=1.0), np.sum(x, axis, where=mask, initial=1.0),
          x.dtype, rtol=1e-4, atol=1e-4)
    close(fnp.max(x, axis, where=mask, initial=-5.0),
          np.max(x, axis, where=mask, initial=-5.0), x.dtype)
    with np.errstate(all="ignore"):
        close(fnp.var(x, axis, ddof=1), np.var(x.astype(np.float64), axis, ddof=1), x.dtype,
              rtol=1e-4, atol=1e-4)
        close(fnp.mean(x, axis, where=mask), np.mean(x.astype(np.float64), axis, where=mask),
              x.dtype, rtol=1e-4, atol=1e-4)


def test_mean_dtypes_follow_the_project_rules():
    assert fnp.mean(np.arange(4, dtype=np.int32)).dtype == F32
    assert fnp.mean(np.arange(4, dtype=np.int64)).dtype == F64
    assert fnp.mean(np.ones(4, np.float16)).dtype == F16
    assert fnp.var(np.ones(4, np.complex64)).dtype == F32
    assert fnp.sum(np.ones(4, np.uint8)).dtype == U32
    assert fnp.sum(np.ones(4, bool)).item() == 4


@given(data=st.data(), keepdims=st.booleans())
def test_argmax_argmin(data, keepdims):
    x, _ = data.draw(array_and_axis((F32, I32, U8)))
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    for ours, theirs in ((fnp.argmax, np.argmax), (fnp.argmin, np.argmin)):
        close(ours(x, axis, keepdims=keepdims), theirs(x, axis, keepdims=keepdims), I32)


@given(data=st.data())
def test_cumulative(data):
    x, _ = data.draw(array_and_axis((F32, I8, I32, BOOL), lo=-3, hi=3))
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    close(fnp.cumsum(x, axis), np.cumsum(x, axis).astype(sum_dtype(x.dtype)),
          sum_dtype(x.dtype), rtol=1e-4, atol=1e-4)
    close(fnp.cumprod(x, axis, dtype=np.float64), np.cumprod(x, axis, dtype=np.float64), F64)


def test_reduction_errors():
    with pytest.raises(ValueError, match="zero-size array"):
        fnp.max(np.zeros((0, 3)), axis=0)
    assert fnp.max(np.zeros((0, 3)), axis=1).shape == (0,)
    with pytest.raises(ValueError, match="argmax of an empty sequence"):
        fnp.argmax(np.zeros(0))
    with pytest.raises(np.exceptions.AxisError, match="sum: axis 2 is out of bounds"):
        fnp.sum(np.ones(3), axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        fnp.sum(np.ones((2, 2)), axis=(0, -2))


# ---- shapes -------------------------------------------------------------------------------------

@given(x=arrays(F32, nonempty_shapes), data=st.data())
def test_reshape_transpose_and_axis_moves(x, data):
    close(fnp.reshape(x, (-1,)), x.reshape(-1), F32)
    close(fnp.reshape(x, (x.shape[0], -1), order="F"), x.reshape((x.shape[0], -1), order="F"))
    close(fnp.ravel(x), np.ravel(x))
    perm = data.draw(st.permutations(range(x.ndim)))
    close(fnp.transpose(x, perm), np.transpose(x, perm))
    close(fnp.transpose(x), np.transpose(x))
    i, j = data.draw(st.integers(-x.ndim, x.ndim - 1)), data.draw(st.integers(0, x.ndim - 1))
    close(fnp.swapaxes(x, i, j), np.swapaxes(x, i, j))
    close(fnp.moveaxis(x, i, j), np.moveaxis(x, i, j))
    close(fnp.moveaxis(x, [0, -1], [-1, 0]) if x.ndim > 1 else x,
          np.moveaxis(x, [0, -1], [-1, 0]) if x.ndim > 1 else x)
    close(fnp.flip(x, i), np.flip(x, i))
    close(fnp.flip(x), np.flip(x))


@given(x=arrays(I32, shapes), data=st.data())
def test_expand_squeeze_and_broadcast(x, data):
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    close(fnp.expand_dims(x, axis), np.expand_dims(x, axis), I32)
    close(fnp.expand_dims(x, (0, -1)), np.expand_dims(x, (0, -1)))
    close(fnp.squeeze(x), np.squeeze(x))
    ones = tuple(i for i, d in enumerate(x.shape) if d == 1)
    close(fnp.squeeze(x, ones), np.squeeze(x, ones))
    target = data.draw(hnp.broadcastable_shapes(x.shape, max_dims=4, min_side=0))
    target = np.broadcast_shapes(target, x.shape)
    close(fnp.broadcast_to(x, target), np.broadcast_to(x, target))
    a, b = fnp.broadcast_arrays(x, np.ones(target[-1:] or (1,), np.float32))
    assert a.shape == b.shape == np.broadcast_shapes(x.shape, target[-1:] or (1,))
    assert a.dtype == I32 and b.dtype == F32


@given(data=st.data())
def test_joining(data):
    shape = data.draw(nonempty_shapes)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = [data.draw(arrays(d, shape[:axis % len(shape)] + (k,) + shape[axis % len(shape) + 1:]))
             for d, k in zip((F32, I32, I8), (1, 2, 0))]
    close(fnp.concatenate(parts, axis), np.concatenate([p.astype(F32) for p in parts], axis), F32)
    close(fnp.concatenate(parts, axis=None), np.concatenate([p.ravel() for p in parts]).astype(F32))
    same = [data.draw(arrays(I32, shape)) for _ in range(3)]
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    close(fnp.stack(same, stack_axis), np.stack(same, stack_axis), I32)
    for ours, theirs in ((fnp.hstack, np.hstack), (fnp.vstack, np.vstack),
                         (fnp.dstack, np.dstack)):
        close(ours(same), theirs(same), I32)
    close(fnp.stack(same, dtype=np.float64), np.stack(same).astype(F64), F64)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_atleast(shape):
    x = np.ones(shape, np.float32)
    for ours, theirs in ((fnp.atleast_1d, np.atleast_1d), (fnp.atleast_2d, np.atleast_2d),
                         (fnp.atleast_3d, np.atleast_3d)):
        assert ours(x).shape == theirs(x).shape
        assert [y.shape for y in ours(x, 1.0)] == [y.shape for y in theirs(x, 1.0)]


def test_shape_queries_dtypes_and_errors():
    x = np.ones((2, 3), np.int8)
    assert fnp.shape(x) == (2, 3) and fnp.ndim(x) == 2 and fnp.size(x) == 6
    assert fnp.size(x, -1) == 3 and fnp.shape(1.0) == ()
    assert fnp.astype(x, fnp.float32).dtype == F32 and not fnp.astype(2, fnp.float32).weak_type
    assert fnp.result_type(fnp.int32, 1.0) == F32
    assert fnp.result_type(np.ones(2, np.int8), np.uint8) == I16
    assert fnp.promote_types(fnp.int8, fnp.uint8) == I16
    assert fnp.promote_types("int64", "uint64") == F64
    assert np.dtype(fnp.bool_) == BOOL and np.dtype(fnp.float64) == F64
    assert isinstance(fnp.ones(2), fnp.ndarray)
    with pytest.raises(ValueError, match=r"cannot reshape array of size 6 into shape \(4, -1\)"):
        fnp.reshape(x, (4, -1))
    with pytest.raises(ValueError, match="squeeze: cannot select an axis"):
        fnp.squeeze(x, 0)
    with pytest.raises(ValueError, match="concatenate: all input array dimensions"):
        fnp.concatenate([x, np.ones((3, 2))], axis=0)
    with pytest.raises(ValueError, match="zero-dimensional"):
        fnp.concatenate([1.0, 2.0])
    with pytest.raises(ValueError, match="stack: all input arrays must have the same shape"):
        fnp.stack([np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="not a permutation"):
        fnp.transpose(x, (0, 0))
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(2, 3\) to \(3, 3\)"):
        fnp.broadcast_to(x, (3, 3))


# ---- creation -----------------------------------------------------------------------------------

def test_creation_defaults_and_dtypes():
    assert fnp.zeros((2, 3)).dtype == F32 and fnp.ones(3).dtype == F32
    assert fnp.empty(2, dtype=int).dtype == I64
    assert fnp.full((2,), 7).dtype == I32 and fnp.full((2,), 7.0).dtype == F32
    assert fnp.full((2,), True).dtype == BOOL
    assert fnp.full((2, 2), np.arange(2, dtype=np.int8)).tolist() == [[0, 1], [0, 1]]
    x = np.arange(6, dtype=np.int16).reshape(2, 3)
    for fn, value in ((fnp.zeros_like, 0), (fnp.ones_like, 1), (fnp.empty_like, 0)):
        out = fn(x)
        assert out.dtype == I16 and out.shape == (2, 3) and np.all(np.asarray(out) == value)
    assert fnp.full_like(x, 2.7).tolist() == [[2] * 3] * 2
    assert fnp.zeros_like(x, dtype=np.float64, shape=(4,)).dtype == F64
    a = fnp.array([[1, 2]], ndmin=3)
    assert a.shape == (1, 1, 2) and a.dtype == I32
    assert fnp.array([1.0, 2.0]).dtype == F32 and fnp.array(np.ones(2)).dtype == F64
    y = fnp.ones(3)
    assert fnp.array(y) is not y and fnp.asarray(y) is y


@pytest.mark.parametrize("args,dtype", [((5,), None), ((2, 9, 3), None), ((1.0, 2.0, 0.25), None),
                                        ((5, 0, -2), None), ((0.5, 4), None), ((4,), np.int8),
                                        ((3,), np.float64), ((-3, 3), np.float32), ((0,), None)])
def test_arange(args, dtype):
    ours = fnp.arange(*args, dtype=dtype)
    theirs = np.arange(*args, dtype=dtype)
    default = F32 if any(isinstance(a, float) for a in args) else I32
    close(ours, theirs, default if dtype is None else dtype)


@given(start=st.floats(-10, 10, width=32), stop=st.floats(-10, 10, width=32),
       num=st.integers(0, 12), endpoint=st.booleans())
def test_linspace(start, stop, num, endpoint):
    ours, step = fnp.linspace(start, stop, num, endpoint=endpoint, retstep=True)
    theirs, their_step = np.linspace(start, stop, num, endpoint=endpoint, retstep=True)
    close(ours, theirs, F32, rtol=1e-5, atol=1e-5)
    close(step, their_step, F32, rtol=1e-5, atol=1e-5)
    close(fnp.linspace(start, stop, num, dtype=np.int32),
          np.linspace(start, stop, num, dtype=np.int32), I32)


def test_linspace_with_array_endpoints():
    close(fnp.linspace(np.zeros(2), np.array([1.0, 2.0]), 5),
          np.linspace(np.zeros(2), np.array([1.0, 2.0]), 5), F64)


@given(n=st.integers(0, 5), m=st.one_of(st.none(), st.integers(0, 5)), k=st.integers(-5, 5))
def test_eye_and_identity(n, m, k):
    close(fnp.eye(n, m, k), np.eye(n, m, k), F32)
    close(fnp.eye(n, m, k, dtype=bool), np.eye(n, m, k, dtype=bool), BOOL)
    close(fnp.identity(n, dtype=np.int8), np.identity(n, dtype=np.int8), I8)


# ---- products -----------------------------------------------------------------------------------

@st.composite
def dot_operands(draw):
    """Operands of compatible ranks 0..3 for NumPy's ``dot``."""
    ra, rb = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    k = draw(st.integers(1, 3))
    side = st.integers(1, 3)
    a_shape = tuple(draw(side) for _ in range(ra))
    b_shape = tuple(draw(side) for _ in range(rb))
    if ra and rb:
        a_shape = a_shape[:-1] + (k,)
        b_shape = (k,) if rb == 1 else b_shape[:-2] + (k,) + b_shape[-1:]
    dt = draw(st.sampled_from([(F32, F32), (I32, F32), (I8, I8), (F64, I32)]))
    return draw(arrays(dt[0], a_shape)), draw(arrays(dt[1], b_shape))


@given(ab=dot_operands())
def test_dot_all_rank_cases(ab):
    a, b = ab
    common = fnp.promote_types(a.dtype, b.dtype)
    close(fnp.dot(a, b), np.dot(a.astype(common), b.astype(common)), common, rtol=1e-4)


@given(data=st.data())
def test_matmul_batch_broadcasting_and_vectors(data):
    batch_a, batch_b = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2,
                                                                   max_side=3)).input_shapes
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    a_vec, b_vec = data.draw(st.booleans()), data.draw(st.booleans())
    a = data.draw(arrays(F32, (k,) if a_vec else batch_a + (n, k)))
    b = data.draw(arrays(I32, (k,) if b_vec else batch_b + (k, m)))
    close(fnp.matmul(a, b), np.matmul(a, b.astype(F32)), F32, rtol=1e-4, atol=1e-4)


@given(a=arrays(F32, nonempty_shapes), data=st.data())
def test_inner_outer_vdot_tensordot(a, data):
    b = data.draw(arrays(F32, (2, a.shape[-1])))
    close(fnp.inner(a, b), np.inner(a, b), F32, rtol=1e-4, atol=1e-4)
    close(fnp.outer(a, b), np.outer(a, b), F32)
    close(fnp.vdot(a, a), np.vdot(a, a), F32, rtol=1e-4, atol=1e-4)
    n = data.draw(st.integers(0, a.ndim))
    c = data.draw(arrays(F32, a.shape[a.ndim - n:] + (2,)))
    close(fnp.tensordot(a, c, n), np.tensordot(a, c, n), F32, rtol=1e-4, atol=1e-4)
    close(fnp.tensordot(a, b, ([-1], [1])), np.tensordot(a, b, ([-1], [1])), F32,
          rtol=1e-4, atol=1e-4)


def test_products_dtypes_and_errors():
    bools = np.array([[True, False], [False, False]])
    close(fnp.dot(bools, bools), np.dot(bools, bools), BOOL)
    assert fnp.matmul(np.ones((2, 2), np.int8), np.ones((2, 2), np.uint8)).dtype == I16
    assert fnp.dot(np.ones(2, np.float32), 2.0).dtype == F32
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2, 3\) are not aligned"):
        fnp.dot(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="matmul: operands must have at least one dimension"):
        fnp.matmul(np.ones(2), 2.0)
    with pytest.raises(ValueError, match=r"shapes \(2,\), \(3,\) cannot be broadcast"):
        fnp.matmul(np.ones((2, 1, 1)), np.ones((3, 1, 1)))


# ---- staging ------------------------------------------------------------------------------

STAGED = [
    lambda x: fnp.sum(x, axis=0),
    lambda x: fnp.mean(x, -1, keepdims=True),
    lambda x: fnp.var(x, ddof=1),
    lambda x: fnp.argmax(x, axis=1),
    lambda x: fnp.cumsum(x, axis=-1),
    lambda x: fnp.floor_divide(x, 0.7) + fnp.remainder(x, -0.7),
    lambda x: fnp.where(x > 0, x, fnp.zeros_like(x)),
    lambda x: fnp.round(x, 1) + fnp.trunc(x) + fnp.clip(x, -1, 1),
    lambda x: fnp.logaddexp(x, fnp.flip(x, 0)) + fnp.hypot(x, 1.0),
    lambda x: fnp.concatenate([x, fnp.ones_like(x)], axis=1),
    lambda x: fnp.stack([x, x], axis=-1),
    lambda x: fnp.matmul(x, fnp.transpose(x)) + fnp.dot(x, fnp.ones(x.shape[1])),
    lambda x: fnp.tensordot(x, x, ((0,), (0,))),
    lambda x: fnp.reshape(fnp.moveaxis(x, 0, 1), (-1,)) + fnp.arange(x.size),
    lambda x: fnp.eye(x.shape[0]) * fnp.linspace(x[0, 0], 1.0, x.shape[0]),
    lambda x: fnp.max(fnp.expand_dims(x, 0), axis=(0, 2)) + fnp.all(x > -5, axis=1),
    lambda x: fnp.power(fnp.abs(x), fnp.full(x.shape, 2.5)) + fnp.isnan(x),
]


@pytest.mark.parametrize("index", range(len(STAGED)))
@given(x=arrays(F32, st.tuples(st.integers(1, 4), st.integers(1, 4)), -5, 5))
def test_functions_stage_and_evaluate_like_eager(index, x):
    fn = STAGED[index]
    program = fl.make_ir(fn)(x)
    (out,) = evaluate(program, x)
    eager = np.asarray(fn(fnp.asarray(x)))
    assert out.dtype == eager.dtype
    np.testing.assert_allclose(out, eager, rtol=1e-6, atol=1e-6)


def test_creation_under_tracing_is_small_equations():
    prog = fl.make_ir(lambda x: fnp.zeros_like(x) + fnp.arange(3.0) + fnp.eye(3)[0])(
        np.ones(3, np.float32))
    prims = {e.prim for e in prog.eqns}
    assert P.broadcast_in_dim_p in prims and P.iota_p in prims
    assert not prog.constvars          # no baked-in constant arrays
    assert all(e.prim is not P.copy_p for e in prog.eqns)


def test_traced_linspace_endpoints():
    prog = fl.make_ir(lambda a, b: fnp.linspace(a, b, 4))(np.float32(0), np.float32(3))
    np.testing.assert_allclose(evaluate(prog, np.float32(1), np.float32(4))[0], [1, 2, 3, 4])
