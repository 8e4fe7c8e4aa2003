"""Fusion: partition an optimized program into *steps* a backend runs in order.

A step is either a fused *region* (equations a backend compiles into one loop
kernel) or a single unfused equation (a BLAS call, or a call to the reference
implementation).  ``partition(program, fusible)`` walks the equations once, in
program order, greedily:

* an unfused equation becomes its own step, appended at the end;
* a fusible equation joins the most recent region of the same *loop shape* if all of
  its inputs are available there (produced before that region's position, or inside
  it) and the region has fewer than ``MAX_REGION_EQNS`` equations, else it opens a
  new region at the end.

So a region never needs a value a later step produces, every step reads only values
produced by earlier steps, and program order inside a region is a valid order: the
partition is correct by construction.

The loop shape of a region is ``(L, R)``: the shape ``L`` its loops run over and the
reduced axes ``R`` (empty without reductions).  A reduction over ``R`` of an operand of
shape ``L`` fits region ``(L, R)``, or ``(L, ())`` with no reduction yet.  Any other
equation fits when its output has shape ``L``, or once the region reduces, the reduced
shape (``L`` without ``R``, with or without the ``R`` axes kept as size 1): code
that uses a row's result, like ``log(sum(exp(x - max)))``.  This is the contract of
``xla_like.backends.llvm.regions``; the backend still checks each region and splits
one it cannot compile.
"""
from typing import NamedTuple

from xla_like import primitives as P
from xla_like.ir import Var

# LLVM's optimizer is super-linear in a function's size (measured: a 1000-equation
# chain as one kernel took 38 s to compile, as 128-equation kernels about 5 s), so
# longer regions are cut; each cut costs one round trip of a value through memory.
MAX_REGION_EQNS = 128

REDUCTIONS = {P.reduce_sum_p, P.reduce_prod_p, P.reduce_max_p, P.reduce_min_p,
              P.reduce_and_p, P.reduce_or_p}


class Step(NamedTuple):
    """``eqns`` run as one unit: ``fused`` (one kernel) or a single equation.
    ``inputs`` are the Vars it reads from earlier steps (or program inputs and
    constants), ``outputs`` the Vars it produces that later steps or the program's
    outputs use."""
    eqns: tuple
    fused: bool
    inputs: tuple
    outputs: tuple


class _Region:
    def __init__(self, position, shape, axes):
        self.position, self.shape, self.axes = position, shape, axes
        self.eqns = []
        self.produced = set()

    def reduced_shapes(self):
        if not self.axes:
            return ()
        kept = tuple(s for d, s in enumerate(self.shape) if d not in self.axes)
        ones = tuple(1 if d in self.axes else s for d, s in enumerate(self.shape))
        return kept, ones


def _reduction_key(eqn):
    """``(L, R)`` of a reduction over non-empty axes, else None."""
    if eqn.prim in REDUCTIONS and eqn.params["axes"]:
        return eqn.inputs[0].aval.shape, tuple(sorted(eqn.params["axes"]))
    return None


def _broadcasts_onto_reduced_axis(region, eqn):
    """A value of the region broadcast along a reduced axis would be needed before
    its row is finished; the kernel cannot do that."""
    if eqn.prim is not P.broadcast_in_dim_p or eqn.inputs[0] not in region.produced:
        return False
    dims = eqn.params["broadcast_dimensions"]
    return any(size != 1 and d in region.axes
               for size, d in zip(eqn.inputs[0].aval.shape, dims))


def _fits(region, eqn):
    """Whether ``eqn``'s shapes fit ``region``'s loop shape."""
    key = _reduction_key(eqn)
    if key is not None:
        return key[0] == region.shape and (not region.axes or key[1] == region.axes)
    shape = eqn.outputs[0].aval.shape
    if _broadcasts_onto_reduced_axis(region, eqn):
        return False
    return shape == region.shape or shape in region.reduced_shapes()


class _Partitioner:
    def __init__(self):
        self.steps = []          # _Region or a single Eqn, in order
        self.position = {}       # Var -> index of the step producing it
        self.last_region = {}    # L -> the most recent region looping over L

    def _ready_at(self, eqn, region):
        """Are all of ``eqn``'s inputs available to ``region``?"""
        for atom in eqn.inputs:
            where = self.position.get(atom) if isinstance(atom, Var) else None
            if where is None:
                continue
            if where > region.position:
                return False
        return True

    def _region_for(self, eqn):
        key = _reduction_key(eqn)
        shape = key[0] if key else eqn.outputs[0].aval.shape
        region = self.last_region.get(shape)
        if region is None or len(region.eqns) >= MAX_REGION_EQNS or not _fits(region, eqn) \
                or not self._ready_at(eqn, region):
            region = _Region(len(self.steps), shape, key[1] if key else ())
            self.steps.append(region)
            self.last_region[shape] = region
        if key is not None:
            region.axes = key[1]
        for alias in region.reduced_shapes():     # code using a row's result joins too
            known = self.last_region.get(alias)
            if known is None or known.position < region.position:
                self.last_region[alias] = region
        return region

    def add(self, eqn, fusible):
        if fusible and eqn.outputs:
            region = self._region_for(eqn)
            region.eqns.append(eqn)
            region.produced.update(eqn.outputs)
            index = region.position
        else:
            index = len(self.steps)
            self.steps.append(eqn)
        for var in eqn.outputs:
            self.position[var] = index


def _step_io(eqns, used_later):
    """Inputs (read, not produced inside) and outputs (produced, used elsewhere)."""
    produced, inputs = set(), {}
    for eqn in eqns:
        for atom in eqn.inputs:
            if isinstance(atom, Var) and atom not in produced:
                inputs.setdefault(atom)
        produced.update(eqn.outputs)
    outputs = tuple(v for eqn in eqns for v in eqn.outputs if v in used_later)
    return tuple(inputs), outputs


def _used_outside(steps, program):
    """Vars used by a step other than their producer's, or by the program outputs."""
    used = {a for a in program.outvars if isinstance(a, Var)}
    for eqns in steps:
        inside = {v for eqn in eqns for v in eqn.outputs}
        used.update(a for eqn in eqns for a in eqn.inputs
                    if isinstance(a, Var) and a not in inside)
    return used


def partition(program, fusible):
    """Split ``program`` into ``Step``s (see the module docstring).  ``fusible(eqn)``
    says which equations may join a loop kernel.

    >>> steps = partition(make_ir(lambda a, b: fnp.exp(a @ b) + 1.0)(a, b), fusible)
    >>> [(len(s.eqns), s.fused) for s in steps]
    [(1, False), (3, True)]
    """
    parts = _Partitioner()
    for eqn in program.eqns:
        parts.add(eqn, fusible(eqn))
    groups = [(tuple(s.eqns), True) if isinstance(s, _Region) else ((s,), False)
              for s in parts.steps]
    return steps_from_groups(groups, program)


def steps_from_groups(groups, program):
    """``Step``s for ``[(eqns, fused)]`` in order (a valid order of ``program``)."""
    used = _used_outside([eqns for eqns, _ in groups], program)
    return [Step(eqns, fused, *_step_io(eqns, used)) for eqns, fused in groups]
