"""argmax/argmin and the cumulative scans along one axis.

Both view the operand as ``(outer, n, inner)`` around ``axis``.  The scans walk the
axis in the outer loop and the contiguous ``inner`` rows in the inner one, combining
each row with the previous output row (sequential, like ``ufunc.accumulate``), so the
inner loop vectorizes.  arg-reductions keep the first occurrence of the extreme and,
as NumPy does, treat the first NaN as the extreme.
"""
import math

from llvmlite import ir

from xla_like import primitives as P
from xla_like.backends.llvm.lltypes import memory_type
from xla_like.backends.llvm.standalone.emit import I1, I64, i64

SCANS = {}
SEARCH_BLOCK = 64


def _split(shape, axis):
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


# ---- argmax / argmin ----------------------------------------------------------------------

def _wins(k, dtype, value, best, pick_max):
    """Whether ``value`` replaces the running ``best``: strictly better, or the first NaN."""
    b = k.b
    wins = k.less(dtype, best, value) if pick_max else k.less(dtype, value, best)
    if dtype.kind == "f":
        wins = b.or_(wins, b.and_(k.is_nan(value), b.not_(k.is_nan(best))))
    return wins


def _narrow(k, position, index_dtype):
    ty = memory_type(index_dtype)
    return k.b.trunc(position, ty) if ty.width < 64 else position


def _extreme(k, dtype, x, y, pick_max):
    """NaN-propagating max/min; floats use llvm.maximum/minimum, which the loop
    vectorizer turns into a vector reduction (the order of ties does not matter here)."""
    if dtype.kind == "f":
        return k.intrinsic("maximum" if pick_max else "minimum", x.type, [x, y])
    return k.maximum(dtype, x, y) if pick_max else k.minimum(dtype, x, y)


def _matches(k, dtype, value, target):
    """``value == target``, or ``value`` is NaN (the extreme is NaN exactly when the
    row holds one, so a NaN then is the first occurrence)."""
    b = k.b
    if dtype.kind == "f":
        return b.or_(b.fcmp_ordered("==", value, target), k.is_nan(value))
    return b.icmp_unsigned("==", value, target)


def _find_first(k, dtype, row, n, target):
    """The first position of ``target`` in the row (it is there): blocks of
    ``SEARCH_BLOCK`` are tested with a vectorizable any-of loop, then the block that
    holds it is scanned."""
    b = k.b
    start, found = k.variable(I64, i64(0)), k.variable(I1)

    def block_misses():
        first = b.load(start)
        b.store(ir.Constant(I1, 0), found)
        with k.loop(k.smin(b.add(first, i64(SEARCH_BLOCK)), i64(n)), start=first,
                    name="any") as j:
            value = k.load(k.ins[0], dtype, b.add(row, j))
            b.store(b.or_(b.load(found), _matches(k, dtype, value, target)), found)
        return b.not_(b.load(found))
    with k.while_(block_misses, name="block"):
        b.store(b.add(b.load(start), i64(SEARCH_BLOCK)), start)

    def differs():
        value = k.load(k.ins[0], dtype, b.add(row, b.load(start)))
        return b.not_(_matches(k, dtype, value, target))
    with k.while_(differs, name="find"):
        b.store(b.add(b.load(start), i64(1)), start)
    return b.load(start)


def _arg_along_rows(k, x, out, outer, n, pick_max, index_dtype):
    """inner == 1: per row, a vectorized max (min), then its first occurrence."""
    b, dtype = k.b, x.dtype
    best = k.variable(memory_type(dtype))
    with k.rows_loop(outer, outer * n, name="o") as o:
        row = b.mul(o, i64(n))
        b.store(k.load(k.ins[0], dtype, row), best)
        with k.loop(n, start=1, name="j") as j:
            value = k.load(k.ins[0], dtype, b.add(row, j))
            b.store(_extreme(k, dtype, b.load(best), value, pick_max), best)
        position = _find_first(k, dtype, row, n, b.load(best))
        k.store(k.outs[0], out.dtype, o, _narrow(k, position, index_dtype))


