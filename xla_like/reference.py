"""The reference interpreter: runs a ``Program`` on NumPy, one equation at a time."""
import numpy as np

from xla_like.ir import Literal


def evaluate(program, *args):
    """Evaluate ``program`` on NumPy arrays; returns the list of outputs.

    One plain loop (eager reverse mode runs its backward programs through it on every
    call); ``evaluate_steps`` is the same walk, one equation at a time, for diagnosis."""
    env = _environment(program, args)
    for eqn in program.eqns:
        out = eqn.prim.impl(*[a.value if type(a) is Literal else env[a] for a in eqn.inputs],
                            **eqn.params)
        if eqn.prim.multiple_results:
            env.update(zip(eqn.outputs, out))
        else:
            env[eqn.outputs[0]] = out
    return [np.asarray(a.value if type(a) is Literal else env[a]) for a in program.outvars]


def _environment(program, args):
    """The values of ``program``'s constants and inputs (as arrays of their dtypes)."""
    if len(args) != len(program.invars):
        raise TypeError(f"program takes {len(program.invars)} inputs, got {len(args)}")
    env = dict(zip(program.constvars, program.consts))
    for var, value in zip(program.invars, args):
        env[var] = np.asarray(value, dtype=var.aval.dtype)
    return env


class evaluate_steps:
    """Iterate over ``(eqn, inputs, outputs)`` while evaluating ``program`` (e.g. to
    find the first equation that makes a NaN); ``outputs`` holds the program's results
    once the iteration is done.  ``run_effects=False`` skips effect-only equations (a
    diagnostic rerun must not print a second time)."""

    def __init__(self, program, args, run_effects=True):
        self.program, self.outputs = program, None
        self.env = _environment(program, args)
        self.run_effects = run_effects

    def __iter__(self):
        program, env = self.program, self.env

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
