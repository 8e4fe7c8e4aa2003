"""Reductions (``sum``, ``mean``, ``var``, ``argmax``, ...) and cumulative scans.

Every reduction takes ``axis`` as None (all axes), an int or a tuple (negative
counts from the end), and ``keepdims``.  Accumulator dtypes, where they differ from
NumPy's, follow the project's default int:

* ``sum``, ``prod``, ``cumsum``, ``cumprod`` of bool, int8 and int16 accumulate in
  int32 (uint8 and uint16 in uint32); wider dtypes keep their own.  NumPy would use
  the platform's 64-bit int.
* ``mean``, ``var``, ``std`` of bools and ints give float32, or float64 for 64-bit
  ints; float16 is accumulated in float32 and returned as float16.
* ``argmax`` and ``argmin`` return int32 indices.
"""
import builtins
import math

from transforms.array import from_scalar
from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert
from functorch_lite.numpy._fast import bind_concrete
from functorch_lite.numpy._shape import expand_dims, normalize_axes, normalize_axis, ravel
from functorch_lite.numpy import _ufuncs as uf

_WIDENED = {dtypes.bool_: dtypes.int32, dtypes.int8: dtypes.int32, dtypes.int16: dtypes.int32,
            dtypes.uint8: dtypes.uint32, dtypes.uint16: dtypes.uint32}
_INDEX_DTYPE = dtypes.default_int


def _sum_dtype(dtype):
    return _WIDENED.get(dtype, dtype)


def _mean_dtype(dtype):
    if dtypes.is_inexact(dtype):
        return dtype
    return dtypes.float64 if dtype.itemsize == 8 else dtypes.default_float


def _with_dtype(a, dtype):
    """Convert to ``dtype``, keeping a weak operand weak when the dtype is unchanged."""
    return convert(a, dtype, a.aval.weak and a.aval.dtype == dtype)


def _masked(a, where, fill):
    """Replace the entries ``where`` excludes with the reduction's identity ``fill``."""
    if where is None:
        return a
    mask = broadcast_to(uf._as_bool(where), a.aval.shape)
    return uf.where(mask, a, convert(from_scalar(fill), a.aval.dtype))


def _reduce(prim, a, axes, keepdims):
    if not axes:
        return a
    out = bind_concrete(prim, (a,), {"axes": axes})
    # ``axes`` are sorted and distinct: inserting them gives back the reduced positions
    return bind_concrete(P.expand_dims_p, (out,), {"dimensions": axes}) if keepdims else out


def _count(a, axes, where, dtype):
    """How many entries each reduction combines: a Python int, or an array with a mask."""
    if where is None:
        return math.prod(a.aval.shape[i] for i in axes)
    mask = broadcast_to(uf._as_bool(where), a.aval.shape)
    return bind(P.reduce_sum_p, convert(mask, dtype), axes=axes) if axes else convert(mask, dtype)


def no_out(out, name):
    """NumPy's ``out=`` sits in the positional signatures; arrays are immutable, so only
    its default is accepted (a positional call lines up with NumPy's)."""
    if out is not None:
        raise TypeError(f"{name}: out= is not supported (arrays are immutable)")


# ---- sum and prod ---------------------------------------------------------------------------

