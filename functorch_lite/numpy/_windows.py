"""Window functions (``bartlett``, ``blackman``, ``hamming``, ``hanning``, ``kaiser``) and
the multi-dimensional histograms (``histogram_bin_edges``, ``histogram2d``,
``histogramdd``), as compositions.

Windows are float32 (the project's default float; NumPy gives float64); ``kaiser`` is
differentiable in ``beta``.  Histogram counts are floats of the sample's dtype, as
NumPy's ``histogramdd`` returns floats; values on the last edge fall in the last bin.
"""
import builtins
import math
import operator

import numpy as np

from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert
from functorch_lite.numpy._creation import ones
from functorch_lite.numpy._extras_math import i0
from functorch_lite.numpy._indexing import getitem
from functorch_lite.numpy._manipulation import _as_float
from functorch_lite.numpy._reductions import sum as sum_
from functorch_lite.numpy._shape import expand_dims, ravel, reshape, stack
from functorch_lite.numpy._sorting import searchsorted
from functorch_lite.numpy._statistics import _bin_edges
from functorch_lite.numpy import _ufuncs as uf


def _window_points(M, name):
    """``arange(1 - M, M, 2)`` in float32 (the symmetric sample points), or None when the
    window is trivially empty or ``[1.0]``."""
    M = operator.index(M)
    if M < 1:
        return M, None
    n = bind(P.iota_p, dtype=dtypes.default_float, shape=(M,), dimension=0)
    return M, uf.add(uf.multiply(n, 2.0), float(1 - M))


def _trivial(M):
    return ones((max(M, 0),))


def _cosine_window(name, coefficients):
    def fn(M):
        M, n = _window_points(M, name)
        if n is None or M == 1:
            return _trivial(M)
        # sum_k c_k cos(k pi n / (M - 1)) over the centred points n
        out = uf.multiply(ones((M,)), coefficients[0])
        for k, c in enumerate(coefficients[1:], 1):
            out = uf.add(out, uf.multiply(uf.cos(uf.multiply(n, k * math.pi / (M - 1))), c))
        return out
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The {name} window of ``M`` points (float32).\n\n"
                  f"    >>> {name}(5).shape\n    (5,)\n")
    return fn


hamming = _cosine_window("hamming", (0.54, 0.46))
hanning = _cosine_window("hanning", (0.5, 0.5))
blackman = _cosine_window("blackman", (0.42, 0.5, 0.08))


def bartlett(M):
    """The triangular (Bartlett) window of ``M`` points.

    >>> bartlett(3).tolist()
    [0.0, 1.0, 0.0]
    """
    M, n = _window_points(M, "bartlett")
    if n is None or M == 1:
        return _trivial(M)
    return uf.subtract(1.0, uf.absolute(uf.multiply(n, 1.0 / (M - 1))))


def kaiser(M, beta):
    """The Kaiser window of ``M`` points with shape parameter ``beta``.

    >>> kaiser(3, 0.0).tolist()
    [1.0, 1.0, 1.0]
    """
    M, n = _window_points(M, "kaiser")
    if n is None or M == 1:
        return _trivial(M)
    beta = _as_float(as_operand(beta))
    ratio = uf.multiply(n, 1.0 / (M - 1))     # in [-1, 1]
    arg = uf.multiply(beta, uf.sqrt(uf.maximum(uf.subtract(1.0, uf.square(ratio)), 0.0)))
    return uf.true_divide(i0(arg), i0(beta))


# ---- histograms ---------------------------------------------------------------------------

def histogram_bin_edges(a, bins=10, range=None, weights=None):
    """The edges ``histogram`` would use: ``bins + 1`` equal steps over ``range`` (or the
    data's min and max), or the given edges.

    >>> histogram_bin_edges(asarray([0.0, 2.0]), bins=2).tolist()
    [0.0, 1.0, 2.0]
    """
    if isinstance(bins, str):
        raise ValueError(f"histogram_bin_edges: bins={bins!r} (a data-dependent estimator) "
                         "is not supported; pass a count or the edges")
    return _bin_edges(ravel(_as_float(as_operand(a))), bins, range, "histogram_bin_edges")


