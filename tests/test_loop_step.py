"""The compiled ``loop`` step (xla_like/backends/loop_step.py) against the reference
interpreter on random inputs: scans with several carries and outputs of mixed dtypes,
forward and reverse, of length 0, 1 and more; carries passed through unchanged (never
overwritten by later buffer reuse); int and bool carries; literal body outputs; cond
inside scan; while loops; accumulators summed after the loop (scan_motion.py)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import functorch_lite as fl
from functorch_lite import lax
from functorch_lite import numpy as fnp
from xla_like import primitives as P
from xla_like.backends.cpu import CPU_BACKEND, CpuBackend
from xla_like.backends.loop_step import conforming_outputs
from xla_like.backends.scan_motion import hoist_products, sink_accumulators
from xla_like.reference import evaluate
from xla_like.typecheck import typecheck

SEEDS = st.integers(0, 2**32 - 1)


def assert_matches_reference(program, args):
    """Compiled results equal the reference interpreter's: same dtype and shape, exact
    for integers and bools, close for floats; the inputs are left untouched."""
    before = [np.array(a, copy=True) for a in args]
    got = CPU_BACKEND.compile(program)(*args)
    want = evaluate(program, *args)
    assert len(got) == len(want)
    for g, w, v in zip(got, want, program.outvars):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == v.aval.dtype and g.shape == v.aval.shape
        if np.issubdtype(g.dtype, np.inexact):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6)
        else:
            np.testing.assert_array_equal(g, w)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)
    return got


def _mixed_body(c, x):
    """Carries: f32 vector, int32 counter, bool flag, f64 vector passed through."""
    v, k, flag, keep = c
    xv, n = x
    v_new = fnp.tanh(v * xv + fnp.sin(keep).astype(np.float32))
    k_new = k + n
    flag_new = fnp.logical_xor(flag, n > 0)
    return (v_new, k_new, flag_new, keep), (v_new * 2.0, k_new * 3, flag_new, keep)


def _mixed_args(seed, length):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(3).astype(np.float32), np.int32(rng.integers(-5, 5)),
            np.bool_(rng.random() < 0.5), rng.standard_normal(3),
            rng.standard_normal((length, 3)).astype(np.float32),
            rng.integers(-3, 4, length).astype(np.int32))


@pytest.mark.parametrize("length", [0, 1, 6])
@pytest.mark.parametrize("reverse", [False, True])
@given(seed=SEEDS)
def test_scan_with_mixed_carries_and_outputs(reverse, length, seed):
    args = _mixed_args(seed, length)

    def f(v, k, flag, keep, xs, ns):
        return lax.scan(_mixed_body, (v, k, flag, keep), (xs, ns), reverse=reverse)
    program = fl.make_ir(f)(*args)
    assert P.scan_p in [e.prim for e in program.eqns]
    assert_matches_reference(program, args)


@given(seed=SEEDS)
def test_passed_through_carry_survives_buffer_reuse(seed):
    """A carry returned unchanged aliases the loop's operand; the outer program then
    computes more values of its shape, which reuse dead buffers: none may be it."""
    x = np.random.default_rng(seed).standard_normal((4, 5)).astype(np.float32)

    def f(x):
        y = fnp.exp(x) * 0.5                  # a fresh kernel buffer, then a carry
        (same, moved), ys = lax.scan(lambda c, xi: ((c[0], c[1] * xi + 1.0), c[0] + xi),
                                     (y, x), x)
        z = fnp.tanh(moved) + 1.0             # later kernels of the same shape
        w = fnp.sin(z) * z
        return same, w, ys, same + w
    program = fl.make_ir(f)(x)
    same, w, _, total = assert_matches_reference(program, (x,))
    np.testing.assert_allclose(same, np.exp(x) * 0.5, rtol=1e-6)
    np.testing.assert_allclose(total, same + w, rtol=1e-6)


@given(seed=SEEDS)
def test_cond_inside_scan(seed):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((7, 3))
    init = (np.float64(0.0), np.int32(0))

    def body(c, x):
        total, count = c
        up = fnp.sum(x) > 0.0
        total, count = lax.cond(up, lambda t, n: (t + fnp.sum(fnp.exp(x)), n + 1),
                                lambda t, n: (t - fnp.max(x), n), total, count)
        return (total, count), fnp.where(up, x, -x)
    program = fl.make_ir(lambda t, n, xs: lax.scan(body, (t, n), xs))(*init, xs)
    assert_matches_reference(program, (*init, xs))


@given(seed=SEEDS)
def test_while_with_literal_and_passed_through_carries(seed):
    x = np.random.default_rng(seed).standard_normal(3).astype(np.float32)

    def f(x):
        return lax.while_loop(lambda c: (c[0] < 4) & fnp.logical_not(c[4]),
                              lambda c: (c[0] + 1, c[1] * 1.5, np.float32(1.5), c[3],
                                         fnp.sum(c[1]) > 50.0),
                              (0, x, np.float32(0.0), x, False))
    program = fl.make_ir(f)(x)
    assert_matches_reference(program, (x,))
    (loop,) = [e for e in program.eqns if e.prim is P.while_p]
    body = CPU_BACKEND.compile(loop.params["body_program"])
    flags = conforming_outputs(body)
    # the literal 1.5 is converted per iteration; the passed-through carry is not
    assert flags[2] is False and flags[3] is True


def test_scan_over_vectors_gives_the_body_0d_slices():
    """1-D xs slice to 0-d arrays (not NumPy scalars); a scan of length 1 works too."""
    for length in (1, 9):
        xs = np.linspace(-1.0, 1.0, length).astype(np.float32)
        program = fl.make_ir(lambda xs: lax.scan(lambda c, x: (c * x + 1.0, c), 0.5, xs))(xs)
        assert_matches_reference(program, (xs,))


def test_sub_programs_compile_with_the_step(monkeypatch):
    """Compiling the enclosing program compiles every branch and loop body, before any
    run (so compile time includes them and does not depend on the trip count)."""
    x = np.ones(3)
    program = fl.make_ir(lambda x: lax.fori_loop(
        0, 3, lambda i, c: lax.cond(i > 1, fnp.sin, fnp.cos, c), x))(x)
    compiled, real = [], CPU_BACKEND.compile
    monkeypatch.setattr(CPU_BACKEND, "compile", lambda p: compiled.append(p) or real(p))
    CpuBackend().compile(program)
    prims = [{e.prim for e in p.eqns} for p in compiled]
    assert any(P.cond_p in s for s in prims)
    assert any(P.sin_p in s for s in prims) and any(P.cos_p in s for s in prims)


# ---- accumulators summed after the loop (scan_motion.py) -----------------------------------

def _scan_eqn(program):
    (eqn,) = [e for e in program.eqns if e.prim is P.scan_p]
    return eqn


def _sunk(program):
    eqn = _scan_eqn(program)
    p = eqn.params
    return sink_accumulators(p["body"], p["num_consts"], p["num_carry"], p["length"])


def _accumulating(reverse):
    def f(w, acc_m, acc_v, h0, xs):
        def body(c, x):
            h, am, av = c
            h_new = fnp.tanh(h @ w + x)
            # x is a slice of xs, h_new computed: both kinds of stacked operand
            return (h_new, am + fnp.tensordot(x, h_new, axes=([0], [0])),
                    fnp.sum(h_new, axis=0) + av), h_new[0]
        return lax.scan(body, (h0, acc_m, acc_v), xs, reverse=reverse)
    return f


@pytest.mark.parametrize("reverse", [False, True])
@given(seed=SEEDS)
def test_sunk_accumulators_match_the_loop(reverse, seed):
    rng = np.random.default_rng(seed)
    args = (rng.standard_normal((4, 4)) * 0.5, rng.standard_normal((4, 4)),
            rng.standard_normal(4), rng.standard_normal((3, 4)), rng.standard_normal((6, 3, 4)))
    program = fl.make_ir(_accumulating(reverse))(*args)
    sunk = _sunk(program)
    assert sunk is not None and sunk.accumulators == (1, 2)
    assert sorted(where for where, _ in sunk.operands) == ["stacked", "xs"]
    typecheck(sunk.body)
    typecheck(sunk.finish)
    assert_matches_reference(program, args)


def test_accumulators_that_are_read_are_not_sunk():
    """A carry read by anything but its own add (here the y output) stays in the loop;
    so does a scan of length 1."""
    def f(acc, xs):
        return lax.scan(lambda a, x: (a + x.T @ x, a), acc, xs)
    for length in (1, 5):
        args = (np.zeros((2, 2)), np.random.default_rng(length).standard_normal((length, 3, 2)))
        program = fl.make_ir(f)(*args)
        assert _sunk(program) is None
        assert_matches_reference(program, args)


@given(seed=SEEDS)
def test_reverse_mode_rnn_compiled_matches_reference(seed):
    """``grad`` of a scan RNN: the reverse scan accumulates the weights' cotangents."""
    rng = np.random.default_rng(seed)
    params = (rng.standard_normal((5, 5)) * 0.4, rng.standard_normal((5, 5)) * 0.4,
              rng.standard_normal(5))
    xs, h0 = rng.standard_normal((7, 2, 5)), np.zeros((2, 5))

    def loss(params, xs, h0):
        w, u, b = params
        _, hs = lax.scan(lambda h, x: (fnp.tanh(h @ w + x @ u + b),) * 2, h0, xs)
        return fnp.mean(hs)
    program = fl.make_ir(fl.grad(loss))(params, xs, h0)
    optimized = CPU_BACKEND.compile(program).program
    (reverse,) = [e for e in optimized.eqns if e.prim is P.scan_p and e.params["reverse"]]
    p = reverse.params
    sunk = sink_accumulators(p["body"], p["num_consts"], p["num_carry"], p["length"])
    assert sunk is not None and len(sunk.accumulators) == 3      # W, U and b
    assert_matches_reference(program, (*params, xs, h0))


