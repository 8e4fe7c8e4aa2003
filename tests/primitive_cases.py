"""Random valid inputs for every primitive: ``CASES = {prim: strategy}``.

Each strategy draws ``(args, params)``: a list of NumPy arrays and the keyword params,
on random shapes (0-d, empty dimensions, up to rank 4) and dtypes, with domains
restricted so the inputs are valid (``log`` gets positive inputs) instead of filtered.
Shared by the primitive, jvp, vmap and jit tests.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xla_like import dtypes
from xla_like import primitives as P
from xla_like.primitives.elementwise import ROUNDING_METHODS

F32, F64, I32, I64, U8, BOOL = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64,
                                dtypes.uint8, dtypes.bool_)
FLOATS = (F32, F64)
INTS = (I32, I64, U8)
NUMERIC = FLOATS + INTS
ALL = NUMERIC + (BOOL,)
INDEX_DTYPES = (I32, I64, U8)
SPECIAL_FLOATS = (np.nan, np.inf, -np.inf, 0.0, -0.0)


# ---- small building blocks ----------------------------------------------------------------

@st.composite
def shapes(draw, min_dims=0, max_dims=4, min_side=0, max_side=3):
    """Shapes of rank ``min_dims..max_dims``; about one in five has an empty dimension
    (when ``min_side`` is 0), so most cases still compute something."""
    rank = draw(st.integers(min_dims, max_dims))
    shape = [draw(st.integers(max(min_side, 1), max_side)) for _ in range(rank)]
    if rank and min_side == 0 and draw(st.integers(0, 4)) == 0:
        shape[draw(st.integers(0, rank - 1))] = 0
    return tuple(shape)


def sizes(draw, count, hi=3):
    """``count`` sizes in ``1..hi``; about one case in five makes one of them 0."""
    out = [draw(st.integers(1, hi)) for _ in range(count)]
    if count and draw(st.integers(0, 4)) == 0:
        out[draw(st.integers(0, count - 1))] = 0
    return out


def elements(dtype, lo=-8, hi=8, special=False):
    """Values of ``dtype`` in ``[lo, hi]`` (bounds are exact binary fractions);
    ``special`` mixes in NaN, infinities and signed zeros for floats."""
    if dtype == BOOL:
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(max(int(np.ceil(lo)), int(info.min)), min(int(hi), int(info.max)))
    finite = st.floats(lo, hi, width=8 * dtype.itemsize)
    return st.one_of(finite, st.sampled_from(SPECIAL_FLOATS)) if special else finite


def arrays(dtype, shape, lo=-8, hi=8, special=False):
    return hnp.arrays(dtype, shape, elements=elements(dtype, lo, hi, special))


def scalars(dtype, lo=-8, hi=8, special=False):
    return arrays(dtype, (), lo, hi, special)


def subset(draw, n, ordered=False):
    """A random tuple of distinct axes of range(n) (sorted unless ``ordered``)."""
    axes = draw(st.permutations(range(n)))[:draw(st.integers(0, n))]
    return tuple(axes) if ordered else tuple(sorted(axes))


def window_padding(draw, size, crop=2, grow=2):
    """A (lo, hi) pair in ``[-crop, grow]`` (negative crops) that leaves ``size``
    non-negative."""
    lo = draw(st.integers(-min(crop, size), grow))
    hi = draw(st.integers(-min(crop, size + lo), grow))
    return lo, hi


# ---- elementwise --------------------------------------------------------------------------

# prim -> (dtypes, lo, hi): domains where the function is defined and finite
UNARY = {
    P.exp_p: (FLOATS, -4, 4), P.exp2_p: (FLOATS, -4, 4), P.expm1_p: (FLOATS, -4, 4),
    P.sinh_p: (FLOATS, -4, 4), P.cosh_p: (FLOATS, -4, 4),
    P.log_p: (FLOATS, 0.125, 8), P.sqrt_p: (FLOATS, 0.125, 8), P.rsqrt_p: (FLOATS, 0.125, 8),
    P.lgamma_p: (FLOATS, 0.125, 8), P.digamma_p: (FLOATS, 0.125, 8),
    P.log1p_p: (FLOATS, -0.875, 8), P.acosh_p: (FLOATS, 1.125, 8),
    P.tan_p: (FLOATS, -1.25, 1.25),
    P.asin_p: (FLOATS, -0.875, 0.875), P.acos_p: (FLOATS, -0.875, 0.875),
    P.atanh_p: (FLOATS, -0.875, 0.875), P.erf_inv_p: (FLOATS, -0.875, 0.875),
    P.sin_p: (FLOATS, -8, 8), P.cos_p: (FLOATS, -8, 8), P.atan_p: (FLOATS, -8, 8),
    P.tanh_p: (FLOATS, -8, 8), P.asinh_p: (FLOATS, -8, 8), P.logistic_p: (FLOATS, -8, 8),
    P.cbrt_p: (FLOATS, -8, 8), P.erf_p: (FLOATS, -8, 8), P.erfc_p: (FLOATS, -8, 8),
    P.floor_p: (FLOATS, -8, 8), P.ceil_p: (FLOATS, -8, 8),
    P.neg_p: (NUMERIC, -8, 8), P.sign_p: (NUMERIC, -8, 8), P.abs_p: (NUMERIC, -8, 8),
    P.not_p: (INTS + (BOOL,), -8, 8), P.copy_p: (ALL, -8, 8), P.stop_gradient_p: (ALL, -8, 8),
}

# prim -> (dtypes, (lo, hi) of x, (lo, hi) of y)
BINARY = {
    P.add_p: (NUMERIC, (-8, 8), (-8, 8)), P.sub_p: (NUMERIC, (-8, 8), (-8, 8)),
    P.mul_p: (NUMERIC, (-8, 8), (-8, 8)),
    P.div_p: (FLOATS, (-8, 8), (0.5, 8)), P.rem_p: (FLOATS, (-8, 8), (0.5, 8)),
    P.pow_p: (FLOATS, (0.125, 4), (-2, 2)),
    P.max_p: (ALL, (-3, 3), (-3, 3)), P.min_p: (ALL, (-3, 3), (-3, 3)),
    P.atan2_p: (FLOATS, (-8, 8), (-8, 8)), P.nextafter_p: (FLOATS, (-8, 8), (-8, 8)),
    P.and_p: (INTS + (BOOL,), (-8, 8), (-8, 8)), P.or_p: (INTS + (BOOL,), (-8, 8), (-8, 8)),
    P.xor_p: (INTS + (BOOL,), (-8, 8), (-8, 8)),
    P.eq_p: (ALL, (-3, 3), (-3, 3)), P.ne_p: (ALL, (-3, 3), (-3, 3)),
    P.lt_p: (ALL, (-3, 3), (-3, 3)), P.le_p: (ALL, (-3, 3), (-3, 3)),
    P.gt_p: (ALL, (-3, 3), (-3, 3)), P.ge_p: (ALL, (-3, 3), (-3, 3)),
}


def unary_case(dtype_choices, lo, hi):
    @st.composite
    def case(draw):
        dtype, shape = draw(st.sampled_from(dtype_choices)), draw(shapes())
        return [draw(arrays(dtype, shape, lo, hi))], {}
    return case()


def binary_case(dtype_choices, x_range, y_range):
    @st.composite
    def case(draw):
        dtype, shape = draw(st.sampled_from(dtype_choices)), draw(shapes())
        return [draw(arrays(dtype, shape, *x_range)), draw(arrays(dtype, shape, *y_range))], {}
    return case()


@st.composite
def integer_division_case(draw):
    """Integer div/rem, including division by zero (defined to give 0)."""
    dtype, shape = draw(st.sampled_from(INTS)), draw(shapes())
    return [draw(arrays(dtype, shape)), draw(arrays(dtype, shape, -3, 3))], {}


@st.composite
def shift_case(draw):
    dtype, shape = draw(st.sampled_from(INTS)), draw(shapes())
    bits = 8 * dtype.itemsize
    return [draw(arrays(dtype, shape, -100, 100)), draw(arrays(dtype, shape, -2, bits + 2))], {}


@st.composite
def is_finite_case(draw):
    return [draw(arrays(draw(st.sampled_from(FLOATS)), draw(shapes()), special=True))], {}


@st.composite
def round_case(draw):
    x = draw(arrays(draw(st.sampled_from(FLOATS)), draw(shapes())))
    return [x], {"rounding_method": draw(st.sampled_from(ROUNDING_METHODS))}


@st.composite
def integer_pow_case(draw):
    dtype, shape = draw(st.sampled_from(NUMERIC)), draw(shapes())
    if dtype.kind == "f":
        y = draw(st.integers(-3, 4))
        return [draw(arrays(dtype, shape, 0.5, 2) if y < 0 else arrays(dtype, shape))], {"y": y}
    return [draw(arrays(dtype, shape, -3, 3))], {"y": draw(st.integers(0, 4))}


@st.composite
def select_n_case(draw):
    shape, dtype = draw(shapes()), draw(st.sampled_from(ALL))
    n = draw(st.integers(1, 3))
    which_shape = draw(st.sampled_from([(), shape]))
    if n == 2 and draw(st.booleans()):
        which = draw(arrays(BOOL, which_shape))
    else:
        which = draw(arrays(I32, which_shape, 0, n - 1))
    return [which] + [draw(arrays(dtype, shape)) for _ in range(n)], {}


@st.composite
def clamp_case(draw):
    shape, dtype = draw(shapes()), draw(st.sampled_from(NUMERIC))
    lo, hi = (draw(arrays(dtype, draw(st.sampled_from([(), shape])), -4, 4)) for _ in "lh")
    return [lo, draw(arrays(dtype, shape)), hi], {}


@st.composite
def convert_case(draw):
    x = draw(arrays(draw(st.sampled_from(ALL)), draw(shapes()), -300, 300))
    new_dtype = draw(st.sampled_from(ALL))
    weak = new_dtype != BOOL and draw(st.booleans())
    return [x], {"new_dtype": new_dtype, "weak_type": weak}


@st.composite
def threefry_case(draw):
    shape = draw(shapes())
    return [draw(arrays(dtypes.uint32, shape, 0, 2**32 - 1)) for _ in range(4)], {}


def _check_callback_operands(*values):
    """The ``debug_callback`` of the cases: the operands arrive as NumPy values."""
    for v in values:
        assert isinstance(v, (np.ndarray, np.generic)), type(v)


@st.composite
def debug_callback_case(draw):
    count = draw(st.integers(0, 2))
    args = [draw(any_array()) for _ in range(count)]
    return args, {"callback": _check_callback_operands}


# ---- structural ---------------------------------------------------------------------------

@st.composite
def broadcast_in_dim_case(draw):
    out_shape = draw(shapes())
    dims = subset(draw, len(out_shape))
    x_shape = tuple(draw(st.sampled_from([1, out_shape[d]])) for d in dims)
    x = draw(arrays(draw(st.sampled_from(ALL)), x_shape))
    return [x], {"shape": out_shape, "broadcast_dimensions": dims}


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def reshape_case(draw):
    x = draw(arrays(draw(st.sampled_from(ALL)), draw(shapes())))
    rank = draw(st.integers(0 if x.size == 1 else 1, 4))
    new, remaining = [], x.size
    for _ in range(rank - 1):
        if x.size == 0:
            new.append(draw(st.integers(0, 3)))    # the last size is 0
        else:
            new.append(draw(st.sampled_from(_divisors(remaining))))
            remaining //= new[-1]
    if rank:
        new.append(remaining)
    return [x], {"new_sizes": tuple(new)}


def any_array(min_dims=0, max_dims=4, choices=ALL, **kw):
    return st.sampled_from(choices).flatmap(
        lambda dt: shapes(min_dims, max_dims).flatmap(lambda s: arrays(dt, s, **kw)))


@st.composite
def squeeze_case(draw):
    shape = list(draw(shapes()))
    dims = subset(draw, len(shape))
    for d in dims:
        shape[d] = 1
    return [draw(arrays(draw(st.sampled_from(ALL)), tuple(shape)))], {"dimensions": dims}


@st.composite
def expand_dims_case(draw):
    x = draw(any_array(max_dims=3))
    k = draw(st.integers(0, 2))
    dims = sorted(draw(st.permutations(range(x.ndim + k)))[:k])
    return [x], {"dimensions": tuple(dims)}


@st.composite
def transpose_case(draw):
    x = draw(any_array())
    return [x], {"permutation": tuple(draw(st.permutations(range(x.ndim))))}


@st.composite
def rev_case(draw):
    x = draw(any_array())
    return [x], {"dimensions": subset(draw, x.ndim, ordered=True)}


@st.composite
def pad_case(draw):
    x = draw(any_array(max_dims=3))
    config = []
    for d in x.shape:
        interior = draw(st.integers(0, 2))
        lo, hi = window_padding(draw, d + interior * max(d - 1, 0), crop=3, grow=3)
        config.append((lo, hi, interior))
    return [x, draw(scalars(x.dtype))], {"padding_config": tuple(config)}


@st.composite
def concatenate_case(draw):
    dtype, shape = draw(st.sampled_from(ALL)), list(draw(shapes(min_dims=1)))
    dim = draw(st.integers(0, len(shape) - 1))
    xs = []
    for _ in range(draw(st.integers(1, 3))):
        shape[dim] = draw(st.integers(0, 3))
        xs.append(draw(arrays(dtype, tuple(shape))))
    return xs, {"dimension": dim}


@st.composite
def slice_case(draw):
    x = draw(any_array())
    starts = tuple(draw(st.integers(0, d)) for d in x.shape)
    limits = tuple(draw(st.integers(s, d)) for s, d in zip(starts, x.shape))
    strides = draw(st.none() | st.tuples(*[st.integers(1, 3) for _ in x.shape]))
    return [x], {"start_indices": starts, "limit_indices": limits, "strides": strides}


def start_index(draw, d):
    """A 0-d start index, often out of range (it gets clamped)."""
    dtype = draw(st.sampled_from(INDEX_DTYPES))
    return draw(scalars(dtype, -3, d + 3))


@st.composite
def dynamic_slice_case(draw):
    x = draw(any_array())
    sizes = tuple(draw(st.integers(0, d)) for d in x.shape)
    return [x] + [start_index(draw, d) for d in x.shape], {"slice_sizes": sizes}


@st.composite
def dynamic_update_slice_case(draw):
    x = draw(any_array())
    update = draw(arrays(x.dtype, tuple(draw(st.integers(0, d)) for d in x.shape)))
    return [x, update] + [start_index(draw, d) for d in x.shape], {}


@st.composite
def iota_case(draw):
    shape = draw(shapes(min_dims=1))
    return [], {"dtype": draw(st.sampled_from(NUMERIC)), "shape": shape,
                "dimension": draw(st.integers(0, len(shape) - 1))}


# ---- indexing -----------------------------------------------------------------------------

def index_rows(draw, x, mode_choices):
    """(indices, axes, mode): rows of coordinates, some out of range."""
    axes = subset(draw, x.ndim, ordered=True)
    batch = draw(shapes(0, 2, 0, 3))
    mode = draw(st.sampled_from(mode_choices))
    hi = max([x.shape[a] for a in axes], default=0)
    indices = draw(arrays(draw(st.sampled_from(INDEX_DTYPES)), batch + (len(axes),), -1, hi))
    return indices, axes, mode


@st.composite
def gather_case(draw):
    x = draw(any_array(max_dims=3))
    indices, axes, mode = index_rows(draw, x, ("clip", "fill"))
    if mode == "clip" and any(x.shape[a] == 0 for a in axes):
        mode = "fill"
    return [x, indices], {"axes": axes, "mode": mode}


def scatter_case(choices, lo=-8, hi=8):
    @st.composite
    def case(draw):
        x = draw(any_array(max_dims=3, choices=choices, lo=lo, hi=hi))
        indices, axes, mode = index_rows(draw, x, ("drop", "clip"))
        rest = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        updates = draw(arrays(x.dtype, indices.shape[:-1] + rest, lo, hi))
        return [x, indices, updates], {"axes": axes, "mode": mode}
    return case()


# ---- reductions, scans, sort ------------------------------------------------------------------

def reduction_case(choices, special=False):
    @st.composite
    def case(draw):
        x = draw(any_array(choices=choices, lo=-3, hi=3, special=special))
        return [x], {"axes": subset(draw, x.ndim, ordered=True)}
    return case()


@st.composite
def arg_reduction_case(draw):
    shape = list(draw(shapes(min_dims=1)))
    axis = draw(st.integers(0, len(shape) - 1))
    shape[axis] = max(shape[axis], 1)
    x = draw(arrays(draw(st.sampled_from(NUMERIC + (BOOL,))), tuple(shape), -3, 3,
                    special=True))
    return [x], {"axis": axis, "index_dtype": draw(st.sampled_from((I32, I64)))}


def cumulative_case(choices, special=False):
    @st.composite
    def case(draw):
        x = draw(any_array(min_dims=1, choices=choices, lo=-3, hi=3, special=special))
        return [x], {"axis": draw(st.integers(0, x.ndim - 1)), "reverse": draw(st.booleans())}
    return case()


@st.composite
def sort_case(draw):
    shape = draw(shapes(1, 3, 0, 5))
    n = draw(st.integers(1, 3))
    operands = [draw(arrays(draw(st.sampled_from(ALL)), shape, -2, 2, special=True))
                for _ in range(n)]
    return operands, {"dimension": draw(st.integers(0, len(shape) - 1)),
                      "is_stable": draw(st.booleans()), "num_keys": draw(st.integers(1, n))}


# ---- contractions and windows -------------------------------------------------------------------

WIDER = {F32: (F64,), F64: (), I32: (I64,), I64: (), U8: (I32, I64)}


def contraction_dtypes(draw):
    dtype = draw(st.sampled_from(NUMERIC))
    return dtype, draw(st.sampled_from((None, dtype) + WIDER[dtype]))


def _place(draw, roles):
    """Lay out role-tagged axes in a random order; return the shape and positions."""
    order = draw(st.permutations(range(len(roles))))
    shape = tuple(roles[i][1] for i in order)
    where = {roles[i][0]: pos for pos, i in enumerate(order)}
    return shape, where


@st.composite
def dot_general_case(draw):
    nb, nc = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    nlf, nrf = (draw(st.integers(0, 4 - nb - nc)) for _ in "lr")
    all_sizes = sizes(draw, nb + nc + nlf + nrf)
    shared = [(("b", i), all_sizes[i]) for i in range(nb)] + [
        (("c", i), all_sizes[nb + i]) for i in range(nc)]
    lfree = [(("f", i), all_sizes[nb + nc + i]) for i in range(nlf)]
    rfree = [(("f", i), all_sizes[nb + nc + nlf + i]) for i in range(nrf)]
    lshape, lpos = _place(draw, shared + lfree)
    rshape, rpos = _place(draw, shared + rfree)
    dtype, preferred = contraction_dtypes(draw)
    dims = ((tuple(lpos["c", i] for i in range(nc)), tuple(rpos["c", i] for i in range(nc))),
            (tuple(lpos["b", i] for i in range(nb)), tuple(rpos["b", i] for i in range(nb))))
    args = [draw(arrays(dtype, lshape, -3, 3)), draw(arrays(dtype, rshape, -3, 3))]
    return args, {"dimension_numbers": dims, "preferred_element_type": preferred}


@st.composite
def conv_case(draw):
    s = draw(st.integers(1, 3))
    grouping, count = draw(st.sampled_from(["feature", "batch", "none"])), draw(
        st.integers(2, 3))
    feature_groups = count if grouping == "feature" else 1
    batch_groups = count if grouping == "batch" else 1
    n, i, o = sizes(draw, 3, hi=2)
    n, o = batch_groups * n, feature_groups * batch_groups * o
    spatial = [draw(st.integers(1, 3 if s == 3 else 6)) for _ in range(s)]
    kernel = [draw(st.integers(1, 3)) for _ in range(s)]
    lhs_dil = tuple(draw(st.integers(1, 2)) for _ in range(s))
    padding = tuple(window_padding(draw, (d - 1) * ld + 1, crop=1)
                    for d, ld in zip(spatial, lhs_dil))
    dtype, preferred = contraction_dtypes(draw)
    lhs = draw(arrays(dtype, (n, i * feature_groups, *spatial), -3, 3))
    rhs = draw(arrays(dtype, (o, i, *kernel), -3, 3))
    params = {"window_strides": tuple(draw(st.integers(1, 3)) for _ in range(s)),
              "padding": padding, "lhs_dilation": lhs_dil,
              "rhs_dilation": tuple(draw(st.integers(1, 2)) for _ in range(s)),
              "feature_group_count": feature_groups, "batch_group_count": batch_groups,
              "preferred_element_type": preferred}
    return [lhs, rhs], params


def reduce_window_case(choices, special=False):
    @st.composite
    def case(draw):
        x = draw(any_array(choices=choices, lo=-3, hi=3, special=special))
        base = tuple(draw(st.integers(1, 2)) for _ in x.shape)
        padding = tuple(window_padding(draw, (d - 1) * b + 1 if d else 0)
                        for d, b in zip(x.shape, base))
        ints = [st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)]
        windows, strides, dil = (tuple(draw(k) for _ in x.shape) for k in ints)
        return [x], {"window_dimensions": windows, "window_strides": strides,
                     "padding": padding, "base_dilation": base, "window_dilation": dil}
    return case()


# ---- linear algebra (stacks of matrices, valid by construction) -------------------------

def _matrices(draw, rows, cols):
    """A float stack (batch..., rows, cols) with entries in [-1, 1]; batch rank 0-2."""
    batch = draw(shapes(0, 2, 0, 2))
    return draw(arrays(draw(st.sampled_from(FLOATS)), batch + (rows, cols), -1, 1))


@st.composite
def linalg_case(draw, prim):
    n, m = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if prim is P.qr_p:
        return [_matrices(draw, m, n)], {"full_matrices": draw(st.booleans())}
    if prim is P.svd_p:
        return [_matrices(draw, m, n)], {"full_matrices": draw(st.booleans()),
                                         "compute_uv": draw(st.booleans())}
    a = _matrices(draw, n, n)
    eye = np.eye(n, dtype=a.dtype)
    if prim is P.cholesky_p:                     # symmetric positive definite
        return [a @ np.swapaxes(a, -1, -2) + n * eye], {}
    if prim is P.eigh_p:                         # symmetric
        return [(a + np.swapaxes(a, -1, -2)) / 2], {"lower": draw(st.booleans())}
    if prim is P.lu_p:
        return [a], {}
    b = draw(arrays(a.dtype, a.shape[:-1] + (draw(st.integers(0, 3)),), -1, 1))
    params = {k: draw(st.booleans()) for k in ("lower", "transpose_a", "unit_diagonal")}
    return [a + 3 * eye, b], params              # a diagonal in [2, 4]: well conditioned


# ---- the table --------------------------------------------------------------------------

CASES = {prim: unary_case(*spec) for prim, spec in UNARY.items()}
CASES.update({prim: binary_case(*spec) for prim, spec in BINARY.items()})
CASES.update({
    P.div_p: binary_case(*BINARY[P.div_p]) | integer_division_case(),
    P.rem_p: binary_case(*BINARY[P.rem_p]) | integer_division_case(),
    P.shift_left_p: shift_case(), P.shift_right_arithmetic_p: shift_case(),
    P.shift_right_logical_p: shift_case(),
    P.is_finite_p: is_finite_case(), P.round_p: round_case(),
    P.integer_pow_p: integer_pow_case(), P.select_n_p: select_n_case(),
    P.clamp_p: clamp_case(), P.convert_element_type_p: convert_case(),
    P.threefry2x32_p: threefry_case(), P.debug_callback_p: debug_callback_case(),
    P.broadcast_in_dim_p: broadcast_in_dim_case(), P.reshape_p: reshape_case(),
    P.squeeze_p: squeeze_case(), P.expand_dims_p: expand_dims_case(),
    P.transpose_p: transpose_case(), P.rev_p: rev_case(), P.pad_p: pad_case(),
    P.concatenate_p: concatenate_case(), P.slice_p: slice_case(),
    P.dynamic_slice_p: dynamic_slice_case(),
    P.dynamic_update_slice_p: dynamic_update_slice_case(), P.iota_p: iota_case(),
    P.gather_p: gather_case(),
    P.scatter_p: scatter_case(ALL), P.scatter_add_p: scatter_case(NUMERIC),
    P.scatter_mul_p: scatter_case(NUMERIC, -2, 2), P.scatter_min_p: scatter_case(ALL),
    P.scatter_max_p: scatter_case(ALL),
    P.reduce_sum_p: reduction_case(NUMERIC), P.reduce_prod_p: reduction_case(NUMERIC),
    P.reduce_max_p: reduction_case(ALL, special=True),
    P.reduce_min_p: reduction_case(ALL, special=True),
    P.reduce_and_p: reduction_case(INTS + (BOOL,)),
    P.reduce_or_p: reduction_case(INTS + (BOOL,)),
    P.argmax_p: arg_reduction_case(), P.argmin_p: arg_reduction_case(),
    P.cumsum_p: cumulative_case(NUMERIC), P.cumprod_p: cumulative_case(NUMERIC),
    P.cummax_p: cumulative_case(ALL, special=True),
    P.cummin_p: cumulative_case(ALL, special=True),
    P.sort_p: sort_case(),
    P.dot_general_p: dot_general_case(), P.conv_general_dilated_p: conv_case(),
    P.reduce_window_sum_p: reduce_window_case(NUMERIC),
    P.reduce_window_max_p: reduce_window_case(ALL, special=True),
    P.reduce_window_min_p: reduce_window_case(ALL, special=True),
})
CASES.update({prim: linalg_case(prim) for prim in (P.cholesky_p, P.triangular_solve_p,
                                                   P.lu_p, P.qr_p, P.eigh_p, P.svd_p)})

from higher_order_cases import HIGHER_ORDER_CASES  # noqa: E402

CASES.update(HIGHER_ORDER_CASES)


# ---- control flow (cond, while, scan): staged from small lax functions ----------------

def _control_flow_cases():
    """Each case has a bool operand, so (with weak flags only on non-bool operands)
    the outputs' weak flags are the sub-programs' (strong) ones in every draw."""
    import functorch_lite as fl
    from functorch_lite import lax
    from functorch_lite import numpy as fnp

    def eqn_of(fun, args, prim):
        (eqn,) = [e for e in fl.make_ir(fun)(*args).eqns if e.prim is prim]
        return list(args), dict(eqn.params)

    def cond_fun(p, x):
        return lax.cond(p, lambda x: x * 2.0 - 1.0, lambda x: x * x, x)

    def while_fun(i, x, b):
        return lax.while_loop(lambda c: c[0] < 3,
                              lambda c: (c[0] + 1, c[1] * 0.5 + 1.0, ~c[2]), (i, x, b))

    def scan_fun(c, xs, bs):
        return lax.scan(lambda c, x: (c * 0.5 + x[0], fnp.where(x[1], c, -c)), c, (xs, bs))

    @st.composite
    def case(draw, prim):
        dtype = draw(st.sampled_from(FLOATS))
        x = draw(arrays(dtype, (2,), -4, 4))
        if prim is P.cond_p:
            return eqn_of(cond_fun, [np.bool_(draw(st.booleans())), x], prim)
        if prim is P.while_p:
            return eqn_of(while_fun, [np.int32(draw(st.integers(0, 3))), x,
                                      np.bool_(draw(st.booleans()))], prim)
        length = draw(st.integers(0, 3))
        return eqn_of(scan_fun, [x, draw(arrays(dtype, (length, 2), -4, 4)),
                                 draw(arrays(BOOL, (length, 2)))], prim)
    return {prim: case(prim) for prim in (P.cond_p, P.while_p, P.scan_p)}


CASES.update(_control_flow_cases())


# ---- complex parts and fft (complex operands built from two float arrays) -----------------

def _complex_array(draw, dtype, shape):
    """A complex64 (float32 parts) or complex128 (float64 parts) array in [-4, 4]²."""
    re, im = draw(arrays(dtype, shape, -4, 4)), draw(arrays(dtype, shape, -4, 4))
    return np.asarray(re + 1j * im, np.complex64 if dtype == F32 else np.complex128)


@st.composite
def complex_part_case(draw, prim):
    dtype, shape = draw(st.sampled_from(FLOATS)), draw(shapes())
    if prim is P.complex_p:
        return [draw(arrays(dtype, shape, -4, 4)), draw(arrays(dtype, shape, -4, 4))], {}
    return [_complex_array(draw, dtype, shape)], {}


@st.composite
def fft_case(draw):
    """Batch dims (rank 0-2) then 1-3 transformed axes of lengths 1-5."""
    dtype = draw(st.sampled_from(FLOATS))
    batch = draw(shapes(0, 2, 0, 2))
    lengths = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    fft_type = draw(st.sampled_from(("FFT", "IFFT", "RFFT", "IRFFT")))
    if fft_type == "RFFT":
        x = draw(arrays(dtype, batch + lengths, -4, 4))
    elif fft_type == "IRFFT":
        x = _complex_array(draw, dtype, batch + lengths[:-1] + (lengths[-1] // 2 + 1,))
    else:
        x = _complex_array(draw, dtype, batch + lengths)
    return [x], {"fft_type": fft_type, "fft_lengths": lengths}


CASES.update({prim: complex_part_case(prim)
              for prim in (P.real_p, P.imag_p, P.conj_p, P.complex_p)})
CASES[P.fft_p] = fft_case()
