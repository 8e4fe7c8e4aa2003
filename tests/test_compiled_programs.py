"""The CPU compiler (``CPU_BACKEND.compile``) against the reference interpreter: every
primitive as a one-equation program, random elementwise/reduction/matmul programs,
special values, 0-d and empty arrays, and the executable's analyses."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import functorch_lite as fl
from functorch_lite import numpy as fnp
from higher_order_cases import NO_STANDALONE_IMPL
from primitive_cases import CASES, arrays, shapes
from transforms.core import bind
from xla_like import primitives as P
from xla_like.backends.cpu import CPU_BACKEND
from xla_like.config import config
from xla_like.reference import evaluate


@pytest.fixture(autouse=True)
def no_disk_cache():
    """These tests compile many programs; keep them out of the user's disk cache."""
    saved = config.compilation_cache
    config.update("compilation_cache", False)
    yield
    config.update("compilation_cache", saved)


# Primitives whose compiled results must equal the reference bit for bit: IEEE-exact
# arithmetic and everything that only moves, selects or compares values.  The others
# (transcendental functions, sums and products whose association may differ, BLAS)
# are compared with a tolerance: their kernels use documented approximations.
EXACT = {P.add_p, P.sub_p, P.mul_p, P.div_p, P.rem_p, P.neg_p, P.abs_p, P.sign_p, P.max_p,
         P.min_p, P.floor_p, P.ceil_p, P.round_p, P.sqrt_p, P.nextafter_p, P.select_n_p,
         P.clamp_p, P.convert_element_type_p, P.copy_p, P.stop_gradient_p, P.is_finite_p,
         P.eq_p, P.ne_p, P.lt_p, P.le_p, P.gt_p, P.ge_p, P.and_p, P.or_p, P.xor_p, P.not_p,
         P.shift_left_p, P.shift_right_arithmetic_p, P.shift_right_logical_p,
         P.threefry2x32_p, P.broadcast_in_dim_p, P.reshape_p, P.squeeze_p, P.expand_dims_p,
         P.transpose_p, P.rev_p, P.pad_p, P.concatenate_p, P.slice_p, P.dynamic_slice_p,
         P.dynamic_update_slice_p, P.iota_p, P.gather_p, P.scatter_p, P.scatter_max_p,
         P.scatter_min_p, P.sort_p, P.argmax_p, P.argmin_p, P.reduce_max_p, P.reduce_min_p,
         P.reduce_and_p, P.reduce_or_p, P.cummax_p, P.cummin_p, P.reduce_window_max_p,
         P.reduce_window_min_p}


def assert_matches(got, want, approximate):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.dtype, g.shape, w.dtype, w.shape)
        if approximate and w.dtype.kind == "f":
            rtol = 2e-6 if w.dtype == np.float32 else 1e-13
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True)
        else:
            np.testing.assert_array_equal(g, w)


def one_equation_program(prim, args, params):
    return fl.make_ir(lambda *xs: bind(prim, *xs, **params))(*args)


def check_primitive(prim, data):
    args, params = data.draw(CASES[prim])
    program = one_equation_program(prim, args, params)
    want = evaluate(program, *args)
    got = CPU_BACKEND.compile(program)(*args)
    assert_matches(got, want, prim not in EXACT)


PRIMITIVES = sorted((p for p in CASES if p not in NO_STANDALONE_IMPL), key=lambda p: p.name)


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
@settings(max_examples=5)
@given(data=st.data())
def test_every_primitive_compiles_and_matches_reference(prim, data):
    check_primitive(prim, data)


@pytest.mark.slow
@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
@settings(max_examples=25)
@given(data=st.data())
def test_every_primitive_sweep(prim, data):
    check_primitive(prim, data)


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
@settings(max_examples=3)
@given(data=st.data())
def test_every_primitive_under_jit_matches_eager(prim, data):
    """Through ``jit`` itself (the ``jit_p`` impl compiles) against eager execution."""
    args, params = data.draw(CASES[prim])
    eager = bind(prim, *[fnp.asarray(a) for a in args], **params)
    jitted = fl.jit(lambda *xs: bind(prim, *xs, **params))(*args)
    eager = eager if prim.multiple_results else [eager]
    jitted = jitted if prim.multiple_results else [jitted]
    assert_matches([np.asarray(j) for j in jitted], [np.asarray(e) for e in eager],
                   prim not in EXACT)


# ---- programs of many equations --------------------------------------------------------------

UNARY_FNS = [fnp.tanh, fnp.exp, fnp.sin, lambda x: -x, lambda x: x * x, fnp.abs,
             lambda x: x * 0.5 + 1.0, lambda x: fnp.maximum(x, 0.0), fnp.cos]
