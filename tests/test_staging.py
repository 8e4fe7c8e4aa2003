"""make_ir, the interpreter stack, and the errors a user sees while tracing."""
import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import numpy as fnp
from transforms import core
from transforms.core import bind
from xla_like import primitives as P
from xla_like import evaluate, typecheck


def test_make_ir_pytrees_in_and_out():
    def f(params, x):
        return {"y": fnp.sin(x) * params["w"], "z": (x, None)}
    x = fnp.asarray(np.arange(3.0, dtype=np.float32))
    prog = fl.make_ir(f)({"w": x}, x)
    assert len(prog.invars) == 2 and len(prog.outvars) == 2
    out = evaluate(prog, np.ones(3, np.float32), np.arange(3, dtype=np.float32))
    np.testing.assert_allclose(out[0], np.sin(np.arange(3)))


def test_make_ir_static_argnums_and_argnames():
    def f(x, n, scale=1.0):
        for _ in range(n):
            x = x * scale
        return x
    prog = fl.make_ir(f, static_argnums=1, static_argnames="scale")(np.ones(2, np.float32), 3,
                                                                     scale=2.0)
    assert [e.prim for e in prog.eqns].count(P.mul_p) == 3
    assert evaluate(prog, np.ones(2, np.float32))[0].tolist() == [8.0, 8.0]


def test_make_ir_accepts_abstract_inputs_and_keeps_float64():
    aval = fl.numpy.asarray(np.zeros((2, 3))).aval
    prog = fl.make_ir(lambda x: x * 2.0)(aval)
    assert str(prog.out_avals[0]) == "f64[2,3]"


def test_closure_constants_and_literals():
    c = fnp.asarray(np.arange(4.0, dtype=np.float32))
    prog = fl.make_ir(lambda x: x * c + 1.5)(np.ones(4, np.float32))
    assert len(prog.constvars) == 1
    assert "1.5" in str(prog)
    typecheck(prog)


def test_bool_of_traced_value_names_argument_and_line():
    def f(x, y):
        z = y * 2.0
        if z > 0:  # the line the error must name
            return x
        return y
    with pytest.raises(fl.ConcretizationError) as info:
        fl.make_ir(f)(1.0, 2.0)
    msg = str(info.value)
    assert "'y'" in msg and "'x'" not in msg
    assert "test_staging.py" in msg and "static_argnums" in msg and "where" in msg


def test_pytree_argument_names_in_errors():
    def f(params):
        return int(params["b"][1])
    with pytest.raises(fl.ConcretizationError, match=r"params\['b'\]\[1\]"):
        fl.make_ir(f)({"a": 1.0, "b": (2.0, 3.0)})


@pytest.mark.parametrize("convert", [bool, int, float, lambda t: [0, 1][t], np.asarray])
def test_every_python_conversion_is_reported(convert):
    with pytest.raises(fl.ConcretizationError, match="argument 'x'"):
        fl.make_ir(lambda x: convert(x))(np.int32(1))


def test_stack_is_clean_after_exceptions():
    def bad(x):
        raise RuntimeError("boom")
    for fn in (bad, lambda x: bool(x), lambda x: fnp.add(x, np.ones(5))):
        with pytest.raises(Exception):
            fl.make_ir(fn)(np.ones(3, np.float32))
        assert core.current_interpreter() is None
    # eager still works afterwards
    assert (fnp.asarray(np.ones(2)) + 1).tolist() == [2.0, 2.0]


def test_nested_staging_restores_the_outer_interpreter():
    seen = []

    def outer(x):
        seen.append(core.current_interpreter())
        inner = fl.make_ir(lambda y: y + 1.0)(np.ones(2, np.float32))
        seen.append(core.current_interpreter())
        return x * 2.0, inner
    fl.make_ir(lambda x: outer(x)[0])(np.ones(2, np.float32))
    assert seen[0] is seen[1] and seen[0] is not None


def test_escaped_tracer_is_reported_where_used():
    leaked = []

    def f(x):
        y = x * 2.0
        leaked.append(y)
        return y
    fl.make_ir(f)(np.ones(3, np.float32))
    with pytest.raises(fl.EscapedTracerError, match="finished") as info:
        leaked[0] + 1.0
    assert "test_staging.py" in str(info.value)
    with pytest.raises(fl.EscapedTracerError):
        fl.make_ir(lambda z: z + leaked[0])(np.ones(3, np.float32))


def test_shape_errors_name_primitive_and_user_line():
    def f(x):
        return bind(P.add_p, x, fnp.asarray(np.ones(4, np.float32)))
    with pytest.raises(TypeError) as info:
        fl.make_ir(f)(np.ones(3, np.float32))
    msg = str(info.value)
    assert "add" in msg and "f32[3]" in msg and "f32[4]" in msg and "test_staging.py" in msg


def test_non_array_arguments_are_rejected_clearly():
    with pytest.raises(TypeError, match="argument 'cfg'.*static_argnums"):
        fl.make_ir(lambda x, cfg: x)(1.0, "relu")

