"""functorch_lite.lax: thin wrappers over the primitives, under lax's names.

Unlike ``functorch_lite.numpy``, lax does not promote: the operands of a binary
operation must share one dtype and shape.  Python scalars are the one convenience:
they take the dtype of the array they meet and broadcast to its shape, so
``lax.add(x_f32, 2.0)`` works while ``lax.add(x_f32, x_i64)`` raises a TypeError.

>>> lax.mul(lax.iota(float32, 3), 2.0).tolist()
[0.0, 2.0, 4.0]
"""
import builtins
import enum
import operator
from typing import NamedTuple

import numpy as np

from transforms.array import from_numpy
from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from xla_like.primitives.reductions import highest, lowest
from functorch_lite.numpy._convert import as_operand, broadcast_to
from functorch_lite.numpy._shape import normalize_axes, normalize_axis


# ---- operands ----------------------------------------------------------------------------

# bool < int < float < complex: a scalar may only take a dtype at least as general
_KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}


def _scalar_as(value, dtype, name):
    """A Python scalar as a weak 0-d array of ``dtype`` (refusing lossy conversions)."""
    kind = dtypes.python_scalar_dtype(value).kind
    if _KIND_RANK[kind] > _KIND_RANK[dtype.kind]:
        raise TypeError(f"lax.{name}: Python {type(value).__name__} {value!r} cannot take "
                        f"the operand dtype {dtype} without losing information")
    return from_numpy(np.asarray(value, dtype=dtype), weak=dtype != dtypes.bool_)


def _is_python_scalar(x):
    # by exact type: NumPy scalars such as np.float64 subclass float but keep their dtype
    return type(x) in (bool, int, float, complex)


def _operand(x):
    """An array operand; NumPy scalars keep their dtype (they are not weak)."""
    if isinstance(x, np.generic):
        return from_numpy(np.asarray(x))
    return as_operand(x)


def _same_dtype(name, arrays):
    kinds = [a.aval.dtype for a in arrays]
    if any(d != kinds[0] for d in kinds[1:]):
        raise TypeError(f"lax.{name} requires arguments to have the same dtype, got "
                        + ", ".join(str(d) for d in kinds)
                        + " (lax does not promote; use lax.convert_element_type)")
    return arrays


def _operands(name, *args, broadcast=True):
    """Arrays unchanged; Python scalars take the first array's dtype (and shape)."""
    arrays = [_operand(a) for a in args if not _is_python_scalar(a)]
    if not arrays:
        return _same_dtype(name, [_operand(a) for a in args])
    ref = arrays[0].aval
    out = []
    for a in args:
        if _is_python_scalar(a):
            a = _scalar_as(a, ref.dtype, name)
            a = broadcast_to(a, ref.shape) if broadcast else a
        out.append(_operand(a))
    return _same_dtype(name, out)


def _unary(prim, name):
    def fn(x):
        return bind(prim, _operand(x))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{prim.name}`` (the primitive, no promotion)."
    return fn


def _binary(prim, name):
    def fn(x, y):
        return bind(prim, *_operands(name, x, y))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{prim.name}``; operands share one dtype and shape."
    return fn


def _transpose(x, perm):
    perm = tuple(perm)
    return x if perm == tuple(range(len(perm))) else bind(P.transpose_p, x, permutation=perm)


# ---- elementwise ----------------------------------------------------------------------------

add = _binary(P.add_p, "add")
sub = _binary(P.sub_p, "sub")
mul = _binary(P.mul_p, "mul")
div = _binary(P.div_p, "div")
rem = _binary(P.rem_p, "rem")
pow = _binary(P.pow_p, "pow")
max = _binary(P.max_p, "max")
min = _binary(P.min_p, "min")
atan2 = _binary(P.atan2_p, "atan2")
nextafter = _binary(P.nextafter_p, "nextafter")
bitwise_and = _binary(P.and_p, "bitwise_and")
bitwise_or = _binary(P.or_p, "bitwise_or")
bitwise_xor = _binary(P.xor_p, "bitwise_xor")
shift_left = _binary(P.shift_left_p, "shift_left")
shift_right_arithmetic = _binary(P.shift_right_arithmetic_p, "shift_right_arithmetic")
shift_right_logical = _binary(P.shift_right_logical_p, "shift_right_logical")
eq = _binary(P.eq_p, "eq")
ne = _binary(P.ne_p, "ne")
lt = _binary(P.lt_p, "lt")
le = _binary(P.le_p, "le")
gt = _binary(P.gt_p, "gt")
ge = _binary(P.ge_p, "ge")

