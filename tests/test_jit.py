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


@pytest.fixture
def restore_config():
    saved = {k: v for k, (v, _) in fl.config.options().items()}
    yield
    for k, v in saved.items():
        fl.config.update(k, v)


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
    assert any("traced" in r.getMessage() for r in caplog.records)


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
