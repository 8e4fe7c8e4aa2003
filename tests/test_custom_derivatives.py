"""custom_jvp, custom_vjp, checkpoint and saved_residuals."""
import numpy as np
import pytest

import functorch_lite as fl
from functorch_lite import numpy as fnp
from functorch_lite.test_util import check_grads
from transforms import core
from xla_like import typecheck


def make_scaled_sin(scale):
    @fl.custom_jvp
    def f(x):
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), t * fnp.cos(x) * scale
    return f


def test_custom_jvp_rule_is_used_in_every_mode():
    f = make_scaled_sin(10.0)          # deliberately not the true derivative
    x = 0.7
    assert np.isclose(float(fl.grad(f)(x)), 10 * np.cos(x))
    assert np.isclose(float(fl.jvp(f, (x,), (1.0,))[1]), 10 * np.cos(x))
    assert np.isclose(float(f(x)), np.sin(x))             # eager: the body runs
    prog = fl.make_ir(f)(np.float32(x))
    assert [e.prim.name for e in prog.eqns] == ["custom_jvp_call"]
    typecheck(prog)


def test_custom_jvp_true_rule_passes_check_grads():
    f = make_scaled_sin(1.0)
    check_grads(f, (np.array([0.3, -1.2]),), order=1)


def test_custom_jvp_closing_over_traced_value():
    def outer(y):
        @fl.custom_jvp
        def k(x):
            return x * y

        @k.defjvp
        def k_jvp(primals, tangents):
            return k(primals[0]), tangents[0] * y
        return k(2.0) + k(y)
    # d/dy [2y + y*y] = 2 + 2y  (the closure part flows through the rule's primal output)
    assert np.isclose(float(fl.grad(outer)(3.0)), 8.0)


def _square_whose_rule_calls(inner):
    """x*x with the rule d = inner(x) * t: its second derivative is inner's derivative,
    which must come from inner's own rule."""
    @fl.custom_jvp
    def f(x):
        return x * x

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), inner(x) * t
    return f


@pytest.mark.parametrize("second", [
    lambda f: fl.grad(fl.grad(f)), lambda f: fl.jacfwd(fl.jacrev(f)),
    lambda f: fl.jacrev(fl.jacfwd(f)), lambda f: fl.jit(fl.grad(fl.grad(f))),
    lambda f: (lambda x: fl.vmap(fl.grad(fl.grad(f)))(fnp.stack([x, x]))[0]),
    lambda f: fl.grad(fl.jit(fl.grad(f))),
], ids=["grad-grad", "jacfwd-jacrev", "jacrev-jacfwd", "jit-grad-grad", "vmap-grad-grad",
        "grad-jit-grad"])
def test_custom_function_called_by_a_rule_keeps_its_rule_at_higher_order(second):
    x = float(np.random.default_rng(3).uniform(-1, 1))
    f = _square_whose_rule_calls(make_scaled_sin(10.0))   # inner rule: 10 cos, not cos
    assert np.isclose(float(fl.grad(f)(x)), np.sin(x))
    assert np.isclose(float(second(f)(x)), 10 * np.cos(x), rtol=1e-5)


def test_custom_function_in_a_rule_closing_over_the_differentiated_value():
    def g(y):
        @fl.custom_jvp
        def h(x):
            return x * y * y

        @h.defjvp
        def h_jvp(primals, tangents):
            return h(primals[0]), tangents[0] * y * y
        return h(2.0)      # 2 y^2: h's argument is constant, its closure is not
    assert np.isclose(float(fl.grad(g)(3.0)), 12.0)
    assert np.isclose(float(fl.grad(fl.grad(g))(3.0)), 4.0)
    assert np.isclose(float(fl.jacfwd(fl.jacrev(g))(3.0)), 4.0)


def test_custom_jvp_nondiff_argnums_and_pytrees():
    @fl.custom_jvp
    def power(n, xs):
        return xs["a"] ** n

    power.nondiff_argnums = (0,)

    @power.defjvp
    def power_jvp(n, primals, tangents):
        (xs,), (ts,) = primals, tangents
        return power(n, xs), n * xs["a"] ** (n - 1) * ts["a"]
    g = fl.grad(lambda a: power(3, {"a": a}))(2.0)
    assert np.isclose(float(g), 12.0)


def test_logsumexp_style_stable_rule():
    @fl.custom_jvp
    def softplus(x):
        return fnp.log1p(fnp.exp(x))

    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), t / (1.0 + fnp.exp(-x))
    g = fl.grad(softplus)(fnp.asarray(1000.0, dtype="float64"))
    assert float(g) == 1.0          # plain autodiff of log1p(exp(x)) gives nan here


def test_custom_vjp_rule_is_used_and_residuals_are_pytrees():
    @fl.custom_vjp
    def clip_gradient(x):
        return x * 1.0

    def fwd(x):
        return x * 1.0, {"lo": -1.0, "hi": 1.0}

    def bwd(res, ct):
        return (fnp.clip(ct, res["lo"], res["hi"]),)
    clip_gradient.defvjp(fwd, bwd)
    g = fl.grad(lambda x: (clip_gradient(x) * 5.0).sum())(np.ones(3))
    np.testing.assert_allclose(np.asarray(g), np.ones(3))
    prog = fl.make_ir(fl.grad(lambda x: clip_gradient(x) * 5.0))(np.float32(2.0))
    typecheck(prog)


def test_custom_vjp_forward_mode_is_a_clear_error():
    @fl.custom_vjp
    def f(x):
        return fnp.sin(x)
    f.defvjp(lambda x: (fnp.sin(x), x), lambda x, ct: (ct * fnp.cos(x),))
    assert np.isclose(float(fl.grad(f)(0.4)), np.cos(0.4))
    with pytest.raises(NotImplementedError, match="custom_vjp"):
        fl.jvp(f, (0.4,), (1.0,))
    assert core.current_interpreter() is None


def test_checkpoint_changes_what_is_saved_not_the_values():
    def h(x):
        return fnp.sin(fnp.sin(fnp.sin(x)))
    x = np.float32(0.9)
    assert np.isclose(float(fl.grad(fl.checkpoint(h))(x)), float(fl.grad(h)(x)))
    plain = fl.ad.saved_residuals(h, x)
    remat = fl.ad.saved_residuals(fl.checkpoint(h), x)
    assert len(plain) == 3 and all("cos" in r.origin for r in plain)
    assert len(remat) == 1 and remat[0].origin == "argument 'x'"
    saving = fl.ad.saved_residuals(fl.checkpoint(h, policy="everything_saveable"), x)
    assert len(saving) == 3


def test_checkpoint_second_order_and_bad_policy():
    f = fl.checkpoint(lambda x: fnp.tanh(x) * x)
    check_grads(f, (np.array([0.2, -0.6]),), order=2)
    with pytest.raises(ValueError, match="policy"):
        fl.checkpoint(lambda x: x, policy="sometimes")
