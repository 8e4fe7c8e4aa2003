"""Shared pieces of abstract-evaluation rules: checks with messages that name the primitive."""
import operator

import numpy as np

from xla_like import dtypes
from xla_like.ir import ShapedArray

KIND_NAMES = {"b": "bool", "i": "signed integer", "u": "unsigned integer",
              "f": "floating", "c": "complex"}


def check_kind(name, aval, kinds, what="operand"):
    if aval.dtype.kind not in kinds:
        allowed = " or ".join(KIND_NAMES[k] for k in kinds)
        raise TypeError(f"{name}: {what} must be {allowed}, got {aval}")


def check_same(name, avals):
    """Elementwise operands must agree in shape and dtype (the NumPy layer broadcasts)."""
    first = avals[0]
    for a in avals[1:]:
        if a.shape != first.shape or a.dtype != first.dtype:
            raise TypeError(f"{name}: operands must have equal shapes and dtypes, got "
                            + ", ".join(str(b) for b in avals))
    return ShapedArray(first.shape, first.dtype, all(a.weak for a in avals))


def check_axis(name, axis, ndim, what="axis"):
    axis = as_int(name, axis, what)
    if not 0 <= axis < ndim:
        raise ValueError(f"{name}: {what} {axis} is out of range for rank {ndim}")
    return axis


def check_axes(name, axes, ndim, what="axes"):
    if not isinstance(axes, tuple):
        raise TypeError(f"{name}: {what} must be a tuple of ints, got {axes!r}")
    axes = tuple(check_axis(name, a, ndim, what) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: {what} {axes} has repeated entries")
    return axes


def as_int(name, value, what):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int, got {value!r}") from None


def check_int_tuple(name, values, length, what):
    if not isinstance(values, tuple) or len(values) != length:
        raise TypeError(f"{name}: {what} must be a tuple of {length} ints, got {values!r}")
    return tuple(as_int(name, v, what) for v in values)


def check_shape(name, shape, what="shape"):
    if not isinstance(shape, tuple):
        raise TypeError(f"{name}: {what} must be a tuple of ints, got {shape!r}")
    shape = tuple(as_int(name, d, what) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"{name}: {what} {shape} has a negative size")
    return shape


def check_dtype(name, dtype):
    try:
        return dtypes.canonicalize(dtype)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None


def check_scalar_index(name, aval, what="index"):
    if aval.shape != () or not dtypes.is_int(aval.dtype):
        raise TypeError(f"{name}: {what} must be an integer scalar, got {aval}")


def size(shape):
    return int(np.prod(shape, dtype=np.int64))


# ---- helpers for structural, indexing, contraction and window primitives ----------

def check_positive_tuple(name, values, length, what):
    """A tuple of ``length`` ints, each >= 1 (strides, dilations, window sizes)."""
    values = check_int_tuple(name, values, length, what)
    if any(v < 1 for v in values):
        raise ValueError(f"{name}: {what} {values} must all be >= 1")
    return values


def check_pairs(name, pairs, length, what="padding"):
    """A tuple of ``length`` ``(lo, hi)`` int pairs (negative values crop)."""
    if not isinstance(pairs, tuple) or len(pairs) != length:
        raise TypeError(f"{name}: {what} must be a tuple of {length} (lo, hi) pairs, "
                        f"got {pairs!r}")
    return tuple(check_int_tuple(name, p, 2, f"{what} entry") for p in pairs)


def check_same_dtype(name, avals):
    """Operands that must share one dtype (shapes are checked by the caller)."""
    if any(a.dtype != avals[0].dtype for a in avals[1:]):
        raise TypeError(f"{name}: operands must have the same dtype, got "
                        + ", ".join(str(a) for a in avals))
    return avals[0].dtype


def dilate_size(size, dilation):
    """Size of an axis after putting ``dilation - 1`` holes between its elements."""
    return 0 if size == 0 else (size - 1) * dilation + 1


def windowed_sizes(name, sizes, windows, strides, padding, base_dilation, window_dilation):
    """Output sizes of a strided, padded, dilated sliding window over ``sizes``.

    ``windowed_sizes('f', (5,), (3,), (1,), ((0, 0),), (1,), (1,)) == (3,)``
    """
    out = []
    for d, w, s, (lo, hi), bd, wd in zip(sizes, windows, strides, padding, base_dilation,
                                           window_dilation):
        padded = dilate_size(d, bd) + lo + hi
        if padded < 0:
            raise ValueError(f"{name}: padding {padding} crops more than the whole "
                             f"(dilated) operand of sizes {sizes}")
        span = dilate_size(w, wd)
        out.append(0 if padded < span else (padded - span) // s + 1)
    return tuple(out)


def check_preferred_type(name, dtype, preferred):
    """``preferred_element_type``: None, or a wider dtype of the same family.

    Integers may widen to wider integers, floats to wider floats, complex to complex.
    """
    if preferred is None:
        return dtype
    preferred = check_dtype(name, preferred)
    family = {"b": "b", "i": "iu", "u": "iu", "f": "f", "c": "c"}
    same_family = preferred.kind in family[dtype.kind]
    if not same_family or not np.can_cast(dtype, preferred, casting="safe"):
        raise TypeError(f"{name}: preferred_element_type {preferred} cannot hold the "
                        f"operands' dtype {dtype} exactly")
    return preferred
