"""Batching rules (``batch_rules``) of the reductions, scans, sort, contractions and
windowed reductions.

The batch dimension stays where it is whenever the primitive can express that:
reductions and scans shift their axes past it, ``dot_general`` turns it into a batch
or free dimension (still one ``dot_general``), windowed reductions give it a window
of size 1.  Only ``sort`` (all operands one shape) and ``conv_general_dilated`` (fixed
layouts) move or fold it.

Each rule first re-checks the params against the per-example operand types, so a bad
axis under ``vmap`` is reported as the user wrote it, not shifted by the batch axis::

    vmap(lambda x: bind(reduce_sum_p, x, axes=(1,)))(xs)   # xs: f32[5,3,4]
    # reduce_sum[axes=(2,)] on f32[5,3,4], result batched at 0
"""
from transforms import ops
from transforms.core import bind, cached_abstract_eval
from transforms.vmap import batch_rules, batch_size, broadcast_batched, move_bdim
from xla_like import primitives as P


# ---- shared helpers --------------------------------------------------------------------

def _example_aval(x, bdim):
    """The type of one batch element of ``x``."""
    aval = x.aval
    if bdim is None:
        return aval
    return aval.update(shape=aval.shape[:bdim] + aval.shape[bdim + 1:])


class _Example:
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval


def _check_example(prim, args, bdims, params):
    """Type-check ``prim`` on one batch element (errors then name the user's shapes);
    returns the per-example result type (cached like eager type checks)."""
    examples = [_Example(_example_aval(a, b)) for a, b in zip(args, bdims)]
    return cached_abstract_eval(prim, examples, params)


def _shift(dims, bdim):
    """Per-example dimension numbers -> positions in an operand batched at ``bdim``."""
    return tuple(d + (d >= bdim) for d in dims)


def _free(ndim, *used):
    """The dimensions of a rank-``ndim`` operand that no group in ``used`` lists."""
    taken = set().union(*used)
    return [d for d in range(ndim) if d not in taken]


# ---- reductions, arg-reductions, scans ------------------------------------------------------

def _reduction_batch(prim):
    def rule(args, bdims, axes):
        _check_example(prim, args, bdims, {"axes": axes})
        (x,), (b,) = args, bdims
        # every reduced axis in front of the batch axis moves it one place left
        out_bdim = b - sum(a < b for a in axes)
        return bind(prim, x, axes=_shift(axes, b)), out_bdim
    rule.__name__ = f"_{prim.name}_batch"
    return rule


for _p in (P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p, P.reduce_and_p,
           P.reduce_or_p):
    batch_rules[_p] = _reduction_batch(_p)


def _arg_reduction_batch(prim):
    def rule(args, bdims, axis, index_dtype):
        _check_example(prim, args, bdims, {"axis": axis, "index_dtype": index_dtype})
        (x,), (b,) = args, bdims
        out_bdim = b - (axis < b)
        return bind(prim, x, axis=axis + (axis >= b), index_dtype=index_dtype), out_bdim
    rule.__name__ = f"_{prim.name}_batch"
    return rule


for _p in (P.argmax_p, P.argmin_p):
    batch_rules[_p] = _arg_reduction_batch(_p)


def _cumulative_batch(prim):
    def rule(args, bdims, axis, reverse):
        _check_example(prim, args, bdims, {"axis": axis, "reverse": reverse})
        (x,), (b,) = args, bdims
        return bind(prim, x, axis=axis + (axis >= b), reverse=reverse), b
    rule.__name__ = f"_{prim.name}_batch"
    return rule


for _p in (P.cumsum_p, P.cumprod_p, P.cummax_p, P.cummin_p):
    batch_rules[_p] = _cumulative_batch(_p)


# ---- sort ---------------------------------------------------------------------------------

def _sort_batch(args, bdims, dimension, is_stable, num_keys):
    params = {"dimension": dimension, "is_stable": is_stable, "num_keys": num_keys}
    _check_example(P.sort_p, args, bdims, params)
    # all operands must share one shape: align the batch axes where the first one is
    # and materialize unbatched operands along it
    dest = next(b for b in bdims if b is not None)
    size = batch_size(args, bdims)
    aligned = [broadcast_batched(a, b, size, dest) for a, b in zip(args, bdims)]
    params["dimension"] = dimension + (dimension >= dest)
    outs = bind(P.sort_p, *aligned, **params)
    return outs, [dest] * len(outs)


batch_rules[P.sort_p] = _sort_batch


# ---- dot_general ------------------------------------------------------------------------------

def _dot_general_batch(args, bdims, dimension_numbers, preferred_element_type):
    """One ``dot_general``: both operands batched -> a new leading batch dimension;
    one batched -> its batch axis is a free dimension of that operand, and the result's
    batch axis is where that free dimension lands (batch, lhs free, rhs free)."""
    params = {"dimension_numbers": dimension_numbers,
              "preferred_element_type": preferred_element_type}
    _check_example(P.dot_general_p, args, bdims, params)
    (lhs, rhs), (lb, rb) = args, bdims
    (lc, rc), (lbatch, rbatch) = dimension_numbers
    if lb is not None:
        lc, lbatch = _shift(lc, lb), _shift(lbatch, lb)
    if rb is not None:
        rc, rbatch = _shift(rc, rb), _shift(rbatch, rb)
    lhs_free = _free(lhs.aval.ndim, lc, lbatch)
    if lb is not None and rb is not None:
        lbatch, rbatch, out_bdim = (lb,) + lbatch, (rb,) + rbatch, 0
    elif lb is not None:
        out_bdim = len(lbatch) + lhs_free.index(lb)
    else:
        rhs_free = _free(rhs.aval.ndim, rc, rbatch)
        out_bdim = len(lbatch) + len(lhs_free) + rhs_free.index(rb)
    out = bind(P.dot_general_p, lhs, rhs, dimension_numbers=((lc, rc), (lbatch, rbatch)),
               preferred_element_type=preferred_element_type)
    return out, out_bdim


