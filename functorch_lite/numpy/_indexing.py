"""NumPy indexing lowered to primitives: ``x[idx]``, ``x.at[idx]`` updates, ``take``.

An index is first read into a plan (``_index_plan``), one entry per axis; then

- ``x[idx]``: static slices and ints -> ``slice`` (+ ``rev`` for negative steps) and
  ``squeeze``; traced integer scalars -> ``dynamic_slice``; integer arrays -> one
  ``gather`` (+ ``transpose`` to put adjacent advanced dims in place);
- ``x.at[idx].set/add/...``: one ``scatter`` (or ``dynamic_update_slice`` for a static
  box of ints and step-1 slices).

Out-of-range indices: concrete ones raise ``IndexError`` in ``x[idx]``; traced ones
are clamped (``mode='clip'``).  Updates drop out-of-range entries (``mode='drop'``)
and never raise, eagerly or not, so a program behaves the same traced and eager.
"""
import numpy as np

from transforms.array import Array, from_numpy, from_scalar
from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import (_nested, as_operand, asarray, broadcast_to,
                                           convert, is_array)
from functorch_lite.numpy._index_plan import (Adv, Dyn, Int, Slice, index_dtype, make_plan,
                                              stack_indices, traced_index)
from functorch_lite.numpy._ufuncs import add, less, maximum, power, true_divide


# ---- x[idx] ------------------------------------------------------------------------------

_GET_MODES = {None: None, "clip": "clip", "fill": "fill", "drop": "fill"}


def _get_mode(mode):
    try:
        return _GET_MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"indexing: mode must be one of 'clip', 'fill' (or 'drop'), got "
                         f"{mode!r}") from None


def getitem(x, idx, mode=None):
    """NumPy's ``x[idx]``: basic, advanced and (concrete) boolean-mask indexing.

    ``mode=None`` raises ``IndexError`` for out-of-range concrete indices and clamps
    traced ones; ``'clip'`` clamps, ``'fill'`` returns NaN / 0 / False for them.

    >>> getitem(asarray([[1, 2], [3, 4]]), (slice(None), [1, 0]))
    Array([[2, 1],
           [4, 3]], dtype=int32)
    """
    x = as_operand(x)
    mode = _get_mode(mode)
    plan = make_plan(x.aval.shape, idx, checked=mode is None, fill=mode == "fill")
    y = _insert_axes(x, plan)
    y = _static_slice(y, plan)
    y = _dynamic_slice(y, plan)
    ints = [d for d, e in enumerate(plan.entries) if isinstance(e, (Int, Dyn))]
    if ints:
        y = bind(P.squeeze_p, y, dimensions=tuple(ints))
    return _gather(y, plan, mode or "clip")


def _insert_axes(x, plan):
    if not plan.new_axes:
        return x
    return bind(P.expand_dims_p, x, dimensions=tuple(plan.new_axes))


def _slice_bounds(e):
    """``(start, limit, stride)`` covering a slice's elements in increasing order."""
    if e.count == 0:
        return 0, 0, 1
    last = e.start + (e.count - 1) * e.step
    if e.step > 0:
        return e.start, last + 1, e.step
    return last, e.start + 1, -e.step


def _static_slice(y, plan):
    starts, limits, strides, flips = [], [], [], []
    for d, (e, n) in enumerate(zip(plan.entries, plan.shape)):
        if isinstance(e, Slice):
            lo, hi, stride = _slice_bounds(e)
            if e.step < 0 and e.count > 1:
                flips.append(d)
        elif isinstance(e, Int):
            lo, hi, stride = e.value, e.value + 1, 1
        else:
            lo, hi, stride = 0, n, 1
        starts.append(lo)
        limits.append(hi)
        strides.append(stride)
    if starts != [0] * len(starts) or limits != plan.shape or set(strides) - {1}:
        y = bind(P.slice_p, y, start_indices=tuple(starts), limit_indices=tuple(limits),
                 strides=None if set(strides) <= {1} else tuple(strides))
    if flips:
        y = bind(P.rev_p, y, dimensions=tuple(flips))
    return y


