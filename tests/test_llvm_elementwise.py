"""The LLVM elementwise compiler (xla_like/backends/llvm): compiled kernels agree with
the reference interpreter on random NumPy-layer programs and on every primitive the
lowering table covers; the inline math meets its documented accuracy against float64
NumPy; the loop vectorizes; what cannot be compiled fails by name."""
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import functorch_lite.numpy as fnp
from xla_like import primitives as P
from xla_like.backends.llvm import compile_elementwise, tiling
from xla_like.backends.llvm.rules import LOWERINGS
from xla_like.ir import Eqn, Program, Var, aval_of_value
from xla_like.reference import evaluate

from primitive_cases import CASES

F32, F64, I32, I64, BOOL = (np.dtype(t) for t in ("float32", "float64", "int32", "int64",
                                                  "bool"))
RTOL = {F32: 1e-5, F64: 1e-12}


def one_equation(prim, args, params):
    """``{ lambda a b . let c = prim[params] a b in (c) }`` for these NumPy args."""
    invars = [Var(aval_of_value(np.asarray(a))) for a in args]
    out = Var(prim.abstract_eval(*[v.aval for v in invars], **params))
    return Program(invars, [], [], [Eqn(prim, invars, [out], params)], [out])


def assert_matches(got, want, what):
    """Same shapes and dtypes; ints and bools equal; floats close (NaN where NaN)."""
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (what, g.shape, g.dtype, w.dtype)
        if g.dtype.kind == "f":
            finite = np.abs(w[np.isfinite(w)])
            scale = max(1.0, float(finite.max())) if finite.size else 1.0
            rtol = RTOL[g.dtype]
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale, equal_nan=True,
                                       err_msg=str(what))
        else:
            np.testing.assert_array_equal(g, w, err_msg=str(what))


# ---- every lowering rule against its primitive's impl -------------------------------------

RULE_PRIMS = sorted(LOWERINGS, key=lambda p: p.name)


def _check_rule(prim, data):
    args, params = data.draw(CASES[prim])
    program = one_equation(prim, args, params)
    assert_matches(compile_elementwise(program)(*args), evaluate(program, *args),
                   (prim, [a.dtype for a in args], params))


@pytest.mark.parametrize("prim", RULE_PRIMS, ids=lambda p: p.name)
@settings(max_examples=2)
@given(data=st.data())
def test_rule_matches_reference(prim, data):
    _check_rule(prim, data)


@pytest.mark.slow
@pytest.mark.parametrize("prim", RULE_PRIMS, ids=lambda p: p.name)
@settings(max_examples=25)
@given(data=st.data())
def test_rule_matches_reference_thoroughly(prim, data):
    _check_rule(prim, data)


def test_integer_and_conversion_edge_cases_match_reference():
    i32 = np.array([np.iinfo(np.int32).min, -7, -1, 0, 1, 7, np.iinfo(np.int32).max], np.int32)
    divisors = np.array([-1, -1, 0, 0, -1, 0, 2], np.int32)
    floats = np.array([np.nan, np.inf, -np.inf, 3e9, -3e9, -0.0, 2.5, -2.5, 1e-45], np.float32)
    cases = [(P.div_p, [i32, divisors], {}), (P.rem_p, [i32, divisors], {}),
             (P.shift_right_arithmetic_p, [i32, np.array([-1, 31, 32, 99, 0, 1, 2], np.int32)],
              {})]
    cases += [(P.convert_element_type_p, [floats], {"new_dtype": np.dtype(t), "weak_type": False})
              for t in ("int32", "uint8", "int64", "bool", "float64")]
    cases += [(P.sign_p, [floats], {}),
              (P.round_p, [floats], {"rounding_method": "away_from_zero"}),
              (P.max_p, [floats, floats[::-1].copy()], {}), (P.is_finite_p, [floats], {})]
    for prim, args, params in cases:
        program = one_equation(prim, args, params)
        got, want = compile_elementwise(program)(*args), evaluate(program, *args)
        np.testing.assert_array_equal(got[0], want[0], err_msg=prim.name)


# ---- random NumPy-layer programs ----------------------------------------------------------

