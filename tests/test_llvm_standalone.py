"""Standalone native kernels (xla_like/backends/llvm/standalone): every kernel agrees
with its primitive's NumPy ``impl`` on random inputs (shapes with 0-d and empty axes,
every dtype the primitive allows, NaN/inf), bit for bit except where float summation
order legitimately differs; non-contiguous inputs, caching and errors."""
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import functorch_lite as fl
from functorch_lite import lax
from xla_like import primitives as P
from xla_like.backends.llvm import parallel
from xla_like.backends.llvm.standalone import (STANDALONE, compile_standalone,
                                               compile_standalone_many, emit_standalone,
                                               has_standalone)
from xla_like.backends.llvm.standalone.runtime import link
from xla_like.ir import Eqn, Var, aval_of_value

from primitive_cases import CASES

# Float outputs of these are compared with a tolerance: their sums run in another order
# than NumPy's (einsum, multi-axis reduce, ufunc.at with duplicates).
SUMMING = {P.cumsum_p, P.reduce_window_sum_p, P.conv_general_dilated_p, P.scatter_add_p,
           P.dot_general_p}
PRIMS = sorted(STANDALONE, key=lambda p: p.name)


def one_equation(prim, args, params):
    """``outs = prim[params](*args)`` as an Eqn over fresh vars of the args' avals."""
    invars = [Var(aval_of_value(np.asarray(a))) for a in args]
    out = prim.abstract_eval(*[v.aval for v in invars], **params)
    outs = out if prim.multiple_results else [out]
    return Eqn(prim, invars, [Var(o) for o in outs], params)


def reference(prim, args, params):
    with np.errstate(over="ignore"):        # 0-d uint32 threefry warns on wrap-around
        out = prim.impl(*args, **params)
    return [np.asarray(o) for o in (out if prim.multiple_results else [out])]


def assert_same(prim, got, want, what):
    """Shapes and dtypes equal; values bit-equal (NaN where NaN), or close for the
    float results of summing primitives."""
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (what, g.shape, g.dtype, w.shape,
                                                           w.dtype)
        if prim in SUMMING and g.dtype.kind == "f":
            rtol = 1e-5 if g.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 64, equal_nan=True,
                                       err_msg=str(what))
        else:
            np.testing.assert_array_equal(g, w, err_msg=str(what))


def check_case(prim, args, params):
    eqn = one_equation(prim, args, params)
    assert has_standalone(eqn)
    got = compile_standalone(eqn)(*args)
    assert_same(prim, got, reference(prim, args, params),
                (prim, [(a.shape, a.dtype) for a in args], params))


# ---- every kernel against its primitive's impl ------------------------------------------

@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
@given(data=st.data())
def test_kernel_matches_reference(prim, data):
    args, params = data.draw(CASES[prim])
    check_case(prim, args, params)


@pytest.mark.slow
@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
@settings(max_examples=200)
@given(data=st.data())
def test_kernel_matches_reference_thoroughly(prim, data):
    args, params = data.draw(CASES[prim])
    check_case(prim, args, params)


@given(data=st.data())
def test_conv_direct_loops_match_reference(data):
    """The plain-function conv (what emit_standalone gives) for every dtype, floats too
    (compile_standalone runs float convolutions as im2col + BLAS)."""
    args, params = data.draw(CASES[P.conv_general_dilated_p])
    eqn = one_equation(P.conv_general_dilated_p, args, params)
    kernel = link([emit_standalone(eqn, "conv_direct")])[0]
    assert_same(P.conv_general_dilated_p, kernel(*args),
                reference(P.conv_general_dilated_p, args, params), params)


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
@settings(max_examples=5)
@given(data=st.data())
def test_rows_split_across_threads_give_the_same_result(prim, data):
    """Every kernel with a rows loop, forced to split it (3 parts, no size threshold)."""
    args, params = data.draw(CASES[prim])
    with mock.patch.object(parallel, "PARALLEL_THRESHOLD", 0), \
            mock.patch.object(parallel, "worker_count", lambda: 3):
        check_case(prim, args, params)


