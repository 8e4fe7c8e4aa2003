"""Data movement as strided block copies: slice, rev, pad, concatenate,
dynamic_slice and dynamic_update_slice.

Each is one or more copies ``dst[dst_base + sum(i*ds)] = src[src_base + sum(i*ss)]``
over a static box of indices, where a base may be computed at run time (a dynamic
start).  Axes that are contiguous in both buffers merge into one loop, so a slice of
whole rows is a single flat loop the vectorizer turns into a memcpy-like copy.
"""
from llvmlite import ir

from xla_like import primitives as P
from xla_like.backends.llvm.standalone.emit import I64, i64, strides_of

MOVEMENT = {}


def _collapse(shape, dst_strides, src_strides):
    """Drop size-1 axes; merge an axis into the next when both buffers step over it
    as over one longer axis."""
    dims = [(n, d, s) for n, d, s in zip(shape, dst_strides, src_strides) if n != 1]
    merged = []
    for n, d, s in dims:
        if merged:
            pn, pd, ps = merged[-1]
            if pd == d * n and ps == s * n:
                merged[-1] = (pn * n, d, s)
                continue
        merged.append((n, d, s))
    return ([m[0] for m in merged], [m[1] for m in merged], [m[2] for m in merged])


def copy_block(k, dtype, shape, dst, dst_base, dst_strides, src, src_base, src_strides):
    """Copy the box ``shape`` from ``src`` to ``dst`` (bases: ints or i64 values)."""
    if 0 in shape:
        return
    shape, dst_strides, src_strides = _collapse(shape, dst_strides, src_strides)
    dst_base, src_base = i64(dst_base), i64(src_base)
    with k.nest(shape) as idx:
        value = k.load(src, dtype, k.offset(idx, src_strides, src_base))
        k.store(dst, dtype, k.offset(idx, dst_strides, dst_base), value)


def fill(k, dtype, dst, count, value):
    """``dst[0:count] = value``."""
    with k.loop(count) as i:
        k.store(dst, dtype, i, value)


# ---- static slices ------------------------------------------------------------------

def _slice_build(k, in_avals, out_avals, start_indices, limit_indices, strides):
    x, out = in_avals[0], out_avals[0]
    xs = strides_of(x.shape)
    steps = strides or (1,) * x.ndim
    base = sum(s * st for s, st in zip(start_indices, xs))
    copy_block(k, x.dtype, out.shape, k.outs[0], 0, strides_of(out.shape), k.ins[0], base,
               [st * step for st, step in zip(xs, steps)])


MOVEMENT[P.slice_p] = _slice_build


def _rev_build(k, in_avals, out_avals, dimensions):
    x = in_avals[0]
    xs = strides_of(x.shape)
    base = sum((x.shape[d] - 1) * xs[d] for d in dimensions if x.shape[d])
    src_strides = [-s if d in dimensions else s for d, s in enumerate(xs)]
    copy_block(k, x.dtype, x.shape, k.outs[0], 0, xs, k.ins[0], base, src_strides)


MOVEMENT[P.rev_p] = _rev_build


def _kept_range(size, lo, out_size, step):
    """Input positions ``i`` of one axis that land inside the output after padding by
    ``lo`` with ``step - 1`` holes between elements: (first, count)."""
    first = max(0, -(lo // step))                   # ceil(-lo / step), at least 0
    stop = min(size, -(-(out_size - lo) // step))   # first i with lo + i*step >= out_size
    return first, max(0, stop - first)


def _pad_build(k, in_avals, out_avals, padding_config):
    x, out = in_avals[0], out_avals[0]
    fill(k, out.dtype, k.outs[0], out.size, k.load(k.ins[1], x.dtype, i64(0)))
    xs, os_ = strides_of(x.shape), strides_of(out.shape)
    box, src_base, dst_base, dst_strides = [], 0, 0, []
    for d, (lo, _, interior) in enumerate(padding_config):
        step = interior + 1
        first, count = _kept_range(x.shape[d], lo, out.shape[d], step)
        box.append(count)
        src_base += first * xs[d]
        dst_base += (lo + first * step) * os_[d]
        dst_strides.append(step * os_[d])
    copy_block(k, x.dtype, box, k.outs[0], dst_base, dst_strides, k.ins[0], src_base, xs)


MOVEMENT[P.pad_p] = _pad_build


def _concatenate_build(k, in_avals, out_avals, dimension):
    out = out_avals[0]
    os_ = strides_of(out.shape)
    position = 0
    for pointer, x in zip(k.ins, in_avals):
        copy_block(k, x.dtype, x.shape, k.outs[0], position * os_[dimension], os_, pointer, 0,
                   strides_of(x.shape))
        position += x.shape[dimension]


MOVEMENT[P.concatenate_p] = _concatenate_build


# ---- dynamic slices ---------------------------------------------------------------------

def _clamped_start(k, pointer, dtype, limit):
    """A start index read at run time, clamped into ``[0, limit]`` like the reference
    (unsigned indices are never negative, however large)."""
    b = k.b
    start = k.to_i64(k.load(pointer, dtype, i64(0)), dtype)
    bound = i64(limit)
    if dtype.kind == "u":
        return b.select(b.icmp_unsigned("<", start, bound), start, bound)
    start = b.select(b.icmp_signed("<", start, i64(0)), i64(0), start)
    return b.select(b.icmp_signed("<", start, bound), start, bound)


def _window_base(k, starts, start_avals, window, shape):
    """The element offset of the clamped window's corner."""
    base = ir.Constant(I64, 0)
    for pointer, aval, w, d, stride in zip(starts, start_avals, window, shape,
                                           strides_of(shape)):
        start = _clamped_start(k, pointer, aval.dtype, d - w)
        base = k.b.add(base, k.b.mul(start, i64(stride)))
    return base


def _dynamic_slice_build(k, in_avals, out_avals, slice_sizes):
    x = in_avals[0]
    base = _window_base(k, k.ins[1:], in_avals[1:], slice_sizes, x.shape)
    copy_block(k, x.dtype, slice_sizes, k.outs[0], 0, strides_of(slice_sizes), k.ins[0], base,
               strides_of(x.shape))


MOVEMENT[P.dynamic_slice_p] = _dynamic_slice_build


def _dynamic_update_slice_build(k, in_avals, out_avals):
    x, update = in_avals[0], in_avals[1]
    copy_block(k, x.dtype, (x.size,), k.outs[0], 0, (1,), k.ins[0], 0, (1,))
    base = _window_base(k, k.ins[2:], in_avals[2:], update.shape, x.shape)
    copy_block(k, x.dtype, update.shape, k.outs[0], base, strides_of(x.shape), k.ins[1], 0,
               strides_of(update.shape))


MOVEMENT[P.dynamic_update_slice_p] = _dynamic_update_slice_build
