"""Integer and bit functions (``gcd``, ``lcm``, ``bitwise_count``, ``packbits``,
``unpackbits``), ``setxor1d`` (static ``size=`` under jit, like the other set
operations), ``sort_complex``, ``array_equiv``, ``matvec``/``vecmat``, ``choose``,
``compress``/``extract``, and the type predicates (``iscomplex``, ``isreal``, and the
static ``iscomplexobj``, ``isrealobj``, ``isscalar``, ``iterable``, ``issubdtype``).
"""
import operator

import numpy as np

from transforms.core import Tracer, bind
from transforms.errors import ConcretizationError
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import (as_operand, asarray, broadcast_shapes,
                                           broadcast_to, convert, is_array, promote)
from functorch_lite.numpy._indexing import getitem, take, take_along_axis
from functorch_lite.numpy._linalg_core import matmul
from functorch_lite.numpy._manipulation import _slice_axis
from functorch_lite.numpy._reductions import all as all_, any as any_, sum as sum_
from functorch_lite.numpy._shape import (broadcast_arrays, concatenate, expand_dims,
                                         normalize_axis, ravel, reshape, stack)
from functorch_lite.numpy._sorting import _nonzero, _pick, _sorted_runs, isin
from functorch_lite.numpy import _ufuncs as uf


def _int_operands(x1, x2, name):
    x, y = promote(as_operand(x1), as_operand(x2))
    if not dtypes.is_int(x.aval.dtype):
        raise TypeError(f"{name}: arguments must be integers, got {x.aval.dtype}")
    shape = broadcast_shapes(x.aval.shape, y.aval.shape)
    return broadcast_to(x, shape), broadcast_to(y, shape)


def gcd(x1, x2, /):
    """Greatest common divisor of ``|x1|`` and ``|x2|`` (elementwise).

    >>> gcd(asarray([12, 20]), 8).tolist()
    [4, 4]
    """
    from functorch_lite._control_flow import while_loop   # functorch_lite imports us
    a, b = _int_operands(x1, x2, "gcd")

    def step(ab):                    # Euclid: (a, b) -> (b, a mod b) where b != 0
        a, b = ab
        nonzero_b = uf.not_equal(b, 0)
        safe = uf.where(nonzero_b, b, 1)
        return uf.where(nonzero_b, b, a), uf.where(nonzero_b, uf.remainder(a, safe), b)
    return while_loop(lambda ab: any_(uf.not_equal(ab[1], 0)), step,
                      (uf.absolute(a), uf.absolute(b)))[0]


def lcm(x1, x2, /):
    """Least common multiple of ``|x1|`` and ``|x2|`` (0 when either is 0).

    >>> lcm(asarray([4, 6]), 10).tolist()
    [20, 30]
    """
    a, b = _int_operands(x1, x2, "lcm")
    g = gcd(a, b)
    zero = uf.equal(g, 0)
    return uf.where(zero, 0, uf.absolute(uf.multiply(uf.floor_divide(a, uf.where(zero, 1, g)),
                                                     b)))


# popcount by summing bit pairs, nibbles, bytes (the classic SWAR reduction)
_SWAR_MASKS = (0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x0101010101010101)


def bitwise_count(x, /):
    """The number of 1 bits in ``|x|`` (uint8).

    >>> bitwise_count(asarray([7, -8])).tolist()
    [3, 1]
    """
    x = as_operand(x)
    if not dtypes.is_int(x.aval.dtype):
        raise TypeError(f"bitwise_count: input must be integers, got {x.aval.dtype}")
    width = x.aval.dtype.itemsize
    unsigned = np.dtype(f"uint{8 * width}")
    u = convert(uf.absolute(x) if x.aval.dtype.kind == "i" else x, unsigned)
    m1, m2, m4, h01 = (unsigned.type(m & ((1 << (8 * width)) - 1)) for m in _SWAR_MASKS)
    u = uf.subtract(u, uf.bitwise_and(uf.right_shift(u, unsigned.type(1)), m1))
    u = uf.add(uf.bitwise_and(u, m2), uf.bitwise_and(uf.right_shift(u, unsigned.type(2)), m2))
    u = uf.bitwise_and(uf.add(u, uf.right_shift(u, unsigned.type(4))), m4)
    u = uf.right_shift(uf.multiply(u, h01), unsigned.type(8 * width - 8))
    return convert(u, dtypes.uint8)


