"""Batching rules (``batch_rules``) of the structural and indexing primitives.

These primitives only move elements, so most rules just renumber their axis params
around the batch dimension and leave it where it is.  The rest:

* ``reshape`` moves the batch dimension to the front (row-major order is only
  preserved for a leading axis) and prepends the batch size.
* ``pad`` with a per-example padding value pads with a placeholder and selects the
  value where the padding landed (a mask padded the same way).
* ``dynamic_slice`` / ``dynamic_update_slice`` with per-example starts become one
  ``gather`` / ``scatter`` whose index rows are the clamped starts plus an ``iota``
  offset across the window; axes whose window spans the whole dimension stay out of
  the index rows (their start always clamps to 0).
* ``gather`` / ``scatter*``: an unbatched index array keeps the batch dimension as one
  more addressed-slice dimension of the operand; batched indices get a leading
  coordinate column counting the batch (an ``iota``), so each example addresses its
  own slab of the operand.  The operand of a scatter is materialized batched when the
  indices or updates are batched (every example writes a different result).

Unbatched operands stay unbatched wherever the primitive can express it.

>>> import functorch_lite as fl, transforms.vmap_structural
>>> fl.vmap(lambda x: x.T)(fl.numpy.ones((5, 2, 3))).shape
(5, 3, 2)
"""
import numpy as np

from transforms import ops
from transforms.core import bind
from transforms.vmap import batch_rules, batch_size, broadcast_batched, move_bdim
from xla_like import dtypes
from xla_like import primitives as P


# ---- small helpers ---------------------------------------------------------------------------

def _shift(axes, bdim):
    """Axes of the unbatched value renumbered for a batch dimension inserted at ``bdim``."""
    return tuple(a + 1 if a >= bdim else a for a in axes)


def _unbatched_shape(x, bdim):
    shape = x.aval.shape
    return shape if bdim is None else shape[:bdim] + shape[bdim + 1:]


def _insert(items, position, item):
    return tuple(items[:position]) + (item,) + tuple(items[position:])


def _index_dtype(limit):
    """The integer dtype of index rows that must count up to ``limit``."""
    return dtypes.int32 if limit <= np.iinfo(dtypes.int32).max else dtypes.int64


def _register(prim, rule):
    """Register ``rule`` behind a check of the unbatched operands, so a bad call is
    reported with the shapes and axes the user wrote, not renumbered batched ones."""
    def checked(args, bdims, **params):
        prim.abstract_eval(*[_unbatched_aval(a, b) for a, b in zip(args, bdims)], **params)
        return rule(args, bdims, **params)
    batch_rules[prim] = checked


def _unbatched_aval(x, bdim):
    return x.aval.update(shape=_unbatched_shape(x, bdim))


def _iota(dtype, shape, dimension):
    return bind(P.iota_p, dtype=dtype, shape=tuple(shape), dimension=dimension)


# ---- shape-only primitives: renumber the params around the batch dimension -------------------

def _broadcast_in_dim_batch(args, bdims, shape, broadcast_dimensions):
    (x,), (b,) = args, bdims
    dims = broadcast_dimensions
    # the batch axis lands just before where x's axis ``b`` goes: dims stay increasing
    out_b = dims[b] if b < len(dims) else len(shape)
    new_dims = _insert(_shift(dims, out_b), b, out_b)
    new_shape = _insert(shape, out_b, x.aval.shape[b])
    return bind(P.broadcast_in_dim_p, x, shape=new_shape, broadcast_dimensions=new_dims), out_b


_register(P.broadcast_in_dim_p, _broadcast_in_dim_batch)


def _reshape_batch(args, bdims, new_sizes):
    (x,), (b,) = args, bdims
    x = move_bdim(x, b, 0)      # row-major order keeps each example contiguous only in front
    return bind(P.reshape_p, x, new_sizes=(x.aval.shape[0],) + tuple(new_sizes)), 0


_register(P.reshape_p, _reshape_batch)


def _squeeze_batch(args, bdims, dimensions):
    (x,), (b,) = args, bdims
    out_b = b - sum(1 for d in dimensions if d < b)
    return bind(P.squeeze_p, x, dimensions=_shift(dimensions, b)), out_b


_register(P.squeeze_p, _squeeze_batch)


def _expand_dims_batch(args, bdims, dimensions):
    (x,), (b,) = args, bdims
    out_ndim = x.aval.ndim - 1 + len(dimensions)
    kept = [d for d in range(out_ndim) if d not in dimensions]
    # the batch axis goes just before x's axis ``b`` in the output (or last)
    out_b = kept[b] if b < len(kept) else out_ndim
    return bind(P.expand_dims_p, x, dimensions=_shift(dimensions, out_b)), out_b


_register(P.expand_dims_p, _expand_dims_batch)


def _transpose_batch(args, bdims, permutation):
    (x,), (b,) = args, bdims
    perm = _insert(_shift(permutation, b), b, b)      # the batch axis stays put
    return bind(P.transpose_p, x, permutation=perm), b


_register(P.transpose_p, _transpose_batch)


