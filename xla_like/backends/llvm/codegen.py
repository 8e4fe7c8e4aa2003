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
Rows of two or more passes are software-pipelined (PIPELINE_ROWS, below), and large
elementwise kernels stream their outputs past the caches (streaming.py: the kernel
is then a small dispatcher over two internal loop functions).
"""
from llvmlite import ir

from xla_like.backends.llvm import streaming, tiling
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

# Row kernels with several passes (logsumexp: max, then the sum of exp(x - max)) read
# each row from memory in pass 0 and from cache in the later passes.  Run one pass
# after another and a core waits on memory in pass 0, then computes from cache with
# the memory bus idle.  With PIPELINE_ROWS, row k+1's pass 0 shares one inner loop
# with row k's pass 1, so the loads of the next row stream in while this one's
# exponentials are computed; the last row of a call redoes its own pass 0 (from
# cache) instead of reading past its range.  Measured (logsumexp rows of
# f32[4096, 4096], one thread, busy machine): 11.4 ms -> 6.2 ms, where the same work
# on rows already in cache takes 4.9 ms.
PIPELINE_ROWS = True


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
        self.nontemporal = False        # streaming stores (streaming.py)

    def emit_row_values(self, level, indices=None, scope=None):
        """The non-varying nodes of ``level``, into the per-row scope (or ``scope``,
        for the row at ``indices``)."""
        plan = self.plan
        indices = self.indices if indices is None else indices
        scope = self.scope if scope is None else scope
        for i, node in enumerate(plan.nodes):
            if plan.levels[i] == level and not plan.varying[i] and not isinstance(node, Reduced):
                scope[i] = EMIT[type(node)](self.b, node, self.params, indices, scope)

    def _needed(self, roots):
        """Varying nodes the ``roots`` depend on (nodes are in dependency order)."""
        plan, needed = self.plan, set(roots)
        for i in reversed(range(len(plan.nodes))):
            node = plan.nodes[i]
            if i in needed and isinstance(node, Apply):
                needed.update(a for a in node.args if plan.varying[a])
        return sorted(i for i in needed if plan.varying[i])

    def _mine(self, level):
        """Reductions accumulated in pass ``level`` and full outputs stored there."""
        plan = self.plan
        mine = [k for k, r in enumerate(plan.reductions) if plan.levels[r.arg] == level]
        outputs = [(k, o) for k, o in enumerate(plan.outputs)
                   if o.full and plan.levels[o.node] == level]
        return mine, outputs

    def start_pass(self, level):
        """Set the accumulators of pass ``level``'s reductions to their identities."""
        for k in self._mine(level)[0]:
            for slot, value in zip(self.accs[k], initial_state(self.plan.reductions[k].eqn)):
                self.b.store(value, slot)

    def pass_body(self, level, indices, scope):
        """One element of pass ``level`` inside the inner loops (at ``indices``, row
        values from ``scope``): accumulate its reductions, store its full outputs."""
        b, plan = self.b, self.plan
        mine, outputs = self._mine(level)
        values = dict(scope)
        roots = [plan.reductions[k].arg for k in mine] + [o.node for _, o in outputs]
        for i in self._needed(roots):
            node = plan.nodes[i]
            values[i] = EMIT[type(node)](b, node, self.params, indices, values)
        for k in mine:
            reduction = plan.reductions[k]
            state = [b.load(slot) for slot in self.accs[k]]
            state = step(reduction.eqn, b, state, values[reduction.arg], indices[-1])
            for slot, value in zip(self.accs[k], state):
                b.store(value, slot)
        self.store(outputs, indices, values)

    def finish_pass(self, level):
        """Read pass ``level``'s finished reductions into the row scope."""
        for k in self._mine(level)[0]:
            state = [self.b.load(slot) for slot in self.accs[k]]
            self.scope[self.reduced_node[k]] = result(self.plan.reductions[k].eqn, self.b, state)

    def open_inner(self):
        return open_loops(self.b, self.fn, [ir.Constant(I64, s)
                                            for s in self.plan.loop_sizes[self.plan.n_outer:]],
                          "r")

    def emit_pass(self, level):
        """Pass ``level`` over the inner loops: reductions and full outputs of that level."""
        self.start_pass(level)
        if self.plan.inner_size:
            loops = self.open_inner()
            self.pass_body(level, self.indices + [loop.index for loop in loops], self.scope)
            close_loops(self.b, self.fn, loops, "r")
        self.finish_pass(level)

    def store(self, outputs, indices, values):
        """Store each (output number, Output) at its offset."""
        for k, o in outputs:
            store_value(self.b, values[o.node], self.plan.out_avals[k].dtype, self.outs[k],
                        offset(self.b, indices, o.strides), self.nontemporal)


def pipelined(plan):
    """Whether ``plan``'s rows are software-pipelined (``_build_pipelined``): a kernel
    over rows (one outer loop) with at least two passes, where pass 0 accumulates."""
    return (PIPELINE_ROWS and not tiling.blocked(plan) and plan.n_outer == 1
            and plan.n_passes >= 2 and plan.inner_size > 0
            and any(plan.levels[r.arg] == 0 for r in plan.reductions))


