"""Statistics: nan-aware reductions, order statistics (``quantile``, ``median``, ...),
``average``, ``cov``/``corrcoef`` and counting (``bincount``, ``digitize``,
``histogram``), composed of existing primitives.

Differences from NumPy worth knowing:

* float32 inputs stay float32 (NumPy's ``cov``/``corrcoef`` always return float64);
  ints give float32 (float64 for 64-bit ints), as ``mean`` does.
* Counts (``bincount`` without weights, ``histogram``) are int32.
* ``bincount`` and integer ``bins`` need static sizes under ``jit``/``vmap``: pass
  ``length=`` to ``bincount``; ``histogram``'s ``bins`` is static.  Traced negative
  values in ``bincount`` are dropped (concrete ones raise, as in NumPy).
* Quantile methods: 'linear' (default), 'lower', 'higher', 'nearest', 'midpoint'.
"""
import builtins
import operator

import numpy as np

from transforms.array import from_scalar
from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert, promote
from functorch_lite.numpy._creation import linspace
from functorch_lite.numpy._indexing import getitem, take_along_axis
from functorch_lite.numpy._linalg_core import matmul
from functorch_lite.numpy._reductions import (_mean_dtype, all as all_, max as max_, mean,
                                              min as min_, no_out, prod, sum, var)
from functorch_lite.numpy._shape import (atleast_2d, concatenate, expand_dims, flip,
                                         moveaxis, normalize_axes, ravel, reshape, squeeze)
from functorch_lite.numpy._sorting import _INDEX, searchsorted, static_size
from functorch_lite.numpy import _ufuncs as uf


def _float_operand(a):
    """``a`` as an inexact array (ints become float32, or float64 for 64-bit ints)."""
    a = as_operand(a)
    return convert(a, _mean_dtype(a.aval.dtype)) if not dtypes.is_inexact(a.aval.dtype) else a


def _nan_to(a, value):
    return uf.where(uf.isnan(a), value, a) if dtypes.is_inexact(a.aval.dtype) else a


def _not_nan(a, where):
    keep = uf.logical_not(uf.isnan(a))
    return keep if where is None else uf.logical_and(keep, where)


# ---- nan-aware reductions -----------------------------------------------------------------

def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``sum`` treating NaN as zero.

    >>> nansum(asarray([1.0, nan, 2.0])).item()
    3.0
    """
    return sum(_nan_to(as_operand(a), 0), axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``prod`` treating NaN as one.

    >>> nanprod(asarray([2.0, nan, 3.0])).item()
    6.0
    """
    return prod(_nan_to(as_operand(a), 1), axis, dtype, out, keepdims, initial, where)


def _nan_extremum(reduce, fill, name):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        no_out(out, name)
        a = as_operand(a)
        if not dtypes.is_inexact(a.aval.dtype):
            return reduce(a, axis, keepdims=keepdims, initial=initial, where=where)
        nan = uf.isnan(a)
        result = reduce(uf.where(nan, fill, a), axis, keepdims=keepdims, initial=initial,
                        where=where)
        if initial is not None:
            return result
        return uf.where(all_(nan, axis, keepdims=keepdims), np.nan, result)   # NumPy: NaN
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name[3:]}`` ignoring NaNs (NaN for an all-NaN slice)."
    return fn