BINARY_FNS = [lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y,
              lambda x, y: fnp.where(x > y, x, y), lambda x, y: fnp.minimum(x, y)]


@st.composite
def elementwise_programs(draw):
    """A random DAG of unary/binary elementwise ops, reductions and broadcasts over two
    inputs, as (function, args)."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(shapes(min_dims=0, max_dims=3))
    xs = [draw(arrays(np.dtype(dtype), shape, -3, 3, special=draw(st.booleans())))
          for _ in range(2)]
    ops = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 100), st.integers(0, 100)),
                        min_size=1, max_size=12))

    def fun(a, b):
        values = [a, b]
        for kind, i, j in ops:
            x, y = values[i % len(values)], values[j % len(values)]
            if kind == 0:
                values.append(UNARY_FNS[j % len(UNARY_FNS)](x))
            elif kind == 1:
                values.append(BINARY_FNS[i % len(BINARY_FNS)](x, y))
            elif kind == 2 and x.ndim:
                axis = j % x.ndim
                values.append(fnp.broadcast_to(fnp.sum(x, axis=axis, keepdims=True), x.shape)
                              - x)
            else:
                values.append(fnp.sum(x) + y)
        return values[-1], values[len(values) // 2]
    return fun, xs


@given(case=elementwise_programs())
def test_random_programs_match_reference(case):
    fun, xs = case
    program = fl.make_ir(fun)(*xs)
    with np.errstate(all="ignore"):
        want = evaluate(program, *xs)
        got = CPU_BACKEND.compile(program)(*xs)
    assert_matches(got, want, approximate=True)


def logsumexp(x):
    m = fnp.max(x, axis=1, keepdims=True)
    return fnp.log(fnp.sum(fnp.exp(x - m), axis=1)) + m[:, 0]


def mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = fnp.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    return fnp.mean((logits - y) ** 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_fuses_into_one_kernel(dtype):
    x = np.random.default_rng(0).standard_normal((16, 33)).astype(dtype)
    x[3, 5] = np.inf
    x[4, :] = -np.inf
    program = fl.make_ir(logsumexp)(x)
    exe = CPU_BACKEND.compile(program)
    assert [s.kind for s in exe.steps] == ["kernel"]
    with np.errstate(all="ignore"):
        assert_matches(exe(x), evaluate(program, x), approximate=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_gradient_step_uses_blas_and_matches(dtype):
    rng = np.random.default_rng(1)
    params = [(rng.standard_normal((6, 5)).astype(dtype), rng.standard_normal(5).astype(dtype)),
              (rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal(3).astype(dtype))]
    x, y = rng.standard_normal((4, 6)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)
    program = fl.make_ir(fl.value_and_grad(mlp_loss))(params, x, y)
    leaves = [a for pair in params for a in pair] + [x, y]
    exe = CPU_BACKEND.compile(program)
    kinds = [s.kind for s in exe.steps]
    assert "blas" in kinds and "reference" not in kinds
    assert_matches(exe(*leaves), evaluate(program, *leaves), approximate=True)


@pytest.mark.parametrize("batch_dims", [0, 1, 2])
def test_batched_dot_general_through_blas(batch_dims):
    rng = np.random.default_rng(batch_dims)
    batch = (2, 3)[:batch_dims]
    a = rng.standard_normal(batch + (4, 5)).astype(np.float32)
    b = rng.standard_normal(batch + (5, 6)).astype(np.float32)
    program = fl.make_ir(lambda a, b: fnp.matmul(a, b))(a, b)
    exe = CPU_BACKEND.compile(program)
    assert "blas" in [s.kind for s in exe.steps]
    assert_matches(exe(a, b), evaluate(program, a, b), approximate=True)


def test_special_values_and_shapes():
    def fun(x, y):
        return fnp.exp(x) * y - fnp.log(fnp.abs(x) + 1.0), fnp.sum(x + y)
    specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, 3.0], np.float32)
    for x in (specials, np.float32(2.5), np.zeros((0, 3), np.float32)):
        x = np.asarray(x)
        y = np.ones_like(x)
        program = fl.make_ir(fun)(x, y)
        with np.errstate(all="ignore"):
            assert_matches(CPU_BACKEND.compile(program)(x, y), evaluate(program, x, y),
                           approximate=True)


@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.float64])
def test_integer_and_bool_programs(dtype):
    rng = np.random.default_rng(2)
    x = (rng.integers(-5, 5, (7, 3)) if dtype != np.bool_ else rng.integers(0, 2, (7, 3)))
    x = x.astype(dtype)

    def fun(x):
        y = fnp.where(x > 0, x, fnp.zeros_like(x)) if dtype != np.bool_ else ~x
        return y, fnp.sum(x.astype(np.int32), axis=0)
    program = fl.make_ir(fun)(x)
    assert_matches(CPU_BACKEND.compile(program)(x), evaluate(program, x), approximate=False)


# ---- the executable's interface ---------------------------------------------------------------

def test_inputs_are_checked_and_converted():
    program = fl.make_ir(lambda x: x * 2.0)(np.ones((2, 3), np.float32))
    exe = CPU_BACKEND.compile(program)
    with pytest.raises(TypeError, match="shape"):
        exe(np.ones(3, np.float32))
    with pytest.raises(TypeError, match="takes 1 inputs"):
        exe()
    view = np.arange(12, dtype=np.float64).reshape(3, 4).T[:2]   # strided, wrong dtype
    np.testing.assert_array_equal(exe(view[:, :3])[0], np.asarray(view[:, :3] * 2, np.float32))


def test_compile_is_cached_by_identity_and_structure():
    x = np.ones(4, np.float32)
    p1 = fl.make_ir(lambda x: fnp.sin(x) + 1.0)(x)
    p2 = fl.make_ir(lambda x: fnp.sin(x) + 1.0)(x)
    assert CPU_BACKEND.compile(p1) is CPU_BACKEND.compile(p1)
    assert CPU_BACKEND.compile(p2) is CPU_BACKEND.compile(p1)


def test_analyses_and_text():
    a = np.ones((8, 16), np.float32)
    b = np.ones((16, 4), np.float32)
    program = fl.make_ir(lambda a, b: fnp.tanh(a @ b) * 2.0)(a, b)
    exe = CPU_BACKEND.compile(program)
    cost = exe.cost_analysis()
    assert cost["flops"] >= 2 * 8 * 16 * 4 + 2 * 8 * 4
    assert cost["transcendentals"] == 8 * 4
    assert cost["bytes_read"] == a.nbytes + b.nbytes + 8 * 4 * 4
    assert cost["bytes_written"] == 2 * 8 * 4 * 4
    memory = exe.memory_analysis()
    assert memory == {"temp_bytes": 8 * 4 * 4, "argument_bytes": a.nbytes + b.nbytes,
                      "output_bytes": 8 * 4 * 4}
    text = exe.as_text()
    assert "define void @\"kernel" in text and "tanh" not in text.split("define")[0]


def test_dead_kernel_buffers_are_reused():
    """``h`` dies at the second matmul (a BLAS call, which keeps no view of it), so the
    second kernel writes ``exp(...)`` into ``h``'s buffer; results stay right."""
    def fun(x, w):
        h = fnp.tanh(x @ w)
        g = fnp.exp(h @ w)
        return g @ w
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((6, 6)), rng.standard_normal((6, 6)) * 0.3
    program = fl.make_ir(fun)(x, w)
    exe = CPU_BACKEND.compile(program)
    assert [s.kind for s in exe.steps] == ["blas", "kernel", "blas", "kernel", "blas"]
    assert any(exe.buffers.donations)
    for _ in range(2):
        assert_matches(exe(x, w), evaluate(program, x, w), approximate=True)