neg = _unary(P.neg_p, "neg")
abs = _unary(P.abs_p, "abs")
sign = _unary(P.sign_p, "sign")
exp = _unary(P.exp_p, "exp")
exp2 = _unary(P.exp2_p, "exp2")
log = _unary(P.log_p, "log")
log1p = _unary(P.log1p_p, "log1p")
expm1 = _unary(P.expm1_p, "expm1")
sin = _unary(P.sin_p, "sin")
cos = _unary(P.cos_p, "cos")
tan = _unary(P.tan_p, "tan")
asin = _unary(P.asin_p, "asin")
acos = _unary(P.acos_p, "acos")
atan = _unary(P.atan_p, "atan")
sinh = _unary(P.sinh_p, "sinh")
cosh = _unary(P.cosh_p, "cosh")
tanh = _unary(P.tanh_p, "tanh")
asinh = _unary(P.asinh_p, "asinh")
acosh = _unary(P.acosh_p, "acosh")
atanh = _unary(P.atanh_p, "atanh")
logistic = _unary(P.logistic_p, "logistic")
sqrt = _unary(P.sqrt_p, "sqrt")
rsqrt = _unary(P.rsqrt_p, "rsqrt")
cbrt = _unary(P.cbrt_p, "cbrt")
erf = _unary(P.erf_p, "erf")
erfc = _unary(P.erfc_p, "erfc")
erf_inv = _unary(P.erf_inv_p, "erf_inv")
lgamma = _unary(P.lgamma_p, "lgamma")
digamma = _unary(P.digamma_p, "digamma")
floor = _unary(P.floor_p, "floor")
ceil = _unary(P.ceil_p, "ceil")
is_finite = _unary(P.is_finite_p, "is_finite")
bitwise_not = _unary(P.not_p, "bitwise_not")
copy = _unary(P.copy_p, "copy")


def integer_pow(x, y):
    """``x ** y`` for a static Python int ``y``.  ``integer_pow(x, 3) == x * x * x``"""
    return bind(P.integer_pow_p, _operand(x), y=operator.index(y))


class RoundingMethod(enum.IntEnum):
    """How ``round`` breaks ties: away from zero (the default) or to the even neighbour."""
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


_ROUNDING_NAMES = {RoundingMethod.AWAY_FROM_ZERO: "away_from_zero",
                   RoundingMethod.TO_NEAREST_EVEN: "to_nearest_even"}


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):
    """Round to the nearest integer value.  ``round(2.5) == 3.0``; with
    ``RoundingMethod.TO_NEAREST_EVEN`` it is 2.0."""
    if not isinstance(rounding_method, str):
        rounding_method = _ROUNDING_NAMES[RoundingMethod(rounding_method)]
    return bind(P.round_p, _operand(x), rounding_method=rounding_method)


def select_n(which, *cases):
    """``cases[which]`` elementwise; a bool ``which`` picks ``cases[1]`` where True.

    >>> select_n(lax.gt(x, 0.0), -x, x)   # |x|  # doctest: +SKIP
    """
    return bind(P.select_n_p, _operand(which), *_operands("select_n", *cases))


def clamp(min, x, max):
    """``min <= x <= max`` elementwise; bounds are scalars or have ``x``'s shape."""
    x = _operand(x)
    lo, hi = (_operands("clamp", x, b, broadcast=False)[1] for b in (min, max))
    return bind(P.clamp_p, lo, x, hi)


def convert_element_type(operand, new_dtype):
    """Cast to ``new_dtype`` (floats to ints truncate toward zero).

    >>> convert_element_type(2.7, int32).item()
    2
    """
    x = _operand(operand)
    new_dtype = dtypes.canonicalize(new_dtype)
    if x.aval.dtype == new_dtype and not x.aval.weak:
        return x
    return bind(P.convert_element_type_p, x, new_dtype=new_dtype, weak_type=False)


# ---- structural ---------------------------------------------------------------------------

