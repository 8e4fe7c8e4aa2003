"""Elementwise functions with NumPy's broadcasting and the promotion lattice.

The direct ones bind one primitive; the rest are short compositions (``floor_divide``
and ``remainder`` follow NumPy's floor semantics, built from ``div`` and ``rem``).
Integer inputs to float-only functions become float32 (float64 for 64-bit ints).
"""
import math

from transforms.array import from_scalar
from transforms.array import Array
from transforms.core import bind, cached_abstract_eval, current_interpreter, same_aval_cache
from functorch_lite.numpy._fast import OutputAvals, concrete
from xla_like.ir import ShapedArray, intern
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import (_PY_SCALARS, as_operand, broadcast_shapes, broadcast_to, convert,
                                           scalar_binary, promote,
                                           promote_and_broadcast)

_ALL_KINDS = "biufc"
_NO_PARAMS = {}
_NO_AVAL = ShapedArray((), dtypes.bool_, False)     # no ``aval``: not on a fast path


def _binary(prim, name, kinds=None, on_bool=None):
    """The ufunc ``name`` binding ``prim``; ``on_bool``: the primitive for two bools (NumPy:
    ``add`` is ``or``, ``multiply`` is ``and``), kept off the fast paths."""
    allowed = _ALL_KINDS if kinds is None else kinds
    if on_bool is not None:
        allowed = allowed.replace("b", "")
    known_outputs, impl = same_aval_cache(prim), prim.impl
    broadcast_outputs = {}      # (aval, aval) -> output aval, for eager broadcasting

    def fn(x, y, /):
        if type(y) in _PY_SCALARS or type(x) in _PY_SCALARS:     # x * 2.0
            out = scalar_binary(prim, x, y, allowed)
            if out is not None:
                return out
            return _general(x, y)
        try:
            aval = x.aval
            # same (interned) aval of an allowed kind: nothing to promote or convert
            if aval is y.aval and aval.dtype.kind in allowed:
                out_aval = known_outputs.get(id(aval))      # None: not checked yet
                if out_aval is not None:
                    if type(x) is Array and type(y) is Array and current_interpreter() is None:
                        return Array(impl(x._value, y._value), out_aval)   # plain eager
                    operands = concrete(x, y)
                    if operands is not None:                # recorded by grad
                        out = Array(impl(*operands[1]), out_aval)
                        tape = operands[0]
                        return out if tape is None else tape.record(
                            prim, _NO_PARAMS, (x, y), out, operands[2])
                return bind(prim, x, y)
            operands = concrete(x, y)
            if operands is not None:
                # eager, one type, two shapes: NumPy broadcasts the values itself
                out_aval = broadcast_outputs.get((aval, y.aval))
                if out_aval is None:
                    out_aval = _eager_broadcast_aval(prim, aval, y.aval, allowed)
                    if out_aval is not None:
                        if len(broadcast_outputs) > _BROADCAST_CACHE_LIMIT:
                            broadcast_outputs.clear()
                        broadcast_outputs[(aval, y.aval)] = out_aval
                if out_aval is not None:
                    out = Array(impl(*operands[1]), out_aval)
                    tape = operands[0]
                    return out if tape is None else tape.record_broadcast(
                        prim, (x, y), out, operands[2])
            elif aval.dtype == y.aval.dtype and aval.weak == y.aval.weak \
                    and aval.dtype.kind in allowed:
                # traced, one type, two shapes: only broadcasting to do
                shape = broadcast_shapes(aval.shape, y.aval.shape)
                return bind(prim, broadcast_to(x, shape), broadcast_to(y, shape))
        except AttributeError:      # a list, a NumPy array, ...
            pass
        return _general(x, y)

    def _general(x, y):
        x, y = promote_and_broadcast(x, y)
        if on_bool is not None and x.aval.dtype == dtypes.bool_:
            return bind(on_bool, x, y)
        if kinds is not None:
            x, y = _to_kind(x, kinds, name), _to_kind(y, kinds, name)
        return bind(prim, x, y)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with NumPy broadcasting and type promotion."
    return fn


_BROADCAST_CACHE_LIMIT = 4096


