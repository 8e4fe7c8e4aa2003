"""More elementwise math, as compositions: ``float_power``, ``frexp``/``ldexp``/``modf``,
``spacing``, ``i0`` (a power series below 30, the asymptotic series above), the
non-finite helpers (``nan_to_num``, ``isposinf``, ``isneginf``, ``nancumsum``,
``nancumprod``), ``geomspace`` and ``unwrap``.

Integer inputs of the float-valued functions compute in float32 (float64 for 64-bit
ints), the project's default; ``float_power`` always computes in float64/complex128 as
NumPy does.
"""
import math
import operator

import numpy as np

from transforms.core import bind
from transforms.errors import ConcretizationError
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert, promote
from functorch_lite.numpy._creation import linspace, ones_like
from functorch_lite.numpy._manipulation import _as_float, _slice_axis
from functorch_lite.numpy._numerical import diff
from functorch_lite.numpy._reductions import cumprod, cumsum
from functorch_lite.numpy._shape import concatenate, moveaxis, normalize_axis
from functorch_lite.numpy import _ufuncs as uf


def _real_float(x, name):
    x = as_operand(x)
    if dtypes.is_complex(x.aval.dtype):
        raise TypeError(f"{name}: complex input is not supported, got {x.aval}")
    return _as_float(x)


def float_power(x1, x2, /):
    """``x1 ** x2`` computed in float64 (complex128 for complex inputs), as NumPy does.

    >>> float_power(2, 3).dtype
    dtype('float64')
    """
    x, y = promote(as_operand(x1), as_operand(x2))
    target = dtypes.complex128 if dtypes.is_complex(x.aval.dtype) else dtypes.float64
    return uf.power(convert(x, target), convert(y, target))


def _exp2_split(e, dtype):
    """``2.0 ** e`` as two factors, each in range where ``2.0 ** e`` alone would not be
    (subnormal mantissas need scales beyond the exponent range)."""
    half = uf.floor_divide(e, 2)
    return uf.exp2(convert(half, dtype)), uf.exp2(convert(uf.subtract(e, half), dtype))


