"""``pad`` with NumPy's modes, as compositions (``pad``, ``slice``, gathers, reductions).

Like NumPy, the non-constant modes pad one axis after the other, each on the array
already padded along the previous axes, so corners take values from earlier axes:

* ``'constant'`` (and ``'empty'``, whose values NumPy leaves undefined: zeros here);
* ``'edge'``, ``'wrap'``, ``'symmetric'``, ``'reflect'``: a gather of source positions
  (``reflect_type='odd'``: ``2 * edge - value``, one period at a time);
* ``'linear_ramp'``: from ``end_values`` to the edge value, linearly;
* ``'maximum'``, ``'minimum'``, ``'mean'``, ``'median'``: that statistic of the first
  (or last) ``stat_length`` entries along the axis; integer arrays round it (half to
  even), as NumPy does.
"""
import numpy as np

from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert
from functorch_lite.numpy._indexing import getitem, take
from functorch_lite.numpy._reductions import max as _max, mean as _mean, min as _min
from functorch_lite.numpy._shape import concatenate
from functorch_lite.numpy._statistics import median as _median
from functorch_lite.numpy import _ufuncs as uf


def _pairs(value, ndim, what, integer=True):
    """``value`` broadcast to one ``(before, after)`` pair per axis (NumPy's rules)."""
    arr = np.asarray(value)
    if integer and arr.dtype.kind not in "iu":
        raise TypeError(f"pad: {what} must be integers, got {value!r}")
    try:
        arr = np.broadcast_to(arr, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: {what} {value!r} does not fit {ndim} axes") from None
    if integer and (arr < 0).any():
        raise ValueError(f"pad: {what} must be non-negative, got {value!r}")
    return [tuple(v.item() for v in row) for row in arr]


def _slice_axis(x, axis, start, stop):
    starts, limits = [0] * x.aval.ndim, list(x.aval.shape)
    starts[axis], limits[axis] = start, stop
    return bind(P.slice_p, x, start_indices=tuple(starts), limit_indices=tuple(limits),
                strides=None)


def _widen(piece, axis, count):
    """A one-thick ``piece`` repeated ``count`` times along ``axis``."""
    shape = list(piece.aval.shape)
    shape[axis] = count
    return broadcast_to(piece, tuple(shape))


def _source_index(mode, n, before, after):
    """For each padded position along an axis, the source element it copies."""
    i = np.arange(-before, n + after)
    if mode == "edge":
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return np.mod(i, n)
    if mode == "symmetric":
        m = np.mod(i, 2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    if n == 1:                                   # reflect about a single element
        return np.zeros_like(i)
    m = np.mod(i, 2 * n - 2)
    return np.where(m < n, m, 2 * n - 2 - m)


def _pad_gather(x, axis, lo, hi, mode, reflect_type):
    n = x.aval.shape[axis]
    if reflect_type == "even" or mode in ("edge", "wrap") or n == 1:
        return take(x, _source_index(mode, n, lo, hi), axis)
    # odd: mirror at most one period at a time about the current edge, as NumPy does
    period = n - 1 if mode == "reflect" else n
    while lo or hi:
        step_lo, step_hi = min(lo, period), min(hi, period)
        x = _odd_once(x, axis, step_lo, step_hi, mode)
        lo, hi = lo - step_lo, hi - step_hi
    return x


def _odd_once(x, axis, lo, hi, mode):
    """One odd reflection: ``2 * edge - mirrored value`` on each side."""
    n = x.aval.shape[axis]
    out = take(x, _source_index(mode, n, lo, hi), axis)
    first, last = _slice_axis(x, axis, 0, 1), _slice_axis(x, axis, n - 1, n)
    parts = [uf.subtract(uf.multiply(2, first), _slice_axis(out, axis, 0, lo)), x,
             uf.subtract(uf.multiply(2, last), _slice_axis(out, axis, lo + n, lo + n + hi))]
    return concatenate(parts, axis)


def _ramp(edge, end, axis, count, before):
    """``count`` values stepping from ``edge`` to ``end`` (reached at the far end), in
    array order: reversed on the ``before`` side."""
    if not count:
        return None
    shape = [1] * edge.aval.ndim
    shape[axis] = count
    frac = np.reshape(np.arange(1, count + 1) / count, shape)
    work = edge if dtypes.is_inexact(edge.aval.dtype) else convert(edge, dtypes.float64)
    values = uf.add(work, uf.multiply(uf.subtract(end, work), frac))
    if not dtypes.is_inexact(edge.aval.dtype):
        values = convert(uf.floor(values), edge.aval.dtype)     # NumPy's integer linspace
    return getitem(values, (slice(None),) * axis + (slice(None, None, -1),)) if before \
        else values


def _pad_ramp(x, axis, lo, hi, ends):
    n = x.aval.shape[axis]
    before = _ramp(_slice_axis(x, axis, 0, 1), ends[0], axis, lo, True)
    after = _ramp(_slice_axis(x, axis, n - 1, n), ends[1], axis, hi, False)
    return concatenate([p for p in (before, x, after) if p is not None], axis)


def _to_dtype(v, dtype):
    """Back to the array's dtype; integers round half to even first, as NumPy does."""
    if v.aval.dtype == dtype:
        return v
    if not dtypes.is_inexact(dtype):
        v = uf.rint(v)
    return convert(v, dtype)


_STATS = {"maximum": _max, "minimum": _min, "mean": _mean, "median": _median}


def _pad_stat(x, axis, lo, hi, mode, lengths):
    n = x.aval.shape[axis]

    def side(count, start, stop):
        region = _slice_axis(x, axis, start, stop)
        value = _to_dtype(_STATS[mode](region, axis=axis, keepdims=True), x.aval.dtype)
        return [_widen(value, axis, count)] if count else []
    parts = side(lo, 0, lengths[0]) + [x] + side(hi, n - lengths[1], n)
    return concatenate(parts, axis)


def _stat_lengths(stat_length, ndim, shape):
    if stat_length is None:
        return [(n, n) for n in shape]
    pairs = _pairs(stat_length, ndim, "stat_length")
    if any(0 in p for p in pairs):
        raise ValueError(f"pad: stat_length must be positive, got {stat_length!r}")
    return [(min(a, n), min(b, n)) for (a, b), n in zip(pairs, shape)]


def _pad_constant(x, widths, constant_values):
    value = convert(as_operand(constant_values), x.aval.dtype)
    if value.aval.ndim == 0:
        return bind(P.pad_p, x, value, padding_config=tuple((lo, hi, 0) for lo, hi in widths))
    values = broadcast_to(value, (x.aval.ndim, 2))
    # axis by axis, as NumPy does: later axes fill the corners
    for axis, (lo, hi) in enumerate(widths):
        parts = []
        for side, count in ((0, lo), (1, hi)):
            shape = x.aval.shape[:axis] + (count,) + x.aval.shape[axis + 1:]
            parts.append(broadcast_to(getitem(values, (axis, side)), shape))
        x = concatenate([parts[0], x, parts[1]], axis)
    return x


_GATHER_MODES = ("edge", "wrap", "symmetric", "reflect")
MODES = ("constant", "empty") + _GATHER_MODES + ("linear_ramp",) + tuple(_STATS)


def _axis_rule(mode, x, reflect_type, end_values, stat_length):
    """The function padding one axis in ``mode``: ``rule(x, axis, lo, hi)``."""
    if mode in _GATHER_MODES:
        return lambda y, axis, lo, hi: _pad_gather(y, axis, lo, hi, mode, reflect_type)
    if mode == "linear_ramp":
        ends = _pairs(end_values, x.aval.ndim, "end_values", integer=False)
        return lambda y, axis, lo, hi: _pad_ramp(y, axis, lo, hi, ends[axis])
    lengths = _stat_lengths(stat_length, x.aval.ndim, x.aval.shape)
    return lambda y, axis, lo, hi: _pad_stat(y, axis, lo, hi, mode, lengths[axis])


def pad(array, pad_width, mode="constant", *, constant_values=0, end_values=0,
        stat_length=None, reflect_type="even"):
    """Pad ``array`` by ``pad_width`` (per-axis ``(before, after)`` pairs, or one pair or
    one int for all axes) in one of NumPy's modes (see the module docstring).

    >>> pad(asarray([1, 2, 3]), 2, mode="reflect").tolist()
    [3, 2, 1, 2, 3, 2, 1]
    >>> pad(asarray([1.0, 5.0]), (1, 2), mode="mean").tolist()
    [3.0, 1.0, 5.0, 3.0, 3.0]
    """
    x = as_operand(array)
    widths = _pairs(pad_width, x.aval.ndim, "pad_width")
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if reflect_type not in ("even", "odd"):
        raise ValueError(f"pad: reflect_type must be 'even' or 'odd', got {reflect_type!r}")
    if mode in ("constant", "empty"):
        return _pad_constant(x, widths, constant_values if mode == "constant" else 0)
    rule = _axis_rule(mode, x, reflect_type, end_values, stat_length)
    for axis, (lo, hi) in enumerate(widths):
        if not lo and not hi:
            continue
        if x.aval.shape[axis] == 0:
            raise ValueError(f"pad: can't extend empty axis {axis} of {x.aval} with mode "
                             f"{mode!r}")
        x = rule(x, axis, lo, hi)
    return x
