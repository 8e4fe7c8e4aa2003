"""Planning an elementwise ``Program`` as one loop nest over its output shape.

Every value is computed *per output element*.  A value of shape ``s`` is placed in
the output index space by a *placement*: for each of its axes, the output dimension
it runs along (``None`` for size-1 axes, which broadcast).  An output has the identity
placement; an elementwise equation passes its placement to its operands (a 0-d
operand gets ``()``); ``broadcast_in_dim`` maps it through ``broadcast_dimensions``.
So a program input is read with strides derived from how it was broadcast — any
broadcasting works, including scalars, rows, columns and outer products — and values
that do not vary along the inner loop (scalars, broadcast rows) are loop-invariant,
which LLVM hoists.

The plan lists *nodes* in dependency order (found with an explicit stack, never by
recursion): ``Load`` (read a buffer at strided offsets), ``Const`` (a literal) and
``Apply`` (run one equation on earlier nodes).  A value needed under two placements
(``x[:, None] * x[None, :]``) becomes two nodes.  Finally adjacent output dimensions
are merged wherever every buffer is contiguous across them, so the common cases
(same-shape operands, scalars) become a single flat loop.
"""
from typing import NamedTuple

import numpy as np

from xla_like import primitives as P
from xla_like.backends.llvm.lltypes import check_dtype
from xla_like.backends.llvm.rules import LOWERINGS
from xla_like.ir import Literal


class Load(NamedTuple):
    """Element of parameter buffer ``param`` at ``sum(i_d * strides[d])``."""
    param: int
    strides: tuple
    dtype: np.dtype


class Const(NamedTuple):
    value: object
    dtype: np.dtype


class Apply(NamedTuple):
    """``eqn`` applied to the values of nodes ``args``."""
    eqn: object
    args: tuple
    dtype: np.dtype


class KernelPlan(NamedTuple):
    """``params`` are the program's inputs then its constants; outputs are written
    contiguously in the ``loop_sizes`` nest (output stride = flat index)."""
    param_avals: tuple
    out_avals: tuple
    out_shape: tuple
    loop_sizes: tuple
    nodes: tuple
    outputs: tuple


def _unsupported(message):
    return NotImplementedError(f"compile_elementwise: {message}")


# ---- placements ----------------------------------------------------------------------

def _elementwise_placements(eqn, placement):
    out_shape = eqn.outputs[0].aval.shape
    deps = []
    for atom in eqn.inputs:
        if atom.aval.shape == out_shape:
            deps.append((atom, placement))
        elif atom.aval.shape == ():
            deps.append((atom, ()))
        else:
            raise _unsupported(f"'{eqn.prim.name}' mixes operand shapes {atom.aval} and "
                               f"{eqn.outputs[0].aval}")
    return deps


def _broadcast_placements(eqn, placement):
    (x,) = eqn.inputs
    dims = eqn.params["broadcast_dimensions"]
    return [(x, tuple(None if size == 1 else placement[d]
                      for size, d in zip(x.aval.shape, dims)))]


def _expand_dims_placements(eqn, placement):
    dims = set(eqn.params["dimensions"])
    return [(eqn.inputs[0], tuple(p for d, p in enumerate(placement) if d not in dims))]


def _squeeze_placements(eqn, placement):
    (x,) = eqn.inputs
    dims, kept = set(eqn.params["dimensions"]), iter(placement)
    return [(x, tuple(None if d in dims else next(kept) for d in range(x.aval.ndim)))]


def _reshape_placements(eqn, placement):
    """A reshape that only inserts or removes size-1 axes re-indexes like a view."""
    (x,) = eqn.inputs
    out_shape = eqn.outputs[0].aval.shape
    if [s for s in x.aval.shape if s != 1] != [s for s in out_shape if s != 1]:
        raise _unsupported(f"reshape {x.aval} -> {out_shape} moves elements; only "
                           "reshapes that add or drop size-1 axes can be compiled")
    kept = iter(p for s, p in zip(out_shape, placement) if s != 1)
    return [(x, tuple(None if s == 1 else next(kept) for s in x.aval.shape))]


# Primitives that only re-index their operand: no code, the operand's node is reused.
VIEW_PLACEMENTS = {P.broadcast_in_dim_p: _broadcast_placements,
                   P.expand_dims_p: _expand_dims_placements,
                   P.squeeze_p: _squeeze_placements,
                   P.reshape_p: _reshape_placements}


def _placements(eqn, placement):
    view = VIEW_PLACEMENTS.get(eqn.prim)
    return (view or _elementwise_placements)(eqn, placement)


def _identity_placement(shape):
    return tuple(None if size == 1 else d for d, size in enumerate(shape))