# ---- products of x slices by constants computed before the loop (scan_motion.py) ----------

@pytest.mark.parametrize("reverse", [False, True])
@given(seed=SEEDS)
def test_hoisted_products_match_the_loop(reverse, seed):
    """``x @ u`` is hoisted (x a slice of xs, u a constant); ``u @ x.T`` (x on the
    right) stays in the loop."""
    rng = np.random.default_rng(seed)
    args = (rng.standard_normal((4, 4)) * 0.5, rng.standard_normal((4, 4)),
            rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 4)))

    def f(w, u, h0, xs):
        def body(h, x):
            h_new = fnp.tanh(h @ w + x @ u)
            return h_new, fnp.sum(u @ x.T) + h_new
        return lax.scan(body, h0, xs, reverse=reverse)
    program = fl.make_ir(f)(*args)
    p = _scan_eqn(program).params
    hoisted = hoist_products(p["body"], p["num_consts"], p["num_carry"], p["length"])
    assert hoisted is not None and len(hoisted.prelude.eqns) == 1
    assert len(hoisted.body.eqns) == len(p["body"].eqns) - 1
    typecheck(hoisted.prelude)
    typecheck(hoisted.body)
    assert_matches_reference(program, args)


def test_nothing_is_hoisted_from_a_single_iteration():
    args = (np.ones((2, 2)), np.ones((1, 3, 2)))
    program = fl.make_ir(lambda u, xs: lax.scan(lambda c, x: (c, x @ u), 0.0, xs))(*args)
    p = _scan_eqn(program).params
    assert hoist_products(p["body"], p["num_consts"], p["num_carry"], 1) is None
    assert hoist_products(p["body"], p["num_consts"], p["num_carry"], 2) is not None
    assert_matches_reference(program, args)