FLOAT_UNARY = [fnp.tanh, fnp.sin, fnp.cos, fnp.floor, fnp.abs, fnp.negative, fnp.sign,
               lambda a: fnp.exp(-fnp.abs(a)), lambda a: fnp.log1p(fnp.abs(a)),
               lambda a: fnp.sqrt(fnp.abs(a)), lambda a: fnp.expm1(fnp.tanh(a)),
               lambda a: 1.0 / (1.0 + fnp.exp(-a)), lambda a: a * 0.5 + 1.0,
               lambda a: (a * 4.0).astype(np.int32).astype(a.dtype)]
FLOAT_BINARY = [fnp.add, fnp.subtract, fnp.multiply, fnp.maximum, fnp.minimum,
                lambda a, b: fnp.where(a > b, a, b * 2.0), lambda a, b: a / (1.0 + b * b)]
INT_UNARY = [fnp.negative, fnp.abs, fnp.sign, lambda a: a * 3 - 1, lambda a: a // 3,
             lambda a: a % 5, lambda a: a ** 2]
INT_BINARY = [fnp.add, fnp.subtract, fnp.multiply, fnp.maximum, fnp.minimum, fnp.floor_divide,
              fnp.remainder, lambda a, b: fnp.where(a < b, a, b),
              lambda a, b: (a > b).astype(a.dtype) * a]
BOOL_UNARY = [fnp.logical_not, lambda a: a == a]
BOOL_BINARY = [fnp.logical_and, fnp.logical_or, fnp.logical_xor, fnp.equal,
               lambda a, b: fnp.where(a, b, ~b)]
OPS = {F32: (FLOAT_UNARY, FLOAT_BINARY), F64: (FLOAT_UNARY, FLOAT_BINARY),
       I32: (INT_UNARY, INT_BINARY), I64: (INT_UNARY, INT_BINARY), BOOL: (BOOL_UNARY, BOOL_BINARY)}

OUT_SHAPES = [(), (0,), (5,), (3, 4), (2, 0, 3), (2, 3, 4)]


def _broadcast_variants(shape):
    """Shapes that broadcast to ``shape``: itself, a scalar, a row, a column, a leading 1."""
    variants = [shape, ()]
    if shape:
        variants += [shape[-1:], (1,) + shape[1:]]
    if len(shape) >= 2:
        variants.append(shape[:-1] + (1,))
    return variants


def _values(dtype):
    if dtype == BOOL:
        return st.booleans()
    if dtype.kind == "i":
        return st.integers(-50, 50)
    finite = st.floats(-3, 3, width=8 * dtype.itemsize)
    return st.one_of(finite, finite, finite, st.sampled_from([np.nan, np.inf, -np.inf, -0.0]))


@st.composite
def programs(draw):
    """(function, example args): a random chain of NumPy-layer ops on two inputs."""
    dtype = draw(st.sampled_from(list(OPS)))
    shape = draw(st.sampled_from(OUT_SHAPES))
    y_shape = draw(st.sampled_from(_broadcast_variants(shape)))
    args = [draw(hnp.arrays(dtype, s, elements=_values(dtype))) for s in (shape, y_shape)]
    unary, binary = OPS[dtype]
    steps = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 99),
                                    st.integers(0, 99)), min_size=1, max_size=6))

    def fun(x, y):
        values = [x, y]
        for is_binary, op, i, j in steps:
            a, b = values[i % len(values)], values[j % len(values)]
            values.append(binary[op % len(binary)](a, b) if is_binary
                          else unary[op % len(unary)](a))
        return fnp.broadcast_to(values[-1], x.shape)     # every program outputs x's shape
    return fun, args


@given(programs())
def test_random_programs_match_reference(case):
    fun, args = case
    program = fl.make_ir(fun)(*args)
    assert_matches(compile_elementwise(program)(*args), evaluate(program, *args), program)


def test_outer_product_constants_and_several_outputs():
    table = np.linspace(-1, 1, 4).astype(np.float32)

    def fun(x, s):
        outer = x[:, None] * x[None, :] + table        # x under two placements + a constant
        return outer, fnp.tanh(outer) * s, outer > s
    x, s = np.arange(4, dtype=np.float32), np.float32(0.5)
    program = fl.make_ir(fun)(x, s)
    kernel = compile_elementwise(program)
    assert_matches(kernel(x, s), evaluate(program, x, s), program)
    assert kernel.plan.loop_sizes == (4, 4)


