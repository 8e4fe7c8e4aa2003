"""Small helpers shared by the passes: substituting atoms and rebuilding programs.

Passes never mutate their input: equations are rebuilt (``Eqn`` objects are shared
when nothing changed) and a new ``Program`` is returned.  Every helper walks the
equation list with a loop.
"""
from xla_like.ir import Eqn, Literal, Program, Var


def subst(atom, env):
    """``env[atom]`` for a replaced Var, else ``atom`` itself (Literals pass through)."""
    if isinstance(atom, Var):
        return env.get(atom, atom)
    return atom


def substitute_inputs(eqn, env):
    """``eqn`` with its inputs replaced through ``env``; the same object if none changes."""
    if not env:
        return eqn
    inputs = tuple(subst(a, env) for a in eqn.inputs)
    if all(new is old for new, old in zip(inputs, eqn.inputs)):
        return eqn
    return Eqn(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.source)


def rebuild(program, eqns, env, extra_consts=()):
    """A program with ``eqns``, outputs substituted through ``env`` and
    ``extra_consts`` (``[(var, value)]``) appended to the constants."""
    constvars = program.constvars + tuple(v for v, _ in extra_consts)
    consts = program.consts + tuple(c for _, c in extra_consts)
    outvars = tuple(subst(a, env) for a in program.outvars)
    return Program(program.invars, constvars, consts, eqns, outvars)


def producers(program):
    """``{var: eqn}`` for every equation output."""
    return {v: eqn for eqn in program.eqns for v in eqn.outputs}


def literal_key(literal):
    """A hashable key equal for literals of equal dtype, weakness and bits."""
    return ("literal", literal.aval, literal.value.tobytes())


def atom_key(atom):
    return literal_key(atom) if isinstance(atom, Literal) else atom