def _eager_broadcast_aval(prim, a, b, allowed):
    """The output aval of ``prim`` on operands of one dtype whose shapes broadcast
    (checked like the staged path: the shapes, then the primitive on the broadcast
    operands); None when promotion would change a dtype."""
    if a.dtype != b.dtype or a.weak != b.weak or a.dtype.kind not in allowed:
        return None
    shape = broadcast_shapes(a.shape, b.shape)
    operand = _AvalOnly(intern(ShapedArray(shape, a.dtype, a.weak)))
    return cached_abstract_eval(prim, (operand, operand), {})


class _AvalOnly:
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval


def _to_kind(x, kinds, name):
    """Promote to the first allowed kind (e.g. ints to float for true_divide)."""
    dtype = x.aval.dtype
    if dtype.kind in kinds:
        return x
    if "f" in kinds and dtype.kind in "biu":
        return convert(x, dtypes.default_float if dtype.itemsize < 8 or x.aval.weak
                       else dtypes.float64, x.aval.weak)
    raise TypeError(f"{name}: unsupported dtype {dtype} (operand {x.aval})")


def _unary(prim, name, kinds=None):
    output_aval, impl = OutputAvals(prim), prim.impl

    def fn(x, /):
        if kinds is None or getattr(x, "aval", _NO_AVAL).dtype.kind in kinds:
            operands = concrete(x)
            if operands is not None:     # eager (or recorded) and no conversion to do
                out = Array(impl(*operands[1]), output_aval((x,)))
                tape = operands[0]
                return out if tape is None else tape.record(
                    prim, _NO_PARAMS, (x,), out, operands[2])
        x = as_operand(x)
        if kinds is not None:
            x = _to_kind(x, kinds, name)
        return bind(prim, x)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``."
    return fn


def _operands(x, y, kinds, name):
    """Promote, broadcast and convert two operands to one of ``kinds``."""
    x, y = promote_and_broadcast(x, y)
    return _to_kind(x, kinds, name), _to_kind(y, kinds, name)


add = _binary(P.add_p, "add", on_bool=P.or_p)
subtract = _binary(P.sub_p, "subtract")
multiply = _binary(P.mul_p, "multiply", on_bool=P.and_p)
true_divide = divide = _binary(P.div_p, "true_divide", "fc")
_float_power = _binary(P.pow_p, "power", "fc")
maximum = _binary(P.max_p, "maximum")
minimum = _binary(P.min_p, "minimum")
arctan2 = _binary(P.atan2_p, "arctan2", "f")
nextafter = _binary(P.nextafter_p, "nextafter", "f")
fmod = _binary(P.rem_p, "fmod", "iuf")
bitwise_and = _binary(P.and_p, "bitwise_and", "biu")
bitwise_or = _binary(P.or_p, "bitwise_or", "biu")
bitwise_xor = _binary(P.xor_p, "bitwise_xor", "biu")
left_shift = _binary(P.shift_left_p, "left_shift", "iu")
equal = _binary(P.eq_p, "equal")
not_equal = _binary(P.ne_p, "not_equal")
less = _binary(P.lt_p, "less")
less_equal = _binary(P.le_p, "less_equal")
greater = _binary(P.gt_p, "greater")
greater_equal = _binary(P.ge_p, "greater_equal")

exp = _unary(P.exp_p, "exp", "fc")
exp2 = _unary(P.exp2_p, "exp2", "fc")
log = _unary(P.log_p, "log", "fc")
log1p = _unary(P.log1p_p, "log1p", "fc")
expm1 = _unary(P.expm1_p, "expm1", "fc")
sin = _unary(P.sin_p, "sin", "fc")
cos = _unary(P.cos_p, "cos", "fc")
tan = _unary(P.tan_p, "tan", "fc")
arcsin = _unary(P.asin_p, "arcsin", "fc")
arccos = _unary(P.acos_p, "arccos", "fc")
arctan = _unary(P.atan_p, "arctan", "fc")
sinh = _unary(P.sinh_p, "sinh", "fc")
cosh = _unary(P.cosh_p, "cosh", "fc")
tanh = _unary(P.tanh_p, "tanh", "fc")
arcsinh = _unary(P.asinh_p, "arcsinh", "fc")
arccosh = _unary(P.acosh_p, "arccosh", "fc")
arctanh = _unary(P.atanh_p, "arctanh", "fc")
sqrt = _unary(P.sqrt_p, "sqrt", "fc")
cbrt = _unary(P.cbrt_p, "cbrt", "f")
negative = _unary(P.neg_p, "negative")


