"""Algebraic simplification: rewrite an equation's output to an existing atom when an
identity says they are equal, bit for bit.

Rules live in ``SIMPLIFY_RULES`` keyed by primitive: ``rule(eqn, ctx) -> atom | None``.
A replacement must have exactly the output's aval (dtype, shape and weakness), so
every consumer still type-checks.  Only exact IEEE identities are used: ``x * 1``,
``x / 1``, ``x - (+0)`` and ``x + (-0)`` for floats (``x + 0`` is not ``x`` when
``x`` is ``-0.0``), ``x + 0`` for integers, ``neg(neg(x))``, ``max(x, x)``, and ops that
are the identity on their operand: convert to the same type, reshape or broadcast to
the same shape, a reshape back to the shape before a reshape, identity
transposes, empty squeeze/expand_dims/rev, copies.
"""
import numpy as np

from xla_like import primitives as P
from xla_like.ir import Literal
from xla_like.passes.rewrite import rebuild, substitute_inputs


class _Context:
    """What rules may ask about other atoms: their producers and splat values."""

    def __init__(self):
        self.producer = {}

    def splat(self, atom):
        """The scalar every element of ``atom`` equals, when known statically."""
        if isinstance(atom, Literal):
            return atom.value
        eqn = self.producer.get(atom)
        if eqn is not None and eqn.prim is P.broadcast_in_dim_p \
                and isinstance(eqn.inputs[0], Literal):
            return eqn.inputs[0].value
        return None


def _same(candidate, eqn):
    """``candidate`` if it can stand for the output of ``eqn``, else None."""
    return candidate if candidate.aval == eqn.outputs[0].aval else None


def _is(value, target, negative_zero=None):
    """``value == target``; for a zero target, optionally also its sign bit."""
    if value is None or value != target:
        return False
    if negative_zero is None or value.dtype.kind != "f":
        return True
    return bool(np.signbit(value)) == negative_zero


def _with_neutral(*positions, neutral, negative_zero=None):
    """Rule for a binary op whose operand at ``position`` is neutral (``x op e = x``)."""
    def rule(eqn, ctx):
        for pos in positions:
            if _is(ctx.splat(eqn.inputs[pos]), neutral, negative_zero):
                found = _same(eqn.inputs[1 - pos], eqn)
                if found is not None:
                    return found
        return None
    return rule


def _add_rule(eqn, ctx):
    # x + (-0.0) == x for every float x; x + 0 == x for integers
    return _with_neutral(0, 1, neutral=0, negative_zero=True)(eqn, ctx)


def _sub_rule(eqn, ctx):
    return _with_neutral(1, neutral=0, negative_zero=False)(eqn, ctx)


def _idempotent(eqn, ctx):
    x, y = eqn.inputs
    return _same(x, eqn) if x is y else None


def _double_neg(eqn, ctx):
    inner = ctx.producer.get(eqn.inputs[0])
    if inner is not None and inner.prim is P.neg_p:
        return _same(inner.inputs[0], eqn)
    return None


def _operand_when(condition):
    """Rule for a unary op that is the identity when ``condition(eqn)`` holds."""
    def rule(eqn, ctx):
        return _same(eqn.inputs[0], eqn) if condition(eqn) else None
    return rule


def _identity_permutation(eqn):
    return tuple(eqn.params["permutation"]) == tuple(range(len(eqn.params["permutation"])))


def _select_same_cases(eqn, ctx):
    cases = eqn.inputs[1:]
    if all(c is cases[0] for c in cases):
        return _same(cases[0], eqn)
    return None


_always = _operand_when(lambda eqn: True)

# primitives that only change a shape, keeping the elements in row-major order
_RESHAPES = frozenset([P.reshape_p, P.expand_dims_p, P.squeeze_p])


def _reshape_rule(eqn, ctx):
    """A reshape to the operand's own shape, or back to the shape its operand was
    reshaped from (``reshape(reshape(x, (n, 1)), (n,))`` is ``x``)."""
    found = _same(eqn.inputs[0], eqn)
    if found is None:
        inner = ctx.producer.get(eqn.inputs[0])
        if inner is not None and inner.prim in _RESHAPES:
            found = _same(inner.inputs[0], eqn)
    return found

SIMPLIFY_RULES = {
    P.mul_p: _with_neutral(0, 1, neutral=1),
    P.div_p: _with_neutral(1, neutral=1),
    P.add_p: _add_rule,
    P.sub_p: _sub_rule,
    P.max_p: _idempotent, P.min_p: _idempotent, P.and_p: _idempotent, P.or_p: _idempotent,
    P.neg_p: _double_neg,
    P.integer_pow_p: _operand_when(lambda eqn: eqn.params["y"] == 1),
    P.select_n_p: _select_same_cases,
    # identity when the output aval equals the operand's (checked by ``_same``)
    P.convert_element_type_p: _always, P.reshape_p: _reshape_rule,
    P.broadcast_in_dim_p: _always,
    P.copy_p: _always, P.stop_gradient_p: _always,
    P.squeeze_p: _reshape_rule, P.expand_dims_p: _reshape_rule,
    P.rev_p: _operand_when(lambda eqn: not eqn.params["dimensions"]),
    P.transpose_p: _operand_when(_identity_permutation),
}


def algebraic_simplification(program):
    """Forward uses of outputs that an identity equates with an existing atom; the
    equations left unused are removed by dead-code elimination.

    >>> p = make_ir(lambda x: -(-x) * 1.0)(x)
    >>> algebraic_simplification(p).outvars == p.invars
    True
    """
    ctx, env, eqns = _Context(), {}, []
    for eqn in program.eqns:
        eqn = substitute_inputs(eqn, env)
        eqns.append(eqn)
        for var in eqn.outputs:
            ctx.producer[var] = eqn
        rule = SIMPLIFY_RULES.get(eqn.prim)
        if rule is None or eqn.prim.effectful:
            continue
        replacement = rule(eqn, ctx)
        if replacement is not None:
            env[eqn.outputs[0]] = replacement
    if not env:
        return program
    return rebuild(program, eqns, env)
