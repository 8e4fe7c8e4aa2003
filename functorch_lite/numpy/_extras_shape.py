"""More array manipulation, as compositions: ``append``/``insert``/``delete`` (a static
``take`` over a concatenation), ``block``/``column_stack``, the axis-named splits and
flips, ``resize``, ``rollaxis``, ``trim_zeros`` (eager: its size depends on the values),
and the functional forms of NumPy's in-place writers (``place``, ``put``,
``put_along_axis``, ``fill_diagonal``): they return a new array, and ``inplace=True``
raises, as in JAX.
"""
import operator

import numpy as np

from transforms.core import bind
from transforms.errors import ConcretizationError
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert
from functorch_lite.numpy._indexing import take, update
from functorch_lite.numpy._manipulation import array_split, diag, _iota, _slice_axis
from functorch_lite.numpy._reductions import cumsum
from functorch_lite.numpy._shape import (concatenate, flat_and_axis, flip, moveaxis,
                                         normalize_axis, ravel, reshape)
from functorch_lite.numpy import _ufuncs as uf


def _concrete(x, name, what):
    """The NumPy value of ``x``; a clear error when it is traced (inside jit or vmap)."""
    try:
        return np.asarray(x)
    except ConcretizationError as e:
        raise ConcretizationError(
            f"{name}: {what} must be concrete (its value decides the shape of the result), "
            "but it is traced here (inside jit or vmap)") from e


def _no_inplace(inplace, name):
    if inplace:
        raise ValueError(f"{name}: arrays are immutable, so inplace=True is not supported; "
                         "use the returned array (inplace=False)")


# ---- append, insert, delete -------------------------------------------------------------

def append(arr, values, axis=None):
    """``arr`` with ``values`` appended (both flattened when ``axis`` is None).

    >>> append(asarray([1, 2]), [3]).tolist()
    [1, 2, 3]
    """
    if axis is None:
        return concatenate([ravel(as_operand(arr)), ravel(as_operand(values))])
    return concatenate([as_operand(arr), as_operand(values)], axis)


def _static_indices(obj, n, name):
    """A static ``obj`` (int, slice, sequence or bool mask) as an int NumPy array."""
    if isinstance(obj, slice):
        return np.arange(*obj.indices(n))
    idx = _concrete(as_operand(obj) if not isinstance(obj, (list, tuple, np.ndarray)) else
                    np.asarray(obj), name, "obj")
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise ValueError(f"{name}: a boolean obj must have length {n}, got {idx.shape}")
        return np.flatnonzero(idx)
    if idx.size and idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: obj must be integers, a slice or a boolean mask, got "
                        f"dtype {idx.dtype}")
    return idx.astype(np.int64)


def delete(arr, obj, axis=None, *, assume_unique_indices=False):
    """``arr`` without the entries ``obj`` (an int, slice, sequence or mask) along ``axis``.

    A traced scalar ``obj`` works under jit (the result is one shorter).

    >>> delete(asarray([1, 2, 3, 4]), [0, 2]).tolist()
    [2, 4]
    """
    a, axis = flat_and_axis(arr, axis, "delete")
    n = a.aval.shape[axis]
    obj_op = None if isinstance(obj, (slice, list, tuple, np.ndarray, int)) else as_operand(obj)
    if obj_op is not None and obj_op.aval.ndim == 0 and dtypes.is_int(obj_op.aval.dtype):
        try:
            obj = int(np.asarray(obj_op))
        except ConcretizationError:
            if n == 0:
                raise IndexError(f"delete: cannot delete from the empty axis {axis}") from None
            # skip one traced position: output k reads input k + (k >= obj)
            k = _iota((n - 1,), 0)
            pos = convert(uf.remainder(obj_op, n), dtypes.int32)
            return take(a, uf.add(k, convert(uf.greater_equal(k, pos), dtypes.int32)), axis,
                        mode="clip")
    idx = _static_indices(obj, n, "delete")
    if ((idx < -n) | (idx >= n)).any():
        raise IndexError(f"delete: index {idx[(idx < -n) | (idx >= n)][0]} is out of bounds "
                         f"for axis {axis} with size {n}")
    keep = np.ones(n, bool)
    keep[idx % n if n else idx] = False
    return take(a, np.flatnonzero(keep), axis)