def _arg_across_rows(k, x, out, outer, n, inner, pick_max, index_dtype):
    """inner > 1: walk the axis in the outer loop, keeping a row of running extremes
    (in scratch) and their positions (in the output), so the inner loop vectorizes."""
    b, dtype = k.b, x.dtype
    best = k.scratch(inner * dtype.itemsize)
    with k.rows_loop(outer, outer * n * inner, name="o") as o:
        first = b.mul(o, i64(n * inner))
        out_row = b.mul(o, i64(inner))
        with k.loop(inner, name="i") as i:
            k.store(best, dtype, i, k.load(k.ins[0], dtype, b.add(first, i)))
            k.store(k.outs[0], out.dtype, b.add(out_row, i), _narrow(k, i64(0), index_dtype))
        with k.loop(n, start=1, name="j") as j:
            row = b.add(first, b.mul(j, i64(inner)))
            position = _narrow(k, j, index_dtype)
            with k.loop(inner, name="i") as i:
                value, current = k.load(k.ins[0], dtype, b.add(row, i)), k.load(best, dtype, i)
                wins = _wins(k, dtype, value, current, pick_max)
                k.store(best, dtype, i, b.select(wins, value, current))
                at = b.add(out_row, i)
                previous = k.load(k.outs[0], out.dtype, at)
                k.store(k.outs[0], out.dtype, at, b.select(wins, position, previous))


def _arg_reduction_builder(pick_max):
    def build(k, in_avals, out_avals, axis, index_dtype):
        x, out = in_avals[0], out_avals[0]
        outer, n, inner = _split(x.shape, axis)
        if outer * inner == 0:
            return
        if inner == 1:
            _arg_along_rows(k, x, out, outer, n, pick_max, index_dtype)
        else:
            _arg_across_rows(k, x, out, outer, n, inner, pick_max, index_dtype)
    return build


SCANS[P.argmax_p] = _arg_reduction_builder(pick_max=True)
SCANS[P.argmin_p] = _arg_reduction_builder(pick_max=False)


# ---- cumulative scans -----------------------------------------------------------------------

def _cumulative_builder(combine):
    def build(k, in_avals, out_avals, axis, reverse):
        x = in_avals[0]
        outer, n, inner = _split(x.shape, axis)
        if n == 0 or outer * inner == 0:
            return
        b, dtype, src, dst = k.b, x.dtype, k.ins[0], k.outs[0]
        first = n - 1 if reverse else 0
        step = -inner if reverse else inner
        with k.rows_loop(outer, x.size, name="o") as o:
            with k.loop(inner, name="i") as i:
                at = b.add(b.mul(o, i64(n * inner)), b.add(i, i64(first * inner)))
                k.store(dst, dtype, at, k.load(src, dtype, at))
            with k.loop(n, start=1, name="j") as j:
                position = b.sub(i64(n - 1), j) if reverse else j
                row = b.add(b.mul(o, i64(n * inner)), b.mul(position, i64(inner)))
                with k.loop(inner, name="i") as i:
                    at = b.add(row, i)
                    previous = k.load(dst, dtype, b.sub(at, i64(step)))
                    k.store(dst, dtype, at, combine(k, dtype, previous,
                                                    k.load(src, dtype, at)))
    return build


SCANS[P.cumsum_p] = _cumulative_builder(lambda k, dt, acc, x: k.add(dt, acc, x))
SCANS[P.cumprod_p] = _cumulative_builder(lambda k, dt, acc, x: k.mul(dt, acc, x))
SCANS[P.cummax_p] = _cumulative_builder(lambda k, dt, acc, x: k.maximum(dt, acc, x))
SCANS[P.cummin_p] = _cumulative_builder(lambda k, dt, acc, x: k.minimum(dt, acc, x))
