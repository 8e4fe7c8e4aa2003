"""functorch_lite.lax: the wrappers against NumPy and against the primitives they wrap,
convolution layouts and padding strings, windowed reductions, and lax's refusal to
promote dtypes."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import sliding_window_view

import functorch_lite as fl
from functorch_lite import lax
from xla_like import primitives as P

F32, F64, I32, U32, BOOL = (np.dtype(t) for t in ("float32", "float64", "int32", "uint32",
                                                  "bool"))
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)


def floats(shape, lo=-10.0, hi=10.0, dtype=F32):
    bounds = float(dtype.type(lo)), float(dtype.type(hi))
    return hnp.arrays(dtype, shape, elements=st.floats(*bounds, width=8 * dtype.itemsize))


def ints(shape, lo=-100, hi=100, dtype=I32):
    return hnp.arrays(dtype, shape, elements=st.integers(lo, hi))


def same(actual, expected, dtype, rtol=1e-5, atol=1e-6):
    actual = np.asarray(actual)
    assert actual.dtype == dtype, (actual.dtype, dtype)
    assert actual.shape == np.shape(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# ---- elementwise -----------------------------------------------------------------------------

UNARY = [  # (wrapper, NumPy reference, domain)
    (lax.neg, np.negative, (-10, 10)), (lax.abs, np.abs, (-10, 10)),
    (lax.sign, np.sign, (-10, 10)), (lax.exp, np.exp, (-5, 5)), (lax.exp2, np.exp2, (-5, 5)),
    (lax.log, np.log, (0.1, 10)), (lax.log1p, np.log1p, (-0.5, 10)),
    (lax.expm1, np.expm1, (-5, 5)), (lax.sin, np.sin, (-5, 5)), (lax.cos, np.cos, (-5, 5)),
    (lax.tan, np.tan, (-1, 1)), (lax.asin, np.arcsin, (-1, 1)),
    (lax.acos, np.arccos, (-1, 1)), (lax.atan, np.arctan, (-5, 5)),
    (lax.sinh, np.sinh, (-3, 3)), (lax.cosh, np.cosh, (-3, 3)), (lax.tanh, np.tanh, (-3, 3)),
    (lax.asinh, np.arcsinh, (-5, 5)), (lax.acosh, np.arccosh, (1, 5)),
    (lax.atanh, np.arctanh, (-0.9, 0.9)), (lax.sqrt, np.sqrt, (0, 10)),
    (lax.rsqrt, lambda x: 1 / np.sqrt(x), (0.1, 10)), (lax.cbrt, np.cbrt, (-10, 10)),
    (lax.logistic, lambda x: 1 / (1 + np.exp(-x)), (-5, 5)),
    (lax.floor, np.floor, (-10, 10)), (lax.ceil, np.ceil, (-10, 10)),
    (lax.is_finite, np.isfinite, (-10, 10)), (lax.copy, np.copy, (-10, 10)),
]


@pytest.mark.parametrize("fn,ref,domain", UNARY, ids=[f.__name__ for f, _, _ in UNARY])
@given(data=st.data())
def test_unary_wrappers_match_numpy(fn, ref, domain, data):
    x = data.draw(floats(data.draw(shapes), *domain))
    expected = np.asarray(ref(x.astype(np.float64)))
    same(fn(x), expected, BOOL if expected.dtype == BOOL else F32, rtol=2e-5, atol=1e-5)


SPECIAL_UNARY = [(lax.erf, "erf"), (lax.erfc, "erfc"), (lax.erf_inv, "erfinv"),
                 (lax.lgamma, "gammaln"), (lax.digamma, "psi")]


@pytest.mark.parametrize("fn,scipy_name", SPECIAL_UNARY)
@given(x=floats((5,), 0.1, 0.9))
def test_special_functions(fn, scipy_name, x):
    import scipy.special
    same(fn(x), getattr(scipy.special, scipy_name)(x.astype(np.float64)), F32, rtol=1e-4)


BINARY = [
    (lax.add, np.add), (lax.sub, np.subtract), (lax.mul, np.multiply),
    (lax.max, np.maximum), (lax.min, np.minimum), (lax.atan2, np.arctan2),
    (lax.pow, np.power), (lax.nextafter, np.nextafter),
    (lax.eq, np.equal), (lax.ne, np.not_equal), (lax.lt, np.less), (lax.le, np.less_equal),
    (lax.gt, np.greater), (lax.ge, np.greater_equal),
]


@pytest.mark.parametrize("fn,ref", BINARY, ids=[f.__name__ for f, _ in BINARY])
@given(data=st.data())
def test_binary_wrappers_match_numpy_with_arrays_and_scalars(fn, ref, data):
    shape = data.draw(shapes)
    lo = 0.1 if fn is lax.pow else -10.0
    x, y = data.draw(floats(shape, lo, 10.0)), data.draw(floats(shape, -3.0, 3.0))
    expected = np.asarray(ref(x, y))
    same(fn(x, y), expected, expected.dtype, rtol=2e-5)
    with_scalar = np.asarray(ref(x, np.float32(1.5)))
    same(fn(x, 1.5), with_scalar, with_scalar.dtype, rtol=2e-5)


@given(x=ints((6,), -50, 50), y=ints((6,), -7, 7))
def test_integer_division_truncates_and_remainder_follows_the_dividend(x, y):
    y = np.where(y == 0, 3, y).astype(np.int32)
    same(lax.div(x, y), np.trunc(x / y), I32)
    same(lax.rem(x, y), np.fmod(x, y), I32)
    same(lax.integer_pow(x, 2), x * x, I32)


@given(x=ints((5,), -2**31, 2**31 - 1), shift=st.integers(0, 31))
def test_bitwise_and_shifts(x, shift):
    y = np.full(5, shift, np.int32)
    same(lax.shift_left(x, y), np.left_shift(x, y), I32)
    same(lax.shift_right_arithmetic(x, shift), np.right_shift(x, y), I32)
    same(lax.shift_right_logical(x, y), np.right_shift(x.view(np.uint32), y.astype(np.uint32))
         .view(np.int32), I32)
    same(lax.bitwise_and(x, y), x & y, I32)
    same(lax.bitwise_or(x, y), x | y, I32)
    same(lax.bitwise_xor(x, y), x ^ y, I32)
    same(lax.bitwise_not(x), ~x, I32)


def test_round_methods():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.4], np.float32)
    same(lax.round(x), [1, 2, 3, -1, -3, 2], F32)
    same(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN), np.round(x), F32)
    same(lax.round(x, 1), np.round(x), F32)


def test_select_clamp_and_convert():
    which = np.array([0, 1, 2, 1], np.int32)
    cases = [np.full(4, v, np.float32) for v in (10, 20, 30)]
    same(lax.select_n(which, *cases), [10, 20, 30, 20], F32)
    same(lax.select_n(np.array([True, False, True, False]), cases[0], 5.0), [5, 10, 5, 10], F32)
    x = np.arange(-3, 4, dtype=np.float32)
    same(lax.clamp(-1.0, x, 2.0), np.clip(x, -1, 2), F32)
    same(lax.clamp(np.full(7, -2, np.float32), x, 0.0), np.clip(x, -2, 0), F32)
    same(lax.convert_element_type(np.array([2.7, -2.7, np.nan]), np.int32), [2, -2, 0], I32)
    assert lax.convert_element_type(np.ones(2, np.float32), F32).dtype == F32


def test_lax_does_not_promote():
    x32, x64 = np.ones(3, np.float32), np.ones(3, np.float64)
    with pytest.raises(TypeError, match=r"lax.add requires arguments to have the same "
                                        r"dtype, got float32, float64"):
        lax.add(x32, x64)
    with pytest.raises(TypeError, match="int32, float32"):
        lax.mul(np.ones(3, np.int32), x32)
    with pytest.raises(TypeError, match="select_n"):
        lax.select_n(True, x32, np.ones(3, np.int32))
    with pytest.raises(TypeError, match=r"lax.add: Python float 2.5 cannot take the operand "
                                        r"dtype int32"):
        lax.add(np.ones(3, np.int32), 2.5)
    with pytest.raises(TypeError, match=r"add: operands must have equal shapes"):
        lax.add(x32, np.ones(4, np.float32))
    with pytest.raises(TypeError, match="dot_general requires arguments to have the same dtype"):
        lax.dot(x32, x64)
    # Python scalars take the array's dtype, weak arrays too
    assert lax.add(np.ones(3, np.int8), 2).dtype == np.int8
    assert lax.add(np.ones(3, np.float16), 2.0).dtype == np.float16
    assert lax.add(x32, 2).dtype == F32


# ---- structural ---------------------------------------------------------------------------------

@given(x=floats(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_structural_wrappers(x, data):
    same(lax.broadcast(x, (2,)), np.broadcast_to(x, (2,) + x.shape), F32)
    same(lax.broadcast_in_dim(x, x.shape + (3,), tuple(range(x.ndim))),
         np.broadcast_to(x[..., None], x.shape + (3,)), F32)
    perm = data.draw(st.permutations(range(x.ndim)))
    same(lax.transpose(x, perm), np.transpose(x, perm), F32)
    same(lax.reshape(x, (x.size,), dimensions=perm), np.transpose(x, perm).ravel(), F32)
    same(lax.rev(x, (0,)), x[::-1], F32)
    same(lax.expand_dims(x, (-1,)), x[..., None], F32)
    same(lax.squeeze(x[None], (0,)), x, F32)
    same(lax.concatenate([x, x], x.ndim - 1), np.concatenate([x, x], -1), F32)
    starts = tuple(data.draw(st.integers(0, d)) for d in x.shape)
    limits = tuple(data.draw(st.integers(s, d)) for s, d in zip(starts, x.shape))
    same(lax.slice(x, starts, limits), x[tuple(slice(s, e) for s, e in zip(starts, limits))], F32)
    same(lax.slice(x, (0,) * x.ndim, x.shape, (2,) * x.ndim), x[(slice(None, None, 2),) * x.ndim],
         F32)


def test_pad_dynamic_slices_and_iota():
    x = np.arange(1.0, 4.0, dtype=np.float32)
    same(lax.pad(x, 0.0, [(1, 2, 1)]), [0, 1, 0, 2, 0, 3, 0, 0], F32)
    same(lax.pad(x, -1.0, [(-1, 0, 0)]), [2, 3], F32)
    m = np.arange(16, dtype=np.float32).reshape(4, 4)
    same(lax.dynamic_slice(m, (1, 3), (2, 2)), m[1:3, 2:4], F32)   # start clamped to 2
    out = np.array(m)
    out[2:4, 0:2] = -1
    same(lax.dynamic_update_slice(m, -np.ones((2, 2), np.float32), (5, -1)), out, F32)
    same(lax.iota(np.int32, 4), [0, 1, 2, 3], I32)
    same(lax.broadcasted_iota(np.float32, (2, 3), 1), [[0, 1, 2]] * 2, F32)
    with pytest.raises(TypeError, match="pad"):
        lax.pad(x, np.float64(0.0), [(1, 1, 0)])


def test_gather_and_scatter():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    idx = np.array([[2], [0], [2]], np.int32)
    same(lax.gather(x, idx, (0,)), x[[2, 0, 2]], F32)
    upd = np.ones((3, 4), np.float32)
    expected = x.copy()
    np.add.at(expected, [2, 0, 2], upd)
    same(lax.scatter_add(x, idx, upd, (0,)), expected, F32)
    same(lax.scatter(x, idx, upd * 7, (0,)), np.where(np.arange(3)[:, None] != 1, 7, x), F32)
    same(lax.scatter_max(x, idx, upd * 5, (0,)), np.where(np.arange(3)[:, None] != 1,
                                                         np.maximum(x, 5), x), F32)
    same(lax.scatter_min(x, idx, upd * 5, (0,)), np.where(np.arange(3)[:, None] != 1,
                                                         np.minimum(x, 5), x), F32)
    same(lax.scatter_mul(x, idx[:1], upd[:1] * 2, (0,)), x * np.array([[1], [1], [2]]), F32)
    with pytest.raises(TypeError, match="scatter_add requires arguments to have the same dtype"):
        lax.scatter_add(x, idx, upd.astype(np.float64), (0,))


# ---- reductions, scans, sort --------------------------------------------------------------------

@given(x=floats(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), -3, 3), data=st.data())
def test_reductions_scans_and_sort(x, data):
    axes = tuple(data.draw(st.lists(st.integers(-x.ndim, x.ndim - 1),
                                    unique_by=lambda a: a % x.ndim)))
    for fn, ref in ((lax.reduce_sum, np.sum), (lax.reduce_prod, np.prod),
                    (lax.reduce_max, np.max), (lax.reduce_min, np.min)):
        same(fn(x, axes), ref(x.astype(np.float64), axis=axes, initial=None)
             if ref not in (np.max, np.min) else ref(x, axis=axes), F32, rtol=1e-4, atol=1e-5)
    b = x > 0
    same(lax.reduce_and(b, axes), np.all(b, axis=axes), BOOL)
    same(lax.reduce_or(b, axes), np.any(b, axis=axes), BOOL)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    same(lax.argmax(x, axis, np.int32), np.argmax(x, axis), I32)
    same(lax.argmin(x, axis, np.uint32), np.argmin(x, axis), U32)
    same(lax.cumsum(x, axis), np.cumsum(x.astype(np.float64), axis), F32, rtol=1e-4, atol=1e-5)
    same(lax.cumsum(x, axis, reverse=True),
         np.flip(np.cumsum(np.flip(x, axis).astype(np.float64), axis), axis), F32, 1e-4, 1e-5)
    same(lax.cummax(x, axis), np.maximum.accumulate(x, axis), F32)
    same(lax.cummin(x, axis, reverse=True),
         np.flip(np.minimum.accumulate(np.flip(x, axis), axis), axis), F32)
    same(lax.cumprod(x, axis), np.cumprod(x.astype(np.float64), axis), F32, 1e-4, 1e-5)
    same(lax.sort(x, axis), np.sort(x, axis), F32)


def test_sort_with_several_operands():
    keys = np.array([3, 1, 2, 1], np.int32)
    second = np.array([0.0, 5.0, 1.0, 4.0], np.float32)
    vals = np.arange(4, dtype=np.float32)
    k, v = lax.sort((keys, vals))
    same(k, [1, 1, 2, 3], I32)
    same(v, [1, 3, 2, 0], F32)       # stable: equal keys keep their order
    k, s, v = lax.sort([keys, second, vals], num_keys=2)
    same(v, [3, 1, 2, 0], F32)       # ties broken by the second key
    same(lax.sort(np.array([2.0, np.nan, 1.0], np.float32)), [1.0, 2.0, np.nan], F32)


# ---- contractions -------------------------------------------------------------------------------

@given(data=st.data())
def test_dot_general_matches_einsum(data):
    b, m, k, n = (data.draw(st.integers(1, 3)) for _ in range(4))
    lhs = data.draw(floats((b, m, k)))
    rhs = data.draw(floats((k, b, n)))
    out = lax.dot_general(lhs, rhs, (([2], [0]), ([0], [1])))
    same(out, np.einsum("bmk,kbn->bmn", lhs, rhs), F32, rtol=1e-4, atol=1e-4)
    wide = lax.dot_general(lhs, rhs, (((2,), (0,)), ((0,), (1,))), preferred_element_type=F64)
    assert wide.dtype == F64
    same(lax.dot(lhs[0], rhs[:, 0]), lhs[0] @ rhs[:, 0], F32, rtol=1e-4, atol=1e-4)
    same(lax.dot(lhs[0, 0], rhs[:, 0, 0]), lhs[0, 0] @ rhs[:, 0, 0], F32, rtol=1e-4, atol=1e-4)


def reference_conv_nchw(x, w, stride):
    """Cross-correlation without padding or dilation, straight from the definition."""
    windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,ocij->nohw", windows, w)


@given(data=st.data())
def test_conv_layout_strings_and_padding(data):
    n, c, o = (data.draw(st.integers(1, 3)) for _ in range(3))
    h, w = data.draw(st.integers(3, 6)), data.draw(st.integers(3, 6))
    kh, kw, stride = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)), \
        data.draw(st.integers(1, 2))
    x = data.draw(floats((n, c, h, w), -2, 2))
    k = data.draw(floats((o, c, kh, kw), -2, 2))
    valid = lax.conv_general_dilated(x, k, (stride, stride), "VALID")
    same(valid, reference_conv_nchw(x, k, stride), F32, rtol=1e-4, atol=1e-4)
    nhwc = lax.conv_general_dilated(np.transpose(x, (0, 2, 3, 1)), np.transpose(k, (2, 3, 1, 0)),
                                    (stride, stride), "VALID",
                                    dimension_numbers=("NHWC", "HWIO", "NHWC"))
    same(nhwc, np.transpose(np.asarray(valid), (0, 2, 3, 1)), F32, rtol=1e-5, atol=1e-5)
    same_pad = lax.conv_general_dilated(x, k, (stride, stride), "SAME")
    assert same_pad.shape == (n, o, math.ceil(h / stride), math.ceil(w / stride))
    pads = lax.padtype_to_pads((h, w), (kh, kw), (stride, stride), "SAME")
    explicit = lax.conv_general_dilated(x, k, (stride, stride), pads)
    same(same_pad, np.asarray(explicit), F32)
    padded = np.pad(x, ((0, 0), (0, 0)) + pads)
    same(explicit, reference_conv_nchw(padded, k, stride), F32, rtol=1e-4, atol=1e-4)


def test_conv_against_the_primitive_with_dilation_and_groups():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 4)).astype(np.float32)     # NHWC, 4 channels
    k = rng.standard_normal((3, 3, 2, 6)).astype(np.float32)     # HWIO, 2 groups
    out = lax.conv_general_dilated(x, k, (1, 2), [(1, 1), (0, 2)], lhs_dilation=(1, 1),
                                   rhs_dilation=(2, 1), dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                   feature_group_count=2)
    direct = P.conv_general_dilated_p.impl(
        np.transpose(x, (0, 3, 1, 2)), np.transpose(k, (3, 2, 0, 1)), window_strides=(1, 2),
        padding=((1, 1), (0, 2)), lhs_dilation=(1, 1), rhs_dilation=(2, 1),
        feature_group_count=2, batch_group_count=1, preferred_element_type=None)
    same(out, np.transpose(direct, (0, 2, 3, 1)), F32)
    prog = fl.make_ir(lambda a, b: lax.conv_general_dilated(
        a, b, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        feature_group_count=2))(x, k)
    assert [e.prim for e in prog.eqns].count(P.conv_general_dilated_p) == 1
    assert prog.out_avals[0].shape == (2, 7, 6, 6)


def test_conv_dimension_number_errors():
    x, k = np.ones((1, 3, 5, 5), np.float32), np.ones((2, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match="dimension_numbers must be three layout strings"):
        lax.conv_general_dilated(x, k, (1, 1), "VALID", dimension_numbers=("NCHW", "OIHW"))
    with pytest.raises(ValueError, match="dimension_numbers"):
        lax.conv_general_dilated(x, k, (1, 1), "VALID", dimension_numbers=("NCH", "OIHW", "NCH"))
    with pytest.raises(ValueError, match="padding must be 'SAME'"):
        lax.conv_general_dilated(x, k, (1, 1), "FULL")
    with pytest.raises(TypeError, match="conv_general_dilated requires arguments to have the same"):
        lax.conv_general_dilated(x, k.astype(np.float64), (1, 1), "VALID")


# ---- windowed reductions ------------------------------------------------------------------------

@given(x=floats((2, 6, 4)))
def test_reduce_window(x):
    pooled = lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2), (1, 2, 2), "VALID")
    same(pooled, x.reshape(2, 3, 2, 2, 2).max(axis=(2, 4)), F32)
    summed = lax.reduce_window(x, 0.0, "sum", (1, 3, 3), (1, 1, 1), "SAME")
    direct = P.reduce_window_sum_p.impl(x, window_dimensions=(1, 3, 3), window_strides=(1, 1, 1),
                                        padding=((0, 0), (1, 1), (1, 1)), base_dilation=(1,) * 3,
                                        window_dilation=(1,) * 3)
    same(summed, direct, F32)
    floor_at_zero = lax.reduce_window(x, 0.0, lax.max, (1, 2, 2), (1, 2, 2), "VALID")
    same(floor_at_zero, np.maximum(np.asarray(pooled), 0), F32)
    same(lax.reduce_window(x, np.inf, "min", (2, 1, 1), (1, 1, 1), "VALID"),
         x.min(0, keepdims=True), F32)


def test_reduce_window_errors():
    x = np.ones((4,), np.float32)
    with pytest.raises(ValueError, match="computation 'sum' needs init_value 0"):
        lax.reduce_window(x, 1.0, lax.add, (2,), (1,), "VALID")
    with pytest.raises(ValueError, match="computation must be one of"):
        lax.reduce_window(x, 0.0, lax.mul, (2,), (1,), "VALID")


def test_wrappers_stage_to_their_primitives():
    def f(x):
        y = lax.mul(lax.exp(x), 2.0)
        return lax.reduce_sum(lax.cumsum(y, 0), (0,))
    prog = fl.make_ir(f)(np.ones(3, np.float32))
    prims = [e.prim for e in prog.eqns]
    assert prims == [P.exp_p, P.broadcast_in_dim_p, P.mul_p, P.cumsum_p, P.reduce_sum_p]
    assert str(prog.out_avals[0]) == "f32[]"