def _ints(values):
    return tuple(operator.index(v) for v in values)


def broadcast_in_dim(operand, shape, broadcast_dimensions):
    """Broadcast, placing operand axis ``i`` at output axis ``broadcast_dimensions[i]``."""
    return bind(P.broadcast_in_dim_p, _operand(operand), shape=_ints(shape),
                broadcast_dimensions=_ints(broadcast_dimensions))


def broadcast(operand, sizes):
    """Add leading axes of ``sizes``.  ``broadcast(ones(3), (2,)).shape == (2, 3)``"""
    x = _operand(operand)
    lead = len(sizes)
    return broadcast_in_dim(x, tuple(sizes) + x.aval.shape,
                            range(lead, lead + x.aval.ndim))


def reshape(operand, new_sizes, dimensions=None):
    """Row-major reshape, after transposing by ``dimensions`` when given."""
    x = _operand(operand)
    if dimensions is not None:
        x = _transpose(x, _ints(dimensions))
    return bind(P.reshape_p, x, new_sizes=_ints(new_sizes))


def squeeze(array, dimensions):
    """Remove the given size-1 axes (negative axes count from the end)."""
    x = _operand(array)
    dims = normalize_axes(tuple(dimensions), x.aval.ndim, "lax.squeeze")
    return bind(P.squeeze_p, x, dimensions=dims)


def expand_dims(array, dimensions):
    """Insert size-1 axes at the given positions of the result."""
    x = _operand(array)
    dims = normalize_axes(tuple(dimensions), x.aval.ndim + len(dimensions), "lax.expand_dims")
    return bind(P.expand_dims_p, x, dimensions=dims)


def transpose(operand, permutation):
    """Permute axes: ``out.shape[i] == operand.shape[permutation[i]]``."""
    return bind(P.transpose_p, _operand(operand), permutation=_ints(permutation))


def rev(operand, dimensions):
    """Reverse the order of elements along ``dimensions``."""
    return bind(P.rev_p, _operand(operand), dimensions=_ints(dimensions))


def pad(operand, padding_value, padding_config):
    """Pad each axis with ``(low, high, interior)`` copies of ``padding_value``
    (negative low/high crop).

    >>> pad(ones(2), 0.0, [(1, 0, 1)]).tolist()
    [0.0, 1.0, 0.0, 1.0]
    """
    x, value = _operands("pad", operand, padding_value, broadcast=False)
    config = tuple(_ints(c) for c in padding_config)
    return bind(P.pad_p, x, value, padding_config=config)


def concatenate(operands, dimension):
    """Join same-dtype arrays along ``dimension``."""
    xs = _same_dtype("concatenate", [_operand(x) for x in operands])
    return bind(P.concatenate_p, *xs, dimension=operator.index(dimension))


def slice(operand, start_indices, limit_indices, strides=None):
    """Static slice ``operand[start:limit:stride]`` along every axis."""
    strides = None if strides is None else _ints(strides)
    return bind(P.slice_p, _operand(operand), start_indices=_ints(start_indices),
                limit_indices=_ints(limit_indices), strides=strides)


def _start_indices(start_indices):
    return [_operand(s) for s in start_indices]


def dynamic_slice(operand, start_indices, slice_sizes):
    """A ``slice_sizes`` window at traced ``start_indices`` (clamped to stay in bounds)."""
    return bind(P.dynamic_slice_p, _operand(operand), *_start_indices(start_indices),
                slice_sizes=_ints(slice_sizes))


def dynamic_update_slice(operand, update, start_indices):
    """Overwrite a window of ``operand`` with ``update`` at traced ``start_indices``."""
    x, update = _operands("dynamic_update_slice", operand, update, broadcast=False)
    return bind(P.dynamic_update_slice_p, x, update, *_start_indices(start_indices))


def iota(dtype, size):
    """``[0, 1, ..., size - 1]`` in ``dtype``.  ``iota(int32, 3).tolist() == [0, 1, 2]``"""
    return broadcasted_iota(dtype, (size,), 0)


def broadcasted_iota(dtype, shape, dimension):
    """Values counting along ``dimension`` of ``shape``."""
    return bind(P.iota_p, dtype=dtypes.canonicalize(dtype), shape=_ints(shape),
                dimension=operator.index(dimension))