batch_rules[P.dot_general_p] = _dot_general_batch


# ---- conv_general_dilated ---------------------------------------------------------------------
# Layouts are fixed: lhs (N, C, *s), rhs (O, I, *s), out (N // batch_groups, O, *s).
# The conv splits N as (batch_group, n) and O as (group, o) with the group index
# outermost, so a folded-in vmap axis must sit inside the group index.

def _fold_inside_groups(x, groups):
    """(B, G*k, *rest) -> (G*B*k, *rest): the vmap axis B folded under the group index."""
    size, n, *rest = x.aval.shape
    if groups > 1:
        x = ops.reshape(x, (size, groups, n // groups, *rest))
        x = ops.transpose(x, (1, 0, *range(2, x.aval.ndim)))
    return ops.reshape(x, (size * n, *rest))


def _unfold_channels(out, size, groups, channels):
    """(N, G*B*o, *s) -> (N, B, G*o, *s), ``channels = G*o``: undo
    ``_fold_inside_groups`` on the output features."""
    n, _, *spatial = out.aval.shape
    if groups > 1:
        out = ops.reshape(out, (n, groups, size, channels // groups, *spatial))
        out = ops.transpose(out, (0, 2, 1, *range(3, out.aval.ndim)))
    return ops.reshape(out, (n, size, channels, *spatial))


def _conv_lhs_batched(lhs, lb, rhs, rb, size, params):
    """Fold the vmap axis into N (inside the batch groups) and split it off after."""
    lhs = move_bdim(lhs, lb, 0)
    n_out = lhs.aval.shape[1] // params["batch_group_count"]
    lhs = _fold_inside_groups(lhs, params["batch_group_count"])
    out = bind(P.conv_general_dilated_p, lhs, rhs, **params)
    return ops.reshape(out, (size, n_out, *out.aval.shape[1:])), 0


def _conv_rhs_batched(lhs, lb, rhs, rb, size, params):
    """Fold the vmap axis into O (inside the feature or batch groups)."""
    groups = params["feature_group_count"] * params["batch_group_count"]
    rhs = move_bdim(rhs, rb, 0)
    channels = rhs.aval.shape[1]
    rhs = _fold_inside_groups(rhs, groups)
    out = bind(P.conv_general_dilated_p, lhs, rhs, **params)
    return _unfold_channels(out, size, groups, channels), 1


def _conv_both_batched(lhs, lb, rhs, rb, size, params):
    """Each batch element is its own group: feature groups become ``B * groups`` with
    the vmap axis folded into C and O; with batch groups it is folded into N and O."""
    batch_groups = params["batch_group_count"]
    rhs = move_bdim(rhs, rb, 0)
    channels = rhs.aval.shape[1]
    rhs = _fold_inside_groups(rhs, 1)
    if batch_groups == 1:
        lhs = move_bdim(lhs, lb, 1)
        n, _, c, *spatial = lhs.aval.shape
        lhs = ops.reshape(lhs, (n, size * c, *spatial))
        params = dict(params, feature_group_count=size * params["feature_group_count"])
    else:
        lhs = _fold_inside_groups(move_bdim(lhs, lb, 0), 1)
        params = dict(params, batch_group_count=size * batch_groups)
    out = bind(P.conv_general_dilated_p, lhs, rhs, **params)
    return _unfold_channels(out, size, 1, channels), 1


_CONV_CASES = {(True, False): _conv_lhs_batched, (False, True): _conv_rhs_batched,
               (True, True): _conv_both_batched}


def _conv_general_dilated_batch(args, bdims, **params):
    aval = _check_example(P.conv_general_dilated_p, args, bdims, params)
    (lhs, rhs), (lb, rb) = args, bdims
    size = batch_size(args, bdims)
    if size == 0:   # group counts cannot be scaled by 0; the result is empty anyway
        return ops.full((0, *aval.shape), 0, aval.dtype, aval.weak), 0
    case = _CONV_CASES[lb is not None, rb is not None]
    return case(lhs, lb, rhs, rb, size, params)


batch_rules[P.conv_general_dilated_p] = _conv_general_dilated_batch


# ---- windowed reductions --------------------------------------------------------------------

def _reduce_window_batch(prim):
    def rule(args, bdims, window_dimensions, window_strides, padding, base_dilation,
             window_dilation):
        params = {"window_dimensions": window_dimensions, "window_strides": window_strides,
                  "padding": padding, "base_dilation": base_dilation,
                  "window_dilation": window_dilation}
        _check_example(prim, args, bdims, params)
        (x,), (b,) = args, bdims
        # the batch axis gets a window of one element, stride 1, no padding or dilation
        identity = {"window_dimensions": 1, "window_strides": 1, "padding": (0, 0),
                    "base_dilation": 1, "window_dilation": 1}
        batched = {k: v[:b] + (identity[k],) + v[b:] for k, v in params.items()}
        return bind(prim, x, **batched), b
    rule.__name__ = f"_{prim.name}_batch"
    return rule


for _p in (P.reduce_window_sum_p, P.reduce_window_max_p, P.reduce_window_min_p):
    batch_rules[_p] = _reduce_window_batch(_p)
