"""Dead-code elimination: drop equations whose outputs nothing uses, and unused constants."""
from xla_like.ir import Program, Var


def dead_code_elimination(program):
    """Remove equations (and constants) that no output depends on.  Effectful
    equations (``prim.effectful``) always stay, with everything they read.

    >>> len(dead_code_elimination(make_ir(lambda x: (fnp.sin(x), x)[1])(x)).eqns)
    0
    """
    live = {a for a in program.outvars if isinstance(a, Var)}
    kept = []
    for eqn in reversed(program.eqns):
        if eqn.prim.effectful or any(v in live for v in eqn.outputs):
            kept.append(eqn)
            live.update(a for a in eqn.inputs if isinstance(a, Var))
    kept.reverse()
    consts = [(v, c) for v, c in zip(program.constvars, program.consts) if v in live]
    if len(kept) == len(program.eqns) and len(consts) == len(program.consts):
        return program
    return Program(program.invars, [v for v, _ in consts], [c for _, c in consts], kept,
                   program.outvars)
