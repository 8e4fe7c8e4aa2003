"""Contractions: ``dot_general`` and ``conv_general_dilated``.

Both take operands of one dtype and accumulate in ``preferred_element_type`` when it
is given (a wider dtype of the same family, e.g. int8 -> int32), else in that dtype.
The result is weak only when both operands are and no preferred type is set.
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive
from xla_like.primitives.shape_rules import (as_int, check_axes, check_kind,
                                             check_pairs, check_positive_tuple,
                                             check_preferred_type, check_same_dtype,
                                             windowed_sizes)
from xla_like.primitives.quiet import ERROR_STATE, quiet_state, quietly
from xla_like.primitives.structural import pad_array

__all__ = ["dot_general_p", "conv_general_dilated_p"]


def _out_type(name, lhs, rhs, preferred_element_type):
    dtype = check_same_dtype(name, (lhs, rhs))
    check_kind(name, lhs, "iufc")
    out = check_preferred_type(name, dtype, preferred_element_type)
    weak = lhs.weak and rhs.weak and preferred_element_type is None
    return out, weak


# ---- dot_general ------------------------------------------------------------------------

def _check_dimension_numbers(lhs, rhs, dimension_numbers):
    name = "dot_general"
    try:
        (lc, rc), (lb, rb) = dimension_numbers
    except (TypeError, ValueError):
        raise TypeError(f"{name}: dimension_numbers must be ((lhs_contract, rhs_contract), "
                        f"(lhs_batch, rhs_batch)), got {dimension_numbers!r}") from None
    lc, lb = (check_axes(name, d, lhs.ndim, "lhs dimensions") for d in (lc, lb))
    rc, rb = (check_axes(name, d, rhs.ndim, "rhs dimensions") for d in (rc, rb))
    if set(lc) & set(lb) or set(rc) & set(rb):
        raise ValueError(f"{name}: a dimension cannot be both contracting and batch, got "
                         f"{dimension_numbers}")
    for what, ld, rd in (("contracting", lc, rc), ("batch", lb, rb)):
        lsizes = tuple(lhs.shape[d] for d in ld)
        rsizes = tuple(rhs.shape[d] for d in rd)
        if lsizes != rsizes:
            raise TypeError(f"{name}: {what} dimensions {ld} of {lhs} and {rd} of {rhs} "
                            f"have different sizes {lsizes} and {rsizes}")
    return lc, rc, lb, rb


def _free(ndim, *used):
    return tuple(d for d in range(ndim) if not any(d in u for u in used))


def _dot_general_abstract_eval(lhs, rhs, dimension_numbers, preferred_element_type):
    lc, rc, lb, rb = _check_dimension_numbers(lhs, rhs, dimension_numbers)
    dtype, weak = _out_type("dot_general", lhs, rhs, preferred_element_type)
    shape = (tuple(lhs.shape[d] for d in lb)
             + tuple(lhs.shape[d] for d in _free(lhs.ndim, lc, lb))
             + tuple(rhs.shape[d] for d in _free(rhs.ndim, rc, rb)))
    return ShapedArray(shape, dtype, weak)


def _as_matrices(x, batch, free, contract, contract_last):
    """Transpose to (batch, free, contract) or (batch, contract, free) and flatten each
    group, so the contraction is one batched matmul."""
    groups = (batch, free, contract) if contract_last else (batch, contract, free)
    order = [d for g in groups for d in g]
    moved = x if order == sorted(order) else np.transpose(x, order)
    sizes = [math.prod(x.shape[d] for d in g) for g in groups]
    if not batch and not free:          # a vector: BLAS takes the matrix-vector route
        return moved.reshape(sizes[2] if contract_last else sizes[1])
    return moved.reshape(sizes)


def matrix_product_transposes(lhs, rhs, dimension_numbers, preferred_element_type):
    """``(transpose lhs?, transpose rhs?)`` when this ``dot_general`` is one matrix or
    vector product of operands of one type (no batch axes, one contracted axis each,
    no wider result type): ``np.matmul`` of the (transposed) operands, which BLAS runs
    on views; None otherwise.  ``lhs``/``rhs``: arrays or avals.  Every path that runs
    such a product (this implementation, backward schedules, native loops) asks here.

    >>> matrix_product_transposes(np.ones((3, 2)), np.ones((3, 4)), (((0,), (0,)), ((), ())), None)
    (True, False)
    """
    (lc, rc), (lb, _) = dimension_numbers
    if (lb or len(lc) != 1 or not 0 < lhs.ndim <= 2 or not 0 < rhs.ndim <= 2
            or lhs.dtype != rhs.dtype
            # not ``preferred in (None, dtype)``: NumPy's float64 dtype equals None
            or (preferred_element_type is not None and preferred_element_type != lhs.dtype)):
        return None
    return lc[0] != lhs.ndim - 1, rc[0] != 0


def _dot_general_impl(lhs, rhs, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    transposes = matrix_product_transposes(lhs, rhs, dimension_numbers, preferred_element_type)
    if transposes is not None:
        # a matrix/vector product: BLAS directly on (transposed) views, the common case
        a = lhs.T if transposes[0] else lhs
        b = rhs.T if transposes[1] else rhs
        token = ERROR_STATE.set(quiet_state())       # ``quietly``, inlined: the hot path
        try:
            out = np.matmul(a, b)
        finally:
            ERROR_STATE.reset(token)
        return out if type(out) is np.ndarray else np.asarray(out)    # vector . vector
    out_dtype = preferred_element_type or lhs.dtype
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
    a = _as_matrices(lhs.astype(out_dtype, copy=False), lb, lf, lc, contract_last=True)
    b = _as_matrices(rhs.astype(out_dtype, copy=False), rb, rf, rc, contract_last=False)
    if not lb:             # a plain matrix product: 2-D operands let BLAS take views
        a, b = (a if a.ndim == 1 else a[0]), (b if b.ndim == 1 else b[0])
    # no contraction: an outer product per batch, by broadcasting
    out = quietly(np.matmul if lc else np.multiply, a, b)
    shape = ([lhs.shape[d] for d in lb] + [lhs.shape[d] for d in lf]
             + [rhs.shape[d] for d in rf])
    return np.asarray(out.reshape(shape), dtype=out_dtype)


dot_general_p = Primitive("dot_general", _dot_general_abstract_eval, _dot_general_impl)


# ---- conv_general_dilated -------------------------------------------------------------------

def _check_conv_groups(name, lhs, rhs, feature_group_count, batch_group_count):
    g = as_int(name, feature_group_count, "feature_group_count")
    b = as_int(name, batch_group_count, "batch_group_count")
    n, c, o, i = lhs.shape[0], lhs.shape[1], rhs.shape[0], rhs.shape[1]
    problems = []
    if g < 1 or b < 1 or (g > 1 and b > 1):
        problems.append("group counts must be >= 1 and at most one of them > 1")
    elif c != i * g:
        problems.append(f"lhs features {c} must equal rhs input features {i} times "
                        f"feature_group_count {g}")
    elif o % g or o % b or n % b:
        problems.append(f"rhs output features {o} must be divisible by both group counts "
                        f"and lhs batch {n} by batch_group_count")
    if problems:
        raise ValueError(f"{name}: {problems[0]}; got lhs {lhs}, rhs {rhs}, "
                         f"feature_group_count={g}, batch_group_count={b}")
    return g, b


def _conv_general_dilated_abstract_eval(lhs, rhs, window_strides, padding, lhs_dilation,
                                        rhs_dilation, feature_group_count, batch_group_count,
                                        preferred_element_type):
    name = "conv_general_dilated"
    if lhs.ndim < 2 or lhs.ndim != rhs.ndim:
        raise TypeError(f"{name}: lhs (N, C, *spatial) and rhs (O, I, *spatial) need the "
                        f"same rank >= 2, got {lhs} and {rhs}")
    dtype, weak = _out_type(name, lhs, rhs, preferred_element_type)
    s = lhs.ndim - 2
    strides = check_positive_tuple(name, window_strides, s, "window_strides")
    pads = check_pairs(name, padding, s)
    lhs_dil = check_positive_tuple(name, lhs_dilation, s, "lhs_dilation")
    rhs_dil = check_positive_tuple(name, rhs_dilation, s, "rhs_dilation")
    _, b = _check_conv_groups(name, lhs, rhs, feature_group_count, batch_group_count)
    spatial = windowed_sizes(name, lhs.shape[2:], rhs.shape[2:], strides, pads, lhs_dil,
                             rhs_dil)
    return ShapedArray((lhs.shape[0] // b, rhs.shape[0]) + spatial, dtype, weak)


def _conv_windows(lhs, kernel_shape, window_strides, padding, lhs_dilation, rhs_dilation):
    """Every (strided) window of the dilated, padded lhs: (N, C, *out, *kernel)."""
    s = len(kernel_shape)
    config = ((0, 0, 0),) * 2 + tuple((lo, hi, d - 1) for (lo, hi), d in
                                      zip(padding, lhs_dilation))
    padded = pad_array(lhs, lhs.dtype.type(0), config)
    spans = tuple((k - 1) * d + 1 for k, d in zip(kernel_shape, rhs_dilation))
    windows = sliding_window_view(padded, spans, axis=tuple(range(2, 2 + s)))
    picks = ((slice(None),) * 2 + tuple(slice(None, None, st) for st in window_strides)
             + tuple(slice(None, None, d) for d in rhs_dilation))
    return windows[picks]


def _conv_general_dilated_impl(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                               feature_group_count, batch_group_count,
                               preferred_element_type):
    """Cross-correlation: out[n, o, p] = sum_{i, k} lhs_padded[n, g*I + i, p*stride + k*dil]
    * rhs[o, i, k], where g is the feature group of output feature o."""
    out_aval = _conv_general_dilated_abstract_eval(
        *(ShapedArray(a.shape, a.dtype) for a in (lhs, rhs)), window_strides, padding,
        lhs_dilation, rhs_dilation, feature_group_count, batch_group_count,
        preferred_element_type)
    dtype = out_aval.dtype
    if 0 in out_aval.shape or 0 in rhs.shape:      # nothing to compute, or empty sums
        return np.zeros(out_aval.shape, dtype)
    win = _conv_windows(lhs.astype(dtype), rhs.shape[2:], window_strides, padding,
                        lhs_dilation, rhs_dilation)
    rhs = rhs.astype(dtype)
    g, b = feature_group_count, batch_group_count
    n, c, o, s = lhs.shape[0], lhs.shape[1], rhs.shape[0], lhs.ndim - 2
    win = win.reshape((b, n // b, g, c // g) + win.shape[2:])
    kernel = rhs.reshape((b, g, o // (b * g)) + rhs.shape[1:])
    pos, ker = "pqrstuvw"[:s], "PQRSTUVW"[:s]
    # b: batch group, n: batch, g: feature group, i: input feature, o: output feature
    spec = f"bngi{pos}{ker},bgoi{ker}->nbgo{pos}"
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.einsum(spec, win, kernel, optimize=True)
    return np.asarray(out.reshape(out_aval.shape), dtype=dtype)


conv_general_dilated_p = Primitive("conv_general_dilated", _conv_general_dilated_abstract_eval,
                                   _conv_general_dilated_impl)
