"""The reference interpreter: runs a ``Program`` on NumPy, one equation at a time."""
import numpy as np

from xla_like.ir import Literal


def evaluate(program, *args):
    """Evaluate ``program`` on NumPy arrays; returns the list of outputs."""
    steps = evaluate_steps(program, args)
    for _ in steps:
        pass
    return steps.outputs


class evaluate_steps:
    """Iterate over ``(eqn, inputs, outputs)`` while evaluating ``program`` (e.g. to
    find the first equation that makes a NaN); ``outputs`` holds the program's results
    once the iteration is done.  ``run_effects=False`` skips effect-only equations (a
    diagnostic rerun must not print a second time)."""

    def __init__(self, program, args, run_effects=True):
        if len(args) != len(program.invars):
            raise TypeError(f"program takes {len(program.invars)} inputs, got {len(args)}")
        self.program, self.args, self.outputs = program, args, None
        self.run_effects = run_effects

    def __iter__(self):
        program = self.program
        env = dict(zip(program.constvars, program.consts))
        for var, value in zip(program.invars, self.args):
            env[var] = np.asarray(value, dtype=var.aval.dtype)

        def read(atom):
            return atom.value if isinstance(atom, Literal) else env[atom]

        for eqn in program.eqns:
            if eqn.prim.effectful and not eqn.outputs and not self.run_effects:
                continue
            inputs = [read(a) for a in eqn.inputs]
            out = eqn.prim.impl(*inputs, **eqn.params)
            if not eqn.prim.multiple_results:
                out = (out,)
            yield eqn, inputs, out
            env.update(zip(eqn.outputs, out))
        self.outputs = [np.asarray(read(a)) for a in program.outvars]
