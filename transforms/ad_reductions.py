"""Differentiation rules of the reductions, cumulative scans, ``sort``, the contractions
(``dot_general``, ``conv_general_dilated``) and the windowed reductions: entries of
``jvp_rules`` and, for the primitives that appear linearly in tangent computations,
``transpose_rules``.

Conventions shared by the rules below:

* ``max``/``min`` style choices (``reduce_max``, ``reduce_window_max``, ...) give each
  position equal to the result an equal share of the tangent (ties share evenly).
* ``cumprod``/``cummax``/``cummin`` are differentiated as the prefix scan
  ``_prefix_scan`` written with ``pad`` and elementwise primitives, so their
  derivatives (and ties) follow the elementwise rules exactly.
* Static index arithmetic (windows, padding) is NumPy on the static shape params;
  values are only ever touched through ``bind``.

Limits: a NaN maximum matches no position, so its tangent is NaN; in a window that
holds ``-inf`` (``+inf`` for min) next to padding, the padding counts as a tie.

    >>> fl.grad(lambda x: fnp.max(x))(fnp.asarray([1.0, 3.0, 3.0]))   # [0., .5, .5]
"""
import numpy as np

from transforms import jvp_rules as _elementwise_rules  # noqa: F401  (the scans reuse them)
from transforms import ops
from transforms.array import from_numpy
from transforms.core import bind
from transforms.jvp import Zero, defjvp, defjvp_zero, jvp_flat, jvp_rules, tangent_aval
from transforms.linearize import deflinear, is_linear, transpose_rules
from xla_like import primitives as P
from xla_like.primitives.reductions import highest, lowest
from xla_like.primitives.shape_rules import dilate_size, windowed_sizes


# ---- small helpers ---------------------------------------------------------------------

def _normalize(axes, ndim):
    return tuple(sorted(a % ndim for a in axes))


def _kept(ndim, axes):
    return tuple(d for d in range(ndim) if d not in axes)


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _pad(x, value, config):
    """``pad`` with a scalar ``value`` of ``x``'s dtype (``config``: (lo, hi, interior))."""
    fill = ops.full((), value, x.aval.dtype, x.aval.weak)
    return bind(P.pad_p, x, fill, padding_config=tuple(tuple(c) for c in config))


def _along(ndim, axis, entry, rest=(0, 0, 0)):
    """A padding config that is ``entry`` on ``axis`` and ``rest`` elsewhere."""
    return tuple(entry if d == axis else rest for d in range(ndim))


def _as_operand_type(x, aval):
    """``x`` converted to ``aval``'s dtype and weakness (cotangents match operands)."""
    return ops.convert(x, aval.dtype, aval.weak)


def _index_dtype(*sizes):
    return np.dtype(np.int32) if max(sizes, default=0) < 2 ** 31 else np.dtype(np.int64)


def _zero_ct(aval):
    return ops.zeros_like_aval(aval)


# ---- reductions ------------------------------------------------------------------------

def _reduce_sum_transpose(ct, x, axes):
    shape = x.aval.shape
    kept = _kept(len(shape), _normalize(axes, len(shape)))
    return [_as_operand_type(ops.broadcast_in_dim(ct, shape, kept), x.aval)]


deflinear(P.reduce_sum_p, _reduce_sum_transpose)


def _chooser_tangent(x, t, out, axes):
    """Tangent of a max/min over ``axes``: the mean of ``t`` over the positions of ``x``
    equal to the result (so ties share the tangent evenly)."""
    shape = x.aval.shape
    if any(shape[a] == 0 for a in axes):      # empty: the result is a constant identity
        return Zero(tangent_aval(out.aval))
    on_result = ops.eq(x, ops.broadcast_in_dim(out, shape, _kept(len(shape), axes)))
    hit = ops.convert(on_result, x.aval.dtype, x.aval.weak)
    count = ops.reduce_sum(hit, axes)
    return ops.div(ops.reduce_sum(ops.mul(t, hit), axes), count)


def _reduce_chooser_jvp(prim):
    def rule(primals, tangents, axes):
        (x,), (t,) = primals, tangents
        out = bind(prim, x, axes=axes)
        return out, _chooser_tangent(x, t, out, _normalize(axes, x.aval.ndim))
    return rule


