"""conv_general_dilated as a direct loop nest, vectorized along the last spatial axis:
the plain-function kernel (integer results, and ``emit_standalone``); float results
in ``compile_standalone`` take im2col + BLAS instead (im2col.py).

    out[n, o, p] = sum_{i, w} lhs[bg*N' + n, fg*I + i, q(p, w)] * rhs[o, i, w]

where output feature ``o = (bg * G + fg) * O' + o'`` picks batch group ``bg`` and
feature group ``fg`` (at most one of the group counts exceeds 1) and ``q`` is the window
geometry of windows.py.  Each output row (all axes but the last spatial one fixed)
accumulates in place: for every input feature and window position, the output
positions whose input is a real element form a contiguous range when the last axis
has no lhs dilation, so the innermost loop is a branch-free multiply-add over it
(strided loads when the window stride is > 1).  With lhs dilation, the last axis
tests every position.  Each output sums in (input feature, window position) order.
"""
import math

from xla_like import primitives as P
from xla_like.backends.llvm.standalone.emit import I64, constant, i64, strides_of
from xla_like.backends.llvm.standalone.windows import source_offset

CONVOLUTION = {}


def _floor_div(k, a, divisor):
    """``a // divisor`` rounding toward -inf, for a static ``divisor > 0``."""
    b = k.b
    quotient = b.sdiv(a, i64(divisor))
    remainder = b.srem(a, i64(divisor))
    return b.sub(quotient, b.zext(b.icmp_signed("<", remainder, i64(0)), I64))


def _ceil_div(k, a, divisor):
    return k.b.neg(_floor_div(k, k.b.neg(a), divisor))


def _real_range(k, shift, stride, dilated, count):
    """The output positions ``p`` in ``[0, count)`` with ``0 <= p*stride + shift < dilated``."""
    b = k.b
    first = _ceil_div(k, b.neg(shift), stride)
    first = b.select(b.icmp_signed("<", first, i64(0)), i64(0), first)
    stop = k.smin(_ceil_div(k, b.sub(i64(dilated), shift), stride), i64(count))
    return first, stop


class Geometry:
    """Static shapes and strides, with a size-1 spatial axis added when there is none
    (which leaves every flat offset unchanged)."""

    def __init__(self, lhs, rhs, out, params):
        extra = () if lhs.ndim > 2 else (1,)
        self.lhs_shape, self.rhs_shape = lhs.shape + extra, rhs.shape + extra
        self.out_shape = out.shape + extra
        one = ((1,), ((0, 0),), (1,), (1,)) if extra else ((), (), (), ())
        strides, padding, lhs_dil, rhs_dil = (params[name] + pad for name, pad in zip(
            ("window_strides", "padding", "lhs_dilation", "rhs_dilation"), one))
        self.axes = [(s, rd, lo, d, ld) for s, rd, (lo, _), d, ld in
                     zip(strides, rhs_dil, padding, self.lhs_shape[2:], lhs_dil)]
        self.lhs_strides, self.rhs_strides = strides_of(self.lhs_shape), strides_of(self.rhs_shape)
        self.out_strides = strides_of(self.out_shape)


def _accumulate_last_axis(k, g, dtype, src, row, lhs_at, weight, w_last):
    """``out[row + p] += lhs[lhs_at + q(p)] * weight`` over the last spatial axis."""
    b = k.b
    stride, dilation, lo, size, lhs_dilation = g.axes[-1]
    count = g.out_shape[-1]

    def add_at(p, x_offset):
        x = k.convert(k.load(k.ins[0], src, x_offset), src, dtype)
        at = b.add(row, p)
        k.store(k.outs[0], dtype, at, k.add(dtype, k.load(k.outs[0], dtype, at),
                                            k.mul(dtype, x, weight)))
    if lhs_dilation == 1:
        shift = b.sub(b.mul(w_last, i64(dilation)), i64(lo))
        first, stop = _real_range(k, shift, stride, size, count)
        with k.loop(stop, start=first, name="p") as p:
            add_at(p, b.add(lhs_at, b.add(b.mul(p, i64(stride)), shift)))
        return
    with k.loop(count, name="p") as p:
        offset, real = source_offset(k, [p], [w_last], g.axes[-1:], (1,), lhs_at)
        with b.if_then(real):
            add_at(p, offset)


def _conv_build(k, in_avals, out_avals, **params):
    """Zero each output row, then accumulate into it (rows split across cores by batch)."""
    lhs, rhs = in_avals
    g = Geometry(lhs, rhs, out_avals[0], params)
    b, src, dtype = k.b, lhs.dtype, out_avals[0].dtype
    groups_b, groups_f = params["batch_group_count"], params["feature_group_count"]
    batch, features_in = g.lhs_shape[0] // groups_b, g.rhs_shape[1]
    per_group = g.rhs_shape[0] // (groups_b * groups_f)
    if math.prod(g.out_shape) == 0:
        return
    outer = (batch, groups_b, groups_f, per_group) + g.out_shape[2:-1]
    work = math.prod(g.out_shape) * features_in * math.prod(g.rhs_shape[2:])
    with k.rows_nest(outer, work, name="o") as idx:
        n, bg, fg, o_in_group, p_outer = idx[0], idx[1], idx[2], idx[3], idx[4:]
        o = k.offset((bg, fg, o_in_group), (groups_f * per_group, per_group, 1))
        row = k.offset([n, o] + p_outer, g.out_strides[:-1])
        with k.loop(g.out_shape[-1], name="z") as p:
            k.store(k.outs[0], dtype, b.add(row, p), constant(dtype, 0))
        if math.prod(g.lhs_shape) and math.prod(g.rhs_shape):   # else empty sums: zeros
            _accumulate_row(k, g, src, dtype, (n, bg, fg, o, p_outer, row), batch, features_in)


def _accumulate_row(k, g, src, dtype, where, batch, features_in):
    """Add every (input feature, window position) term into one output row."""
    b = k.b
    n, bg, fg, o, p_outer, row = where
    ls = g.lhs_strides
    lhs_base = k.offset((bg, n, fg), (batch * ls[0], ls[0], features_in * ls[1]))
    with k.loop(features_in, name="f") as i:
        with k.nest(g.rhs_shape[2:], name="w") as wins:
            lhs_at, real = source_offset(k, p_outer, wins[:-1], g.axes[:-1], ls[2:-1],
                                         k.offset((i,), (ls[1],), lhs_base))
            with b.if_then(real):
                weight_at = k.offset([o, i] + list(wins), g.rhs_strides)
                weight = k.convert(k.load(k.ins[1], src, weight_at), src, dtype)
                _accumulate_last_axis(k, g, dtype, src, row, lhs_at, weight, wins[-1])


CONVOLUTION[P.conv_general_dilated_p] = _conv_build
