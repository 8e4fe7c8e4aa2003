"""The Array API standard (2023.12): the names ``functorch_lite.numpy`` adds to be a
conforming namespace, as ``jax.numpy`` is one.

``x.__array_namespace__()`` returns ``functorch_lite.numpy`` itself.  Most spec names
are NumPy's (``sum``, ``matmul``, ...); this module adds the others: the spec
spellings of NumPy functions (``acos`` is ``arccos``, ``concat`` is ``concatenate``,
``pow`` is ``power``, ...), the dtype functions (``isdtype``, ``can_cast``, ``finfo``
and ``iinfo`` taking arrays), ``matrix_transpose``, ``vecdot``, ``unstack``,
``cumulative_sum``/``cumulative_prod``, the ``unique_*`` set functions,
``__array_namespace_info__`` and a ``round`` that also takes complex input.  All are compositions, so they work under ``grad``,
``vmap`` and ``jit``; the ``unique_*`` functions have data-dependent shapes, so under
``jit`` they need the static ``size=`` (and optional ``fill_value=``) that ``unique``
takes.

Where the standard leaves things open, NumPy's behaviour is kept: ``can_cast``
follows NumPy's "safe" casting (which agrees with the standard's promotion table
within each kind); ``unique_*`` return sorted values, and NaNs are all distinct.

>>> import functorch_lite.numpy as fnp
>>> fnp.unique_counts(fnp.asarray([3, 1, 3])).counts
Array([1, 2], dtype=int32)
"""
from typing import NamedTuple

import numpy as np

from transforms.array import Array
from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from xla_like.backends import default_device, devices as _devices
from functorch_lite.numpy import _creation, _reductions, _shape, _sorting
from functorch_lite.numpy import _ufuncs as uf
from functorch_lite.numpy._complex import conj, imag, real
from functorch_lite.numpy._convert import as_operand, promote
from functorch_lite.numpy._indexing import getitem
from functorch_lite.numpy._shape import normalize_axis

__array_api_version__ = "2023.12"

__all__ = ["acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_invert",
           "bitwise_left_shift", "bitwise_right_shift", "pow", "concat", "permute_dims",
           "matrix_transpose", "vecdot", "unstack", "cumulative_sum", "cumulative_prod",
           "unique_all", "unique_counts", "unique_inverse", "unique_values", "isdtype",
           "can_cast", "finfo", "iinfo", "__array_namespace_info__", "round"]

# ---- the standard's spellings of NumPy's elementwise functions ------------------------------

acos, acosh, asin, asinh = uf.arccos, uf.arccosh, uf.arcsin, uf.arcsinh
atan, atan2, atanh = uf.arctan, uf.arctan2, uf.arctanh
bitwise_invert = uf.invert
bitwise_left_shift, bitwise_right_shift = uf.left_shift, uf.right_shift
pow = uf.power


def _round(a, decimals=0):
    """Round halves to even, to ``decimals`` places; complex numbers round their real
    and imaginary parts separately (as the standard and NumPy do).

    >>> round(fnp.asarray([1.5 + 2.5j])).tolist()
    [(2+2j)]
    """
    x = as_operand(a, "round: a")
    if not dtypes.is_complex(x.aval.dtype):
        return uf.round(x, decimals)
    parts = [uf.round(part(x), decimals) for part in (real, imag)]
    return bind(P.complex_p, *parts)


round = _round
round.__name__ = round.__qualname__ = "round"


# ---- manipulation ----------------------------------------------------------------------------

def concat(arrays, /, *, axis=0):
    """Join arrays along an existing ``axis`` (``axis=None``: flatten them first).

    >>> concat([fnp.ones(2), fnp.zeros(1)]).tolist()
    [1.0, 1.0, 0.0]
    """
    if axis is None:
        arrays, axis = [_shape.ravel(as_operand(a)) for a in arrays], 0
    return _shape.concatenate(arrays, axis=axis)


