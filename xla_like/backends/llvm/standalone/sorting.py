"""sort: a stable merge sort of (key bits, position) pairs, then every operand gathered
through the sorted positions.

For each row along ``dimension`` the kernel copies the first key into scratch as
*sortable bits*: an unsigned integer whose order is NumPy's sort order (signed ints
flip the sign bit; floats map -0.0 to 0.0, flip all bits of negatives and the sign
bit of the rest, and send every NaN to all-ones, after +inf).  Ties on those bits are
broken by the remaining keys (read from the operands through the positions), in
NumPy's order too.  Insertion sort on runs of ``RUN`` pairs, then bottom-up merge
passes ping-ponging between two scratch buffers; both are stable, so equal keys keep
their order whether or not ``is_stable`` is set (the reference is stable too).
Finally ``out_j[t] = operand_j[position[t]]``, which keeps every bit (NaN payloads,
signed zeros) of the operands.
"""
import math
from typing import NamedTuple

import numpy as np
from llvmlite import ir

from xla_like import primitives as P
from xla_like.backends.llvm.standalone.emit import I1, PTR, i64

SORTING = {}
RUN = 16


class _Buffers(NamedTuple):
    """One scratch buffer pair: sortable key bits and positions."""
    keys: ir.Value
    positions: ir.Value


class _Row:
    """One row of the operands: ``at(position)`` is an element offset; ``less`` the
    pair order (key bits, then the other keys at the two positions)."""

    def __init__(self, k, row, inner, tie_keys, tie_avals, bits_dtype, position_dtype):
        self.k, self.row, self.inner = k, row, inner
        self.tie_keys, self.tie_avals = tie_keys, tie_avals
        self.bits_dtype, self.position_dtype = bits_dtype, position_dtype

    def at(self, position):
        b = self.k.b
        if position.type.width < 64:
            position = b.sext(position, i64(0).type)
        return b.add(self.row, b.mul(position, i64(self.inner)))

    def load(self, buffers, index):
        k = self.k
        return (k.load(buffers.keys, self.bits_dtype, index),
                k.load(buffers.positions, self.position_dtype, index))

    def store(self, buffers, index, pair):
        k = self.k
        k.store(buffers.keys, self.bits_dtype, index, pair[0])
        k.store(buffers.positions, self.position_dtype, index, pair[1])

    def less(self, first, second):
        """``first < second`` for (bits, position) pairs, branch-free."""
        b = self.k.b
        (x, p), (y, q) = first, second
        less = b.icmp_unsigned("<", x, y)
        if not self.tie_keys:
            return less
        tied = b.icmp_unsigned("==", x, y)
        return b.or_(less, b.and_(tied, self._tie_less(p, q)))

    def _tie_less(self, p, q):
        """Lexicographic ``keys[1:](p) < keys[1:](q)`` in NumPy's order."""
        k, b = self.k, self.k.b
        less, decided = ir.Constant(I1, 0), ir.Constant(I1, 0)
        for pointer, aval in zip(self.tie_keys, self.tie_avals):
            x, y = k.load(pointer, aval.dtype, self.at(p)), k.load(pointer, aval.dtype, self.at(q))
            lt, gt = k.sort_less(aval.dtype, x, y), k.sort_less(aval.dtype, y, x)
            less = b.or_(less, b.and_(b.not_(decided), lt))
            decided = b.or_(decided, b.or_(lt, gt))
        return less


def _sortable_bits(k, dtype, value):
    """An unsigned integer of ``dtype``'s width ordered like NumPy sorts ``value``."""
    b, kind = k.b, dtype.kind
    width = 8 * dtype.itemsize
    ty = ir.IntType(width)
    sign = ir.Constant(ty, 1 << (width - 1))
    if kind == "i":
        return b.xor(value, sign)
    if kind != "f":
        return value
    canonical = b.fadd(value, ir.Constant(value.type, 0.0))     # -0.0 + 0.0 == +0.0
    bits = b.bitcast(canonical, ty)
    negative = b.icmp_signed("<", bits, ir.Constant(ty, 0))
    ordered = b.select(negative, b.not_(bits), b.or_(bits, sign))
    return b.select(k.is_nan(value), ir.Constant(ty, -1), ordered)


