"""Finite differences, quadrature, interpolation, 1-d convolution, polynomials,
selection, closeness tests and flat/multi index conversion, as compositions.

``convolve``/``correlate`` are one ``conv_general_dilated``; ``interp`` locates each
point by counting the breakpoints at or below it (a comparison and a sum: no sort
unless ``period`` is given), so its cost is ``len(x) * len(xp)``.
"""
import operator

import numpy as np

from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert, promote
from functorch_lite.numpy._creation import zeros_like
from functorch_lite.numpy._indexing import take
from functorch_lite.numpy._manipulation import _along, _as_float, _slice_axis
from functorch_lite.numpy._reductions import all as _all, any as _any, sum as _sum
from functorch_lite.numpy._shape import (_canonical_shape, concatenate, normalize_axis,
                                         reshape)
from functorch_lite.numpy import _ufuncs as uf


# ---- differences and quadrature -------------------------------------------------------------

def _edge_part(value, a, axis):
    """``prepend``/``append`` for ``diff``: scalars broadcast to a size-1 slice."""
    v = as_operand(value)
    if v.aval.ndim == 0:
        v = broadcast_to(v, a.aval.shape[:axis] + (1,) + a.aval.shape[axis + 1:])
    return v


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The ``n``-th discrete difference along ``axis`` (``!=`` for bool arrays).

    >>> diff(asarray([1, 4, 9, 16])).tolist()
    [3, 5, 7]
    """
    a = as_operand(a)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative, got {n}")
    if n == 0:
        return a
    if a.aval.ndim == 0:
        raise ValueError("diff: needs an array of at least 1 dimension, got a scalar")
    axis = normalize_axis(axis, a.aval.ndim, "diff")
    parts = [_edge_part(prepend, a, axis)] if prepend is not None else []
    parts += [a] + ([_edge_part(append, a, axis)] if append is not None else [])
    a = concatenate(parts, axis) if len(parts) > 1 else a
    op = uf.not_equal if a.aval.dtype == dtypes.bool_ else uf.subtract
    for _ in range(n):
        size = a.aval.shape[axis]
        a = op(_slice_axis(a, axis, 1, max(size, 1)), _slice_axis(a, axis, 0, max(size - 1, 0)))
    return a


def _spacing(h, n, dtype):
    """Spacing between the ``n`` samples: a scalar step or coordinates -> ``(n-1,)``."""
    h = as_operand(h)
    if h.aval.ndim == 0:
        return broadcast_to(convert(h, dtype), (n - 1,))
    if h.aval.shape != (n,):
        raise ValueError(f"gradient: coordinates must have shape ({n},), got {h.aval.shape}")
    return convert(diff(h), dtype)


def _gradient_axis(f, dx, axis, edge_order):
    """NumPy's second-order central differences inside, one-sided ones at the ends,
    written for non-uniform spacing (uniform spacing is the special case)."""
    nd, n = f.aval.ndim, f.aval.shape[axis]

    def fs(lo, hi):
        return _slice_axis(f, axis, lo, hi)

    def coef(x):
        return _along(x, axis, nd)
    hl, hr = _slice_axis(dx, 0, 0, n - 2), _slice_axis(dx, 0, 1, n - 1)
    mid = uf.add(uf.add(uf.multiply(coef(uf.negative(hr / (hl * (hl + hr)))), fs(0, n - 2)),
                        uf.multiply(coef((hr - hl) / (hl * hr)), fs(1, n - 1))),
                 uf.multiply(coef(hl / (hr * (hl + hr))), fs(2, n)))
    if edge_order == 1:
        first = (fs(1, 2) - fs(0, 1)) / coef(_slice_axis(dx, 0, 0, 1))
        last = (fs(n - 1, n) - fs(n - 2, n - 1)) / coef(_slice_axis(dx, 0, n - 2, n - 1))
    else:
        d1, d2 = coef(_slice_axis(dx, 0, 0, 1)), coef(_slice_axis(dx, 0, 1, 2))
        first = (-(2 * d1 + d2) / (d1 * (d1 + d2)) * fs(0, 1)
                 + (d1 + d2) / (d1 * d2) * fs(1, 2) - d1 / (d2 * (d1 + d2)) * fs(2, 3))
        d1, d2 = coef(_slice_axis(dx, 0, n - 3, n - 2)), coef(_slice_axis(dx, 0, n - 2, n - 1))
        last = (d2 / (d1 * (d1 + d2)) * fs(n - 3, n - 2) - (d2 + d1) / (d1 * d2)
                * fs(n - 2, n - 1) + (2 * d2 + d1) / (d2 * (d1 + d2)) * fs(n - 1, n))
    return concatenate([first, mid, last], axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """The gradient of sampled ``f`` along each axis (a list for several axes);
    ``varargs``: one spacing for all axes, or one scalar or coordinate array per axis.

    >>> gradient(asarray([1., 4., 9.])).tolist()
    [3.0, 4.0, 5.0]
    """
    f = _as_float(as_operand(f))
    nd = f.aval.ndim
    axes = list(range(nd)) if axis is None else [
        normalize_axis(a, nd, "gradient")
        for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    if len(varargs) == 0:
        varargs = (1.0,) * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        varargs = varargs * len(axes)
    if len(varargs) != len(axes):
        raise TypeError(f"gradient: expected 0, 1 or {len(axes)} spacings, got {len(varargs)}")
    out = []
    for ax, h in zip(axes, varargs):
        n = f.aval.shape[ax]
        if n < edge_order + 1:
            raise ValueError(f"gradient: axis {ax} of {f.aval} needs at least "
                             f"{edge_order + 1} samples for edge_order={edge_order}")
        out.append(_gradient_axis(f, _spacing(h, n, f.aval.dtype), ax, edge_order))
    return out[0] if len(out) == 1 else out


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integrate along ``axis`` with the trapezoidal rule (sample points ``x`` or a
    constant spacing ``dx``).  ``trapezoid(asarray([1., 2., 3.])) == 4.0``"""
    y = _as_float(as_operand(y))
    axis = normalize_axis(axis, y.aval.ndim, "trapezoid")
    n = y.aval.shape[axis]
    if x is None:
        d = dx
    else:
        x = as_operand(x)
        d = _along(diff(x), axis, y.aval.ndim) if x.aval.ndim == 1 else diff(x, axis=axis)
    avg = uf.add(_slice_axis(y, axis, 1, max(n, 1)), _slice_axis(y, axis, 0, max(n - 1, 0)))
    return _sum(uf.multiply(d, uf.multiply(avg, 0.5)), axis=axis)


