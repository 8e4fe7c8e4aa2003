"""Primitive catalogue: every primitive's reference implementation agrees with its
abstract evaluation, the trickier implementations agree with independent NumPy
formulations, and bad input is rejected with errors that name the primitive."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import xla_like
from xla_like import primitives as P
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive

from higher_order_cases import NO_STANDALONE_IMPL
from primitive_cases import BOOL, CASES, F32, F64, I32, I64, U8, arrays, shapes

# The catalogue that ``xla_like.primitives`` exports (test-only primitives that some
# test modules register temporarily are left out).
CATALOGUE = sorted({v for v in vars(P).values() if isinstance(v, Primitive)},
                   key=lambda p: p.name)
PRIMITIVES = [p for p in CATALOGUE if p not in NO_STANDALONE_IMPL]
ELEMENTWISE = {v for v in vars(P.elementwise).values() if isinstance(v, Primitive)}


def test_every_primitive_has_a_case():
    missing = [p.name for p in PRIMITIVES if p not in CASES]
    assert not missing, f"tests/primitive_cases.py has no CASES entry for {missing}"
    assert all(xla_like.registry[p.name] is p for p in CASES)
    assert set(CATALOGUE) == set(PRIMITIVES) | set(NO_STANDALONE_IMPL)


@pytest.mark.parametrize("prim", sorted(NO_STANDALONE_IMPL, key=lambda p: p.name),
                         ids=lambda p: p.name)
def test_primitives_without_standalone_meaning_fail_clearly(prim):
    x = np.ones(3, np.float32)
    params = {"axis_name": "i"}
    if prim is P.all_gather_p:
        params["axis_size"] = 2
    if prim is P.axis_index_p:
        params["dtype"] = np.dtype("int32")
    if prim is P.custom_lin_p:
        params = {"bwd": None, "num_res": 0, "out_avals": ()}
    args = [] if prim is P.axis_index_p else [x]
    with pytest.raises(NO_STANDALONE_IMPL[prim], match="axis name 'i'|custom_vjp"):
        prim.impl(*args, **params)


# ---- impl agrees with abstract_eval -------------------------------------------------------

def _all_weak(flags, params):
    return all(flags)


def _weak_positions(*positions):
    return lambda flags, params: all(flags[i] for i in positions)


def _strong(flags, params):
    return False


def _contraction_weak(flags, params):
    return all(flags) and params["preferred_element_type"] is None


# expected weak flag of the (first) result; the default is "all inputs weak"
WEAK_RULES = {
    **{p: _strong for p in (P.eq_p, P.ne_p, P.lt_p, P.le_p, P.gt_p, P.ge_p, P.is_finite_p,
                            P.iota_p, P.argmax_p, P.argmin_p, P.threefry2x32_p)},
    P.convert_element_type_p: lambda flags, params: params["weak_type"],
    P.select_n_p: lambda flags, params: all(flags[1:]),
    P.clamp_p: _weak_positions(1),
    P.dynamic_slice_p: _weak_positions(0),
    P.dynamic_update_slice_p: _weak_positions(0, 1),
    P.gather_p: _weak_positions(0),
    **{p: _weak_positions(0, 2) for p in (P.scatter_p, P.scatter_add_p, P.scatter_mul_p,
                                          P.scatter_min_p, P.scatter_max_p)},
    P.dot_general_p: _contraction_weak, P.conv_general_dilated_p: _contraction_weak,
    # sub-program primitives: their output types are fixed when the program is staged
    P.custom_jvp_call_p: lambda flags, params: params["call"].out_avals[0].weak,
    P.custom_vjp_call_p: lambda flags, params: params["call"].out_avals[0].weak,
    P.remat_p: lambda flags, params: params["body"].out_avals[0].weak,
    P.jit_p: lambda flags, params: params["program"].out_avals[0].weak,
}


def expected_weak(prim, flags, n_out, params):
    if prim is P.sort_p:                 # each result keeps its own operand's flag
        return list(flags)
    return [WEAK_RULES.get(prim, _all_weak)(flags, params)] * n_out


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
@given(data=st.data())
def test_impl_matches_abstract_eval(prim, data):
    args, params = data.draw(CASES[prim], label="case")
    # bool has no weak form, so only non-bool operands may be weak
    flags = [data.draw(st.booleans()) and a.dtype != BOOL for a in args]
    avals = [ShapedArray(a.shape, a.dtype, w) for a, w in zip(args, flags)]
    out_avals = prim.abstract_eval(*avals, **params)
    with np.errstate(all="ignore"):
        outs = prim.impl(*args, **params)
    if not prim.multiple_results:
        out_avals, outs = [out_avals], [outs]
    assert len(outs) == len(out_avals)
    for out, aval in zip(outs, out_avals):
        assert isinstance(aval, ShapedArray)
        assert prim in ELEMENTWISE or isinstance(out, np.ndarray), type(out)
        assert (np.shape(out), out.dtype) == (aval.shape, aval.dtype), (aval, params)
    weak = expected_weak(prim, flags, len(out_avals), params)
    assert [a.weak for a in out_avals] == weak


# ---- reference implementations against independent NumPy formulations -----------------------

def assert_close(actual, expected):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if actual.dtype.kind in "fc":
        tol = 1e-4 if actual.dtype == F32 else 1e-10
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(actual, expected)


@given(CASES[P.dot_general_p])
def test_dot_general_matches_einsum(case):
    (lhs, rhs), params = case
    ((lc, rc), (lb, rb)) = params["dimension_numbers"]
    out_dtype = params["preferred_element_type"] or lhs.dtype
    letters = iter("abcdefghijklmnop")
    lsub = [next(letters) for _ in range(lhs.ndim)]
    rsub = [next(letters) for _ in range(rhs.ndim)]
    for l_dim, r_dim in zip(lc + lb, rc + rb):
        rsub[r_dim] = lsub[l_dim]
    batch = [lsub[d] for d in lb]
    out_sub = batch + [c for d, c in enumerate(lsub) if d not in lc + lb] + [
        c for d, c in enumerate(rsub) if d not in rc + rb]
    spec = f"{''.join(lsub)},{''.join(rsub)}->{''.join(out_sub)}"
    expected = np.einsum(spec, lhs.astype(out_dtype), rhs.astype(out_dtype))
    assert_close(P.dot_general_p.impl(lhs, rhs, **params), np.asarray(expected, out_dtype))


def _source_index(p, k, stride, lo, lhs_dil, rhs_dil, size):
    """Input index read by output position p and kernel tap k, or None for padding."""
    q = p * stride + k * rhs_dil - lo
    if q % lhs_dil or not 0 <= q // lhs_dil < size:
        return None
    return q // lhs_dil


def conv_by_loops(lhs, rhs, params):
    """Cross-correlation, one output position and kernel tap at a time."""
    strides, padding = params["window_strides"], params["padding"]
    g, b = params["feature_group_count"], params["batch_group_count"]
    dtype = params["preferred_element_type"] or lhs.dtype
    lhs, rhs = lhs.astype(dtype), rhs.astype(dtype)
    out_shape = P.conv_general_dilated_p.abstract_eval(
        ShapedArray(lhs.shape, dtype), ShapedArray(rhs.shape, dtype),
        **{**params, "preferred_element_type": None}).shape
    out = np.zeros(out_shape, dtype)
    n_out, o, i = out_shape[0], rhs.shape[0], rhs.shape[1]
    for pos in itertools.product(*[range(d) for d in out_shape[2:]]):
        for tap in itertools.product(*[range(d) for d in rhs.shape[2:]]):
            src = [_source_index(p, k, s, lo, ld, rd, size) for p, k, s, (lo, _), ld, rd, size
                   in zip(pos, tap, strides, padding, params["lhs_dilation"],
                          params["rhs_dilation"], lhs.shape[2:])]
            if None in src:
                continue
            for group in range(g * b):
                outs = slice(group * (o // (g * b)), (group + 1) * (o // (g * b)))
                batch = slice(group * n_out, (group + 1) * n_out) if b > 1 else slice(None)
                feats = slice(group * i, (group + 1) * i) if g > 1 else slice(None)
                x = lhs[(batch, feats, *src)]                 # (n_out, i)
                w = rhs[(outs, slice(None), *tap)]            # (o_group, i)
                out[(slice(None), outs, *pos)] += x @ w.T
    return out


@given(CASES[P.conv_general_dilated_p])
def test_conv_general_dilated_matches_loops(case):
    (lhs, rhs), params = case
    assert_close(P.conv_general_dilated_p.impl(lhs, rhs, **params),
                 conv_by_loops(lhs, rhs, params))


WINDOW_OPS = {P.reduce_window_sum_p: "sum", P.reduce_window_max_p: "max",
              P.reduce_window_min_p: "min"}


def _window_reduce(values, kind, dtype):
    if kind == "sum":
        return np.sum(np.array(values, dtype), dtype=dtype)
    if any(isinstance(v, float) and math.isnan(v) for v in values):
        return np.nan
    identity = (P.reductions.lowest if kind == "max" else P.reductions.highest)(dtype)
    return (max if kind == "max" else min)(values + [identity])


def reduce_window_by_loops(prim, x, params):
    kind = WINDOW_OPS[prim]
    out_shape = prim.abstract_eval(ShapedArray(x.shape, x.dtype), **params).shape
    out = np.empty(out_shape, x.dtype)
    for pos in itertools.product(*[range(d) for d in out_shape]):
        values = []
        for tap in itertools.product(*[range(w) for w in params["window_dimensions"]]):
            src = [_source_index(p, k, s, lo, bd, wd, size) for p, k, s, (lo, _), bd, wd, size
                   in zip(pos, tap, params["window_strides"], params["padding"],
                          params["base_dilation"], params["window_dilation"], x.shape)]
            if None not in src:
                values.append(x[tuple(src)].item())
        out[pos] = _window_reduce(values, kind, x.dtype)
    return out


@pytest.mark.parametrize("prim", list(WINDOW_OPS), ids=lambda p: p.name)
@given(data=st.data())
def test_reduce_window_matches_loops(prim, data):
    (x,), params = data.draw(CASES[prim])
    assert_close(prim.impl(x, **params), reduce_window_by_loops(prim, x, params))


def _row_index(x, row, axes, clip):
    """Basic-indexing tuple for one index row, or None when out of range and not clipped."""
    index = [slice(None)] * x.ndim
    for axis, c in zip(axes, row):
        c = int(c)
        if not 0 <= c < x.shape[axis]:
            if not clip or x.shape[axis] == 0:
                return None
            c = min(max(c, 0), x.shape[axis] - 1)
        index[axis] = c
    return tuple(index)


@given(CASES[P.gather_p])
def test_gather_matches_indexing_row_by_row(case):
    (x, indices), params = case
    out = P.gather_p.impl(x, indices, **params)
    fill = np.nan if x.dtype.kind == "f" else 0
    for b in np.ndindex(*indices.shape[:-1]):
        index = _row_index(x, indices[b], params["axes"], params["mode"] == "clip")
        expected = np.full(out.shape[len(b):], fill, x.dtype) if index is None else x[index]
        np.testing.assert_array_equal(out[b], expected)


SCATTER_UPDATES = {
    P.scatter_p: lambda old, new: new, P.scatter_add_p: lambda old, new: old + new,
    P.scatter_mul_p: lambda old, new: old * new, P.scatter_min_p: np.minimum,
    P.scatter_max_p: np.maximum,
}


@pytest.mark.parametrize("prim", list(SCATTER_UPDATES), ids=lambda p: p.name)
@given(data=st.data())
def test_scatter_matches_sequential_updates(prim, data):
    (x, indices, updates), params = data.draw(CASES[prim])
    expected = x.copy()
    with np.errstate(all="ignore"):
        for b in np.ndindex(*indices.shape[:-1]):   # row-major order: the last set wins
            index = _row_index(x, indices[b], params["axes"], params["mode"] == "clip")
            if index is not None:
                expected[index] = SCATTER_UPDATES[prim](expected[index], updates[b])
        actual = prim.impl(x, indices, updates, **params)
    assert_close(actual, expected)


@given(arrays(F64, shapes(1, 1, 0, 6)), arrays(I32, shapes(1, 1, 0, 8), -1, 6))
def test_scatter_add_matches_add_at(x, idx):
    updates = np.arange(len(idx), dtype=F64)
    expected = x.copy()
    keep = (idx >= 0) & (idx < len(x))
    np.add.at(expected, idx[keep], updates[keep])
    actual = P.scatter_add_p.impl(x, idx[:, None], updates, axes=(0,), mode="drop")
    np.testing.assert_allclose(actual, expected)


def _sort_key(values):
    """Total order used by sort: numbers ascending, NaNs last."""
    return [(1, 0.0) if isinstance(v, float) and math.isnan(v) else (0, v) for v in values]


@given(CASES[P.sort_p])
def test_sort_matches_python_sorted(case):
    operands, params = case
    dim, num_keys = params["dimension"], params["num_keys"]
    outs = P.sort_p.impl(*operands, **params)
    moved = [np.moveaxis(op, dim, -1) for op in operands]
    for b in np.ndindex(*moved[0].shape[:-1]):
        keys = [_sort_key(m[b].tolist()) for m in moved[:num_keys]]
        order = sorted(range(moved[0].shape[-1]), key=lambda j: [k[j] for k in keys])
        for out, m in zip(outs, moved):
            np.testing.assert_array_equal(np.moveaxis(out, dim, -1)[b], m[b][order])


@given(arrays(F32, shapes(1, 3, 0, 6), -2, 2, special=True))
def test_sort_one_key_matches_numpy_stable_sort(x):
    (out,) = P.sort_p.impl(x, dimension=x.ndim - 1, is_stable=True, num_keys=1)
    np.testing.assert_array_equal(out, np.sort(x, axis=-1, kind="stable"))


@given(st.data())
def test_sort_two_keys_matches_lexsort(data):
    n = data.draw(st.integers(0, 10))
    major, minor = (data.draw(arrays(I32, (n,), -2, 2)) for _ in "mn")
    payload = np.arange(n, dtype=F32)
    outs = P.sort_p.impl(major, minor, payload, dimension=0, is_stable=True, num_keys=2)
    order = np.lexsort((minor, major))      # lexsort's last key is the primary one
    for out, operand in zip(outs, (major, minor, payload)):
        np.testing.assert_array_equal(out, operand[order])


@given(CASES[P.dynamic_slice_p])
def test_dynamic_slice_clamps_starts(case):
    (x, *starts), params = case
    sizes = params["slice_sizes"]
    out = P.dynamic_slice_p.impl(x, *starts, **params)
    expected = x
    for axis, (s, size) in enumerate(zip(starts, sizes)):
        start = np.clip(np.int64(s), 0, x.shape[axis] - size)   # the largest valid start
        expected = np.take(expected, np.arange(start, start + size), axis=axis)
    np.testing.assert_array_equal(out, expected)


@given(CASES[P.dynamic_update_slice_p])
def test_dynamic_update_slice_round_trips(case):
    (x, update, *starts), _ = case
    out = P.dynamic_update_slice_p.impl(x, update, *starts)
    back = P.dynamic_slice_p.impl(out, *starts, slice_sizes=update.shape)
    np.testing.assert_array_equal(back, update)
    # everything outside the clamped window is untouched
    mask = np.ones(x.shape, bool)
    mask[tuple(slice(min(max(int(s), 0), d - u), min(max(int(s), 0), d - u) + u)
               for s, u, d in zip(starts, update.shape, x.shape))] = False
    np.testing.assert_array_equal(out[mask], x[mask])


def _pad_source(size, lo, hi, interior):
    """For each output position along one axis: the source index, or `size` for padding."""
    n = lo + hi + size + interior * max(size - 1, 0)
    q = np.arange(n) - lo
    inside = (q >= 0) & (q % (interior + 1) == 0) & (q // (interior + 1) < size)
    return np.where(inside, q // (interior + 1), size)


@given(CASES[P.pad_p])
def test_pad_matches_index_construction(case):
    (x, value), params = case
    config = params["padding_config"]
    if x.ndim == 0:
        expected = x
    else:
        extended = np.pad(x, [(0, 1)] * x.ndim, constant_values=value)  # index `size`: value
        expected = extended[np.ix_(*[_pad_source(d, *c) for d, c in zip(x.shape, config)])]
    np.testing.assert_array_equal(P.pad_p.impl(x, value, **params), expected)


def test_pad_negative_and_interior_example():
    out = P.pad_p.impl(np.array([1, 2, 3], I32), np.array(0, I32),
                       padding_config=((-1, 2, 1),))
    np.testing.assert_array_equal(out, [0, 2, 0, 3, 0, 0])


CUMULATIVE = {P.cumsum_p: np.add, P.cumprod_p: np.multiply, P.cummax_p: np.maximum,
              P.cummin_p: np.minimum}


@pytest.mark.parametrize("prim", list(CUMULATIVE), ids=lambda p: p.name)
@given(data=st.data())
def test_cumulative_matches_prefix_reductions(prim, data):
    (x,), params = data.draw(CASES[prim])
    axis, ufunc, n = params["axis"], CUMULATIVE[prim], x.shape[params["axis"]]
    with np.errstate(all="ignore"):
        prefixes = [np.arange(j, n) if params["reverse"] else np.arange(j + 1)
                    for j in range(n)]
        columns = [ufunc.reduce(np.take(x, part, axis=axis), axis=axis, dtype=x.dtype)
                   for part in prefixes]
        actual = prim.impl(x, **params)
    expected = np.stack(columns, axis=axis) if columns else x
    assert_close(actual, expected)


@pytest.mark.parametrize("prim,np_fn", [(P.argmax_p, max), (P.argmin_p, min)],
                         ids=["argmax", "argmin"])
@given(data=st.data())
def test_arg_reductions_first_occurrence_nan_wins(prim, np_fn, data):
    (x,), params = data.draw(CASES[prim])
    out = prim.impl(x, **params)
    moved = np.moveaxis(x, params["axis"], -1)
    for b in np.ndindex(*moved.shape[:-1]):
        row = moved[b].tolist()
        nans = [j for j, v in enumerate(row) if v != v]
        assert out[b] == (nans[0] if nans else row.index(np_fn(row)))


@pytest.mark.parametrize("prim,dtype,identity", [
    (P.reduce_sum_p, I32, 0), (P.reduce_prod_p, F32, 1), (P.reduce_max_p, F64, -np.inf),
    (P.reduce_max_p, I64, np.iinfo(I64).min), (P.reduce_min_p, U8, 255),
    (P.reduce_min_p, BOOL, True), (P.reduce_and_p, U8, 255), (P.reduce_and_p, I32, -1),
    (P.reduce_or_p, BOOL, False)])
def test_empty_reductions_give_the_identity(prim, dtype, identity):
    out = prim.impl(np.zeros((2, 0), dtype), axes=(1,))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, [identity, identity])


@pytest.mark.parametrize("prim,np_fn", [
    (P.reduce_sum_p, np.sum), (P.reduce_prod_p, np.prod), (P.reduce_max_p, np.max),
    (P.reduce_min_p, np.min)])
@given(data=st.data())
def test_reductions_match_numpy(prim, np_fn, data):
    (x,), params = data.draw(CASES[prim])
    if x.size == 0 and prim in (P.reduce_max_p, P.reduce_min_p):
        return    # NumPy refuses empty max/min; the identity is tested above
    with np.errstate(all="ignore"):
        expected = np.asarray(np_fn(x, axis=params["axes"]), x.dtype)
        actual = prim.impl(x, **params)
    assert_close(actual, expected)


def test_reduce_window_max_pads_with_lowest_value():
    x = np.array([-5, -7], I32)
    out = P.reduce_window_max_p.impl(x, window_dimensions=(2,), window_strides=(1,),
                                     padding=((1, 1),), base_dilation=(2,),
                                     window_dilation=(1,))
    np.testing.assert_array_equal(out, [-5, -5, -7, -7])


@given(CASES[P.iota_p])
def test_iota_counts_along_dimension(case):
    _, params = case
    expected = np.indices(params["shape"])[params["dimension"]].astype(params["dtype"])
    np.testing.assert_array_equal(P.iota_p.impl(**params), expected)


# ---- abstract_eval rejects bad input, naming the primitive ----------------------------------

def aval(shape, dtype=F32, weak=False):
    return ShapedArray(tuple(shape), np.dtype(dtype), weak)


BAD = [
    (P.squeeze_p, [aval((2, 3))], {"dimensions": (0,)}, ValueError),
    (P.squeeze_p, [aval((1,))], {"dimensions": [0]}, TypeError),
    (P.expand_dims_p, [aval((2,))], {"dimensions": (1, 0)}, ValueError),
    (P.transpose_p, [aval((2, 3))], {"permutation": (0, 0)}, ValueError),
    (P.rev_p, [aval((2,))], {"dimensions": (1,)}, ValueError),
    (P.pad_p, [aval((2,)), aval((), I32)], {"padding_config": ((0, 0, 0),)}, TypeError),
    (P.pad_p, [aval((2,)), aval(())], {"padding_config": ((0, 0, -1),)}, ValueError),
    (P.pad_p, [aval((2,)), aval(())], {"padding_config": ((-2, -1, 0),)}, ValueError),
    (P.concatenate_p, [aval((2, 3)), aval((2, 4))], {"dimension": 0}, TypeError),
    (P.concatenate_p, [aval((2,)), aval((2,), I32)], {"dimension": 0}, TypeError),
    (P.slice_p, [aval((4,))], {"start_indices": (3,), "limit_indices": (2,), "strides": None},
     ValueError),
    (P.slice_p, [aval((4,))], {"start_indices": (0,), "limit_indices": (4,), "strides": (0,)},
     ValueError),
    (P.dynamic_slice_p, [aval((4,)), aval((), F32)], {"slice_sizes": (2,)}, TypeError),
    (P.dynamic_slice_p, [aval((4,)), aval((), I32)], {"slice_sizes": (5,)}, ValueError),
    (P.dynamic_update_slice_p, [aval((4,)), aval((5,)), aval((), I32)], {}, ValueError),
    (P.iota_p, [], {"dtype": BOOL, "shape": (3,), "dimension": 0}, TypeError),
    (P.iota_p, [], {"dtype": I32, "shape": (3,), "dimension": 1}, ValueError),
    (P.gather_p, [aval((4, 3)), aval((2, 2), I32)], {"axes": (0,), "mode": "clip"}, TypeError),
    (P.gather_p, [aval((4, 3)), aval((2, 1), F32)], {"axes": (0,), "mode": "clip"}, TypeError),
    (P.gather_p, [aval((4, 3)), aval((2, 1), I32)], {"axes": (0,), "mode": "wrap"},
     ValueError),
    (P.gather_p, [aval((0, 3)), aval((2, 1), I32)], {"axes": (0,), "mode": "clip"},
     ValueError),
    (P.scatter_add_p, [aval((4, 3)), aval((2, 1), I32), aval((2, 4))],
     {"axes": (0,), "mode": "drop"}, TypeError),
    (P.scatter_add_p, [aval((4,), BOOL), aval((2, 1), I32), aval((2,), BOOL)],
     {"axes": (0,), "mode": "drop"}, TypeError),
    (P.scatter_p, [aval((4,)), aval((2, 1), I32), aval((2,), F64)],
     {"axes": (0,), "mode": "drop"}, TypeError),
    (P.reduce_sum_p, [aval((2, 3))], {"axes": (2,)}, ValueError),
    (P.reduce_sum_p, [aval((2, 3), BOOL)], {"axes": (0,)}, TypeError),
    (P.reduce_and_p, [aval((2, 3))], {"axes": (0,)}, TypeError),
    (P.reduce_max_p, [aval((2, 3))], {"axes": (0, 0)}, ValueError),
    (P.argmax_p, [aval((0, 3))], {"axis": 0, "index_dtype": I32}, ValueError),
    (P.argmin_p, [aval((3,))], {"axis": 0, "index_dtype": F32}, TypeError),
    (P.argmax_p, [aval((300,))], {"axis": 0, "index_dtype": U8}, ValueError),
    (P.cumsum_p, [aval(())], {"axis": 0, "reverse": False}, ValueError),
    (P.cummax_p, [aval((3,))], {"axis": 0, "reverse": "yes"}, TypeError),
    (P.sort_p, [aval((3,)), aval((4,))], {"dimension": 0, "is_stable": True, "num_keys": 1},
     TypeError),
    (P.sort_p, [aval((3,))], {"dimension": 0, "is_stable": True, "num_keys": 2}, ValueError),
    (P.dot_general_p, [aval((2, 3)), aval((4, 5))],
     {"dimension_numbers": (((1,), (0,)), ((), ())), "preferred_element_type": None},
     TypeError),
    (P.dot_general_p, [aval((2, 3)), aval((3, 5), F64)],
     {"dimension_numbers": (((1,), (0,)), ((), ())), "preferred_element_type": None},
     TypeError),
    (P.dot_general_p, [aval((2, 3)), aval((3, 5))],
     {"dimension_numbers": (((1,), (0,)), ((1,), (0,))), "preferred_element_type": None},
     ValueError),
    (P.dot_general_p, [aval((2, 3)), aval((3, 5))],
     {"dimension_numbers": (((1,), (0,)), ((), ())), "preferred_element_type": I32},
     TypeError),
    (P.dot_general_p, [aval((2, 3)), aval((3, 5))],
     {"dimension_numbers": ((1, 0), ((), ())), "preferred_element_type": None}, TypeError),
]

_CONV = {"window_strides": (1,), "padding": ((0, 0),), "lhs_dilation": (1,),
         "rhs_dilation": (1,), "feature_group_count": 1, "batch_group_count": 1,
         "preferred_element_type": None}
_WINDOW = {"window_dimensions": (2,), "window_strides": (1,), "padding": ((0, 0),),
           "base_dilation": (1,), "window_dilation": (1,)}
BAD += [
    (P.conv_general_dilated_p, [aval((1, 4, 5)), aval((2, 3, 2))], _CONV, ValueError),
    (P.conv_general_dilated_p, [aval((1, 4, 5)), aval((3, 2, 2))],
     {**_CONV, "feature_group_count": 2}, ValueError),
    (P.conv_general_dilated_p, [aval((3, 2, 5)), aval((4, 2, 2))],
     {**_CONV, "batch_group_count": 2}, ValueError),
    (P.conv_general_dilated_p, [aval((1, 2, 5)), aval((4, 2, 2, 2))], _CONV, TypeError),
    (P.conv_general_dilated_p, [aval((1, 2, 5)), aval((4, 2, 2))],
     {**_CONV, "window_strides": (0,)}, ValueError),
    (P.conv_general_dilated_p, [aval((1, 2, 5)), aval((4, 2, 2))],
     {**_CONV, "padding": ((-4, -2),)}, ValueError),
    (P.conv_general_dilated_p, [aval((1, 2, 5)), aval((4, 2, 2))],
     {**_CONV, "padding": (0, 0)}, TypeError),
    (P.reduce_window_sum_p, [aval((4,))], {**_WINDOW, "window_dimensions": (0,)}, ValueError),
    (P.reduce_window_max_p, [aval((4, 4))], _WINDOW, TypeError),
    (P.reduce_window_min_p, [aval((4,))], {**_WINDOW, "padding": ((-3, -2),)}, ValueError),
    (P.reduce_window_sum_p, [aval((4,), BOOL)], _WINDOW, TypeError),
]


@pytest.mark.parametrize("prim,avals,params,error", BAD,
                         ids=[f"{p.name}-{i}" for i, (p, *_) in enumerate(BAD)])
def test_abstract_eval_rejects_bad_input(prim, avals, params, error):
    with pytest.raises(error, match=f"^{prim.name}: "):
        prim.abstract_eval(*avals, **params)



@given(st.integers(0, 2**31 - 1), st.sampled_from([np.float32, np.float64, np.int16, np.uint8]),
       st.sampled_from(["array", "zero", "negative zero"]), st.sampled_from([(5, 7), ()]))
def test_select_n_copies_bits_exactly(seed, dtype, on_false_kind, shape):
    """select_n's bit-operation impl (with its one-multiply path for a broadcast +0.0)
    gives NumPy's ``where`` bit for bit: NaN payloads, -0.0 and any mask."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 256, size=(*shape, np.dtype(dtype).itemsize), dtype=np.uint8)
    on_true = bits.view(dtype).reshape(shape)
    pred = np.asarray(rng.random(shape) < 0.5)
    fill = {"array": None, "zero": 0, "negative zero": -0.0}[on_false_kind]
    if fill is None:
        on_false = rng.integers(0, 100, shape).astype(dtype)
    else:
        on_false = np.broadcast_to(np.array(fill).astype(dtype), shape)
    got = P.select_n_p.impl(pred, on_false, on_true)
    assert got.dtype == on_true.dtype
    assert got.tobytes() == np.where(pred, on_true, on_false).tobytes()


