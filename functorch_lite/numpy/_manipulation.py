"""Array manipulation, grids, numerical calculus and comparisons, as compositions.

Diagonals are strided ``slice``s of the flattened matrix; triangles, ``tri`` and ``diag``
are ``select_n`` with an ``iota`` mask; traced ``repeat``/``roll`` are one ``gather``
with a computed index vector; ``convolve``/``correlate`` are one
``conv_general_dilated``; ``pad`` (every NumPy mode) lives in ``_pad.py``.  Shapes
always come from static arguments, so every function works under ``jit``.
"""
import operator

import numpy as np

from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert, promote
from functorch_lite.numpy._creation import linspace, zeros_like
from functorch_lite.numpy._indexing import getitem, take
from functorch_lite.numpy._reductions import cumsum, sum as _sum
from functorch_lite.numpy._shape import (_canonical_shape, broadcast_arrays, concatenate,
                                         flip, moveaxis, normalize_axis, ravel, reshape,
                                         stack, swapaxes)
from functorch_lite.numpy import _ufuncs as uf


def _slice_axis(x, axis, start, stop, step=1):
    """``x[..., start:stop:step, ...]`` on one axis, with in-range static bounds."""
    starts, limits = [0] * x.aval.ndim, list(x.aval.shape)
    starts[axis], limits[axis] = start, stop
    strides = None if step == 1 else tuple(step if d == axis else 1 for d in range(len(starts)))
    return bind(P.slice_p, x, start_indices=tuple(starts), limit_indices=tuple(limits),
                strides=strides)


def _along(v, axis, ndim):
    """A 1-d ``v`` shaped to broadcast along ``axis`` of an ``ndim``-d array."""
    shape = [1] * ndim
    shape[axis] = v.aval.shape[0]
    return reshape(v, tuple(shape))


def _iota(shape, dimension):
    return bind(P.iota_p, dtype=dtypes.int32, shape=tuple(shape), dimension=dimension)


def _is_concrete(x):
    return not isinstance(x, Tracer)


def _as_float(x):
    """Integer and bool arrays become float32 (float64 for 64-bit ints)."""
    if dtypes.is_inexact(x.aval.dtype):
        return x
    wide = x.aval.dtype.itemsize == 8
    return convert(x, dtypes.float64 if wide else dtypes.default_float)


# ---- diagonals and triangles ----------------------------------------------------------------

def diagonal(a, offset=0, axis1=0, axis2=1):
    """The ``offset``-th diagonal of the ``(axis1, axis2)`` matrices, as a last axis.

    >>> diagonal(arange(9).reshape(3, 3), 1).tolist()
    [1, 5]
    """
    a = as_operand(a)
    nd = a.aval.ndim
    if nd < 2:
        raise ValueError(f"diagonal: needs an array of at least 2 dimensions, got {a.aval}")
    i, j = normalize_axis(axis1, nd, "diagonal"), normalize_axis(axis2, nd, "diagonal")
    if i == j:
        raise ValueError(f"diagonal: axis1 and axis2 cannot be the same, got {axis1}, {axis2}")
    offset = operator.index(offset)
    x = moveaxis(a, (i, j), (-2, -1))
    rows, cols = x.aval.shape[-2:]
    r0, c0 = max(-offset, 0), max(offset, 0)
    n = max(min(rows - r0, cols - c0), 0)
    flat = reshape(x, x.aval.shape[:-2] + (rows * cols,))
    if n == 0:
        return _slice_axis(flat, nd - 2, 0, 0)
    # element (r0 + k, c0 + k) sits at r0 * cols + c0 + k * (cols + 1) of the flat matrix
    start = r0 * cols + c0
    return _slice_axis(flat, nd - 2, start, start + (n - 1) * (cols + 1) + 1, cols + 1)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    """Sum along a diagonal.  ``trace(eye(3)) == 3.0``"""
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def _tri_mask(n, m, k):
    """Bool ``(n, m)``: True where ``col <= row + k``."""
    return uf.less_equal(uf.subtract(_iota((n, m), 1), _iota((n, m), 0)), k)


