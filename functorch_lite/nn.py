"""Neural-network helpers, as compositions with numerically stable derivatives.

``logsumexp``, ``softplus`` and ``norm``-style functions carry ``custom_jvp`` rules
where plain differentiation of the formula would overflow or divide by zero.
"""
from functorch_lite import numpy as fnp
from functorch_lite._autodiff import stop_gradient
from functorch_lite._custom import custom_jvp
from functorch_lite.numpy._shape import normalize_axes


def _keep(axis, ndim):
    return None if axis is None else normalize_axes(axis, ndim, "logsumexp")


@custom_jvp
def _logsumexp(x, axis, keepdims):
    axes = _keep(axis, x.ndim)
    shift = stop_gradient(fnp.max(x, axis=axes, keepdims=True))
    shift = fnp.where(fnp.isfinite(shift), shift, 0.0)
    out = fnp.log(fnp.sum(fnp.exp(x - shift), axis=axes, keepdims=True)) + shift
    return out if keepdims else fnp.squeeze(out, axis=axes)


_logsumexp.nondiff_argnums = (1, 2)


_logsumexp.rule_is_pure = True


@_logsumexp.defjvp
def _logsumexp_jvp(axis, keepdims, primals, tangents):
    (x,), (t,) = primals, tangents
    out = _logsumexp(x, axis, True)
    axes = _keep(axis, x.ndim)
    shifted = fnp.exp(x - fnp.max(x, axis=axes, keepdims=True))
    weights = shifted / fnp.sum(shifted, axis=axes, keepdims=True)      # softmax(x)
    t_out = fnp.sum(weights * t, axis=axes, keepdims=True)
    if not keepdims:
        out, t_out = fnp.squeeze(out, axis=axes), fnp.squeeze(t_out, axis=axes)
    return out, t_out


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` without overflow; its gradient is ``softmax(x)``.

    >>> logsumexp(fnp.asarray([1000.0, 1000.0]))     # 1000.6931
    """
    return _logsumexp(fnp.asarray(x), axis, keepdims)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``."""
    x = fnp.asarray(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    """``exp(log_softmax(x))``: normalized along ``axis`` without overflow."""
    return fnp.exp(log_softmax(x, axis))


@custom_jvp
def relu(x):
    """``max(x, 0)``; its derivative is 1 where ``x > 0`` and 0 elsewhere (at 0 too)."""
    return fnp.maximum(x, 0.0)


relu.rule_is_pure = True


@relu.defjvp
def _relu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return relu(x), fnp.where(x > 0, t, 0.0)


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``."""
    from functorch_lite import lax
    return lax.logistic(fnp.asarray(x))


@custom_jvp
def softplus(x):
    """``log(1 + exp(x))`` computed stably; derivative ``sigmoid(x)``."""
    return fnp.maximum(x, 0.0) + fnp.log1p(fnp.exp(-fnp.abs(x)))   # exact for +-inf too


softplus.rule_is_pure = True


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t * sigmoid(x)


@custom_jvp
def safe_norm(x, axis=None, keepdims=False):
    """The Euclidean norm whose gradient at the zero vector is 0 instead of NaN."""
    return fnp.sqrt(fnp.sum(x * x, axis=axis, keepdims=keepdims))


safe_norm.nondiff_argnums = (1, 2)


safe_norm.rule_is_pure = True


@safe_norm.defjvp
def _safe_norm_jvp(axis, keepdims, primals, tangents):
    (x,), (t,) = primals, tangents
    out = safe_norm(x, axis, True)
    safe = fnp.where(out == 0, 1.0, out)
    t_out = fnp.sum(x * t, axis=axis, keepdims=True) / safe
    if not keepdims:
        out = fnp.squeeze(out, axis=axis) if axis is not None else fnp.reshape(out, ())
        t_out = fnp.squeeze(t_out, axis=axis) if axis is not None else fnp.reshape(t_out, ())
    return out, t_out
