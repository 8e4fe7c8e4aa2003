"""Structural primitives: broadcasting, reshaping, transposition, slicing, padding,
concatenation and ``iota``.

They move elements without computing on them, so the result keeps the operand's
dtype and weak flag (``pad``, ``concatenate`` and ``dynamic_update_slice`` are weak
only when all their data operands are).
"""
import numpy as np

from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.shape_rules import (check_axes, check_axis, check_dtype,
                                             check_int_tuple, check_kind, check_positive_tuple,
                                             check_same_dtype, check_scalar_index, check_shape,
                                             size)

__all__ = ["broadcast_in_dim_p", "reshape_p", "squeeze_p", "expand_dims_p", "transpose_p",
           "rev_p", "pad_p", "concatenate_p", "slice_p", "dynamic_slice_p",
           "dynamic_update_slice_p", "iota_p"]


def _broadcast_in_dim_abstract_eval(x, shape, broadcast_dimensions):
    name = "broadcast_in_dim"
    shape = check_shape(name, shape)
    dims = check_int_tuple(name, broadcast_dimensions, x.ndim, "broadcast_dimensions")
    if any(not 0 <= d < len(shape) for d in dims) or list(dims) != sorted(set(dims)):
        raise ValueError(f"{name}: broadcast_dimensions {dims} must be strictly increasing "
                         f"and within rank {len(shape)}")
    for d, out_d in zip(x.shape, dims):
        if d != 1 and d != shape[out_d]:
            raise ValueError(f"{name}: operand {x} cannot broadcast to {shape} along "
                             f"dimensions {dims}")
    return ShapedArray(shape, x.dtype, x.weak)


def _broadcast_in_dim_impl(x, shape, broadcast_dimensions):
    """A read-only strided view (stride 0 along new and size-1 axes); built directly,
    as ``np.broadcast_to`` costs ~7x more on the small arrays of eager code."""
    x = np.asarray(x)
    if not x.flags.c_contiguous:        # a strided view needs one contiguous buffer
        x = np.ascontiguousarray(x)
    strides = [0] * len(shape)
    for size, stride, d in zip(x.shape, x.strides, broadcast_dimensions):
        if size != 1:
            strides[d] = stride
    out = np.ndarray(shape, x.dtype, x, 0, strides)
    out.flags.writeable = False
    return out


broadcast_in_dim_p = Primitive("broadcast_in_dim", _broadcast_in_dim_abstract_eval,
                               _broadcast_in_dim_impl)


def _reshape_abstract_eval(x, new_sizes):
    new_sizes = check_shape("reshape", new_sizes, "new_sizes")
    if size(new_sizes) != x.size:
        raise ValueError(f"reshape: cannot reshape {x} ({x.size} elements) to {new_sizes}")
    return ShapedArray(new_sizes, x.dtype, x.weak)


def _reshape_impl(x, new_sizes):
    return np.reshape(x, new_sizes)


reshape_p = Primitive("reshape", _reshape_abstract_eval, _reshape_impl)


# ---- squeeze, expand_dims, transpose, rev ------------------------------------------

def _squeeze_abstract_eval(x, dimensions):
    dims = check_axes("squeeze", dimensions, x.ndim, "dimensions")
    if any(x.shape[d] != 1 for d in dims):
        raise ValueError(f"squeeze: dimensions {dims} of {x} must all have size 1")
    shape = tuple(d for i, d in enumerate(x.shape) if i not in dims)
    return ShapedArray(shape, x.dtype, x.weak)


def _squeeze_impl(x, dimensions):
    return np.asarray(np.squeeze(x, axis=dimensions))


squeeze_p = Primitive("squeeze", _squeeze_abstract_eval, _squeeze_impl)


def _expand_dims_abstract_eval(x, dimensions):
    name = "expand_dims"
    out_ndim = x.ndim + (len(dimensions) if isinstance(dimensions, tuple) else 0)
    dims = check_axes(name, dimensions, out_ndim, "dimensions")
    if list(dims) != sorted(dims):
        raise ValueError(f"{name}: dimensions {dims} must be sorted (positions in the output)")
    shape = list(x.shape)
    for d in dims:
        shape.insert(d, 1)
    return ShapedArray(tuple(shape), x.dtype, x.weak)


def _expand_dims_impl(x, dimensions):
    # a reshape that inserts size-1 axes is always a view (np.expand_dims costs ~4x);
    # the checked dimensions ascend once made non-negative, so inserting in turn works
    shape = list(x.shape)
    out_ndim = len(shape) + len(dimensions)
    for d in dimensions:
        shape.insert(d % out_ndim, 1)
    return x.reshape(shape)


