"""functorch_lite.scipy.special: the core of ``scipy.special``, with SciPy's signatures.

``logsumexp``, ``softmax``, ``log_softmax``, ``erf``, ``erfc``, ``gammaln``,
``digamma``, ``xlogy``, ``xlog1py``, ``expit`` and ``logit``: compositions of
primitives (``erf``, ``lgamma``, ``digamma``, ``logistic``, ``log``, ...) and of
``functorch_lite.nn``'s stable ``logsumexp``, so ``grad``, ``vmap`` and ``jit`` work on
all of them.  Integer inputs compute in floating point as in ``functorch_lite.numpy``
(float32, float64 for 64-bit integers).

Special values follow SciPy: ``xlogy(0, y) = 0`` for every ``y`` but NaN (``y = 0``
and ``y < 0`` included), ``xlog1py(0, -1) = 0``, ``logit(0) = -inf``, ``logit(1) = inf``,
``logit`` outside ``[0, 1]`` is NaN, ``logsumexp`` of all ``-inf`` is ``-inf``.

Derivatives: ``xlogy``/``xlog1py`` carry ``custom_jvp`` rules whose ``y``-derivative is
0 where ``x == 0`` (the plain formula gives ``0 / 0``); their ``x``-derivative
``log(y)`` is ``-inf`` at ``y = 0`` and is returned as the most negative finite float,
so a zero ``x``-tangent contributes 0 instead of NaN.  ``gammaln`` and ``digamma`` are
differentiable to any order although the ``digamma`` primitive has no derivative
rule: their ``custom_jvp`` rules use ``digamma`` and trigamma (not a primitive),
computed by recurrence to ``x + 6``, an asymptotic series and reflection for ``x <= 0``
(relative error ~1e-13 in float64).

>>> xlogy(0.0, 0.0)                      # 0.0
>>> logsumexp(fnp.asarray([1.0, 2.0]), b=fnp.asarray([1.0, -1.0]), return_sign=True)
"""
import math

from functorch_lite import lax
from functorch_lite import nn
from functorch_lite import numpy as fnp
from functorch_lite._autodiff import stop_gradient
from functorch_lite._custom import custom_jvp
from functorch_lite.numpy._shape import normalize_axes
from functorch_lite.numpy._ufuncs import _to_kind

__all__ = ["logsumexp", "softmax", "log_softmax", "erf", "erfc", "gammaln", "digamma",
           "xlogy", "xlog1py", "expit", "logit"]


def _float(x, name):
    """``x`` as a floating array (integers and bools become float, as NumPy's ufuncs)."""
    return _to_kind(fnp.asarray(x), "f", name)


def _float_pair(x, y, name):
    x, y = fnp.broadcast_arrays(fnp.asarray(x), fnp.asarray(y))
    x, y = _float(x, name), _float(y, name)
    dtype = fnp.result_type(x, y)
    return fnp.astype(x, dtype, copy=False), fnp.astype(y, dtype, copy=False)


# ---- logsumexp and friends --------------------------------------------------------------

def _weighted_logsumexp(a, b, axis, keepdims):
    """``(log|sum(b exp(a))|, sign)``, shifted by the max of ``a`` where ``b != 0``."""
    axes = None if axis is None else normalize_axes(axis, a.ndim, "logsumexp")
    a, b = _float_pair(a, b, "logsumexp")
    masked = fnp.where(b != 0, a, -fnp.inf)
    shift = stop_gradient(fnp.max(masked, axis=axes, keepdims=True))
    shift = fnp.where(fnp.isfinite(shift), shift, 0.0)      # all -inf: no shift
    total = fnp.sum(b * fnp.exp(a - shift), axis=axes, keepdims=True)
    out = fnp.log(fnp.abs(total)) + shift
    sign = fnp.sign(total)
    if not keepdims:
        squeeze = tuple(range(a.ndim)) if axes is None else axes
        out, sign = fnp.squeeze(out, axis=squeeze), fnp.squeeze(sign, axis=squeeze)
    return out, sign


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """``log(sum(b * exp(a), axis))`` without overflow (SciPy's signature).

    With weights ``b`` the sum may be negative: ``return_sign=True`` returns
    ``(log|sum|, sign(sum))``, otherwise a negative sum gives NaN (as SciPy).

    >>> logsumexp(fnp.asarray([1000.0, 1000.0]))          # 1000.6931
    """
    a = _float(a, "logsumexp")
    if b is None and not return_sign:
        return nn.logsumexp(a, axis=axis, keepdims=keepdims)
    out, sign = _weighted_logsumexp(a, fnp.ones_like(a) if b is None else b, axis, keepdims)
    if return_sign:
        return out, sign
    return fnp.where(sign < 0, fnp.nan, out)


