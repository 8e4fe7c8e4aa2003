"""The reference interpreter: runs a ``Program`` on NumPy, one equation at a time."""
import numpy as np

from xla_like.ir import Literal


def evaluate(program, *args):
    """Evaluate ``program`` on NumPy arrays; returns the list of outputs."""
    if len(args) != len(program.invars):
        raise TypeError(f"program takes {len(program.invars)} inputs, got {len(args)}")
    env = {}
    for var, value in zip(program.constvars, program.consts):
        env[var] = value
    for var, value in zip(program.invars, args):
        env[var] = np.asarray(value, dtype=var.aval.dtype)

    def read(atom):
        return atom.value if isinstance(atom, Literal) else env[atom]

    for eqn in program.eqns:
        out = eqn.prim.impl(*[read(a) for a in eqn.inputs], **eqn.params)
        if not eqn.prim.multiple_results:
            out = (out,)
        for var, value in zip(eqn.outputs, out):
            env[var] = value
    return [np.asarray(read(a)) for a in program.outvars]
