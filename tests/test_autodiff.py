"""Differentiation API and elementwise derivative rules."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
from functorch_lite import numpy as fnp
from functorch_lite.test_util import check_grads
from transforms import core
from transforms.linearize import transpose_rules
from transforms.jvp import jvp_rules
from xla_like import primitives as P
from xla_like import typecheck

# (function, domain low, domain high) for unary elementwise functions, in float64
UNARY = {
    "exp": (fnp.exp, -2, 2), "exp2": (fnp.exp2, -2, 2), "log": (fnp.log, 0.2, 3),
    "log1p": (fnp.log1p, -0.5, 2), "expm1": (fnp.expm1, -2, 2), "sin": (fnp.sin, -3, 3),
    "cos": (fnp.cos, -3, 3), "tan": (fnp.tan, -1.2, 1.2), "arcsin": (fnp.arcsin, -0.9, 0.9),
    "arccos": (fnp.arccos, -0.9, 0.9), "arctan": (fnp.arctan, -3, 3),
    "sinh": (fnp.sinh, -2, 2), "cosh": (fnp.cosh, -2, 2), "tanh": (fnp.tanh, -2, 2),
    "arcsinh": (fnp.arcsinh, -2, 2), "arccosh": (fnp.arccosh, 1.2, 3),
    "arctanh": (fnp.arctanh, -0.9, 0.9), "sqrt": (fnp.sqrt, 0.2, 3),
    "cbrt": (fnp.cbrt, 0.2, 3), "abs": (fnp.absolute, 0.1, 3),
    "negative": (fnp.negative, -3, 3),
}
LAX_UNARY = {
    P.logistic_p: (-3, 3), P.rsqrt_p: (0.2, 3), P.erf_p: (-2, 2), P.erfc_p: (-2, 2),
    P.erf_inv_p: (-0.9, 0.9), P.lgamma_p: (0.5, 4),
}
BINARY = {
    "add": (fnp.add, (-3, 3), (-3, 3)), "subtract": (fnp.subtract, (-3, 3), (-3, 3)),
    "multiply": (fnp.multiply, (-3, 3), (-3, 3)), "divide": (fnp.divide, (-3, 3), (0.5, 3)),
    "power": (fnp.power, (0.5, 2), (-2, 2)), "arctan2": (fnp.arctan2, (-3, 3), (0.5, 3)),
    "maximum": (fnp.maximum, (-3, 3), (-3, 3)), "minimum": (fnp.minimum, (-3, 3), (-3, 3)),
}


def _floats(shape, lo, hi):
    return hnp.arrays(np.float64, shape, elements=st.floats(lo, hi))


shapes = hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_numpy_functions_second_order(name, data):
    f, lo, hi = UNARY[name]
    x = data.draw(_floats(data.draw(shapes), lo, hi))
    check_grads(f, (x,), order=2)


@pytest.mark.parametrize("prim", sorted(LAX_UNARY, key=lambda p: p.name), ids=lambda p: p.name)
@given(data=st.data())
def test_unary_primitives_second_order(prim, data):
    lo, hi = LAX_UNARY[prim]
    x = data.draw(_floats(data.draw(shapes), lo, hi))
    order = 1 if prim is P.lgamma_p else 2    # lgamma'' needs trigamma (not a primitive)
    check_grads(lambda v: core.bind(prim, fnp.asarray(v)), (x,), order=order)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_functions_second_order(name, data):
    f, (lo1, hi1), (lo2, hi2) = BINARY[name]
    shape = data.draw(shapes)
    x, y = data.draw(_floats(shape, lo1, hi1)), data.draw(_floats(shape, lo2, hi2))
    if name in ("maximum", "minimum"):
        y = y + 0.01 + np.abs(x - y).min(initial=0) * 0  # ties have a balanced subgradient
        y = np.where(np.abs(x - y) < 1e-2, y + 0.1, y)
    check_grads(f, (x, y), order=2)


def test_integer_pow_and_clamp_and_select():
    x = np.array([-1.5, 0.3, 2.0])
    for y in (0, 1, 2, 3, -2):
        check_grads(lambda v: core.bind(P.integer_pow_p, fnp.asarray(v), y=y), (x,), order=2)
    lo, hi = fnp.asarray(-1.0, dtype="float64"), fnp.asarray(1.0, dtype="float64")
    check_grads(lambda v: core.bind(P.clamp_p, lo, fnp.asarray(v), hi), (x,), order=1)
    pred = fnp.asarray(np.array([True, False, True]))
    check_grads(lambda a, b: core.bind(P.select_n_p, pred, fnp.asarray(a), fnp.asarray(b)),
                (x, x * 2), order=2)


def test_max_tie_gets_half_gradient():
    assert float(fl.grad(lambda x: fnp.maximum(x, 1.0))(1.0)) == 0.5


def test_perturbation_confusion_is_avoided():
    assert float(fl.grad(lambda x: fl.grad(lambda y: x * y)(2.0))(3.0)) == 1.0
    f = lambda x: x * fl.grad(lambda y: x + y)(1.0)       # inner grad is 1 for every x
    assert float(fl.grad(f)(5.0)) == 1.0


def test_grad_of_pytree_and_argnums_and_aux():
    def loss(params, x):
        return fnp.sum(fnp.tanh(x * params["w"]) + params["b"][0]), {"n": 1}
    params = {"w": np.array([0.5, -0.3]), "b": (np.array(0.1),)}
    x = np.array([1.0, 2.0])
    (g, aux) = fl.grad(loss, has_aux=True)(params, x)
    assert set(g) == {"w", "b"} and aux == {"n": 1}
    np.testing.assert_allclose(np.asarray(g["w"]), x * (1 - np.tanh(x * params["w"]) ** 2))
    np.testing.assert_allclose(np.asarray(g["b"][0]), 2.0)
    gw, gx = fl.grad(lambda p, x: loss(p, x)[0], argnums=(0, 1))(params, x)
    assert np.asarray(gx).shape == (2,)


def test_grad_requires_scalar_float_output():
    with pytest.raises(TypeError, match="scalar"):
        fl.grad(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(ValueError, match="argnums"):
        fl.grad(lambda x: x, argnums=3)(1.0)


def test_integer_inputs_get_float0_zeros():
    g = fl.grad(lambda x, n: fnp.sin(x) * n, argnums=(0, 1))(1.0, np.int32(3))
    assert g[1].dtype == fl.float0 and g[1].shape == ()
    _, t = fl.jvp(lambda n: n * 2, (np.int32(3),), (np.zeros((), fl.float0),))
    assert t.dtype == fl.float0


def test_make_ir_of_grad_is_one_program():
    prog = fl.make_ir(fl.grad(lambda x: fnp.sin(x) * x))(np.float32(1.0))
    typecheck(prog)
    names = [e.prim.name for e in prog.eqns]
    assert "sin" in names and "cos" in names and len(prog.constvars) == 0


def test_linearize_reuses_one_linearization():
    calls = []

    def f(x):
        calls.append(1)
        return fnp.sin(x) * x
    y, f_jvp = fl.linearize(f, np.array([0.5, 1.0]))
    t1, t2 = f_jvp(np.array([1.0, 0.0])), f_jvp(np.array([0.0, 1.0]))
    assert len(calls) == 1
    x = np.array([0.5, 1.0])
    d = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(np.asarray(t1) + np.asarray(t2), d)


def test_stop_gradient():
    g = fl.grad(lambda x: x * fl.stop_gradient(x))(3.0)
    assert float(g) == 3.0


def test_python_control_flow_works_in_eager_grad():
    def f(x):
        if x > 0:
            return x * x
        return -x
    assert float(fl.grad(f)(3.0)) == 6.0 and float(fl.grad(f)(-3.0)) == -1.0


def test_stack_clean_after_error_in_grad():
    with pytest.raises(TypeError):
        fl.grad(lambda x: x * "a")(1.0)
    assert core.current_interpreter() is None


def test_missing_rules_are_named():
    with pytest.raises(NotImplementedError, match="jvp rule for 'digamma'"):
        fl.grad(lambda x: core.bind(P.digamma_p, x))(fnp.asarray(1.5))


def test_linear_primitives_have_transposes():
    for prim in (P.add_p, P.sub_p, P.neg_p, P.mul_p, P.div_p, P.convert_element_type_p,
                 P.select_n_p, P.copy_p):
        assert prim in transpose_rules and prim in jvp_rules


@given(data=st.data())
def test_rem_convert_copy_second_order(data):
    shape = data.draw(shapes)
    x = data.draw(_floats(shape, 1.2, 1.8))
    y = data.draw(_floats(shape, 1.0, 1.1))       # x / y in (1.09, 1.8): away from jumps
    check_grads(fnp.fmod, (x, y), order=2)
    check_grads(lambda v: core.bind(P.convert_element_type_p, fnp.asarray(v),
                                    new_dtype=np.dtype("float32"), weak_type=False) * 1.0,
                (x,), order=1, tol=1e-3, eps=1e-3)
    check_grads(lambda v: core.bind(P.copy_p, fnp.asarray(v)) * v, (x,), order=2)


@pytest.mark.parametrize("f", [fnp.sign, fnp.floor, fnp.ceil, fnp.round,
                               lambda v: (v > 0.5) * 1.0, lambda v: fnp.argmax(v) * 1.0,
                               lambda v: fl.stop_gradient(v) * 3.0, fnp.isfinite])
def test_non_differentiable_primitives_have_zero_derivatives(f):
    x = np.array([0.3, 1.7, -2.2])
    g = fl.grad(lambda v: fnp.sum(fnp.asarray(f(v), dtype="float64")))(x)
    np.testing.assert_array_equal(np.asarray(g), np.zeros(3))
    _, t = fl.jvp(lambda v: fnp.asarray(f(v), dtype="float64"), (x,), (np.ones(3),))
    np.testing.assert_array_equal(np.asarray(t), 0.0)


def test_printing_inside_grad_and_vmap_shows_values():
    seen = []

    def f(x):
        seen.append(repr(x))
        return fnp.sum(fnp.sin(x))
    fl.grad(f)(np.array([1.0, 2.0]))
    assert "by grad" in seen[0] and "[1., 2.]" in seen[0]
    fl.vmap(lambda v: seen.append(repr(v)) or v)(np.array([[3.0, 4.0]]))
    assert "by vmap" in seen[1] and "[[3., 4.]]" in seen[1]