def test_large_row_kernels_split_across_threads():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 200)).astype(np.float32)
    x[rng.random(x.shape) < 0.01] = np.nan
    index = {"index_dtype": np.dtype("int64")}
    images = rng.standard_normal((6, 3, 10, 9))
    conv = {"window_strides": (1, 2), "padding": ((1, 1), (0, 1)), "lhs_dilation": (1, 1),
            "rhs_dilation": (2, 1), "feature_group_count": 1, "batch_group_count": 1,
            "preferred_element_type": None}
    cases = [(P.sort_p, [x, x[::-1].copy()], {"dimension": 1, "is_stable": True, "num_keys": 2}),
             (P.argmax_p, [x], {"axis": 1, **index}), (P.argmin_p, [x], {"axis": 0, **index}),
             (P.cummax_p, [x], {"axis": 1, "reverse": True}),
             (P.gather_p, [x, rng.integers(-5, 70, (300, 1))], {"axes": (0,), "mode": "fill"}),
             (P.conv_general_dilated_p, [images, rng.standard_normal((4, 3, 3, 2))], conv),
             (P.threefry2x32_p, [rng.integers(0, 2**32, 999, dtype=np.uint64).astype(np.uint32)
                                 for _ in range(4)], {})]
    with mock.patch.object(parallel, "PARALLEL_THRESHOLD", 0), \
            mock.patch.object(parallel, "worker_count", lambda: 3):
        for prim, args, params in cases:
            check_case(prim, args, params)


def test_row_kernels_declare_their_rows():
    x = np.zeros((4, 5), np.float32)
    sort = one_equation(P.sort_p, [x], {"dimension": 1, "is_stable": True, "num_keys": 1})
    rev = one_equation(P.rev_p, [x], {"dimensions": (0,)})
    assert compile_standalone(sort).rows == 4
    assert compile_standalone(rev).rows == 1          # a block copy: one call


def _strided(x):
    """The same values in a non-contiguous buffer (every other element of a larger one)."""
    x = np.asarray(x)
    if x.ndim == 0:
        return x
    wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), x.dtype)
    wide[..., ::2] = x
    return wide[..., ::2]


@pytest.mark.parametrize("prim", PRIMS, ids=lambda p: p.name)
@settings(max_examples=5)
@given(data=st.data())
def test_non_contiguous_inputs(prim, data):
    args, params = data.draw(CASES[prim])
    eqn = one_equation(prim, args, params)
    strided = [_strided(a) for a in args]
    got = compile_standalone(eqn)(*strided)
    assert_same(prim, got, reference(prim, args, params), (prim, params))


# ---- larger inputs and edge cases the random cases rarely reach -------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8", "bool"])
def test_sort_long_rows_is_stable_and_orders_nans_last(dtype):
    rng = np.random.default_rng(0)
    keys = rng.integers(-3, 4, (3, 300, 2)).astype(dtype)
    if keys.dtype.kind == "f":
        keys[rng.random(keys.shape) < 0.1] = np.nan
        keys[rng.random(keys.shape) < 0.1] = -0.0
        keys[0, :5, 0] = [np.inf, -np.inf, np.nan, 0.0, -0.0]
    payload = np.arange(keys.size, dtype=np.int64).reshape(keys.shape)
    params = {"dimension": 1, "is_stable": True, "num_keys": 1}
    check_case(P.sort_p, [keys, payload], params)
    params = {"dimension": 1, "is_stable": False, "num_keys": 2}
    check_case(P.sort_p, [keys, np.flip(keys, 1).copy(), payload], params)