jvp_rules[P.reduce_max_p] = _reduce_chooser_jvp(P.reduce_max_p)
jvp_rules[P.reduce_min_p] = _reduce_chooser_jvp(P.reduce_min_p)


def _exclusive_cumprod(x, axis, reverse):
    """Product of the elements strictly before (after, if ``reverse``) each position."""
    shift = (-1, 1, 0) if reverse else (1, -1, 0)     # shift by one, bringing in a 1
    shifted = _pad(x, 1, _along(x.aval.ndim, axis, shift))
    return bind(P.cumprod_p, shifted, axis=axis, reverse=reverse)


def _reduce_prod_jvp(primals, tangents, axes):
    """d prod(x) = sum_i t_i * prod_{j != i} x_j, with the product of the others as
    (product before i) * (product after i): exact at zeros, no division."""
    (x,), (t,) = primals, tangents
    out = bind(P.reduce_prod_p, x, axes=axes)
    shape = x.aval.shape
    axes = _normalize(axes, len(shape))
    kept = _kept(len(shape), axes)
    flat = tuple(shape[d] for d in kept) + (_size([shape[a] for a in axes]),)

    def reduced_last(v):
        return ops.reshape(ops.transpose(v, kept + axes), flat)
    x_flat, last = reduced_last(x), len(kept)
    others = ops.mul(_exclusive_cumprod(x_flat, last, False),
                     _exclusive_cumprod(x_flat, last, True))
    return out, ops.reduce_sum(ops.mul(reduced_last(t), others), (last,))


jvp_rules[P.reduce_prod_p] = _reduce_prod_jvp

for _p in (P.reduce_and_p, P.reduce_or_p, P.argmax_p, P.argmin_p):
    defjvp_zero(_p)


# ---- cumulative scans ------------------------------------------------------------------

def _cumsum_transpose(ct, x, axis, reverse):
    return [bind(P.cumsum_p, ct, axis=axis, reverse=not reverse)]


deflinear(P.cumsum_p, _cumsum_transpose)

# scan primitive -> (combining function, its identity for a dtype)
_SCANS = {
    P.cumprod_p: (ops.mul, lambda dtype: 1),
    P.cummax_p: (ops.maximum, lowest),
    P.cummin_p: (ops.minimum, highest),
}


def _prefix_scan(combine, identity, x, axis, reverse):
    """Inclusive scan by doubling (Hillis-Steele): after the step with shift ``s`` each
    position combines the ``2 s`` elements ending at it.  The two halves combined are
    disjoint, so a max over ties splits its tangent along a balanced tree.

    ``_prefix_scan(ops.mul, 1, x, 0, False)`` equals ``cumprod(x, axis=0)``.
    """
    n, shift = x.aval.shape[axis], 1
    while shift < n:
        entry = (-shift, shift, 0) if reverse else (shift, -shift, 0)
        x = combine(x, _pad(x, identity, _along(x.aval.ndim, axis, entry)))
        shift *= 2
    return x


def _scan_jvp(prim):
    combine, identity = _SCANS[prim]

    def rule(primals, tangents, axis, reverse):
        (x,), (t,) = primals, tangents
        out = bind(prim, x, axis=axis, reverse=reverse)
        axis = axis % x.aval.ndim
        fill = identity(x.aval.dtype)

        def scan(v):
            return [_prefix_scan(combine, fill, v, axis, reverse)]
        _, (t_out,) = jvp_flat(scan, [x], [t])
        return out, t_out
    return rule


for _p in _SCANS:
    jvp_rules[_p] = _scan_jvp(_p)


# ---- sort -------------------------------------------------------------------------------

def _take_along_indices(perm, dimension):
    """Gather coordinates ``(..., ndim)`` that read ``perm`` along ``dimension`` and stay
    in place along the other dimensions (a take-along-axis over all axes)."""
    shape, dtype = perm.aval.shape, perm.aval.dtype
    columns = [perm if d == dimension else
               bind(P.iota_p, dtype=dtype, shape=shape, dimension=d)
               for d in range(len(shape))]
    columns = [ops.reshape(c, shape + (1,)) for c in columns]
    return bind(P.concatenate_p, *columns, dimension=len(shape))