expand_dims_p = Primitive("expand_dims", _expand_dims_abstract_eval, _expand_dims_impl)


def _transpose_abstract_eval(x, permutation):
    perm = check_int_tuple("transpose", permutation, x.ndim, "permutation")
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"transpose: permutation {perm} is not a permutation of "
                         f"range({x.ndim}) for {x}")
    return ShapedArray(tuple(x.shape[p] for p in perm), x.dtype, x.weak)


def _transpose_impl(x, permutation):
    return np.transpose(x, permutation)


transpose_p = Primitive("transpose", _transpose_abstract_eval, _transpose_impl)


def _rev_abstract_eval(x, dimensions):
    check_axes("rev", dimensions, x.ndim, "dimensions")
    return x


def _rev_impl(x, dimensions):
    return np.flip(x, axis=dimensions) if dimensions else x


rev_p = Primitive("rev", _rev_abstract_eval, _rev_impl)


# ---- pad ------------------------------------------------------------------------------

def _check_padding_config(name, config, ndim):
    if not isinstance(config, tuple) or len(config) != ndim:
        raise TypeError(f"{name}: padding_config must be a tuple of {ndim} "
                        f"(lo, hi, interior) triples, got {config!r}")
    config = tuple(check_int_tuple(name, c, 3, "padding_config entry") for c in config)
    if any(interior < 0 for _, _, interior in config):
        raise ValueError(f"{name}: interior padding must be >= 0, got {config}")
    return config


def padded_size(size, lo, hi, interior):
    """``lo + hi + size + interior * (size - 1)`` (interior counts only between elements)."""
    return lo + hi + size + interior * max(size - 1, 0)


def _pad_abstract_eval(x, padding_value, padding_config):
    name = "pad"
    config = _check_padding_config(name, padding_config, x.ndim)
    if padding_value.shape != ():
        raise TypeError(f"pad: padding_value must be a scalar, got {padding_value}")
    check_same_dtype(name, (x, padding_value))
    shape = tuple(padded_size(d, *c) for d, c in zip(x.shape, config))
    if any(d < 0 for d in shape):
        raise ValueError(f"pad: padding_config {config} crops {x} to a negative size {shape}")
    return ShapedArray(shape, x.dtype, x.weak and padding_value.weak)


def pad_array(x, padding_value, padding_config):
    """NumPy ``pad`` with interior and negative (cropping) padding; also used by
    convolution (lhs dilation) and windowed reductions (base dilation).

    ``pad_array(np.array([1, 2]), 0, ((1, -1, 1),))`` gives ``[0, 1, 0]``.
    """
    grown = [max(lo, 0) + padded_size(d, 0, 0, i) + max(hi, 0)
             for d, (lo, hi, i) in zip(x.shape, padding_config)]
    out = np.full(grown, padding_value, dtype=x.dtype)
    place = tuple(slice(max(lo, 0), max(lo, 0) + padded_size(d, 0, 0, i), i + 1)
                  for d, (lo, hi, i) in zip(x.shape, padding_config))
    out[place] = x
    crop = tuple(slice(max(-lo, 0), g - max(-hi, 0))
                 for g, (lo, hi, _) in zip(grown, padding_config))
    return out[crop] if crop else out      # 0-d: indexing with () would give a scalar


def _pad_impl(x, padding_value, padding_config):
    return pad_array(x, padding_value, padding_config)


pad_p = Primitive("pad", _pad_abstract_eval, _pad_impl)


# ---- concatenate and static slices -------------------------------------------------------

def _concatenate_abstract_eval(*xs, dimension):
    name = "concatenate"
    if not xs:
        raise TypeError("concatenate: needs at least one operand")
    first = xs[0]
    dim = check_axis(name, dimension, first.ndim, "dimension")
    check_same_dtype(name, xs)
    for x in xs[1:]:
        if x.ndim != first.ndim or any(a != b for i, (a, b) in
                                       enumerate(zip(x.shape, first.shape)) if i != dim):
            raise TypeError(f"concatenate: operands must have equal shapes except along "
                            f"dimension {dim}, got " + ", ".join(str(a) for a in xs))
    shape = list(first.shape)
    shape[dim] = sum(x.shape[dim] for x in xs)
    return ShapedArray(tuple(shape), first.dtype, all(x.weak for x in xs))


def _concatenate_impl(*xs, dimension):
    return np.concatenate(xs, axis=dimension)


