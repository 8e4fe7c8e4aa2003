"""Array creation: ``array``, ``zeros``, ``full``, ``arange``, ``linspace``, ``eye`` ...

Results default to float32 / int32 unless ``dtype`` is given.  Constant arrays are
a ``broadcast_in_dim`` of a scalar and index grids come from ``iota``, so under a
transform they are small equations, not large baked-in constants.
"""
import math
import operator

import numpy as np

from transforms.array import Array, from_numpy
from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, asarray, convert, is_array, result_dtype
from functorch_lite.numpy._convert import broadcast_to as _broadcast_array
from functorch_lite.numpy._shape import (_canonical_shape, broadcast_arrays, expand_dims,
                                         moveaxis, normalize_axis)
from functorch_lite.numpy._ufuncs import (add, equal, floor, multiply, subtract, true_divide,
                                          where)


def array(object, dtype=None, copy=True, ndmin=0):
    """Create an array (a copy by default); Python data defaults to float32 / int32.

    >>> array([1, 2]).dtype
    dtype('int32')
    """
    out = asarray(object, dtype)
    if copy and out is object and is_array(out):
        out = bind(P.copy_p, out)
    extra = ndmin - out.aval.ndim
    if extra > 0:
        out = expand_dims(out, tuple(range(extra)))
    return out


def _dtype_or(dtype, default):
    return default if dtype is None else dtypes.canonicalize(dtype)


def _fill_dtype(fill_value, dtype):
    """``full``'s dtype: explicit, else the fill value's (defaults for Python data)."""
    if dtype is not None:
        return dtypes.canonicalize(dtype)
    if is_array(fill_value):
        return fill_value.aval.dtype
    return asarray(fill_value).aval.dtype


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value`` (which may be an array that
    broadcasts to ``shape``).

    >>> full((2, 2), 7).tolist()
    [[7, 7], [7, 7]]
    """
    shape = _canonical_shape(shape, "full")
    dtype = _fill_dtype(fill_value, dtype)
    value = convert(as_operand(fill_value), dtype)
    return _broadcast_array(value, shape)


def zeros(shape, dtype=None):
    """An array of zeros (float32 by default).  ``zeros((2, 3)).shape == (2, 3)``"""
    return full(shape, 0, _dtype_or(dtype, dtypes.default_float))


def ones(shape, dtype=None):
    """An array of ones (float32 by default).  ``ones(3).tolist() == [1.0, 1.0, 1.0]``"""
    return full(shape, 1, _dtype_or(dtype, dtypes.default_float))


def empty(shape, dtype=None):
    """Arrays are immutable, so an "uninitialised" array is an array of zeros."""
    return zeros(shape, dtype)


def _like(a, dtype, shape):
    aval = as_operand(a).aval
    dtype = aval.dtype if dtype is None else dtypes.canonicalize(dtype)
    return dtype, aval.shape if shape is None else shape


def zeros_like(a, dtype=None, shape=None):
    """Zeros with the shape and dtype of ``a``.  ``zeros_like(arange(3)).tolist() == [0, 0, 0]``"""
    return _full_like(a, 0, dtype, shape)


def _full_like(a, fill_value, dtype, shape):
    dtype, shape = _like(a, dtype, shape)
    return full(shape, fill_value, dtype)


def ones_like(a, dtype=None, shape=None):
    """Ones with the shape and dtype of ``a``.  ``ones_like(zeros(2)).tolist() == [1.0, 1.0]``"""
    return _full_like(a, 1, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None):
    """``fill_value`` with the shape and dtype of ``a``.

    >>> full_like(arange(3), 5).tolist()
    [5, 5, 5]
    """
    return _full_like(a, fill_value, dtype, shape)


def empty_like(a, dtype=None, shape=None):
    """Zeros with the shape and dtype of ``a`` (arrays are immutable)."""
    return _full_like(a, 0, dtype, shape)


# ---- ranges -----------------------------------------------------------------------------

def _concrete_scalar(x, name, what):
    if isinstance(x, Tracer):
        raise TypeError(f"{name}: {what} must be a concrete number, got a traced value "
                        f"{x.aval}; the result's size cannot depend on traced values")
    if isinstance(x, Array):
        return x.item()
    return x


def _arange_dtype(values):
    kinds = [np.asarray(v).dtype.kind for v in values]
    if "c" in kinds:
        return dtypes.default_complex
    return dtypes.default_float if "f" in kinds else dtypes.default_int


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values in ``[start, stop)``; int32 for int arguments, else float32.

    >>> arange(1, 7, 2).tolist()
    [1, 3, 5]
    """
    values = [_concrete_scalar(v, "arange", "start/stop/step") for v in (start, stop, step)]
    start, stop, step = values
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if step == 0:
        raise ValueError("arange: step must not be zero")
    dtype = _dtype_or(dtype, _arange_dtype([start, stop, step]))
    if start == 0 and step == 1 and dtype.kind in "iuf":
        # 0, 1, 2, ... is an ``iota``: one small equation instead of a constant
        return _iota(dtype, max(math.ceil(stop), 0))
    return from_numpy(np.arange(start, stop, step, dtype=dtype))