def absolute(x, /):
    """Elementwise ``|x|`` (the modulus for complex ``x``); bools stay bools, as in NumPy.

    >>> absolute(asarray([-1.5, 2.0])).tolist()
    [1.5, 2.0]
    """
    x = as_operand(x)
    return x if x.aval.dtype == dtypes.bool_ else bind(P.abs_p, x)


abs = absolute
fabs = _unary(P.abs_p, "fabs", "f")
invert = bitwise_not = _unary(P.not_p, "invert", "biu")


# ---- selection and logic ------------------------------------------------------------------

def _full_bool(x, value):
    """A bool array of ``x``'s shape, for predicates whose answer is known by dtype."""
    return broadcast_to(from_scalar(value), x.aval.shape)


def _as_bool(x):
    x = as_operand(x)
    return x if x.aval.dtype == dtypes.bool_ else not_equal(x, 0)


def where(condition, x=None, y=None, /):
    """Elementwise ``x if condition else y``, broadcasting all three.

    >>> where(arange(3) > 0, 1.0, -1.0).tolist()
    [-1.0, 1.0, 1.0]
    """
    if x is None or y is None:
        raise TypeError("where: the one-argument form where(condition) has a data-dependent "
                        "result shape and is not supported; pass both x and y")
    cond = _as_bool(condition)
    x, y = promote(x, y)
    shape = broadcast_shapes(cond.aval.shape, x.aval.shape, y.aval.shape)
    cond, x, y = (broadcast_to(v, shape) for v in (cond, x, y))
    return bind(P.select_n_p, cond, y, x)   # select_n picks case 0 where cond is False


def _logical(prim, name):
    def fn(x1, x2, /):
        return bind(prim, *promote_and_broadcast(_as_bool(x1), _as_bool(x2)))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of the operands' truth values (a bool array)."
    return fn


logical_and = _logical(P.and_p, "logical_and")
logical_or = _logical(P.or_p, "logical_or")
logical_xor = _logical(P.xor_p, "logical_xor")


def logical_not(x, /):
    """Elementwise ``not x``.  ``logical_not(arange(2)).tolist() == [True, False]``"""
    return bind(P.not_p, _as_bool(x))


_RIGHT_SHIFTS = {"i": P.shift_right_arithmetic_p, "u": P.shift_right_logical_p}


def right_shift(x1, x2, /):
    """``x1 >> x2``: arithmetic (sign-filling) for signed ints, logical for unsigned.

    >>> right_shift(-8, 1).item()
    -4
    """
    x, y = _operands(x1, x2, "iu", "right_shift")
    return bind(_RIGHT_SHIFTS[x.aval.dtype.kind], x, y)


def isnan(x, /):
    """Elementwise NaN test (always False for integers and bools)."""
    x = as_operand(x)
    if not dtypes.is_inexact(x.aval.dtype):
        return _full_bool(x, False)
    return bind(P.ne_p, x, x)


def isinf(x, /):
    """Elementwise test for +-inf (always False for integers and bools)."""
    x = as_operand(x)
    if not dtypes.is_inexact(x.aval.dtype):
        return _full_bool(x, False)
    return equal(absolute(x), math.inf)


def isfinite(x, /):
    """Elementwise test for finite values (always True for integers and bools)."""
    x = as_operand(x)
    if not dtypes.is_inexact(x.aval.dtype):
        return _full_bool(x, True)
    return bind(P.is_finite_p, x)


def signbit(x, /):
    """True where the sign bit is set, including ``-0.0`` (the sign of NaN is ignored).

    >>> signbit(-0.0).item()
    True
    """
    x = as_operand(x)
    kind = x.aval.dtype.kind
    if kind in "bu":
        return _full_bool(x, False)
    if kind == "i":
        return less(x, 0)
    x = _to_kind(x, "f", "signbit")
    # atan2(+-0, -1) == +-pi, so the angle's sign is the sign bit, zeros included
    return less(arctan2(x, -1.0), 0)


