"""The reference interpreter: runs a ``Program`` on NumPy, one equation at a time
(``evaluate``; ``Schedule`` for a program run many times)."""
import operator

import numpy as np

from xla_like import primitives as P
from xla_like.ir import Literal
from xla_like.primitives.contractions import matrix_product_transposes
from xla_like.primitives.quiet import quietly


def evaluate(program, *args):
    """Evaluate ``program`` on NumPy arrays; returns the list of outputs.

    One plain loop; ``evaluate_steps`` is the same walk, one equation at a time, for
    diagnosis, and ``Schedule`` the same work prepared once for programs run often."""
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


# ---- repeated evaluation ----------------------------------------------------------------

_NO_PARAMS = {}


def _no_inputs(env):
    return ()


def _matrix_runner(eqn):
    """For a ``dot_general`` of two matrices that the implementation runs as one
    ``np.matmul`` (``matrix_product_transposes``): that same call on the same
    (transposed) views, so the same result bit for bit, without working out the
    layout on every run; else None."""
    if eqn.prim is not P.dot_general_p:
        return None
    lhs, rhs = (a.aval for a in eqn.inputs)
    transposes = matrix_product_transposes(lhs, rhs, **eqn.params)
    if transposes is None or lhs.ndim != 2 or rhs.ndim != 2:     # vectors give scalars
        return None
    matmul = np.matmul
    if transposes == (True, True):
        return lambda x, y: matmul(x.T, y.T)
    if transposes == (True, False):
        return lambda x, y: matmul(x.T, y)
    if transposes == (False, True):
        return lambda x, y: matmul(x, y.T)
    return matmul


class Schedule:
    """``evaluate`` for a program run many times (eager reverse mode's backward
    programs): a flat list of steps over numbered slots, made once per program.  Each
    step calls a primitive's implementation and then drops the values it was the last
    to read, so temporaries are freed as they die (as in hand-written NumPy), not all
    at the end.

    >>> Schedule.of(program).run([x])      # the outputs, like evaluate(program, x)
    """

    _cache = {}         # id(program) -> (program, schedule)

    @classmethod
    def of(cls, program):
        hit = cls._cache.get(id(program))
        if hit is None or hit[0] is not program:
            if len(cls._cache) > 1024:
                cls._cache.clear()
            hit = cls._cache[id(program)] = (program, cls(program))
        return hit[1]

    def __init__(self, program):
        slots, initial = {}, []
        for var, value in [*zip(program.constvars, program.consts),
                           *[(v, None) for v in program.invars]]:
            slots[var] = len(initial)
            initial.append(value)
        self.first_input = len(program.constvars)

        def slot_of(atom):
            if type(atom) is Literal:
                initial.append(atom.value)
                return len(initial) - 1
            return slots[atom]
        last_read = {}
        for i, eqn in enumerate(program.eqns):
            for a in eqn.inputs:
                if type(a) is not Literal:
                    last_read[a] = i
        kept = {a for a in program.outvars if type(a) is not Literal}
        self.steps, self.reads = [], []
        for i, eqn in enumerate(program.eqns):
            ins = [slot_of(a) for a in eqn.inputs]
            self.reads.append(tuple(ins))
            for var in eqn.outputs:
                slots[var] = len(initial)
                initial.append(None)
            frees = tuple(sorted({slots[a] for a in eqn.inputs if type(a) is not Literal
                                  and last_read[a] == i and a not in kept}))
            outs = tuple(slots[v] for v in eqn.outputs)
            # the inputs are read by C code (itemgetter): a comprehension would be a call
            read = operator.itemgetter(*ins) if ins else _no_inputs
            matrix = _matrix_runner(eqn)    # the layout worked out once, not per run
            if matrix is not None:
                self.steps.append((matrix, _NO_PARAMS, read, False, outs[0], frees))
            else:
                self.steps.append((eqn.prim.impl, eqn.params, read, len(ins) == 1,
                                   outs if eqn.prim.multiple_results else outs[0], frees))
        self.outputs = [slot_of(a) for a in program.outvars]
        self.initial = initial

    def run(self, args):
        """The outputs on ``args``; like the products' and reductions' own
        implementations, the whole run has overflow and invalid-value warnings off."""
        env = list(self.initial)
        env[self.first_input:self.first_input + len(args)] = args
        return quietly(self._run, env)

    def _run(self, env):
        for impl, params, read, single, out, frees in self.steps:
            result = impl(read(env), **params) if single else impl(*read(env), **params)
            if type(out) is int:
                env[out] = result
            else:
                for slot, value in zip(out, result):
                    env[slot] = value
            for slot in frees:
                env[slot] = None
        return [np.asarray(env[s]) for s in self.outputs]
