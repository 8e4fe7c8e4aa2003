"""Forward mode: the JVP interpreter and its rule table ``jvp_rules``.

A rule ``rule(primals, tangents, **params) -> (primal_out, tangent_out)`` computes
with ``bind``, so it runs in the interpreter below (eager, staging, another jvp).
Tangents may be ``Zero`` (symbolic zero); a rule returns ``Zero`` when its tangent
output is identically zero.  Integer and boolean values always have ``Zero``
tangents, whose materialized form has the ``float0`` dtype (no data).
"""
import numpy as np

from transforms import ops
from transforms.core import (Interpreter, Tracer, bind, concrete_value_of, interpreter_scope,
                             parent_scope)
from xla_like import dtypes
from xla_like.ir import ShapedArray
from xla_like.primitive import lookup_rule

jvp_rules = {}

# The dtype of tangents of integer and boolean values: a zero-sized, data-free type.
float0 = np.dtype([("float0", np.void, 0)])


def tangent_aval(aval):
    """Float and complex values have tangents of their own type; others have float0."""
    if aval.dtype.kind in "fc":
        return aval
    return ShapedArray(aval.shape, float0, False)


class Zero:
    """A symbolic zero tangent of abstract value ``aval``."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    def __repr__(self):
        return f"Zero({self.aval})"


def is_zero(t):
    return type(t) is Zero


def instantiate(t):
    """A real zeros array for a symbolic zero (float tangents only)."""
    if type(t) is Zero:
        return ops.zeros_like_aval(t.aval)
    return t


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, interp, primal, tangent):
        self._interp = interp
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self):
        return self.primal.aval

    def __repr__(self):
        # eager differentiation keeps real values: show them (print/pdb stay useful)
        return f"Traced<{self.aval}> by jvp, value {self.primal!r}"


class JVPInterpreter(Interpreter):
    transform_name = "jvp"

    def lift(self, x):
        if isinstance(x, JVPTracer) and x._interp is self:
            return x.primal, x.tangent
        return x, Zero(tangent_aval(x.aval))

    def process_primitive(self, prim, args, params):
        primals, tangents, live = [], [], False
        for a in args:
            if isinstance(a, Tracer) and a._interp.proxy_for is self:
                a = a._interp.unproxy(a)        # an upgraded recording's value
            if type(a) is JVPTracer and a._interp is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
                live = live or type(a.tangent) is not Zero
            else:
                primals.append(a)
                tangents.append(None)
        if not live:                            # nothing here carries a tangent
            with parent_scope(self):
                return bind(prim, *primals, **params)
        tangents = [Zero(tangent_aval(p.aval)) if t is None else t
                    for p, t in zip(primals, tangents)]
        rule = jvp_rules.get(prim) or lookup_rule(jvp_rules, prim, "jvp")
        if getattr(rule, "runs_in_interpreter", False):    # user rules (custom_jvp)
            primal_out, tangent_out = rule(self, primals, tangents, **params)
        else:
            with parent_scope(self):
                primal_out, tangent_out = rule(primals, tangents, **params)
        if prim.multiple_results:
            return [self.wrap(p, t) for p, t in zip(primal_out, tangent_out)]
        return self.wrap(primal_out, tangent_out)

    def wrap(self, primal, tangent):
        if type(tangent) is Zero and not dtypes.is_inexact(primal.aval.dtype):
            return primal
        return JVPTracer(self, primal, tangent)

    def concrete_value(self, tracer, conversion):
        return concrete_value_of(tracer.primal, conversion)

    def describe_tracer(self, tracer):
        return "It was created by jvp/grad (a forward-mode tangent carrier)."


def jvp_flat(fun, primals, tangents):
    """``fun(*primals)`` and its directional derivative along ``tangents`` (flat lists)."""
    interp = JVPInterpreter()
    with interpreter_scope(interp):
        ins = [JVPTracer(interp, p, t) for p, t in zip(primals, tangents)]
        outs = fun(*ins)
        pairs = [interp.lift(o) for o in outs]
    return [p for p, _ in pairs], [t for _, t in pairs]


# ---- rule helpers -----------------------------------------------------------------

def defjvp(prim, *partials):
    """Register a rule from one function per operand: ``partial_i(t_i, *primals, **params)``
    returns that operand's contribution to the tangent (``None`` for non-differentiable)."""
    def rule(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        total = None
        for partial, t in zip(partials, tangents):
            if partial is None or type(t) is Zero:
                continue
            term = partial(t, *primals, **params)
            total = term if total is None else ops.add(total, term)
        return out, Zero(tangent_aval(out.aval)) if total is None else total
    jvp_rules[prim] = rule


def defjvp_linear(prim):
    """A primitive linear in all operands: the tangent is the primitive of the tangents."""
    def rule(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        if all(type(t) is Zero for t in tangents):
            return out, Zero(tangent_aval(out.aval))
        return out, bind(prim, *[instantiate(t) for t in tangents], **params)
    jvp_rules[prim] = rule


def defjvp_zero(prim):
    """Non-differentiable (piecewise constant or integer-valued) primitive."""
    def rule(primals, tangents, **params):
        out = bind(prim, *primals, **params)
        if prim.multiple_results:
            return out, [Zero(tangent_aval(o.aval)) for o in out]
        return out, Zero(tangent_aval(out.aval))
    jvp_rules[prim] = rule
