"""The Array API linear algebra extension's functions that NumPy's ``linalg`` gained in
NumPy 2 (``cross``, ``diagonal``, ``matrix_norm``, ``outer``, ``tensordot``, ``trace``,
``vecdot``, ``vector_norm``); ``functorch_lite.numpy.linalg`` re-exports them.

They act on the last axes (matrices are the last two, vectors the last one unless
``axis`` says otherwise) and are compositions, so they work under every transform.

>>> import functorch_lite.numpy as fnp
>>> fnp.linalg.vector_norm(fnp.asarray([3.0, 4.0]))
Array(5., dtype=float32)
"""
import math

from xla_like import dtypes
from functorch_lite.numpy import _linalg_core, _manipulation, _shape
from functorch_lite.numpy import _ufuncs as uf
from functorch_lite.numpy._array_api import matrix_transpose, vecdot
from functorch_lite.numpy._convert import as_operand

__all__ = ["cross", "diagonal", "matrix_norm", "matrix_transpose", "outer", "tensordot",
           "trace", "vecdot", "vector_norm"]


def _linalg():
    # imported when called: linalg imports this module at its end
    from functorch_lite.numpy import linalg
    return linalg


def cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along ``axis`` of the broadcast arrays.

    >>> cross(fnp.asarray([1.0, 0, 0]), fnp.asarray([0.0, 1, 0])).tolist()
    [0.0, 0.0, 1.0]
    """
    x1, x2 = _shape.broadcast_arrays(as_operand(x1, "cross: x1"), as_operand(x2, "cross: x2"))
    size = x1.aval.shape[_shape.normalize_axis(axis, x1.aval.ndim, "cross")]
    if size != 3:
        raise ValueError(f"cross: the vectors along axis {axis} must have 3 elements, got "
                         f"{size} (shapes {x1.aval.shape})")
    return _manipulation.cross(x1, x2, axis=axis)


def diagonal(x, /, *, offset=0):
    """The diagonals of the matrices in the last two axes (``offset`` > 0: above).

    >>> diagonal(fnp.asarray([[1, 2], [3, 4]]), offset=1).tolist()
    [2]
    """
    return _manipulation.diagonal(_matrices(x, "diagonal"), offset, axis1=-2, axis2=-1)


def trace(x, /, *, offset=0, dtype=None):
    """The sums of the diagonals of the matrices in the last two axes.

    >>> trace(fnp.asarray([[1, 2], [3, 4]])).tolist()
    5
    """
    return _manipulation.trace(_matrices(x, "trace"), offset, axis1=-2, axis2=-1,
                               dtype=dtype)


def _matrices(x, name):
    x = as_operand(x, f"{name}: x")
    if x.aval.ndim < 2:
        raise ValueError(f"{name}: x must be a stack of matrices (at least 2-d), got {x.aval}")
    return x


def outer(x1, x2, /):
    """The outer product of two vectors.

    >>> outer(fnp.asarray([1, 2]), fnp.asarray([1, 10])).tolist()
    [[1, 10], [2, 20]]
    """
    x1, x2 = as_operand(x1, "outer: x1"), as_operand(x2, "outer: x2")
    if x1.aval.ndim != 1 or x2.aval.ndim != 1:
        raise ValueError(f"outer: x1 and x2 must be 1-d, got {x1.aval} and {x2.aval}")
    return _linalg_core.outer(x1, x2)


def tensordot(x1, x2, /, *, axes=2):
    """``numpy.tensordot`` with the standard's signature.

    >>> tensordot(fnp.ones((2, 3)), fnp.ones((3, 4)), axes=1).shape
    (2, 4)
    """
    return _linalg_core.tensordot(x1, x2, axes)


def _norm_operand(x, name):
    """Real values whose norm is ``x``'s: moduli of complex entries, floats of ints."""
    x = as_operand(x, f"{name}: x")
    if dtypes.is_complex(x.aval.dtype):
        return uf.abs(x)
    return _linalg().inexact_operand(x, name, "x")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The vector ``ord``-norm (any p, ``inf``, ``-inf``, 0) over ``axis``: one axis, a
    tuple of axes (their elements form one vector), or all of them (None).

    >>> vector_norm(fnp.ones((2, 2)), ord=1)
    Array(4., dtype=float32)
    """
    x = _norm_operand(x, "vector_norm")
    ndim = x.aval.ndim
    axes = _shape.normalize_axes(axis, ndim, "vector_norm")
    kept = [d for d in range(ndim) if d not in axes]
    moved = _shape.transpose(x, tuple(kept) + tuple(axes))
    length = math.prod(x.aval.shape[d] for d in axes)
    flat = _shape.reshape(moved, tuple(x.aval.shape[d] for d in kept) + (length,))
    out = _linalg()._vector_norm(flat, ord, -1, False)
    if keepdims:
        out = _shape.reshape(out, tuple(1 if d in axes else n
                                        for d, n in enumerate(x.aval.shape)))
    return out


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The matrix norm (``"fro"``, ``"nuc"``, 1, -1, 2, -2, ``inf``, ``-inf``) of the
    matrices in the last two axes.

    >>> matrix_norm(fnp.asarray([[3.0, 0.0], [0.0, 4.0]]))
    Array(5., dtype=float32)
    """
    x = as_operand(x, "matrix_norm: x")
    if dtypes.is_complex(x.aval.dtype) and ord in (2, -2, "nuc"):
        # these need the singular values of the complex matrix, not of its moduli
        raise TypeError(f"matrix_norm: ord={ord!r} is not supported for complex input "
                        f"({x.aval}); 'fro', 1, -1, inf and -inf are")
    x = _matrices(_norm_operand(x, "matrix_norm"), "matrix_norm")
    return _linalg().norm(x, ord, axis=(-2, -1), keepdims=keepdims)
