"""Planning a fused region ``Program`` as one loop nest, with reductions.

**Loop space.**  Without reductions, the kernel loops over the outputs' (common)
shape.  With reductions, it loops over their operand shape ``L``; every reduction
must reduce an operand of shape ``L`` over the same axes ``R``.  The kept axes ``K``
form the outer loops and ``R`` the inner ones, so one outer iteration owns a whole
"row" (all of ``R``) and the reductions finish inside it.

**Passes.**  A value that depends on a reduction's result can only be computed
after that reduction's loop over ``R`` ends.  Each node gets a *level* (how many
reductions must finish before it: 0 for loads, max of its operands, a reduction's
result is one more than its operand) and whether it *varies* along ``R``.  For each
level ``p`` the kernel makes pass ``p`` over ``R``, accumulating the reductions whose
operands are at level ``p`` and storing full-shape outputs of level ``p``; values
that do not vary along ``R`` are computed once per row, before the pass that needs
them.  Row-wise logsumexp is two passes over each row (max, then sum of exp), the
row staying in L1/L2 cache between them; softmax is three.  A pass recomputes the
varying values it needs from earlier levels (x - max is recomputed, not stored).

**Outputs** have shape ``L`` (written inside the pass of their level), the reduced
shape ``K`` or ``L`` with the ``R`` axes kept as size 1 (written once per row).

**Columns.**  When the innermost axis of ``L`` is kept (``sum(x, axis=0)``), a row
is strided in memory; such kernels set ``columns`` and tiling.py reduces a block
of contiguous columns at a time instead, one pass over the block per level.

The plan lists *nodes* in dependency order (found with an explicit stack, never by
recursion): ``Load`` (a buffer at strided offsets), ``Const`` (a literal), ``Index``
(``iota``: a loop index), ``Apply`` (one equation on earlier nodes) and ``Reduced``
(the finished value of reduction ``k``).  A value needed under two placements
(``x[:, None] * x[None, :]``) becomes two nodes.
"""
from typing import NamedTuple

import numpy as np

from xla_like import primitives as P
from xla_like.backends.llvm.argreduce import expand_arg_reductions
from xla_like.backends.llvm.placement import (VIEW_PLACEMENTS, collapse, identity_placement,
                                              load_strides, operand_placements, unsupported)
from xla_like.backends.llvm.reductions import is_reduction, reduced_axes
from xla_like.backends.llvm.regions import check_region
from xla_like.ir import Literal


class Load(NamedTuple):
    """Element of parameter buffer ``param`` at ``sum(i_d * strides[d])``."""
    param: int
    strides: tuple
    dtype: np.dtype


class Const(NamedTuple):
    value: object
    dtype: np.dtype


class Index(NamedTuple):
    """``sum(i_d * strides[d])`` itself, converted to ``dtype`` (iota)."""
    strides: tuple
    dtype: np.dtype


class Apply(NamedTuple):
    """``eqn`` applied to the values of nodes ``args``."""
    eqn: object
    args: tuple
    dtype: np.dtype


class Reduced(NamedTuple):
    """The result of reduction number ``reduction`` (valid after its pass)."""
    reduction: int
    dtype: np.dtype


class Reduction(NamedTuple):
    eqn: object
    arg: int            # node id of the operand
    dtype: np.dtype


class Output(NamedTuple):
    node: int
    strides: tuple      # per loop
    full: bool          # written inside a pass (shape L) rather than once per row


class KernelPlan(NamedTuple):
    """``params`` are the program's inputs then its constants.  ``loop_sizes`` are the
    collapsed outer (kept) loops, then the inner (reduced) loops; ``n_outer`` >= 1."""
    param_avals: tuple
    out_avals: tuple
    loop_sizes: tuple
    n_outer: int
    nodes: tuple
    varying: tuple      # per node: does it vary along the reduced loops
    levels: tuple       # per node
    reductions: tuple   # of Reduction
    outputs: tuple      # of Output
    n_passes: int
    columns: bool = False   # reduces over leading axes: loop in column tiles (codegen.py)

    @property
    def outer_size(self):
        return int(np.prod(self.loop_sizes[:self.n_outer]))

    @property
    def inner_size(self):
        return int(np.prod(self.loop_sizes[self.n_outer:]))


# ---- loop space ------------------------------------------------------------------------

