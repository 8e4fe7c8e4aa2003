"""Sorting, searching, set operations and the ``nonzero`` family, composed of ``sort``,
``gather``/``scatter``, ``cumsum`` and comparisons (no primitives of their own).

* Index results are int32 (the project's default int; NumPy gives int64).
* ``sort``/``argsort`` are stable by default; ``descending=True`` keeps ties in their
  original order (NumPy 2 / Array API); NaNs sort last (first when descending).
* ``partition``/``argpartition`` return a full sort, which is one valid partition.
* Functions whose output size depends on the data (``unique``, the set operations,
  ``nonzero``, ``argwhere``, ``flatnonzero``) take a static ``size=``: the result is
  truncated or padded to it, padding with ``fill_value``.  Without ``size`` they read
  the count from the values, which works eagerly and under ``grad``; under ``jit`` or
  ``vmap`` it raises a ``ConcretizationError`` asking for ``size=``.
* ``searchsorted`` compares every pair (``O(len(a) * v.size)`` memory).
* ``nanargmax``/``nanargmin`` give -1 for an all-NaN slice (NumPy raises).
"""
import math
import operator

import numpy as np

from transforms.array import from_scalar
from transforms.errors import ConcretizationError
from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert, promote
from functorch_lite.numpy._indexing import getitem, take
from functorch_lite.numpy._reductions import all as all_, any as any_, argmax, argmin, sum
from functorch_lite.numpy._shape import (broadcast_arrays, concatenate, expand_dims,
                                         flat_and_axis, flip, moveaxis, normalize_axis, ravel,
                                         reshape, stack)
from functorch_lite.numpy import _ufuncs as uf

_INDEX = dtypes.default_int


# ---- helpers ----------------------------------------------------------------------------

def _iota(shape, axis):
    return bind(P.iota_p, dtype=_INDEX, shape=tuple(shape), dimension=axis)


def _sort(operands, axis, num_keys):
    return bind(P.sort_p, *operands, dimension=axis, is_stable=True, num_keys=num_keys)


def _check_order(order, name):
    if order is not None:
        raise TypeError(f"{name}: order= (structured arrays) is not supported")


def _truthy(a):
    a = as_operand(a)
    return a if dtypes.is_bool(a.aval.dtype) else uf.not_equal(a, 0)


def static_size(size, count, name, arg="size"):
    """``size`` as an int, or the value of ``count()`` when it is concrete.

    >>> static_size(None, lambda: asarray(3), "unique")
    3
    """
    if size is not None:
        size = operator.index(size)
        if size < 0:
            raise ValueError(f"{name}: {arg} must be non-negative, got {size}")
        return size
    try:
        return int(np.asarray(count()))
    except ConcretizationError as e:
        raise ConcretizationError(
            f"{name}: the size of its result depends on the values of its input, which "
            f"are traced here (inside jit or vmap); pass a static {arg}= (and "
            "fill_value= for the padding)") from e


# ---- sort, argsort, lexsort, partition ----------------------------------------------------

def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """Sorted copy of ``a`` along ``axis`` (flattened when None); NaNs last.

    >>> sort(asarray([3, 1, 2])).tolist()
    [1, 2, 3]
    """
    _check_order(order, "sort")
    a, axis = flat_and_axis(a, axis, "sort")
    if descending:
        return flip(_sort([flip(a, axis)], axis, 1)[0], axis)
    return _sort([a], axis, 1)[0]


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """int32 indices that sort ``a`` along ``axis`` (stable: ties keep their order,
    also when ``descending``).

    >>> argsort(asarray([3, 1, 2])).tolist()
    [1, 2, 0]
    """
    _check_order(order, "argsort")
    a, axis = flat_and_axis(a, axis, "argsort")
    iota = _iota(a.aval.shape, axis)
    if not descending:
        return _sort([a, iota], axis, 1)[1]
    # a stable ascending sort of the reversed array, reversed, puts equal keys in order
    perm = _sort([flip(a, axis), iota], axis, 1)[1]
    return flip(uf.subtract(a.aval.shape[axis] - 1, perm), axis)


def lexsort(keys, axis=-1):
    """Indices sorting by several keys; the last key is the primary one.

    >>> lexsort((asarray([1, 0, 1]), asarray([2, 2, 1]))).tolist()
    [2, 1, 0]
    """
    keys = [as_operand(k) for k in keys]
    if not keys:
        raise TypeError("lexsort: need at least one key")
    keys = broadcast_arrays(*keys)
    axis = normalize_axis(axis, keys[0].aval.ndim, "lexsort")
    iota = _iota(keys[0].aval.shape, axis)
    return _sort(keys[::-1] + [iota], axis, len(keys))[-1]


