"""Index helpers (``indices``, ``ix_``, the triangle and diagonal index tuples,
``mask_indices``), ``fromfunction``, the eager ``frombuffer``/``fromstring``/``fromiter``
conversions, and the index-expression objects ``mgrid``, ``ogrid``, ``r_``, ``c_``,
``s_`` and ``index_exp``.

Index arrays are int32 (the project's default int; NumPy gives int64).  Shapes come
from static arguments, so all of these work under ``jit``.
"""
import operator

import numpy as np

from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, asarray, convert
from functorch_lite.numpy._creation import arange, linspace
from functorch_lite.numpy._extras_shape import _concrete
from functorch_lite.numpy._shape import concatenate, reshape, transpose
from functorch_lite.numpy._sorting import nonzero

_INDEX = dtypes.default_int


def _const_index(values):
    return asarray(np.asarray(values).astype(_INDEX))


def diag_indices(n, ndim=2):
    """Indices of the main diagonal of an ``ndim``-d array with sides ``n``.

    >>> [i.tolist() for i in diag_indices(2)]
    [[0, 1], [0, 1]]
    """
    n, ndim = operator.index(n), operator.index(ndim)
    if n < 0:
        raise ValueError(f"diag_indices: n must be non-negative, got {n}")
    idx = arange(n, dtype=_INDEX)
    return (idx,) * ndim


def diag_indices_from(arr):
    """``diag_indices`` for ``arr``, whose axes must all have the same length.

    >>> len(diag_indices_from(zeros((3, 3))))
    2
    """
    shape = as_operand(arr).aval.shape
    if len(shape) < 2:
        raise ValueError(f"diag_indices_from: input array must be at least 2-d, got {shape}")
    if len(set(shape)) != 1:
        raise ValueError(f"diag_indices_from: all dimensions of input must be of equal "
                         f"length, got {shape}")
    return diag_indices(shape[0], len(shape))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle of an ``(n, m)`` array.

    >>> [i.tolist() for i in tril_indices(2)]
    [[0, 1, 1], [0, 0, 1]]
    """
    return _triangle_indices(np.tril_indices, n, k, m)


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle of an ``(n, m)`` array.

    >>> [i.tolist() for i in triu_indices(2)]
    [[0, 0, 1], [0, 1, 1]]
    """
    return _triangle_indices(np.triu_indices, n, k, m)


def _triangle_indices(numpy_indices, n, k, m):
    """The indices depend only on the sizes: NumPy's, as constants."""
    rows, cols = numpy_indices(operator.index(n), operator.index(k),
                               None if m is None else operator.index(m))
    return _const_index(rows), _const_index(cols)


def _matrix_shape(arr, name):
    shape = as_operand(arr).aval.shape
    if len(shape) != 2:
        raise ValueError(f"{name}: input array must be 2-d, got shape {shape}")
    return shape


def tril_indices_from(arr, k=0):
    """``tril_indices`` for the shape of the 2-d ``arr``.

    >>> tril_indices_from(zeros((2, 3)))[1].tolist()
    [0, 0, 1]
    """
    n, m = _matrix_shape(arr, "tril_indices_from")
    return tril_indices(n, k, m)


def triu_indices_from(arr, k=0):
    """``triu_indices`` for the shape of the 2-d ``arr``.

    >>> triu_indices_from(zeros((2, 2)))[0].tolist()
    [0, 0, 1]
    """
    n, m = _matrix_shape(arr, "triu_indices_from")
    return triu_indices(n, k, m)


def mask_indices(n, mask_func, k=0, *, size=None):
    """Indices where ``mask_func(ones((n, n)), k)`` is non-zero (e.g. ``triu``).  Under
    jit the mask is traced, so pass a static ``size=`` (the number of indices).

    >>> mask_indices(2, triu)[1].tolist()
    [0, 1, 1]
    """
    n = operator.index(n)
    mask = mask_func(np.ones((n, n), np.int32), k)
    if not isinstance(mask, Tracer):
        rows, cols = np.nonzero(np.asarray(mask))
        if size is None or size == rows.size:
            return _const_index(rows), _const_index(cols)
    return nonzero(mask, size=size)