def test_scalar_and_row_broadcasts_collapse_to_the_loops_they_need():
    x, row = np.ones((6, 5), np.float32), np.ones(5, np.float32)
    same = compile_elementwise(fl.make_ir(lambda a, b: a * b + 1.0)(x, x))
    rows = compile_elementwise(fl.make_ir(lambda a, b: a * b)(x, row))
    assert same.plan.loop_sizes == (30,)
    assert rows.plan.loop_sizes == (6, 5)


# ---- vectorization and the kernel's calling convention --------------------------------------

def test_float32_math_chain_vectorizes_without_calls():
    x = np.zeros(4096, np.float32)
    fun = lambda a: (fnp.tanh(a) * 0.5 + fnp.exp(-a) + fnp.log1p(a * a) + fnp.sin(a)
                     + fnp.cos(a) + fnp.expm1(a))
    kernel = compile_elementwise(fl.make_ir(fun)(x))
    assert re.search(r"<\d+ x float>", kernel.optimized_ir)
    callees = set(re.findall(r"call [^@]*@\"?([\w.]+)", kernel.optimized_ir))
    assert callees and all(c.startswith("llvm.") for c in callees), callees


def test_kernel_checks_its_inputs():
    kernel = compile_elementwise(fl.make_ir(lambda a: a + 1.0)(np.zeros(3, np.float32)))
    with pytest.raises(TypeError, match="takes 1 inputs"):
        kernel()
    with pytest.raises(TypeError, match=r"shape \(3,\)"):
        kernel(np.zeros(4, np.float32))
    out = kernel(np.arange(3))                          # converted like the reference does
    assert out[0].dtype == F32 and out[0].tolist() == [1.0, 2.0, 3.0]


# ---- what cannot be compiled fails by name ----------------------------------------------------

def test_unsupported_primitives_are_named():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(NotImplementedError, match="'cumsum'"):
        compile_elementwise(fl.make_ir(lambda a: fnp.cumsum(a, axis=1) + a)(x))
    with pytest.raises(NotImplementedError, match="'slice'"):
        compile_elementwise(fl.make_ir(lambda a: a[:, 1:])(x))
    with pytest.raises(NotImplementedError, match="'rev'"):
        compile_elementwise(fl.make_ir(lambda a: a[:, ::-1] * 2.0)(x))


def test_unsupported_dtypes_and_shapes_are_named():
    for dtype in ("complex64", "complex128", "float16"):
        z = np.ones(3, dtype)
        with pytest.raises(NotImplementedError, match=f"dtype {dtype}.*supported"):
            compile_elementwise(fl.make_ir(lambda a: a * a)(z))
    with pytest.raises(NotImplementedError, match="share one shape"):
        compile_elementwise(fl.make_ir(lambda a, b: (a + 1.0, b))(np.ones(3), np.ones(2)))
    with pytest.raises(NotImplementedError, match="moves elements"):
        compile_elementwise(fl.make_ir(lambda a: a.reshape(3, 2) + 1.0)(np.ones((2, 3))))


# ---- long kernels are blocked into segments ---------------------------------------------------

@pytest.mark.parametrize("shape", [(1000,), (3, 700), (5, 1, 300)], ids=str)
def test_long_kernels_are_cut_into_segments_and_agree(shape, monkeypatch):
    """Force tiny segments so values (floats and bools) cross many segment boundaries,
    with trip counts that are not multiples of the block size."""
    monkeypatch.setattr(tiling, "SEGMENT_NODES", 5)
    monkeypatch.setattr(tiling, "SEGMENT_INSTRUCTIONS", 20)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    row = rng.standard_normal(shape[-1:]).astype(np.float32)

    def fun(a, r):
        positive = a > 0
        for i in range(12):
            a = fnp.tanh(a) * 0.5 + r if i % 2 else fnp.where(positive, a * 1.01, a - r)
        return a, positive, a + r * 2.0
    program = fl.make_ir(fun)(x, row)
    kernel = compile_elementwise(program)
    assert kernel.llvm_ir.count("seg") > 10
    assert_matches(kernel(x, row), evaluate(program, x, row), "blocked")