def _sort_jvp(primals, tangents, dimension, is_stable, num_keys):
    """Sort an extra ``iota`` operand along to learn the permutation, then permute the
    tangents with it."""
    shape = primals[0].aval.shape
    dimension = dimension % len(shape)
    iota = bind(P.iota_p, dtype=_index_dtype(*shape), shape=shape, dimension=dimension)
    *outs, perm = bind(P.sort_p, *primals, iota, dimension=dimension,
                       is_stable=is_stable, num_keys=num_keys)
    indices = _take_along_indices(perm, dimension)
    axes = tuple(range(len(shape)))
    t_outs = [Zero(tangent_aval(o.aval)) if type(t) is Zero else
              bind(P.gather_p, t, indices, axes=axes, mode="clip")
              for o, t in zip(outs, tangents)]
    return outs, t_outs


jvp_rules[P.sort_p] = _sort_jvp


# ---- dot_general ------------------------------------------------------------------------

defjvp(P.dot_general_p,
       lambda t, lhs, rhs, **params: bind(P.dot_general_p, t, rhs, **params),
       lambda t, lhs, rhs, **params: bind(P.dot_general_p, lhs, t, **params))


def _dot_operand_ct(ct, other, aval, mine, theirs, other_is_lhs, preferred):
    """Cotangent of one ``dot_general`` operand (``aval``): contract ``ct`` with the
    ``other`` operand over the other's free dims, then transpose to the operand's order.

    ``mine``/``theirs`` are (contracting, batch) dims of the operand and of ``other``.
    """
    (my_c, my_b), (their_c, their_b) = mine, theirs
    my_free = _kept(aval.ndim, my_c + my_b)
    their_free = _kept(other.aval.ndim, their_c + their_b)
    nb = len(my_b)
    # ct's layout is (batch, lhs free, rhs free)
    first = nb if other_is_lhs else nb + len(my_free)
    ct_their = tuple(range(first, first + len(their_free)))
    ct = ops.convert(ct, aval.dtype, ct.aval.weak)
    contract_order = [my_c[i] for i in np.argsort(their_c)]
    if not nb and contract_order + list(my_free) == sorted(my_c + my_free):
        # other-first contraction lands in the operand's own layout: no transpose
        out = bind(P.dot_general_p, other, ct, dimension_numbers=(
            (their_free, ct_their), ((), ())), preferred_element_type=preferred)
        return _as_operand_type(out, aval)
    dims = ((ct_their, their_free), (tuple(range(nb)), tuple(their_b)))
    out = bind(P.dot_general_p, ct, other, dimension_numbers=dims,
               preferred_element_type=preferred)
    # out's layout: my batch dims, my free dims, then my contracting dims ordered as
    # the other operand's (ascending) leftover dims
    layout = list(my_b) + list(my_free) + contract_order
    return _as_operand_type(ops.transpose(out, tuple(np.argsort(layout))), aval)


def _dot_general_transpose(ct, lhs, rhs, dimension_numbers, preferred_element_type):
    if is_linear(lhs) and is_linear(rhs):
        raise ValueError("transpose of dot_general: both operands are linear "
                         "(not a linear map)")
    (lc, rc), (lb, rb) = dimension_numbers
    lc, rc = tuple(lc), tuple(rc)
    lb, rb = tuple(lb), tuple(rb)
    if is_linear(lhs):
        return [_dot_operand_ct(ct, rhs, lhs.aval, (lc, lb), (rc, rb), False,
                                preferred_element_type), None]
    return [None, _dot_operand_ct(ct, lhs, rhs.aval, (rc, rb), (lc, lb), True,
                                  preferred_element_type)]


transpose_rules[P.dot_general_p] = _dot_general_transpose


# ---- conv_general_dilated ---------------------------------------------------------------

defjvp(P.conv_general_dilated_p,
       lambda t, lhs, rhs, **params: bind(P.conv_general_dilated_p, t, rhs, **params),
       lambda t, lhs, rhs, **params: bind(P.conv_general_dilated_p, lhs, t, **params))


def _lhs_ct_padding(in_shape, window, strides, out_shape, padding, lhs_dilation,
                    rhs_dilation):
    """Padding of the strided-transposed correlation that maps an output cotangent back
    onto the (dilated) input: the kernel span minus the forward low padding before, and
    whatever makes the result exactly the input's size after."""
    pads = []
    for d, k, s, o, (lo, _), ld, rd in zip(in_shape, window, strides, out_shape, padding,
                                            lhs_dilation, rhs_dilation):
        before = dilate_size(k, rd) - lo - 1
        after = dilate_size(d, ld) + dilate_size(k, rd) - 1 - dilate_size(o, s) - before
        pads.append((before, after))
    return tuple(pads)