class Space(NamedTuple):
    shape: tuple        # L
    reduced: tuple      # R: sorted loop-space dims reduced
    kept: tuple         # K

    def output_placement(self, shape):
        """Placement of an output of ``shape``: L itself, K, or L with R kept as 1."""
        if shape == self.shape:
            return identity_placement(shape)
        kept_shape = tuple(self.shape[d] for d in self.kept)
        keepdims = tuple(1 if d in self.reduced else s for d, s in enumerate(self.shape))
        if shape == kept_shape:
            return tuple(None if self.shape[d] == 1 else d for d in self.kept)
        if shape == keepdims:
            return identity_placement(shape)
        raise unsupported(f"output shape {shape} is neither the loop space {self.shape} "
                          f"nor its reduction {kept_shape}")


def _space(program):
    reductions = [e for e in program.eqns if is_reduction(e)]
    if not reductions:
        shapes = {atom.aval.shape for atom in program.outvars}
        if len(shapes) > 1:
            raise unsupported("without reductions, outputs must share one shape, got "
                              + ", ".join(str(a.aval) for a in program.outvars))
        shape = shapes.pop()
        return Space(shape, (), tuple(range(len(shape))))
    first = reductions[0]
    shape, axes = first.inputs[0].aval.shape, tuple(sorted(reduced_axes(first)))
    for eqn in reductions[1:]:
        if eqn.inputs[0].aval.shape != shape or tuple(sorted(reduced_axes(eqn))) != axes:
            raise unsupported(f"reductions over different spaces cannot share a kernel: "
                              f"'{first.prim.name}' of {first.inputs[0].aval} over {axes} and "
                              f"'{eqn.prim.name}' of {eqn.inputs[0].aval} over "
                              f"{tuple(sorted(reduced_axes(eqn)))}")
    return Space(shape, axes, tuple(d for d in range(len(shape)) if d not in axes))


# ---- scheduling --------------------------------------------------------------------------

class _Scheduler:
    def __init__(self, program, space):
        self.space = space
        self.params = {v: i for i, v in enumerate(program.invars + program.constvars)}
        self.producers = {v: eqn for eqn in program.eqns for v in eqn.outputs}
        self.nodes = []
        self.reductions = []
        self.memo = {}

    def _add(self, key, node):
        self.memo[key] = len(self.nodes)
        self.nodes.append(node)

    def _leaf(self, key):
        """Schedule an atom that needs no operands; False if it has a producer."""
        atom, placement = key
        if isinstance(atom, Literal):
            if atom.aval.shape != ():
                raise unsupported(f"non-scalar literal {atom}")
            self._add(key, Const(atom.value, atom.aval.dtype))
        elif atom in self.params:
            strides = load_strides(atom.aval.shape, placement, len(self.space.shape))
            self._add(key, Load(self.params[atom], strides, atom.aval.dtype))
        elif atom not in self.producers:
            raise unsupported(f"{atom} is neither an input, a constant nor computed")
        else:
            return False
        return True

    def _deps(self, eqn, placement):
        if not is_reduction(eqn):
            return operand_placements(eqn, placement)
        natural = self.space.output_placement(eqn.outputs[0].aval.shape)
        if placement != natural:
            raise unsupported(f"the result of '{eqn.prim.name}' is broadcast along a "
                              f"reduced axis (placement {placement}, expected {natural})")
        return [(eqn.inputs[0], identity_placement(eqn.inputs[0].aval.shape))]

    def _build(self, key, eqn, deps):
        """Add the node computing ``key`` once its operands are scheduled."""
        if eqn.prim in VIEW_PLACEMENTS:
            self.memo[key] = self.memo[deps[0]]
        elif is_reduction(eqn):
            self.reductions.append(Reduction(eqn, self.memo[deps[0]], key[0].aval.dtype))
            self._add(key, Reduced(len(self.reductions) - 1, key[0].aval.dtype))
        elif eqn.prim is P.iota_p:
            self._add(key, _iota_node(eqn, key[1], len(self.space.shape)))
        else:
            args = tuple(self.memo[dep] for dep in deps)
            self._add(key, Apply(eqn, args, key[0].aval.dtype))

    def schedule(self, atom, placement):
        """Node id of ``atom`` under ``placement``, scheduling what it needs first."""
        stack = [((atom, placement), False)]
        while stack:
            key, ready = stack.pop()
            if key in self.memo or (not ready and self._leaf(key)):
                continue
            eqn = self.producers[key[0]]
            deps = self._deps(eqn, key[1])
            if not ready:
                stack.append((key, True))
                stack.extend((dep, False) for dep in reversed(deps) if dep not in self.memo)
            else:
                self._build(key, eqn, deps)
        return self.memo[(atom, placement)]


