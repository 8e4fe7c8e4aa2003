"""Smooth functions whose stable formulas have kinks (``abs``, ``max``): they get
``custom_jvp`` rules from the smooth math, so higher derivatives are right everywhere."""
from functorch_lite._custom import custom_jvp
from functorch_lite.numpy import _ufuncs as uf


def _logaddexp_rule(base_fn, scale):
    def rule(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        out = base_fn(x, y)
        # d/dx log(e^x + e^y) = e^(x - out); where both are -inf the weights are 1/2
        finite = uf.isfinite(out)
        wx = uf.where(finite, uf.exp(uf.multiply(uf.subtract(x, out), scale)), 0.5)
        wy = uf.where(finite, uf.exp(uf.multiply(uf.subtract(y, out), scale)), 0.5)
        return out, uf.add(uf.multiply(tx, wx), uf.multiply(ty, wy))
    return rule


def _smooth(fn, rule_factory):
    wrapped = custom_jvp(fn)
    wrapped.defjvp(rule_factory(wrapped))
    wrapped.rule_is_pure = True
    return wrapped


logaddexp = _smooth(uf.logaddexp, lambda f: _logaddexp_rule(f, 1.0))
logaddexp2 = _smooth(uf.logaddexp2, lambda f: _logaddexp_rule(f, 0.6931471805599453))


def _hypot_rule(f):
    def rule(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        out = f(x, y)
        safe = uf.where(uf.equal(out, 0), 1.0, out)       # the gradient at 0 is 0
        return out, uf.true_divide(uf.add(uf.multiply(x, tx), uf.multiply(y, ty)), safe)
    return rule


hypot = _smooth(uf.hypot, _hypot_rule)
