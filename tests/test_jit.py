"""jit: tracing once per signature, static arguments, retrace warnings, debugging
switches, and composition with grad and vmap in every order."""
import logging
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import numpy as fnp
from transforms import core
from xla_like import primitives as P


def f(x, y):
    return fnp.tanh(x) * y + fnp.sum(x * x)


@given(data=st.data())
def test_jit_matches_eager(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 3)))
    y = np.float64(data.draw(st.floats(-2, 2)))   # a Python float argument is weak f32
    np.testing.assert_allclose(np.asarray(fl.jit(f)(x, y)), np.asarray(f(x, y)))


def test_traces_once_per_signature():
    count = []

    @fl.jit
    def g(x):
        count.append(1)            # a Python side effect: runs only while tracing
        return x * 2.0
    g(np.ones(3, np.float32))
    g(np.zeros(3, np.float32))
    assert len(count) == 1
    g(np.ones(4, np.float32))      # new shape
    g(np.ones(3, np.float64))      # new dtype
    assert len(count) == 3 and g.trace_count == 3


def test_static_arguments_and_closures():
    scale = fnp.asarray(np.array([1.0, 2.0]))
    h = fl.jit(lambda x, n, mode="sum": (fnp.sum(x * scale) if mode == "sum" else x) * n,
               static_argnums=1, static_argnames="mode")
    assert float(h(np.ones(2), 3)) == 9.0
    np.testing.assert_allclose(np.asarray(h(np.ones(2), 2, mode="id")), [2.0, 2.0])
    prog = h.lower(np.ones(2), 3).program
    assert len(prog.constvars) == 1            # the closed-over array is a constant
    with pytest.raises(TypeError, match="hashable"):
        fl.jit(lambda x, cfg: x, static_argnums=1)(1.0, {"a": 1})


def test_traced_branch_error_names_argument():
    def bad(x, flag):
        return x if flag > 0 else -x
    with pytest.raises(fl.ConcretizationError, match="'flag'.*static_argnums"):
        fl.jit(bad)(1.0, 1.0)
    assert core.current_interpreter() is None
    assert float(fl.jit(bad, static_argnums=1)(2.0, 1.0)) == 2.0