def permute_dims(x, /, axes):
    """``x`` with its axes reordered: output axis ``i`` is input axis ``axes[i]``.

    >>> permute_dims(fnp.ones((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    return _shape.transpose(x, tuple(axes))


def matrix_transpose(x, /):
    """The last two axes swapped (``x.mT``).

    >>> matrix_transpose(fnp.ones((5, 2, 3))).shape
    (5, 3, 2)
    """
    x = as_operand(x, "matrix_transpose: x")
    if x.aval.ndim < 2:
        raise ValueError(f"matrix_transpose: x needs at least 2 dimensions, got {x.aval}")
    return _shape.swapaxes(x, -1, -2)


def vecdot(x1, x2, /, *, axis=-1):
    """The dot product of vectors along ``axis`` of the broadcast arrays, conjugating
    ``x1``: ``sum(conj(x1) * x2, axis)``.

    >>> vecdot(fnp.asarray([1.0, 2.0]), fnp.asarray([[3.0, 4.0], [1.0, 0.0]])).tolist()
    [11.0, 1.0]
    """
    x1, x2 = promote(as_operand(x1, "vecdot: x1"), as_operand(x2, "vecdot: x2"))
    n1 = x1.aval.shape[normalize_axis(axis, x1.aval.ndim, "vecdot")]
    n2 = x2.aval.shape[normalize_axis(axis, x2.aval.ndim, "vecdot")]
    if n1 != n2:
        raise ValueError(f"vecdot: x1 {x1.aval} and x2 {x2.aval} have different sizes "
                         f"({n1} and {n2}) along axis {axis}")
    if dtypes.is_complex(x1.aval.dtype):
        x1 = conj(x1)
    return _reductions.sum(uf.multiply(x1, x2), axis=axis)


def unstack(x, /, *, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple of arrays.

    >>> [v.tolist() for v in unstack(fnp.asarray([[1, 2], [3, 4]]), axis=1)]
    [[1, 3], [2, 4]]
    """
    x = as_operand(x, "unstack: x")
    axis = normalize_axis(axis, x.aval.ndim, "unstack")
    index = (slice(None),) * axis
    return tuple(getitem(x, index + (i,)) for i in range(x.aval.shape[axis]))


# ---- cumulative sums and products ---------------------------------------------------------------

def _cumulative(running, identity, name):
    def fn(x, /, *, axis=None, dtype=None, include_initial=False):
        x = as_operand(x, f"{name}: x")
        if axis is None:
            if x.aval.ndim != 1:
                raise ValueError(f"{name}: axis is required for a {x.aval.ndim}-d array "
                                 f"({x.aval}); it may be omitted only for 1-d arrays")
            axis = 0
        axis = normalize_axis(axis, x.aval.ndim, name)
        out = running(x, axis=axis, dtype=dtype)
        if not include_initial:
            return out
        shape = out.aval.shape[:axis] + (1,) + out.aval.shape[axis + 1:]
        first = _creation.full(shape, identity, dtype=out.aval.dtype)
        return _shape.concatenate([first, out], axis=axis)
    fn.__name__ = fn.__qualname__ = name
    return fn


cumulative_sum = _cumulative(_reductions.cumsum, 0, "cumulative_sum")
cumulative_sum.__doc__ = """Running sums along ``axis`` (optional for 1-d ``x``); with
    ``include_initial`` the result starts with the empty sum 0 (one longer).

    >>> cumulative_sum(fnp.asarray([1, 2, 3]), include_initial=True).tolist()
    [0, 1, 3, 6]
    """
cumulative_prod = _cumulative(_reductions.cumprod, 1, "cumulative_prod")
cumulative_prod.__doc__ = """Running products along ``axis`` (optional for 1-d ``x``);
    with ``include_initial`` the result starts with the empty product 1.

    >>> cumulative_prod(fnp.asarray([1, 2, 3])).tolist()
    [1, 2, 6]
    """


# ---- set functions ---------------------------------------------------------------------------

class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def _unique(x, size, fill_value, **returns):
    return _sorting.unique(x, **returns, equal_nan=False, size=size, fill_value=fill_value)


def unique_all(x, /, *, size=None, fill_value=None):
    """The sorted unique values of ``x`` (flattened; NaNs are distinct), the index of
    each one's first occurrence, the inverse indices (shaped like ``x``:
    ``values[inverse_indices] == x``) and the counts.  Under ``jit`` pass a static
    ``size`` (results are cut or padded with ``fill_value``, default the smallest value;
    padded counts are 0).

    >>> unique_all(fnp.asarray([2, 1, 2])).indices.tolist()
    [1, 0]
    """
    out = _unique(x, size, fill_value, return_index=True, return_inverse=True,
                  return_counts=True)
    return UniqueAllResult(*out)


def unique_counts(x, /, *, size=None, fill_value=None):
    """``(values, counts)`` of ``unique_all``.

    >>> unique_counts(fnp.asarray([2, 1, 2])).counts.tolist()
    [1, 2]
    """
    return UniqueCountsResult(*_unique(x, size, fill_value, return_counts=True))


def unique_inverse(x, /, *, size=None, fill_value=None):
    """``(values, inverse_indices)`` of ``unique_all``.

    >>> unique_inverse(fnp.asarray([2, 1, 2])).inverse_indices.tolist()
    [1, 0, 1]
    """
    return UniqueInverseResult(*_unique(x, size, fill_value, return_inverse=True))


def unique_values(x, /, *, size=None, fill_value=None):
    """The sorted unique values of ``x`` (flattened; NaNs are distinct).

    >>> unique_values(fnp.asarray([2, 1, 2])).tolist()
    [1, 2]
    """
    return _unique(x, size, fill_value)


# ---- data type functions ----------------------------------------------------------------------

