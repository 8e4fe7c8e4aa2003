"""JVP rules (``jvp_rules``) and transpose rules (``transpose_rules``) of the structural
and indexing primitives.

Most of these primitives only move elements, so they are linear: the tangent is the
same primitive applied to the tangents, and the transpose sends each cotangent element
back to where its value came from (``slice`` <-> ``pad``, ``gather`` <-> ``scatter_add``,
``dynamic_slice`` <-> ``dynamic_update_slice``).  Integer operands (start indices,
gather/scatter indices) are not differentiable: their tangents are ``Zero`` and the
transposes return ``None`` for them.

The others:

* ``iota`` is a constant (zero tangent).
* ``scatter_mul`` follows the product rule.  Its tangent is exact to first order for any
  indices, duplicates and zero updates included (zeros are counted, not divided by);
  derivatives of second and higher order are exact except where two or more updates
  that are exactly zero land on the same location.
* ``scatter_min``/``scatter_max`` take the tangent of the source that won: the operand
  element and/or the update rows equal to the result.  Ties split the tangent evenly
  among the winners; a NaN result (no source equals it) gets a zero tangent.
* ``scatter`` (set) is exact with duplicate indices: only the update that won (the
  last in row-major order) receives a cotangent.  The tie-break is part of the
  primitive's definition, so programs that need portable gradients should still use
  unique indices.
* ``gather(mode='fill')`` fills out-of-range rows with a constant, so those rows have
  a zero tangent (never the NaN fill value).
"""
import numpy as np

from transforms import ops
from transforms.core import bind
from transforms.jvp import Zero, defjvp_zero, instantiate, jvp_rules, tangent_aval
from transforms.linearize import deflinear, is_linear, transpose_rules
from xla_like import primitives as P
from xla_like.primitives.structural import padded_size


# ---- small builders (every value may be a tracer: only bind and transforms.ops) -----------

def _zeros(aval):
    return ops.zeros_like_aval(aval)


def _pad_zeros(x, config):
    """``x`` padded with zeros by ``config`` ((lo, hi, interior) per dimension)."""
    if all(c == (0, 0, 0) for c in config):
        return x
    zero = ops.full((), 0, x.aval.dtype)
    return bind(P.pad_p, x, zero, padding_config=tuple(config))


def _slice(x, starts, limits, strides=None):
    return bind(P.slice_p, x, start_indices=tuple(starts), limit_indices=tuple(limits),
                strides=None if strides is None else tuple(strides))


def _gather(x, indices, axes, mode):
    return bind(P.gather_p, x, indices, axes=axes, mode=mode)


def _scatter_add(x, indices, updates, axes, mode):
    return bind(P.scatter_add_p, x, indices, updates, axes=axes, mode=mode)


def _total(x):
    return ops.reduce_sum(x, tuple(range(len(x.aval.shape))))


# ---- which update rows a scatter applies ---------------------------------------------------

def _table_shape(x_aval, axes):
    """``x``'s shape with every dimension outside ``axes`` collapsed to 1: a table with
    one entry per addressable location."""
    return tuple(d if i in axes else 1 for i, d in enumerate(x_aval.shape))


def _read_mode(x_aval, axes):
    """Gather mode for reading a value back at each update row.  'clip' never makes a
    NaN (rows it clamps are masked by the caller); 'fill' only when an addressed axis
    is empty and there is nothing to clamp to."""
    return "clip" if all(x_aval.shape[a] > 0 for a in axes) else "fill"


def _spread(row_mask, shape):
    """A mask of shape ``batch + (1,) * len(rest)`` broadcast over the updates' shape."""
    return ops.broadcast_in_dim(row_mask, shape, tuple(range(len(shape))))


def _applied_rows(x_aval, indices, axes, mode, shape):
    """Mask of ``shape`` (the updates' shape): True on the rows a scatter with ``mode``
    applies; None when it applies every row (clip into non-empty axes)."""
    if mode == "clip" and _read_mode(x_aval, axes) == "clip":
        return None
    ones = ops.full(_table_shape(x_aval, axes), 1, np.dtype(np.int32))
    hit = _gather(ones, indices, axes, "fill")           # 'fill' reads 0 out of range
    return _spread(ops.ne(hit, ops.full_like(hit, 0)), shape)