def test_scatter_duplicates_apply_in_row_order():
    x = np.zeros((4, 3), np.float32)
    indices = np.array([[1], [1], [3], [1], [-1], [9]], np.int32)
    updates = np.arange(18, dtype=np.float32).reshape(6, 3)
    for prim in (P.scatter_p, P.scatter_add_p, P.scatter_mul_p, P.scatter_min_p,
                 P.scatter_max_p):
        for mode in ("drop", "clip"):
            check_case(prim, [x + 1, indices, updates], {"axes": (0,), "mode": mode})


def test_gather_huge_unsigned_and_negative_indices():
    x = np.arange(12.0).reshape(3, 4)
    for dtype, values in (("uint64", [0, 2**63 + 5, 2]), ("int64", [-(2**62), 1, 3]),
                          ("uint8", [255, 1, 0])):
        indices = np.array(values, dtype).reshape(3, 1)
        for mode in ("clip", "fill"):
            check_case(P.gather_p, [x, indices], {"axes": (0,), "mode": mode})


def test_dynamic_slice_clamps_huge_unsigned_starts():
    x = np.arange(20, dtype=np.int32).reshape(4, 5)
    starts = [np.uint64(2**64 - 1), np.int64(-7)]
    check_case(P.dynamic_slice_p, [x] + starts, {"slice_sizes": (2, 3)})
    check_case(P.dynamic_update_slice_p, [x, x[:2, :3] * 0] + starts, {})


def test_scatter_extremes_and_pooling_propagate_nan():
    x = np.array([[0.0, np.nan, 2.0], [-np.inf, 1.0, -0.0]], np.float32)
    indices = np.array([[1], [0], [1]], np.int64)
    updates = np.array([[np.nan, 5.0, -1.0], [np.inf, 0.0, 3.0], [2.0, np.nan, 0.0]],
                       np.float32)
    for prim in (P.scatter_min_p, P.scatter_max_p, P.scatter_p):
        check_case(prim, [x, indices, updates], {"axes": (0,), "mode": "clip"})
    window = {"window_dimensions": (2, 2), "window_strides": (1, 1),
              "padding": ((0, 1), (1, 0)), "base_dilation": (1, 2), "window_dilation": (1, 1)}
    for prim in (P.reduce_window_max_p, P.reduce_window_min_p, P.reduce_window_sum_p):
        check_case(prim, [x], window)


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16", "uint32", "uint64"])
def test_narrow_and_unsigned_integers(dtype):
    info = np.iinfo(dtype)
    x = np.array([[info.max, 0, info.min, 7], [1, info.max, info.min + 1, 0]], dtype)
    index = {"index_dtype": np.dtype("int32")}
    window = {"window_dimensions": (1, 2), "window_strides": (1, 1),
              "padding": ((0, 0), (1, 0)), "base_dilation": (1, 1), "window_dilation": (1, 1)}
    cases = [(P.sort_p, [x], {"dimension": 1, "is_stable": True, "num_keys": 1}),
             (P.argmax_p, [x], {"axis": 1, **index}), (P.argmin_p, [x], {"axis": 0, **index}),
             (P.cummax_p, [x], {"axis": 1, "reverse": False}),
             (P.cummin_p, [x], {"axis": 0, "reverse": True}),
             (P.cumsum_p, [x], {"axis": 1, "reverse": False}),
             (P.reduce_window_max_p, [x], window), (P.reduce_window_min_p, [x], window),
             (P.reduce_window_sum_p, [x], window),
             (P.gather_p, [x, np.array([[1], [5]], dtype)], {"axes": (1,), "mode": "fill"}),
             (P.scatter_min_p, [x, np.array([[1], [0]]), x[:, 1:3].copy()],
              {"axes": (1,), "mode": "drop"})]
    for prim, args, params in cases:
        check_case(prim, args, params)


