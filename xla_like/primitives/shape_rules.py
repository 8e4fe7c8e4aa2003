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
