"""Indexing primitives: ``gather`` and the ``scatter`` family.

Both address ``x`` through an integer array ``indices`` of shape ``(..., k)``: each
row holds ``k`` coordinates, one into each of ``x``'s dimensions listed in ``axes``
(in that order).  A row selects the slice of ``x`` that spans all the other
dimensions, so::

    gather(x, indices, axes).shape == indices.shape[:-1] + (x.shape[d] for d not in axes)

``scatter*`` writes ``updates`` of that same shape into a copy of ``x``.
Out-of-range rows: gather ``mode='clip'`` clamps them, ``'fill'`` returns NaN (inexact),
0 (integers) or False (bool); scatter ``mode='clip'`` clamps them, ``'drop'`` skips them.
"""
import numpy as np

from xla_like import dtypes
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.shape_rules import check_axes, check_kind, check_same_dtype, size

__all__ = ["gather_p", "scatter_p", "scatter_add_p", "scatter_mul_p", "scatter_min_p",
           "scatter_max_p"]

GATHER_MODES = ("clip", "fill")
SCATTER_MODES = ("drop", "clip")


def _check_indices(name, x, indices, axes, mode, modes):
    """Checks shared by gather and scatter; returns the shape of one addressed slice."""
    axes = check_axes(name, axes, x.ndim)
    if mode not in modes:
        raise ValueError(f"{name}: mode must be one of {modes}, got {mode!r}")
    check_kind(name, indices, "iu", "indices")
    if indices.ndim < 1 or indices.shape[-1] != len(axes):
        raise TypeError(f"{name}: indices must have shape (..., {len(axes)}) for axes "
                        f"{axes}, got {indices}")
    return tuple(d for i, d in enumerate(x.shape) if i not in axes)


def _gather_abstract_eval(x, indices, axes, mode):
    name = "gather"
    rest = _check_indices(name, x, indices, axes, mode, GATHER_MODES)
    batch = indices.shape[:-1]
    if mode == "clip" and size(batch) and any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"gather: mode='clip' has nothing to clamp to in an empty axis of "
                         f"{x} (axes {axes}); use mode='fill'")
    return ShapedArray(batch + rest, x.dtype, x.weak)


def _flat_rows(x, indices, axes):
    """View ``x`` as ``(n, *rest)`` with the ``axes`` flattened into ``n``; return it with
    each index row's linear position into ``n`` and whether the row was in range."""
    dims = np.array([x.shape[a] for a in axes], dtype=np.int64)
    rest = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    coords = indices.reshape(size(indices.shape[:-1]), len(axes))
    if coords.dtype == np.uint64:     # keep huge unsigned values huge, not negative
        coords = np.minimum(coords, np.iinfo(np.int64).max)
    coords = coords.astype(np.int64)
    valid = np.all((coords >= 0) & (coords < dims), axis=1)
    coords = np.clip(coords, 0, np.maximum(dims - 1, 0))
    strides = np.cumprod(np.concatenate([dims[1:], [1]])[::-1])[::-1]
    linear = coords @ strides if len(axes) else np.zeros(len(coords), np.int64)
    flat = np.moveaxis(x, axes, tuple(range(len(axes)))).reshape((size(dims),) + rest)
    return flat, linear, valid


def _fill_value(dtype):
    return np.nan if dtypes.is_inexact(dtype) else 0


def _gather_impl(x, indices, axes, mode):
    flat, linear, valid = _flat_rows(x, indices, axes)
    out_shape = indices.shape[:-1] + flat.shape[1:]
    if flat.shape[0] == 0:            # every row is out of range ('fill' mode)
        return np.full(out_shape, _fill_value(x.dtype), dtype=x.dtype)
    out = flat[linear]
    if mode == "fill":
        keep = valid.reshape((-1,) + (1,) * (out.ndim - 1))
        out = np.where(keep, out, np.asarray(_fill_value(x.dtype), dtype=x.dtype))
    return np.asarray(out.reshape(out_shape), dtype=x.dtype)


gather_p = Primitive("gather", _gather_abstract_eval, _gather_impl)


# ---- scatter family -----------------------------------------------------------------

def _scatter_abstract_eval_for(name, kinds):
    def abstract_eval(x, indices, updates, axes, mode):
        rest = _check_indices(name, x, indices, axes, mode, SCATTER_MODES)
        check_kind(name, x, kinds)
        check_same_dtype(name, (x, updates))
        expected = indices.shape[:-1] + rest
        if updates.shape != expected:
            raise TypeError(f"{name}: updates must have shape {expected} for operand {x}, "
                            f"indices {indices} and axes {axes}; got {updates}")
        return ShapedArray(x.shape, x.dtype, x.weak and updates.weak)
    return abstract_eval


def _scatter_set(flat, linear, rows):
    """Duplicates: the last row in row-major order wins, so keep only last occurrences."""
    _, first_in_reversed = np.unique(linear[::-1], return_index=True)
    last = len(linear) - 1 - first_in_reversed
    flat[linear[last]] = rows[last]


def _accumulate_with(ufunc):
    def apply(flat, linear, rows):
        ufunc.at(flat, linear, rows)
    return apply


def _scatter_impl_for(combine):
    def impl(x, indices, updates, axes, mode):
        flat, linear, valid = _flat_rows(x, indices, axes)
        flat = np.array(flat, copy=True)
        rows = updates.reshape((len(linear),) + flat.shape[1:])
        if mode == "drop" or flat.shape[0] == 0:
            linear, rows = linear[valid], rows[valid]
        combine(flat, linear, rows)
        k = len(axes)
        gathered = flat.reshape(tuple(x.shape[a] for a in axes) + flat.shape[1:])
        return np.moveaxis(gathered, tuple(range(k)), axes)
    return impl


def _scatter(name, combine, kinds):
    return Primitive(name, _scatter_abstract_eval_for(name, kinds), _scatter_impl_for(combine))


scatter_p = _scatter("scatter", _scatter_set, "biufc")
scatter_add_p = _scatter("scatter_add", _accumulate_with(np.add), "iufc")
scatter_mul_p = _scatter("scatter_mul", _accumulate_with(np.multiply), "iufc")
scatter_min_p = _scatter("scatter_min", _accumulate_with(np.minimum), "biuf")
scatter_max_p = _scatter("scatter_max", _accumulate_with(np.maximum), "biuf")