def frexp(x, /):
    """Mantissa in ``[0.5, 1)`` (by magnitude) and int32 exponent with ``x = m * 2**e``.

    >>> [v.tolist() for v in frexp(asarray([8.0]))]
    [[0.5], [4]]
    """
    x = _real_float(x, "frexp")
    dtype = x.aval.dtype
    special = uf.logical_or(uf.equal(x, 0), uf.logical_not(uf.isfinite(x)))
    ax = uf.where(special, 1, uf.absolute(x))
    e = uf.add(convert(uf.floor(uf.log2(ax)), dtypes.int32), 1)
    s1, s2 = _exp2_split(uf.negative(e), dtype)
    m = uf.multiply(uf.multiply(x, s1), s2)
    # log2 may be off by one ulp near powers of two: renormalize once each way
    big = uf.greater_equal(uf.absolute(m), 1)
    m, e = uf.where(big, uf.multiply(m, 0.5), m), uf.where(big, uf.add(e, 1), e)
    small = uf.less(uf.absolute(m), 0.5)
    m, e = uf.where(small, uf.multiply(m, 2.0), m), uf.where(small, uf.subtract(e, 1), e)
    return uf.where(special, x, m), uf.where(special, 0, e)


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` for integer ``x2``.

    >>> ldexp(asarray([0.5]), 4).tolist()
    [8.0]
    """
    x = _real_float(x1, "ldexp")
    e = as_operand(x2)
    if not dtypes.is_int(e.aval.dtype):
        raise TypeError(f"ldexp: x2 must be integers, got {e.aval}")
    s1, s2 = _exp2_split(convert(e, dtypes.int32), x.aval.dtype)
    return uf.multiply(uf.multiply(x, s1), s2)


def modf(x, /):
    """Fractional and integral parts, both with the sign of ``x``.

    >>> [v.tolist() for v in modf(asarray([-2.5]))]
    [[-0.5], [-2.0]]
    """
    x = _real_float(x, "modf")
    whole = uf.trunc(x)
    frac = uf.where(uf.isinf(x), uf.copysign(0.0, x), uf.subtract(x, whole))
    return frac, whole


def spacing(x, /):
    """The distance from ``x`` to the next float away from zero (negative for ``x < 0``).

    >>> float(spacing(asarray(1.0)))  # doctest: +SKIP
    1.1920929e-07
    """
    x = _real_float(x, "spacing")
    return uf.subtract(uf.nextafter(x, uf.copysign(np.inf, x)), x)


# ---- i0 -----------------------------------------------------------------------------------

_I0_SWITCH = 30.0      # power series below, asymptotic series above
_I0_SERIES_TERMS = 50  # the terms (x/2)**2k / k!**2 fall below 1e-18 of the sum by here
_I0_ASYMPTOTIC_TERMS = 20


def _i0_series(x):
    q = uf.multiply(uf.square(x), 0.25)
    term = total = ones_like(x)
    for k in range(1, _I0_SERIES_TERMS + 1):
        term = uf.multiply(term, uf.multiply(q, 1.0 / (k * k)))
        total = uf.add(total, term)
    return total


def _i0_asymptotic(x):
    # I0(x) ~ e^x / sqrt(2 pi x) * sum_k ((2k-1)!!)^2 / (k! (8x)^k)
    inv = uf.reciprocal(x)
    coef, total, power = 1.0, ones_like(x), ones_like(x)
    for k in range(1, _I0_ASYMPTOTIC_TERMS + 1):
        coef *= (2 * k - 1) ** 2 / (8.0 * k)
        power = uf.multiply(power, inv)
        total = uf.add(total, uf.multiply(power, coef))
    scale = uf.true_divide(uf.exp(x), uf.sqrt(uf.multiply(x, 2 * math.pi)))
    return uf.multiply(scale, total)


def i0(x):
    """The modified Bessel function of the first kind, order 0.

    >>> round(float(i0(asarray(1.0))), 4)
    1.2661
    """
    ax = uf.absolute(_real_float(x, "i0"))
    small = uf.less_equal(ax, _I0_SWITCH)
    # each branch sees inputs in its own range, so the unused one stays finite (and so
    # does its gradient)
    below = _i0_series(uf.minimum(ax, _I0_SWITCH))
    above = _i0_asymptotic(uf.maximum(ax, _I0_SWITCH))
    return uf.where(small, below, above)


# ---- non-finite values --------------------------------------------------------------------

def _replace_non_finite(x, nan, posinf, neginf):
    info = np.finfo(x.aval.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    x = uf.where(uf.isnan(x), convert(as_operand(nan), x.aval.dtype), x)
    x = uf.where(uf.logical_and(uf.isinf(x), uf.greater(x, 0)),
                 convert(as_operand(posinf), x.aval.dtype), x)
    return uf.where(uf.logical_and(uf.isinf(x), uf.less(x, 0)),
                    convert(as_operand(neginf), x.aval.dtype), x)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: the
    dtype's largest finite values); the real and imaginary parts separately.

    >>> nan_to_num(asarray([np.nan, np.inf])).tolist()[0]
    0.0
    """
    x = as_operand(x)
    if not dtypes.is_inexact(x.aval.dtype):
        return x
    if dtypes.is_complex(x.aval.dtype):
        re = _replace_non_finite(bind(P.real_p, x), nan, posinf, neginf)
        im = _replace_non_finite(bind(P.imag_p, x), nan, posinf, neginf)
        return bind(P.complex_p, re, im)
    return _replace_non_finite(x, nan, posinf, neginf)


def _signed_inf(positive, name):
    def fn(x, /):
        x = as_operand(x)
        if dtypes.is_complex(x.aval.dtype):
            raise TypeError(f"{name}: this operation is not supported for complex values, "
                            f"got {x.aval}")
        if not dtypes.is_inexact(x.aval.dtype):
            return uf.not_equal(x, x)
        side = uf.greater(x, 0) if positive else uf.less(x, 0)
        return uf.logical_and(uf.isinf(x), side)
    fn.__name__ = fn.__qualname__ = name
    sign = "+" if positive else "-"
    fn.__doc__ = (f"True where ``x`` is {sign}inf.\n\n"
                  f"    >>> {name}(asarray([{sign}np.inf, 1.0])).tolist()\n"
                  "    [True, False]\n")
    return fn


isposinf = _signed_inf(True, "isposinf")
isneginf = _signed_inf(False, "isneginf")


def _nan_cumulative(cumulative, identity, name):
    def fn(a, axis=None, dtype=None):
        a = as_operand(a)
        if dtypes.is_inexact(a.aval.dtype):
            a = uf.where(uf.isnan(a), convert(as_operand(identity), a.aval.dtype), a)
        return cumulative(a, axis=axis, dtype=dtype)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``{cumulative.__name__}`` treating NaN as {identity}.\n\n"
                  f"    >>> {name}(asarray([2.0, np.nan, 3.0])).tolist()[-1]\n"
                  f"    {5.0 if identity == 0 else 6.0}\n")
    return fn


nancumsum = _nan_cumulative(cumsum, 0, "nancumsum")
nancumprod = _nan_cumulative(cumprod, 1, "nancumprod")


# ---- geomspace, unwrap --------------------------------------------------------------------

def _check_geometric(start, stop):
    try:
        s, t = np.asarray(start), np.asarray(stop)
    except ConcretizationError:
        return                          # traced: no value check
    if (s == 0).any() or (t == 0).any():
        raise ValueError("geomspace: geometric sequence cannot include zero")
    if (np.sign(s) != np.sign(t)).any():
        raise ValueError("geomspace: start and stop must have the same sign (complex "
                         "results are not supported)")


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` numbers spaced evenly on a log scale from ``start`` to ``stop`` (same sign).

    >>> geomspace(1.0, 100.0, 3).tolist()
    [1.0, 10.0, 100.0]
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"geomspace: num must be non-negative, got {num}")
    s, t = promote(_real_float(start, "geomspace"), _real_float(stop, "geomspace"))
    _check_geometric(s, t)
    sign = uf.sign(s)
    exps = linspace(uf.log10(uf.absolute(s)), uf.log10(uf.absolute(t)), num, endpoint)
    out = uf.multiply(sign, uf.power(10.0, exps))
    if num >= 1:   # exact end points, as NumPy sets them
        shape = (1,) + out.aval.shape[1:]
        first = broadcast_to(convert(s, out.aval.dtype), shape)
        last = broadcast_to(convert(t, out.aval.dtype), shape)
        if num == 1:
            out = first
        elif endpoint:
            out = concatenate([first, _slice_axis(out, 0, 1, num - 1), last])
        else:
            out = concatenate([first, _slice_axis(out, 0, 1, num)])
    if dtype is not None:
        out = convert(out, dtypes.canonicalize(dtype))
    return moveaxis(out, 0, normalize_axis(axis, out.aval.ndim, "geomspace"))


