"""Windowed reductions (pooling): ``reduce_window_sum``, ``reduce_window_max`` and
``reduce_window_min``.

Each output element reduces one window of the operand after base dilation (holes
between elements) and padding; holes and padding hold the reduction's identity
(0, the lowest value, the highest value), so they never win.  All window params are
tuples with one entry per operand dimension::

    reduce_window_max(x: f32[4], window_dimensions=(2,), window_strides=(2,),
                      padding=((0, 0),), base_dilation=(1,), window_dilation=(1,))  # f32[2]
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.reductions import highest, lowest
from xla_like.primitives.shape_rules import (check_kind, check_pairs, check_positive_tuple,
                                             windowed_sizes)
from xla_like.primitives.structural import pad_array

__all__ = ["reduce_window_sum_p", "reduce_window_max_p", "reduce_window_min_p"]


def _window_abstract_eval_for(name, kinds):
    def abstract_eval(x, window_dimensions, window_strides, padding, base_dilation,
                      window_dilation):
        check_kind(name, x, kinds)
        n = x.ndim
        windows = check_positive_tuple(name, window_dimensions, n, "window_dimensions")
        strides = check_positive_tuple(name, window_strides, n, "window_strides")
        pads = check_pairs(name, padding, n)
        base = check_positive_tuple(name, base_dilation, n, "base_dilation")
        dil = check_positive_tuple(name, window_dilation, n, "window_dilation")
        shape = windowed_sizes(name, x.shape, windows, strides, pads, base, dil)
        return ShapedArray(shape, x.dtype, x.weak)
    return abstract_eval


def _window_impl_for(ufunc, identity):
    def impl(x, window_dimensions, window_strides, padding, base_dilation, window_dilation):
        fill = np.asarray(identity(x.dtype), dtype=x.dtype)
        config = tuple((lo, hi, b - 1) for (lo, hi), b in zip(padding, base_dilation))
        padded = pad_array(x, fill, config)
        spans = tuple((w - 1) * d + 1 for w, d in zip(window_dimensions, window_dilation))
        if any(s > p for s, p in zip(spans, padded.shape)):   # no window fits
            out_shape = tuple(max(p - s, -1) // st + 1 for p, s, st in
                              zip(padded.shape, spans, window_strides))
            return np.empty(out_shape, dtype=x.dtype)
        windows = sliding_window_view(padded, spans)
        picks = (tuple(slice(None, None, s) for s in window_strides)
                 + tuple(slice(None, None, d) for d in window_dilation))
        window_axes = tuple(range(x.ndim, 2 * x.ndim))
        with np.errstate(over="ignore", invalid="ignore"):
            out = ufunc.reduce(windows[picks], axis=window_axes, dtype=x.dtype)
        return np.asarray(out, dtype=x.dtype)
    return impl


def _window_reduction(name, ufunc, identity, kinds):
    return Primitive(name, _window_abstract_eval_for(name, kinds),
                     _window_impl_for(ufunc, identity))


reduce_window_sum_p = _window_reduction("reduce_window_sum", np.add, lambda dt: 0, "iufc")
reduce_window_max_p = _window_reduction("reduce_window_max", np.maximum, lowest, "biuf")
reduce_window_min_p = _window_reduction("reduce_window_min", np.minimum, highest, "biuf")