nanmax = _nan_extremum(max_, -np.inf, "nanmax")
nanmax.__doc__ += "\n\n>>> nanmax(asarray([1.0, nan, 2.0])).item()\n2.0\n"
nanmin = _nan_extremum(min_, np.inf, "nanmin")
nanmin.__doc__ += "\n\n>>> nanmin(asarray([1.0, nan, 2.0])).item()\n1.0\n"


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """``mean`` over the non-NaN entries.

    >>> nanmean(asarray([1.0, nan, 3.0])).item()
    2.0
    """
    a = as_operand(a)
    if not dtypes.is_inexact(a.aval.dtype):
        return mean(a, axis, dtype, out, keepdims, where=where)
    # zero the NaNs first: masked-out NaNs would still poison the derivatives
    return mean(_nan_to(a, 0), axis, dtype, out, keepdims, where=_not_nan(a, where))


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           correction=None):
    """``var`` over the non-NaN entries.

    >>> nanvar(asarray([1.0, nan, 3.0])).item()
    1.0
    """
    a = as_operand(a)
    if not dtypes.is_inexact(a.aval.dtype):
        return var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction)
    return var(_nan_to(a, 0), axis, dtype, out, ddof, keepdims, where=_not_nan(a, where),
               correction=correction)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           correction=None):
    """``std`` over the non-NaN entries.

    >>> nanstd(asarray([1.0, nan, 3.0])).item()
    1.0
    """
    return uf.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where,
                          correction=correction))


def ptp(a, axis=None, out=None, keepdims=False):
    """Peak to peak: ``max - min`` along ``axis``.

    >>> ptp(asarray([[1, 5], [3, 2]]), axis=1).tolist()
    [4, 1]
    """
    no_out(out, "ptp")
    a = as_operand(a)
    return uf.subtract(max_(a, axis, keepdims=keepdims), min_(a, axis, keepdims=keepdims))


# ---- quantiles ------------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _lerp(lo, hi, t):
    # NumPy's formula: exact at both ends, monotonic in t
    diff = uf.subtract(hi, lo)
    return uf.where(uf.greater_equal(t, 0.5), uf.subtract(hi, uf.multiply(diff, 1 - t)),
                    uf.add(lo, uf.multiply(diff, t)))


def _interpolate(x, pos, count, method):
    """Order statistic at fractional ``pos`` along the last axis of the sorted ``x``."""
    last = uf.maximum(uf.subtract(count, 1), 0)
    below = uf.floor(pos)
    if method == "nearest":
        below = uf.rint(pos)        # NumPy rounds half to even
    elif method == "higher":
        below = uf.ceil(pos)

    def at(i):
        i = convert(uf.clip(uf.minimum(i, last), 0, None), _INDEX)
        return squeeze(take_along_axis(x, expand_dims(i, -1), -1, mode="clip"), -1)
    lo = at(below)
    if method in ("lower", "higher", "nearest"):
        return lo
    hi = at(uf.add(below, 1))
    frac = uf.subtract(pos, below)
    if method == "midpoint":
        frac = uf.where(uf.equal(frac, 0), 0.0, 0.5)
    return _lerp(lo, hi, convert(frac, x.aval.dtype))


def _quantile(a, q, axis, method, keepdims, name, ignore_nan):
    if method not in _METHODS:
        raise ValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    a, q = promote(_float_operand(a), _float_operand(q))
    axes = normalize_axes(axis, a.aval.ndim, name)
    if builtins.any(a.aval.shape[i] == 0 for i in axes):
        raise ValueError(f"{name}: cannot take a quantile over an empty axis of {a.aval}")
    rest = [i for i in range(a.aval.ndim) if i not in axes]
    moved = moveaxis(a, list(axes), list(range(len(rest), a.aval.ndim)))
    n = int(np.prod([a.aval.shape[i] for i in axes], dtype=np.int64))
    x = bind(P.sort_p, reshape(moved, moved.aval.shape[:len(rest)] + (n,)), dimension=len(rest),
             is_stable=True, num_keys=1)[0]
    has_nan = uf.isnan(getitem(x, (Ellipsis, -1)))     # NaNs sort last
    count = sum(uf.logical_not(uf.isnan(x)), -1, dtype=x.aval.dtype) if ignore_nan else n
    qs = reshape(q, q.aval.shape + (1,) * len(rest))
    x = reshape(x, (1,) * q.aval.ndim + x.aval.shape)
    pos = uf.multiply(qs, uf.subtract(count, 1))
    out = _interpolate(x, broadcast_to(pos, q.aval.shape + x.aval.shape[q.aval.ndim:-1]),
                       count, method)
    empty = uf.equal(count, 0) if ignore_nan else has_nan
    out = uf.where(empty, np.nan, out)
    if keepdims:
        out = expand_dims(out, tuple(q.aval.ndim + i for i in axes))
    return out