def sign(x, /):
    """Elementwise sign: -1, 0 or 1; for complex ``z``, ``z / |z|`` (0 at 0), as NumPy 2.

    >>> sign(asarray([-2.0, 0.0, 3.0])).tolist()
    [-1.0, 0.0, 1.0]
    """
    x = as_operand(x)
    if not dtypes.is_complex(x.aval.dtype):
        return bind(P.sign_p, x)
    # a composition, not sign_p: sign_p's derivative is 0, right only on the real line
    r = absolute(x)
    zero = equal(r, 0)
    return where(zero, 0, divide(x, where(zero, 1, r)))


def copysign(x1, x2, /):
    """``|x1|`` with the sign of ``x2``.  ``copysign(1.0, -0.0).item() == -1.0``"""
    x, y = _operands(x1, x2, "f", "copysign")
    magnitude = absolute(x)
    return where(signbit(y), negative(magnitude), magnitude)


def heaviside(x1, x2, /):
    """Step function: 0 below zero, 1 above, ``x2`` at zero (NaN stays NaN)."""
    x, h0 = _operands(x1, x2, "f", "heaviside")
    step = where(less(x, 0), 0.0, where(greater(x, 0), 1.0, h0))
    return where(isnan(x), x, step)


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    """Limit values to ``[a_min, a_max]`` (either bound may be None).

    >>> clip(arange(5), 1, 3).tolist()
    [1, 1, 2, 3, 3]
    """
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    out = as_operand(a)
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return out