def _rhs_ct_padding(in_shape, window, strides, out_shape, padding, lhs_dilation,
                    rhs_dilation):
    """Padding of the correlation of the input with the output cotangent that yields a
    kernel-sized result: the forward low padding, and a high padding that ends the
    last window at the last output position."""
    pads = []
    for d, k, s, o, (lo, _), ld, rd in zip(in_shape, window, strides, out_shape, padding,
                                            lhs_dilation, rhs_dilation):
        hi = dilate_size(o, s) - dilate_size(d, ld) + dilate_size(k, rd) - lo - 1
        pads.append((lo, hi))
    return tuple(pads)


def _swap_first_two(x):
    return ops.transpose(x, (1, 0) + tuple(range(2, x.aval.ndim)))


def _regroup_kernel(rhs, groups):
    """(O, I, *K) -> (groups * I, O / groups, *K): output and input features swap roles
    within each group, for the transposed convolution."""
    o, i, *k = rhs.aval.shape
    split = ops.reshape(rhs, (groups, o // groups, i) + tuple(k))
    swapped = ops.transpose(split, (0, 2, 1) + tuple(range(3, 3 + len(k))))
    return ops.reshape(swapped, (groups * i, o // groups) + tuple(k))


def _conv_lhs_ct(ct, rhs, aval, window_strides, padding, lhs_dilation, rhs_dilation,
                 feature_group_count, batch_group_count, preferred_element_type):
    """lhs cotangent: correlate ``ct`` (dilated by the strides) with the spatially
    flipped, in/out-swapped kernel; batch groups come back out of the feature axis."""
    ndim = aval.ndim
    groups = max(feature_group_count, batch_group_count)
    kernel = bind(P.rev_p, _regroup_kernel(rhs, groups), dimensions=tuple(range(2, ndim)))
    pads = _lhs_ct_padding(aval.shape[2:], rhs.aval.shape[2:], window_strides,
                           ct.aval.shape[2:], padding, lhs_dilation, rhs_dilation)
    out = bind(P.conv_general_dilated_p, ops.convert(ct, aval.dtype, ct.aval.weak), kernel,
               window_strides=tuple(lhs_dilation), padding=pads,
               lhs_dilation=tuple(window_strides), rhs_dilation=tuple(rhs_dilation),
               feature_group_count=groups, batch_group_count=1,
               preferred_element_type=preferred_element_type)
    if batch_group_count > 1:     # (N/B, B*C, *S) -> (N, C, *S), batch group major
        n_b, _, *spatial = out.aval.shape
        b, c = batch_group_count, aval.shape[1]
        out = ops.reshape(out, (n_b, b, c) + tuple(spatial))
        out = ops.transpose(out, (1, 0) + tuple(range(2, ndim + 1)))
        out = ops.reshape(out, aval.shape)
    return _as_operand_type(out, aval)


def _conv_rhs_ct(ct, lhs, aval, window_strides, padding, lhs_dilation, rhs_dilation,
                 feature_group_count, batch_group_count, preferred_element_type):
    """rhs cotangent: correlate the input (batch and features swapped) with ``ct`` used as
    a kernel; feature groups become batch groups and vice versa."""
    if batch_group_count > 1:
        groups = {"feature_group_count": batch_group_count, "batch_group_count": 1}
    else:
        groups = {"feature_group_count": 1, "batch_group_count": feature_group_count}
    pads = _rhs_ct_padding(lhs.aval.shape[2:], aval.shape[2:], window_strides,
                           ct.aval.shape[2:], padding, lhs_dilation, rhs_dilation)
    out = bind(P.conv_general_dilated_p, _swap_first_two(lhs),
               _swap_first_two(ops.convert(ct, aval.dtype, ct.aval.weak)),
               window_strides=tuple(rhs_dilation), padding=pads,
               lhs_dilation=tuple(lhs_dilation), rhs_dilation=tuple(window_strides),
               preferred_element_type=preferred_element_type, **groups)
    return _as_operand_type(_swap_first_two(out), aval)


def _conv_general_dilated_transpose(ct, lhs, rhs, **params):
    if is_linear(lhs) and is_linear(rhs):
        raise ValueError("transpose of conv_general_dilated: both operands are linear "
                         "(not a linear map)")
    target = lhs.aval if is_linear(lhs) else rhs.aval
    other = rhs if is_linear(lhs) else lhs
    if 0 in ct.aval.shape or 0 in other.aval.shape or 0 in target.shape:
        ct_target = _zero_ct(target)          # nothing flows: empty sums or no outputs
    elif is_linear(lhs):
        ct_target = _conv_lhs_ct(ct, rhs, target, **params)
    else:
        ct_target = _conv_rhs_ct(ct, lhs, target, **params)
    return [ct_target, None] if is_linear(lhs) else [None, ct_target]


transpose_rules[P.conv_general_dilated_p] = _conv_general_dilated_transpose


# ---- windowed reductions ----------------------------------------------------------------

def _reduce_window_sum_transpose(ct, x, window_dimensions, window_strides, padding,
                                 base_dilation, window_dilation):
    """Spread ``ct`` back with stride holes, then sum the windows that cover each input
    (a window of ones is its own flip, so no reversal is needed); base dilation
    becomes the stride that picks the real input positions."""
    aval, n = x.aval, x.aval.ndim
    if 0 in ct.aval.shape or 0 in aval.shape:
        return [_zero_ct(aval)]
    pads = _lhs_ct_padding(aval.shape, window_dimensions, window_strides, ct.aval.shape,
                           padding, base_dilation, window_dilation)
    config = tuple((lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides))
    out = bind(P.reduce_window_sum_p, _pad(ct, 0, config),
               window_dimensions=tuple(window_dimensions),
               window_strides=tuple(base_dilation), padding=((0, 0),) * n,
               base_dilation=(1,) * n, window_dilation=tuple(window_dilation))
    return [_as_operand_type(out, aval)]


deflinear(P.reduce_window_sum_p, _reduce_window_sum_transpose)


def _window_indices(shape, window_dimensions, window_strides, padding, base_dilation,
                    window_dilation):
    """Coordinates into the padded, base-dilated operand of every window element:
    an int array of shape ``out_shape + (window size, ndim)`` (static NumPy)."""
    n = len(shape)
    out_shape = windowed_sizes("reduce_window", shape, window_dimensions, window_strides,
                               padding, base_dilation, window_dilation)
    grid = out_shape + tuple(window_dimensions)
    coords = []
    for d, (s, wd) in enumerate(zip(window_strides, window_dilation)):
        start = np.arange(out_shape[d]).reshape([-1 if i == d else 1 for i in range(2 * n)])
        step = np.arange(window_dimensions[d]).reshape(
            [-1 if i == n + d else 1 for i in range(2 * n)])
        coords.append(np.broadcast_to(start * s + step * wd, grid))
    flat = np.stack(coords, axis=-1) if coords else np.zeros(grid + (0,), np.int64)
    window_size = _size(window_dimensions)
    padded = [dilate_size(sz, b) + lo + hi for sz, (lo, hi), b in
              zip(shape, padding, base_dilation)]
    return flat.reshape(out_shape + (window_size, n)).astype(_index_dtype(*padded), copy=False)


def _window_chooser_jvp(prim, identity):
    """Gather every window as a patch (last axis), then take the max/min rule on it."""
    def rule(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        out = bind(prim, x, **params)
        if 0 in out.aval.shape:
            return out, Zero(tangent_aval(out.aval))
        indices = from_numpy(_window_indices(x.aval.shape, **params))
        config = tuple((lo, hi, b - 1) for (lo, hi), b in
                       zip(params["padding"], params["base_dilation"]))
        axes = tuple(range(x.aval.ndim))

        def patches(v, fill):
            return bind(P.gather_p, _pad(v, fill, config), indices, axes=axes, mode="clip")
        return out, _chooser_tangent(patches(x, identity(x.aval.dtype)), patches(t, 0), out,
                                     (out.aval.ndim,))
    return rule


jvp_rules[P.reduce_window_max_p] = _window_chooser_jvp(P.reduce_window_max_p, lowest)
jvp_rules[P.reduce_window_min_p] = _window_chooser_jvp(P.reduce_window_min_p, highest)