# ---- the native loop (native_loop.py) ---------------------------------------------------

def _native_loops_built(monkeypatch):
    """Record what native_loop.build returns while compiling."""
    from xla_like.backends import native_loop
    built, original = [], native_loop.build

    def build(*args):
        runner = original(*args)
        built.append(runner)
        return runner
    monkeypatch.setattr(native_loop, "build", build)
    return built


def _matmul_scan(dtype, reverse, swap):
    """A body of plain products and fused kernels: h1 = tanh(h0 @ w + x + b), carries
    (h1, h0) swapped or (h1, c) with c passed through, and ys (h1, h0 * 2)."""
    def f(w, b, h0, c, xs):
        def step(carry, x):
            h, other = carry
            h1 = fnp.tanh(h @ w + x + b)
            new = (h1, h) if swap else (h1, other)
            return new, (h1, h * 2.0)
        return lax.scan(step, (h0, c), xs, reverse=reverse)
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(s).astype(dtype) * 0.5
            for s in [(6, 6), (6,), (3, 6), (3, 6), (5, 3, 6)]]
    return f, args


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("swap", [False, True])
def test_native_loop_matches_the_reference(monkeypatch, dtype, reverse, swap):
    built = _native_loops_built(monkeypatch)
    f, args = _matmul_scan(dtype, reverse, swap)
    program = fl.make_ir(f)(*args)
    CpuBackend().compile(program)
    assert any(b is not None for b in built), "the body should run as a native loop"
    got = assert_matches_reference(program, args)
    again = CPU_BACKEND.compile(program)(*args)        # xs windows were put back
    for g, a in zip(got, again):
        np.testing.assert_array_equal(g, a)