def _nan_ignoring(pick, name):
    def fn(x1, x2, /):
        x, y = promote_and_broadcast(x1, x2)
        if not dtypes.is_inexact(x.aval.dtype):
            return pick(x, y)
        return where(isnan(x), y, where(isnan(y), x, pick(x, y)))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` that prefers the non-NaN operand."
    return fn


fmax = _nan_ignoring(maximum, "fmax")
fmin = _nan_ignoring(minimum, "fmin")


# ---- rounding -------------------------------------------------------------------------------

def _keeps_ints(float_fn, name):
    """Rounding functions leave integers and bools unchanged, as NumPy does."""
    def fn(x, /):
        x = as_operand(x)
        if x.aval.dtype.kind in "biu":
            return x
        return float_fn(_to_kind(x, "f", name))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (integers are returned unchanged)."
    return fn


def _round_even(x):
    return bind(P.round_p, x, rounding_method="to_nearest_even")


def _trunc(x):
    return where(less(x, 0), bind(P.ceil_p, x), bind(P.floor_p, x))


floor = _keeps_ints(lambda x: bind(P.floor_p, x), "floor")
ceil = _keeps_ints(lambda x: bind(P.ceil_p, x), "ceil")
trunc = fix = _keeps_ints(_trunc, "trunc")


def rint(x, /):
    """Round to the nearest integer, halves to even; integers become float (as in NumPy)."""
    return _round_even(_to_kind(as_operand(x), "f", "rint"))


def round(a, decimals=0):
    """Round halves to even, to ``decimals`` places (negative: tens, hundreds, ...).

    >>> round(asarray([0.5, 1.5, 2.675]), 2).tolist()  # doctest: +SKIP
    [0.5, 1.5, 2.67]
    """
    a = as_operand(a)
    if a.aval.dtype.kind in "biu":
        if decimals >= 0:
            return a
        # integers round through float64, which holds every int32 exactly
        return convert(_round_scaled(convert(a, dtypes.float64), decimals), a.aval.dtype)
    return _round_scaled(_to_kind(a, "f", "round"), decimals)


around = round


def _round_scaled(x, decimals):
    if decimals == 0:
        return _round_even(x)
    scale = 10.0 ** (decimals if decimals > 0 else -decimals)
    if decimals > 0:
        return true_divide(_round_even(multiply(x, scale)), scale)
    return multiply(_round_even(true_divide(x, scale)), scale)


# ---- division with floor semantics -------------------------------------------------------

def _int_divmod(x, y):
    """Floor quotient and remainder of ints from ``div``/``rem`` (which truncate)."""
    quotient = bind(P.div_p, x, y)
    rem = bind(P.rem_p, x, y)
    if x.aval.dtype.kind == "u":
        return quotient, rem
    # truncation rounded up when the remainder's sign differs from the divisor's
    fix = logical_and(not_equal(rem, 0), not_equal(less(rem, 0), less(y, 0)))
    return where(fix, subtract(quotient, 1), quotient), where(fix, add(rem, y), rem)


def _float_divmod(x, y):
    """NumPy's float divmod: ``x == q * y + r`` with ``r`` taking the divisor's sign."""
    rem = bind(P.rem_p, x, y)                       # fmod: takes the dividend's sign
    quotient = true_divide(subtract(x, rem), y)     # exact multiple of y, so near-integer
    fix = logical_and(not_equal(rem, 0), not_equal(less(y, 0), less(rem, 0)))
    signed_zero = where(less(y, 0), -0.0, 0.0)
    rem = where(fix, add(rem, y), where(equal(rem, 0), signed_zero, rem))
    quotient = where(fix, subtract(quotient, 1.0), quotient)
    floored = bind(P.floor_p, quotient)
    floored = where(greater(subtract(quotient, floored), 0.5), add(floored, 1.0), floored)
    ratio = true_divide(x, y)
    floored = where(equal(quotient, 0), multiply(ratio, 0.0), floored)   # signed zero
    return where(equal(y, 0), ratio, floored), rem


_DIVMODS = {"i": _int_divmod, "u": _int_divmod, "f": _float_divmod}


def divmod(x1, x2, /):
    """``(floor_divide(x1, x2), remainder(x1, x2))`` with Python's floor semantics.

    >>> [v.item() for v in divmod(-7, 2)]
    [-4, 1]
    """
    x, y = promote_and_broadcast(x1, x2)
    kind = x.aval.dtype.kind
    if kind not in _DIVMODS:
        raise TypeError(f"floor_divide/remainder: unsupported dtype {x.aval.dtype} "
                        f"(operands {x.aval}, {y.aval})")
    return _DIVMODS[kind](x, y)


def floor_divide(x1, x2, /):
    """``x1 // x2`` rounded toward -inf; integers stay integers (``x // 0 == 0``).

    >>> floor_divide(-7, 2).item()
    -4
    """
    return divmod(x1, x2)[0]


def remainder(x1, x2, /):
    """``x1 % x2`` with the sign of the divisor (integer ``x % 0 == 0``).

    >>> remainder(-7, 2).item()
    1
    """
    return divmod(x1, x2)[1]


mod = remainder


# ---- powers -------------------------------------------------------------------------------

def _is_python_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def power(x1, x2, /):
    """``x1 ** x2``.  A Python int exponent uses ``integer_pow``; integer arrays stay
    integers (negative integer exponents give 0).

    >>> power(arange(4), 2).tolist()
    [0, 1, 4, 9]
    """
    if _is_python_int(x2) and not isinstance(x1, (bool, int, float, complex)):
        x = as_operand(x1)
        if x.aval.dtype.kind in "iufc":
            if x2 < 0 and x.aval.dtype.kind in "iu":
                raise ValueError(f"power: integers to negative integer powers are not "
                                 f"allowed ({x.aval} ** {x2})")
            return bind(P.integer_pow_p, x, y=x2)
    x, y = promote_and_broadcast(x1, x2)
    if x.aval.dtype.kind in "iu":
        return _int_power(x, y)
    return _float_power(x, y)


def _int_power(x, y):
    """Exponentiation by squaring over the exponent's bits (wraps around like C)."""
    bits = x.aval.dtype.itemsize * 8 - (1 if x.aval.dtype.kind == "i" else 0)
    result = broadcast_to(convert(as_operand(1), x.aval.dtype, x.aval.weak), x.aval.shape)
    base, exponent = x, y
    for _ in range(bits):
        result = where(not_equal(bitwise_and(exponent, 1), 0), multiply(result, base), result)
        base = multiply(base, base)
        exponent = right_shift(exponent, 1)
    return where(less(y, 0), 0, result)


def square(x, /):
    """``x * x``.  ``square(arange(3)).tolist() == [0, 1, 4]``"""
    return bind(P.integer_pow_p, _to_kind(as_operand(x), "iufc", "square"), y=2)


def reciprocal(x, /):
    """``1 / x``; integers use integer division, as in NumPy (``1 // 0`` gives 0)."""
    x = _to_kind(as_operand(x), "iufc", "reciprocal")
    one, x = promote_and_broadcast(1, x)
    return bind(P.div_p, one, x)


# ---- exponentials, logarithms and friends ----------------------------------------------------

def log2(x, /):
    """Base-2 logarithm.  ``log2(8.0)`` is 3 up to rounding."""
    return true_divide(log(x), math.log(2.0))


def log10(x, /):
    """Base-10 logarithm.  ``log10(100.0)`` is 2 up to rounding."""
    return true_divide(log(x), math.log(10.0))


def _logaddexp_with(exp_fn, scale):
    def fn(x1, x2, /):
        x, y = _operands(x1, x2, "f", "logaddexp")
        delta = subtract(x, y)
        # log(e^x + e^y) = max + log1p(e^-|x - y|); equal infinities make delta NaN
        tail = multiply(log1p(exp_fn(negative(absolute(delta)))), scale)
        return where(isnan(delta), add(x, y), add(maximum(x, y), tail))
    return fn


logaddexp = _logaddexp_with(exp, 1.0)
logaddexp.__name__ = logaddexp.__qualname__ = "logaddexp"
logaddexp.__doc__ = "``log(exp(x1) + exp(x2))`` without overflow."
logaddexp2 = _logaddexp_with(exp2, 1.0 / math.log(2.0))
logaddexp2.__name__ = logaddexp2.__qualname__ = "logaddexp2"
logaddexp2.__doc__ = "``log2(2**x1 + 2**x2)`` without overflow."


def hypot(x1, x2, /):
    """``sqrt(x1**2 + x2**2)`` without intermediate overflow.

    >>> hypot(3.0, 4.0).item()
    5.0
    """
    x, y = _operands(x1, x2, "f", "hypot")
    x, y = absolute(x), absolute(y)
    big, small = maximum(x, y), minimum(x, y)
    safe_big = where(equal(big, 0), 1.0, big)
    ratio = true_divide(small, safe_big)
    scaled = multiply(big, sqrt(add(1.0, multiply(ratio, ratio))))
    out = where(equal(big, 0), 0.0, scaled)
    return where(logical_or(isinf(x), isinf(y)), math.inf, out)


def deg2rad(x, /):
    """Degrees to radians.  ``deg2rad(180.0)`` is pi."""
    return multiply(_to_kind(as_operand(x), "f", "deg2rad"), math.pi / 180.0)


def rad2deg(x, /):
    """Radians to degrees.  ``rad2deg(pi)`` is 180."""
    return multiply(_to_kind(as_operand(x), "f", "rad2deg"), 180.0 / math.pi)


radians, degrees = deg2rad, rad2deg


def sinc(x, /):
    """``sin(pi x) / (pi x)``, with ``sinc(0) == 1``."""
    x = _to_kind(as_operand(x), "f", "sinc")
    is_zero = equal(x, 0)
    angle = multiply(where(is_zero, 1.0, x), math.pi)   # no 0/0, even in derivatives
    return where(is_zero, 1.0, true_divide(sin(angle), angle))


def positive(x, /):
    """``+x`` (arrays are immutable, so this is ``x`` itself)."""
    x = as_operand(x)
    if x.aval.dtype == dtypes.bool_:
        raise TypeError("positive: not supported for bool arrays")
    return x


__all__ = [
    "add", "subtract", "multiply", "true_divide", "divide", "power", "maximum", "minimum",
    "arctan2", "nextafter", "fmod", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "invert", "left_shift", "right_shift", "equal", "not_equal", "less",
    "less_equal", "greater", "greater_equal", "exp", "exp2", "log", "log1p", "expm1", "log2",
    "log10", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "sqrt", "cbrt", "negative", "sign", "absolute", "abs",
    "fabs", "positive", "where", "logical_and", "logical_or", "logical_xor", "logical_not",
    "isnan", "isinf", "isfinite", "signbit", "copysign", "heaviside", "clip", "fmax", "fmin",
    "floor", "ceil", "trunc", "fix", "rint", "round", "around", "floor_divide", "remainder",
    "mod", "divmod", "square", "reciprocal", "logaddexp", "logaddexp2", "hypot", "deg2rad",
    "rad2deg", "radians", "degrees", "sinc",
]