# ---- interpolation ----------------------------------------------------------------------------

def _periodic(x, xp, fp, period):
    period = abs(period)
    x, xp = uf.remainder(x, period), uf.remainder(xp, period)
    xp, fp = bind(P.sort_p, xp, fp, dimension=0, is_stable=True, num_keys=1)
    n = xp.aval.shape[0]
    xp = concatenate([uf.subtract(_slice_axis(xp, 0, n - 1, n), period), xp,
                      uf.add(_slice_axis(xp, 0, 0, 1), period)])
    fp = concatenate([_slice_axis(fp, 0, n - 1, n), fp, _slice_axis(fp, 0, 0, 1)])
    return x, xp, fp


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of ``(xp, fp)`` at ``x``; ``xp`` increasing
    (or any order with ``period``).  Outside ``xp``: ``left``/``right``
    (default ``fp[0]``/``fp[-1]``).

    >>> interp(asarray([0.5, 1.5]), asarray([0., 1., 2.]), asarray([0., 10., 0.])).tolist()
    [5.0, 5.0]
    """
    x, xp, fp = promote(as_operand(x), as_operand(xp), as_operand(fp))
    x, xp, fp = _as_float(x), _as_float(xp), _as_float(fp)
    if xp.aval.ndim != 1 or fp.aval.shape != xp.aval.shape or xp.aval.shape[0] == 0:
        raise ValueError(f"interp: xp and fp must be non-empty 1-d arrays of the same length, "
                         f"got {xp.aval} and {fp.aval}")
    if period is not None:
        x, xp, fp = _periodic(x, xp, fp, period)
    n = xp.aval.shape[0]
    if n == 1:
        return broadcast_to(reshape(fp, ()), x.aval.shape)
    below = uf.less_equal(broadcast_to(xp, x.aval.shape + (n,)), reshape(x, x.aval.shape + (1,)))
    hi = uf.clip(_sum(below, axis=-1, dtype=np.int32), 1, n - 1)
    lo = uf.subtract(hi, 1)
    x0, x1, f0, f1 = take(xp, lo), take(xp, hi), take(fp, lo), take(fp, hi)
    slope = uf.true_divide(uf.subtract(f1, f0), uf.subtract(x1, x0))
    out = uf.add(f0, uf.multiply(slope, uf.subtract(x, x0)))
    if period is None:
        def at(v, i):
            return reshape(_slice_axis(v, 0, i, i + 1), ())
        out = uf.where(uf.less(x, at(xp, 0)), at(fp, 0) if left is None else left, out)
        out = uf.where(uf.greater(x, at(xp, n - 1)), at(fp, n - 1) if right is None else right,
                       out)
    return convert(out, x.aval.dtype)


# ---- 1-d convolution --------------------------------------------------------------------------

_CONV_MODES = ("full", "same", "valid")


def _conv_operands(a, v, mode, name):
    a, v = promote(as_operand(a), as_operand(v))
    if a.aval.ndim != 1 or v.aval.ndim != 1:
        raise ValueError(f"{name}: operands must be 1-d, got {a.aval} and {v.aval}")
    if a.aval.shape[0] == 0 or v.aval.shape[0] == 0:
        raise ValueError(f"{name}: operands cannot be empty")
    if mode not in _CONV_MODES:
        raise ValueError(f"{name}: mode must be one of {_CONV_MODES}, got {mode!r}")
    if a.aval.dtype == dtypes.bool_:
        a, v = convert(a, dtypes.int32), convert(v, dtypes.int32)
    return a, v


def _correlate_long(a, v, mode):
    """``correlate`` for ``len(a) >= len(v)``: one ``conv_general_dilated``."""
    m = v.aval.shape[0]
    pads = {"full": (m - 1, m - 1), "same": (m // 2, m - 1 - m // 2), "valid": (0, 0)}[mode]
    out = bind(P.conv_general_dilated_p, reshape(a, (1, 1, -1)), reshape(v, (1, 1, -1)),
               window_strides=(1,), padding=(pads,), lhs_dilation=(1,), rhs_dilation=(1,),
               feature_group_count=1, batch_group_count=1, preferred_element_type=None)
    return reshape(out, (-1,))


def correlate(a, v, mode="valid"):
    """Cross-correlation of 1-d sequences: ``c[k] = sum_n a[n + k] * conj(v[n])``.

    >>> correlate(asarray([1., 2., 3.]), asarray([0., 1., 0.5]), "full").tolist()
    [0.5, 2.0, 3.5, 3.0, 0.0]
    """
    a, v = _conv_operands(a, v, mode, "correlate")
    if dtypes.is_complex(v.aval.dtype):       # NumPy conjugates the second operand
        v = bind(P.conj_p, v)
    if a.aval.shape[0] < v.aval.shape[0]:     # NumPy swaps the operands and reverses
        return bind(P.rev_p, _correlate_long(v, a, mode), dimensions=(0,))
    return _correlate_long(a, v, mode)


def convolve(a, v, mode="full"):
    """Discrete linear convolution of 1-d sequences.

    >>> convolve(asarray([1., 2., 3.]), asarray([0., 1., 0.5])).tolist()
    [0.0, 1.0, 2.5, 4.0, 1.5]
    """
    a, v = _conv_operands(a, v, mode, "convolve")
    if a.aval.shape[0] < v.aval.shape[0]:
        a, v = v, a
    return _correlate_long(a, bind(P.rev_p, v, dimensions=(0,)), mode)


def polyval(p, x):
    """Evaluate the polynomial with coefficients ``p`` (highest power first) at ``x``.

    >>> polyval(asarray([1., 0., -1.]), asarray([2., 3.])).tolist()
    [3.0, 8.0]
    """
    p, x = promote(as_operand(p), as_operand(x))
    if p.aval.ndim != 1:
        raise ValueError(f"polyval: coefficients must be 1-d, got {p.aval}")
    y = zeros_like(x)
    for i in range(p.aval.shape[0]):     # Horner's scheme
        y = uf.add(uf.multiply(y, x), reshape(_slice_axis(p, 0, i, i + 1), ()))
    return y


# ---- selection --------------------------------------------------------------------------------

def select(condlist, choicelist, default=0):
    """Per element, the choice of the first true condition (``default`` if none).

    >>> select([arange(3) < 1, arange(3) < 2], [10, 20], 0).tolist()
    [10, 20, 0]
    """
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist and choicelist must have the same length, got "
                         f"{len(condlist)} and {len(choicelist)}")
    if not condlist:
        raise ValueError("select: condlist must be non-empty")
    out = as_operand(default)
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        cond = as_operand(cond)
        if cond.aval.dtype != dtypes.bool_:
            raise TypeError(f"select: conditions must be bool arrays, got {cond.aval}")
        out = uf.where(cond, choice, out)
    return out


def _condition_list(condlist, x):
    if isinstance(condlist, (list, tuple)) and condlist and (
            isinstance(condlist[0], (list, tuple)) or hasattr(condlist[0], "shape")):
        return [as_operand(c) for c in condlist]
    conds = as_operand(condlist)
    if conds.aval.ndim == x.aval.ndim:
        return [conds]
    return [take(conds, i, 0) for i in range(conds.aval.shape[0])]


def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[i](x)`` where ``condlist[i]`` holds (later conditions win; an extra
    last function covers the rest; 0 elsewhere).  Every function is evaluated on all of
    ``x`` and the results are selected, so it stays traceable and differentiable.

    >>> x = asarray([-1., 2.])
    >>> piecewise(x, [x < 0], [lambda v: -v, lambda v: v * 10]).tolist()
    [1.0, 20.0]
    """
    x = as_operand(x)
    conds = [uf._as_bool(c) for c in _condition_list(condlist, x)]
    if len(funclist) == len(conds) + 1:
        others = conds[0] if len(conds) == 1 else _any(_stack_bool(conds), axis=0)
        conds.append(uf.logical_not(others) if conds else broadcast_to(as_operand(True),
                                                                        x.aval.shape))
    elif len(funclist) != len(conds):
        raise ValueError(f"piecewise: with {len(conds)} conditions, funclist must have "
                         f"{len(conds)} or {len(conds) + 1} items, got {len(funclist)}")
    out = zeros_like(x)
    for cond, func in zip(conds, funclist):
        value = func(x, *args, **kw) if callable(func) else func
        out = uf.where(cond, convert(as_operand(value), x.aval.dtype, x.aval.weak), out)
    return out


