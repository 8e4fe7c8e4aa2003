"""The backward program of a recording (``transforms/tape.py``): derived once per
recording structure, symbolically, from the same linearize + transpose that the
op-by-op path uses, then evaluated on the recorded values.

Deriving: the recording is replayed under ``linearize_flat`` and ``backward_pass``
inside a staging interpreter (``_stage_backward``); every staged variable that holds a
recorded value becomes an input (``_read_recorded``), so the re-computed forward
equations die; exact clean-ups follow (``_tidy``).  Under an outermost ``vmap`` the
program is also batched once per batch layout (``stage_batched``).
"""
import numpy as np

from transforms.array import Array
from transforms.core import bind, current_interpreter, interpreter_scope, reenter
from transforms.custom_derivatives import call_custom
from transforms.jvp import JVPTracer, tangent_aval
from transforms.linearize import backward_pass, linearize_flat, run_program
from transforms.staging import StagingInterpreter, StagingTracer
from transforms.vmap import BatchInterpreter, vmap_flat
from xla_like.ir import Eqn, Program, Var
from xla_like.reference import Schedule
from xla_like.passes import (algebraic_simplification, common_subexpression_elimination,
                             constant_folding, dead_code_elimination)


class CustomCall:
    """A recorded call of a function with a pure custom rule (``rule_is_pure``)."""
    __slots__ = ("kind", "fun", "rules", "name")

    def __init__(self, kind, fun, rules, name):
        self.kind, self.fun, self.rules, self.name = kind, fun, rules, name

    def key(self):
        return (self.kind, self.rules[0].cache_key)


CUSTOM = object()      # the "primitive" of a recorded ``CustomCall``


def replay_op(prim, params, args):
    """Replay one recorded operation in the current interpreter; a list of outputs."""
    if prim is CUSTOM:
        return call_custom(params.kind, params.fun, params.rules, args, params.name)
    out = bind(prim, *args, **params)
    return out if prim.multiple_results else (out,)


class BackwardPlan:
    """A recording's backward program: ``program(*needed values, *cts) -> input cts``.

    ``out_zero``: outputs whose cotangent is not an input (they do not depend on a
    differentiated input); ``in_zero``: inputs whose cotangent is zero.
    """

    def __init__(self, tape, out_slots):
        with reenter(None):                # derive in a clean context: no transform
            staged, slot_of, self.out_zero, self.in_zero = _stage_backward(tape, out_slots)
        program, self.needed = _read_recorded(staged, slot_of)
        self.program = _tidy(program)
        used = _used_vars(self.program)
        n_values = len(self.needed)
        keep = [i for i, v in enumerate(self.program.invars) if i >= n_values or v in used]
        self.needed = [self.needed[i] for i in keep if i < n_values]
        p = self.program
        self.program = Program([p.invars[i] for i in keep], p.constvars, p.consts, p.eqns,
                               p.outvars)
        self._batched = {}          # batch layout -> (batched program, output bdims)

    def run(self, values, cts):
        interp = current_interpreter()
        if interp is None:
            return evaluate_eagerly(self.program, [*values, *cts])
        if type(interp) is BatchInterpreter and interp.parent is None:
            return self._run_batched(interp, [*values, *cts])
        return run_program(self.program, *values, *cts)

    def _run_batched(self, interp, args):
        """Under an outermost vmap: batch the whole program once (cached per batch
        layout) and run it eagerly, instead of batching it equation by equation."""
        values, bdims = zip(*[interp.lift(a) for a in args])
        key = (bdims, interp.axis_size, interp.axis_name,
               tuple(v.aval for v, b in zip(values, bdims) if b is not None))
        batched = self._batched.get(key)
        if batched is None:
            program = self.program
            with reenter(None):
                batched = stage_batched(lambda *xs: run_program(program, *xs), values,
                                         bdims, interp)
            self._batched[key] = batched
        program, out_bdims = batched
        outs = evaluate_eagerly(program, values)
        return [interp.wrap(o, b) for o, b in zip(outs, out_bdims)]


def stage_batched(fun, values, bdims, interp):
    """``fun`` (flat list -> flat list) under ``vmap`` with these input batch dims,
    staged: the batched program (inputs: the values as given) and the batch dim of
    each output."""
    staging = StagingInterpreter("vmap")
    staging.record_source = False
    out_bdims = []
    with interpreter_scope(staging):
        ins = [staging.new_input(v.aval, f"x{i}") for i, v in enumerate(values)]
        outs, dims = vmap_flat(fun, ins, list(bdims), interp.axis_size, interp.axis_name)
        out_bdims.extend(dims)
        batched, captured = staging.finish(outs)
    assert not captured, "the batched backward program captured an outer value"
    return batched, out_bdims