def _rev_batch(args, bdims, dimensions):
    (x,), (b,) = args, bdims
    return bind(P.rev_p, x, dimensions=_shift(dimensions, b)), b


_register(P.rev_p, _rev_batch)


def _slice_batch(args, bdims, start_indices, limit_indices, strides):
    (x,), (b,) = args, bdims
    strides = None if strides is None else _insert(strides, b, 1)
    return bind(P.slice_p, x, start_indices=_insert(start_indices, b, 0),
                limit_indices=_insert(limit_indices, b, x.aval.shape[b]),
                strides=strides), b


_register(P.slice_p, _slice_batch)


def _concatenate_batch(args, bdims, dimension):
    dest = next(b for b in bdims if b is not None)
    size = batch_size(args, bdims)
    xs = [broadcast_batched(x, b, size, dest) for x, b in zip(args, bdims)]
    return bind(P.concatenate_p, *xs, dimension=_shift((dimension,), dest)[0]), dest


_register(P.concatenate_p, _concatenate_batch)


def _iota_batch(args, bdims, dtype, shape, dimension):
    # iota has no operands, so vmap never calls this: its result is the same for every
    # example and stays unbatched
    return _iota(dtype, shape, dimension), None


_register(P.iota_p, _iota_batch)


# ---- pad ---------------------------------------------------------------------------------------

def _pad_batch(args, bdims, padding_config):
    (x, value), (xb, vb) = args, bdims
    if vb is None:
        config = _insert(padding_config, xb, (0, 0, 0))
        return bind(P.pad_p, x, value, padding_config=config), xb
    return _pad_with_batched_value(x, xb, value, padding_config)


def _pad_with_batched_value(x, xb, value, config):
    """Pad with a placeholder, then select each example's value where padding landed
    (a True mask padded with False marks the operand's elements)."""
    size = value.aval.shape[0]
    dtype = x.aval.dtype
    x_shape = _unbatched_shape(x, xb)
    # weak placeholder: the result's weak flag comes from x and the value alone
    placeholder = ops.full((), 0, dtype, weak=True)
    batched_config = config if xb is None else _insert(config, xb, (0, 0, 0))
    padded = bind(P.pad_p, x, placeholder, padding_config=batched_config)
    mask = bind(P.pad_p, ops.full(x_shape, True, dtypes.bool_),
                ops.constant(False, dtypes.bool_), padding_config=config)
    dest = 0 if xb is None else xb
    out_shape = _insert(mask.aval.shape, dest, size)
    rest = tuple(d for d in range(len(out_shape)) if d != dest)
    which = ops.broadcast_in_dim(mask, out_shape, rest)
    padded = broadcast_batched(padded, xb, size, dest)
    value = ops.broadcast_in_dim(value, out_shape, (dest,))
    return ops.select(which, value, padded), dest


_register(P.pad_p, _pad_batch)


# ---- dynamic slices ------------------------------------------------------------------------------

def _zero_start(starts):
    return ops.constant(0, starts[0].aval.dtype if starts else dtypes.int32)


def _clamped_start(start, limit, dtype):
    """``min(max(start, 0), limit)`` like dynamic_slice clamps, as ``dtype``.  Clamped in
    the start's own dtype first (``limit`` capped to fit), so converting cannot wrap."""
    info = np.iinfo(start.aval.dtype)
    lo = ops.constant(0, start.aval.dtype)
    hi = ops.constant(min(limit, int(info.max)), start.aval.dtype)
    return ops.convert(bind(P.clamp_p, lo, start, hi), dtype)


def _window_indices(starts, start_bdims, axes, window, shape, size, batch_column):
    """Index rows of shape ``(size, *window[axes], k)``: per example, every position of
    the window over ``axes`` (clamped start + iota offset), with a leading column
    counting the example when ``batch_column``."""
    dtype = _index_dtype(max(shape, default=0) + size)
    grid = (size,) + tuple(window[a] for a in axes)
    columns = [_iota(dtype, grid, 0)] if batch_column else []
    for j, a in enumerate(axes):
        start = _clamped_start(starts[a], shape[a] - window[a], dtype)
        start = broadcast_batched(start, start_bdims[a], size, 0)
        columns.append(ops.add(ops.broadcast_in_dim(start, grid, (0,)), _iota(dtype, grid, j + 1)))
    every_dim = tuple(range(len(grid)))
    columns = [ops.broadcast_in_dim(c, grid + (1,), every_dim) for c in columns]
    return bind(P.concatenate_p, *columns, dimension=len(grid))


def _partial_axes(window, shape):
    """Axes a window does not span fully: only their starts matter (others clamp to 0)."""
    return tuple(a for a, (w, d) in enumerate(zip(window, shape)) if w < d)


def _from_window_order(out, axes, ndim):
    """``out`` is ``(batch, *window axes, *other axes)``: put the axes back in order."""
    order = list(axes) + [a for a in range(ndim) if a not in axes]
    return ops.transpose(out, (0,) + tuple(1 + order.index(a) for a in range(ndim)))


