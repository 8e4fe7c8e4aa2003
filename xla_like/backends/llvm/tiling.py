"""Blocked loop nests: very long elementwise kernels cut into segments, and column
reductions reduced a block of columns at a time.  Both split the innermost kept loop
into blocks of BLOCK elements (``build_blocked``)."""
from llvmlite import ir

from xla_like.backends.llvm.emitters import (EMIT, I64, close_loops, emit_apply,
                                             open_loops)
from xla_like.backends.llvm.lltypes import register_type
from xla_like.backends.llvm.plan import Apply, Reduced
from xla_like.backends.llvm.reductions import initial_state, result, state_types, step


# ---- very long elementwise bodies ------------------------------------------------------------

# The loop vectorizer's time grows faster than linearly with the size of a loop body
# (measured: 1.0 s for 5,000 chained equations, 12 s for 10,000).  An elementwise
# kernel with more than SEGMENT_NODES computed nodes is therefore blocked: its
# innermost loop runs over blocks of BLOCK elements, and each block runs the body as
# a sequence of *segment* loops of about SEGMENT_INSTRUCTIONS LLVM instructions each.
# Values a later segment needs go through a stack array of BLOCK elements (L1-resident);
# loads and constants are simply re-emitted.  Each segment is vectorized on its own,
# so compile time stays linear; the cost at run time is one L1 store and load per
# value crossing a segment boundary.  Cuts prefer points few values cross: the stack
# holds BLOCK elements per crossing value for the kernel's lifetime.
SEGMENT_NODES = 400
SEGMENT_INSTRUCTIONS = 1000
MAX_CROSSING = 16       # preferred bound on values crossing a cut (stack: 2 KB each)
BLOCK = 256


def blocked(plan):
    """Whether ``plan`` is built by ``build_blocked``."""
    long = plan.n_passes == 0 and sum(isinstance(n, Apply) for n in plan.nodes) > SEGMENT_NODES
    return long or plan.columns


def build_blocked(b, fn, plan, body, bounds, start):
    """The loop nest of a blocked kernel: outer loops, then blocks of the innermost."""
    outer = open_loops(b, fn, bounds[:-1], "k", start)
    lo = start if len(bounds) == 1 else ir.Constant(I64, 0)
    segmenter = (_ColumnTile if plan.columns else _Segmenter)(b, fn, plan, body)
    preheader, header = b.block, fn.append_basic_block("block")
    b.branch(header)
    b.position_at_end(header)
    first = b.phi(I64, name="block")
    first.add_incoming(lo, preheader)
    width = ir.Constant(I64, BLOCK)
    remaining = b.sub(bounds[-1], first)
    count = b.select(b.icmp_signed("<", remaining, width), remaining, width)
    segmenter.run([loop.index for loop in outer], first, count)
    following = b.add(first, width)
    first.add_incoming(following, b.block)
    exit_block = fn.append_basic_block("block.exit")
    b.cbranch(b.icmp_signed("<", following, bounds[-1]), header, exit_block)
    b.position_at_end(exit_block)
    close_loops(b, fn, outer, "k")


class _Segmenter:
    """Emits one block's body as consecutive segment loops (see above)."""

    def __init__(self, b, fn, plan, body):
        self.b, self.fn, self.plan, self.body = b, fn, plan, body
        self.entry = ir.IRBuilder(fn.entry_basic_block)
        self.entry.position_at_start(fn.entry_basic_block)
        self.spilled = {}                   # node id -> [BLOCK x T] stack array
        self.last_use = {}
        for i, node in enumerate(plan.nodes):
            for a in getattr(node, "args", ()):
                self.last_use[a] = i
        self.outputs_of = {}
        for k, o in enumerate(plan.outputs):
            self.outputs_of.setdefault(o.node, []).append((k, o))

    def _open(self, outer, first, count):
        (loop,) = open_loops(self.b, self.fn, [count], "seg")
        self.j = loop.index
        self.indices = outer + [self.b.add(first, loop.index, flags=("nuw", "nsw"))]
        self.values = {}
        return [loop]

    def _slot(self, node_id):
        array = self.spilled[node_id]
        return self.b.gep(array, [ir.Constant(I64, 0), self.j], inbounds=True)

    def _value(self, node_id):
        """Make ``node_id``'s value available in the current segment."""
        if node_id in self.values:
            return
        node = self.plan.nodes[node_id]
        if isinstance(node, Apply):
            self.values[node_id] = self.b.load(self._slot(node_id))
        else:
            self.values[node_id] = EMIT[type(node)](self.b, node, self.body.params,
                                                    self.indices, self.values)

    def _crossing(self, upto):
        """Values computed in this segment that nodes after ``upto`` still read."""
        return [node_id for node_id in self.values
                if self.last_use.get(node_id, -1) > upto and node_id not in self.spilled
                and isinstance(self.plan.nodes[node_id], Apply)]

    def _cut_here(self, upto):
        """Cut after ``upto`` once the segment is long enough, preferring points few
        values cross (each costs a stack array), up to 4x the instruction budget."""
        size = len(self.b.block.instructions)
        if size <= SEGMENT_INSTRUCTIONS:
            return False
        return size > 4 * SEGMENT_INSTRUCTIONS or len(self._crossing(upto)) <= MAX_CROSSING

    def _spill(self, upto):
        """Save the values computed so far that nodes after ``upto`` still read."""
        for node_id in self._crossing(upto):
            ty = ir.ArrayType(register_type(self.plan.nodes[node_id].dtype), BLOCK)
            self.spilled[node_id] = self.entry.alloca(ty)
            self.b.store(self.values[node_id], self._slot(node_id))

    def _store_outputs(self, node_id):
        self._value(node_id)
        self.body.store(self.outputs_of.get(node_id, ()), self.indices, self.values)

    def run(self, outer, first, count):
        applies = [i for i, n in enumerate(self.plan.nodes) if isinstance(n, Apply)]
        loops = self._open(outer, first, count)
        for i in applies:
            for a in self.plan.nodes[i].args:
                self._value(a)
            self.values[i] = emit_apply(self.b, self.plan.nodes[i], self.body.params,
                                        self.indices, self.values)
            self._store_outputs(i)
            if i != applies[-1] and self._cut_here(i):
                self._spill(i)
                close_loops(self.b, self.fn, loops, "seg")
                loops = self._open(outer, first, count)
        for node_id in self.outputs_of:
            if not isinstance(self.plan.nodes[node_id], Apply):
                self._store_outputs(node_id)
        close_loops(self.b, self.fn, loops, "seg")