def _insert_values(values, idx, a, axis):
    """NumPy's shaping of ``insert``'s values: for one index they gain leading axes up to
    ``a.ndim`` (a scalar index also moves their first axis to ``axis``) and each slice
    along ``axis`` is inserted there; for several indices they broadcast to one slice
    per index.  Returns the values and the insertion index of each slice."""
    nd = a.aval.ndim
    v = convert(as_operand(values), a.aval.dtype)
    if idx.size == 1:
        v = reshape(v, (1,) * (nd - v.aval.ndim) + v.aval.shape)
        if idx.ndim == 0:
            v = moveaxis(v, 0, axis)
        idx = np.full(v.aval.shape[axis], int(idx.reshape(())))
    shape = a.aval.shape[:axis] + (idx.size,) + a.aval.shape[axis + 1:]
    v = reshape(v, (1,) * (nd - v.aval.ndim) + v.aval.shape)
    return broadcast_to(v, shape), idx


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before the indices ``obj`` along ``axis``.

    >>> insert(asarray([1, 2, 3]), 1, [8, 9]).tolist()
    [1, 8, 9, 2, 3]
    """
    a, axis = flat_and_axis(arr, axis, "insert")
    n = a.aval.shape[axis]
    idx = _static_indices(obj, n, "insert")
    if ((idx < -n) | (idx > n)).any():
        raise IndexError(f"insert: index {obj!r} is out of bounds for axis {axis} with size {n}")
    v, idx = _insert_values(values, np.where(idx < 0, idx + n, idx), a, axis)
    count = idx.size
    # new positions as NumPy computes them: stable order, each insertion shifts later ones
    order = np.argsort(idx, kind="stable")
    new_pos = idx.copy()
    new_pos[order] += np.arange(count)
    source = np.empty(n + count, np.int64)
    source[new_pos] = n + np.arange(count)
    old = np.ones(n + count, bool)
    old[new_pos] = False
    source[old] = np.arange(n)
    return take(concatenate([a, v], axis), source, axis)


# ---- stacking, splitting, flipping ------------------------------------------------------

def _block_depth(arrays):
    depth, item = 0, arrays
    while isinstance(item, list):
        if not item:
            raise ValueError("block: lists cannot be empty")
        depth, item = depth + 1, item[0]
    return depth


def _block_leaves(arrays):
    todo, leaves = [arrays], []
    while todo:
        item = todo.pop()
        if isinstance(item, tuple):
            raise TypeError("block: nested sequences must be lists, not tuples")
        if isinstance(item, list):
            todo.extend(reversed(item))
        else:
            leaves.append(as_operand(item))
    return leaves


def _block_level(arrays, level, depth, ndim):
    if not isinstance(arrays, list):
        if level != depth:
            raise ValueError(f"block: list depths are mismatched: an array at depth {level}, "
                             f"lists nest {depth} deep")
        x = as_operand(arrays)
        return reshape(x, (1,) * (ndim - x.aval.ndim) + x.aval.shape)
    if _block_depth(arrays) != depth - level:
        raise ValueError(f"block: list depths are mismatched at depth {level}")
    parts = [_block_level(a, level + 1, depth, ndim) for a in arrays]
    return concatenate(parts, axis=-(depth - level))


def block(arrays):
    """Assemble an array from nested lists of blocks (the innermost list joins the last axis).

    >>> block([[eye(2), zeros((2, 1))]]).shape
    (2, 3)
    """
    depth = _block_depth(arrays)
    ndim = max([depth] + [x.aval.ndim for x in _block_leaves(arrays)])
    return _block_level(arrays, 0, depth, ndim)


def column_stack(tup):
    """Stack 1-d arrays as columns (2-d ones as they are) into a 2-d array.

    >>> column_stack([asarray([1, 2]), asarray([3, 4])]).tolist()
    [[1, 3], [2, 4]]
    """
    cols = []
    for x in tup:
        x = as_operand(x)
        cols.append(reshape(x, (-1, 1)) if x.aval.ndim < 2 else x)
    return concatenate(cols, axis=1)


def _split_along(name, axis, min_ndim, axis_1d=None):
    """``split`` along a fixed axis (``axis_1d`` for 1-d input, as hsplit does)."""
    def fn(ary, indices_or_sections):
        a = as_operand(ary)
        if a.aval.ndim < min_ndim:
            raise ValueError(f"{name}: only works on arrays of {min_ndim} or more dimensions, "
                             f"got {a.aval}")
        ax = axis_1d if (axis_1d is not None and a.aval.ndim == 1) else axis
        if isinstance(indices_or_sections, (int, np.integer)):
            n = a.aval.shape[ax]
            if indices_or_sections <= 0 or n % indices_or_sections:
                raise ValueError(f"{name}: array split does not result in an equal division "
                                 f"({n} into {indices_or_sections})")
        return array_split(a, indices_or_sections, ax)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"``split`` along axis {axis} (arrays of at least {min_ndim} dimensions).\n\n"
                  f"    >>> [x.shape for x in {name}(ones((4, 4, 4)), 2)][0][{axis}]\n    2\n")
    return fn


hsplit = _split_along("hsplit", 1, 1, axis_1d=0)
vsplit = _split_along("vsplit", 0, 2)
dsplit = _split_along("dsplit", 2, 3)


def fliplr(m):
    """Reverse the columns (axis 1).  ``fliplr(eye(2)).tolist() == [[0., 1.], [1., 0.]]``"""
    m = as_operand(m)
    if m.aval.ndim < 2:
        raise ValueError(f"fliplr: input must be at least 2-d, got {m.aval}")
    return flip(m, 1)


def flipud(m):
    """Reverse the rows (axis 0).  ``flipud(asarray([1, 2])).tolist() == [2, 1]``"""
    m = as_operand(m)
    if m.aval.ndim < 1:
        raise ValueError(f"flipud: input must be at least 1-d, got {m.aval}")
    return flip(m, 0)


def rollaxis(a, axis, start=0):
    """Move ``axis`` to lie before ``start`` (NumPy's older form of ``moveaxis``).

    >>> rollaxis(ones((3, 4, 5)), 2).shape
    (5, 3, 4)
    """
    a = as_operand(a)
    n = a.aval.ndim
    axis = normalize_axis(axis, n, "rollaxis")
    start = operator.index(start)
    if not -n <= start <= n:
        raise ValueError(f"rollaxis: start {start} is out of range for an array of rank {n}")
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def resize(a, new_shape):
    """An array of ``new_shape`` filled by repeating ``a``'s flattened entries.

    >>> resize(asarray([1, 2, 3]), (2, 2)).tolist()
    [[1, 2], [3, 1]]
    """
    a = ravel(as_operand(a))
    shape = (operator.index(new_shape),) if np.ndim(new_shape) == 0 else tuple(
        operator.index(s) for s in new_shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"resize: all elements of new_shape must be non-negative, got {shape}")
    total = int(np.prod(shape))
    if a.aval.size == 0:
        return broadcast_to(convert(as_operand(0), a.aval.dtype), shape)
    return reshape(take(a, np.arange(total) % a.aval.size), shape)


def trim_zeros(filt, trim="fb", axis=None):
    """Strip leading (``'f'``) and/or trailing (``'b'``) zeros along ``axis`` (all axes
    when None).  Eager only: the result's shape depends on the values.

    >>> trim_zeros(asarray([0, 1, 2, 0])).tolist()
    [1, 2]
    """
    x = as_operand(filt)
    trim = trim.lower()
    if not set(trim) <= {"f", "b"}:
        raise ValueError(f"trim_zeros: trim must contain only 'f' and 'b', got {trim!r}")
    mask = _concrete(uf.not_equal(x, 0), "trim_zeros", "filt")
    axes = range(x.aval.ndim) if axis is None else [normalize_axis(ax, x.aval.ndim,
                                                                   "trim_zeros")
                                                    for ax in np.atleast_1d(axis)]
    for ax in axes:
        nz = np.flatnonzero(mask.any(axis=tuple(d for d in range(mask.ndim) if d != ax)))
        n = mask.shape[ax]
        start = (nz[0] if nz.size else n) if "f" in trim else 0
        stop = (nz[-1] + 1 if nz.size else 0) if "b" in trim else n
        x = _slice_axis(x, ax, int(start), max(int(start), int(stop)))
    return x


# ---- functional forms of the in-place writers ---------------------------------------------

def place(arr, mask, vals, *, inplace=False):
    """``arr`` with its entries where ``mask`` replaced by ``vals`` (repeated in order).

    >>> place(asarray([1, 2, 3]), asarray([True, False, True]), [9]).tolist()
    [9, 2, 9]
    """
    _no_inplace(inplace, "place")
    arr = as_operand(arr)
    flat_mask = ravel(uf.not_equal(as_operand(mask), False))
    if flat_mask.aval.shape[0] != arr.aval.size:
        raise ValueError(f"place: mask has {flat_mask.aval.shape[0]} entries for an array of "
                         f"{arr.aval.size}")
    vals = ravel(as_operand(vals))
    if vals.aval.size == 0:
        raise ValueError("place: vals cannot be empty")
    rank = uf.subtract(cumsum(flat_mask, dtype=np.int32), 1)   # which val each True takes
    picked = take(vals, uf.remainder(uf.maximum(rank, 0), vals.aval.size), mode="clip")
    out = uf.where(flat_mask, convert(picked, arr.aval.dtype), ravel(arr))
    return reshape(out, arr.aval.shape)


def _index_mode(mode, name):
    """NumPy's ``raise``/``wrap``/``clip`` for ``put``: ``raise`` checks concrete indices."""
    if mode not in (None, "raise", "wrap", "clip"):
        raise ValueError(f"{name}: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return "raise" if mode is None else mode


def put(a, ind, v, mode=None, *, inplace=False):
    """``a`` with the flat positions ``ind`` set to ``v`` (repeated to ``len(ind)``).

    >>> put(zeros(4, dtype=int32), [0, 2], [5, 6]).tolist()
    [5, 0, 6, 0]
    """
    _no_inplace(inplace, "put")
    a = as_operand(a)
    n = a.aval.size
    ind = ravel(as_operand(ind))
    mode = _index_mode(mode, "put")
    if mode == "raise":
        try:
            bad = np.asarray(ind)
            if ((bad < -n) | (bad >= n)).any():
                raise IndexError(f"put: index {bad[(bad < -n) | (bad >= n)][0]} is out of "
                                 f"bounds for size {n}")
        except ConcretizationError:
            pass                        # traced indices: out-of-bounds writes are dropped
    if mode == "wrap":
        ind = uf.remainder(ind, n)
    elif mode == "clip":
        ind = uf.clip(ind, 0, n - 1)
    v = ravel(as_operand(v))
    if v.aval.size == 0:
        return a
    v = take(v, np.arange(ind.aval.size) % v.aval.size)
    return reshape(update(ravel(a), ind, v, "set", mode="drop"), a.aval.shape)


def put_along_axis(arr, indices, values, axis, inplace=False, mode=None):
    """``arr`` with ``values`` written at ``indices`` along ``axis`` (the inverse of
    ``take_along_axis``).

    >>> put_along_axis(zeros((2, 2)), asarray([[1], [0]]), 5.0, 1).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    _no_inplace(inplace, "put_along_axis")
    arr = as_operand(arr)
    if axis is None:
        return reshape(put_along_axis(ravel(arr), ravel(as_operand(indices)), values, 0),
                       arr.aval.shape)
    axis = normalize_axis(axis, arr.aval.ndim, "put_along_axis")
    idx = as_operand(indices)
    if idx.aval.ndim != arr.aval.ndim:
        raise ValueError(f"put_along_axis: indices must have the same number of dimensions "
                         f"as arr, got {idx.aval} for {arr.aval}")
    # the index grids broadcast as NumPy's fancy indexing does: size-1 axes of
    # ``indices`` (other than ``axis``) stretch to ``arr``'s
    shape = tuple(i if d == axis or i != 1 else s for d, (i, s) in
                  enumerate(zip(idx.aval.shape, arr.aval.shape)))
    idx = broadcast_to(idx, shape)
    grids = [idx if d == axis else _iota(idx.aval.shape, d) for d in range(arr.aval.ndim)]
    return update(arr, tuple(grids), values, "set", mode=mode)


def fill_diagonal(a, val, wrap=False, *, inplace=False):
    """``a`` with its main diagonal set to ``val`` (repeated); all axes of an n-d ``a``
    must have the same length.

    >>> fill_diagonal(zeros((2, 2)), 3.0).tolist()
    [[3.0, 0.0], [0.0, 3.0]]
    """
    _no_inplace(inplace, "fill_diagonal")
    a = as_operand(a)
    shape = a.aval.shape
    if a.aval.ndim < 2:
        raise ValueError(f"fill_diagonal: array must be at least 2-d, got {a.aval}")
    if a.aval.ndim == 2:
        step, end = shape[1] + 1, (None if wrap else shape[1] * shape[1])
    elif len(set(shape)) != 1:
        raise ValueError(f"fill_diagonal: all dimensions of input must be of equal length, "
                         f"got {shape}")
    else:
        step, end = 1 + int(np.cumprod(shape[:-1]).sum()), None
    pos = np.arange(a.aval.size)[:end:step]
    v = ravel(convert(as_operand(val), a.aval.dtype))
    if v.aval.size == 0:
        return a
    v = take(v, np.arange(pos.size) % v.aval.size)
    return reshape(update(ravel(a), pos, v, "set"), shape)


def copy(a, order="K", *, subok=False):
    """A copy of ``a`` (arrays are immutable, so this is a new buffer with equal values).

    >>> copy(asarray([1, 2])).tolist()
    [1, 2]
    """
    return bind(P.copy_p, as_operand(a))


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive entries of the flattened array, with optional ends.

    >>> ediff1d(asarray([1, 4, 9]), to_begin=0).tolist()
    [0, 3, 5]
    """
    flat = ravel(as_operand(ary))
    n = flat.aval.shape[0]
    d = uf.subtract(_slice_axis(flat, 0, min(n, 1), n), _slice_axis(flat, 0, 0, max(n - 1, 0)))
    parts = [d]
    if to_begin is not None:
        parts.insert(0, ravel(convert(as_operand(to_begin), d.aval.dtype)))
    if to_end is not None:
        parts.append(ravel(convert(as_operand(to_end), d.aval.dtype)))
    return concatenate(parts) if len(parts) > 1 else d


def diagflat(v, k=0):
    """A 2-d array with the flattened ``v`` on its ``k``-th diagonal.

    >>> diagflat(asarray([[1, 2]])).tolist()
    [[1, 0], [0, 2]]
    """
    return diag(ravel(as_operand(v)), k)


__all__ = ["append", "delete", "insert", "block", "column_stack", "hsplit", "vsplit",
           "dsplit", "fliplr", "flipud", "rollaxis", "resize", "trim_zeros", "place", "put",
           "put_along_axis", "fill_diagonal", "copy", "ediff1d", "diagflat"]