def _contiguous_strides(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def _load_strides(shape, placement, out_ndim):
    strides = [0] * out_ndim
    for stride, d in zip(_contiguous_strides(shape), placement):
        if d is not None:
            strides[d] = stride
    return tuple(strides)


# ---- checks --------------------------------------------------------------------------

def _check_program(program):
    for eqn in program.eqns:
        if eqn.prim not in LOWERINGS and eqn.prim not in VIEW_PLACEMENTS:
            raise _unsupported(f"primitive '{eqn.prim.name}' is not elementwise or has no "
                               "LLVM lowering; only elementwise primitives and "
                               "broadcast_in_dim/expand_dims/squeeze/unit reshape can be "
                               "compiled")
        for atom in eqn.inputs + eqn.outputs:
            check_dtype(atom.aval.dtype, f"'{eqn.prim.name}' ({atom.aval})")
    for var in program.invars + program.outvars:
        check_dtype(var.aval.dtype, f"program input/output {var.aval}")
    shapes = {atom.aval.shape for atom in program.outvars}
    if len(shapes) > 1:
        raise _unsupported(f"outputs must share one shape, got "
                           f"{', '.join(str(a.aval) for a in program.outvars)}")
    if not program.outvars:
        raise _unsupported("the program has no outputs")


# ---- scheduling ----------------------------------------------------------------------

class _Scheduler:
    def __init__(self, program, out_ndim):
        self.out_ndim = out_ndim
        self.params = {v: i for i, v in enumerate(program.invars + program.constvars)}
        self.producers = {v: eqn for eqn in program.eqns for v in eqn.outputs}
        self.nodes = []
        self.memo = {}

    def _add(self, key, node):
        self.memo[key] = len(self.nodes)
        self.nodes.append(node)

    def _leaf(self, key):
        """Schedule an atom that needs no operands; False if it has a producer."""
        atom, placement = key
        if isinstance(atom, Literal):
            if atom.aval.shape != ():
                raise _unsupported(f"non-scalar literal {atom}")
            self._add(key, Const(atom.value, atom.aval.dtype))
        elif atom in self.params:
            strides = _load_strides(atom.aval.shape, placement, self.out_ndim)
            self._add(key, Load(self.params[atom], strides, atom.aval.dtype))
        else:
            return False
        return True

    def schedule(self, atom, placement):
        """Node id of ``atom`` under ``placement``, scheduling what it needs first."""
        stack = [((atom, placement), False)]
        while stack:
            key, ready = stack.pop()
            if key in self.memo or (not ready and self._leaf(key)):
                continue
            eqn = self.producers[key[0]]
            deps = _placements(eqn, key[1])
            if not ready:
                stack.append((key, True))
                stack.extend((dep, False) for dep in reversed(deps) if dep not in self.memo)
            elif eqn.prim in VIEW_PLACEMENTS:
                self.memo[key] = self.memo[deps[0]]
            else:
                args = tuple(self.memo[dep] for dep in deps)
                self._add(key, Apply(eqn, args, key[0].aval.dtype))
        return self.memo[(atom, placement)]


# ---- loop shape ----------------------------------------------------------------------

def _collapse(shape, stride_vectors):
    """Merge adjacent non-unit dims over which every stride vector is contiguous.
    Returns the loop sizes and a function mapping a stride vector onto them."""
    groups = []
    for d, size in enumerate(shape):
        if size == 1:
            continue
        if groups and all(v[groups[-1][-1]] == v[d] * size for v in stride_vectors):
            groups[-1].append(d)
        else:
            groups.append([d])
    if not groups:
        return (1,), lambda strides: (0,)
    sizes = tuple(int(np.prod([shape[d] for d in g])) for g in groups)
    return sizes, lambda strides: tuple(strides[g[-1]] for g in groups)


def make_plan(program):
    """Plan ``program`` (see the module docstring); raises NotImplementedError naming
    the first primitive, dtype or shape pattern that cannot be compiled."""
    _check_program(program)
    out_shape = program.outvars[0].aval.shape
    scheduler = _Scheduler(program, len(out_shape))
    outputs = tuple(scheduler.schedule(atom, _identity_placement(out_shape))
                    for atom in program.outvars)
    loads = [n for n in scheduler.nodes if isinstance(n, Load)]
    vectors = [n.strides for n in loads] + [_contiguous_strides(out_shape)]
    loop_sizes, project = _collapse(out_shape, vectors)
    nodes = tuple(n._replace(strides=project(n.strides)) if isinstance(n, Load) else n
                  for n in scheduler.nodes)
    params = tuple(v.aval for v in program.invars + program.constvars)
    return KernelPlan(params, tuple(a.aval for a in program.outvars), out_shape,
                      loop_sizes, nodes, outputs)