def _stack_bool(conds):
    from functorch_lite.numpy._shape import broadcast_arrays, stack
    return stack(broadcast_arrays(*conds))


# ---- closeness --------------------------------------------------------------------------------

def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (equal infinities are close).

    >>> isclose(asarray([1.0, 1.1]), 1.0).tolist()
    [True, False]
    """
    a, b = promote(as_operand(a), as_operand(b))
    a, b = _as_float(a), _as_float(b)
    within = uf.less_equal(uf.abs(uf.subtract(a, b)), uf.add(atol, uf.multiply(rtol, uf.abs(b))))
    out = uf.logical_or(uf.logical_and(within, uf.isfinite(b)), uf.equal(a, b))
    if equal_nan:
        out = uf.logical_or(out, uf.logical_and(uf.isnan(a), uf.isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element is close (a 0-d bool array).  ``bool(allclose(1.0, 1.0))``"""
    return _all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    """Same shape and the same elements (a 0-d bool array).

    >>> bool(array_equal(arange(3), arange(3)))
    True
    """
    a1, a2 = promote(as_operand(a1), as_operand(a2))
    if a1.aval.shape != a2.aval.shape:
        return as_operand(np.bool_(False))
    same = uf.equal(a1, a2)
    if equal_nan and dtypes.is_inexact(a1.aval.dtype):
        same = uf.logical_or(same, uf.logical_and(uf.isnan(a1), uf.isnan(a2)))
    return _all(same)


