"""Constant folding: run equations whose inputs are all known at compile time.

An equation folds when every input is a literal or a constant (program constants and
earlier folded results), it is not effectful, and its outputs hold at most
``FOLD_MAX_ELEMENTS`` elements in all (folding must not bloat the program).  A 0-d
result becomes a ``Literal``; a larger one a new program constant.  The values come
from the primitives' reference implementations, the same oracle the backends match.
"""
import math

import numpy as np

from xla_like import primitives as P
from xla_like.ir import Literal, Var
from xla_like.passes.rewrite import rebuild, substitute_inputs

FOLD_MAX_ELEMENTS = 1024

# Broadcasting a literal costs nothing inside a fused loop, while its folded value
# would be read from memory: such equations stay (their value still folds consumers).
_KEEP_WITH_LITERAL_OPERAND = {P.broadcast_in_dim_p}


def _known_inputs(eqn, known):
    values = []
    for atom in eqn.inputs:
        if isinstance(atom, Literal):
            values.append(atom.value)
        elif atom in known:
            values.append(known[atom])
        else:
            return None
    return values


def _foldable(eqn, known):
    if eqn.prim.effectful:
        return None
    if sum(math.prod(v.aval.shape) for v in eqn.outputs) > FOLD_MAX_ELEMENTS:
        return None
    return _known_inputs(eqn, known)


def _kept(eqn):
    return eqn.prim in _KEEP_WITH_LITERAL_OPERAND and isinstance(eqn.inputs[0], Literal)


def _evaluate(eqn, values):
    """The outputs as arrays of their avals, or None when the reference
    implementation refuses (e.g. a collective outside its transform)."""
    try:
        with np.errstate(all="ignore"):
            out = eqn.prim.impl(*values, **eqn.params)
    except Exception:  # any failure just means "do not fold"; it re-raises at run time
        return None
    out = out if eqn.prim.multiple_results else [out]
    arrays = [np.asarray(o, dtype=v.aval.dtype) for o, v in zip(out, eqn.outputs)]
    if any(a.shape != v.aval.shape for a, v in zip(arrays, eqn.outputs)):
        return None
    return arrays


def constant_folding(program):
    """Evaluate equations with only literal/constant inputs at compile time.

    >>> p = make_ir(lambda x: x * (fnp.float32(2) + 1.0))(x)
    >>> [e.prim.name for e in constant_folding(p).eqns]
    ['mul']
    """
    known = dict(zip(program.constvars, program.consts))
    env, eqns, new_consts = {}, [], []
    for eqn in program.eqns:
        eqn = substitute_inputs(eqn, env)
        values = _foldable(eqn, known)
        results = None if values is None else _evaluate(eqn, values)
        if results is None or _kept(eqn):
            eqns.append(eqn)
            if results is not None:     # still known to equations that fold
                known.update(zip(eqn.outputs, results))
            continue
        for var, value in zip(eqn.outputs, results):
            if var.aval.shape == ():
                env[var] = Literal(value, var.aval)
            else:
                const = Var(var.aval)
                new_consts.append((const, value))
                known[const] = value
                env[var] = const
    if not env:
        return program
    return rebuild(program, eqns, env, new_consts)