def _rows_that_win(x_aval, indices, axes, mode, shape):
    """Mask of ``shape``: True on the update rows whose value ``scatter`` keeps.

    Scatter each row's (1-based) number with the same indices and mode, read the
    numbers back, and keep the rows that read their own number: duplicates lose to the
    last row, a dropped row never finds its own number."""
    batch = indices.aval.shape[:-1]
    n = int(np.prod(batch, dtype=np.int64))
    id_dtype = np.dtype(np.int32 if n < np.iinfo(np.int32).max else np.int64)
    ids = bind(P.iota_p, dtype=id_dtype, shape=(n,), dimension=0)
    ids = ops.add(ids, ops.full((n,), 1, id_dtype))
    ids = ops.reshape(ids, batch + (1,) * (len(shape) - len(batch)))
    table = ops.full(_table_shape(x_aval, axes), 0, id_dtype)
    table = bind(P.scatter_p, table, indices, ids, axes=axes, mode=mode)
    read = _gather(table, indices, axes, _read_mode(x_aval, axes))
    return _spread(ops.eq(read, ids), shape)


def _keep_rows(values, mask):
    """``values`` where ``mask`` holds, zero elsewhere (``mask`` None keeps all)."""
    if mask is None:
        return values
    return ops.select(mask, _zeros(values.aval), values)


def _read_rows(values, x_aval, indices, axes, mask):
    """``values`` (shaped like the scatter operand) read at each update row; zero on the
    rows ``mask`` rejects, so no clamped or NaN read survives."""
    return _keep_rows(_gather(values, indices, axes, _read_mode(x_aval, axes)), mask)


# ---- JVP helpers --------------------------------------------------------------------------

