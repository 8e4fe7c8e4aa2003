"""Placements: how a value of a fused region is indexed by the kernel's loop space.

A kernel loops over one *loop space* ``L`` (a shape).  Each value is computed per
point of ``L``; a value of shape ``s`` is placed in ``L`` by a *placement*: for each
of its axes, the ``L`` dimension it runs along (``None`` for size-1 axes, which
broadcast).  A consumer's placement determines its operands' placements:

* elementwise: operands of the result's shape share its placement, 0-d ones get ``()``;
* views (``broadcast_in_dim``, ``expand_dims``, ``squeeze``, unit ``reshape``,
  ``transpose``) only re-index, so they cost no code: the operand is read through
  the mapped placement.

Buffers are read at ``sum(i_d * stride_d)`` with strides derived from the placement
(``load_strides``), so any broadcasting or transposition becomes a strided read.
``collapse`` then merges adjacent loop dimensions over which every stride vector is
contiguous, so the common cases become one flat loop.
"""
import numpy as np

from xla_like import primitives as P


def unsupported(message):
    """The error every planning failure raises (helper passes split regions on it)."""
    return NotImplementedError(f"LLVM kernel: {message}")


def _elementwise_placements(eqn, placement):
    out_shape = eqn.outputs[0].aval.shape
    deps = []
    for atom in eqn.inputs:
        if atom.aval.shape == out_shape:
            deps.append((atom, placement))
        elif atom.aval.shape == ():
            deps.append((atom, ()))
        else:
            raise unsupported(f"'{eqn.prim.name}' mixes operand shapes {atom.aval} and "
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


def moves_elements(in_shape, out_shape):
    """Whether a reshape does more than add or drop size-1 axes."""
    return [s for s in in_shape if s != 1] != [s for s in out_shape if s != 1]


def _reshape_placements(eqn, placement):
    """A reshape that only inserts or removes size-1 axes re-indexes like a view."""
    (x,) = eqn.inputs
    out_shape = eqn.outputs[0].aval.shape
    if moves_elements(x.aval.shape, out_shape):
        raise unsupported(f"reshape {x.aval} -> {out_shape} moves elements; only "
                          "reshapes that add or drop size-1 axes can be fused")
    kept = iter(p for s, p in zip(out_shape, placement) if s != 1)
    return [(x, tuple(None if s == 1 else next(kept) for s in x.aval.shape))]


def _transpose_placements(eqn, placement):
    """Output axis i is operand axis perm[i]."""
    perm = eqn.params["permutation"]
    operand = [None] * len(perm)
    for out_axis, in_axis in enumerate(perm):
        operand[in_axis] = placement[out_axis]
    return [(eqn.inputs[0], tuple(operand))]


# Primitives that only re-index their operand: no code, the operand's node is reused.
VIEW_PLACEMENTS = {P.broadcast_in_dim_p: _broadcast_placements,
                   P.expand_dims_p: _expand_dims_placements,
                   P.squeeze_p: _squeeze_placements,
                   P.reshape_p: _reshape_placements,
                   P.transpose_p: _transpose_placements}


def operand_placements(eqn, placement):
    """[(operand atom, its placement)] for ``eqn``'s result placed at ``placement``."""
    view = VIEW_PLACEMENTS.get(eqn.prim)
    return (view or _elementwise_placements)(eqn, placement)


def identity_placement(shape):
    return tuple(None if size == 1 else d for d, size in enumerate(shape))


def contiguous_strides(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def load_strides(shape, placement, space_ndim):
    """Per loop-space dimension, the element stride of a C-contiguous ``shape`` buffer
    read under ``placement`` (0 along dimensions it is broadcast over)."""
    strides = [0] * space_ndim
    for stride, d in zip(contiguous_strides(shape), placement):
        if d is not None:
            strides[d] += stride
    return tuple(strides)


def collapse(shape, dims, stride_vectors):
    """Merge adjacent dims (of the ordered list ``dims``) over which every stride vector
    is contiguous; size-1 dims are dropped.  Returns the groups (lists of dims) and
    their sizes; no groups -> one loop of size 1."""
    groups = []
    for d in dims:
        size = shape[d]
        if size == 1:
            continue
        if groups and all(v[groups[-1][-1]] == v[d] * size for v in stride_vectors):
            groups[-1].append(d)
        else:
            groups.append([d])
    sizes = tuple(int(np.prod([shape[d] for d in g])) for g in groups)
    return groups, sizes