def test_params_may_hold_numpy_integers():
    x = np.arange(24.0).reshape(4, 6)
    two, three = np.int64(2), np.int32(3)
    check_case(P.dynamic_slice_p, [x, np.int32(1), np.int32(9)], {"slice_sizes": (two, three)})
    check_case(P.slice_p, [x], {"start_indices": (np.int64(1), 0), "limit_indices": (4, three),
                                "strides": (two, 1)})
    check_case(P.pad_p, [x, np.float64(-1)], {"padding_config": ((two, -1, 1), (0, three, 0))})


def test_argmax_first_nan_and_first_tie_win():
    x = np.array([[1.0, 3.0, 3.0, np.nan, np.nan], [-np.inf, -np.inf, 0.0, -0.0, 0.0]])
    rng = np.random.default_rng(4)
    integers = rng.integers(-50, 50, (6, 300))                       # several search blocks
    integers[3, [130, 290]] = 99                                     # a tie after block 2
    long_rows = integers.astype(np.float32)
    long_rows[1, 200], long_rows[2, [70, 250]] = np.nan, np.nan
    for prim in (P.argmax_p, P.argmin_p):
        for axis in (0, 1):
            for operand in (x, long_rows, integers):
                check_case(prim, [operand], {"axis": axis, "index_dtype": np.dtype("int32")})


def test_threefry_large_array_is_bit_identical():
    rng = np.random.default_rng(1)
    words = [rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32) for _ in range(4)]
    check_case(P.threefry2x32_p, words, {})


def test_conv_matches_reference_on_a_small_network_layer():
    rng = np.random.default_rng(2)
    lhs = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    rhs = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    params = {"window_strides": (2, 1), "padding": ((1, 1), (0, 2)), "lhs_dilation": (1, 1),
              "rhs_dilation": (1, 2), "feature_group_count": 1, "batch_group_count": 1,
              "preferred_element_type": None}
    check_case(P.conv_general_dilated_p, [lhs, rhs], params)


def test_conv_runs_the_batch_in_chunks_of_bounded_patches(monkeypatch):
    from xla_like.backends.llvm.standalone import im2col
    monkeypatch.setattr(im2col, "PATCH_BYTES", 1)     # one batch element per chunk
    rng = np.random.default_rng(3)
    lhs = rng.standard_normal((6, 4, 5)).astype(np.float64)
    rhs = rng.standard_normal((6, 2, 2)).astype(np.float64)
    params = {"window_strides": (1,), "padding": ((1, 0),), "lhs_dilation": (2,),
              "rhs_dilation": (1,), "feature_group_count": 2, "batch_group_count": 1,
              "preferred_element_type": None}
    eqn = one_equation(P.conv_general_dilated_p, [lhs, rhs], params)
    kernel = compile_standalone(eqn)
    assert kernel.chunk == 1 and f'define void @"{kernel.name}"' in kernel.llvm_ir
    assert_same(P.conv_general_dilated_p, kernel(lhs, rhs),
                reference(P.conv_general_dilated_p, [lhs, rhs], params), params)


@pytest.mark.parametrize("dtype, preferred", [("int32", None), ("int64", None),
                                              ("uint8", None), ("uint8", "int32"),
                                              ("int32", "int64")])
def test_integer_dot_general_batched_and_wrapping(dtype, preferred):
    """Batch axes, several contracting and free axes in scrambled positions, sizes past
    a vector width, and products that overflow (they wrap like NumPy's matmul)."""
    rng = np.random.default_rng(11)
    info = np.iinfo(dtype)
    lhs = rng.integers(info.min, info.max, (3, 17, 2, 5), dtype=dtype, endpoint=True)
    rhs = rng.integers(info.min, info.max, (5, 3, 19, 2), dtype=dtype, endpoint=True)
    params = {"dimension_numbers": (((3, 2), (0, 3)), ((0,), (1,))),
              "preferred_element_type": None if preferred is None else np.dtype(preferred)}
    with mock.patch.object(parallel, "PARALLEL_THRESHOLD", 0):
        check_case(P.dot_general_p, [lhs, rhs], params)
    plain = {"dimension_numbers": (((1,), (0,)), ((), ())), "preferred_element_type": None}
    check_case(P.dot_general_p, [lhs[0, :, 0], rhs[:, 0, :, 0]], plain)   # x @ w
    assert compile_standalone(one_equation(P.dot_general_p, [lhs, rhs], params)).rows == 3


