"""Elementwise functions with NumPy's broadcasting and the promotion lattice."""
import numpy as np

from transforms.core import bind, bind_binary
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import (as_operand, convert, promote_and_broadcast)


def _binary(prim, name, kinds=None):
    def fn(x, y, /):
        try:
            if x.aval is y.aval:          # same (interned) aval: nothing to promote
                return bind_binary(prim, x, y)
        except AttributeError:
            pass
        x, y = promote_and_broadcast(x, y)
        if kinds is not None:
            x, y = _to_kind(x, kinds, name), _to_kind(y, kinds, name)
        return bind(prim, x, y)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with NumPy broadcasting and type promotion."
    return fn


def _to_kind(x, kinds, name):
    """Promote to the first allowed kind (e.g. ints to float for true_divide)."""
    dtype = x.aval.dtype
    if dtype.kind in kinds:
        return x
    if "f" in kinds and dtype.kind in "biu":
        return convert(x, dtypes.default_float if dtype.itemsize < 8 or x.aval.weak
                       else dtypes.float64, x.aval.weak)
    raise TypeError(f"{name}: unsupported dtype {dtype}")


def _unary(prim, name, kinds=None):
    def fn(x, /):
        x = as_operand(x)
        if kinds is not None:
            x = _to_kind(x, kinds, name)
        return bind(prim, x)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``."
    return fn


add = _binary(P.add_p, "add")
subtract = _binary(P.sub_p, "subtract")
multiply = _binary(P.mul_p, "multiply")
true_divide = divide = _binary(P.div_p, "true_divide", "fc")
power = _binary(P.pow_p, "power", "fc")
maximum = _binary(P.max_p, "maximum")
minimum = _binary(P.min_p, "minimum")
arctan2 = _binary(P.atan2_p, "arctan2", "f")
nextafter = _binary(P.nextafter_p, "nextafter", "f")
bitwise_and = _binary(P.and_p, "bitwise_and")
bitwise_or = _binary(P.or_p, "bitwise_or")
bitwise_xor = _binary(P.xor_p, "bitwise_xor")
left_shift = _binary(P.shift_left_p, "left_shift")
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
sign = _unary(P.sign_p, "sign")
absolute = abs = _unary(P.abs_p, "absolute")
isfinite = _unary(P.is_finite_p, "isfinite", "fc")