def test_zero_dimensional_constants_keep_their_shape():
    c = np.array(2.5, np.float32)
    v = np.arange(3, dtype=np.float32)
    program = fl.make_ir(lambda x: (x * c, fl.lax.cumsum(x + c, axis=0), c + 0 * v[0], v))(
        np.ones(3, np.float32))
    x = np.linspace(0, 1, 3, dtype=np.float32)
    assert_matches(CPU_BACKEND.compile(program)(x), evaluate(program, x), approximate=False)


def test_outputs_that_are_inputs_literals_or_repeated():
    x = np.arange(4, dtype=np.float32)
    program = fl.make_ir(lambda x: (x, 2.0, fnp.exp(x), fnp.exp(x), fnp.float32(3) * 2))(x)
    assert_matches(CPU_BACKEND.compile(program)(x), evaluate(program, x), approximate=True)


def test_debug_print_runs_in_order_on_every_call(capsys):
    from functorch_lite.debug import print as debug_print

    @fl.jit
    def fun(x):
        y = fnp.exp(x)
        debug_print("first {}", y[0])
        z = y * 2.0
        debug_print("second {}", z[0])
        return z + 1.0
    x = np.zeros(3, np.float32)
    for _ in range(2):
        np.testing.assert_allclose(np.asarray(fun(x)), np.full(3, 3.0, np.float32))
    lines = capsys.readouterr().out.split()
    assert lines == ["first", "1.0", "second", "2.0"] * 2


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.uint32])
def test_small_and_wide_integer_kernels(dtype):
    info = np.iinfo(dtype)
    x = np.array([info.min, info.max, 0, 1, 7], dtype)
    program = fl.make_ir(lambda x: (x * x + x, x // fnp.asarray(3, dtype), fnp.max(x)))(x)
    with np.errstate(all="ignore"):
        assert_matches(CPU_BACKEND.compile(program)(x), evaluate(program, x), approximate=False)


# ---- what runs natively, and the documented reference fallbacks -------------------------

# The primitives whose cases a compiled program still runs through their NumPy
# reference implementation: exactly the set documented in
# xla_like/backends/executable.py (debug_callback is a host callback by design; the
# matrix decompositions are rare heavy ops that call LAPACK through NumPy/SciPy).
REFERENCE_FALLBACK = {P.debug_callback_p, P.cholesky_p, P.triangular_solve_p, P.lu_p,
                      P.qr_p, P.eigh_p, P.svd_p,
                      P.fft_p, P.real_p, P.imag_p, P.conj_p, P.complex_p}


def fallen_back(executable):
    return {eqn.prim for s in executable.steps if s.kind == "reference" for eqn in s.eqns}


@pytest.mark.parametrize("prim", PRIMITIVES, ids=lambda p: p.name)
@settings(max_examples=8)
@given(data=st.data())
def test_only_the_documented_primitives_fall_back_to_the_reference(prim, data):
    args, params = data.draw(CASES[prim])
    executable = CPU_BACKEND.compile(one_equation_program(prim, args, params))
    expected = {prim} if prim in REFERENCE_FALLBACK else set()
    assert fallen_back(executable) == expected, [s.kind for s in executable.steps]


def test_dtypes_without_llvm_types_fall_back_and_stay_right():
    """complex (and float16) values have no LLVM type: NumPy runs those equations."""
    z = (np.arange(6) + 1j * np.arange(6)[::-1]).astype(np.complex64).reshape(2, 3)
    program = fl.make_ir(lambda z: (z * z + z, fl.lax.rev(z, (1,))))(z)
    executable = CPU_BACKEND.compile(program)
    assert fallen_back(executable) == {P.mul_p, P.add_p, P.rev_p}
    assert_matches(executable(z), evaluate(program, z), approximate=False)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8])
