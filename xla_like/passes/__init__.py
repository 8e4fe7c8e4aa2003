"""Compiler passes over the IR, each a function ``Program -> Program``.

    inline.py    inline_calls: jit/remat/custom-derivative calls become their bodies
    dots.py      dot_strength_reduction: dot_generals that are not matrix products
                 become broadcast/mul/reduce_sum, which fuse
    simplify.py  algebraic_simplification: exact identities (x*1, neg(neg x), ...)
    fold.py      constant_folding: small equations with only constant inputs
    cse.py       common_subexpression_elimination
    dce.py       dead_code_elimination
    fusion.py    partition: the optimized program as a list of steps (fused loop
                 kernels, BLAS calls, reference calls) for a backend
    buffers.py   buffer_plan: when each value dies, and which buffers can be reused

Effectful equations (``prim.effectful``) are never deleted, merged, folded or
reordered by any pass.
"""
from xla_like.passes.cse import common_subexpression_elimination
from xla_like.passes.dce import dead_code_elimination
from xla_like.passes.dots import dot_strength_reduction
from xla_like.passes.fold import constant_folding
from xla_like.passes.inline import inline_calls
from xla_like.passes.simplify import algebraic_simplification
from xla_like.typecheck import typecheck

__all__ = ["optimize", "inline_calls", "dot_strength_reduction", "algebraic_simplification",
           "constant_folding", "common_subexpression_elimination", "dead_code_elimination"]

# One round; each pass exposes work for the next (folding creates literals that
# simplification uses, simplification and CSE leave dead equations for DCE).
PIPELINE = (inline_calls, dot_strength_reduction, algebraic_simplification, constant_folding,
            algebraic_simplification, common_subexpression_elimination,
            dead_code_elimination)
MAX_ROUNDS = 4


def optimize(program, check=True):
    """Run ``PIPELINE`` until nothing changes (at most ``MAX_ROUNDS`` rounds); the
    result computes the same outputs and (with ``check``) passes ``typecheck``.

    >>> p = make_ir(lambda x: (fnp.sin(x) * 1.0 + fnp.sin(x), fnp.cos(x))[0])(x)
    >>> [e.prim.name for e in optimize(p).eqns]
    ['sin', 'add']
    """
    for _ in range(MAX_ROUNDS):
        before = program
        for run_pass in PIPELINE:
            program = run_pass(program)
        if program is before:
            break
    if check:
        typecheck(program)
    return program