def test_non_contiguous_inputs_are_copied():
    base = np.random.default_rng(1).standard_normal((6, 8))
    for view in (base.T, base[:, ::2], base[::-1]):
        program = fl.make_ir(lambda a: fnp.exp(a) * 2.0)(view)
        assert_matches(compile_elementwise(program)(view), evaluate(program, view), "view")


# ---- streaming stores (streaming.py) ---------------------------------------------------------

def _chain_with_specials(n, seed):
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32) * 4
    x[:: max(1, n // 7)] = np.nan
    x[1:: max(1, n // 5)] = np.inf
    x[2:: max(1, n // 3)] = -np.inf
    return x


def _chain(x):
    return fnp.tanh(x) * 0.5 + x * x - fnp.exp(-x) * 0.25, x * 0.1 - 1


def _offset_array(n, dtype, offset_bytes):
    """An n-element array starting ``offset_bytes`` past a 64-byte boundary."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.empty(n * itemsize + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset_bytes
    return raw[start:start + n * itemsize].view(dtype)


@pytest.mark.parametrize("n", [1, 15, 17, 1000, 4099, 70001])
@pytest.mark.parametrize("offsets", [(0, 0), (4, 4), (60, 60), (0, 4), (8, 48)])
def test_streaming_kernels_agree_at_any_size_and_alignment(n, offsets, monkeypatch):
    """With the threshold lowered, every size (not multiples of a vector or a block)
    and output alignment (equal or different between the two outputs: the fallback)
    gives the reference's results; the kernel does contain non-temporal stores."""
    from xla_like.backends.llvm import engine, streaming
    monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", 64)
    x = _chain_with_specials(n, n)
    program = fl.make_ir(_chain)(x)
    kernel = engine.Kernel(program)
    assert streaming.streams(kernel.plan, engine.target_machine().triple) == (2 * 4 * n >= 64)
    if 2 * 4 * n >= 64 and engine.target_machine().triple.startswith("x86_64"):
        assert "!nontemporal" in kernel.llvm_ir
    outs = [_offset_array(n, np.float32, off) for off in offsets]
    kernel.call_into([x], outs)
    assert_matches(outs, evaluate(program, x), ("stream", n, offsets))


@pytest.mark.parametrize("delta", [-1, 0, 37])
def test_streaming_threshold_and_thread_split(delta):
    """Sizes at the real threshold (split across threads in chunks that do not start
    on a 64-byte boundary) agree with the reference."""
    from xla_like.backends.llvm import engine, streaming
    n = streaming.STREAM_MIN_BYTES // 8 + delta
    x = _chain_with_specials(n, 3)
    program = fl.make_ir(_chain)(x)
    kernel = engine.Kernel(program)
    triple = engine.target_machine().triple
    assert streaming.streams(kernel.plan, triple) == (delta >= 0 and triple.startswith("x86"))
    assert_matches(kernel(x), evaluate(program, x), ("threshold", n))


def test_outputs_from_fresh_mmap_pages_and_other_kernels_do_not_stream():
    """Outputs of STREAM_MAX_OUTPUT_BYTES or more, row kernels and other targets keep
    ordinary stores."""
    from xla_like.backends.llvm import streaming
    from xla_like.backends.llvm.plan import make_plan
    triple = "x86_64-unknown-linux-gnu"
    huge = np.zeros(streaming.STREAM_MAX_OUTPUT_BYTES // 4, np.float32)
    assert streaming.streams(make_plan(fl.make_ir(lambda x: x * 2.0)(huge[:-1])), triple)
    assert not streaming.streams(make_plan(fl.make_ir(lambda x: x * 2.0)(huge)), triple)
    rows = huge.reshape(1024, -1)[:, :2048]
    centered = make_plan(fl.make_ir(lambda x: x - fnp.max(x, 1, keepdims=True))(rows))
    assert not streaming.streams(centered, triple)
    arm = "aarch64-unknown-linux-gnu"
    assert not streaming.streams(make_plan(fl.make_ir(lambda x: x * 2.0)(huge[:-1])), arm)