def _dynamic_slice(y, plan):
    dyn = [d for d, e in enumerate(plan.entries) if isinstance(e, Dyn)]
    if not dyn:
        return y
    dtype = index_dtype(plan)
    zero = from_numpy(np.zeros((), dtype))
    starts = [convert(e.value, dtype) if isinstance(e, Dyn) else zero for e in plan.entries]
    sizes = tuple(1 if d in dyn else n for d, n in enumerate(y.aval.shape))
    return bind(P.dynamic_slice_p, y, *starts, slice_sizes=sizes)


def _gather(y, plan, mode):
    if not plan.adv_dims:
        return y
    nb = len(plan.bshape)
    components = [(plan.entries[d].value, nb - plan.entries[d].value.ndim)
                  for d in plan.adv_dims]
    indices = stack_indices(components, plan.bshape, index_dtype(plan))
    out = bind(P.gather_p, y, indices, axes=tuple(plan.adv_dims), mode=mode)
    first = plan.adv_dims[0]
    if not plan.adjacent or first == 0 or nb == 0:
        return out
    # gather puts the broadcast dims first; adjacent advanced indices keep their place
    perm = (tuple(range(nb, nb + first)) + tuple(range(nb))
            + tuple(range(nb + first, out.aval.ndim)))
    return bind(P.transpose_p, out, permutation=perm)


# ---- x.at[idx] updates -----------------------------------------------------------------

_UPDATE_MODES = {None: "drop", "drop": "drop", "fill": "drop", "clip": "clip"}


def _update_mode(mode):
    try:
        return _UPDATE_MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"index update: mode must be one of 'drop' (or 'fill'), 'clip', "
                         f"got {mode!r}") from None


# kind -> (scatter primitive, elementwise combine for a static box; None for ``set``)
_UPDATE_RULES = {
    "set": (P.scatter_p, None), "add": (P.scatter_add_p, P.add_p),
    "multiply": (P.scatter_mul_p, P.mul_p), "min": (P.scatter_min_p, P.min_p),
    "max": (P.scatter_max_p, P.max_p),
}


def update(x, idx, values, kind, mode=None):
    """The functional ``x[idx] = values`` (``kind='set'``) or ``x[idx] op= values``
    (``'add'``, ``'multiply'``, ``'min'``, ``'max'``; repeated indices accumulate).

    ``values`` broadcasts to the shape of ``x[idx]`` and is cast to ``x.dtype``.

    >>> update(asarray([1, 2, 3]), [0, 0], 5, "add")
    Array([11,  2,  3], dtype=int32)
    """
    x = as_operand(x)
    if kind not in _UPDATE_RULES:
        raise ValueError(f"index update: kind must be one of {sorted(_UPDATE_RULES)}, got "
                         f"{kind!r}")
    scatter_prim, combine = _UPDATE_RULES[kind]
    mode = _update_mode(mode)
    plan = make_plan(x.aval.shape, idx, checked=False)
    labels = plan.labels()
    v = _broadcast_values(values, plan.label_shape(labels), x.aval)
    y = _insert_axes(x, plan)
    if all(_is_full(e, n) for e, n in zip(plan.entries, plan.shape)):
        y = v if combine is None else bind(combine, y, v)
    elif _is_box(plan):
        y = _update_box(y, plan, v, combine)
    else:
        y = _scatter(y, plan, labels, v, scatter_prim, mode)
    if plan.new_axes:
        y = bind(P.squeeze_p, y, dimensions=tuple(plan.new_axes))
    return y


def _broadcast_values(values, shape, aval):
    v = convert(as_operand(values, "update values"), aval.dtype, aval.weak)
    while v.aval.ndim > len(shape) and v.aval.shape[0] == 1:
        v = bind(P.reshape_p, v, new_sizes=v.aval.shape[1:])
    try:
        return broadcast_to(v, shape)
    except ValueError:
        raise ValueError(f"shape mismatch: value array of shape {v.aval.shape} could not be "
                         f"broadcast to indexing result of shape {shape}") from None


def _is_full(e, n):
    return isinstance(e, Slice) and e.start == 0 and e.step == 1 and e.count == n


def _is_box(plan):
    """Static ints and step-1 slices only: the update is one rectangular block."""
    return all(isinstance(e, Int) or (isinstance(e, Slice) and e.step == 1)
               for e in plan.entries)