def _iota_node(eqn, placement, space_ndim):
    strides = [0] * space_ndim
    d = placement[eqn.params["dimension"]]
    if d is not None:
        strides[d] = 1
    return Index(tuple(strides), eqn.outputs[0].aval.dtype)


# ---- levels and loops ----------------------------------------------------------------------

def _levels(nodes, reductions, reduced_dims):
    """Per node: (varies along a reduced dim, level); see the module docstring."""
    varying, levels = [], []
    for node in nodes:
        if isinstance(node, (Load, Index)):
            varying.append(any(node.strides[d] for d in reduced_dims))
            levels.append(0)
        elif isinstance(node, Apply):
            varying.append(any(varying[a] for a in node.args))
            levels.append(max((levels[a] for a in node.args), default=0))
        elif isinstance(node, Reduced):
            varying.append(False)
            levels.append(levels[reductions[node.reduction].arg] + 1)
        else:
            varying.append(False)
            levels.append(0)
    return tuple(varying), tuple(levels)


def _loops(space, vectors):
    """Collapsed outer and inner loops; returns (sizes, n_outer, project) where
    ``project`` maps a loop-space stride vector onto the loops."""
    outer, outer_sizes = collapse(space.shape, space.kept, vectors)
    inner, inner_sizes = collapse(space.shape, space.reduced, vectors)
    if not outer:
        outer_sizes = (1,)
    if space.reduced and not inner:
        inner_sizes = (1,)
    groups = (outer or [[]]) + (inner or ([[]] if space.reduced else []))

    def project(strides):
        return tuple(strides[g[-1]] if g else 0 for g in groups)
    return outer_sizes + inner_sizes, len(outer_sizes), project


def _last_axis_kept(space):
    """Whether the innermost (contiguous) non-unit axis of the loop space is kept, so
    reading a reduced "row" would stride through memory: a column reduction."""
    axes = [d for d, size in enumerate(space.shape) if size != 1]
    return bool(axes) and axes[-1] in space.kept


def make_plan(program):
    """Plan ``program`` (see the module docstring); raises NotImplementedError naming
    the first primitive, dtype or shape pattern that cannot be compiled.

    >>> make_plan(make_ir(lambda x: fnp.sum(x * x, axis=1))(np.ones((4, 8)))).n_passes
    1
    """
    check_region(program)
    program = expand_arg_reductions(program)
    space = _space(program)
    scheduler = _Scheduler(program, space)
    outs = []
    for atom in program.outvars:
        placement = space.output_placement(atom.aval.shape)
        full = bool(space.reduced) and atom.aval.shape == space.shape
        strides = load_strides(atom.aval.shape, placement, len(space.shape))
        outs.append((scheduler.schedule(atom, placement), strides, full))
    nodes = scheduler.nodes
    varying, levels = _levels(nodes, scheduler.reductions, space.reduced)
    vectors = [n.strides for n in nodes if isinstance(n, (Load, Index))] + [s for _, s, _ in outs]
    loop_sizes, n_outer, project = _loops(space, vectors)
    nodes = tuple(n._replace(strides=project(n.strides)) if isinstance(n, (Load, Index)) else n
                  for n in nodes)
    outputs = tuple(Output(node, project(strides), full) for node, strides, full in outs)
    pass_levels = [levels[r.arg] for r in scheduler.reductions]
    pass_levels += [levels[o.node] for o in outputs if o.full]
    n_passes = max(pass_levels) + 1 if space.reduced else 0
    columns = n_passes >= 1 and _last_axis_kept(space)
    params = tuple(v.aval for v in program.invars + program.constvars)
    return KernelPlan(params, tuple(a.aval for a in program.outvars), loop_sizes, n_outer,
                      nodes, varying, levels, tuple(scheduler.reductions), outputs, n_passes,
                      columns)