def quantile(a, q, axis=None, method="linear", keepdims=False, *, interpolation=None):
    """The ``q``-th quantiles (``0 <= q <= 1``) of ``a`` along ``axis``; an array ``q``
    adds its dimensions in front.  NaN in a slice gives NaN.

    >>> quantile(asarray([1.0, 2.0, 3.0, 4.0]), 0.5).item()
    2.5
    """
    return _quantile(a, q, axis, interpolation or method, keepdims, "quantile", False)


def nanquantile(a, q, axis=None, method="linear", keepdims=False, *, interpolation=None):
    """``quantile`` of the non-NaN entries (NaN for an all-NaN slice).

    >>> nanquantile(asarray([1.0, nan, 3.0]), 0.5).item()
    2.0
    """
    return _quantile(a, q, axis, interpolation or method, keepdims, "nanquantile", True)


def percentile(a, q, axis=None, method="linear", keepdims=False, *, interpolation=None):
    """``quantile`` with ``q`` in percent.

    >>> percentile(asarray([1.0, 2.0, 3.0]), 50).item()
    2.0
    """
    q = uf.true_divide(_float_operand(q), 100)
    return _quantile(a, q, axis, interpolation or method, keepdims, "percentile", False)


def nanpercentile(a, q, axis=None, method="linear", keepdims=False, *, interpolation=None):
    """``nanquantile`` with ``q`` in percent.

    >>> nanpercentile(asarray([1.0, nan, 3.0]), 50).item()
    2.0
    """
    q = uf.true_divide(_float_operand(q), 100)
    return _quantile(a, q, axis, interpolation or method, keepdims, "nanpercentile", True)


def median(a, axis=None, keepdims=False):
    """The median along ``axis`` (the mean of the middle two for an even count).

    >>> median(asarray([3.0, 1.0, 2.0, 4.0])).item()
    2.5
    """
    return _quantile(a, 0.5, axis, "linear", keepdims, "median", False)


def nanmedian(a, axis=None, keepdims=False):
    """The median of the non-NaN entries.

    >>> nanmedian(asarray([3.0, nan, 1.0])).item()
    2.0
    """
    return _quantile(a, 0.5, axis, "linear", keepdims, "nanmedian", True)


# ---- average, cov, corrcoef ---------------------------------------------------------------