def _update_box(y, plan, v, combine):
    starts = tuple(e.start if isinstance(e, Slice) else e.value for e in plan.entries)
    sizes = tuple(e.count if isinstance(e, Slice) else 1 for e in plan.entries)
    if v.aval.shape != sizes:
        v = bind(P.reshape_p, v, new_sizes=sizes)
    if combine is not None:
        current = bind(P.slice_p, y, start_indices=starts,
                       limit_indices=tuple(s + n for s, n in zip(starts, sizes)), strides=None)
        v = bind(combine, current, v)
    dtype = index_dtype(plan)
    offsets = [from_numpy(np.asarray(s, dtype)) for s in starts]
    return bind(P.dynamic_update_slice_p, y, v, *offsets)


def _scatter(y, plan, labels, v, scatter_prim, mode):
    nb = len(plan.bshape)
    axes, components, partial, full = [], [], [], []
    for d, (e, n) in enumerate(zip(plan.entries, plan.shape)):
        if _is_full(e, n):
            full.append(d)
            continue
        axes.append(d)
        if isinstance(e, Adv):
            components.append((e.value, nb - e.value.ndim))
        elif isinstance(e, Slice):
            components.append((e.start + e.step * np.arange(e.count), nb + len(partial)))
            partial.append(d)
        else:
            value = np.asarray(e.value) if isinstance(e, Int) else e.value
            components.append((value, 0))
    shape = plan.bshape + tuple(plan.entries[d].count for d in partial)
    indices = stack_indices(components, shape, index_dtype(plan))
    # scatter wants the updates as (advanced dims, partial slices, full slices)
    target = [("B", k) for k in range(nb)] + [("x", d) for d in partial + full]
    perm = tuple(labels.index(t) for t in target)
    if perm != tuple(range(len(perm))):
        v = bind(P.transpose_p, v, permutation=perm)
    return bind(scatter_prim, y, indices, v, axes=tuple(axes), mode=mode)


class _IndexUpdateHelper:
    """``x.at``: index it (``x.at[idx]``) to get the functional update methods."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
    """``x.at[idx]``: each method returns a new array; ``x`` is never modified.

    ``set``/``add``/``multiply``/``min``/``max`` scatter (out-of-range indices are
    dropped unless ``mode='clip'``); ``get`` is ``x[idx]`` with an optional ``mode``.
    ``indices_are_sorted``/``unique_indices`` are accepted as hints and ignored.

    >>> asarray([1., 2., 3.]).at[1].add(10.)
    Array([ 1., 12.,  3.], dtype=float32)
    """
    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return getitem(self.array, self.index, mode)

    def set(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return update(self.array, self.index, values, "set", mode)

    def add(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return update(self.array, self.index, values, "add", mode)

    def multiply(self, values, *, mode=None, indices_are_sorted=False,
                 unique_indices=False):
        return update(self.array, self.index, values, "multiply", mode)

    mul = multiply

    def min(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return update(self.array, self.index, values, "min", mode)

    def max(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        return update(self.array, self.index, values, "max", mode)

    def divide(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        """``x[idx] /= values`` for float arrays (a repeated index divides once)."""
        return true_divide(self.array, self._ones_with(values, "divide", mode))

    def power(self, values, *, mode=None, indices_are_sorted=False, unique_indices=False):
        """``x[idx] **= values`` for float arrays (a repeated index applies once)."""
        return power(self.array, self._ones_with(values, "power", mode))

    def _ones_with(self, values, name, mode):
        """Ones shaped like the array, with ``values`` written at the index: the
        identity operand of divide/power everywhere else."""
        x = as_operand(self.array)
        if not dtypes.is_inexact(x.aval.dtype):
            raise TypeError(f"x.at[...].{name}: needs a floating or complex array, got "
                            f"{x.aval}")
        ones = broadcast_to(convert(from_scalar(1), x.aval.dtype, x.aval.weak), x.aval.shape)
        return update(ones, self.index, values, "set", mode)


# ---- take / take_along_axis ---------------------------------------------------------------

_TAKE_MODES = (None, "raise", "clip", "fill", "drop", "wrap")


def _index_operand(indices, name):
    """Indices as an int NumPy array (concrete) or a traced/Array int value."""
    if isinstance(indices, Tracer):
        value = indices
    elif type(indices) is Array:
        value = np.asarray(indices._value)
    elif isinstance(indices, (list, tuple)) and any(is_array(v) for v in _nested(indices)):
        value = asarray(indices)
    else:
        value = np.asarray(indices)
    if value.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {value.dtype}")
    return value


def _wrap(indices, n, name):
    if n == 0:
        raise IndexError(f"{name}: cannot wrap indices into an empty axis")
    if isinstance(indices, np.ndarray):
        return np.mod(indices, n)
    i = traced_index(indices, n)
    size = broadcast_to(convert(from_scalar(n), i.aval.dtype), i.aval.shape)
    r = bind(P.rem_p, i, size)          # rem takes the dividend's sign: fix negatives
    return bind(P.select_n_p, less(r, 0), r, add(r, n))


def _clip_negatives(indices):
    """NumPy's ``take(mode='clip')`` clips negative indices to 0 (no wrap-around)."""
    if isinstance(indices, np.ndarray):
        return np.maximum(indices, 0)
    return maximum(indices, 0)


