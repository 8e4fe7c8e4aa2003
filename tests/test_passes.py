"""Compiler passes: each does its job (equation counts), effectful equations survive,
and ``optimize`` never changes what a program computes (random programs, random
inputs, against the reference interpreter); fusion and buffer plans are valid."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import functorch_lite as fl
from functorch_lite import numpy as fnp
from functorch_lite.debug import print as debug_print
from transforms.core import bind
from primitive_cases import arrays, shapes
from test_compiled_programs import assert_matches, elementwise_programs
from xla_like import primitives as P
from xla_like.backends.llvm import fusible
from xla_like.passes import (common_subexpression_elimination, constant_folding,
                             dead_code_elimination, inline_calls, optimize)
from xla_like.backends.cpu import CPU_BACKEND
from xla_like.passes.buffers import buffer_plan
from xla_like.passes.dots import dot_strength_reduction
from xla_like.passes.fusion import partition
from xla_like.reference import evaluate
from xla_like.typecheck import typecheck

X = np.linspace(-2, 2, 6, dtype=np.float32)


def prims(program):
    return [e.prim for e in program.eqns]


# ---- each pass does its job ----------------------------------------------------------------

def test_dce_removes_unused_equations_and_constants():
    c = np.arange(6, dtype=np.float32)
    program = fl.make_ir(lambda x: (fnp.sin(x) * c, fnp.cos(x))[1])(X)
    assert P.sin_p in prims(program) and len(program.consts) == 1
    out = dead_code_elimination(program)
    assert prims(out) == [P.cos_p] and out.consts == ()
    assert dead_code_elimination(out) is out


def test_cse_merges_repeated_equations_only():
    program = fl.make_ir(lambda x: fnp.sin(x) + fnp.sin(x) + fnp.sin(x * 2.0))(X)
    assert prims(program).count(P.sin_p) == 3
    out = optimize(program)
    assert prims(out).count(P.sin_p) == 2
    different_params = fl.make_ir(lambda x: fnp.sum(x, axis=0) + fnp.sum(x, axis=1))(
        np.ones((3, 3), np.float32))
    assert len(common_subexpression_elimination(different_params).eqns) == \
        len(different_params.eqns)


def test_constant_folding_makes_literals_and_small_constants():
    c = np.arange(4, dtype=np.float32)
    program = fl.make_ir(lambda x: x * (fnp.exp(c) + 1.0) + fnp.sum(c))(np.ones(4, np.float32))
    out = constant_folding(program)
    assert P.exp_p not in prims(out) and P.reduce_sum_p not in prims(out)
    assert any(np.allclose(v, np.exp(c) + 1.0) for v in out.consts)
    typecheck(out)
    np.testing.assert_allclose(evaluate(out, c)[0], evaluate(program, c)[0], rtol=1e-6)


def test_constant_folding_leaves_large_results_and_literal_broadcasts():
    big = np.ones(5000, np.float32)
    program = fl.make_ir(lambda x: x + fnp.exp(big))(big)
    assert P.exp_p in prims(constant_folding(program))
    broadcast = fl.make_ir(lambda x: x * 2.0)(X)
    assert prims(constant_folding(broadcast)) == prims(broadcast)


@pytest.mark.parametrize("fun", [lambda x: x * 1.0, lambda x: 1.0 * x, lambda x: -(-x),
                                 lambda x: x / 1.0, lambda x: x - 0.0, lambda x: x + (-0.0),
                                 lambda x: x.astype(np.float32), lambda x: x.reshape(6),
                                 lambda x: fnp.maximum(x, x), lambda x: x ** 1,
                                 lambda x: fnp.broadcast_to(x, (6,)),
                                 lambda x: x.reshape(2, 3).reshape(6),
                                 lambda x: fnp.squeeze(x[:, None], 1),
                                 lambda x: fnp.expand_dims(x, 0).reshape(6)])
def test_simplification_removes_identities(fun):
    program = fl.make_ir(fun)(X)
    out = optimize(program)
    assert out.eqns == () and out.outvars == out.invars


def test_simplification_keeps_inexact_identities():
    # x + 0.0 is not x for x = -0.0, so it stays; integers simplify
    program = fl.make_ir(lambda x: x + 0.0)(X)
    assert P.add_p in prims(optimize(program))
    ints = fl.make_ir(lambda x: x + 0)(np.arange(3, dtype=np.int32))
    assert optimize(ints).eqns == ()
    out = evaluate(optimize(program), np.array([-0.0] * 6, np.float32))[0]
    assert not np.signbit(out).any()


def test_reshape_chains_simplify_only_back_to_the_start():
    program = fl.make_ir(lambda x: x.reshape(2, 3).reshape(3, 2))(X)
    out = optimize(program)
    assert [e.prim for e in out.eqns] == [P.reshape_p, P.reshape_p]
    np.testing.assert_array_equal(evaluate(out, np.arange(6.0, dtype=np.float32))[0],
                                  np.arange(6.0).reshape(3, 2))


def test_weak_type_changing_replacements_are_refused():
    weak = fl.make_ir(lambda x: x * 1.0)(2.0)          # weak f32 in, weak out: fine
    assert optimize(weak).eqns == ()
    strong = fl.make_ir(lambda x: x.astype(np.float32))(2.0)   # weak -> strong: a real op
    assert optimize(strong).eqns != ()


def test_inlining_flattens_nested_jit_and_remat():
    inner = fl.jit(lambda x: fnp.sin(x) * 2.0)
    program = fl.make_ir(lambda x: fl.checkpoint(lambda y: inner(y) + inner(y))(x))(X)
    assert P.remat_p in prims(program)
    out = inline_calls(program)
    typecheck(out)
    assert P.jit_p not in prims(out) and P.remat_p not in prims(out)
    assert prims(optimize(program)).count(P.sin_p) == 1
    np.testing.assert_allclose(evaluate(out, X)[0], evaluate(program, X)[0])


def test_passes_keep_effectful_equations():
    def fun(x):
        debug_print("{}", x)
        debug_print("{}", x)           # identical: must not be merged
        debug_print("{}", 1.0)         # constant operands: must not be folded away
        return x * 1.0
    program = fl.make_ir(fun)(X)
    out = optimize(program)
    assert prims(out).count(P.debug_callback_p) == 3
    assert out.eqns[0].prim is P.debug_callback_p


def test_optimize_pipeline_on_a_gradient():
    fun = fl.grad(lambda x: fnp.sum(fnp.tanh(x) ** 2 * 1.0))
    program = fl.make_ir(fun)(X)
    out = optimize(program)
    assert len(out.eqns) < len(program.eqns)
    np.testing.assert_allclose(evaluate(out, X)[0], evaluate(program, X)[0], rtol=1e-6)


# ---- optimize preserves meaning ---------------------------------------------------------------

@given(case=elementwise_programs())
def test_optimize_preserves_random_programs(case):
    fun, xs = case
    program = fl.make_ir(fun)(*xs)
    out = optimize(program)
    with np.errstate(all="ignore"):
        assert_matches(evaluate(out, *xs), evaluate(program, *xs), approximate=False)


@given(data=st.data())
def test_optimize_preserves_transformed_functions(data):
    shape = data.draw(shapes(min_dims=1, max_dims=2, min_side=1))
    x = data.draw(arrays(np.dtype(np.float64), shape, -2, 2))
    c = np.float64(data.draw(st.floats(-2, 2)))

    def loss(x):
        return fnp.sum(fnp.tanh(x * c) * 1.0 + fnp.exp(-x) * 0.0 + fnp.sin(x) * fnp.sin(x))
    for fun in (loss, fl.grad(loss), fl.vmap(fl.grad(loss)), fl.jit(fl.grad(loss))):
        program = fl.make_ir(fun)(x)
        out = optimize(program)
        np.testing.assert_allclose(evaluate(out, x)[0], evaluate(program, x)[0],
                                   rtol=1e-12, atol=1e-12)


# ---- dot_general strength reduction --------------------------------------------------------

@st.composite
def vector_like_dots(draw):
    """A ``dot_general`` whose operands' axes are shuffled batch / contracting / free
    axes, where one side may have no free axes (matrix-vector) or there is no
    contraction (outer products): the two cases the rewrite takes."""
    n_batch, n_contract = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    n_free = [draw(st.integers(0, 2)), draw(st.integers(0, 2))]
    if n_contract:
        n_free[draw(st.integers(0, 1))] = 0
    batch = [draw(st.integers(1, 3)) for _ in range(n_batch)]
    contract = [draw(st.integers(0 if n_contract == 1 else 1, 4)) for _ in range(n_contract)]
    dtype = np.dtype(draw(st.sampled_from([np.float32, np.float64, np.int32])))
    operands, numbers = [], []
    for side in range(2):
        groups = ["b"] * n_batch + ["c"] * n_contract + ["f"] * n_free[side]
        order = draw(st.permutations(range(len(groups))))
        sizes = batch + contract + [draw(st.integers(1, 3)) for _ in range(n_free[side])]
        shape = tuple(sizes[i] for i in order)
        axes = {g: tuple(order.index(i) for i in range(len(groups)) if groups[i] == g)
                for g in "bc"}
        numbers.append(axes)
        operands.append(draw(arrays(dtype, shape, -3, 3)))
    dimension_numbers = ((numbers[0]["c"], numbers[1]["c"]), (numbers[0]["b"], numbers[1]["b"]))
    return operands, dimension_numbers


@settings(max_examples=25)
@given(case=vector_like_dots())
def test_dot_strength_reduction_matches_the_reference_and_compiles(case):
    (a, b), numbers = case
    program = fl.make_ir(lambda a, b: bind(P.dot_general_p, a, b, dimension_numbers=numbers,
                                           preferred_element_type=None))(a, b)
    out = dot_strength_reduction(program)
    typecheck(out)
    if not numbers[0][0]:                 # outer products always go, bit for bit
        assert P.dot_general_p not in prims(out)
    with np.errstate(all="ignore"):
        want = evaluate(program, a, b)
        exact = not numbers[0][0] or a.dtype.kind == "i"
        assert_matches(evaluate(out, a, b), want, approximate=not exact)
        assert_matches(CPU_BACKEND.compile(program)(a, b), want, approximate=not exact)


def test_matrix_vector_products_become_fused_row_reductions():
    """``vmap(grad(logistic loss))``: the matrix-vector product, the logistic and the
    per-example outer product run as one loop kernel, no BLAS call."""
    def loss(w, x, y):
        z = fnp.dot(x, w)
        return fl.nn.softplus(z) - y * z
    rng = np.random.default_rng(3)
    w = rng.standard_normal(7).astype(np.float32)
    xs = rng.standard_normal((5, 7)).astype(np.float32)
    ys = (rng.random(5) < 0.5).astype(np.float32)
    program = fl.make_ir(fl.vmap(fl.grad(loss), in_axes=(None, 0, 0)))(w, xs, ys)
    assert P.dot_general_p in prims(program)
    out = optimize(program)
    assert P.dot_general_p not in prims(out) and P.reduce_sum_p in prims(out)
    exe = CPU_BACKEND.compile(program)
    assert [s.kind for s in exe.steps] == ["kernel"]
    assert_matches(exe(w, xs, ys), evaluate(program, w, xs, ys), approximate=True)


def test_matrix_products_and_transposed_results_keep_their_dot_general():
    a, v = np.ones((3, 4), np.float32), np.ones(3, np.float32)
    kept = fl.make_ir(lambda a: a @ a.T)(a)
    assert P.dot_general_p in prims(dot_strength_reduction(kept))
    # a batched matrix-vector product whose result would need a transpose
    numbers = (((2,), (1,)), ((1,), (0,)))
    kept = fl.make_ir(lambda m, v: bind(P.dot_general_p, m, v, dimension_numbers=numbers,
                                        preferred_element_type=None))(
        np.ones((4, 3, 5), np.float32), np.ones((3, 5), np.float32))
    assert P.dot_general_p in prims(dot_strength_reduction(kept))
    # a large transposed matrix: BLAS reads it in place, a kernel would stride
    big = np.ones((300, 256), np.float32)
    kept = fl.make_ir(lambda m, v: m.T @ v)(big, np.ones(300, np.float32))
    assert P.dot_general_p in prims(dot_strength_reduction(kept))


@pytest.mark.parametrize("fun", [lambda a, v: v @ a, lambda a, v: a.T @ v,
                                 lambda a, v: fnp.dot(v, v)])
def test_vectors_with_unit_axes_are_matrix_vector_products(fun):
    rng = np.random.default_rng(5)
    a, v = rng.standard_normal((3, 4)), rng.standard_normal(3)
    program = fl.make_ir(fun)(a, v)
    out = optimize(program)
    assert P.dot_general_p not in prims(out)
    assert_matches(CPU_BACKEND.compile(program)(a, v), evaluate(program, a, v),
                   approximate=True)


# ---- fusion and buffer plans ------------------------------------------------------------------

def _check_partition(program, steps):
    """Every equation once; every step reads only values produced before it."""
    seen = [e for s in steps for e in s.eqns]
    assert sorted(map(id, seen)) == sorted(map(id, program.eqns))
    available = set(program.invars) | set(program.constvars)
    for step in steps:
        assert set(step.inputs) <= available
        inside = set()
        for eqn in step.eqns:
            assert all(a in available or a in inside for a in eqn.inputs
                       if not hasattr(a, "value"))
            inside.update(eqn.outputs)
        available |= inside


@given(case=elementwise_programs())
def test_partition_is_a_valid_schedule(case):
    fun, xs = case
    program = optimize(fl.make_ir(fun)(*xs))
    _check_partition(program, partition(program, fusible))


def test_partition_fuses_around_unfused_steps():
    def fun(a, b):
        h = fnp.exp(a) * 2.0          # region 1
        s = fl.lax.cumsum(h, axis=0)  # unfused (no loop lowering)
        return fnp.tanh(h) + 1.0, s * h   # tanh(h)+1 joins region 1; s*h needs a new one
    a = np.ones((3, 4), np.float32)
    program = optimize(fl.make_ir(fun)(a, a))
    steps = partition(program, fusible)
    _check_partition(program, steps)
    assert [s.fused for s in steps] == [True, False, True]
    assert P.tanh_p in [e.prim for e in steps[0].eqns]


def test_partition_fuses_row_reductions_with_their_epilogue():
    x = np.ones((8, 16), np.float32)
    program = optimize(fl.make_ir(
        lambda x: fnp.log(fnp.sum(fnp.exp(x - fnp.max(x, axis=1, keepdims=True)), axis=1)))(x))
    steps = partition(program, fusible)
    assert len(steps) == 1 and steps[0].fused


def test_buffer_plan_frees_after_last_use_and_reuses_dead_buffers():
    def fun(x, w):
        h = fnp.tanh(x @ w)
        return fnp.exp(h @ w) @ w
    x = np.ones((4, 4))
    program = optimize(fl.make_ir(fun)(x, x))
    steps = partition(program, fusible)
    plan = buffer_plan(program, steps, fresh=lambda s: True, accepts_buffers=lambda s: s.fused)
    h = steps[1].outputs[0]
    assert h in plan.frees[2] or any(h is d for _, d in plan.donations[3])
    assert plan.donations[3] and plan.donations[3][0][1] is h
    assert h in plan.frees[3]
    assert plan.peak_temp_bytes == 2 * x.nbytes
    none = buffer_plan(program, steps, fresh=lambda s: s.fused, accepts_buffers=lambda s: True)
    assert not any(none.donations)