def _weights_along(w, a, axis):
    """1-d ``weights`` given for one ``axis`` of ``a``, broadcast to ``a``'s shape."""
    if axis is None:
        raise TypeError("average: axis must be given when a and weights differ in shape "
                        f"({a.aval.shape} vs {w.aval.shape})")
    axes = normalize_axes(axis, a.aval.ndim, "average")
    if w.aval.ndim != 1 or len(axes) != 1 or w.aval.shape[0] != a.aval.shape[axes[0]]:
        raise ValueError(f"average: 1-d weights {w.aval.shape} must match the length of "
                         f"axis {axis} of a {a.aval.shape}")
    shape = [1] * a.aval.ndim
    shape[axes[0]] = w.aval.shape[0]
    return broadcast_to(reshape(w, tuple(shape)), a.aval.shape)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Weighted mean along ``axis``; with ``returned`` also the sum of the weights.

    >>> average(asarray([1.0, 3.0]), weights=asarray([3.0, 1.0])).item()
    1.5
    """
    a = _float_operand(a)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        count = a.aval.size // builtins.max(avg.aval.size, 1) if a.aval.size else 0
        scale = broadcast_to(convert(from_scalar(count), avg.aval.dtype), avg.aval.shape)
        return (avg, scale) if returned else avg
    a, w = promote(a, _float_operand(weights))
    if w.aval.shape != a.aval.shape:
        w = _weights_along(w, a, axis)
    scale = sum(w, axis, keepdims=keepdims)
    avg = uf.true_divide(sum(uf.multiply(a, w), axis, keepdims=keepdims), scale)
    return (avg, broadcast_to(scale, avg.aval.shape)) if returned else avg


def _observations(m, y, rowvar):
    x = atleast_2d(_float_operand(m))
    if not rowvar and x.aval.shape[0] != 1:
        x = _transpose2d(x)
    if y is not None:
        y = atleast_2d(_float_operand(y))
        if not rowvar and y.aval.shape[0] != 1:
            y = _transpose2d(y)
        x, y = promote(x, y)
        x = concatenate([x, y], axis=0)
    return x


def _transpose2d(x):
    return bind(P.transpose_p, x, permutation=(1, 0))


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None):
    """Covariance matrix of the variables in the rows of ``m`` (columns if not
    ``rowvar``), with optional frequency and analytic weights.

    >>> cov(asarray([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    x = _observations(m, y, rowvar)
    ddof = (0 if bias else 1) if ddof is None else ddof
    w = None
    if fweights is not None:
        fw = as_operand(fweights)
        if fw.aval.dtype.kind not in "iu" or fw.aval.ndim != 1:
            raise TypeError(f"cov: fweights must be a 1-d integer array, got {fw.aval}")
        w = convert(fw, x.aval.dtype)
    if aweights is not None:
        aw = convert(as_operand(aweights), x.aval.dtype)
        w = aw if w is None else uf.multiply(w, aw)
    avg, w_sum = average(x, axis=1, weights=w, returned=True)
    w_sum = getitem(w_sum, (0,))
    if w is None:
        fact = x.aval.shape[1] - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = uf.subtract(w_sum, ddof)
    else:
        fact = uf.subtract(w_sum, uf.true_divide(
            uf.multiply(ddof, sum(uf.multiply(w, aw))), w_sum))
    fact = uf.maximum(fact, 0)
    centered = uf.subtract(x, expand_dims(avg, 1))
    weighted = centered if w is None else uf.multiply(centered, w)
    c = uf.true_divide(matmul(centered, _transpose2d(weighted)), fact)
    return squeeze(c)


def corrcoef(x, y=None, rowvar=True):
    """Pearson correlation coefficients, ``cov`` normalized to ``[-1, 1]``.

    >>> corrcoef(asarray([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    c = cov(x, y, rowvar)
    if c.aval.ndim == 0:
        return uf.true_divide(c, c)
    n = c.aval.shape[0]
    d = uf.sqrt(getitem(c, (np.arange(n), np.arange(n))))
    c = uf.true_divide(uf.true_divide(c, expand_dims(d, 1)), expand_dims(d, 0))
    return uf.clip(c, -1, 1)


# ---- counting -------------------------------------------------------------------------------

def _scatter_add_counts(index, values, length):
    """``out[index[i]] += values[i]`` into ``length`` zeros; out-of-range indices drop."""
    zeros = broadcast_to(convert(from_scalar(0), values.aval.dtype), (length,))
    return bind(P.scatter_add_p, zeros, expand_dims(convert(index, _INDEX), -1), values,
                axes=(0,), mode="drop")


def bincount(x, weights=None, minlength=0, *, length=None):
    """How often each value ``0 .. length-1`` occurs in the non-negative ints ``x``
    (summing ``weights`` instead of ones when given).

    >>> bincount(asarray([0, 2, 2])).tolist()
    [1, 0, 2]
    """
    x = as_operand(x)
    if x.aval.dtype.kind not in "iu" or x.aval.ndim != 1:
        raise TypeError(f"bincount: x must be a 1-d array of ints, got {x.aval}")
    minlength = operator.index(minlength)
    if length is None:
        if x.aval.size and int(static_size(None, lambda: min_(x), "bincount", "length")) < 0:
            raise ValueError("bincount: x must be non-negative")
        top = static_size(None, lambda: max_(x) if x.aval.size else -1, "bincount", "length")
        length = builtins.max(minlength, top + 1)
    if weights is None:
        values = broadcast_to(convert(from_scalar(1), _INDEX), x.aval.shape)
    else:
        values = _float_operand(weights)
        if values.aval.shape != x.aval.shape:
            raise ValueError(f"bincount: weights {values.aval.shape} must have the shape "
                             f"of x {x.aval.shape}")
    return _scatter_add_counts(x, values, static_size(length, None, "bincount", "length"))


def digitize(x, bins, right=False):
    """Index of the bin of each ``x`` for monotonic ``bins`` (increasing or decreasing).

    >>> digitize(asarray([0.5, 1.5, 3.0]), asarray([0.0, 1.0, 2.0])).tolist()
    [1, 2, 3]
    """
    bins = as_operand(bins)
    if bins.aval.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-d, got {bins.aval}")
    n = bins.aval.shape[0]
    x = as_operand(x)
    if n == 0:
        return broadcast_to(convert(from_scalar(0), _INDEX), x.aval.shape)
    side = "left" if right else "right"
    up = searchsorted(bins, x, side)
    down = uf.subtract(n, searchsorted(flip(bins), x, side))
    increasing = uf.greater_equal(getitem(bins, (-1,)), getitem(bins, (0,)))
    return uf.where(increasing, up, down)


def _bin_edges(a, bins, range, name):
    try:
        nbins = operator.index(bins)
    except TypeError:
        edges = _float_operand(bins)
        if edges.aval.ndim != 1 or edges.aval.shape[0] < 2:
            raise ValueError(f"{name}: bins must be an int or a 1-d array of at least two "
                             f"edges, got {edges.aval}") from None
        return edges
    if nbins < 1:
        raise ValueError(f"{name}: bins must be a positive int, got {nbins}")
    if range is not None:
        lo, hi = (_float_operand(v) for v in range)
    elif a.aval.size:
        lo, hi = min_(a), max_(a)
    else:
        lo, hi = _float_operand(0.0), _float_operand(1.0)
    lo, hi = promote(convert(lo, a.aval.dtype), hi)
    same = uf.equal(lo, hi)       # NumPy widens an empty range by 0.5 each side
    lo, hi = uf.where(same, uf.subtract(lo, 0.5), lo), uf.where(same, uf.add(hi, 0.5), hi)
    return linspace(lo, hi, nbins + 1, dtype=a.aval.dtype)


def histogram(a, bins=10, range=None, weights=None, density=None):
    """Counts of ``a`` in ``bins`` (an int: equal bins over ``range`` or the data, or
    the edges); the last bin includes its right edge.  Returns ``(hist, edges)``.

    >>> histogram(asarray([0.0, 1.0, 1.0, 2.0]), bins=2)[0].tolist()
    [1, 3]
    """
    a = ravel(_float_operand(a))
    edges = _bin_edges(a, bins, range, "histogram")
    nbins = edges.aval.shape[0] - 1
    index = uf.subtract(searchsorted(edges, a, "right"), 1)
    index = uf.where(uf.equal(a, getitem(edges, (-1,))), nbins - 1, index)
    if weights is None:
        values = broadcast_to(convert(from_scalar(1), _INDEX), a.aval.shape)
    else:
        values = ravel(_float_operand(weights))
    hist = _scatter_add_counts(index, values, nbins)
    if density:
        widths = uf.subtract(getitem(edges, (slice(1, None),)),
                             getitem(edges, (slice(None, -1),)))
        total = sum(hist, dtype=widths.aval.dtype)
        hist = uf.true_divide(uf.true_divide(convert(hist, widths.aval.dtype), total), widths)
    return hist, edges


__all__ = ["nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd", "ptp",
           "quantile", "nanquantile", "percentile", "nanpercentile", "median", "nanmedian",
           "average", "cov", "corrcoef", "bincount", "digitize", "histogram"]