def _take_mode(indices, mode, name):
    if mode not in _TAKE_MODES:
        raise ValueError(f"{name}: mode must be one of {_TAKE_MODES[1:]}, got {mode!r}")
    if mode in (None, "raise"):
        # concrete indices are checked (IndexError); traced ones cannot be, so fill
        return None if isinstance(indices, np.ndarray) else "fill"
    return "fill" if mode == "drop" else mode


def _normalize_axis(axis, ndim, name):
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def take(a, indices, axis=None, out=None, mode=None):
    """NumPy's ``take``: elements of ``a`` at ``indices`` along ``axis`` (flattened
    when ``axis`` is None).  ``mode``: None/'raise' (concrete indices raise IndexError,
    traced ones fill), 'clip' (as NumPy: negative indices clip to 0), 'wrap', or 'fill'
    (NaN / 0 / False out of range).

    >>> take(asarray([4., 5., 6.]), [2, 0])
    Array([6., 4.], dtype=float32)
    """
    if out is not None:
        raise TypeError("take: out= is not supported (arrays are immutable)")
    a = as_operand(a)
    indices = _index_operand(indices, "take")
    if axis is None:
        a = bind(P.reshape_p, a, new_sizes=(a.aval.size,))
        axis = 0
    axis = _normalize_axis(axis, a.aval.ndim, "take")
    if mode == "wrap":
        indices, mode = _wrap(indices, a.aval.shape[axis], "take"), "clip"
    elif mode == "clip":
        indices = _clip_negatives(indices)
    mode = _take_mode(indices, mode, "take")
    return getitem(a, (slice(None),) * axis + (indices,), mode)


def take_along_axis(arr, indices, axis, mode=None):
    """NumPy's ``take_along_axis``: ``out[..., j, ...] = arr[..., indices[..., j, ...], ...]``
    along ``axis``; the other axes broadcast.  ``mode`` as in ``take``.

    >>> take_along_axis(asarray([[10, 30, 20]]), asarray([[0, 2, 1]]), axis=1)
    Array([[10, 20, 30]], dtype=int32)
    """
    arr = as_operand(arr)
    indices = _index_operand(indices, "take_along_axis")
    if axis is None:
        arr = bind(P.reshape_p, arr, new_sizes=(arr.aval.size,))
        axis = 0
    if indices.ndim != arr.aval.ndim:
        raise ValueError(f"take_along_axis: indices and arr must have the same number of "
                         f"dimensions, got indices {indices.shape} and arr {arr.aval.shape}")
    axis = _normalize_axis(axis, arr.aval.ndim, "take_along_axis")
    if mode == "wrap":
        indices, mode = _wrap(indices, arr.aval.shape[axis], "take_along_axis"), "clip"
    mode = _take_mode(indices, mode, "take_along_axis")
    ndim = arr.aval.ndim
    index = tuple(indices if d == axis else
                  np.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1))
                  for d, n in enumerate(arr.aval.shape))
    return getitem(arr, index, mode)