# ---- column reductions ---------------------------------------------------------------------

class _ColumnTile:
    """One block of a column reduction (reduced axes before the innermost kept axis).

    Reading a reduced row element by element would stride through memory, so the
    block's BLOCK columns are reduced together: accumulators live in stack arrays of
    BLOCK elements; per pass (plan.py's levels: batch-norm style ``x - mean(x, 0)``
    takes two) the reduced loops run outside and the block's columns inside
    (contiguous, vectorized); then the row outputs of the block are computed from the
    accumulators.  Values that do not vary along the reduced axes (loads of kept-shape
    inputs, finished reductions of earlier passes) are recomputed per reduced index.
    """

    def __init__(self, b, fn, plan, body):
        self.b, self.fn, self.plan, self.body = b, fn, plan, body
        entry = ir.IRBuilder(fn.entry_basic_block)
        entry.position_at_start(fn.entry_basic_block)
        self.accs = [[entry.alloca(ir.ArrayType(ty, BLOCK)) for ty in state_types(r.eqn)]
                     for r in plan.reductions]

    def _slots(self, k, column):
        """Pointers to reduction ``k``'s state for ``column`` of the block."""
        return [self.b.gep(array, [ir.Constant(I64, 0), column], inbounds=True)
                for array in self.accs[k]]

    def _columns(self, count):
        (loop,) = open_loops(self.b, self.fn, [count], "col")
        return loop

    def _closure(self, roots):
        plan, needed = self.plan, set(roots)
        for i in reversed(range(len(plan.nodes))):
            if i in needed and isinstance(plan.nodes[i], Apply):
                needed.update(plan.nodes[i].args)
        return sorted(needed)

    def _emit(self, roots, indices, column):
        """Values of ``roots`` and what they need at this point of the block;
        finished reductions are read from their accumulators at ``column``."""
        b, plan, values = self.b, self.plan, {}
        for i in self._closure(roots):
            node = plan.nodes[i]
            if isinstance(node, Reduced):
                state = [b.load(slot) for slot in self._slots(node.reduction, column)]
                values[i] = result(plan.reductions[node.reduction].eqn, b, state)
            else:
                values[i] = EMIT[type(node)](b, node, self.body.params, indices, values)
        return values

    def run(self, outer, first, count):
        for level in range(self.plan.n_passes):
            mine = [k for k, r in enumerate(self.plan.reductions)
                    if self.plan.levels[r.arg] == level]
            self._start(mine, count)
            if self.plan.inner_size:            # an empty reduced extent: identities
                self._accumulate(level, mine, outer, first, count)
        self._finish(outer, first, count)

    def _start(self, mine, count):
        loop = self._columns(count)
        for k in mine:
            for slot, value in zip(self._slots(k, loop.index),
                                   initial_state(self.plan.reductions[k].eqn)):
                self.b.store(value, slot)
        close_loops(self.b, self.fn, [loop], "col")

    def _accumulate(self, level, mine, outer, first, count):
        """Pass ``level``: reduced loops outside, the block's columns inside."""
        b, plan = self.b, self.plan
        inner = open_loops(b, self.fn, [ir.Constant(I64, s)
                                        for s in plan.loop_sizes[plan.n_outer:]], "r")
        loop = self._columns(count)
        column = b.add(first, loop.index, flags=("nuw", "nsw"))
        indices = outer + [column] + [r.index for r in inner]
        full = [(k, o) for k, o in enumerate(plan.outputs)
                if o.full and plan.levels[o.node] == level]
        roots = [plan.reductions[k].arg for k in mine] + [o.node for _, o in full]
        values = self._emit(roots, indices, loop.index)
        for k in mine:
            reduction, slots = plan.reductions[k], self._slots(k, loop.index)
            state = step(reduction.eqn, b, [b.load(slot) for slot in slots],
                         values[reduction.arg], inner[-1].index)
            for slot, value in zip(slots, state):
                b.store(value, slot)
        self.body.store(full, indices, values)
        close_loops(b, self.fn, [loop], "col")
        close_loops(b, self.fn, inner, "r")

    def _finish(self, outer, first, count):
        """The row outputs of the block, from the accumulators."""
        b, plan = self.b, self.plan
        loop = self._columns(count)
        indices = outer + [b.add(first, loop.index, flags=("nuw", "nsw"))]
        rows = [(k, o) for k, o in enumerate(plan.outputs) if not o.full]
        values = self._emit([o.node for _, o in rows], indices, loop.index)
        self.body.store(rows, indices, values)
        close_loops(b, self.fn, [loop], "col")