def _insertion_sort_runs(k, row, pairs, n):
    """Sort each run ``[lo, lo + RUN)`` of ``pairs`` in place (stable)."""
    b = k.b
    slot = k.variable(i64(0).type)
    with k.loop((n + RUN - 1) // RUN, name="run") as r:
        lo = b.mul(r, i64(RUN))
        hi = k.smin(b.add(lo, i64(RUN)), i64(n))
        with k.loop(hi, start=b.add(lo, i64(1)), name="t") as t:
            moving = row.load(pairs, t)
            b.store(t, slot)

            def keeps_moving():
                u = b.load(slot)
                inside = b.icmp_signed(">", u, lo)
                before = b.select(inside, b.sub(u, i64(1)), lo)   # in range either way
                return b.and_(inside, row.less(moving, row.load(pairs, before)))
            with k.while_(keeps_moving, name="shift"):
                u = b.load(slot)
                before = b.sub(u, i64(1))
                row.store(pairs, u, row.load(pairs, before))
                b.store(before, slot)
            row.store(pairs, b.load(slot), moving)


def _merge(k, row, src, dst, lo, mid, hi):
    """Merge the sorted runs ``src[lo:mid]`` and ``src[mid:hi]`` into ``dst[lo:hi]``;
    ties take the left run (stability)."""
    b = k.b
    left, right = k.variable(i64(0).type, lo), k.variable(i64(0).type, mid)
    with k.loop(hi, start=lo, name="m") as out:
        a, c = b.load(left), b.load(right)
        # clamped reads keep every load in range; the flags below ignore them
        pair_a = row.load(src, k.smin(a, b.sub(mid, i64(1))))
        pair_c = row.load(src, k.smin(c, b.sub(hi, i64(1))))
        left_open = b.icmp_signed("<", a, mid)
        right_done = b.icmp_signed(">=", c, hi)
        take_left = b.and_(left_open, b.or_(right_done, b.not_(row.less(pair_c, pair_a))))
        row.store(dst, out, [b.select(take_left, x, y) for x, y in zip(pair_a, pair_c)])
        b.store(b.select(take_left, b.add(a, i64(1)), a), left)
        b.store(b.select(take_left, c, b.add(c, i64(1))), right)


def _merge_passes(k, row, first, second, n):
    """Bottom-up merges of runs of RUN, 2*RUN, ...; returns the positions buffer that
    ends up holding the sorted order."""
    b = k.b
    src = _Buffers(k.variable(PTR, first.keys), k.variable(PTR, first.positions))
    dst = _Buffers(k.variable(PTR, second.keys), k.variable(PTR, second.positions))
    width = k.variable(i64(0).type, i64(RUN))
    with k.while_(lambda: b.icmp_signed("<", b.load(width), i64(n)), name="pass"):
        w = b.load(width)
        source = _Buffers(*(b.load(s) for s in src))
        target = _Buffers(*(b.load(s) for s in dst))
        runs = b.udiv(b.add(i64(n - 1), b.mul(w, i64(2))), b.mul(w, i64(2)))
        with k.loop(runs, name="pair") as pair:
            lo = b.mul(pair, b.mul(w, i64(2)))
            mid = k.smin(b.add(lo, w), i64(n))
            hi = k.smin(b.add(mid, w), i64(n))
            _merge(k, row, source, target, lo, mid, hi)
        for slot, value in zip(src + dst, target + source):
            b.store(value, slot)
        b.store(b.mul(w, i64(2)), width)
    return b.load(src.positions)


def _scratch_buffers(k, n, bits_dtype, position_dtype):
    return _Buffers(k.scratch(n * bits_dtype.itemsize), k.scratch(n * position_dtype.itemsize))


def _sort_build(k, in_avals, out_avals, dimension, is_stable, num_keys):
    shape, key_dtype = in_avals[0].shape, in_avals[0].dtype
    outer, n, inner = (math.prod(shape[:dimension]), shape[dimension],
                       math.prod(shape[dimension + 1:]))
    if n == 0 or outer * inner == 0:
        return
    b, k.vectorize = k.b, False
    bits_dtype = np.dtype(f"u{key_dtype.itemsize}")
    position_dtype = np.dtype(np.int32 if n < 2**31 else np.int64)
    first = _scratch_buffers(k, n, bits_dtype, position_dtype)
    second = _scratch_buffers(k, n, bits_dtype, position_dtype)
    rows = outer * inner
    with k.rows_loop(rows, rows * n * max(1, n.bit_length()), name="r") as r:
        o, i = b.udiv(r, i64(inner)), b.urem(r, i64(inner))
        row = _Row(k, b.add(b.mul(o, i64(n * inner)), i), inner, k.ins[1:num_keys],
                   in_avals[1:num_keys], bits_dtype, position_dtype)
        position_ty = ir.IntType(8 * position_dtype.itemsize)
        with k.loop(n, name="p") as p:
            bits = _sortable_bits(k, key_dtype, k.load(k.ins[0], key_dtype, row.at(p)))
            position = b.trunc(p, position_ty) if position_ty.width < 64 else p
            row.store(first, p, (bits, position))
        _insertion_sort_runs(k, row, first, n)
        positions = _merge_passes(k, row, first, second, n)
        with k.loop(n, name="g") as t:
            source = row.at(k.load(positions, position_dtype, t))
            for pointer, out, aval in zip(k.ins, k.outs, in_avals):
                k.store(out, aval.dtype, row.at(t), k.load(pointer, aval.dtype, source))


SORTING[P.sort_p] = _sort_build
