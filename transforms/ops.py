"""Small helpers over ``bind`` that transform rules use to build new computations.

They take operands that already agree in shape and dtype (rules know their avals);
NumPy-style broadcasting and promotion belong to ``functorch_lite.numpy``.
"""
import numpy as np

from transforms.array import Array
from transforms.core import bind
from xla_like import primitives as P
from xla_like.ir import ShapedArray, intern


def _unary(prim):
    return lambda x: bind(prim, x)


def _binary(prim):
    return lambda x, y: bind(prim, x, y)


add, sub, mul, div = (_binary(p) for p in (P.add_p, P.sub_p, P.mul_p, P.div_p))
maximum, minimum, pow = _binary(P.max_p), _binary(P.min_p), _binary(P.pow_p)
and_ = _binary(P.and_p)
eq, ne, lt, le, gt, ge = (_binary(p) for p in (P.eq_p, P.ne_p, P.lt_p, P.le_p, P.gt_p, P.ge_p))
neg, exp, log, sin, cos = (_unary(p) for p in (P.neg_p, P.exp_p, P.log_p, P.sin_p, P.cos_p))
sqrt, rsqrt, tanh, logistic = (_unary(p) for p in (P.sqrt_p, P.rsqrt_p, P.tanh_p,
                                                   P.logistic_p))
sign, abs, expm1, log1p = (_unary(p) for p in (P.sign_p, P.abs_p, P.expm1_p, P.log1p_p))
cosh, sinh, lgamma, digamma = (_unary(p) for p in (P.cosh_p, P.sinh_p, P.lgamma_p,
                                                   P.digamma_p))


def constant(value, dtype):
    """A concrete 0-d Array of ``dtype`` (strong)."""
    return Array(np.asarray(value, dtype=dtype), intern(ShapedArray((), dtype, False)))


def full(shape, value, dtype, weak=False):
    """``value`` broadcast to ``shape``: a concrete constant, never a traced value."""
    scalar = Array(np.asarray(value, dtype=dtype), intern(ShapedArray((), dtype, weak)))
    if shape == ():
        return scalar
    return bind(P.broadcast_in_dim_p, scalar, shape=tuple(shape), broadcast_dimensions=())


def full_like(x, value):
    aval = x.aval
    return full(aval.shape, value, aval.dtype, aval.weak)


def zeros_like_aval(aval):
    return full(aval.shape, 0, aval.dtype, aval.weak)


def convert(x, dtype, weak=False):
    if x.aval.dtype == dtype and x.aval.weak == weak:
        return x
    return bind(P.convert_element_type_p, x, new_dtype=dtype, weak_type=weak)


def select(pred, on_false, on_true):
    """``where(pred, on_true, on_false)`` with ``select_n``'s operand order."""
    return bind(P.select_n_p, pred, on_false, on_true)


def broadcast_in_dim(x, shape, dims):
    if x.aval.shape == tuple(shape) and tuple(dims) == tuple(range(len(shape))):
        return x
    return bind(P.broadcast_in_dim_p, x, shape=tuple(shape), broadcast_dimensions=tuple(dims))


def reduce_sum(x, axes):
    if not axes:
        return x
    return bind(P.reduce_sum_p, x, axes=tuple(axes))


def reshape(x, shape):
    if x.aval.shape == tuple(shape):
        return x
    return bind(P.reshape_p, x, new_sizes=tuple(shape))


def transpose(x, perm):
    if tuple(perm) == tuple(range(len(perm))):
        return x
    return bind(P.transpose_p, x, permutation=tuple(perm))


def square(x):
    return mul(x, x)
