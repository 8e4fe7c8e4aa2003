"""Which equations and regions the LLVM loop-kernel compiler accepts.

This is the contract with the fusion pass (xla_like/passes):

``fusible(eqn)``
    May ``eqn`` be a member of a loop kernel?  True for: every primitive of the
    elementwise lowering table (rules.py) on operand dtypes its rule handles;
    ``broadcast_in_dim``, ``expand_dims``, ``squeeze``, ``transpose`` and ``reshape``s
    that only add or drop size-1 axes (views: no code, strided reads);
    ``iota``; the reductions ``reduce_sum``/``prod``/``max``/``min``/``and``/``or`` over
    any axes, and ``argmax``/``argmin`` (reductions.py).  Every value must have a
    lowerable dtype (bool, int8..int64, uint8..uint64, float32, float64; float16 and
    complex are refused by name).  Never for effectful primitives.

``kernel_compatible(program)``
    Can this region (all of whose equations are fusible) become ONE kernel?  Cheap: it
    plans the loops in Python, no LLVM.  The shape rules it checks:

    1. Reductions (with non-empty axes) all reduce operands of one shape ``L`` over
       the same axes ``R``.  Without reductions, all outputs share one shape (``L``).
    2. Every output has shape ``L``, the reduced shape ``K`` (``L`` without ``R``), or
       ``L`` with the ``R`` axes kept as size 1.
    3. A reduction's result may be used elementwise afterwards, and broadcast back
       along ``R`` (``x - max(x, axis=1, keepdims=True)``) -- even to feed another
       reduction of the same region (logsumexp, softmax: the kernel then makes one
       pass over each row per level, see plan.py) -- but it is never broadcast
       *onto* a reduced axis (e.g. ``sum(x, 1)[None, :]`` for a square ``x``) and never
       reduced again (a reduction's operand must have shape ``L``).
    4. Reading a value under a placement never needs elements to move: a ``reshape``
       that is not a unit-axis reshape is not fusible at all.

    Any reduced axes work; reducing the trailing axis streams rows, reducing leading
    axes (``sum(x, axis=0)``, batch-norm statistics) accumulates a block of 256
    columns at a time (tiling.py).

    ``compile_kernel`` raises ``NotImplementedError`` (with the reason) exactly when
    ``kernel_compatible`` is False.  A region program's invars are its inputs (any
    value computed outside the region), its constvars hold constants, its outvars
    every value used outside the region.
"""
import numpy as np

from xla_like import primitives as P
from xla_like.backends.llvm.lltypes import REGISTER_TYPES, check_dtype
from xla_like.backends.llvm.placement import VIEW_PLACEMENTS, moves_elements, unsupported
from xla_like.backends.llvm.reductions import ARG_REDUCERS, REDUCERS
from xla_like.backends.llvm.rules import LOWERING_KINDS, LOWERINGS


def _view_problem(eqn):
    if eqn.prim is P.reshape_p:
        in_shape, out_shape = eqn.inputs[0].aval.shape, eqn.outputs[0].aval.shape
        if moves_elements(in_shape, out_shape):
            return (f"reshape {eqn.inputs[0].aval} -> {out_shape} moves elements (only "
                    "reshapes that add or drop size-1 axes are fusible)")
    return None


def _rule_problem(eqn):
    kinds = LOWERING_KINDS.get(eqn.prim)
    if kinds is None or not eqn.inputs or eqn.inputs[0].aval.dtype.kind in kinds:
        return None
    return f"'{eqn.prim.name}' has no lowering for {eqn.inputs[0].aval.dtype}"


def _reduction_problem(eqn):
    if eqn.inputs[0].aval.dtype.kind in REDUCERS[eqn.prim].kinds:
        return None
    return f"'{eqn.prim.name}' has no loop lowering for {eqn.inputs[0].aval.dtype}"


def _no_problem(eqn):
    return None


def _arg_problem(eqn):
    if eqn.inputs[0].aval.dtype.kind in "biuf":
        return None
    return f"'{eqn.prim.name}' has no loop lowering for {eqn.inputs[0].aval.dtype}"


# prim group -> check returning a reason or None; membership decides fusibility at all
_MEMBER_CHECKS = [(VIEW_PLACEMENTS, _view_problem), (REDUCERS, _reduction_problem),
                  (ARG_REDUCERS, _arg_problem),
                  (LOWERINGS, _rule_problem), ({P.iota_p: None}, _no_problem)]


def _why_not_fusible(eqn):
    """None if ``eqn`` is fusible, else the reason."""
    if eqn.prim.effectful:
        return f"'{eqn.prim.name}' is effectful"
    for atom in eqn.inputs + eqn.outputs:
        if np.dtype(atom.aval.dtype) not in REGISTER_TYPES:
            return (f"'{eqn.prim.name}' has a value of dtype {atom.aval.dtype} (supported: "
                    f"{', '.join(str(d) for d in REGISTER_TYPES)})")
    for table, check in _MEMBER_CHECKS:
        if eqn.prim in table:
            return check(eqn)
    return f"primitive '{eqn.prim.name}' has no loop-kernel lowering"


def fusible(eqn):
    """Whether ``eqn`` may be a member of a loop kernel (see the module docstring).

    >>> fusible(make_ir(lambda x: fnp.exp(x))(np.ones(3)).eqns[0])
    True
    """
    return _why_not_fusible(eqn) is None


def check_region(program):
    """Raise NotImplementedError naming the first equation, dtype or missing output
    that keeps ``program`` from being a kernel (shape rules are checked by planning)."""
    if not program.outvars:
        raise unsupported("the region has no outputs")
    for var in program.invars + program.constvars + program.outvars:
        check_dtype(var.aval.dtype, f"region input/output {var.aval}")
    for eqn in program.eqns:
        reason = _why_not_fusible(eqn)
        if reason is not None:
            raise unsupported(reason + "; only elementwise primitives, views, iota and "
                              "reductions can be fused")


def kernel_compatible(program):
    """Whether ``compile_kernel(program)`` would succeed (planning only, no LLVM).

    >>> kernel_compatible(make_ir(lambda x: fnp.sum(fnp.exp(x), axis=1))(np.ones((4, 8))))
    True
    """
    from xla_like.backends.llvm.plan import make_plan
    try:
        make_plan(program)
    except NotImplementedError:
        return False
    return True