def indices(dimensions, dtype=None, sparse=False):
    """A grid of each position's index along each axis, stacked on a new first axis
    (a tuple of broadcastable arrays when ``sparse``).

    >>> indices((2, 2))[1].tolist()
    [[0, 1], [0, 1]]
    """
    dims = tuple(operator.index(d) for d in dimensions)
    dtype = _INDEX if dtype is None else dtypes.canonicalize(dtype)
    grids = []
    for axis, n in enumerate(dims):
        if sparse:
            shape = tuple(n if d == axis else 1 for d in range(len(dims)))
            grids.append(bind(P.iota_p, dtype=dtype, shape=shape, dimension=axis))
        else:
            grids.append(bind(P.iota_p, dtype=dtype, shape=(1,) + dims, dimension=axis + 1))
    if sparse:
        return tuple(grids)
    if not grids:
        return asarray(np.zeros((0,), dtype))
    return concatenate(grids, axis=0)


def ix_(*args):
    """Open-mesh index arrays from 1-d sequences (a boolean one means its true positions).

    >>> [x.shape for x in ix_(asarray([0, 1]), asarray([2, 3, 4]))]
    [(2, 1), (1, 3)]
    """
    out = []
    for k, arg in enumerate(args):
        x = as_operand(arg)
        if x.aval.ndim != 1:
            raise ValueError(f"ix_: cross index must be 1-d, got {x.aval} for argument {k}")
        if dtypes.is_bool(x.aval.dtype):
            x = _const_index(np.flatnonzero(_concrete(x, "ix_", "a boolean index")))
        elif not dtypes.is_int(x.aval.dtype) and x.aval.shape[0]:
            raise TypeError(f"ix_: cross index must be integers or booleans, got "
                            f"{x.aval.dtype} for argument {k}")
        shape = [1] * len(args)
        shape[k] = x.aval.shape[0]
        out.append(reshape(x, tuple(shape)))
    return tuple(out)


def fromfunction(function, shape, *, dtype=None, **kwargs):
    """``function(*index_grids)`` over a grid of ``shape``; ``function`` gets arrays.

    >>> fromfunction(lambda i, j: i + j, (2, 2)).tolist()
    [[0.0, 1.0], [1.0, 2.0]]
    """
    dtype = dtypes.default_float if dtype is None else dtypes.canonicalize(dtype)
    grids = indices(shape, dtype=dtype)
    return function(*[grids[k] for k in range(len(tuple(shape)))], **kwargs)


def _eager_dtype(dtype):
    return dtypes.default_float if dtype is None else dtype


def frombuffer(buffer, dtype=None, count=-1, offset=0):
    """An array from the bytes of ``buffer`` (eager; default dtype float32).

    >>> frombuffer(bytes(8), dtype=int32).tolist()
    [0, 0]
    """
    return asarray(np.frombuffer(buffer, _eager_dtype(dtype), count, offset).copy())


def fromstring(string, dtype=None, count=-1, *, sep):
    """An array parsed from text with separator ``sep`` (eager; default dtype float32).

    >>> fromstring("1 2", sep=" ").tolist()
    [1.0, 2.0]
    """
    if not sep:
        raise ValueError("fromstring: sep must be given (binary mode is deprecated in NumPy; "
                         "use frombuffer)")
    return asarray(np.fromstring(string, _eager_dtype(dtype), count, sep=sep))


def fromiter(iter, dtype, count=-1):
    """An array from the values of an iterable (eager).

    >>> fromiter(range(3), int32).tolist()
    [0, 1, 2]
    """
    return asarray(np.fromiter(iter, dtype, count))


# ---- index expression objects ---------------------------------------------------------------