# ---- gather and scatter ----------------------------------------------------------------------

def gather(operand, indices, axes, mode="clip"):
    """Rows of coordinates into ``operand``'s ``axes`` select slices (the catalogue's
    form: ``out.shape == indices.shape[:-1] + (the other axes of operand)``)."""
    return bind(P.gather_p, _operand(operand), _operand(indices), axes=_ints(axes),
                mode=mode)


def _scatter(prim, name):
    def fn(operand, indices, updates, axes, mode="drop"):
        x, upd = _operands(name, operand, updates, broadcast=False)
        return bind(prim, x, _operand(indices), upd, axes=_ints(axes), mode=mode)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"A copy of ``operand`` with ``updates`` combined in by ``{prim.name}`` at "
                  "the rows of ``indices`` (``mode`` 'drop' or 'clip' for out-of-range rows).")
    return fn


scatter = _scatter(P.scatter_p, "scatter")
scatter_add = _scatter(P.scatter_add_p, "scatter_add")
scatter_mul = _scatter(P.scatter_mul_p, "scatter_mul")
scatter_min = _scatter(P.scatter_min_p, "scatter_min")
scatter_max = _scatter(P.scatter_max_p, "scatter_max")


# ---- reductions, scans and sort ---------------------------------------------------------------

def _reduction(prim, name):
    def fn(operand, axes):
        x = _operand(operand)
        return bind(prim, x, axes=normalize_axes(tuple(axes), x.aval.ndim, f"lax.{name}"))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{prim.name}`` over ``axes`` (removed from the result)."
    return fn


reduce_sum = _reduction(P.reduce_sum_p, "reduce_sum")
reduce_prod = _reduction(P.reduce_prod_p, "reduce_prod")
reduce_max = _reduction(P.reduce_max_p, "reduce_max")
reduce_min = _reduction(P.reduce_min_p, "reduce_min")
reduce_and = _reduction(P.reduce_and_p, "reduce_and")
reduce_or = _reduction(P.reduce_or_p, "reduce_or")


def _arg_reduction(prim, name):
    def fn(operand, axis, index_dtype):
        x = _operand(operand)
        return bind(prim, x, axis=normalize_axis(axis, x.aval.ndim, f"lax.{name}"),
                    index_dtype=dtypes.canonicalize(index_dtype))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Index of the first {name[3:]} along ``axis``, in ``index_dtype``."
    return fn


argmax = _arg_reduction(P.argmax_p, "argmax")
argmin = _arg_reduction(P.argmin_p, "argmin")


def _scan(prim, name):
    def fn(operand, axis=0, reverse=False):
        x = _operand(operand)
        return bind(prim, x, axis=normalize_axis(axis, x.aval.ndim, f"lax.{name}"),
                    reverse=bool(reverse))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Running ``{name[3:]}`` along ``axis`` (from the end when ``reverse``)."
    return fn


