"""Elementwise primitives: unary math, binary arithmetic and logic, comparisons,
``select_n``, ``clamp``, ``convert_element_type``, ``copy`` and the counter-based
``threefry2x32`` random-bits generator.

Operands of a multi-input elementwise primitive share one shape and dtype; the
NumPy layer broadcasts and promotes before binding.
"""
import numpy as np
import scipy.special as sc

from xla_like import dtypes
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.shape_rules import (as_int, check_dtype, check_kind,
                                             check_same)

FLOAT, INEXACT, NUMERIC, INT, INT_OR_BOOL = "f", "fc", "iufc", "iu", "iub"


def _same_dtype(fn):
    """Wrap a NumPy/SciPy function so it returns its input's dtype exactly."""
    def impl(x):
        return np.asarray(fn(x), dtype=x.dtype)
    return impl


def unary(name, impl, kinds, out_dtype=None):
    def abstract_eval(x, **params):
        check_kind(name, x, kinds)
        if out_dtype is None:
            return x
        return ShapedArray(x.shape, out_dtype, False)
    return Primitive(name, abstract_eval, impl)


def binary(name, impl, kinds, out_dtype=None):
    def abstract_eval(x, y):
        out = check_same(name, (x, y))
        check_kind(name, x, kinds)
        if out_dtype is None:
            return out
        return ShapedArray(out.shape, out_dtype, False)
    return Primitive(name, abstract_eval, impl)


# ---- unary math -----------------------------------------------------------------

exp_p = unary("exp", np.exp, INEXACT)
exp2_p = unary("exp2", np.exp2, INEXACT)
log_p = unary("log", np.log, INEXACT)
log1p_p = unary("log1p", np.log1p, INEXACT)
expm1_p = unary("expm1", np.expm1, INEXACT)
sin_p = unary("sin", np.sin, INEXACT)
cos_p = unary("cos", np.cos, INEXACT)
tan_p = unary("tan", np.tan, INEXACT)
asin_p = unary("asin", np.arcsin, INEXACT)
acos_p = unary("acos", np.arccos, INEXACT)
atan_p = unary("atan", np.arctan, INEXACT)
sinh_p = unary("sinh", np.sinh, INEXACT)
cosh_p = unary("cosh", np.cosh, INEXACT)
tanh_p = unary("tanh", np.tanh, INEXACT)
asinh_p = unary("asinh", np.arcsinh, INEXACT)
acosh_p = unary("acosh", np.arccosh, INEXACT)
atanh_p = unary("atanh", np.arctanh, INEXACT)
logistic_p = unary("logistic", _same_dtype(sc.expit), FLOAT)
sqrt_p = unary("sqrt", np.sqrt, INEXACT)
rsqrt_p = unary("rsqrt", _same_dtype(lambda x: 1 / np.sqrt(x)), INEXACT)
cbrt_p = unary("cbrt", np.cbrt, FLOAT)
erf_p = unary("erf", _same_dtype(sc.erf), FLOAT)
erfc_p = unary("erfc", _same_dtype(sc.erfc), FLOAT)
erf_inv_p = unary("erf_inv", _same_dtype(sc.erfinv), FLOAT)
lgamma_p = unary("lgamma", _same_dtype(sc.gammaln), FLOAT)
digamma_p = unary("digamma", _same_dtype(sc.psi), FLOAT)
floor_p = unary("floor", np.floor, FLOAT)
ceil_p = unary("ceil", np.ceil, FLOAT)
neg_p = unary("neg", np.negative, NUMERIC)
sign_p = unary("sign", np.sign, NUMERIC)
not_p = unary("not", np.invert, INT_OR_BOOL)


def _abs_abstract_eval(x):
    check_kind("abs", x, NUMERIC)
    if dtypes.is_complex(x.dtype):
        return ShapedArray(x.shape, np.dtype(x.dtype.char.lower()), x.weak)
    return x


abs_p = Primitive("abs", _abs_abstract_eval, np.abs)


def _is_finite_abstract_eval(x):
    check_kind("is_finite", x, INEXACT)
    return ShapedArray(x.shape, dtypes.bool_, False)


is_finite_p = Primitive("is_finite", _is_finite_abstract_eval, np.isfinite)

ROUNDING_METHODS = ("away_from_zero", "to_nearest_even")


def _round_abstract_eval(x, rounding_method):
    check_kind("round", x, FLOAT)
    if rounding_method not in ROUNDING_METHODS:
        raise ValueError(f"round: rounding_method must be one of {ROUNDING_METHODS}, "
                         f"got {rounding_method!r}")
    return x


def _round_impl(x, rounding_method):
    if rounding_method == "to_nearest_even":
        return np.round(x)
    return np.asarray(np.sign(x) * np.floor(np.abs(x) + x.dtype.type(0.5)), x.dtype)


round_p = Primitive("round", _round_abstract_eval, _round_impl)