def _check_kth(kth, a, axis, name):
    n = a.aval.shape[axis]
    for k in np.atleast_1d(np.asarray(kth)).tolist():
        if not isinstance(k, int) or not -n <= k < n:
            raise ValueError(f"{name}: kth {k!r} must be a static int in [{-n}, {n}) for "
                             f"axis {axis} of {a.aval}")


def partition(a, kth, axis=-1):
    """``a`` rearranged so that position ``kth`` holds the value it would have sorted,
    smaller values before it and larger after (here: fully sorted).

    >>> partition(asarray([3, 1, 2]), 1)[1].item()
    2
    """
    a, axis = flat_and_axis(a, axis, "partition")
    _check_kth(kth, a, axis, "partition")
    return sort(a, axis)


def argpartition(a, kth, axis=-1):
    """Indices that ``partition`` ``a`` (here: the stable sorting indices).

    >>> argpartition(asarray([3, 1, 2]), 0)[0].item()
    1
    """
    a, axis = flat_and_axis(a, axis, "argpartition")
    _check_kth(kth, a, axis, "argpartition")
    return argsort(a, axis)


# ---- searching ------------------------------------------------------------------------------

def _less(x, y):
    """``x < y`` in NumPy's sort order, where NaN is larger than every number."""
    lt = uf.less(x, y)
    if not dtypes.is_inexact(x.aval.dtype):
        return lt
    return uf.logical_or(lt, uf.logical_and(uf.isnan(y), uf.logical_not(uf.isnan(x))))


def searchsorted(a, v, side="left", sorter=None):
    """Where to insert ``v`` into the sorted 1-d ``a`` to keep it sorted (int32).

    >>> searchsorted(asarray([1, 2, 3]), asarray([2, 5])).tolist()
    [1, 3]
    """
    a = as_operand(a)
    if a.aval.ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-d, got {a.aval}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if sorter is not None:
        a = take(a, sorter)
    a, v = promote(a, v)
    row = reshape(a, (1,) * v.aval.ndim + a.aval.shape)
    col = expand_dims(v, -1)
    # left: how many entries are < v; right: how many are <= v (not v < entry)
    hits = _less(row, col) if side == "left" else uf.logical_not(_less(col, row))
    return sum(hits, axis=-1, dtype=_INDEX)


def _nan_arg(reduce, fill, name):
    def fn(a, axis=None, out=None, *, keepdims=False):
        if out is not None:
            raise TypeError(f"{name}: out= is not supported (arrays are immutable)")
        a = as_operand(a)
        if not dtypes.is_inexact(a.aval.dtype):
            return reduce(a, axis, keepdims=keepdims)
        nan = uf.isnan(a)
        found = reduce(uf.where(nan, fill, a), axis, keepdims=keepdims)
        return uf.where(all_(nan, axis, keepdims=keepdims), -1, found)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name[3:]}`` ignoring NaNs (-1 for an all-NaN slice)."
    return fn


nanargmax = _nan_arg(argmax, -np.inf, "nanargmax")
nanargmax.__doc__ += """

>>> nanargmax(asarray([nan, 2.0, 1.0])).item()
1
"""
nanargmin = _nan_arg(argmin, np.inf, "nanargmin")
nanargmin.__doc__ += """

>>> nanargmin(asarray([nan, 2.0, 1.0])).item()
2
"""


# ---- nonzero family ------------------------------------------------------------------

def _true_positions(mask, size):
    """Positions of the first ``size`` True entries of a 1-d mask, padded with 0, and how
    many there are: each True entry scatters its position to its rank among them."""
    n = mask.aval.shape[0]
    ranks = uf.subtract(bind(P.cumsum_p, convert(mask, _INDEX), axis=0, reverse=False), 1)
    target = uf.where(mask, ranks, size)             # out of range: dropped
    out = broadcast_to(convert(from_scalar(0), _INDEX), (size,))
    pos = bind(P.scatter_p, out, expand_dims(target, -1), _iota((n,), 0), axes=(0,),
               mode="drop")
    valid = uf.less(_iota((size,), 0), sum(mask, dtype=_INDEX))
    return pos, valid


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the non-zero entries of ``a``, one int32 array per dimension.

    >>> nonzero(asarray([0, 3, 0, 4]))[0].tolist()
    [1, 3]
    """
    return _nonzero(a, size, fill_value, "nonzero")


def _nonzero(a, size, fill_value, name):
    a = _truthy(a)
    if a.aval.ndim == 0:
        raise ValueError(f"{name}: calling nonzero on 0d arrays is not allowed; use "
                         "atleast_1d(a).nonzero()")
    mask = ravel(a)
    size = static_size(size, lambda: sum(mask, dtype=_INDEX), name)
    pos, valid = _true_positions(mask, size)
    fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * a.aval.ndim
    if len(fills) != a.aval.ndim:
        raise ValueError(f"{name}: fill_value must be a scalar or a tuple of {a.aval.ndim} "
                         f"values, got {fill_value!r}")
    out, stride = [], 1
    for d in reversed(a.aval.shape):
        coord = uf.floor_divide(pos, stride)
        out.append(uf.remainder(coord, d) if d else coord)
        stride *= d
    return tuple(uf.where(valid, c, 0 if f is None else f)
                 for c, f in zip(reversed(out), fills))


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the non-zero entries of ``ravel(a)``.

    >>> flatnonzero(asarray([[0, 1], [2, 0]])).tolist()
    [1, 2]
    """
    return _nonzero(ravel(as_operand(a)), size, fill_value, "flatnonzero")[0]