concatenate_p = Primitive("concatenate", _concatenate_abstract_eval, _concatenate_impl)


def _slice_abstract_eval(x, start_indices, limit_indices, strides):
    name = "slice"
    starts = check_int_tuple(name, start_indices, x.ndim, "start_indices")
    limits = check_int_tuple(name, limit_indices, x.ndim, "limit_indices")
    steps = (1,) * x.ndim if strides is None else check_positive_tuple(
        name, strides, x.ndim, "strides")
    for lo, hi, d in zip(starts, limits, x.shape):
        if not 0 <= lo <= hi <= d:
            raise ValueError(f"slice: need 0 <= start <= limit <= size for {x}, got "
                             f"start_indices={starts}, limit_indices={limits}")
    shape = tuple(-(-(hi - lo) // s) for lo, hi, s in zip(starts, limits, steps))
    return ShapedArray(shape, x.dtype, x.weak)


def _slice_impl(x, start_indices, limit_indices, strides):
    if x.ndim == 0:
        return x
    strides = strides or (1,) * x.ndim
    return x[tuple(slice(lo, hi, s) for lo, hi, s in zip(start_indices, limit_indices, strides))]


slice_p = Primitive("slice", _slice_abstract_eval, _slice_impl)


# ---- dynamic slices -------------------------------------------------------------------

def _check_starts(name, x, starts):
    if len(starts) != x.ndim:
        raise TypeError(f"{name}: needs one start index per dimension of {x}, got "
                        f"{len(starts)}")
    for i, s in enumerate(starts):
        check_scalar_index(name, s, f"start index {i}")


def _dynamic_slice_abstract_eval(x, *start_indices, slice_sizes):
    name = "dynamic_slice"
    _check_starts(name, x, start_indices)
    sizes = check_int_tuple(name, slice_sizes, x.ndim, "slice_sizes")
    if any(not 0 <= s <= d for s, d in zip(sizes, x.shape)):
        raise ValueError(f"dynamic_slice: slice_sizes {sizes} must lie within {x}")
    return ShapedArray(sizes, x.dtype, x.weak)


def _clamped_window(starts, sizes, shape):
    """Starts are clamped into ``[0, size - window]`` so the window is in bounds."""
    # int() first: unsigned or narrow index dtypes must not wrap in the subtraction
    clamped = (min(max(int(s), 0), d - w) for s, w, d in zip(starts, sizes, shape))
    return tuple(slice(s, s + w) for s, w in zip(clamped, sizes))


def _dynamic_slice_impl(x, *start_indices, slice_sizes):
    if x.ndim == 0:
        return x
    return x[_clamped_window(start_indices, slice_sizes, x.shape)]


dynamic_slice_p = Primitive("dynamic_slice", _dynamic_slice_abstract_eval,
                            _dynamic_slice_impl)


def _dynamic_update_slice_abstract_eval(x, update, *start_indices):
    name = "dynamic_update_slice"
    _check_starts(name, x, start_indices)
    check_same_dtype(name, (x, update))
    if update.ndim != x.ndim or any(u > d for u, d in zip(update.shape, x.shape)):
        raise ValueError(f"dynamic_update_slice: update {update} must have the rank of "
                         f"{x} and fit inside it")
    return ShapedArray(x.shape, x.dtype, x.weak and update.weak)


def _dynamic_update_slice_impl(x, update, *start_indices):
    out = np.array(x, copy=True)
    out[_clamped_window(start_indices, update.shape, x.shape)] = update
    return out


dynamic_update_slice_p = Primitive("dynamic_update_slice",
                                   _dynamic_update_slice_abstract_eval,
                                   _dynamic_update_slice_impl)


# ---- iota -----------------------------------------------------------------------------

def _iota_abstract_eval(*, dtype, shape, dimension):
    name = "iota"
    dtype = check_dtype(name, dtype)
    check_kind(name, ShapedArray((), dtype), "iuf", "dtype")
    shape = check_shape(name, shape)
    check_axis(name, dimension, len(shape), "dimension")
    return ShapedArray(shape, dtype, False)


def _iota_impl(*, dtype, shape, dimension):
    # count in int64 and cast, so narrow integer dtypes wrap instead of failing
    counts = np.arange(shape[dimension], dtype=np.int64).astype(dtype)
    view = [1] * len(shape)
    view[dimension] = shape[dimension]
    return np.ascontiguousarray(np.broadcast_to(counts.reshape(view), shape))


iota_p = Primitive("iota", _iota_abstract_eval, _iota_impl)