def _integer_pow_abstract_eval(x, y):
    check_kind("integer_pow", x, NUMERIC)
    y = as_int("integer_pow", y, "exponent y")
    if y < 0 and dtypes.is_int(x.dtype):
        raise ValueError(f"integer_pow: negative exponent {y} needs a float operand, got {x}")
    return x


def _integer_pow_impl(x, y):
    if y < 0:
        return np.asarray(1 / np.power(x, -y), x.dtype)
    return np.asarray(np.power(x, y), x.dtype)


integer_pow_p = Primitive("integer_pow", _integer_pow_abstract_eval, _integer_pow_impl)


# ---- binary arithmetic and logic ---------------------------------------------------

def _div_impl(x, y):
    """Division; integers round toward zero and give 0 when dividing by zero."""
    if dtypes.is_int(x.dtype):
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.floor_divide(x, y)
            fix = (np.remainder(x, y) != 0) & ((x < 0) != (y < 0))
        return np.where(y == 0, x.dtype.type(0), q + fix.astype(x.dtype))
    return np.true_divide(x, y)


def _rem_impl(x, y):
    """Remainder with the sign of the dividend (C fmod); integer x % 0 gives 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.fmod(x, y)


def _max_impl(x, y):
    return np.maximum(x, y)


def _pow_impl(x, y):
    return np.asarray(np.power(x, y), x.dtype)


def _shift_mask(x, y):
    bits = x.dtype.itemsize * 8
    return (y < 0) | (y >= bits), np.clip(y, 0, bits - 1).astype(x.dtype)


def _shift_left_impl(x, y):
    out_of_range, y = _shift_mask(x, y)
    return np.where(out_of_range, x.dtype.type(0), np.left_shift(x, y))


def _shift_right_arithmetic_impl(x, y):
    out_of_range, y = _shift_mask(x, y)
    signed = x.view(np.dtype(f"i{x.dtype.itemsize}"))
    full = np.right_shift(signed, y.view(signed.dtype) if y.dtype != signed.dtype else y)
    sign_fill = np.where(signed < 0, signed.dtype.type(-1), signed.dtype.type(0))
    return np.where(out_of_range, sign_fill, full).astype(signed.dtype).view(x.dtype)


def _shift_right_logical_impl(x, y):
    out_of_range, y = _shift_mask(x, y)
    unsigned_dt = np.dtype(f"u{x.dtype.itemsize}")
    full = np.right_shift(x.view(unsigned_dt), y.view(unsigned_dt))
    return np.where(out_of_range, unsigned_dt.type(0), full).astype(unsigned_dt).view(x.dtype)


add_p = binary("add", np.add, NUMERIC)
sub_p = binary("sub", np.subtract, NUMERIC)
mul_p = binary("mul", np.multiply, NUMERIC)
div_p = binary("div", _div_impl, NUMERIC)
rem_p = binary("rem", _rem_impl, "iuf")
pow_p = binary("pow", _pow_impl, INEXACT)
max_p = binary("max", np.maximum, "iufb")
min_p = binary("min", np.minimum, "iufb")
atan2_p = binary("atan2", np.arctan2, FLOAT)
nextafter_p = binary("nextafter", np.nextafter, FLOAT)
and_p = binary("and", np.bitwise_and, INT_OR_BOOL)
or_p = binary("or", np.bitwise_or, INT_OR_BOOL)
xor_p = binary("xor", np.bitwise_xor, INT_OR_BOOL)
shift_left_p = binary("shift_left", _shift_left_impl, INT)
shift_right_arithmetic_p = binary("shift_right_arithmetic", _shift_right_arithmetic_impl, INT)
shift_right_logical_p = binary("shift_right_logical", _shift_right_logical_impl, INT)

# ---- comparisons ------------------------------------------------------------------

eq_p = binary("eq", np.equal, "iufcb", dtypes.bool_)
ne_p = binary("ne", np.not_equal, "iufcb", dtypes.bool_)
lt_p = binary("lt", np.less, "iufb", dtypes.bool_)
le_p = binary("le", np.less_equal, "iufb", dtypes.bool_)
gt_p = binary("gt", np.greater, "iufb", dtypes.bool_)
ge_p = binary("ge", np.greater_equal, "iufb", dtypes.bool_)


# ---- selection, clamping, conversion ------------------------------------------------

def _select_n_abstract_eval(which, *cases):
    if not cases:
        raise TypeError("select_n: needs at least one case")
    out = check_same("select_n", cases)
    if which.shape not in ((), out.shape):
        raise TypeError(f"select_n: predicate must be a scalar or have the cases' shape "
                        f"{out.shape}, got {which}")
    if which.dtype != dtypes.bool_ and which.dtype != dtypes.int32:
        raise TypeError(f"select_n: predicate must be bool or int32, got {which}")
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        raise TypeError(f"select_n: a bool predicate selects between 2 cases, got {len(cases)}")
    return out


def _select_bits(pred, on_true, on_false):
    """``where(pred, on_true, on_false)`` as integer operations on the bits: exact for
    every value (NaN payloads, -0.0) and, unlike a branchy select, fast for random
    masks.  The bits times the 0/1 predicate keep or clear them; a broadcast +0.0
    case (``where(x > 0, g, 0.0)``, the common derivative) is that one multiply, the
    general case ``((t ^ f) * pred) ^ f``."""
    unsigned = np.dtype(f"u{on_true.dtype.itemsize}")
    flags = pred.view(np.uint8)
    if _broadcast_zero_bits(on_false, unsigned):
        return np.multiply(on_true.view(unsigned), flags, dtype=unsigned).view(on_true.dtype)
    false_bits = on_false.view(unsigned)
    out = np.asarray(np.bitwise_xor(on_true.view(unsigned), false_bits))   # 0-d too
    np.multiply(out, flags, out=out, dtype=unsigned)
    out ^= false_bits
    return out.view(on_true.dtype)


def _broadcast_zero_bits(x, unsigned):
    """True for a broadcast scalar (all strides 0) whose bits are all zero (+0.0)."""
    return x.size > 0 and not any(x.strides) and x.view(unsigned).item(0) == 0


def _select_n_impl(which, *cases):
    if which.dtype == np.bool_:
        on_false, on_true = np.asarray(cases[0]), np.asarray(cases[1])
        if which.shape == on_true.shape and on_true.dtype.itemsize in (1, 2, 4, 8):
            return _select_bits(np.asarray(which), on_true, on_false)
        return np.asarray(np.where(which, on_true, on_false), on_true.dtype)
    which = np.clip(which, 0, len(cases) - 1)
    return np.asarray(np.choose(which, cases), cases[0].dtype)


select_n_p = Primitive("select_n", _select_n_abstract_eval, _select_n_impl)


def _clamp_abstract_eval(lo, x, hi):
    check_kind("clamp", x, "iuf")
    for bound in (lo, hi):
        if bound.dtype != x.dtype or bound.shape not in ((), x.shape):
            raise TypeError(f"clamp: bounds must be scalars or have the operand's shape, "
                            f"with its dtype; got lo={lo}, x={x}, hi={hi}")
    return x


def _clamp_impl(lo, x, hi):
    return np.asarray(np.minimum(np.maximum(x, lo), hi), x.dtype)


clamp_p = Primitive("clamp", _clamp_abstract_eval, _clamp_impl)


def _convert_element_type_abstract_eval(x, new_dtype, weak_type):
    new_dtype = check_dtype("convert_element_type", new_dtype)
    if dtypes.is_complex(x.dtype) and not dtypes.is_complex(new_dtype):
        raise TypeError(f"convert_element_type: complex {x} to {new_dtype} drops the "
                        "imaginary part; take real() first")
    return ShapedArray(x.shape, new_dtype, bool(weak_type))


def _convert_element_type_impl(x, new_dtype, weak_type):
    """Float to int conversion truncates toward zero; NaN gives 0; out-of-range saturates."""
    if dtypes.is_int(new_dtype) and dtypes.is_float(x.dtype):
        info = np.iinfo(new_dtype)
        with np.errstate(invalid="ignore"):
            clipped = np.clip(np.nan_to_num(x, nan=0.0), info.min, info.max)
            out = np.where(clipped >= float(info.max), info.max,
                           clipped.astype(np.float64).astype(new_dtype))
        return np.asarray(out, new_dtype)
    if new_dtype == dtypes.bool_:
        return x != 0
    return x.astype(new_dtype)


convert_element_type_p = Primitive("convert_element_type", _convert_element_type_abstract_eval,
                                   _convert_element_type_impl)


def _same_aval(x):
    return x


copy_p = Primitive("copy", _same_aval, np.copy)


# ---- counter-based random bits ----------------------------------------------------

def _threefry_abstract_eval(k0, k1, x0, x1):
    avals = (k0, k1, x0, x1)
    for a in avals:
        if a.dtype != dtypes.uint32:
            raise TypeError(f"threefry2x32: operands must be uint32, got {', '.join(map(str, avals))}")
    out = check_same("threefry2x32", avals)
    return [out.strong(), out.strong()]


_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _rotl(v, r):
    return (v << np.uint32(r)) | (v >> np.uint32(32 - r))


def _threefry_impl(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds (Salmon et al., 2011), elementwise over uint32."""
    k2 = k0 ^ k1 ^ np.uint32(0x1BD11BDA)
    keys = (k0, k1, k2)
    x0 = x0 + k0
    x1 = x1 + k1
    for block in range(5):
        for r in _ROTATIONS[block % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        x0 = x0 + keys[(block + 1) % 3]
        x1 = x1 + keys[(block + 2) % 3] + np.uint32(block + 1)
    return [np.asarray(x0, np.uint32), np.asarray(x1, np.uint32)]


threefry2x32_p = Primitive("threefry2x32", _threefry_abstract_eval, _threefry_impl,
                           multiple_results=True)


def _identity_impl(x):
    return x


# The identity, except that differentiation treats its output as a constant.
stop_gradient_p = Primitive("stop_gradient", _same_aval, _identity_impl)