# ---- flat and multi indices -------------------------------------------------------------------

def _int_operand(x, name):
    x = as_operand(x)
    if x.aval.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got {x.aval}")
    return x


def _check_range(x, n, name):
    """Concrete indices out of ``[0, n)`` raise; traced ones are clamped."""
    if not isinstance(x, Tracer):
        value = np.asarray(x)
        if ((value < 0) | (value >= n)).any():
            raise ValueError(f"{name}: index {value[(value < 0) | (value >= n)][0]} is out "
                             f"of bounds for size {n}")
        return x
    return uf.clip(x, 0, n - 1)


def unravel_index(indices, shape):
    """Flat indices -> a tuple of coordinate arrays for a C-ordered array of ``shape``.

    >>> [int(i) for i in unravel_index(5, (2, 3))]
    [1, 2]
    """
    idx = _int_operand(indices, "unravel_index")
    shape = _canonical_shape(shape, "unravel_index")
    size = int(np.prod(shape, dtype=np.int64))
    if size == 0:
        raise ValueError(f"unravel_index: cannot unravel into the empty shape {shape}")
    idx = _check_range(idx, size, "unravel_index")
    out = []
    for d in reversed(shape):
        out.append(uf.remainder(idx, d))
        idx = uf.floor_divide(idx, d)
    return tuple(reversed(out))


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Coordinate arrays -> flat indices; ``mode`` 'raise' (traced: clamp), 'wrap' or
    'clip' (or one per dimension); ``order`` 'C' or 'F'.

    >>> ravel_multi_index((asarray([1]), asarray([2])), (2, 3)).tolist()
    [5]
    """
    dims = _canonical_shape(dims, "ravel_multi_index")
    if len(multi_index) != len(dims):
        raise ValueError(f"ravel_multi_index: need {len(dims)} index arrays, got "
                         f"{len(multi_index)}")
    modes = mode if isinstance(mode, (tuple, list)) else (mode,) * len(dims)
    if order not in ("C", "F"):
        raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    strides = np.cumprod((1,) + (dims[::-1] if order == "C" else dims)[:-1]).tolist()
    strides = strides[::-1] if order == "C" else strides
    out = 0
    for i, d, m, s in zip(multi_index, dims, modes, strides):
        i = _int_operand(i, "ravel_multi_index")
        if m == "wrap":
            i = uf.remainder(i, d)
        elif m == "clip":
            i = uf.clip(i, 0, d - 1)
        elif m == "raise":
            i = _check_range(i, d, "ravel_multi_index")
        else:
            raise ValueError(f"ravel_multi_index: mode must be 'raise', 'wrap' or 'clip', "
                             f"got {m!r}")
        out = uf.add(out, uf.multiply(i, s))
    return out