_KINDS = {
    "bool": dtypes.is_bool,
    "signed integer": dtypes.is_signed_int,
    "unsigned integer": dtypes.is_unsigned_int,
    "integral": dtypes.is_int,
    "real floating": dtypes.is_float,
    "complex floating": dtypes.is_complex,
    "numeric": lambda dt: dtypes.is_int(dt) or dtypes.is_inexact(dt),
}


def _as_dtype(dtype, name):
    try:
        return dtypes.canonicalize(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a dtype, got {dtype!r}") from None


def isdtype(dtype, kind):
    """Whether ``dtype`` is of ``kind``: a dtype, one of the kind names ("bool",
    "signed integer", "unsigned integer", "integral", "real floating", "complex
    floating", "numeric"), or a tuple of them.

    >>> isdtype(fnp.float32, ("integral", "real floating"))
    True
    """
    dtype = _as_dtype(dtype, "isdtype")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            if k not in _KINDS:
                raise ValueError(f"isdtype: unknown kind {k!r}; expected a dtype or one of "
                                 f"{sorted(_KINDS)}")
            if _KINDS[k](dtype):
                return True
        elif dtype == _as_dtype(k, "isdtype"):
            return True
    return False


def _dtype_of(x, name):
    if type(x) is Array or isinstance(x, Tracer) or isinstance(x, np.ndarray):
        return dtypes.canonicalize(x.dtype)
    return _as_dtype(x, name)


def can_cast(from_, to, /):
    """Whether ``from_`` (a dtype or an array) converts to dtype ``to`` without loss
    (NumPy's "safe" casting).

    >>> can_cast(fnp.int8, fnp.int16), can_cast(fnp.float64, fnp.float32)
    (True, False)
    """
    return bool(np.can_cast(_dtype_of(from_, "can_cast"), _as_dtype(to, "can_cast"),
                            casting="safe"))


def finfo(type, /):
    """Machine limits of a floating dtype (or an array's dtype): NumPy's ``finfo``
    object, with the standard's ``bits``, ``eps``, ``max``, ``min``,
    ``smallest_normal`` and ``dtype`` (a complex type describes its real parts).

    >>> finfo(fnp.ones(2)).bits
    32
    """
    return np.finfo(_dtype_of(type, "finfo"))


def iinfo(type, /):
    """Machine limits of an integer dtype (or an array's dtype): NumPy's ``iinfo``
    object, with ``bits``, ``max``, ``min`` and ``dtype``.

    >>> iinfo(fnp.int8).max
    127
    """
    return np.iinfo(_dtype_of(type, "iinfo"))


# ---- inspection -----------------------------------------------------------------------------

_SPEC_DTYPES = {
    "bool": dtypes.bool_, "int8": dtypes.int8, "int16": dtypes.int16, "int32": dtypes.int32,
    "int64": dtypes.int64, "uint8": dtypes.uint8, "uint16": dtypes.uint16,
    "uint32": dtypes.uint32, "uint64": dtypes.uint64, "float32": dtypes.float32,
    "float64": dtypes.float64, "complex64": dtypes.complex64, "complex128": dtypes.complex128,
}


class ArrayNamespaceInfo:
    """What ``__array_namespace_info__()`` describes: capabilities, devices, dtypes."""

    def capabilities(self):
        """Boolean indexing and data-dependent shapes (``nonzero``, ``unique_*``) work
        eagerly but not under ``jit`` (there they need ``size=``), so both are False."""
        return {"boolean indexing": False, "data-dependent shapes": False}

    def default_device(self):
        return default_device()

    def devices(self):
        return list(_devices())

    def default_dtypes(self, *, device=None):
        """Python data becomes float32 / complex64 / int32; indices are int32."""
        self._check(device)
        return {"real floating": dtypes.default_float,
                "complex floating": dtypes.default_complex,
                "integral": dtypes.default_int, "indexing": dtypes.int32}

    def dtypes(self, *, device=None, kind=None):
        """The spec's dtypes (all supported), by name, optionally only those of
        ``kind`` (as in ``isdtype``)."""
        self._check(device)
        return {name: dt for name, dt in _SPEC_DTYPES.items()
                if kind is None or isdtype(dt, kind)}

    def _check(self, device):
        if device is not None and device not in _devices():
            raise ValueError(f"__array_namespace_info__: unknown device {device!r}; "
                             f"available: {_devices()}")


def __array_namespace_info__():
    """The inspection object of the Array API standard.

    >>> fnp.__array_namespace_info__().default_dtypes()["integral"]
    dtype('int32')
    """
    return ArrayNamespaceInfo()


def namespace_of(x, api_version=None):
    """``x.__array_namespace__(api_version)``: ``functorch_lite.numpy`` (versions 2021.12
    to 2023.12 are all served by it)."""
    if api_version is not None and api_version not in ("2021.12", "2022.12", "2023.12"):
        raise ValueError(f"__array_namespace__: unsupported Array API version "
                         f"{api_version!r}; this namespace implements 2023.12")
    import functorch_lite.numpy
    return functorch_lite.numpy

