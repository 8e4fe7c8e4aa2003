"""Inlining of call-like higher-order equations, so the passes and the fusion see one
flat program.

Once a program is being compiled, differentiation is over: ``jit`` and ``remat``
calls and ``custom_jvp_call``/``custom_vjp_call`` all just run their body program on
their operands.  ``INLINE_PARAMS`` names the param holding each one's body.
"""
from xla_like import primitives as P
from xla_like.ir import Eqn, Var
from xla_like.passes.rewrite import rebuild, subst, substitute_inputs

INLINE_PARAMS = {P.jit_p: "program", P.remat_p: "body",
                 P.custom_jvp_call_p: "call", P.custom_vjp_call_p: "call"}


def _body_of(eqn):
    """The body program of an inlinable equation, or None.  A call whose operands
    differ from the body's inputs in weak-typedness stays a call (inlining would
    change the types the body's equations derive)."""
    key = INLINE_PARAMS.get(eqn.prim)
    if key is None:
        return None
    body = eqn.params[key]
    if any(a.aval != v.aval for a, v in zip(eqn.inputs, body.invars)):
        return None
    return body


def _inline_one(eqn, body, eqns, env, new_consts):
    """Append ``body``'s equations with fresh variables (a body may be inlined more
    than once); map the call's outputs to the body's outputs."""
    inner = dict(zip(body.invars, eqn.inputs))
    for var, value in zip(body.constvars, body.consts):
        inner[var] = Var(var.aval)
        new_consts.append((inner[var], value))
    for body_eqn in body.eqns:
        outputs = tuple(Var(v.aval) for v in body_eqn.outputs)
        inner.update(zip(body_eqn.outputs, outputs))
        inputs = tuple(subst(a, inner) for a in body_eqn.inputs)
        eqns.append(Eqn(body_eqn.prim, inputs, outputs, body_eqn.params, body_eqn.source))
    env.update(zip(eqn.outputs, (subst(a, inner) for a in body.outvars)))


def _inline_level(program):
    env, eqns, new_consts = {}, [], []
    for eqn in program.eqns:
        eqn = substitute_inputs(eqn, env)
        body = _body_of(eqn)
        if body is None:
            eqns.append(eqn)
        else:
            _inline_one(eqn, body, eqns, env, new_consts)
    if not env and not new_consts and len(eqns) == len(program.eqns):
        return program
    return rebuild(program, eqns, env, new_consts)


def inline_calls(program):
    """Replace every inlinable call by its body, one nesting level per round.

    >>> inner = jit(lambda x: fnp.sin(x))
    >>> [e.prim.name for e in inline_calls(make_ir(lambda x: inner(x) * 2.0)(x)).eqns]
    ['sin', 'broadcast_in_dim', 'mul']
    """
    while True:
        inlined = _inline_level(program)
        if inlined is program:
            return program
        program = inlined