def argwhere(a, *, size=None, fill_value=None):
    """Indices of the non-zero entries, one row per entry (shape ``(count, a.ndim)``).

    >>> argwhere(asarray([[0, 1], [2, 0]])).tolist()
    [[0, 1], [1, 0]]
    """
    a = as_operand(a)
    if a.aval.ndim == 0:
        rows = _nonzero(reshape(a, (1,)), size, fill_value, "argwhere")[0]
        return getitem(reshape(rows, rows.aval.shape + (1,)), (slice(None), slice(0, 0)))
    return stack(_nonzero(a, size, fill_value, "argwhere"), axis=-1)


def count_nonzero(a, axis=None, *, keepdims=False):
    """How many entries along ``axis`` are non-zero (int32).

    >>> count_nonzero(asarray([[0, 1], [2, 3]]), axis=1).tolist()
    [1, 2]
    """
    return sum(_truthy(a), axis=axis, keepdims=keepdims, dtype=_INDEX)


# ---- unique and set operations --------------------------------------------------------------

def _run_starts(s, equal_nan, rows=False):
    """Mask of the entries (rows) of sorted ``s`` that differ from their predecessor."""
    n = s.aval.shape[0]
    if n == 0:
        return broadcast_to(from_scalar(False), (0,))
    head, tail = getitem(s, (slice(1, None),)), getitem(s, (slice(None, -1),))
    new = uf.not_equal(head, tail)
    if equal_nan and dtypes.is_inexact(s.aval.dtype):
        new = uf.logical_and(new, uf.logical_not(uf.logical_and(uf.isnan(head),
                                                                uf.isnan(tail))))
    if rows:
        new = any_(new, axis=1)
    return concatenate([broadcast_to(from_scalar(True), (1,)), new])


def _sorted_runs(flat, equal_nan=True):
    """Stable sort of a 1-d array, its permutation, and a mask of each run's first entry."""
    n = flat.aval.shape[0]
    s, perm = _sort([flat, _iota((n,), 0)], 0, 1)
    return s, perm, _run_starts(s, equal_nan)


def _sorted_row_runs(rows, equal_nan=True):
    """Rows of a 2-d array sorted lexicographically (stably), the permutation, and a mask
    of each run's first row."""
    n, m = rows.aval.shape
    columns = [getitem(rows, (slice(None), j)) for j in range(m)]
    perm = _sort(columns + [_iota((n,), 0)], 0, m)[-1] if m else _iota((n,), 0)
    s = take(rows, perm, axis=0)
    return s, perm, _run_starts(s, equal_nan, rows=True)


def _pick(sorted_values, mask, size, fill_value, name):
    """The entries of ``sorted_values`` where ``mask``, padded to ``size``; padding is
    ``fill_value`` (default: the smallest value).  Also returns positions and validity."""
    size = static_size(size, lambda: sum(mask, dtype=_INDEX), name)
    pos, valid = _true_positions(mask, size)
    picked = take(sorted_values, pos, mode="fill")
    if fill_value is None:
        fill_value = take(sorted_values, [0], mode="fill")
    fill = convert(as_operand(fill_value), sorted_values.aval.dtype)
    return uf.where(valid, picked, fill), pos, valid


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None, sorted=True):
    """Sorted unique values of ``ar`` (flattened), or its unique subarrays along ``axis``
    (sorted lexicographically); optionally the index of each one's first occurrence, the
    inverse (``values[inverse]`` rebuilds ``ar``) and counts.

    >>> unique(asarray([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    >>> unique(asarray([[1, 2], [0, 5], [1, 2]]), axis=0).tolist()
    [[0, 5], [1, 2]]
    """
    ar = as_operand(ar)
    if axis is None:
        return _unique(ar, return_index, return_inverse, return_counts, equal_nan,
                       size, fill_value, "unique")
    axis = normalize_axis(axis, ar.aval.ndim, "unique")
    moved = moveaxis(ar, axis, 0)
    n = moved.aval.shape[0]
    rows = reshape(moved, (n, math.prod(moved.aval.shape[1:])))
    # NaN rows stay apart, as in NumPy (equal_nan only merges NaNs of the flattened array)
    out = _unique(rows, return_index, return_inverse, return_counts, False, size,
                  fill_value, "unique", by_rows=True)
    out = out if isinstance(out, tuple) else (out,)
    values = reshape(out[0], out[0].aval.shape[:1] + moved.aval.shape[1:])
    out = (moveaxis(values, 0, axis),) + out[1:]
    return out if len(out) > 1 else out[0]


