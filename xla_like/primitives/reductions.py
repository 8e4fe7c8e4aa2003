"""Reductions (``reduce_sum`` ... ``reduce_or``), ``argmax``/``argmin``, cumulative
scans (``cumsum`` ... ``cummin``) and the multi-operand ``sort``.

Results keep the operand's dtype (integer sums wrap around, as in C); an empty
reduction gives the identity of its operation.  ``max``/``min`` propagate NaN.
"""
import numpy as np

from xla_like import dtypes
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.quiet import ERROR_STATE, quiet_state
from xla_like.primitives.shape_rules import check_axes, check_axis, check_dtype, check_kind

__all__ = ["reduce_sum_p", "reduce_prod_p", "reduce_max_p", "reduce_min_p", "reduce_and_p",
           "reduce_or_p", "argmax_p", "argmin_p", "cumsum_p", "cumprod_p", "cummax_p",
           "cummin_p", "sort_p"]


# ---- identities ------------------------------------------------------------------------

def lowest(dtype):
    """The identity of ``max``: -inf, the smallest integer, or False."""
    if dtypes.is_inexact(dtype):
        return -np.inf
    return False if dtypes.is_bool(dtype) else np.iinfo(dtype).min


def highest(dtype):
    """The identity of ``min``: +inf, the largest integer, or True."""
    if dtypes.is_inexact(dtype):
        return np.inf
    return True if dtypes.is_bool(dtype) else np.iinfo(dtype).max


def _all_ones(dtype):
    """The identity of bitwise ``and``."""
    return True if dtypes.is_bool(dtype) else np.iinfo(dtype).max if dtype.kind == "u" else -1


# name -> (ufunc, allowed dtype kinds, identity for the dtype)
_REDUCTIONS = {
    "reduce_sum": (np.add, "iufc", lambda dt: 0),
    "reduce_prod": (np.multiply, "iufc", lambda dt: 1),
    "reduce_max": (np.maximum, "biuf", lowest),
    "reduce_min": (np.minimum, "biuf", highest),
    "reduce_and": (np.bitwise_and, "biu", _all_ones),
    "reduce_or": (np.bitwise_or, "biu", lambda dt: False if dtypes.is_bool(dt) else 0),
}


def _reduction(name):
    ufunc, kinds, identity = _REDUCTIONS[name]

    def abstract_eval(x, axes):
        check_kind(name, x, kinds)
        axes = check_axes(name, axes, x.ndim)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak)

    initials = {}       # dtype -> identity

    def impl(x, axes):
        initial = initials.get(x.dtype)
        if initial is None:
            initial = initials[x.dtype] = identity(x.dtype)
        token = ERROR_STATE.set(quiet_state())       # ``quietly``, inlined: the hot path
        try:
            out = ufunc.reduce(x, axis=axes, dtype=x.dtype, initial=initial)
        finally:
            ERROR_STATE.reset(token)
        return out if type(out) is np.ndarray else np.asarray(out, dtype=x.dtype)
    return Primitive(name, abstract_eval, impl)


reduce_sum_p = _reduction("reduce_sum")
reduce_prod_p = _reduction("reduce_prod")
reduce_max_p = _reduction("reduce_max")
reduce_min_p = _reduction("reduce_min")
reduce_and_p = _reduction("reduce_and")
reduce_or_p = _reduction("reduce_or")


# ---- argmax / argmin ----------------------------------------------------------------------

def _arg_reduction(name, np_fn):
    def abstract_eval(x, axis, index_dtype):
        check_kind(name, x, "biuf")
        axis = check_axis(name, axis, x.ndim)
        index_dtype = check_dtype(name, index_dtype)
        check_kind(name, ShapedArray((), index_dtype), "iu", "index_dtype")
        if x.shape[axis] == 0:
            raise ValueError(f"{name}: axis {axis} of {x} is empty; it has no {name[3:]}")
        if x.shape[axis] - 1 > np.iinfo(index_dtype).max:
            raise ValueError(f"{name}: index_dtype {index_dtype} cannot count the "
                             f"{x.shape[axis]} positions of axis {axis} of {x}")
        shape = x.shape[:axis] + x.shape[axis + 1:]
        return ShapedArray(shape, index_dtype, False)

    def impl(x, axis, index_dtype):
        # NumPy's argmax/argmin return the first occurrence and treat NaN as the extreme
        return np.asarray(np_fn(x, axis=axis), dtype=index_dtype)
    return Primitive(name, abstract_eval, impl)


argmax_p = _arg_reduction("argmax", np.argmax)
argmin_p = _arg_reduction("argmin", np.argmin)


# ---- cumulative scans ---------------------------------------------------------------------

def _cumulative(name, ufunc, kinds):
    def abstract_eval(x, axis, reverse):
        check_kind(name, x, kinds)
        check_axis(name, axis, x.ndim)
        if not isinstance(reverse, (bool, np.bool_)):
            raise TypeError(f"{name}: reverse must be a bool, got {reverse!r}")
        return x

    def impl(x, axis, reverse):
        if reverse:
            x = np.flip(x, axis)
        with np.errstate(over="ignore", invalid="ignore"):
            out = ufunc.accumulate(x, axis=axis, dtype=x.dtype)
        return np.ascontiguousarray(np.flip(out, axis) if reverse else out)
    return Primitive(name, abstract_eval, impl)


cumsum_p = _cumulative("cumsum", np.add, "iufc")
cumprod_p = _cumulative("cumprod", np.multiply, "iufc")
cummax_p = _cumulative("cummax", np.maximum, "biuf")
cummin_p = _cumulative("cummin", np.minimum, "biuf")


# ---- sort -------------------------------------------------------------------------------

def _sort_abstract_eval(*operands, dimension, is_stable, num_keys):
    name = "sort"
    if not operands:
        raise TypeError("sort: needs at least one operand")
    shape = operands[0].shape
    if any(op.shape != shape for op in operands):
        raise TypeError("sort: operands must have the same shape, got "
                        + ", ".join(str(op) for op in operands))
    check_axis(name, dimension, len(shape), "dimension")
    if not isinstance(num_keys, int) or not 1 <= num_keys <= len(operands):
        raise ValueError(f"sort: num_keys must be an int in [1, {len(operands)}], "
                         f"got {num_keys!r}")
    for key in operands[:num_keys]:
        check_kind(name, key, "biuf", "sort key")
    if not isinstance(is_stable, (bool, np.bool_)):
        raise TypeError(f"sort: is_stable must be a bool, got {is_stable!r}")
    return list(operands)


def _sort_impl(*operands, dimension, is_stable, num_keys):
    """Lexicographic sort by the first ``num_keys`` operands, NaNs last.

    Successive stable argsorts from the least to the most significant key give the
    lexicographic order; a stable sort is also a valid answer when ``is_stable`` is off.
    """
    moved = [np.moveaxis(op, dimension, -1) for op in operands]
    perm = np.broadcast_to(np.arange(moved[0].shape[-1]), moved[0].shape)
    for key in reversed(moved[:num_keys]):
        order = np.argsort(np.take_along_axis(key, perm, -1), axis=-1, kind="stable")
        perm = np.take_along_axis(perm, order, -1)
    return [np.ascontiguousarray(np.moveaxis(np.take_along_axis(op, perm, -1), -1, dimension))
            for op in moved]


sort_p = Primitive("sort", _sort_abstract_eval, _sort_impl, multiple_results=True)