def _iota(dtype, n):
    return bind(P.iota_p, dtype=dtype, shape=(n,), dimension=0)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced samples from ``start`` to ``stop`` (float32 by default).

    ``start`` and ``stop`` may be traced or arrays (the samples run along a new axis,
    ``axis``, leading by default).

    >>> linspace(0.0, 1.0, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative")
    start, stop = as_operand(start), as_operand(stop)
    out_dtype = _dtype_or(dtype, _linspace_dtype(start, stop))
    # integer outputs floor samples computed in float64, as NumPy does
    work = out_dtype if dtypes.is_inexact(out_dtype) else dtypes.float64
    start, stop = broadcast_arrays(convert(start, work), convert(stop, work))
    delta = subtract(stop, start)
    div = (num - 1) if endpoint else num
    # with nothing to divide (num <= 1) NumPy returns ``start`` and a NaN step
    step = true_divide(delta, float(div)) if div > 0 else multiply(delta, math.nan)
    steps = _along_new_axis(_iota(work, num), start.aval.ndim)
    samples = add(start, multiply(steps, step if div > 0 else delta))
    if endpoint and num > 1:
        # the last sample is exactly ``stop``, not ``start + (num - 1) * step``
        is_last = _along_new_axis(equal(_iota(dtypes.int32, num), num - 1), stop.aval.ndim)
        samples = where(is_last, stop, samples)
    if not dtypes.is_inexact(out_dtype):
        samples = floor(samples)
    samples = convert(samples, out_dtype)
    if axis != 0:
        samples = moveaxis(samples, 0, normalize_axis(axis, samples.aval.ndim, "linspace"))
    # the step stays in the (float) working dtype, as NumPy's does for integer outputs
    return (samples, step) if retstep else samples


def _linspace_dtype(start, stop):
    dtype, _ = result_dtype(start, stop)
    if dtypes.is_inexact(dtype):
        return dtype
    return dtypes.float64 if dtype.itemsize == 8 else dtypes.default_float


def _along_new_axis(x, ndim):
    """Give a 1-d array of samples ``ndim`` trailing size-1 axes for broadcasting."""
    return expand_dims(x, tuple(range(1, ndim + 1))) if ndim else x


def eye(N, M=None, k=0, dtype=None):
    """A 2-d array with ones on the ``k``-th diagonal (float32 by default).

    >>> eye(2, 3, k=1).tolist()
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    N = operator.index(N)
    M = N if M is None else operator.index(M)
    k = operator.index(k)
    dtype = _dtype_or(dtype, dtypes.default_float)
    rows = bind(P.iota_p, dtype=dtypes.int32, shape=(N, M), dimension=0)
    cols = bind(P.iota_p, dtype=dtypes.int32, shape=(N, M), dimension=1)
    return convert(equal(subtract(cols, rows), k), dtype)


def identity(n, dtype=None):
    """The ``n x n`` identity matrix.  ``identity(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]``"""
    return eye(n, dtype=dtype)
