"""Products: ``dot``, ``matmul``, ``vdot``, ``inner``, ``outer``, ``tensordot``.

All of them promote their operands to one dtype and bind ``dot_general``, whose
output axes are the batch axes, then the lhs free axes, then the rhs free axes.
Bool products are computed in int32 and turned back into bools (any nonzero term).
"""
import operator

import numpy as np

from transforms.array import Array
from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import (as_operand, broadcast_shapes, broadcast_to, convert,
                                           promote)
from functorch_lite.numpy._shape import expand_dims, normalize_axis, ravel, squeeze
from functorch_lite.numpy import _ufuncs as uf
from functorch_lite.numpy._fast import OutputAvals, concrete
from xla_like.primitives.quiet import ERROR_STATE, quiet_state


def _dot_general(a, b, contract, batch=((), ()), preferred_element_type=None):
    """``dot_general`` after promotion; ``a`` and ``b`` are already promoted arrays."""
    dims = ((tuple(contract[0]), tuple(contract[1])), (tuple(batch[0]), tuple(batch[1])))
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize(preferred_element_type)
    if a.aval.dtype == dtypes.bool_:
        a, b = convert(a, dtypes.int32), convert(b, dtypes.int32)
        out = bind(P.dot_general_p, a, b, dimension_numbers=dims, preferred_element_type=None)
        return uf.not_equal(out, 0)
    return bind(P.dot_general_p, a, b, dimension_numbers=dims,
                preferred_element_type=preferred_element_type)


def _operands(a, b):
    return promote(as_operand(a), as_operand(b))


def dot(a, b, *, preferred_element_type=None):
    """NumPy's ``dot``: a scalar times an array, the inner product of vectors, a matrix
    product, or a sum over ``a``'s last axis and ``b``'s second-to-last.

    >>> dot(ones((2, 3)), ones((3, 4, 5))).shape
    (2, 4, 5)
    """
    a, b = _operands(a, b)
    if a.aval.ndim == 0 or b.aval.ndim == 0:
        return uf.multiply(a, b)
    b_axis = 0 if b.aval.ndim == 1 else b.aval.ndim - 2
    _check_sizes("dot", a, a.aval.ndim - 1, b, b_axis)
    return _dot_general(a, b, ((a.aval.ndim - 1,), (b_axis,)),
                        preferred_element_type=preferred_element_type)


def _check_sizes(name, a, a_axis, b, b_axis):
    if a.aval.shape[a_axis] != b.aval.shape[b_axis]:
        raise ValueError(f"{name}: shapes {a.aval.shape} and {b.aval.shape} are not aligned: "
                         f"{a.aval.shape[a_axis]} (dim {a_axis}) != "
                         f"{b.aval.shape[b_axis]} (dim {b_axis})")


def matmul(a, b, *, preferred_element_type=None):
    """Matrix product with batch broadcasting; a 1-d operand is a vector (its axis
    is dropped from the result).

    >>> matmul(ones((5, 1, 2, 3)), ones((4, 3, 6))).shape
    (5, 4, 2, 6)
    """
    if preferred_element_type is None and _plain_matrices(a, b):
        operands = concrete(a, b)
        if operands is not None:
            # dot_general's implementation for this layout, inlined (the hot path of
            # eager training): np.matmul with overflow/invalid warnings off
            token = ERROR_STATE.set(quiet_state())
            try:
                value = np.matmul(*operands[1])
            finally:
                ERROR_STATE.reset(token)
            out = Array(value, _matrix_aval((a, b)))
            tape = operands[0]
            return out if tape is None else tape.record(
                P.dot_general_p, _MATRIX_PARAMS, (a, b), out, operands[2])
        return bind(P.dot_general_p, a, b, **_MATRIX_PARAMS)
    a, b = _operands(a, b)
    if a.aval.ndim == 0 or b.aval.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one dimension, got "
                         f"{a.aval} and {b.aval} (use multiply for scalars)")
    a_vec, b_vec = a.aval.ndim == 1, b.aval.ndim == 1
    a = expand_dims(a, 0) if a_vec else a
    b = expand_dims(b, 1) if b_vec else b
    _check_sizes("matmul", a, a.aval.ndim - 1, b, b.aval.ndim - 2)
    out = _batched_matmul(a, b, preferred_element_type)
    drop = (-2,) * a_vec + (-1,) * b_vec
    return squeeze(out, tuple(out.aval.ndim + d for d in drop)) if drop else out