def _build_pipelined(b, fn, body, start, stop):
    """Row k's pass 1 and row k+1's pass 0 in one inner loop (see PIPELINE_ROWS)."""
    plan = body.plan
    body.indices = [start]                              # prologue: pass 0 of the first row
    body.emit_row_values(0)
    body.emit_pass(0)
    (loop,) = open_loops(b, fn, [stop], "k", start)
    row = loop.index
    following = b.add(row, ir.Constant(I64, 1), flags=("nuw", "nsw"))
    # the last row re-reads itself (from cache) rather than a row past its chunk
    upcoming = b.select(b.icmp_signed("<", following, stop), following, row)
    body.indices, body.scope = [row], {}
    body.emit_row_values(0)
    body.finish_pass(0)                                 # row k's pass-0 results
    body.emit_row_values(1)
    upcoming_scope = {}
    body.emit_row_values(0, [upcoming], upcoming_scope)
    body.start_pass(1)
    body.start_pass(0)
    inner = body.open_inner()
    positions = [r.index for r in inner]
    body.pass_body(1, [row] + positions, body.scope)
    body.pass_body(0, [upcoming] + positions, upcoming_scope)
    close_loops(b, fn, inner, "r")
    body.finish_pass(1)
    for level in range(2, plan.n_passes):
        body.emit_row_values(level)
        body.emit_pass(level)
    body.emit_row_values(plan.n_passes)
    body.store([(k, o) for k, o in enumerate(plan.outputs) if not o.full], body.indices,
               body.scope)
    close_loops(b, fn, [loop], "k")


def build_function(module, plan, name):
    """Add the kernel for ``plan`` to ``module`` (an ``llvmlite.ir.Module``).

    >>> build_function(ir.Module(), make_plan(program), "kernel")
    """
    if not streaming.streams(plan, str(module.triple)):
        return _build_kernel(module, plan, name)
    plain = _build_kernel(module, plan, name + ".rows")
    stream = _build_stream(module, plan, name + ".stream")
    for helper in (plain, stream):
        helper.linkage = "internal"
        helper.attributes.add("noinline")      # one copy each; keeps align 64 (below)
    return streaming.build_dispatcher(module, plan, name, plain, stream)


def _new_function(module, plan, name):
    n_ptrs = len(plan.param_avals) + len(plan.out_avals)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * n_ptrs + [I64, I64]),
                     name)
    for arg in fn.args[:n_ptrs]:
        arg.add_attribute("noalias")
        arg.add_attribute("captures(none)")
    fn.attributes.add("nounwind")
    return fn


def _build_kernel(module, plan, name):
    """The kernel function ``name(ptrs..., start, stop)`` with ordinary stores."""
    fn = _new_function(module, plan, name)
    start, stop = fn.args[-2:]
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    body = _Body(b, fn, plan)
    done = fn.append_basic_block("done")
    work = fn.append_basic_block("work")
    b.cbranch(b.icmp_signed("<", start, stop), work, done)
    b.position_at_end(work)
    bounds = [stop] + [ir.Constant(I64, s) for s in plan.loop_sizes[1:plan.n_outer]]
    if tiling.blocked(plan):
        tiling.build_blocked(b, fn, plan, body, bounds, start)
    elif pipelined(plan):
        _build_pipelined(b, fn, body, start, stop)
    else:
        _build_rows(b, fn, body, bounds, start)
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    return fn


def _build_stream(module, plan, name):
    """``name(params..., outs..., head, count)`` for a streaming elementwise plan:
    elements [head, head + count) (count >= 1) with non-temporal stores to outputs
    that point at element ``head`` and are 64-byte aligned (``align 64``: the
    vectorizer's stores are then aligned, as x86's non-temporal stores require)."""
    fn = _new_function(module, plan, name)
    for arg in fn.args[len(plan.param_avals):-2]:
        arg.attributes.align = streaming.ALIGN
    head, count = fn.args[-2:]
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    body = _Body(b, fn, plan)
    body.nontemporal = True
    loops = open_loops(b, fn, [count], "k")
    body.indices = [b.add(head, loops[0].index, flags=("nuw", "nsw"))]
    body.emit_row_values(0)
    body.store(list(enumerate(plan.outputs)), [loops[0].index], body.scope)
    close_loops(b, fn, loops, "k", interleave_count(plan))
    b.ret_void()
    return fn


def _build_rows(b, fn, body, bounds, start):
    """The plain loop nest: per row, its passes one after another."""
    plan = body.plan
    loops = open_loops(b, fn, bounds, "k", start)
    body.indices = [loop.index for loop in loops]
    for level in range(plan.n_passes):
        body.emit_row_values(level)
        body.emit_pass(level)
    body.emit_row_values(plan.n_passes)
    body.store([(k, o) for k, o in enumerate(plan.outputs) if not o.full], body.indices,
               body.scope)
    close_loops(b, fn, loops, "k", interleave_count(plan))