def test_integer_dot_general_runs_a_native_kernel(dtype):
    rng = np.random.default_rng(9)
    a = rng.integers(0, 50, (2, 5, 7)).astype(dtype)
    b = rng.integers(0, 50, (2, 7, 3)).astype(dtype)
    program = fl.make_ir(lambda a, b: fnp.matmul(a, b) + a[:, :, :3])(a, b)
    executable = CPU_BACKEND.compile(program)
    assert "native" in [s.kind for s in executable.steps]
    with np.errstate(over="ignore"):
        assert_matches(executable(a, b), evaluate(program, a, b), approximate=False)


def test_standalone_kernels_take_dead_buffers():
    """``a`` dies at the first cumsum and ``b`` at the sin: each later step of that
    shape and dtype writes into a dead buffer; results stay right on every call."""
    def fun(x):
        a = fnp.exp(x)
        b = fl.lax.cumsum(a, axis=0)
        c = fnp.sin(b)
        return fl.lax.cumsum(c, axis=0) * 0.5
    x = np.linspace(-1, 1, 64, dtype=np.float32)
    program = fl.make_ir(fun)(x)
    exe = CPU_BACKEND.compile(program)
    assert [s.kind for s in exe.steps] == ["kernel", "native", "kernel", "native", "kernel"]
    assert exe.buffers.donations[3]                 # the second cumsum takes a dead buffer
    for _ in range(2):
        assert_matches(exe(x), evaluate(program, x), approximate=True)


def test_element_moving_reshape_is_a_view():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    program = fl.make_ir(lambda x: (x + 1.0).reshape(2, 6))(x)
    exe = CPU_BACKEND.compile(program)
    assert [s.kind for s in exe.steps] == ["kernel", "view"]
    assert_matches(exe(x), evaluate(program, x), approximate=False)