def unwrap(p, discont=None, axis=-1, *, period=2 * math.pi):
    """Remove jumps larger than ``discont`` (default ``period / 2``) between neighbours
    along ``axis`` by adding multiples of ``period``.

    >>> unwrap(asarray([0.0, 6.0])).tolist()[1] < 0
    True
    """
    p = _real_float(p, "unwrap")
    axis = normalize_axis(axis, p.aval.ndim, "unwrap")
    n = p.aval.shape[axis]
    if n < 2:
        return p
    dd = diff(p, axis=axis)
    high = period / 2
    discont = high if discont is None else discont
    ddmod = uf.subtract(uf.remainder(uf.add(dd, high), period), high)
    # a jump of exactly half a period keeps its sign, as NumPy does
    ddmod = uf.where(uf.logical_and(uf.equal(ddmod, -high), uf.greater(dd, 0)), high, ddmod)
    correct = uf.where(uf.less(uf.absolute(dd), discont), 0, uf.subtract(ddmod, dd))
    rest = uf.add(_slice_axis(p, axis, 1, n), cumsum(correct, axis=axis))
    return concatenate([_slice_axis(p, axis, 0, 1), rest], axis)


__all__ = ["float_power", "frexp", "ldexp", "modf", "spacing", "i0", "nan_to_num",
           "isposinf", "isneginf", "nancumsum", "nancumprod", "geomspace", "unwrap"]
