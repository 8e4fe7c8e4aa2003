"""lax.cond / switch / while_loop / fori_loop / scan / map under every transform, against
Python-loop references on random inputs; reverse-mode while_loop against an unrolled
reference; the compiled loop steps; error messages."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import functorch_lite as fl
from functorch_lite import lax
from functorch_lite import numpy as fnp
from functorch_lite.test_util import check_grads
from transforms.errors import ConcretizationError
from xla_like import primitives as P
from xla_like.backends.cpu import CPU_BACKEND
from xla_like.reference import evaluate
from xla_like.typecheck import typecheck

F64 = np.float64


def vectors(n=3, lo=-1.5, hi=1.5):
    return st.lists(st.floats(lo, hi), min_size=n, max_size=n).map(
        lambda v: np.asarray(v, F64))


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ---- the constructs and their Python-loop references ---------------------------------------

def f_cond(x):
    return lax.cond(fnp.sum(x) > 0.0, lambda v: fnp.sin(v) * 2.0, lambda v: v * v * 0.5, x)


def ref_cond(x):
    return np.sin(x) * 2.0 if np.sum(x) > 0 else x * x * 0.5


def f_switch(x):
    i = fnp.floor(fnp.sum(x)).astype(np.int32)
    return lax.switch(i, [lambda v: v * 3.0, fnp.sin, lambda v: v * v], x)


def ref_switch(x):
    i = int(np.clip(np.floor(np.sum(x)), 0, 2))
    return [x * 3.0, np.sin(x), x * x][i]


def f_while(x):
    # trip count depends on the value: scale by 1.5 until the norm passes 4
    def body(c):
        return c[0] + 1, fnp.tanh(c[1]) + c[1] * 1.5
    return lax.while_loop(lambda c: (fnp.sum(c[1] * c[1]) < 4.0) & (c[0] < 8), body,
                          (0, x + 0.1))[1]


def ref_while(x):
    c, i = x + 0.1, 0
    while np.sum(c * c) < 4.0 and i < 8:
        c, i = np.tanh(c) + c * 1.5, i + 1
    return c


def f_fori(x):
    return lax.fori_loop(0, 4, lambda i, c: fnp.sin(c) * x + i, x)


def ref_fori(x):
    c = x
    for i in range(4):
        c = np.sin(c) * x + i
    return c


def f_scan(x):
    carry, ys = lax.scan(lambda c, xi: (c * fnp.cos(xi) + xi, c * xi), 1.0, x)
    return carry + fnp.sum(ys)


def ref_scan(x):
    c, ys = 1.0, []
    for xi in x:
        c, y = c * np.cos(xi) + xi, c * xi
        ys.append(y)
    return c + np.sum(ys)


def f_map(x):
    return lax.map(lambda v: fnp.exp(v) - v, x)


def ref_map(x):
    return np.exp(x) - x


CONSTRUCTS = {"cond": (f_cond, ref_cond), "switch": (f_switch, ref_switch),
              "while": (f_while, ref_while), "fori": (f_fori, ref_fori),
              "scan": (f_scan, ref_scan), "map": (f_map, ref_map)}
NAMES = sorted(CONSTRUCTS)
# while's trip count jumps where the norm crosses 4: finite differences need a margin
DIFFERENTIABLE = NAMES


def _loss(f):
    return lambda x: fnp.sum(f(x) * f(x))


def _numeric_grad(ref, x, eps=1e-6):
    loss = lambda v: np.sum(np.asarray(ref(v)) ** 2)   # noqa: E731
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (loss(x + e) - loss(x - e)) / (2 * eps)
    return g


def _stable(name, x):
    """Inputs away from the kinks of the piecewise functions (finite differences)."""
    if name == "cond":
        return abs(np.sum(x)) > 1e-3
    if name == "switch":
        s = np.sum(x)
        return abs(s - np.round(s)) > 1e-3
    if name == "while":
        c = x + 0.1
        for _ in range(9):
            if abs(np.sum(c * c) - 4.0) < 1e-2:
                return False
            c = np.tanh(c) + c * 1.5
    return True


@pytest.mark.parametrize("name", NAMES)
@given(x=vectors())
def test_eager_and_jit_match_python(name, x):
    f, ref = CONSTRUCTS[name]
    close(f(x), ref(x))
    close(fl.jit(f)(x), ref(x))


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=10)
@given(x=vectors())
def test_grad_and_jit_grad_match_finite_differences(name, x):
    f, ref = CONSTRUCTS[name]
    if not _stable(name, x):
        return
    want = _numeric_grad(ref, x)
    close(fl.grad(_loss(f))(x), want, 1e-5)
    close(fl.jit(fl.grad(_loss(f)))(x), want, 1e-5)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=5)
@given(xs=st.lists(vectors(), min_size=2, max_size=3).map(np.stack))
def test_vmap_matches_a_python_loop(name, xs):
    """Rows differ in their predicate / trip count: the batched-predicate paths."""
    f, ref = CONSTRUCTS[name]
    close(fl.vmap(f)(xs), np.stack([ref(x) for x in xs]))


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=5)
@given(xs=st.lists(vectors(), min_size=2, max_size=2).map(np.stack))
def test_vmap_of_grad_and_grad_of_vmap(name, xs):
    f, ref = CONSTRUCTS[name]
    if not all(_stable(name, x) for x in xs):
        return
    want = np.stack([_numeric_grad(ref, x) for x in xs])
    close(fl.vmap(fl.grad(_loss(f)))(xs), want, 1e-5)
    close(fl.grad(lambda xs: fnp.sum(fl.vmap(_loss(f))(xs)))(xs), want, 1e-5)


@pytest.mark.parametrize("name", ["cond", "switch", "while", "scan"])
def test_vmap_with_an_unbatched_predicate_keeps_one_construct(name):
    """The predicate depends only on an unbatched value: the batched program keeps the
    primitive (no select over branches, no masking)."""
    prim = {"cond": P.cond_p, "switch": P.cond_p, "while": P.while_p, "scan": P.scan_p}[name]
    f, ref = CONSTRUCTS[name]
    xs = np.random.default_rng(0).uniform(-1, 1, (3, 3))
    unbatched = {"cond": lambda p, x: lax.cond(p > 0.0, fnp.sin, fnp.cos, x),
                 "switch": lambda p, x: lax.switch(fnp.asarray(p > 0.0).astype(np.int32),
                                                   [fnp.sin, fnp.cos], x),
                 "while": lambda p, x: lax.while_loop(lambda c: c[0] < p,
                                                      lambda c: (c[0] + 1.0, c[1] * 1.1),
                                                      (0.0, x))[1],
                 "scan": lambda p, x: lax.scan(lambda c, xi: (c * p + xi, c), 0.0, x)[0]}[name]
    g = fl.vmap(unbatched, in_axes=(None, 0))
    for p in (2.0, -1.0):
        program = typecheck(fl.make_ir(g)(p, xs))
        assert prim in [e.prim for e in program.eqns]
        assert P.select_n_p not in [e.prim for e in program.eqns]
        close(g(p, xs), np.stack([np.asarray(unbatched(p, x)) for x in xs]))


@pytest.mark.parametrize("name", NAMES)
def test_programs_typecheck_after_every_transform(name):
    f, _ = CONSTRUCTS[name]
    x = np.array([0.3, -0.2, 0.9])
    xs = np.stack([x, -x * 2.0])
    for program in (fl.make_ir(f)(x), fl.make_ir(fl.grad(_loss(f)))(x),
                    fl.make_ir(fl.vmap(f))(xs), fl.make_ir(fl.vmap(fl.grad(_loss(f))))(xs)):
        typecheck(program)


@pytest.mark.parametrize("name", ["while", "fori", "scan", "cond"])
def test_check_grads_second_order(name):
    f, _ = CONSTRUCTS[name]
    check_grads(f, (np.array([0.3, -0.2, 0.4]),), order=2, modes=("fwd", "rev"))


# ---- reverse-mode while_loop against an unrolled reference -------------------------------

@settings(max_examples=10)
@given(x=vectors(2, 0.2, 1.2), n=st.integers(0, 5))
def test_reverse_mode_while_matches_the_unrolled_loop(x, n):
    def looped(x):
        return lax.while_loop(lambda c: c[0] < n,
                              lambda c: (c[0] + 1, fnp.sin(c[1]) * x + c[1]), (0, x))[1]

    def unrolled(x):
        c = x
        for _ in range(n):
            c = fnp.sin(c) * x + c
        return c
    for transform in (fl.grad, lambda g: fl.jit(fl.grad(g))):
        close(transform(lambda v: fnp.sum(looped(v)))(x),
              fl.grad(lambda v: fnp.sum(unrolled(v)))(x), 1e-10)


def test_reverse_mode_while_with_a_traced_trip_count_recomputes():
    """Under jit the trip count is traced: the transpose recomputes carries."""
    def f(x, n):
        return fnp.sum(lax.while_loop(lambda c: c[0] < n,
                                      lambda c: (c[0] + 1, c[1] * x), (0, x))[1])
    x = np.array([0.5, 1.5])
    for n in (0, 1, 4):
        close(fl.jit(fl.grad(f))(x, n), (n + 1) * x ** n)


def test_fori_loop_with_traced_bounds_is_a_while():
    f = lambda x, n: lax.fori_loop(0, n, lambda i, c: c * x, fnp.ones_like(x))  # noqa: E731
    program = fl.make_ir(f)(np.ones(2), 3)
    assert P.while_p in [e.prim for e in program.eqns]
    x = np.array([0.5, 2.0])
    close(fl.jit(f)(x, 3), x ** 3)
    close(fl.jit(fl.grad(lambda x, n: fnp.sum(f(x, n))))(x, 3), 3 * x ** 2)


# ---- pytrees, eager semantics, caching ----------------------------------------------------

def test_pytree_carries_and_operands():
    x = np.array([1.0, 2.0])

    def f(x):
        out = lax.cond(True, lambda d: {"a": d["a"] * 2.0, "b": d["b"]},
                       lambda d: d, {"a": x, "b": (x, 3)})
        carry, ys = lax.scan(lambda c, xi: ((c[0] + xi, c[1]), {"y": xi * c[1]}),
                             (0.0, 2.0), x)
        return out, carry, ys
    for g in (f, fl.jit(f)):
        out, carry, ys = g(x)
        close(out["a"], 2 * x)
        assert int(out["b"][1]) == 3
        close(carry[0], 3.0)
        close(ys["y"], 2 * x)


def test_eager_bodies_run_python_directly():
    seen = []
    lax.fori_loop(0, 3, lambda i, c: seen.append(type(c).__name__) or c + 1.0,
                  fnp.zeros(2))
    lax.cond(True, lambda: seen.append("taken"), lambda: seen.append("not taken"))
    assert seen == ["Array"] * 3 + ["taken"]


def test_restaging_reuses_the_same_programs():
    body = lambda c, x: (c * x, c)  # noqa: E731
    p1 = fl.make_ir(lambda x: lax.scan(body, 1.0, x))(np.ones(3))
    p2 = fl.make_ir(lambda x: lax.scan(body, 1.0, x))(np.ones(3))
    (e1,), (e2,) = [[e for e in p.eqns if e.prim is P.scan_p] for p in (p1, p2)]
    assert e1.params["body"] is e2.params["body"]


def test_scan_reverse_length_and_empty():
    x = np.arange(4.0)
    _, ys = lax.scan(lambda c, xi: (c + xi, c), 0.0, x, reverse=True)
    close(ys, [6.0, 5.0, 3.0, 0.0])
    _, ys = fl.jit(lambda x: lax.scan(lambda c, xi: (c + xi, c), 0.0, x, reverse=True))(x)
    close(ys, [6.0, 5.0, 3.0, 0.0])
    carry, ys = lax.scan(lambda c, _: (c * 2.0, c), 1.0, None, length=3)
    close(carry, 8.0)
    close(ys, [1.0, 2.0, 4.0])
    carry, ys = lax.scan(lambda c, xi: (c + xi, c * xi), 1.0, np.zeros((0, 2)))
    assert np.shape(ys) == (0, 2) and float(carry) == 1.0


def test_weak_scalar_carry_takes_the_body_type():
    x = np.ones(3, np.float32)
    for f in (lambda x: lax.fori_loop(0, 3, lambda i, c: c + fnp.sum(x), 0.0),
              lambda x: lax.fori_loop(0, 3, lambda i, c: c + fnp.sum(x), 0)):
        for g in (f, fl.jit(f)):
            out = g(x)
            assert out.dtype == np.float32
            close(out, 9.0)
    assert P.scan_p in [e.prim for e in fl.make_ir(f)(x).eqns]


# ---- compilation ---------------------------------------------------------------------------

def test_compiled_loops_run_their_bodies_natively():
    program = fl.make_ir(lambda x: lax.scan(lambda c, xi: (fnp.tanh(c * xi), c), x[0], x))(
        np.ones(5))
    executable = CPU_BACKEND.compile(program)
    kinds = {s.kind for s in executable.steps}
    assert "loop" in kinds and "reference" not in kinds
    x = np.linspace(0.1, 1.0, 5)
    for got, want in zip(executable(x), evaluate(program, x)):
        close(got, want, 1e-12)


# ---- errors --------------------------------------------------------------------------------

def test_branch_type_mismatch_shows_both_types():
    with pytest.raises(TypeError, match=r"f64\[3\].*f64\[2\]|f64\[2\].*f64\[3\]"):
        fl.jit(lambda x: lax.cond(x[0] > 0, lambda v: v, lambda v: v[:2], x))(np.ones(3))


def test_carry_type_mismatch_shows_both_types():
    with pytest.raises(TypeError, match=r"carry has types \(f64\[3\]\).*returns \(f64\[2\]\)"):
        fl.jit(lambda x: lax.while_loop(lambda c: True, lambda c: c[:2], x))(np.ones(3))
    with pytest.raises(TypeError, match=r"carry has types"):
        fl.jit(lambda x: lax.scan(lambda c, xi: (c.astype(np.int32), xi), x[0], x))(np.ones(3))


def test_cond_fun_must_return_a_bool_scalar():
    with pytest.raises(TypeError, match="bool scalar"):
        fl.jit(lambda x: lax.while_loop(lambda c: c, lambda c: c, x))(np.ones(3))


def test_python_if_on_a_traced_value_points_to_lax():
    def f(x):
        if x[0] > 0:
            return x
        return -x
    with pytest.raises(ConcretizationError, match="lax.cond or lax.while_loop"):
        fl.jit(f)(np.ones(3))


def test_primitive_errors_name_the_types():
    body = fl.make_ir(lambda c: c * 2.0)(np.ones(2))
    with pytest.raises(TypeError, match=r"scan: .*f64\[3\]"):
        P.scan_p.abstract_eval(fl.make_ir(lambda x: x)(np.ones(3)).in_avals[0],
                               body=body, length=1, reverse=False, num_consts=0, num_carry=1)


def test_nested_loops_differentiate_through_closed_over_values():
    """An outer body's closed-over value reaching an inner loop (the primal outputs of
    the inner JVP loop must not count as linear)."""
    x = np.array([0.3, -0.2, 0.4])

    def inner(c, x):
        return lax.while_loop(lambda d: d[0] < 2, lambda d: (d[0] + 1, d[1] * x), (0, c))[1]

    def f(x):
        return fnp.sum(lax.while_loop(lambda c: c[0] < 2,
                                      lambda c: (c[0] + 1, inner(c[1], x)),
                                      (0, fnp.ones_like(x)))[1])
    for g in (fl.grad(f), fl.jit(fl.grad(f))):
        close(g(x), 4 * x ** 3)


def test_checkpoint_inside_loop_bodies_under_grad():
    xs = np.linspace(0.1, 1.0, 5)

    def scanned(c0):
        def body(c, x):
            c = fl.checkpoint(lambda v: fnp.sin(v) * x)(c)
            return c, c
        c, ys = fl.lax.scan(body, c0, xs)
        return fnp.sum(ys) + c

    def looped(c0):
        return fl.lax.while_loop(lambda c: c[0] < 4, lambda c: (
            c[0] + 1, fl.checkpoint(lambda v: fnp.sin(v) * 1.5)(c[1])), (0, c0))[1]
    for f in (scanned, looped):
        check_grads(f, (np.float64(0.3),), order=1, modes=("fwd", "rev"))
        np.testing.assert_allclose(fl.jit(fl.grad(f))(np.float64(0.3)),
                                   fl.grad(f)(np.float64(0.3)), rtol=1e-12)