def test_native_loop_under_jit_grad_and_vmap(monkeypatch):
    built = _native_loops_built(monkeypatch)
    f, args = _matmul_scan(np.float64, False, True)

    def loss(w, b, h0, c, xs):
        (h, other), (ys, zs) = f(w, b, h0, c, xs)
        return fnp.sum(h) + fnp.sum(ys * zs)
    grads = fl.jit(fl.grad(loss, argnums=(0, 1)))(*args)
    want = fl.grad(loss, argnums=(0, 1))(*args)
    for g, w in zip(grads, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert built and all(b is not None for b in built), "forward and backward bodies"
    batched = fl.jit(fl.vmap(loss, in_axes=(None, None, None, None, 0)))(
        *args[:4], np.stack([args[4], -args[4]]))
    np.testing.assert_allclose(batched, [loss(*args[:4], args[4]),
                                         loss(*args[:4], -args[4])], rtol=1e-10)
    assert any(b is not None for b in built)


def test_native_loop_is_not_built_for_other_steps(monkeypatch):
    built = _native_loops_built(monkeypatch)

    def f(xs):      # a sort inside the body: a standalone kernel, not covered
        return lax.scan(lambda c, x: (c + fnp.sort(x), c), fnp.zeros(4, fnp.float64), xs)
    xs = np.random.default_rng(1).standard_normal((3, 4))
    assert_matches_reference(fl.make_ir(f)(xs), [xs])
    assert built and all(b is None for b in built)


def test_native_loop_with_transposed_products(monkeypatch):
    built = _native_loops_built(monkeypatch)

    def f(m, h0, xs):
        def step(h, x):         # contracting the lhs's first or the rhs's last axis
            hm = lax.dot_general(h, m, (((0,), (0,)), ((), ())))
            xm = lax.dot_general(x, m, (((1,), (1,)), ((), ())))
            h1 = fnp.tanh(hm + xm)
            return h1, h1
        return lax.scan(step, h0, xs)
    rng = np.random.default_rng(2)
    args = [rng.standard_normal(s) * 0.5 for s in [(5, 5), (5, 5), (4, 5, 5)]]
    assert_matches_reference(fl.make_ir(f)(*args), args)
    assert built and all(b is not None for b in built)