# ---- the API --------------------------------------------------------------------------

def test_every_non_fusible_primitive_has_a_kernel():
    """The primitives that neither fuse into loop kernels nor call BLAS."""
    wanted = {P.argmax_p, P.argmin_p, P.cumsum_p, P.cumprod_p, P.cummax_p, P.cummin_p,
              P.sort_p, P.gather_p, P.scatter_p, P.scatter_add_p, P.scatter_mul_p,
              P.scatter_min_p, P.scatter_max_p, P.dynamic_slice_p, P.dynamic_update_slice_p,
              P.pad_p, P.concatenate_p, P.slice_p, P.rev_p, P.reduce_window_sum_p,
              P.reduce_window_max_p, P.reduce_window_min_p, P.conv_general_dilated_p,
              P.threefry2x32_p, P.dot_general_p}
    assert wanted <= set(STANDALONE), sorted(p.name for p in wanted - set(STANDALONE))


def test_kernels_are_cached_per_params_and_avals():
    x = np.arange(6.0).reshape(2, 3)
    eqn = fl.make_ir(lambda a: lax.cumsum(a, axis=1))(x).eqns[0]
    again = fl.make_ir(lambda a: lax.cumsum(a, axis=1))(x).eqns[0]
    other = fl.make_ir(lambda a: lax.cumsum(a, axis=0))(x).eqns[0]
    assert compile_standalone(eqn) is compile_standalone(again)
    assert compile_standalone(eqn) is not compile_standalone(other)
    np.testing.assert_array_equal(compile_standalone(eqn)(x)[0], np.cumsum(x, axis=1))


def test_many_equations_compile_together_and_share_the_cache():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 7)).astype(np.float32)
    cases = [(P.rev_p, [x], {"dimensions": (1,)}),
             (P.cummax_p, [x], {"axis": 0, "reverse": True}),
             (P.sort_p, [x, x], {"dimension": 1, "is_stable": True, "num_keys": 2}),
             (P.rev_p, [x], {"dimensions": (1,)}),                    # a duplicate
             (P.conv_general_dilated_p, [x[None], x[None, :, :3]],    # a composite kernel
              {"window_strides": (1,), "padding": ((1, 1),), "lhs_dilation": (1,),
               "rhs_dilation": (1,), "feature_group_count": 1, "batch_group_count": 1,
               "preferred_element_type": None})]
    eqns = [one_equation(prim, args, params) for prim, args, params in cases]
    kernels = compile_standalone_many(eqns)
    assert kernels[0] is kernels[3] is compile_standalone(eqns[3])
    assert kernels[0]._engine is kernels[1]._engine      # same options: one native module
    for kernel, (prim, args, params) in zip(kernels, cases):
        assert_same(prim, kernel(*args), reference(prim, args, params), prim)


def test_unsupported_primitives_and_dtypes_fail_by_name():
    x = np.ones(3, np.float32)
    add = fl.make_ir(lambda a: a + a)(x).eqns[0]
    assert not has_standalone(add)
    with pytest.raises(NotImplementedError, match="'add'"):
        compile_standalone(add)
    c = np.ones(3, np.complex64)
    rev = one_equation(P.rev_p, [c], {"dimensions": (0,)})
    assert not has_standalone(rev)
    with pytest.raises(NotImplementedError, match="complex64"):
        compile_standalone(rev)


def test_wrong_input_shape_is_reported():
    eqn = one_equation(P.rev_p, [np.ones(3)], {"dimensions": (0,)})
    with pytest.raises(TypeError, match="input 0 must have shape"):
        compile_standalone(eqn)(np.ones(4))