cumsum = _scan(P.cumsum_p, "cumsum")
cumprod = _scan(P.cumprod_p, "cumprod")
cummax = _scan(P.cummax_p, "cummax")
cummin = _scan(P.cummin_p, "cummin")


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sort one array, or a sequence of same-shape arrays by their first ``num_keys``
    (the others are permuted alongside); NaNs sort last.

    >>> keys, vals = sort((asarray([3, 1, 2]), asarray([0., 1., 2.])), num_keys=1)
    """
    single = not isinstance(operand, (tuple, list))
    xs = [_operand(operand)] if single else [_operand(x) for x in operand]
    dim = normalize_axis(dimension, xs[0].aval.ndim, "lax.sort")
    out = bind(P.sort_p, *xs, dimension=dim, is_stable=bool(is_stable),
               num_keys=operator.index(num_keys))
    return out[0] if single else tuple(out)


# ---- contractions ---------------------------------------------------------------------------

def _dimension_numbers(dimension_numbers):
    try:
        (lc, rc), (lb, rb) = dimension_numbers
    except (TypeError, ValueError):
        raise TypeError("lax.dot_general: dimension_numbers must be ((lhs_contract, "
                        f"rhs_contract), (lhs_batch, rhs_batch)), got {dimension_numbers!r}"
                        ) from None
    return (_ints(lc), _ints(rc)), (_ints(lb), _ints(rb))


def _preferred(dtype):
    return None if dtype is None else dtypes.canonicalize(dtype)


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """Contract, batch and take outer products; the result's axes are the batch axes,
    then lhs's free axes, then rhs's free axes.  ``precision`` is accepted and ignored."""
    lhs, rhs = _operands("dot_general", lhs, rhs, broadcast=False)
    return bind(P.dot_general_p, lhs, rhs,
                dimension_numbers=_dimension_numbers(dimension_numbers),
                preferred_element_type=_preferred(preferred_element_type))


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """Vector/matrix product: contracts ``lhs``'s last axis with ``rhs``'s first."""
    lhs, rhs = _operand(lhs), _operand(rhs)
    dims = (((lhs.aval.ndim - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dims, precision, preferred_element_type)


# ---- convolution and windowed reductions ------------------------------------------------------

class ConvDimensionNumbers(NamedTuple):
    """Axis positions of (batch, feature, *spatial) in lhs, (out feature, in feature,
    *spatial) in rhs and (batch, feature, *spatial) in the output."""
    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers):
    """Turn ``None`` (NCHW, OIHW, NCHW) or layout strings such as
    ``('NHWC', 'HWIO', 'NHWC')`` into ``ConvDimensionNumbers``.

    >>> conv_dimension_numbers((1, 5, 5, 3), (3, 3, 3, 8), ('NHWC', 'HWIO', 'NHWC'))
    ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
    """
    ndim = len(lhs_shape)
    if dimension_numbers is None:
        return ConvDimensionNumbers(*(tuple(range(ndim)),) * 3)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        return dimension_numbers
    lhs, rhs, out = _check_layouts(dimension_numbers, ndim, len(rhs_shape))
    # spatial axes follow the rhs layout's order; lhs and out match them by letter
    rhs_spatial = [c for c in rhs if c not in "OI"]
    return ConvDimensionNumbers(
        tuple(lhs.index(c) for c in "NC" + "".join(rhs_spatial)),
        tuple(rhs.index(c) for c in "OI" + "".join(rhs_spatial)),
        tuple(out.index(c) for c in "NC" + "".join(rhs_spatial)))


def _check_layouts(dimension_numbers, lhs_ndim, rhs_ndim):
    try:
        lhs, rhs, out = dimension_numbers
    except (TypeError, ValueError):
        lhs = None
    ok = isinstance(lhs, str) and isinstance(rhs, str) and isinstance(out, str)
    if ok:
        spatial = set(rhs) - set("OI")
        ok = (len(lhs) == len(out) == lhs_ndim and len(rhs) == rhs_ndim
              and set(lhs) == set(out) == spatial | set("NC") and set("OI") <= set(rhs)
              and len(set(lhs)) == len(lhs) and len(set(rhs)) == len(rhs))
    if not ok:
        raise ValueError("lax.conv_general_dilated: dimension_numbers must be three layout "
                         "strings such as ('NCHW', 'OIHW', 'NCHW') matching the operands' "
                         f"rank {lhs_ndim}, got {dimension_numbers!r}")
    return lhs, rhs, out


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """``'VALID'``, ``'SAME'`` (extra padding at the end) or ``'SAME_LOWER'`` as
    ``(low, high)`` pairs; explicit pairs pass through.

    >>> padtype_to_pads((5,), (3,), (2,), "SAME")
    ((1, 1),)
    """
    if not isinstance(padding, str):
        return tuple(_ints(p) for p in padding)
    mode = padding.upper()
    if mode not in _SAME_LOW_SHARE and mode != "VALID":
        raise ValueError(f"padding must be 'SAME', 'SAME_LOWER', 'VALID' or (low, high) "
                         f"pairs, got {padding!r}")
    if mode == "VALID":
        return ((0, 0),) * len(in_shape)
    pads = []
    for size, window, stride in zip(in_shape, window_shape, window_strides):
        out = -(-size // stride)
        total = builtins.max((out - 1) * stride + window - size, 0)
        low = _SAME_LOW_SHARE[mode](total)
        pads.append((low, total - low))
    return tuple(pads)


_SAME_LOW_SHARE = {"SAME": lambda total: total // 2, "SAME_LOWER": lambda total: total - total // 2}


def _dilated(sizes, dilation):
    return tuple(0 if s == 0 else (s - 1) * d + 1 for s, d in zip(sizes, dilation))


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """N-d cross-correlation with strides, padding, dilations, groups and any layout.

    >>> y = conv_general_dilated(x_nhwc, w_hwio, (1, 1), "SAME",
    ...                          dimension_numbers=("NHWC", "HWIO", "NHWC"))  # doctest: +SKIP
    """
    lhs, rhs = _operands("conv_general_dilated", lhs, rhs, broadcast=False)
    dn = conv_dimension_numbers(lhs.aval.shape, rhs.aval.shape, dimension_numbers)
    lhs, rhs = _transpose(lhs, dn.lhs_spec), _transpose(rhs, dn.rhs_spec)
    n = lhs.aval.ndim - 2
    lhs_dilation = (1,) * n if lhs_dilation is None else _ints(lhs_dilation)
    rhs_dilation = (1,) * n if rhs_dilation is None else _ints(rhs_dilation)
    strides = _ints(window_strides)
    window = _dilated(rhs.aval.shape[2:], rhs_dilation)
    pads = padtype_to_pads(lhs.aval.shape[2:], window, strides, padding)
    out = bind(P.conv_general_dilated_p, lhs, rhs, window_strides=strides, padding=pads,
               lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
               feature_group_count=operator.index(feature_group_count),
               batch_group_count=operator.index(batch_group_count),
               preferred_element_type=_preferred(preferred_element_type))
    return _transpose(out, np.argsort(dn.out_spec).tolist())


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """``conv_general_dilated`` in the NCHW / OIHW layout without dilation or groups."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


