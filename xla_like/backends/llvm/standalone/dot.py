"""dot_general as a direct loop nest: the kernel for the dtypes BLAS does not have
(integers; the executable sends float32/float64 to BLAS).

With batch axes ``B``, lhs free axes ``M``, rhs free axes ``N`` and contracting axes
``K`` (each a tuple of axes, in the order the dimension numbers give them),

    out[b, m, n] = sum_k lhs[b, m, k] * rhs[b, k, n]        (out is (B..., M..., N...))

Every operand is read in place through static strides (no transposes).  The rows
``(b, m)`` are independent and split across cores.  When ``rhs``'s last axis is
contracted (``x @ w.T``), each output is one sum over ``k``, contiguous in both
operands; otherwise each row is zeroed, then for each ``k`` the innermost loop runs
over ``n``: contiguous in the output, and in ``rhs`` when its free axes are its
trailing ones (the usual ``x @ w``).  Both vectorize (integer sums reassociate
exactly).  Measured on [512, 512] products here (one thread): int32 ``x @ w`` 11 ms
and ``x @ w.T`` 10 ms against NumPy's 102 and 49 ms; int64 14 and 13 ms against 224
and 57 ms (the strided ``x @ w.T`` as axpy rows took 93 and 376 ms).  Operands are
converted to ``preferred_element_type`` before the product, and integer arithmetic
wraps around like NumPy's ``matmul``.
"""
import math

from xla_like import primitives as P
from xla_like.backends.llvm.standalone.emit import constant, strides_of

DOT = {}


def _free(ndim, *used):
    return tuple(d for d in range(ndim) if not any(d in u for u in used))


def _dot_general_build(k, in_avals, out_avals, dimension_numbers, preferred_element_type):
    lhs, rhs = in_avals
    out = out_avals[0]
    (lc, rc), (lb, rb) = dimension_numbers
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
    if out.size == 0:
        return
    rows = tuple(lhs.shape[d] for d in lb + lf)
    contract = tuple(lhs.shape[d] for d in lc)
    free_n = tuple(rhs.shape[d] for d in rf)
    work = out.size * max(1, math.prod(contract))
    # rhs contiguous along a contracting axis (``x @ w.T``): each output is a dot
    # product of two contiguous runs; else axpy rows, contiguous along ``n``
    inner_products = bool(lc) and rhs.ndim - 1 in rc
    with k.rows_nest(rows, work, name="r") as row:
        out_row = k.offset(row, [s * math.prod(free_n) for s in strides_of(rows)])
        operands, axes = (lhs, rhs, out), (lc, rc, lb, rb, lf, rf)
        if inner_products:
            _inner_products_row(k, operands, axes, row, out_row)
        else:
            with k.nest(free_n, name="z") as n:
                k.store(k.outs[0], out.dtype, k.offset(n, strides_of(free_n), out_row),
                        constant(out.dtype, 0))
            if 0 not in contract:                # else empty sums: zeros
                _accumulate_row(k, operands, axes, row, out_row)


def _inner_products_row(k, avals, axes, row, out_row):
    """``out[row, n] = sum_c lhs[row, c] * rhs[batch, c, n]``, one sum at a time."""
    (lhs, rhs, out), (lc, rc, lb, rb, lf, rf) = avals, axes
    ls, rs = strides_of(lhs.shape), strides_of(rhs.shape)
    src, dtype = lhs.dtype, out.dtype
    free_n = tuple(rhs.shape[d] for d in rf)
    lhs_row = k.offset(row, [ls[d] for d in lb + lf])
    rhs_batch = k.offset(row[:len(lb)], [rs[d] for d in rb])
    with k.nest(free_n, name="n") as n:
        total = k.variable(constant(dtype, 0).type, constant(dtype, 0))
        rhs_at = k.offset(n, [rs[d] for d in rf], rhs_batch)
        with k.nest(tuple(lhs.shape[d] for d in lc), name="k") as c:
            x = k.load(k.ins[0], src, k.offset(c, [ls[d] for d in lc], lhs_row))
            y = k.load(k.ins[1], src, k.offset(c, [rs[d] for d in rc], rhs_at))
            product = k.mul(dtype, k.convert(x, src, dtype), k.convert(y, src, dtype))
            k.b.store(k.add(dtype, k.b.load(total), product), total)
        k.store(k.outs[0], dtype, k.offset(n, strides_of(free_n), out_row), k.b.load(total))


def _accumulate_row(k, avals, axes, row, out_row):
    """``out[row, n] += lhs[row, c] * rhs[batch, c, n]`` for every contracted ``c``."""
    (lhs, rhs, out), (lc, rc, lb, rb, lf, rf) = avals, axes
    ls, rs = strides_of(lhs.shape), strides_of(rhs.shape)
    src, dtype = lhs.dtype, out.dtype
    free_n = tuple(rhs.shape[d] for d in rf)
    batch = row[:len(lb)]
    lhs_row = k.offset(row, [ls[d] for d in lb + lf])
    rhs_batch = k.offset(batch, [rs[d] for d in rb])
    with k.nest(tuple(lhs.shape[d] for d in lc), name="k") as c:
        a = k.load(k.ins[0], src, k.offset(c, [ls[d] for d in lc], lhs_row))
        a = k.convert(a, src, dtype)
        rhs_at = k.offset(c, [rs[d] for d in rc], rhs_batch)
        with k.nest(free_n, name="n") as n:
            y = k.load(k.ins[1], src, k.offset(n, [rs[d] for d in rf], rhs_at))
            at = k.offset(n, strides_of(free_n), out_row)
            product = k.mul(dtype, a, k.convert(y, src, dtype))
            k.store(k.outs[0], dtype, at, k.add(dtype, k.load(k.outs[0], dtype, at), product))


DOT[P.dot_general_p] = _dot_general_build