def _bit_weights(bitorder, name):
    if bitorder not in ("big", "little"):
        raise ValueError(f"{name}: bitorder must be 'big' or 'little', got {bitorder!r}")
    w = 1 << np.arange(8)
    return w[::-1] if bitorder == "big" else w


def packbits(a, axis=None, bitorder="big"):
    """Pack the truth of each entry into the bits of uint8s along ``axis`` (zero-padded
    to a multiple of 8).

    >>> packbits(asarray([1, 0, 1])).tolist()
    [160]
    """
    a = as_operand(a)
    if not (dtypes.is_int(a.aval.dtype) or dtypes.is_bool(a.aval.dtype)):
        raise TypeError(f"packbits: input must be integers or booleans, got {a.aval.dtype}")
    weights = _bit_weights(bitorder, "packbits")
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.aval.ndim, "packbits")
    bits = convert(uf.not_equal(a, 0), dtypes.int32)
    n = bits.aval.shape[axis]
    pad = [(0, 0, 0)] * bits.aval.ndim
    pad[axis] = (0, -n % 8, 0)
    bits = bind(P.pad_p, bits, convert(as_operand(0), dtypes.int32), padding_config=tuple(pad))
    shape = bits.aval.shape
    bits = reshape(bits, shape[:axis] + (shape[axis] // 8, 8) + shape[axis + 1:])
    w = reshape(asarray(weights.astype(np.int32)), (8,) + (1,) * (bits.aval.ndim - axis - 2))
    return convert(sum_(uf.multiply(bits, w), axis=axis + 1), dtypes.uint8)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """The bits of a uint8 array along ``axis``, as uint8 0/1 (``count`` keeps that many).

    >>> unpackbits(asarray(np.uint8([160])))[:3].tolist()
    [1, 0, 1]
    """
    a = as_operand(a)
    if a.aval.dtype != dtypes.uint8:
        raise TypeError(f"unpackbits: input must be uint8, got {a.aval.dtype}")
    shifts = np.log2(_bit_weights(bitorder, "unpackbits")).astype(np.uint8)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.aval.ndim, "unpackbits")
    x = expand_dims(a, axis + 1)
    s = reshape(asarray(shifts), (8,) + (1,) * (a.aval.ndim - axis - 1))
    bits = uf.bitwise_and(uf.right_shift(x, s), np.uint8(1))
    shape = a.aval.shape
    bits = reshape(bits, shape[:axis] + (shape[axis] * 8,) + shape[axis + 1:])
    if count is None:
        return bits
    n = bits.aval.shape[axis]
    count = operator.index(count)
    if count < -n:
        raise ValueError(f"unpackbits: -count larger than number of elements ({-count} > {n})")
    count = count if count >= 0 else n + count
    if count <= n:
        return _slice_axis(bits, axis, 0, count)
    pad = [(0, 0, 0)] * bits.aval.ndim
    pad[axis] = (0, count - n, 0)
    return bind(P.pad_p, bits, convert(as_operand(0), dtypes.uint8), padding_config=tuple(pad))


# ---- sets, sorting, comparison ------------------------------------------------------------

def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique values in exactly one of ``ar1`` and ``ar2``; a static ``size=``
    pads (with ``fill_value``) or truncates, as under jit it must.

    >>> setxor1d(asarray([1, 2, 3]), asarray([2, 4])).tolist()
    [1, 3, 4]
    """
    a1, a2 = promote(ravel(as_operand(ar1)), ravel(as_operand(ar2)))
    s, _, first = _sorted_runs(concatenate([a1, a2]))
    mask = uf.logical_and(first, uf.not_equal(isin(s, a1), isin(s, a2)))
    return _pick(s, mask, size, fill_value, "setxor1d")[0]


def sort_complex(a):
    """Sort by real part, then imaginary part; the result is complex (complex64 for
    inputs of 32 bits or fewer, as in JAX).

    >>> sort_complex(asarray([2.0, 1.0])).tolist()
    [(1+0j), (2+0j)]
    """
    a = as_operand(a)
    if dtypes.is_complex(a.aval.dtype):
        re, im = bind(P.real_p, a), bind(P.imag_p, a)
    else:
        wide = a.aval.dtype.itemsize == 8
        re = convert(a, dtypes.float64 if wide else dtypes.float32)
        im = uf.multiply(re, 0.0)
    axis = a.aval.ndim - 1
    re, im = bind(P.sort_p, re, im, dimension=axis, is_stable=True, num_keys=2)
    return bind(P.complex_p, re, im)


def array_equiv(a1, a2):
    """True if the arrays broadcast together and are equal everywhere.

    >>> bool(array_equiv(asarray([1, 2]), asarray([[1, 2], [1, 2]])))
    True
    """
    a, b = as_operand(a1), as_operand(a2)
    try:
        broadcast_shapes(a.aval.shape, b.aval.shape)
    except ValueError:
        return asarray(False)
    return all_(uf.equal(a, b))


def matvec(x1, x2, /):
    """Matrix-vector product over the last axes: ``(..., m, n) x (..., n) -> (..., m)``.

    >>> matvec(eye(2), asarray([1.0, 2.0])).tolist()
    [1.0, 2.0]
    """
    a, v = as_operand(x1), as_operand(x2)
    if a.aval.ndim < 2 or v.aval.ndim < 1:
        raise ValueError(f"matvec: needs a matrix and a vector, got {a.aval} and {v.aval}")
    return getitem(matmul(a, expand_dims(v, -1)), (Ellipsis, 0))


def vecmat(x1, x2, /):
    """Vector-matrix product ``conj(x1) @ x2`` over the last axes:
    ``(..., n) x (..., n, m) -> (..., m)``.

    >>> vecmat(asarray([1.0, 2.0]), eye(2)).tolist()
    [1.0, 2.0]
    """
    v, a = as_operand(x1), as_operand(x2)
    if v.aval.ndim < 1 or a.aval.ndim < 2:
        raise ValueError(f"vecmat: needs a vector and a matrix, got {v.aval} and {a.aval}")
    if dtypes.is_complex(v.aval.dtype):
        v = bind(P.conj_p, v)
    return getitem(matmul(expand_dims(v, -2), a), (Ellipsis, 0, slice(None)))


# ---- choose, compress, extract --------------------------------------------------------------

def choose(a, choices, out=None, mode="raise"):
    """``choices[a[i]][i]`` for every position ``i`` (all arguments broadcast);
    ``mode`` ``'raise'`` (checked when ``a`` is concrete, clipped when traced),
    ``'wrap'`` or ``'clip'``.

    >>> choose(asarray([1, 0]), [asarray([1, 2]), asarray([3, 4])]).tolist()
    [3, 2]
    """
    if out is not None:
        raise ValueError("choose: out= is not supported (arrays are immutable)")
    idx = as_operand(a)
    if not dtypes.is_int(idx.aval.dtype):
        raise TypeError(f"choose: a must be integers, got {idx.aval.dtype}")
    choices = promote(*[as_operand(c) for c in choices])
    n = len(choices)
    if n == 0:
        raise ValueError("choose: choices must not be empty")
    parts = broadcast_arrays(idx, *choices)
    idx, choices = parts[0], parts[1:]
    if mode == "wrap":
        idx = uf.remainder(idx, n)
    elif mode in ("clip", "raise"):
        if mode == "raise" and not isinstance(idx, Tracer):
            values = np.asarray(idx)
            if ((values < 0) | (values >= n)).any():
                raise ValueError(f"choose: invalid entry in a: values must be in [0, {n})")
        idx = uf.clip(idx, 0, n - 1)
    else:
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    stacked = stack(choices, axis=0)
    picked = take_along_axis(stacked, expand_dims(convert(idx, dtypes.int32), 0), 0)
    return getitem(picked, (0,))


def compress(condition, a, axis=None, *, size=None, fill_value=0):
    """The slices of ``a`` along ``axis`` where the 1-d ``condition`` is true (the
    flattened array when ``axis`` is None).  Under jit pass a static ``size=``: extra
    slots hold ``fill_value``.

    >>> compress(asarray([True, False, True]), asarray([1, 2, 3])).tolist()
    [1, 3]
    """
    cond = as_operand(condition)
    if cond.aval.ndim != 1:
        raise ValueError(f"compress: condition must be 1-d, got {cond.aval}")
    a = as_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.aval.ndim, "compress")
    n, m = a.aval.shape[axis], cond.aval.shape[0]
    if m > n:        # NumPy allows a longer condition only if the extra entries are False
        try:
            if np.asarray(cond)[n:].any():
                raise IndexError(f"compress: condition has True entries beyond the "
                                 f"{n} entries of axis {axis}")
        except ConcretizationError:
            pass
        cond = _slice_axis(cond, 0, 0, n)
    elif m < n:
        a = _slice_axis(a, axis, 0, m)
    if not isinstance(cond, Tracer):           # a constant condition: static positions
        pos = np.flatnonzero(np.asarray(cond))
        out = take(a, pos, axis)
        count = pos.size
        if size is None or size == count:
            return out
    (pos,) = _nonzero(cond, size, 0, "compress")
    out = take(a, pos, axis)
    if size is None:
        return out
    valid = uf.less(bind(P.iota_p, dtype=dtypes.int32, shape=(size,), dimension=0),
                    sum_(uf.not_equal(cond, False), dtype=np.int32))
    shape = [1] * out.aval.ndim
    shape[axis] = size
    return uf.where(reshape(valid, tuple(shape)), out, convert(as_operand(fill_value),
                                                               out.aval.dtype))


def extract(condition, arr, *, size=None, fill_value=0):
    """The entries of ``arr`` where ``condition`` is true, flattened.

    >>> extract(asarray([[True, False]]), asarray([[1, 2]])).tolist()
    [1]
    """
    cond = as_operand(condition)
    flat = ravel(cond if dtypes.is_bool(cond.aval.dtype) else uf.not_equal(cond, 0))
    try:
        return compress(flat, ravel(as_operand(arr)), size=size, fill_value=fill_value)
    except ConcretizationError as e:
        raise ConcretizationError(str(e).replace("compress:", "extract:", 1)) from e


# ---- type predicates ----------------------------------------------------------------------

def iscomplex(x):
    """True where the imaginary part is non-zero.

    >>> iscomplex(asarray([1 + 1j, 2])).tolist()
    [True, False]
    """
    x = as_operand(x)
    if dtypes.is_complex(x.aval.dtype):
        return uf.not_equal(bind(P.imag_p, x), 0)
    return broadcast_to(asarray(False), x.aval.shape)


def isreal(x):
    """True where the imaginary part is zero.  ``isreal(asarray([1.0])).tolist() == [True]``"""
    return uf.logical_not(iscomplex(x))


def _dtype_of(x):
    if is_array(x):
        return x.aval.dtype
    return getattr(x, "dtype", None) or np.asarray(x).dtype


def iscomplexobj(x):
    """Whether ``x`` has a complex dtype (a static Python bool).

    >>> iscomplexobj(asarray([1.0]))
    False
    """
    return _dtype_of(x).kind == "c"


def isrealobj(x):
    """Whether ``x`` has a non-complex dtype (a static Python bool).

    >>> isrealobj(asarray([1.0]))
    True
    """
    return not iscomplexobj(x)


def isscalar(element):
    """Whether ``element`` is a scalar: a Python or NumPy scalar, or (as in JAX) a
    0-d array.

    >>> isscalar(3.0), isscalar(asarray([1.0]))
    (True, False)
    """
    if is_array(element):
        return element.aval.ndim == 0
    return bool(np.isscalar(element))


def iterable(y):
    """Whether ``iter(y)`` works (0-d arrays are not iterable).

    >>> iterable(asarray([1])), iterable(2)
    (True, False)
    """
    if is_array(y):
        return y.aval.ndim > 0
    return bool(np.iterable(y))


def issubdtype(arg1, arg2):
    """NumPy's dtype hierarchy test; an array (first argument) stands for its dtype.

    >>> issubdtype(float32, floating)
    True
    """
    if is_array(arg1) or isinstance(arg1, np.ndarray):
        arg1 = arg1.dtype
    return bool(np.issubdtype(arg1, arg2))


__all__ = ["gcd", "lcm", "bitwise_count", "packbits", "unpackbits", "setxor1d",
           "sort_complex", "array_equiv", "matvec", "vecmat", "choose", "compress", "extract",
           "iscomplex", "isreal", "iscomplexobj", "isrealobj", "isscalar", "iterable",
           "issubdtype"]