# computation -> (window primitive, identity for a dtype, how a non-identity init combines)
_WINDOW_REDUCTIONS = {
    "sum": (P.reduce_window_sum_p, lambda dt: 0, None),
    "max": (P.reduce_window_max_p, lowest, max),
    "min": (P.reduce_window_min_p, highest, min),
}
_WINDOW_FUNCTIONS = {add: "sum", max: "max", min: "min"}


def reduce_window(operand, init_value, computation, window_dimensions, window_strides,
                  padding, base_dilation=None, window_dilation=None):
    """Reduce every window of ``operand`` with ``computation`` ('sum', 'max', 'min', or
    ``lax.add``/``lax.max``/``lax.min``); padding holds ``init_value``.

    >>> reduce_window(x, -inf, lax.max, (2, 2), (2, 2), "VALID")  # 2x2 max-pool  # doctest: +SKIP
    """
    x = _operand(operand)
    prim, identity, combine = _window_reduction(computation)
    n = x.aval.ndim
    base = (1,) * n if base_dilation is None else _ints(base_dilation)
    dil = (1,) * n if window_dilation is None else _ints(window_dilation)
    windows, strides = _ints(window_dimensions), _ints(window_strides)
    pads = padtype_to_pads(x.aval.shape, _dilated(windows, dil), strides, padding)
    out = bind(prim, x, window_dimensions=windows, window_strides=strides, padding=pads,
               base_dilation=base, window_dilation=dil)
    return _with_init(out, init_value, identity(x.aval.dtype), combine)


def _window_reduction(computation):
    name = _WINDOW_FUNCTIONS.get(computation, computation)
    if not isinstance(name, str) or name not in _WINDOW_REDUCTIONS:
        raise ValueError(f"lax.reduce_window: computation must be one of 'sum', 'max', "
                         f"'min' (or lax.add, lax.max, lax.min), got {computation!r}")
    return _WINDOW_REDUCTIONS[name]


def _with_init(out, init_value, identity, combine):
    """Windows start from ``init_value``; for max/min that is one more ``combine``."""
    if init_value is None or (_is_python_scalar(init_value) and init_value == identity):
        return out
    if combine is None:
        raise ValueError(f"lax.reduce_window: computation 'sum' needs init_value "
                         f"{identity}, got {init_value!r}")
    return combine(out, init_value)
from functorch_lite._collectives import (all_gather, axis_index, pmax, pmean,  # noqa: E402,F401
                                         pmin, psum)
from functorch_lite._control_flow import (cond, fori_loop, map, scan, switch,  # noqa: E402,F401
                                          while_loop)