def tri(N, M=None, k=0, dtype=None):
    """Ones at and below the ``k``-th diagonal.  ``tri(2).tolist() == [[1., 0.], [1., 1.]]``"""
    N = operator.index(N)
    M = N if M is None else operator.index(M)
    dtype = dtypes.default_float if dtype is None else dtypes.canonicalize(dtype)
    return convert(_tri_mask(N, M, operator.index(k)), dtype)


def _matrix_dims(m, name):
    m = as_operand(m)
    if m.aval.ndim == 0:
        raise ValueError(f"{name}: needs an array of at least 1 dimension, got {m.aval}")
    shape = m.aval.shape
    return m, (shape[-2:] if m.aval.ndim >= 2 else (shape[-1], shape[-1]))


def tril(m, k=0):
    """Zero the elements above the ``k``-th diagonal of the last two axes.

    >>> tril(ones((2, 2))).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    m, (n, c) = _matrix_dims(m, "tril")
    return uf.where(_tri_mask(n, c, operator.index(k)), m, zeros_like(m))


def triu(m, k=0):
    """Zero the elements below the ``k``-th diagonal of the last two axes.

    >>> triu(ones((2, 2))).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    m, (n, c) = _matrix_dims(m, "triu")
    return uf.where(_tri_mask(n, c, operator.index(k) - 1), zeros_like(m), m)


def diag(v, k=0):
    """The ``k``-th diagonal of a 2-d array, or a 2-d array with 1-d ``v`` on it.

    >>> diag(asarray([1, 2])).tolist()
    [[1, 0], [0, 2]]
    """
    v = as_operand(v)
    k = operator.index(k)
    if v.aval.ndim == 2:
        return diagonal(v, k)
    if v.aval.ndim != 1:
        raise ValueError(f"diag: input must be 1-d or 2-d, got {v.aval}")
    n = v.aval.shape[0]
    square = uf.where(uf.equal(_iota((n, n), 0), _iota((n, n), 1)),
                      broadcast_to(v, (n, n)), zeros_like(v, shape=(n, n)))
    lo, hi = max(k, 0), max(-k, 0)    # k > 0 shifts columns right, k < 0 rows down
    zero = convert(as_operand(0), v.aval.dtype)
    return bind(P.pad_p, square, zero, padding_config=((hi, lo, 0), (lo, hi, 0)))


# ---- grids, tiling, repetition -----------------------------------------------------------