_MATRIX_PRODUCT = (((1,), (0,)), ((), ()))
_MATRIX_PARAMS = {"dimension_numbers": _MATRIX_PRODUCT, "preferred_element_type": None}
_matrix_aval = OutputAvals(P.dot_general_p, _MATRIX_PARAMS)


def _plain_matrices(a, b):
    """Two float matrices of one type whose sizes agree: ``h @ w`` needs no promotion,
    no batch axes and no checks beyond these (the common case, kept short: between
    large products the interpreter runs from cold caches, so each line costs more)."""
    try:
        x, y = a.aval, b.aval
    except AttributeError:
        return False
    return (len(x.shape) == 2 and len(y.shape) == 2 and x.dtype == y.dtype
            and x.weak == y.weak and x.dtype.kind in "fc" and x.shape[1] == y.shape[0])


def _batched_matmul(a, b, preferred_element_type):
    if b.aval.ndim == 2:
        # no rhs batch: contract directly, the lhs batch axes lead the result
        return _dot_general(a, b, ((a.aval.ndim - 1,), (0,)),
                            preferred_element_type=preferred_element_type)
    batch = broadcast_shapes(a.aval.shape[:-2], b.aval.shape[:-2])
    a = broadcast_to(a, batch + a.aval.shape[-2:])
    b = broadcast_to(b, batch + b.aval.shape[-2:])
    nb = len(batch)
    axes = tuple(range(nb))
    return _dot_general(a, b, ((nb + 1,), (nb,)), (axes, axes), preferred_element_type)


def vdot(a, b):
    """Dot product of the flattened arrays, the first one conjugated (as NumPy).

    >>> vdot(ones((2, 2)), ones(4)).item()
    4.0
    """
    a, b = _operands(ravel(a), ravel(b))
    if dtypes.is_complex(a.aval.dtype):
        a = bind(P.conj_p, a)
    if a.aval.shape != b.aval.shape:
        raise ValueError(f"vdot: operands must have the same number of elements, got "
                         f"{a.aval.size} and {b.aval.size}")
    return _dot_general(a, b, ((0,), (0,)))


def inner(a, b):
    """Sum over the last axes of both operands.

    >>> inner(ones((2, 3)), ones((4, 3))).shape
    (2, 4)
    """
    a, b = _operands(a, b)
    if a.aval.ndim == 0 or b.aval.ndim == 0:
        return uf.multiply(a, b)
    _check_sizes("inner", a, a.aval.ndim - 1, b, b.aval.ndim - 1)
    return _dot_general(a, b, ((a.aval.ndim - 1,), (b.aval.ndim - 1,)))


def outer(a, b):
    """Outer product of the flattened operands.  ``outer(ones(2), ones(3)).shape == (2, 3)``"""
    a, b = ravel(a), ravel(b)
    return uf.multiply(expand_dims(a, 1), expand_dims(b, 0))


def _tensordot_axes(axes, a_ndim, b_ndim):
    if hasattr(axes, "__index__"):
        n = operator.index(axes)
        if n < 0 or n > a_ndim or n > b_ndim:
            raise ValueError(f"tensordot: axes={n} is out of range for operands of rank "
                             f"{a_ndim} and {b_ndim}")
        return tuple(range(a_ndim - n, a_ndim)), tuple(range(n))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise TypeError(f"tensordot: axes must be an int or a pair of axis sequences, "
                        f"got {axes!r}") from None
    a_axes = a_axes if isinstance(a_axes, (tuple, list)) else (a_axes,)
    b_axes = b_axes if isinstance(b_axes, (tuple, list)) else (b_axes,)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: the axis lists {tuple(a_axes)} and {tuple(b_axes)} "
                         "have different lengths")
    return (tuple(normalize_axis(d, a_ndim, "tensordot") for d in a_axes),
            tuple(normalize_axis(d, b_ndim, "tensordot") for d in b_axes))


def tensordot(a, b, axes=2, *, preferred_element_type=None):
    """Sum products over the given axes: the last ``axes`` of ``a`` with the first of
    ``b``, or explicit ``(a_axes, b_axes)``.

    >>> tensordot(ones((2, 3, 4)), ones((3, 4, 5))).shape
    (2, 5)
    """
    a, b = _operands(a, b)
    a_axes, b_axes = _tensordot_axes(axes, a.aval.ndim, b.aval.ndim)
    for i, j in zip(a_axes, b_axes):
        _check_sizes("tensordot", a, i, b, j)
    return _dot_general(a, b, (a_axes, b_axes), preferred_element_type=preferred_element_type)


__all__ = ["dot", "matmul", "vdot", "inner", "outer", "tensordot"]
