"""gather and the scatter family.

Each row of ``indices`` (read at run time, any integer dtype) addresses one slice of
``x``: its coordinates along ``axes`` give a base offset; the slice spans the other
("rest") axes with their static strides.  Out-of-range coordinates are clamped
(``clip``), give the fill value (gather ``fill``: NaN, 0 or False) or skip the row
(scatter ``drop``).  Scatter rows apply in row-major order, so with duplicates the
last ``scatter`` wins and accumulations run in the same order as ``ufunc.at``.
"""
import math

import numpy as np
from llvmlite import ir

from xla_like import primitives as P
from xla_like.backends.llvm.standalone.copies import copy_block
from xla_like.backends.llvm.standalone.emit import I1, I64, constant, i64, strides_of

INDEXING = {}


def _rest(shape, axes):
    """Sizes and row-major strides of the axes of ``shape`` not in ``axes``."""
    strides = strides_of(shape)
    kept = [d for d in range(len(shape)) if d not in axes]
    return tuple(shape[d] for d in kept), tuple(strides[d] for d in kept)


def _row_address(k, indices, index_dtype, row, x_shape, axes):
    """(offset of the addressed slice with coordinates clamped, whether every
    coordinate was in range) for index row ``row``."""
    b = k.b
    strides = strides_of(x_shape)
    offset, valid = ir.Constant(I64, 0), ir.Constant(I1, 1)
    for j, axis in enumerate(axes):
        at = b.add(b.mul(row, i64(len(axes))), i64(j))
        coord = k.to_i64(k.load(indices, index_dtype, at), index_dtype)
        size = x_shape[axis]
        # unsigned compare: a negative (or huge unsigned) coordinate is out of range
        inside = b.icmp_unsigned("<", coord, i64(size))
        if index_dtype.kind == "u":
            clamped = b.select(inside, coord, i64(size - 1))
        else:
            high = b.select(b.icmp_signed("<", coord, i64(size)), coord, i64(size - 1))
            clamped = b.select(b.icmp_signed("<", coord, i64(0)), i64(0), high)
        offset = b.add(offset, b.mul(clamped, i64(strides[axis])))
        valid = b.and_(valid, inside)
    return offset, valid


def _gather_build(k, in_avals, out_avals, axes, mode):
    x, indices = in_avals
    rest, rest_strides = _rest(x.shape, axes)
    rows, width = math.prod(indices.shape[:-1]), math.prod(rest)
    if rows * width == 0:
        return
    b = k.b
    with k.rows_loop(rows, rows * width, name="row") as row:
        offset, valid = _row_address(k, k.ins[1], indices.dtype, row, x.shape, axes)
        out_base = b.mul(row, i64(width))
        # 'clip' rows are always in range after clamping: take the copy branch
        with b.if_else(valid if mode == "fill" else ir.Constant(I1, 1)) as (then, otherwise):
            with then:
                copy_block(k, x.dtype, rest, k.outs[0], out_base, strides_of(rest), k.ins[0],
                           offset, rest_strides)
            with otherwise:
                fill = constant(x.dtype, np.nan if x.dtype.kind == "f" else 0)
                with k.loop(width, name="fill") as t:
                    k.store(k.outs[0], x.dtype, b.add(out_base, t), fill)


INDEXING[P.gather_p] = _gather_build


# ---- scatter family ------------------------------------------------------------------------

def _scatter_builder(combine):
    def build(k, in_avals, out_avals, axes, mode):
        x, indices, _ = in_avals
        copy_block(k, x.dtype, (x.size,), k.outs[0], 0, (1,), k.ins[0], 0, (1,))
        rest, rest_strides = _rest(x.shape, axes)
        rows, width = math.prod(indices.shape[:-1]), math.prod(rest)
        if rows * width == 0:
            return
        # the reference drops out-of-range rows also in 'clip' mode when an addressed
        # axis is empty (there is nothing to clamp to)
        drop = mode == "drop" or any(x.shape[a] == 0 for a in axes)
        b = k.b
        with k.loop(rows, name="row") as row:
            offset, valid = _row_address(k, k.ins[1], indices.dtype, row, x.shape, axes)
            with b.if_then(valid if drop else ir.Constant(I1, 1)):
                with k.nest(rest, name="r") as idx:
                    at = k.offset(idx, rest_strides, offset)
                    update = k.load(k.ins[2], x.dtype,
                                    k.offset(idx, strides_of(rest), b.mul(row, i64(width))))
                    old = k.load(k.outs[0], x.dtype, at)
                    k.store(k.outs[0], x.dtype, at, combine(k, x.dtype, old, update))
    return build


INDEXING[P.scatter_p] = _scatter_builder(lambda k, dt, old, new: new)
INDEXING[P.scatter_add_p] = _scatter_builder(lambda k, dt, old, new: k.add(dt, old, new))
INDEXING[P.scatter_mul_p] = _scatter_builder(lambda k, dt, old, new: k.mul(dt, old, new))
INDEXING[P.scatter_min_p] = _scatter_builder(lambda k, dt, old, new: k.minimum(dt, old, new))
INDEXING[P.scatter_max_p] = _scatter_builder(lambda k, dt, old, new: k.maximum(dt, old, new))
