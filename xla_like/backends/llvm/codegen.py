"""Emitting a ``KernelPlan`` as one LLVM function.

The function is ``void name(ptr p0, ..., ptr pN, ptr out0, ..., ptr outM, i64 start,
i64 stop)``: one pointer per program input, then per program constant, then per
output; all are ``noalias`` (outputs are fresh arrays; inputs are only read) so the
loop vectorizer needs no runtime overlap checks.  ``[start, stop)`` is the range of
the outermost loop this call runs, so threads can split it (parallel.py).

The body is a nest of counted loops, one per collapsed outer dimension, with
compile-time trip counts and strides (shapes are static).  Inside, per pass (see
plan.py): the values that do not vary along the reduced dimensions, then a nest of
inner loops that computes the varying values, accumulates the reductions and stores
the full-shape outputs.  Accumulators live in ``alloca`` slots that SROA turns into
loop-carried registers, which the loop vectorizer then splits into partial results.
After the last pass the row outputs are stored.  Two shapes of kernel get a blocked
nest instead (tiling.py): very long elementwise bodies (cut into segment loops, so
compile time stays linear) and column reductions (a block of columns at a time).
"""
from llvmlite import ir

from xla_like.backends.llvm import tiling
from xla_like.backends.llvm.emitters import (EMIT, I64, close_loops, offset, open_loops,
                                             store_value)
from xla_like.backends.llvm.plan import Apply, Reduced
from xla_like.backends.llvm.reductions import initial_state, result, state_types, step

_PTR = ir.PointerType()

# Elementwise loops (no reduction) over at least INTERLEAVE_MIN_ELEMENTS, with at most
# INTERLEAVE_MAX_NODES planned nodes, ask the vectorizer to interleave INTERLEAVE
# vector iterations: its cost model picks 1 for long bodies, which leaves the core's
# other ports idle along each element's dependency chain.  Measured on the 11-op
# chain (f32[2^22], one thread, AVX-512): 4.3 ms of CPU time plain, 3.65 ms
# interleaved twice, 3.4 ms four times, bit-identical results.  Small loops and long
# bodies keep the default (code size and compile time grow with the count).
INTERLEAVE = 4
INTERLEAVE_MIN_ELEMENTS = 1 << 14
INTERLEAVE_MAX_NODES = 64


def interleave_count(plan):
    """The interleave count hint for ``plan``'s innermost loop, or None."""
    elementwise = len(plan.loop_sizes) == plan.n_outer and not plan.reductions
    if elementwise and plan.loop_sizes[plan.n_outer - 1] >= INTERLEAVE_MIN_ELEMENTS \
            and len(plan.nodes) <= INTERLEAVE_MAX_NODES:
        return INTERLEAVE
    return None


# ---- the function ------------------------------------------------------------------------

class _Body:
    """Emits the loop body of one plan into ``fn``."""

    def __init__(self, b, fn, plan):
        self.b, self.fn, self.plan = b, fn, plan
        n_params = len(plan.param_avals)
        self.params = fn.args[:n_params]
        self.outs = fn.args[n_params:n_params + len(plan.out_avals)]
        self.indices = []
        self.scope = {}         # node id -> value, for values computed once per row
        self.accs = [[b.alloca(ty) for ty in state_types(r.eqn)] for r in plan.reductions]
        self.reduced_node = {n.reduction: i for i, n in enumerate(plan.nodes)
                             if isinstance(n, Reduced)}

    def emit_row_values(self, level):
        """The non-varying nodes of ``level``, into the per-row scope."""
        plan = self.plan
        for i, node in enumerate(plan.nodes):
            if plan.levels[i] == level and not plan.varying[i] and not isinstance(node, Reduced):
                self.scope[i] = EMIT[type(node)](self.b, node, self.params, self.indices,
                                                 self.scope)

    def _needed(self, roots):
        """Varying nodes the ``roots`` depend on (nodes are in dependency order)."""
        plan, needed = self.plan, set(roots)
        for i in reversed(range(len(plan.nodes))):
            node = plan.nodes[i]
            if i in needed and isinstance(node, Apply):
                needed.update(a for a in node.args if plan.varying[a])
        return sorted(i for i in needed if plan.varying[i])

    def emit_pass(self, level):
        """Pass ``level`` over the inner loops: reductions and full outputs of that level."""
        b, plan = self.b, self.plan
        mine = [k for k, r in enumerate(plan.reductions) if plan.levels[r.arg] == level]
        for k in mine:
            for slot, value in zip(self.accs[k], initial_state(plan.reductions[k].eqn)):
                b.store(value, slot)
        outputs = [(k, o) for k, o in enumerate(plan.outputs)
                   if o.full and plan.levels[o.node] == level]
        if plan.inner_size:
            loops = open_loops(b, self.fn, [ir.Constant(I64, s)
                                            for s in plan.loop_sizes[plan.n_outer:]], "r")
            indices = self.indices + [loop.index for loop in loops]
            values = dict(self.scope)
            roots = [plan.reductions[k].arg for k in mine] + [o.node for _, o in outputs]
            for i in self._needed(roots):
                node = plan.nodes[i]
                values[i] = EMIT[type(node)](b, node, self.params, indices, values)
            for k in mine:
                reduction = plan.reductions[k]
                state = [b.load(slot) for slot in self.accs[k]]
                state = step(reduction.eqn, b, state, values[reduction.arg], loops[-1].index)
                for slot, value in zip(self.accs[k], state):
                    b.store(value, slot)
            self.store(outputs, indices, values)
            close_loops(b, self.fn, loops, "r")
        for k in mine:
            state = [b.load(slot) for slot in self.accs[k]]
            self.scope[self.reduced_node[k]] = result(plan.reductions[k].eqn, b, state)

    def store(self, outputs, indices, values):
        """Store each (output number, Output) at its offset."""
        for k, o in outputs:
            store_value(self.b, values[o.node], self.plan.out_avals[k].dtype, self.outs[k],
                        offset(self.b, indices, o.strides))


def build_function(module, plan, name):
    """Add the kernel for ``plan`` to ``module`` (an ``llvmlite.ir.Module``).

    >>> build_function(ir.Module(), make_plan(program), "kernel")
    """
    n_ptrs = len(plan.param_avals) + len(plan.out_avals)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * n_ptrs + [I64, I64]),
                     name)
    for arg in fn.args[:n_ptrs]:
        arg.add_attribute("noalias")
        arg.add_attribute("captures(none)")
    fn.attributes.add("nounwind")
    start, stop = fn.args[n_ptrs:]
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    body = _Body(b, fn, plan)
    done = fn.append_basic_block("done")
    work = fn.append_basic_block("work")
    b.cbranch(b.icmp_signed("<", start, stop), work, done)
    b.position_at_end(work)
    bounds = [stop] + [ir.Constant(I64, s) for s in plan.loop_sizes[1:plan.n_outer]]
    if tiling.blocked(plan):
        tiling.build_blocked(b, fn, plan, body, bounds, start)
        b.branch(done)
        b.position_at_end(done)
        b.ret_void()
        return fn
    loops = open_loops(b, fn, bounds, "k", start)
    body.indices = [loop.index for loop in loops]
    for level in range(plan.n_passes):
        body.emit_row_values(level)
        body.emit_pass(level)
    body.emit_row_values(plan.n_passes)
    body.store([(k, o) for k, o in enumerate(plan.outputs) if not o.full], body.indices,
               body.scope)
    close_loops(b, fn, loops, "k", interleave_count(plan))
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    return fn