def _defjvp_linear_in(prim, data_positions):
    """``prim`` is linear jointly in the operands at ``data_positions``; the others
    (integer indices) pass through unchanged."""
    def rule(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        if all(type(tangents[i]) is Zero for i in data_positions):
            return out, Zero(tangent_aval(out.aval))
        args = [instantiate(t) if i in data_positions else p
                for i, (p, t) in enumerate(zip(primals, tangents))]
        return out, bind(prim, *args, **params)
    jvp_rules[prim] = rule


def _sum_terms(terms, out):
    live = [t for t in terms if t is not None]
    if not live:
        return Zero(tangent_aval(out.aval))
    total = live[0]
    for t in live[1:]:
        total = ops.add(total, t)
    return total


# ---- broadcasting, reshaping, transposition ----------------------------------------------

def _broadcast_in_dim_transpose(ct, x, shape, broadcast_dimensions):
    in_shape = x.aval.shape
    new = [d for d in range(len(shape)) if d not in broadcast_dimensions]
    expanded = [out_d for d, out_d in zip(in_shape, broadcast_dimensions)
                if d == 1 and shape[out_d] != 1]
    summed = ops.reduce_sum(ct, tuple(sorted(new + expanded)))
    return [ops.reshape(summed, in_shape)]              # restores the expanded 1s


def _reshape_like_operand(ct, x, **params):
    """Transpose of reshape, squeeze and expand_dims: the same elements, x's shape."""
    return [ops.reshape(ct, x.aval.shape)]


def _transpose_transpose(ct, x, permutation):
    inverse = sorted(range(len(permutation)), key=permutation.__getitem__)
    return [ops.transpose(ct, inverse)]


def _rev_transpose(ct, x, dimensions):
    return [bind(P.rev_p, ct, dimensions=dimensions)]


# ---- pad, concatenate, slice ---------------------------------------------------------------

def _unpad(ct, shape, padding_config):
    """The elements of ``ct`` that came from the operand (of ``shape``) of a pad."""
    # negative lo/hi cropped the padded array: grow ct back (cropped parts get zero)
    ct = _pad_zeros(ct, [(max(-lo, 0), max(-hi, 0), 0) for lo, hi, _ in padding_config])
    starts = [max(lo, 0) for lo, _, _ in padding_config]
    limits = [s + padded_size(d, 0, 0, i)
              for s, d, (_, _, i) in zip(starts, shape, padding_config)]
    strides = [i + 1 for _, _, i in padding_config]
    return _slice(ct, starts, limits, strides)


def _pad_transpose(ct, x, padding_value, padding_config):
    x_ct = _unpad(ct, x.aval.shape, padding_config)
    # every output element is either an operand element or the padding value
    value_ct = ops.sub(_total(ct), _total(x_ct)) if is_linear(padding_value) else None
    return [x_ct if is_linear(x) else None, value_ct]


def _concatenate_transpose(ct, *xs, dimension):
    cts, start = [], 0
    for x in xs:
        stop = start + x.aval.shape[dimension]
        if is_linear(x):
            starts = [start if d == dimension else 0 for d in range(len(ct.aval.shape))]
            limits = [stop if d == dimension else n for d, n in enumerate(ct.aval.shape)]
            cts.append(_slice(ct, starts, limits))
        else:
            cts.append(None)
        start = stop
    return cts


def _slice_transpose(ct, x, start_indices, limit_indices, strides):
    steps = strides or (1,) * len(start_indices)
    config = [(lo, d - lo - padded_size(n, 0, 0, s - 1), s - 1)
              for lo, d, n, s in zip(start_indices, x.aval.shape, ct.aval.shape, steps)]
    return [_pad_zeros(ct, config)]


_LINEAR_TRANSPOSES = {
    P.broadcast_in_dim_p: _broadcast_in_dim_transpose,
    P.reshape_p: _reshape_like_operand,
    P.squeeze_p: _reshape_like_operand,
    P.expand_dims_p: _reshape_like_operand,
    P.transpose_p: _transpose_transpose,
    P.rev_p: _rev_transpose,
    P.pad_p: _pad_transpose,
    P.concatenate_p: _concatenate_transpose,
    P.slice_p: _slice_transpose,
}
for _prim, _transpose in _LINEAR_TRANSPOSES.items():
    deflinear(_prim, _transpose)

defjvp_zero(P.iota_p)


# ---- dynamic slices ------------------------------------------------------------------------

def _dynamic_slice_transpose(ct, x, *starts, slice_sizes):
    # the same (clamped) starts put ct back where the window was read
    x_ct = bind(P.dynamic_update_slice_p, _zeros(x.aval), ct, *starts)
    return [x_ct] + [None] * len(starts)


def _dynamic_update_slice_transpose(ct, x, update, *starts):
    x_ct = (bind(P.dynamic_update_slice_p, ct, _zeros(update.aval), *starts)
            if is_linear(x) else None)
    update_ct = (bind(P.dynamic_slice_p, ct, *starts, slice_sizes=update.aval.shape)
                 if is_linear(update) else None)
    return [x_ct, update_ct] + [None] * len(starts)


_defjvp_linear_in(P.dynamic_slice_p, (0,))
_defjvp_linear_in(P.dynamic_update_slice_p, (0, 1))
transpose_rules[P.dynamic_slice_p] = _dynamic_slice_transpose
transpose_rules[P.dynamic_update_slice_p] = _dynamic_update_slice_transpose


# ---- gather, scatter_add, scatter ------------------------------------------------------------

def _gather_jvp(primals, tangents, axes, mode):
    (x, indices), (x_dot, _) = primals, tangents
    out = _gather(x, indices, axes, mode)
    if type(x_dot) is Zero:
        return out, Zero(tangent_aval(out.aval))
    out_dot = _gather(x_dot, indices, axes, mode)
    # filled rows are constants: zero tangent, not the NaN fill value
    scatter_mode = "clip" if mode == "clip" else "drop"
    in_range = _applied_rows(x.aval, indices, axes, scatter_mode, out.aval.shape)
    return out, _keep_rows(out_dot, in_range)


def _gather_transpose(ct, x, indices, axes, mode):
    scatter_mode = "clip" if mode == "clip" else "drop"
    return [_scatter_add(_zeros(x.aval), indices, ct, axes, scatter_mode), None]


def _scatter_add_transpose(ct, x, indices, updates, axes, mode):
    updates_ct = None
    if is_linear(updates):
        applied = _applied_rows(x.aval, indices, axes, mode, updates.aval.shape)
        updates_ct = _read_rows(ct, x.aval, indices, axes, applied)
    return [ct if is_linear(x) else None, None, updates_ct]


def _scatter_transpose(ct, x, indices, updates, axes, mode):
    # locations that received an update did not keep the operand's value
    x_ct = (bind(P.scatter_p, ct, indices, _zeros(updates.aval), axes=axes, mode=mode)
            if is_linear(x) else None)
    updates_ct = None
    if is_linear(updates):
        won = _rows_that_win(x.aval, indices, axes, mode, updates.aval.shape)
        updates_ct = _read_rows(ct, x.aval, indices, axes, won)
    return [x_ct, None, updates_ct]


jvp_rules[P.gather_p] = _gather_jvp
transpose_rules[P.gather_p] = _gather_transpose
_defjvp_linear_in(P.scatter_add_p, (0, 2))
transpose_rules[P.scatter_add_p] = _scatter_add_transpose
_defjvp_linear_in(P.scatter_p, (0, 2))
transpose_rules[P.scatter_p] = _scatter_transpose


# ---- scatter_mul ---------------------------------------------------------------------------

def _product_of_others(x, indices, updates, axes, mode):
    """For each update row, the product of the other rows that land on its location
    (0 for rows the scatter skips).

    A nonzero row divides the full product by itself; a zero row takes the product of
    the nonzero rows if it is the only zero there, else 0: zeros are counted, never
    divided by."""
    u = updates
    applied = _applied_rows(x.aval, indices, axes, mode, u.aval.shape)

    def per_row(table):
        return _read_rows(table, x.aval, indices, axes, applied)

    def product(rows):
        ones_x = ops.full_like(x, 1)
        return per_row(bind(P.scatter_mul_p, ones_x, indices, rows, axes=axes, mode=mode))
    zeros_u, ones_u = _zeros(u.aval), ops.full_like(u, 1)
    is_zero = ops.eq(u, zeros_u)
    safe_u = ops.select(is_zero, u, ones_u)                     # zeros replaced by 1
    n_zeros = per_row(_scatter_add(_zeros(x.aval), indices,
                                   ops.convert(is_zero, u.aval.dtype), axes, mode))
    lone_zero = ops.select(ops.eq(n_zeros, ones_u), zeros_u, product(safe_u))
    return ops.select(is_zero, ops.div(product(u), safe_u), lone_zero)


def _scatter_mul_jvp(primals, tangents, axes, mode):
    (x, indices, updates), (x_dot, _, updates_dot) = primals, tangents
    out = bind(P.scatter_mul_p, x, indices, updates, axes=axes, mode=mode)
    x_term = updates_term = None
    if type(x_dot) is not Zero:                        # linear in x for fixed updates
        x_term = bind(P.scatter_mul_p, x_dot, indices, updates, axes=axes, mode=mode)
    if type(updates_dot) is not Zero:                  # x · Σ u̇_i · Π_{k≠i} u_k
        others = _product_of_others(x, indices, updates, axes, mode)
        summed = _scatter_add(_zeros(x.aval), indices, ops.mul(updates_dot, others),
                              axes, mode)
        updates_term = ops.mul(x, summed)
    return out, _sum_terms([x_term, updates_term], out)


def _scatter_mul_transpose(ct, x, indices, updates, axes, mode):
    if is_linear(updates):
        raise ValueError("transpose of scatter_mul: the updates must be known (the "
                         f"result is linear only in the operand), got updates {updates.aval}")
    # scaling each location by the product of its updates is self-adjoint
    return [bind(P.scatter_mul_p, ct, indices, updates, axes=axes, mode=mode), None, None]


jvp_rules[P.scatter_mul_p] = _scatter_mul_jvp
transpose_rules[P.scatter_mul_p] = _scatter_mul_transpose


# ---- scatter_min / scatter_max -----------------------------------------------------------------

def _scatter_extremum_jvp(prim):
    """The tangent of the winning source(s); ``n`` tied winners get 1/n each."""
    def rule(primals, tangents, axes, mode):
        (x, indices, updates), (x_dot, _, updates_dot) = primals, tangents
        out = bind(prim, x, indices, updates, axes=axes, mode=mode)
        if type(x_dot) is Zero and type(updates_dot) is Zero:
            return out, Zero(tangent_aval(out.aval))
        dtype = x.aval.dtype
        x_won = ops.convert(ops.eq(x, out), dtype)
        read = _read_rows(out, x.aval, indices, axes, None)
        applied = _applied_rows(x.aval, indices, axes, mode, updates.aval.shape)
        updates_won = _keep_rows(ops.convert(ops.eq(updates, read), dtype), applied)
        winners = ops.add(x_won, _scatter_add(_zeros(x.aval), indices, updates_won,
                                              axes, mode))
        winners = ops.maximum(winners, ops.full_like(winners, 1))   # NaN: no winner
        terms = [None, None]
        if type(x_dot) is not Zero:
            terms[0] = ops.mul(x_won, x_dot)
        if type(updates_dot) is not Zero:
            terms[1] = _scatter_add(_zeros(x.aval), indices,
                                    ops.mul(updates_won, updates_dot), axes, mode)
        return out, ops.div(_sum_terms(terms, out), winners)
    jvp_rules[prim] = rule


_scatter_extremum_jvp(P.scatter_min_p)
_scatter_extremum_jvp(P.scatter_max_p)