def test_products_and_reductions_stay_quiet_and_restore_the_error_state():
    from xla_like.primitives.quiet import quietly
    big = np.full((3, 3), 3e38, F32)
    with np.errstate(all="raise"):
        before = np.geterr()
        out = P.dot_general_p.impl(big, big, (((1,), (0,)), ((), ())), None)
        assert np.isinf(out).all()
        assert np.isinf(P.reduce_sum_p.impl(big, axes=(0, 1)))
        with pytest.raises(ValueError):
            quietly(np.reshape, big, (2, 2))
        assert np.geterr() == before                 # restored, also after an error
        with pytest.raises(FloatingPointError):
            np.multiply(big, big)                    # the caller's setting still holds


def test_matrix_product_with_a_wider_preferred_type_is_computed_in_it():
    # float64 == None in NumPy, so a check like ``preferred in (None, dtype)`` let float64
    # through the float32 BLAS path and returned float32
    a = np.full((2, 3), 1 + 2.0 ** -20, F32)
    b = np.full((3, 1), 1 + 2.0 ** -20, F32)
    out = P.dot_general_p.impl(a, b, (((1,), (0,)), ((), ())), np.dtype(F64))
    assert out.dtype == F64
    np.testing.assert_array_equal(out, a.astype(F64) @ b.astype(F64))