def test_calls_the_inliner_keeps_run_their_compiled_body():
    """A ``jit`` call whose operand is weak while its body's input is not stays a call
    (passes/inline.py); it runs the body's own executable."""
    from xla_like.ir import Eqn, Program, ShapedArray, Var
    x = np.float32(1.5)
    body = fl.make_ir(lambda x: (fl.lax.cumsum(fnp.sin(x)[None] * 2.0, axis=0),))(x)
    operand = Var(ShapedArray((), np.dtype(np.float32), weak=True))
    outs = [Var(v.aval) for v in body.outvars]
    call = Eqn(P.jit_p, (operand,), tuple(outs), {"program": body, "name": "inner"})
    program = Program((operand,), (), (), (call,), tuple(outs))
    exe = CPU_BACKEND.compile(program)
    assert [s.kind for s in exe.steps] == ["call"]
    assert_matches(exe(x), evaluate(program, x), approximate=True)


@pytest.mark.parametrize("with_blas", [False, True])
def test_standalone_kernels_split_rows_unless_the_executable_calls_blas(with_blas):
    """Above the (patched) threshold, row kernels split across 3 workers; in an
    executable that calls BLAS they run on the calling thread.  Same results."""
    from unittest import mock
    from xla_like.backends.cpu import CpuBackend
    from xla_like.backends.llvm import parallel
    rng = np.random.default_rng(12)
    x = rng.standard_normal((40, 30)).astype(np.float32)

    def fun(x):
        y = fl.lax.sort(fl.lax.cumsum(x, axis=1), dimension=1)
        return y @ x.T if with_blas else y
    program = fl.make_ir(fun)(x)
    calls = []
    real_run = parallel.run

    def counting_run(cfunc, pointers, outer, elements, threshold=None):
        calls.append(outer)
        return real_run(cfunc, pointers, outer, elements, threshold)
    with mock.patch.object(parallel, "PARALLEL_THRESHOLD", 0), \
            mock.patch.object(parallel, "worker_count", lambda: 3), \
            mock.patch.object(parallel, "run", counting_run):
        exe = CpuBackend().compile(program)
        assert_matches(exe(x), evaluate(program, x), approximate=True)
    assert (40 in calls) != with_blas           # the row kernels' 40 rows went to the pool


@pytest.mark.parametrize("index, kind", [((slice(2, 5),), "view"),
                                         ((slice(3, 4), slice(1, 3)), "view"),
                                         ((slice(None), slice(1, 3)), "native"),
                                         ((slice(0, 6, 2),), "native"),
                                         ((slice(4, 4),), "view")])
def test_contiguous_slices_are_views_and_others_copy(index, kind):
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    program = fl.make_ir(lambda x: fnp.exp(x)[index] * 2.0)(x)
    exe = CPU_BACKEND.compile(program)
    assert [s.kind for s in exe.steps] == ["kernel", kind, "kernel"]
    assert_matches(exe(x), evaluate(program, x), approximate=True)
    zero_d = fl.make_ir(lambda s: fl.lax.slice(s, (), ()) + 1.0)(np.float32(2))
    assert_matches(CPU_BACKEND.compile(zero_d)(np.float32(2)), [np.float32(3)], False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_elementwise_loops_are_interleaved_and_exact_at_the_edges(dtype):
    """Above the size threshold the elementwise loop carries an interleave hint; the
    interleaved body and its remainder (an odd size) give the same bits as the plain
    loop, and agree with the reference."""
    from unittest import mock
    from xla_like.backends.cpu import CpuBackend
    from xla_like.backends.llvm import codegen
    size = codegen.INTERLEAVE_MIN_ELEMENTS * 2 + 37
    x = np.random.default_rng(14).standard_normal(size).astype(dtype) * 4
    x[[0, 5, size - 1, size - 2]] = [np.nan, np.inf, -np.inf, -0.0]

    def fun(x):
        return fnp.tanh(x) * 0.5 + x * x - fnp.exp(-x) * 0.25 + x * 0.1 - 1
    program = fl.make_ir(fun)(x)
    exe = CpuBackend().compile(program)
    assert "llvm.loop.interleave.count" in exe.as_text()
    with mock.patch.object(codegen, "INTERLEAVE", None):
        plain = CpuBackend().compile(program)
        assert "llvm.loop.interleave.count" not in plain.as_text()
    small = CpuBackend().compile(fl.make_ir(fun)(x[:100]))
    assert "llvm.loop.interleave.count" not in small.as_text()
    with np.errstate(all="ignore"):
        got, want = exe(x)[0], evaluate(program, x)[0]
        np.testing.assert_array_equal(got, plain(x)[0])
        # x * x - exp(-x) / 4 cancels: compare against the size of the terms
        scale = np.abs(x * x) + np.exp(-x) + 1
        np.testing.assert_allclose(got / scale, want / scale, rtol=0, atol=1e-6)