def _stage_backward(tape, out_slots):
    """Stage linearize + transpose of the recording replayed on staged inputs.

    Returns the program (inputs: the leaves, then the cotangents), the recorded slot
    of each staged primal variable, and the zero patterns of outputs and inputs."""
    staging = StagingInterpreter("grad")
    staging.record_source = False
    in_slots = [slot for slot, _, kind in tape.leaves if kind == "in"]
    slot_of = {}
    with interpreter_scope(staging):
        staged = {slot: staging.new_input(aval, f"v{slot}") for slot, aval, _ in tape.leaves}

        def replay(*diff):
            env = dict(staged)
            env.update(zip(in_slots, diff))
            for prim, params, ins, outs in tape.eqns:
                results = replay_op(prim, params, [env[s] for s in ins])
                for s, out in zip(outs, results):
                    env[s] = out
                    primal = out.primal if type(out) is JVPTracer else out
                    if type(primal) is StagingTracer and primal._interp is staging:
                        slot_of.setdefault(primal.var, s)
            return [env[s] for s in out_slots]
        _, linear = linearize_flat(replay, [staged[s] for s in in_slots], [True] * len(in_slots))
        cts = [staging.new_input(tangent_aval(tape.values[s].aval), f"ct{i}")
               for i, (s, zero) in enumerate(zip(out_slots, linear.out_zero)) if not zero]
        in_cts = backward_pass(linear, cts)
        program, captured = staging.finish([ct for ct in in_cts if ct is not None])
    assert not captured, "the backward program captured an outer value"
    slot_of.update((staged[s].var, s) for s, _, _ in tape.leaves)
    return program, slot_of, linear.out_zero, [ct is None for ct in in_cts]


def _read_recorded(program, slot_of):
    """Make every variable that holds a recorded value an input: the equations that
    re-computed it become dead.  Returns the program (inputs: recorded values, then
    the cotangents) and the slot of each recorded-value input."""
    n_leaves = len(program.invars) - sum(1 for v in program.invars if v not in slot_of)
    var_of = {}
    for var, s in slot_of.items():
        var_of.setdefault(s, var)
    rename = {v: var_of[s] for v, s in slot_of.items() if var_of[s] is not v}
    needed = sorted(var_of)
    invars = [var_of[s] for s in needed] + list(program.invars[n_leaves:])
    eqns = []
    for e in program.eqns:
        if all(v in slot_of for v in e.outputs):
            continue                    # it re-computed recorded values: now inputs
        if any(v in slot_of for v in e.outputs):    # keep its other outputs only
            e = Eqn(e.prim, e.inputs, [Var(v.aval) if v in slot_of else v
                                       for v in e.outputs], e.params, e.source)
        eqns.append(_rename_inputs(e, rename) if rename else e)
    outvars = [rename.get(a, a) if isinstance(a, Var) else a for a in program.outvars]
    return Program(invars, program.constvars, program.consts, eqns, outvars), needed


def _rename_inputs(eqn, rename):
    inputs = [rename.get(a, a) if isinstance(a, Var) else a for a in eqn.inputs]
    if all(a is b for a, b in zip(inputs, eqn.inputs)):
        return eqn
    return Eqn(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.source)


def _tidy(program):
    """Exact clean-ups: constant folding, identities that hold bit for bit (signed
    zeros and NaNs included), CSE, dead code: the values are unchanged."""
    program = algebraic_simplification(constant_folding(program))
    program = common_subexpression_elimination(program)
    return dead_code_elimination(program)


def _used_vars(program):
    used = {a for a in program.outvars if isinstance(a, Var)}
    for eqn in program.eqns:
        used.update(a for a in eqn.inputs if isinstance(a, Var))
    return used


# ---- evaluation ----------------------------------------------------------------------

def evaluate_eagerly(program, args):
    """Run ``program`` on Arrays with the reference implementations (no transform is
    active, so binding each equation would only add the lookups)."""
    outs = Schedule.of(program).run([a._value for a in args])
    return [Array(value, atom.aval) for value, atom in zip(outs, program.outvars)]
