"""Common-subexpression elimination: one equation per (primitive, inputs, params)."""
from xla_like.passes.rewrite import atom_key, rebuild, substitute_inputs


def _params_key(params):
    """Hashable, type-aware key of params (``1`` and ``True`` differ); None when a
    param value cannot be hashed (the equation is then never merged)."""
    key = tuple(sorted((name, type(value), value) for name, value in params.items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def common_subexpression_elimination(program):
    """Replace each equation that repeats an earlier one (same primitive, same input
    atoms, equal params) by the earlier one's outputs.  Effectful equations are never
    merged.

    >>> p = make_ir(lambda x: fnp.sin(x) + fnp.sin(x))(x)
    >>> [e.prim.name for e in common_subexpression_elimination(p).eqns]
    ['sin', 'add']        # the second sin is now dead, then removed by DCE
    """
    env, seen, eqns = {}, {}, []
    for eqn in program.eqns:
        eqn = substitute_inputs(eqn, env)
        eqns.append(eqn)
        if eqn.prim.effectful:
            continue
        params = _params_key(eqn.params)
        if params is None:
            continue
        key = (eqn.prim, tuple(atom_key(a) for a in eqn.inputs), params)
        try:
            earlier = seen.get(key)
        except (TypeError, ValueError):     # a param whose == is not a bool (arrays)
            continue
        if earlier is None:
            seen[key] = eqn
            continue
        if all(a.aval == b.aval for a, b in zip(eqn.outputs, earlier.outputs)):
            env.update(zip(eqn.outputs, earlier.outputs))
            eqns.pop()
    if not env:
        return program
    return rebuild(program, eqns, env)