def _accumulating(prim, identity, combine, name):
    def fn(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
        if out is not None:
            no_out(out, name)
        a = as_operand(a)
        axes = normalize_axes(axis, len(a.aval.shape), name)
        source = a.aval.dtype
        target = _WIDENED.get(source, source) if dtype is None else dtypes.canonicalize(dtype)
        if target != source or a.aval.weak:     # (the common float sum converts nothing)
            a = _with_dtype(a, target)
        if where is not None:
            a = _masked(a, where, identity)
        result = _reduce(prim, a, axes, keepdims)
        return result if initial is None else combine(result, initial)
    fn.__name__ = fn.__qualname__ = name
    return fn


sum = _accumulating(P.reduce_sum_p, 0, uf.add, "sum")
sum.__doc__ = """Sum over ``axis``; small ints and bools accumulate in int32.

>>> sum(ones((2, 3)), axis=1).tolist()
[3.0, 3.0]
"""
prod = _accumulating(P.reduce_prod_p, 1, uf.multiply, "prod")
prod.__doc__ = """Product over ``axis``; small ints and bools accumulate in int32.

>>> prod(asarray([[1, 2], [3, 4]]), axis=0).tolist()
[3, 8]
"""


# ---- max, min, all, any ------------------------------------------------------------------------

def _extremum(prim, combine, name):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        if out is not None:
            no_out(out, name)
        a = as_operand(a)
        axes = normalize_axes(axis, len(a.aval.shape), name)
        if initial is None:
            if where is not None:
                raise ValueError(f"{name}: reducing with where= needs initial= (the value "
                                 "of an all-excluded reduction)")
            if 0 in a.aval.shape and builtins.any(a.aval.shape[i] == 0 for i in axes):
                raise ValueError(f"{name}: zero-size array {a.aval} has no {name} along "
                                 f"axes {axes}; pass initial=")
        else:
            a = _masked(a, where, initial)
        result = _reduce(prim, a, axes, keepdims)
        return result if initial is None else combine(result, initial)
    fn.__name__ = fn.__qualname__ = name
    return fn


amax = max = _extremum(P.reduce_max_p, uf.maximum, "max")
amax.__doc__ = """Maximum over ``axis`` (NaN propagates).

>>> max(asarray([[1, 5], [3, 2]]), axis=1).tolist()
[5, 3]
"""
amin = min = _extremum(P.reduce_min_p, uf.minimum, "min")
amin.__doc__ = """Minimum over ``axis`` (NaN propagates).

>>> min(asarray([[1, 5], [3, 2]]), axis=0).tolist()
[1, 2]
"""


def _truth_reduction(prim, identity, name):
    def fn(a, axis=None, out=None, keepdims=False, *, where=None):
        no_out(out, name)
        a = uf._as_bool(a)
        axes = normalize_axes(axis, a.aval.ndim, name)
        return _reduce(prim, _masked(a, where, identity), axes, keepdims)
    fn.__name__ = fn.__qualname__ = name
    return fn


all = _truth_reduction(P.reduce_and_p, True, "all")
all.__doc__ = """True where every element along ``axis`` is truthy.

>>> all(asarray([[1, 0], [2, 3]]), axis=1).tolist()
[False, True]
"""
any = _truth_reduction(P.reduce_or_p, False, "any")
any.__doc__ = """True where some element along ``axis`` is truthy.

>>> any(asarray([[1, 0], [0, 0]]), axis=1).tolist()
[True, False]
"""


# ---- mean, var, std ------------------------------------------------------------------------------

def _compute_dtype(dtype):
    # float16 sums lose precision quickly; accumulate them in float32
    return dtypes.float32 if dtype == dtypes.float16 else dtype


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean over ``axis``; ints give float32 (float64 for 64-bit ints).

    >>> mean(asarray([[1, 2], [3, 4]]), axis=0).tolist()
    [2.0, 3.0]
    """
    no_out(out, "mean")
    a = as_operand(a)
    axes = normalize_axes(axis, a.aval.ndim, "mean")
    out_dtype = _mean_dtype(a.aval.dtype) if dtype is None else dtypes.canonicalize(dtype)
    work = _with_dtype(a, _compute_dtype(out_dtype))
    total = _reduce(P.reduce_sum_p, _masked(work, where, 0), axes, keepdims)
    count = _count(work, axes, where, _real_dtype(work.aval.dtype))
    if keepdims and not isinstance(count, int) and axes:
        count = expand_dims(count, axes)
    return convert(uf.true_divide(total, count), out_dtype)


def _real_dtype(dtype):
    return dtypes.float64 if dtype == dtypes.complex128 else (
        dtypes.float32 if dtype == dtypes.complex64 else dtype)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Variance ``sum(|a - mean|**2) / (n - ddof)`` over ``axis`` (real for complex input).

    >>> var(asarray([1.0, 2.0, 3.0, 4.0])).item()
    1.25
    """
    no_out(out, "var")
    a = as_operand(a)
    ddof = ddof if correction is None else correction
    axes = normalize_axes(axis, a.aval.ndim, "var")
    out_dtype = _mean_dtype(a.aval.dtype) if dtype is None else dtypes.canonicalize(dtype)
    work = _with_dtype(a, _compute_dtype(out_dtype))
    centered = uf.subtract(work, mean(work, axes, keepdims=True, where=where))
    squared = uf.square(uf.absolute(centered) if dtypes.is_complex(work.aval.dtype)
                        else centered)
    total = _reduce(P.reduce_sum_p, _masked(squared, where, 0), axes, keepdims)
    count = _count(squared, axes, where, squared.aval.dtype)
    if isinstance(count, int):
        divisor = builtins.max(count - ddof, 0)   # NumPy gives inf/NaN below zero dof
    else:
        divisor = uf.maximum(uf.subtract(count, ddof), 0)
        divisor = expand_dims(divisor, axes) if keepdims and axes else divisor
    return convert(uf.true_divide(total, divisor), _real_dtype(out_dtype))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Standard deviation: ``sqrt(var(...))``.

    >>> std(asarray([1.0, 3.0])).item()
    1.0
    """
    return uf.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


# ---- argmax, argmin -----------------------------------------------------------------------

def _arg_extremum(prim, name):
    def fn(a, axis=None, out=None, *, keepdims=False):
        no_out(out, name)
        a = as_operand(a)
        ndim = a.aval.ndim
        if axis is None:
            flat, axis_ = ravel(a), 0
        else:
            flat, axis_ = a, normalize_axis(axis, ndim, name)
        if flat.aval.shape[axis_] == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence "
                             f"({a.aval}, axis={axis})")
        out = bind(prim, flat, axis=axis_, index_dtype=_INDEX_DTYPE)
        if not keepdims:
            return out
        return expand_dims(out, tuple(range(ndim)) if axis is None else (axis_,))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"int32 index of the first {name[3:]} along ``axis`` (of the flattened "
                  f"array when ``axis`` is None; NaN counts as the {name[3:]}).")
    return fn


argmax = _arg_extremum(P.argmax_p, "argmax")
argmin = _arg_extremum(P.argmin_p, "argmin")


# ---- cumulative sums and products --------------------------------------------------------------

def _cumulative(prim, name):
    def fn(a, axis=None, dtype=None, out=None):
        no_out(out, name)
        a = as_operand(a)
        if axis is None:
            a, axis = ravel(a), 0
        axis = normalize_axis(axis, a.aval.ndim, name)
        target = _sum_dtype(a.aval.dtype) if dtype is None else dtypes.canonicalize(dtype)
        return bind(prim, _with_dtype(a, target), axis=axis, reverse=False)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"Running ``{name[3:]}`` along ``axis`` (of the flattened array when "
                  "``axis`` is None); small ints accumulate in int32.")
    return fn


cumsum = _cumulative(P.cumsum_p, "cumsum")
cumprod = _cumulative(P.cumprod_p, "cumprod")

__all__ = ["sum", "prod", "max", "amax", "min", "amin", "all", "any", "mean", "var", "std",
           "argmax", "argmin", "cumsum", "cumprod"]