def log_softmax(x, axis=None):
    """``x - logsumexp(x, axis, keepdims=True)``; ``axis=None`` normalizes over all
    elements, as SciPy (``functorch_lite.nn.log_softmax`` defaults to the last axis).

    >>> log_softmax(fnp.asarray([0.0, 0.0]))              # [-0.6931, -0.6931]
    """
    return nn.log_softmax(_float(x, "log_softmax"), axis=axis)


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x), axis)`` without overflow; ``axis=None``: all elements.

    >>> softmax(fnp.asarray([1.0, 1.0]))                  # [0.5, 0.5]
    """
    return nn.softmax(_float(x, "softmax"), axis=axis)


# ---- error and gamma functions ------------------------------------------------------------

def erf(z):
    """The error function ``2/sqrt(pi) * integral_0^z exp(-t**2) dt``.

    >>> erf(fnp.asarray([0.0, 1.0]))                      # [0.0, 0.8427]
    """
    return lax.erf(_float(z, "erf"))


def erfc(x):
    """``1 - erf(x)``, accurate where ``erf(x)`` is close to 1.

    >>> erfc(fnp.asarray(10.0))                           # 2.088e-45
    """
    return lax.erfc(_float(x, "erfc"))


@custom_jvp
def _gammaln(x):
    return lax.lgamma(x)


_gammaln.rule_is_pure = True


@_gammaln.defjvp
def _gammaln_jvp(primals, tangents):
    (x,), (t,) = primals, tangents                        # d lgamma = psi dx
    return (_exact_value_series_derivatives(lax.lgamma, _lgamma_series, x),
            t * _digamma(x))          # its own rule serves higher orders


def gammaln(x):
    """``log|Gamma(x)|``; ``inf`` at the poles ``0, -1, -2, ...``.

    >>> gammaln(fnp.asarray(5.0))                         # log(24) = 3.178
    """
    return _gammaln(_float(x, "gammaln"))


_SHIFT = 6
# Bernoulli numbers B_2 .. B_12 of the asymptotic series of psi and psi_1
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)


def _reflected(series, reflection, sign):
    """``series(x)`` for ``x > 0``, ``reflection(x) + sign * series(1 - x)`` for ``x <= 0``;
    each branch gets safe inputs, so neither puts NaN into the other's derivatives."""
    def fn(x):
        positive = x > 0
        direct = series(fnp.where(positive, x, 1.0))
        x_neg = fnp.where(positive, 0.5, x)
        return fnp.where(positive, direct, reflection(x_neg) + sign * series(1.0 - x_neg))
    return fn


def _lgamma_positive(x):
    """``lgamma(x) = lgamma(x+6) - sum_{k<6} log(x+k)``, then Stirling's series
    ``(z - 1/2) log z - z + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) z^(2k-1))``."""
    z = x + _SHIFT
    inv2 = 1.0 / fnp.square(z)
    series = fnp.zeros_like(x)
    for k, coefficient in reversed(list(enumerate(_BERNOULLI, start=1))):
        series = (series + coefficient / (2 * k * (2 * k - 1))) * inv2
    out = (z - 0.5) * fnp.log(z) - z + 0.5 * math.log(2 * math.pi) + series * z
    for k in range(_SHIFT):
        out = out - fnp.log(x + k)
    return out


def _digamma_positive(x):
    """``psi(x) = psi(x+6) - sum_{k<6} 1/(x+k)``, then ``psi(z) ~ log z - 1/(2z) -
    sum_k B_2k / (2k z^2k)`` at ``z >= 6`` (truncation error below 1e-12)."""
    z = x + _SHIFT
    inv2 = 1.0 / fnp.square(z)
    series = fnp.zeros_like(x)
    for k, coefficient in reversed(list(enumerate(_BERNOULLI, start=1))):
        series = (series + coefficient / (2 * k)) * inv2
    out = fnp.log(z) - 0.5 / z - series
    for k in range(_SHIFT):
        out = out - 1.0 / (x + k)
    return out


def _trigamma_positive(x):
    """``psi_1(x) = sum_{k<6} 1/(x+k)^2 + psi_1(x+6)``, then ``psi_1(z) ~ 1/z + 1/(2z^2)
    + sum_k B_2k / z^(2k+1)`` at ``z >= 6``."""
    z = x + _SHIFT
    inv, inv2 = 1.0 / z, 1.0 / fnp.square(z)
    series = fnp.zeros_like(x)
    for coefficient in reversed(_BERNOULLI):              # Horner in 1/z^2
        series = (series + coefficient) * inv2
    out = inv + 0.5 * inv2 + series * inv
    for k in range(_SHIFT):
        out = out + 1.0 / fnp.square(x + k)
    return out


# lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x);  psi(x) = psi(1 - x) - pi cot(pi x);
# psi_1(x) = pi^2 / sin^2(pi x) - psi_1(1 - x)
_lgamma_series = _reflected(
    _lgamma_positive, lambda x: math.log(math.pi) - fnp.log(fnp.abs(fnp.sin(math.pi * x))), -1)
_digamma_series = _reflected(_digamma_positive, lambda x: -math.pi / fnp.tan(math.pi * x), 1)
_trigamma = _reflected(_trigamma_positive,
                       lambda x: math.pi ** 2 / fnp.square(fnp.sin(math.pi * x)), -1)


def _exact_value_series_derivatives(prim_fn, series, x):
    """``prim_fn(x)``'s value with ``series(x)``'s derivatives of every order: the
    primitive on ``stop_gradient(x)`` plus ``s - stop_gradient(s)`` (exactly 0).  A rule
    uses it for its own function's value: calling the function inside its own rule
    runs the bare body, whose primitive (digamma) has no derivative."""
    s = series(x)
    straight_through = fnp.where(fnp.isfinite(s), s - stop_gradient(s), 0.0)
    return prim_fn(stop_gradient(x)) + straight_through


@custom_jvp
def _digamma(x):
    return lax.digamma(x)


_digamma.rule_is_pure = True


@_digamma.defjvp
def _digamma_jvp(primals, tangents):
    (x,), (t,) = primals, tangents                        # d psi = psi_1 dx
    return _exact_value_series_derivatives(lax.digamma, _digamma_series, x), t * _trigamma(x)


def digamma(z):
    """The logarithmic derivative of Gamma, ``psi(z) = Gamma'(z) / Gamma(z)``;
    differentiable (its derivative, trigamma, is computed by a series).

    >>> digamma(fnp.asarray(1.0))                         # -0.5772 (-euler_gamma)
    """
    return _digamma(_float(z, "digamma"))


# ---- x log y ------------------------------------------------------------------------------------

def _zero_where_x_is_zero(x, y, value):
    """``value``, but 0 where ``x == 0`` and ``y`` is not NaN (SciPy's rule)."""
    return fnp.where((x == 0) & ~fnp.isnan(y), 0.0, value)


def _finite_log(log_y):
    """``log y`` with ``-inf`` (at ``y = 0``) as the most negative finite float, so that
    a zero ``x``-tangent times it is 0, not NaN (the tangent map must stay linear)."""
    return fnp.maximum(log_y, fnp.finfo(log_y.dtype).min)


def _safe_ratio(x, y):
    """``x / y``, and 0 where ``x == 0`` (no ``0 / 0``)."""
    return fnp.where(x == 0, 0.0, x / fnp.where(x == 0, 1.0, y))


@custom_jvp
def _xlogy(x, y):
    return _zero_where_x_is_zero(x, y, x * fnp.log(y))


_xlogy.rule_is_pure = True


@_xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    return _xlogy(x, y), x_dot * _finite_log(fnp.log(y)) + y_dot * _safe_ratio(x, y)


def xlogy(x, y):
    """``x * log(y)``, and 0 where ``x == 0`` (for every ``y`` but NaN, 0 included).

    >>> xlogy(fnp.asarray([0.0, 2.0]), fnp.asarray([0.0, 3.0]))   # [0.0, 2.1972]
    """
    return _xlogy(*_float_pair(x, y, "xlogy"))


@custom_jvp
def _xlog1py(x, y):
    return _zero_where_x_is_zero(x, y, x * fnp.log1p(y))


_xlog1py.rule_is_pure = True


@_xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    (x, y), (x_dot, y_dot) = primals, tangents
    return (_xlog1py(x, y),
            x_dot * _finite_log(fnp.log1p(y)) + y_dot * _safe_ratio(x, 1.0 + y))


def xlog1py(x, y):
    """``x * log1p(y)``, and 0 where ``x == 0`` (``y = -1`` included).

    >>> xlog1py(fnp.asarray(0.0), fnp.asarray(-1.0))      # 0.0
    """
    return _xlog1py(*_float_pair(x, y, "xlog1py"))


# ---- logistic ----------------------------------------------------------------------------------

def expit(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))``.

    >>> expit(fnp.asarray(0.0))                           # 0.5
    """
    return lax.logistic(_float(x, "expit"))


def logit(x):
    """``log(p / (1 - p))``, the inverse of ``expit``: ``-inf`` at 0, ``inf`` at 1, NaN
    outside ``[0, 1]``.

    >>> logit(fnp.asarray([0.0, 0.5, 1.0]))               # [-inf, 0.0, inf]
    """
    p = _float(x, "logit")
    return fnp.log(p) - fnp.log1p(-p)