def _dynamic_slice_batch(args, bdims, slice_sizes):
    (x, *starts), (xb, *start_bdims) = args, bdims
    size = batch_size(args, bdims)
    if all(b is None for b in start_bdims):
        starts = _insert(starts, xb, _zero_start(starts))
        sizes = _insert(slice_sizes, xb, size)
        return bind(P.dynamic_slice_p, x, *starts, slice_sizes=sizes), xb
    shape = _unbatched_shape(x, xb)
    axes = _partial_axes(slice_sizes, shape)
    if not axes:
        return x, xb                        # the slice is the whole operand
    indices = _window_indices(starts, start_bdims, axes, slice_sizes, shape, size,
                              batch_column=xb is not None)
    gather_axes = axes if xb is None else (xb,) + _shift(axes, xb)
    out = bind(P.gather_p, x, indices, axes=gather_axes, mode="clip")
    return _from_window_order(out, axes, len(shape)), 0


_register(P.dynamic_slice_p, _dynamic_slice_batch)


def _dynamic_update_slice_batch(args, bdims):
    (x, update, *starts), (xb, ub, *start_bdims) = args, bdims
    size = batch_size(args, bdims)
    dest = xb if xb is not None else (ub if ub is not None else 0)
    x = broadcast_batched(x, xb, size, dest)    # every example writes its own result
    if all(b is None for b in start_bdims):
        update = broadcast_batched(update, ub, size, dest)
        starts = _insert(starts, dest, _zero_start(starts))
        return bind(P.dynamic_update_slice_p, x, update, *starts), dest
    shape = _unbatched_shape(x, dest)
    window = _unbatched_shape(update, ub)
    axes = _partial_axes(window, shape)
    indices = _window_indices(starts, start_bdims, axes, window, shape, size,
                              batch_column=True)
    # updates in scatter order: (batch, *window axes, *other axes)
    update = broadcast_batched(update, ub, size, 0)
    order = list(axes) + [a for a in range(len(shape)) if a not in axes]
    update = ops.transpose(update, (0,) + tuple(1 + a for a in order))
    out = bind(P.scatter_p, x, indices, update, axes=(dest,) + _shift(axes, dest), mode="clip")
    return out, dest


_register(P.dynamic_update_slice_p, _dynamic_update_slice_batch)


# ---- gather and scatter ----------------------------------------------------------------------

def _with_batch_column(indices, bdim, size):
    """Batched index rows with a leading coordinate counting the example; the batch
    dimension stays at ``bdim`` (moved to 0 first if it is the coordinate axis)."""
    if bdim == indices.aval.ndim - 1:
        indices, bdim = move_bdim(indices, bdim, 0), 0
    dtype = indices.aval.dtype
    if size - 1 > np.iinfo(dtype).max:         # a narrow index dtype cannot count the batch
        dtype = _index_dtype(size)
        indices = ops.convert(indices, dtype)
    column = _iota(dtype, indices.aval.shape[:-1] + (1,), bdim)
    return bind(P.concatenate_p, column, indices, dimension=indices.aval.ndim - 1), bdim


def _slice_position(indices, axes, bdim):
    """Where operand axis ``bdim`` (not addressed) appears in a gather's output / a
    scatter's updates: after the index batch dims, among the unaddressed axes."""
    return indices.aval.ndim - 1 + sum(1 for d in range(bdim) if d not in axes)


def _gather_batch(args, bdims, axes, mode):
    (x, indices), (xb, ib) = args, bdims
    if ib is None:              # the batch dimension is one more unaddressed operand axis
        out = bind(P.gather_p, x, indices, axes=_shift(axes, xb), mode=mode)
        return out, _slice_position(indices, axes, xb)
    if ib == indices.aval.ndim - 1:
        indices, ib = move_bdim(indices, ib, 0), 0
    if xb is None:              # the batch dimension is one more index batch dim
        return bind(P.gather_p, x, indices, axes=axes, mode=mode), ib
    indices, ib = _with_batch_column(indices, ib, x.aval.shape[xb])
    out = bind(P.gather_p, x, indices, axes=(xb,) + _shift(axes, xb), mode=mode)
    return out, ib


_register(P.gather_p, _gather_batch)


def _scatter_batch_rule(prim):
    def rule(args, bdims, axes, mode):
        (x, indices, updates), (xb, ib, ub) = args, bdims
        size = batch_size(args, bdims)
        dest = 0 if xb is None else xb
        x = broadcast_batched(x, xb, size, dest)
        if ib is None:          # the batch dimension is one more unaddressed operand axis
            updates = broadcast_batched(updates, ub, size,
                                        _slice_position(indices, axes, dest))
            return bind(prim, x, indices, updates, axes=_shift(axes, dest), mode=mode), dest
        indices, ib = _with_batch_column(indices, ib, size)
        updates = broadcast_batched(updates, ub, size, ib)
        out = bind(prim, x, indices, updates, axes=(dest,) + _shift(axes, dest), mode=mode)
        return out, dest
    rule.__name__ = f"_{prim.name}_batch"
    return rule


for _p in (P.scatter_p, P.scatter_add_p, P.scatter_mul_p, P.scatter_min_p, P.scatter_max_p):
    _register(_p, _scatter_batch_rule(_p))
