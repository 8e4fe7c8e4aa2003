"""Windowed reductions (pooling) as direct loop nests.

They (and convolution) read the operand through one window geometry: output position
``o``, window position ``w`` of an axis address
``q = o * stride + w * window_dilation - pad_lo`` in the base-dilated operand; ``q``
names a real element when ``0 <= q < dilated size`` and ``q % base_dilation == 0``
(element ``q // base_dilation``).  Every other position is padding or a hole, which
holds the reduction's identity, so it is skipped.
"""
import math

from llvmlite import ir

from xla_like import primitives as P
from xla_like.backends.llvm.lltypes import memory_type
from xla_like.backends.llvm.standalone.emit import I1, I64, constant, i64, strides_of
from xla_like.primitives.reductions import highest, lowest
from xla_like.primitives.shape_rules import dilate_size

WINDOWS = {}


def source_offset(k, outs, wins, geometry, strides, base=None):
    """(offset of the addressed element, whether it is a real element) over the axes
    ``geometry[d] = (stride, window_dilation, pad_lo, size, base_dilation)``."""
    b = k.b
    offset = ir.Constant(I64, 0) if base is None else base
    real = ir.Constant(I1, 1)
    for o, w, (stride, dilation, lo, size, base_dilation), step in zip(outs, wins, geometry,
                                                                       strides):
        q = b.sub(b.add(b.mul(o, i64(stride)), b.mul(w, i64(dilation))), i64(lo))
        # unsigned compare: negative q (in the low padding) is out of range too
        real = b.and_(real, b.icmp_unsigned("<", q, i64(dilate_size(size, base_dilation))))
        if base_dilation > 1:
            hole = b.urem(q, i64(base_dilation))
            real = b.and_(real, b.icmp_unsigned("==", hole, i64(0)))
            q = b.udiv(q, i64(base_dilation))
        offset = b.add(offset, b.mul(q, i64(step)))
    return offset, real


# ---- reduce_window_sum / max / min -----------------------------------------------------------

def _window_builder(combine, identity):
    def build(k, in_avals, out_avals, window_dimensions, window_strides, padding,
              base_dilation, window_dilation):
        x, out = in_avals[0], out_avals[0]
        b, dtype = k.b, x.dtype
        k.unroll = True         # the small static window loops unroll fully
        geometry = [(s, wd, lo, d, bd) for s, wd, (lo, _), d, bd in
                    zip(window_strides, window_dilation, padding, x.shape, base_dilation)]
        acc = k.variable(memory_type(dtype))
        work = out.size * math.prod(window_dimensions)
        with k.rows_nest(out.shape, work, name="o") as outs:
            b.store(constant(dtype, identity(dtype)), acc)
            with k.nest(window_dimensions, name="w") as wins:
                offset, real = source_offset(k, outs, wins, geometry, strides_of(x.shape))
                with b.if_then(real):
                    value = k.load(k.ins[0], dtype, offset)
                    b.store(combine(k, dtype, b.load(acc), value), acc)
            k.store(k.outs[0], dtype, k.offset(outs, strides_of(out.shape)), b.load(acc))
    return build


def _sum_identity(dtype):
    """-0.0 for floats: ``-0.0 + x == x`` bit for bit, signed zeros included."""
    return -0.0 if dtype.kind == "f" else 0


WINDOWS[P.reduce_window_sum_p] = _window_builder(lambda k, dt, a, x: k.add(dt, a, x),
                                                 _sum_identity)
WINDOWS[P.reduce_window_max_p] = _window_builder(lambda k, dt, a, x: k.maximum(dt, a, x),
                                                 lowest)
WINDOWS[P.reduce_window_min_p] = _window_builder(lambda k, dt, a, x: k.minimum(dt, a, x),
                                                 highest)