def _grid_axis(s, name):
    """A slice of ``mgrid``/``ogrid`` as a 1-d array (a complex step is a point count)."""
    if not isinstance(s, slice):
        raise TypeError(f"{name}: indices must be slices, got {s!r}")
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    if isinstance(step, complex):
        return linspace(start, s.stop, int(abs(step)))
    return arange(start, s.stop, step)


class _Grid:
    """``mgrid[...]`` (dense) and ``ogrid[...]`` (open) index grids."""

    def __init__(self, sparse, name):
        self.sparse, self.name = sparse, name

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            return _grid_axis(key, self.name)
        axes = [_grid_axis(s, self.name) for s in key]
        dtype = dtypes.result_type(*[(a.aval.dtype, False) for a in axes])[0]
        axes = [convert(a, dtype) for a in axes]
        shape = tuple(a.aval.shape[0] for a in axes)
        grids = []
        for k, a in enumerate(axes):
            view = reshape(a, tuple(n if d == k else 1 for d, n in enumerate(shape)))
            grids.append(view if self.sparse else
                         bind(P.broadcast_in_dim_p, view, shape=shape,
                              broadcast_dimensions=tuple(range(len(shape)))))
        if self.sparse:
            return tuple(grids)
        return concatenate([reshape(g, (1,) + shape) for g in grids], axis=0)


mgrid = _Grid(False, "mgrid")
ogrid = _Grid(True, "ogrid")


def _directive(text, name):
    """``'axis[,ndmin[,trans1d]]'`` of ``r_``/``c_``."""
    if text in ("r", "c"):
        raise ValueError(f"{name}: the matrix directives 'r' and 'c' are not supported "
                         "(there is no matrix class)")
    try:
        parts = [int(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"{name}: unknown directive {text!r}") from None
    if len(parts) > 3:
        raise ValueError(f"{name}: a directive has at most 3 integers, got {text!r}")
    return tuple(parts) + (0, 1, -1)[len(parts):]


def _to_ndmin(x, ndmin, trans1d):
    """NumPy's ``array(x, ndmin=ndmin)``, then its ``trans1d`` axis shuffle: the
    original axes start at position ``trans1d`` (stay last when it is -1)."""
    old = x.aval.ndim
    if old >= ndmin:
        return x
    x = reshape(x, (1,) * (ndmin - old) + x.aval.shape)
    if trans1d == -1 or old == 0:
        return x
    k2, k1 = ndmin - old, trans1d
    if k1 < 0:
        k1 += k2 + 1
    d = list(range(ndmin))
    return transpose(x, tuple(d[:k1] + d[k2:] + d[k1:k2]))


class _Concat:
    """``r_[...]`` / ``c_[...]``: concatenate slices (as ranges), arrays and scalars."""

    def __init__(self, axis, ndmin, trans1d, name):
        self.defaults, self.name = (axis, ndmin, trans1d), name

    def __getitem__(self, key):
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.defaults
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(items.pop(0), self.name)
        parts = []
        for item in items:
            if isinstance(item, slice):
                x = _grid_axis(item, self.name)
            elif isinstance(item, str):
                raise ValueError(f"{self.name}: a directive string must come first, got "
                                 f"{item!r}")
            else:
                x = as_operand(item)
            parts.append(_to_ndmin(x, ndmin, trans1d))
        if not parts:
            return asarray(np.zeros((0,)))
        return concatenate(parts, axis=axis)


r_ = _Concat(0, 1, -1, "r_")
c_ = _Concat(-1, 2, 0, "c_")
s_ = np.s_                   # pure slice builders: NumPy's objects do exactly this
index_exp = np.index_exp

__all__ = ["diag_indices", "diag_indices_from", "tril_indices", "triu_indices",
           "tril_indices_from", "triu_indices_from", "mask_indices", "indices", "ix_",
           "fromfunction", "frombuffer", "fromstring", "fromiter"]