def _sample_columns(sample, name):
    if isinstance(sample, (list, tuple)):
        cols = [ravel(_as_float(as_operand(c))) for c in sample]
        return stack(cols, axis=1) if cols else None
    s = _as_float(as_operand(sample))
    if s.aval.ndim == 1:
        return reshape(s, (-1, 1))
    if s.aval.ndim != 2:
        raise ValueError(f"{name}: sample must be (N, D) or a sequence of D arrays, got "
                         f"{s.aval}")
    return s


def _per_dim(value, d, name, what):
    if value is None or isinstance(value, (int, np.integer)):
        return [value] * d
    value = list(value)
    if len(value) != d:
        raise ValueError(f"{name}: {what} must have one entry per dimension ({d}), got "
                         f"{len(value)}")
    return value


def _bin_index(col, edges):
    """The bin of each value (the last edge belongs to the last bin) and whether it is
    in range."""
    nb = edges.aval.shape[0] - 1
    idx = uf.subtract(searchsorted(edges, col, "right"), 1)
    idx = uf.where(uf.equal(col, getitem(edges, (-1,))), nb - 1, idx)
    return idx, uf.logical_and(uf.greater_equal(idx, 0), uf.less(idx, nb))


def _bin_volumes(edges):
    volume = None
    for k, e in enumerate(edges):
        width = uf.subtract(getitem(e, (slice(1, None),)), getitem(e, (slice(None, -1),)))
        width = reshape(width, tuple(-1 if j == k else 1 for j in builtins.range(len(edges))))
        volume = width if volume is None else uf.multiply(volume, width)
    return volume


def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """Counts of the ``(N, D)`` points in a grid of bins; returns ``(hist, edges)``.

    >>> histogramdd(asarray([[0.0, 0.0], [1.0, 1.0]]), bins=2)[0].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    s = _sample_columns(sample, "histogramdd")
    n, d = s.aval.shape
    bins = _per_dim(bins, d, "histogramdd", "bins")
    ranges = _per_dim(range, d, "histogramdd", "range")
    edges, flat, valid = [], None, None
    for k in builtins.range(d):
        col = getitem(s, (slice(None), k))
        e = convert(_bin_edges(col, bins[k], ranges[k], "histogramdd"), s.aval.dtype)
        idx, ok = _bin_index(col, e)
        nb = e.aval.shape[0] - 1
        flat = idx if flat is None else uf.add(uf.multiply(flat, nb), idx)
        valid = ok if valid is None else uf.logical_and(valid, ok)
        edges.append(e)
    shape = tuple(e.aval.shape[0] - 1 for e in edges)
    total = int(np.prod(shape))
    w = broadcast_to(convert(as_operand(1), s.aval.dtype), (n,)) if weights is None else \
        convert(ravel(as_operand(weights)), s.aval.dtype)
    zeros = broadcast_to(convert(as_operand(0), s.aval.dtype), (total,))
    target = uf.where(valid, flat, total)                 # out of range: dropped
    hist = bind(P.scatter_add_p, zeros, expand_dims(convert(target, dtypes.int32), -1), w,
                axes=(0,), mode="drop")
    hist = reshape(hist, shape)
    if density:
        hist = uf.true_divide(uf.true_divide(hist, _bin_volumes(edges)), sum_(hist))
    return hist, edges


def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """Counts of the points ``(x[i], y[i])`` in a 2-d grid of bins; returns
    ``(hist, xedges, yedges)``.

    >>> histogram2d(asarray([0.0, 1.0]), asarray([0.0, 1.0]), bins=2)[0].tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    if not isinstance(bins, (int, np.integer)) and len(bins) not in (1, 2):
        bins = [bins, bins]                # one array of edges for both axes
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser", "histogram_bin_edges",
           "histogramdd", "histogram2d"]