def test_retrace_warning_names_what_changed(restore_config):
    fl.config.update("retrace_warning_limit", 2)
    g = fl.jit(lambda x: x + 1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in (1, 2, 3):
            g(np.ones(n, np.float32))
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert "traced 3 times" in messages[0] and "x: f32[2] -> f32[3]" in messages[0]


def test_disable_jit_and_log_compiles(restore_config, caplog):
    count = []

    def g(x):
        count.append(1)
        return x * 2.0
    fl.config.update("disable_jit", True)
    jg = fl.jit(g)
    jg(1.0)
    jg(1.0)
    assert len(count) == 2
    fl.config.update("disable_jit", False)
    fl.config.update("log_compiles", True)
    with caplog.at_level(logging.WARNING, logger="functorch_lite"):
        fl.jit(g)(1.0)
    messages = [r.getMessage() for r in caplog.records]
    assert any("jit(g): traced 1 equations" in m for m in messages)
    assert any("jit(g): compiled in" in m for m in messages)


def test_lower_shows_the_program():
    text = fl.jit(lambda x: fnp.sin(x) * 2.0).lower(np.ones(3, np.float32)).as_text()
    assert "sin" in text and "f32[3]" in text


def test_compositions_with_grad_and_vmap():
    x = np.array([0.3, -1.2, 0.8])
    loss = lambda v: fnp.sum(fnp.tanh(v) ** 2)
    expected = np.asarray(fl.grad(loss)(x))
    np.testing.assert_allclose(np.asarray(fl.jit(fl.grad(loss))(x)), expected)
    np.testing.assert_allclose(np.asarray(fl.grad(fl.jit(loss))(x)), expected)
    np.testing.assert_allclose(np.asarray(fl.jit(fl.jit(loss))(x)), np.asarray(loss(x)))
    xs = np.stack([x, 2 * x])
    per_row = np.stack([np.asarray(fl.grad(loss)(r)) for r in xs])
    np.testing.assert_allclose(np.asarray(fl.vmap(fl.jit(fl.grad(loss)))(xs)), per_row)
    np.testing.assert_allclose(np.asarray(fl.jit(fl.vmap(fl.grad(loss)))(xs)), per_row)
    prog = fl.make_ir(fl.vmap(fl.jit(loss)))(xs)
    assert [e.prim for e in prog.eqns] == [P.jit_p]      # vmap keeps one jit call
    w = 1.5
    g = fl.grad(lambda s: fl.jit(lambda v: fnp.sum(v * s))(x))(w)   # closes over a tracer
    assert np.isclose(float(g), x.sum())


def test_second_call_does_not_trace_pytrees_and_kwargs():
    count = []

    @fl.jit
    def g(params, x, scale=1.0):
        count.append(1)
        return {"y": params["w"] * x + params["b"], "s": fnp.sum(x) * scale}
    params = {"w": fnp.ones(3), "b": fnp.zeros(3)}
    for k in range(3):
        out = g(params, fnp.full(3, float(k)), scale=2.0)
        np.testing.assert_allclose(np.asarray(out["y"]), [k] * 3)
        assert float(out["s"]) == 6.0 * k
    assert len(count) == 1
    g(params, fnp.ones(3))                     # a missing kwarg is another structure
    assert len(count) == 2


@given(data=st.data())
def test_repeated_calls_match_eager(data):
    """The first call traces, later calls take the fast path: both agree with eager."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    g = fl.jit(lambda a, b: (fnp.tanh(a) * b - a, fnp.max(b)))
    for _ in range(3):
        a, b = (fnp.asarray(data.draw(hnp.arrays(dtype, shape, elements=st.floats(-3, 3))))
                for _ in range(2))
        for got, want in zip(g(a, b), (fnp.tanh(a) * b - a, fnp.max(b))):
            assert got.dtype == want.dtype and got.shape == want.shape
            # compiled float32 tanh is within a few ulps of NumPy's; a - tanh(a)*b cancels
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5,
                                       atol=1e-5)
    assert g.trace_count == 1


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_config_switches_apply_after_the_fast_path_is_warm(restore_config):
    count = []

    def g(x):
        count.append(1)
        return fnp.log(x)
    jg = fl.jit(g)
    x = fnp.ones(2)
    jg(x)
    jg(x)
    fl.config.update("disable_jit", True)
    jg(x)
    assert len(count) == 2                      # ran eagerly: the body ran again
    fl.config.update("disable_jit", False)
    fl.config.update("debug_nans", True)
    with pytest.raises(FloatingPointError, match="'log'"):
        jg(fnp.full(2, -1.0))


# ---- donation ---------------------------------------------------------------------------

def test_donated_arrays_are_deleted():
    step = fl.jit(lambda p, g: {k: p[k] - 0.1 * g[k] for k in p}, donate_argnums=0)
    params = {"w": fnp.ones(3), "b": fnp.zeros(2)}
    grads = {"w": fnp.ones(3), "b": fnp.ones(2)}
    new = step(params, grads)
    np.testing.assert_allclose(np.asarray(new["w"]), [0.9] * 3)
    assert params["w"].is_deleted() and params["b"].is_deleted()
    assert not grads["w"].is_deleted()
    with pytest.raises(RuntimeError, match=r"Array was donated to jit\(<lambda>\) and deleted"):
        params["w"] + 1.0
    with pytest.raises(RuntimeError, match="donated"):
        np.asarray(params["b"])
    with pytest.raises(RuntimeError, match="donated"):
        step(params, grads)
    assert "deleted" in repr(params["w"])
    new = step(new, grads)                        # the outputs can be donated in turn
    np.testing.assert_allclose(np.asarray(new["w"]), [0.8] * 3)


def test_donation_edge_cases():
    ident = fl.jit(lambda x, y: (x, x * y), donate_argnums=0)
    x = fnp.arange(3.0)
    same, prod = ident(x, x)           # returned unchanged, and also passed undonated
    np.testing.assert_allclose(np.asarray(same), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(np.asarray(prod), [0.0, 1.0, 4.0])
    assert x.is_deleted()
    host = np.ones(3)
    ident(host, 2.0)                   # NumPy input and Python scalar: nothing to delete
    ident(1.5, 2.0)
    assert host.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="both static and donated"):
        fl.jit(lambda x, n: x, static_argnums=1, donate_argnums=1)
    with pytest.raises(ValueError, match="non-negative"):
        fl.jit(lambda x: x, donate_argnums=-1)


def test_donation_under_transforms_and_failed_calls():
    f = fl.jit(lambda x: fnp.sum(x * x), donate_argnums=0)
    x = fnp.arange(3.0)
    np.testing.assert_allclose(np.asarray(fl.grad(f)(x)), [0.0, 2.0, 4.0])
    assert not x.is_deleted()          # inside grad the call is traced: nothing donated
    bad = fl.jit(lambda x: x if x > 0 else -x, donate_argnums=0)
    with pytest.raises(fl.ConcretizationError):
        bad(x)
    assert not x.is_deleted()          # a call that fails consumes nothing
    f(x)
    assert x.is_deleted()


# ---- ahead-of-time lowering and compilation ----------------------------------------------

def test_lower_and_compile():
    def g(x, n):
        return fnp.exp(x) * n + fnp.sum(x)
    jg = fl.jit(g, static_argnums=1)
    x = np.linspace(-1, 1, 5).astype(np.float32)
    lowered = jg.lower(x, 3)
    assert "exp" in lowered.as_text() and "f32[5]" in lowered.as_text()
    compiled = lowered.compile()
    np.testing.assert_allclose(np.asarray(compiled(x, 3)), np.asarray(g(x, 3)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(compiled(2 * x, 3)), np.asarray(g(2 * x, 3)),
                               rtol=1e-6)
    with pytest.raises(TypeError, match=r"x: f32\[5\] -> f32\[4\]"):
        compiled(x[:4], 3)
    with pytest.raises(TypeError, match="static arguments changed"):
        compiled(x, 4)
    with pytest.raises(TypeError, match="concrete"):
        fl.grad(lambda v: fnp.sum(compiled(v, 3)))(x)
    assert "define" in compiled.as_text()               # LLVM IR of the kernels
    cost = compiled.cost_analysis()
    assert cost["transcendentals"] == 5 and cost["flops"] >= 5 + 5 + 4
    assert cost["bytes_read"] >= 20 and cost["bytes_written"] >= 20
    memory = compiled.memory_analysis()
    assert memory["argument_bytes"] == 20 and memory["output_bytes"] == 20
    assert memory["temp_bytes"] >= 0


def test_lowered_text_is_the_optimized_program():
    def g(x):
        unused = fnp.cos(x)                       # dead: removed by the passes  # noqa: F841
        return fnp.sin(x) * 1.0 + fnp.sin(x)      # x*1 simplified, sin computed once
    lowered = fl.jit(g).lower(np.ones(3, np.float32))
    staged = [e.prim for e in lowered.program.eqns]
    assert P.cos_p in staged and staged.count(P.sin_p) == 2
    text = lowered.as_text()
    assert "cos" not in text and text.count("sin") == 1 and "mul" not in text


@given(xs=hnp.arrays(np.float64, (3, 4), elements=st.floats(-2, 2)))
def test_compositions_match_the_unjitted_function(xs):
    def loss(v, w):
        return fnp.sum(fnp.tanh(v * w) ** 2) + fnp.max(v)
    w = xs[0] + 0.5
    per_row = fl.vmap(fl.grad(loss), in_axes=(0, None))
    expected = np.stack([np.asarray(fl.grad(loss)(r, w)) for r in xs])
    for f in (fl.jit(per_row), fl.vmap(fl.jit(fl.grad(loss)), in_axes=(0, None)),
              fl.vmap(fl.grad(fl.jit(loss)), in_axes=(0, None)), fl.jit(fl.jit(per_row))):
        np.testing.assert_allclose(np.asarray(f(xs, w)), expected, rtol=1e-10, atol=1e-12)
    hess = fl.jit(fl.jacfwd(fl.grad(fl.jit(loss))))(xs[1], w)
    np.testing.assert_allclose(np.asarray(hess), np.asarray(fl.hessian(loss)(xs[1], w)),
                               rtol=1e-9, atol=1e-12)