def _unique_rows(s, first, size, fill_value, name):
    """The rows of ``s`` where ``first``, padded to ``size`` rows of ``fill_value``
    (default: the first row)."""
    size = static_size(size, lambda: sum(first, dtype=_INDEX), name)
    pos, valid = _true_positions(first, size)
    picked = take(s, pos, axis=0, mode="fill")
    fill = take(s, [0], axis=0, mode="fill") if fill_value is None else fill_value
    fill = convert(as_operand(fill), s.aval.dtype)
    return uf.where(expand_dims(valid, -1), picked, fill), pos, valid


def _unique(ar, return_index, return_inverse, return_counts, equal_nan, size, fill_value,
            name, by_rows=False):
    if by_rows:
        s, perm, first = _sorted_row_runs(ar, equal_nan)
        values, pos, valid = _unique_rows(s, first, size, fill_value, name)
    else:
        s, perm, first = _sorted_runs(ravel(ar), equal_nan)
        values, pos, valid = _pick(s, first, size, fill_value, name)
    extra = []
    if return_index:
        extra.append(take(perm, pos, mode="fill"))
    run = uf.subtract(bind(P.cumsum_p, convert(first, _INDEX), axis=0, reverse=False), 1)
    if return_inverse:
        # every position is written once: inverse[perm[i]] = run[i]
        inverse = bind(P.scatter_p, perm, expand_dims(perm, -1), run, axes=(0,), mode="drop")
        extra.append(inverse if by_rows else reshape(inverse, ar.aval.shape))
    if return_counts:
        zeros = broadcast_to(convert(from_scalar(0), _INDEX), valid.aval.shape)
        ones = broadcast_to(convert(from_scalar(1), _INDEX), run.aval.shape)
        extra.append(bind(P.scatter_add_p, zeros, expand_dims(run, -1), ones, axes=(0,),
                          mode="drop"))
    return (values, *extra) if extra else values


def _flat_pair(ar1, ar2):
    return promote(ravel(as_operand(ar1)), ravel(as_operand(ar2)))


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """Sorted unique values found in either array.

    >>> union1d(asarray([1, 3]), asarray([2, 3])).tolist()
    [1, 2, 3]
    """
    a1, a2 = _flat_pair(ar1, ar2)
    return _unique(concatenate([a1, a2]), False, False, False, True, size, fill_value,
                   "union1d")


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """Sorted unique values found in both arrays; with ``return_indices`` also the index
    of each one's first occurrence in ``ar1`` and in ``ar2``.

    >>> intersect1d(asarray([1, 3, 4]), asarray([3, 1, 5])).tolist()
    [1, 3]
    """
    a1, a2 = _flat_pair(ar1, ar2)
    s1, perm1, first1 = _sorted_runs(a1)
    mask = uf.logical_and(first1, isin(s1, a2))
    values, pos, valid = _pick(s1, mask, size, fill_value, "intersect1d")
    if not return_indices:
        return values
    s2, perm2, _ = _sorted_runs(a2)
    found = take(s1, pos, mode="fill")
    in2 = take(perm2, searchsorted(s2, found), mode="fill")
    zero = convert(from_scalar(0), _INDEX)
    return (values, uf.where(valid, take(perm1, pos, mode="fill"), zero),
            uf.where(valid, in2, zero))


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values of ``ar1`` that are not in ``ar2``.

    >>> setdiff1d(asarray([1, 2, 3, 2]), asarray([2])).tolist()
    [1, 3]
    """
    a1, a2 = _flat_pair(ar1, ar2)
    s1, _, first1 = _sorted_runs(a1)
    mask = uf.logical_and(first1, uf.logical_not(isin(s1, a2)))
    return _pick(s1, mask, size, fill_value, "setdiff1d")[0]


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """Whether each entry of ``element`` occurs in ``test_elements`` (same shape as
    ``element``; NaN is never found).

    >>> isin(asarray([1, 2, 3]), asarray([3, 1])).tolist()
    [True, False, True]
    """
    e, t = promote(as_operand(element), ravel(as_operand(test_elements)))
    found = any_(uf.equal(expand_dims(e, -1), t), axis=-1)
    return uf.logical_not(found) if invert else found


__all__ = ["sort", "argsort", "lexsort", "partition", "argpartition", "searchsorted",
           "nanargmax", "nanargmin", "nonzero", "flatnonzero", "argwhere", "count_nonzero",
           "unique", "union1d", "intersect1d", "setdiff1d", "isin"]
