"""Debugging inside jit: ``debug.print`` prints run-time values on every call, in
program order, under every transform; ``debug_nans`` names the primitive and the
user's line that produced a NaN."""
import contextlib
import inspect
import io
import os
import re

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import numpy as fnp
from xla_like import primitives as P


def printed(capsys):
    return capsys.readouterr().out.splitlines()


# ---- debug.print ---------------------------------------------------------------------

def test_eager_print_formats_real_values(capsys):
    x = fnp.asarray(np.array([1.0, 2.5], np.float32))
    fl.debug.print("x={x} total={t:.2f} n={}", 3, x=x, t=fnp.sum(x))
    assert printed(capsys) == ["x=[1.  2.5] total=3.50 n=3"]


@given(xs=st.lists(hnp.arrays(np.float64, 3, elements=st.floats(-5, 5)), min_size=2,
                   max_size=3))
def test_jit_prints_every_call_in_program_order(xs):
    trace_time = []

    @fl.jit
    def f(x):
        fl.debug.print("first {}", x)
        y = fnp.sin(x) * 2.0
        fl.debug.print("second {s:.3f}", s=fnp.sum(y))
        trace_time.append(1)
        return y
    lines = []
    for x in xs:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            f(x)
        lines.append(buf.getvalue().splitlines())
    assert len(trace_time) == 1                     # traced once, printed every call
    for x, out in zip(xs, lines):
        assert out == [f"first {x}", f"second {np.sum(np.sin(x) * 2.0):.3f}"]


def test_tracing_alone_does_not_print(capsys):
    def f(x):
        fl.debug.print("value {}", x)
        return x + 1.0
    program = fl.make_ir(f)(np.ones(2, np.float32))
    assert printed(capsys) == []
    assert [e.prim for e in program.eqns][0] is P.debug_callback_p
    assert P.debug_callback_p.effectful


def test_grad_prints_primal_values(capsys):
    def loss(x):
        fl.debug.print("x={}", x)
        return fnp.sum(x * x)
    x = np.array([1.0, -2.0])
    g = fl.grad(loss)(x)
    np.testing.assert_allclose(np.asarray(g), 2 * x)
    assert printed(capsys) == [f"x={x}"]
    fl.jit(fl.grad(loss))(x)
    fl.grad(fl.jit(loss))(x)
    assert printed(capsys) == [f"x={x}", f"x={x}"]


def test_vmap_prints_the_batch(capsys):
    def f(x, c):
        fl.debug.print("x={} c={} s={s:.1f}", x, c, s=fnp.sum(x))
        return x * c
    xs = np.arange(6.0).reshape(2, 3)
    c = np.float64(2.0)
    fl.vmap(f, in_axes=(1, None))(xs, c)
    expected = f"x={xs.T} c=2.0 s={'[' + ' '.join(f'{v:.1f}' for v in xs.sum(0)) + ']'}"
    assert "\n".join(printed(capsys)) == expected
    fl.vmap(fl.jit(f), in_axes=(1, None))(xs, c)
    fl.jit(fl.vmap(f, in_axes=(1, None)))(xs, c)
    assert "\n".join(printed(capsys)) == "\n".join([expected, expected])


def test_print_survives_unused_results_and_nested_jit(capsys):
    @fl.jit
    def inner(x):
        fl.debug.print("inner {}", x * 2.0)          # the product is used only here
        return x

    @fl.jit
    def outer(x):
        inner(x)                                   # result unused
        return x + 1.0
    outer(np.array([1.0]))
    outer(np.array([3.0]))
    assert printed(capsys) == ["inner [2.]", "inner [6.]"]


def test_print_rejects_a_non_string_format():
    with pytest.raises(TypeError, match="format must be a str"):
        fl.debug.print(fnp.ones(2))


# ---- debug_nans ----------------------------------------------------------------------

def _line_of(fn, text):
    lines, start = inspect.getsourcelines(fn)
    (offset,) = [i for i, line in enumerate(lines) if text in line]
    return start + offset


def _log_of_shifted(x):
    y = fnp.sin(x) - 2.0                       # always negative
    return fnp.log(y) * 2.0


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_debug_nans_names_primitive_and_line(restore_config):
    f = fl.jit(_log_of_shifted)
    assert np.isnan(np.asarray(f(np.ones(3)))).all()      # off by default: no error
    fl.config.update("debug_nans", True)
    with pytest.raises(FloatingPointError) as info:
        f(np.ones(3))
    message = str(info.value)
    line = _line_of(_log_of_shifted, "fnp.log(y)")
    assert f"'log' produced NaN at {__file__}:{line} (_log_of_shifted)" in message
    assert "jit(_log_of_shifted)" in message


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_debug_nans_rerun_does_not_print_again(restore_config, capsys):
    def f(x):
        fl.debug.print("x={}", x)
        return _log_of_shifted(x)
    fl.config.update("debug_nans", True)
    with pytest.raises(FloatingPointError):
        fl.jit(f)(np.ones(2))
    assert capsys.readouterr().out == "x=[1. 1.]\n"


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_debug_nans_descends_into_nested_programs(restore_config):
    fl.config.update("debug_nans", True)
    outer = fl.jit(lambda x: fl.checkpoint(fl.jit(_log_of_shifted))(x * 1.0) + 1.0)
    with pytest.raises(FloatingPointError, match=r"'log' produced NaN at .*"
                       + re.escape(os.path.basename(__file__))):
        outer(np.ones(2))
    loss = lambda x: fnp.sum(_log_of_shifted(x))               # noqa: E731
    with pytest.raises(FloatingPointError, match="'log'"):      # jit(value_and_grad(f))
        fl.jit(fl.value_and_grad(loss))(np.ones(2))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_debug_nans_ignores_nans_from_the_inputs(restore_config):
    fl.config.update("debug_nans", True)
    f = fl.jit(lambda x: fnp.sqrt(x) + 1.0)
    out = np.asarray(f(np.array([np.nan, 4.0])))
    assert np.isnan(out[0]) and out[1] == 3.0
    with pytest.raises(FloatingPointError, match="'sqrt'"):
        f(np.array([-1.0, 4.0]))
    np.testing.assert_allclose(np.asarray(f(np.array([1.0, 4.0]))), [2.0, 3.0])


def test_debug_nans_integer_and_clean_outputs(restore_config):
    fl.config.update("debug_nans", True)
    f = fl.jit(lambda x, n: (fnp.exp(x), n + 1))
    y, m = f(np.zeros(2, np.float32), np.int32(3))
    assert int(m) == 4 and np.asarray(y).tolist() == [1.0, 1.0]


def test_print_survives_the_optimization_passes():
    from xla_like.passes import optimize

    def f(x):
        fl.debug.print("a {}", fnp.cos(x))           # cos feeds only the print
        fl.debug.print("a {}", fnp.cos(x))           # identical: must not be merged
        return x * 1.0
    program = optimize(fl.make_ir(f)(np.ones(2)))
    prims = [e.prim for e in program.eqns]
    assert prims.count(P.debug_callback_p) == 2 and P.cos_p in prims
    text = fl.jit(f).lower(np.ones(2)).as_text()
    assert text.count("debug_callback") == 2


def test_print_without_traced_operands_runs_every_call(capsys):
    table = fnp.arange(2.0)

    @fl.jit
    def f(x):
        fl.debug.print("hello")                   # no operands at all
        fl.debug.print("table {}", table)         # a closed-over constant
        return x + 1.0
    f(np.ones(2))
    f(np.zeros(2))
    fl.vmap(f)(np.ones((3, 2)))
    assert printed(capsys) == ["hello", "table [0. 1.]"] * 3