def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate matrices from 1-d coordinate vectors (``indexing='xy'`` swaps the
    first two output axes, as NumPy does).

    >>> [g.shape for g in meshgrid(arange(3), arange(2))]
    [(2, 3), (2, 3)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    arrays = [ravel(as_operand(x)) for x in xi]
    n = len(arrays)
    pos = list(range(n))
    if indexing == "xy" and n >= 2:
        pos[0], pos[1] = 1, 0
    shape = [0] * n
    for p, x in zip(pos, arrays):
        shape[p] = x.aval.shape[0]
    out = []
    for p, x in zip(pos, arrays):
        x = _along(x, p, n)
        out.append(x if sparse else broadcast_to(x, tuple(shape)))
    return out


def tile(A, reps):
    """Repeat ``A`` ``reps`` times along each axis.

    >>> tile(arange(2), 2).tolist()
    [0, 1, 0, 1]
    """
    A = as_operand(A)
    reps = _canonical_shape(reps, "tile")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    d = max(len(reps), A.aval.ndim)
    shape = (1,) * (d - A.aval.ndim) + A.aval.shape
    reps = (1,) * (d - len(reps)) + reps
    spread = reshape(A, tuple(s for n in shape for s in (1, n)))
    grown = broadcast_to(spread, tuple(s for r, n in zip(reps, shape) for s in (r, n)))
    return reshape(grown, tuple(r * n for r, n in zip(reps, shape)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element ``repeats`` times (an int, or one count per element).

    Traced counts need a static ``total_repeat_length``: extra positions repeat the
    last element, surplus ones are dropped.

    >>> repeat(asarray([1, 2]), [1, 2]).tolist()
    [1, 2, 2]
    """
    a = as_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.aval.ndim, "repeat")
    n = a.aval.shape[axis]
    if isinstance(repeats, (int, np.integer)) and (
            total_repeat_length is None or total_repeat_length == n * repeats):
        if repeats < 0:
            raise ValueError(f"repeat: repeats must be non-negative, got {repeats}")
        x = reshape(a, a.aval.shape[:axis + 1] + (1,) + a.aval.shape[axis + 1:])
        x = broadcast_to(x, x.aval.shape[:axis + 1] + (repeats,) + x.aval.shape[axis + 2:])
        return reshape(x, a.aval.shape[:axis] + (n * repeats,) + a.aval.shape[axis + 1:])
    if _is_concrete(repeats):
        counts = np.broadcast_to(np.asarray(repeats), (n,))
        if counts.dtype.kind not in "iu" or (counts < 0).any():
            raise ValueError(f"repeat: repeats must be non-negative ints, got {repeats!r}")
        idx = np.repeat(np.arange(n), counts)
        if total_repeat_length is not None:     # pad with the last element, or truncate
            extra = np.full(max(total_repeat_length - idx.size, 0), n - 1)
            idx = np.concatenate([idx, extra])[:total_repeat_length]
        return take(a, idx, axis)
    if total_repeat_length is None:
        raise TypeError("repeat: traced repeats give a data-dependent size; pass a static "
                        "total_repeat_length=")
    ends = cumsum(broadcast_to(convert(repeats, dtypes.int32), (n,)))
    pos = _iota((total_repeat_length, n), 0)
    # the element covering output position p is the number of segments ending at or before p
    idx = _sum(uf.less_equal(broadcast_to(ends, pos.aval.shape), pos), axis=1, dtype=np.int32)
    return take(a, uf.minimum(idx, n - 1), axis, mode="clip")


def roll(a, shift, axis=None):
    """Shift elements along ``axis`` (of the flattened array when None), wrapping around.

    >>> roll(arange(4), 1).tolist()
    [3, 0, 1, 2]
    """
    a = as_operand(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.aval.shape)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,) * len(axes)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} have different lengths")
    for s, ax in zip(shifts, axes):
        a = _roll_axis(a, s, normalize_axis(ax, a.aval.ndim, "roll"))
    return a


def _roll_axis(x, shift, axis):
    n = x.aval.shape[axis]
    if n == 0:
        return x
    if _is_concrete(shift):
        s = operator.index(np.asarray(shift).item()) % n
        if s == 0:
            return x
        return concatenate([_slice_axis(x, axis, n - s, n), _slice_axis(x, axis, 0, n - s)],
                           axis)
    idx = uf.remainder(uf.subtract(_iota((n,), 0), convert(shift, dtypes.int32)), n)
    return take(x, idx, axis, mode="clip")


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (first towards second).

    >>> rot90(asarray([[1, 2], [3, 4]])).tolist()
    [[2, 4], [1, 3]]
    """
    m = as_operand(m)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must name two axes, got {axes!r}")
    a0, a1 = (normalize_axis(x, m.aval.ndim, "rot90") for x in axes)
    if a0 == a1:
        raise ValueError(f"rot90: axes must be different, got {axes!r}")
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, (a0, a1))
    if k == 1:
        return swapaxes(flip(m, a1), a0, a1)
    return flip(swapaxes(m, a0, a1), a1)


# ---- splitting ------------------------------------------------------------------------------

def array_split(ary, indices_or_sections, axis=0):
    """Split into sub-arrays at the given indices, or into ``n`` nearly equal parts.

    >>> [x.tolist() for x in array_split(arange(5), 2)]
    [[0, 1, 2], [3, 4]]
    """
    ary = as_operand(ary)
    axis = normalize_axis(axis, ary.aval.ndim, "array_split")
    n = ary.aval.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"array_split: number of sections must be > 0, got {sections}")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [operator.index(i) for i in np.asarray(indices_or_sections)] + [n]
    out = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        lo, hi, _ = slice(start, stop).indices(n)
        out.append(_slice_axis(ary, axis, lo, max(lo, hi)))
    return out


def split(ary, indices_or_sections, axis=0):
    """Like ``array_split``, but ``n`` sections must divide the axis equally.

    >>> [x.shape for x in split(ones((4, 2)), 2)]
    [(2, 2), (2, 2)]
    """
    if isinstance(indices_or_sections, (int, np.integer)):
        n = as_operand(ary).aval.shape[normalize_axis(axis, as_operand(ary).aval.ndim, "split")]
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(f"split: array split does not result in an equal division "
                             f"({n} into {indices_or_sections})")
    return array_split(ary, indices_or_sections, axis)


# ---- products and vectors -------------------------------------------------------------------

def kron(a, b):
    """Kronecker product.  ``kron(eye(2), ones((2, 2))).shape == (4, 4)``"""
    a, b = promote(as_operand(a), as_operand(b))
    d = max(a.aval.ndim, b.aval.ndim)
    sa = (1,) * (d - a.aval.ndim) + a.aval.shape
    sb = (1,) * (d - b.aval.ndim) + b.aval.shape
    prod = uf.multiply(reshape(a, tuple(s for n in sa for s in (n, 1))),
                       reshape(b, tuple(s for n in sb for s in (1, n))))
    return reshape(prod, tuple(x * y for x, y in zip(sa, sb)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors: the z component) along the given axes.

    >>> cross(asarray([1., 0, 0]), asarray([0., 1, 0])).tolist()
    [0.0, 0.0, 1.0]
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote(as_operand(a), as_operand(b))
    a = moveaxis(a, normalize_axis(axisa, a.aval.ndim, "cross"), -1)
    b = moveaxis(b, normalize_axis(axisb, b.aval.ndim, "cross"), -1)
    na, nb = a.aval.shape[-1], b.aval.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension "
                         f"must be 2 or 3), got {na} and {nb}")
    ca = [getitem(a, (Ellipsis, i)) for i in range(na)]
    cb = [getitem(b, (Ellipsis, i)) for i in range(nb)]
    z = uf.subtract(uf.multiply(ca[0], cb[1]), uf.multiply(ca[1], cb[0]))
    if na == nb == 2:
        return z
    a2 = ca[2] if na == 3 else zeros_like(ca[0])
    b2 = cb[2] if nb == 3 else zeros_like(cb[0])
    x = uf.subtract(uf.multiply(ca[1], b2), uf.multiply(a2, cb[1]))
    y = uf.subtract(uf.multiply(a2, cb[0]), uf.multiply(ca[0], b2))
    out = stack(broadcast_arrays(x, y, z), axis=-1)
    return moveaxis(out, -1, normalize_axis(axisc, out.aval.ndim, "cross"))


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``.  ``logspace(0, 2, 3).tolist() == [1., 10., 100.]``"""
    exponents = linspace(start, stop, num, endpoint)
    out = uf.power(convert(as_operand(base), exponents.aval.dtype), exponents)
    if dtype is not None:
        out = convert(out, dtypes.canonicalize(dtype))
    return moveaxis(out, 0, axis) if out.aval.ndim > 1 else out


def vander(x, N=None, increasing=False):
    """Columns ``x**(N-1), ..., x, 1`` (reversed if ``increasing``), by repeated products.

    >>> vander(asarray([2, 3]), 3).tolist()
    [[4, 2, 1], [9, 3, 1]]
    """
    x = as_operand(x)
    if x.aval.ndim != 1:
        raise ValueError(f"vander: x must be a one-dimensional array, got {x.aval}")
    N = x.aval.shape[0] if N is None else operator.index(N)
    cols = [uf.add(zeros_like(x), 1)] if N else []
    for _ in range(N - 1):
        cols.append(uf.multiply(cols[-1], x))
    if not cols:
        return zeros_like(x, shape=(x.aval.shape[0], 0))
    out = stack(cols, axis=1)
    return out if increasing else flip(out, 1)


# ---- pad: in its own module (every NumPy mode), re-exported here -----------------------------

from functorch_lite.numpy._pad import pad  # noqa: E402,F401
