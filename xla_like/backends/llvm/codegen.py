"""Emitting a ``KernelPlan`` as one LLVM function.

The function is ``void name(ptr p0, ..., ptr pN, ptr out0, ..., ptr outM, i64 start,
i64 stop)``: one pointer per program input, then per program constant, then per
output; all are ``noalias`` (outputs are fresh arrays; inputs are only read) so the
loop vectorizer needs no runtime overlap checks.  ``[start, stop)`` is the range of
the outermost loop this call runs, so threads can split it (engine.py).

The body is a nest of counted loops, one per collapsed outer dimension, with
compile-time trip counts and strides (shapes are static).  Inside, per pass (see
plan.py): the values that do not vary along the reduced dimensions, then a nest of
inner loops that computes the varying values, accumulates the reductions and stores
the full-shape outputs.  Accumulators live in ``alloca`` slots that SROA turns into
loop-carried registers, which the loop vectorizer then splits into partial results.
After the last pass the row outputs are stored.
"""
from llvmlite import ir

from xla_like.backends.llvm.lltypes import memory_type, register_type
from xla_like.backends.llvm.plan import Apply, Const, Index, Load, Reduced
from xla_like.backends.llvm.reductions import REDUCERS, combine, identity_constant
from xla_like.backends.llvm.rules import Site, lower

_I64 = ir.IntType(64)
_PTR = ir.PointerType()


def constant(dtype, value):
    """An LLVM constant of ``dtype``'s register type (bool -> i1)."""
    ty = register_type(dtype)
    if isinstance(ty, ir.IntType):
        v = int(value)
        if ty.width > 1 and v >= 1 << (ty.width - 1):     # unsigned -> two's complement
            v -= 1 << ty.width
        return ir.Constant(ty, v)
    return ir.Constant(ty, float(value))


# ---- loops -----------------------------------------------------------------------------

class _Loop:
    def __init__(self, index, header, bound):
        self.index, self.header, self.bound = index, header, bound


def _open_loops(b, fn, bounds, tag, start=None):
    """Enter one counted loop per bound (the first may start at ``start``).  Loops are
    bottom-tested: callers guarantee every trip count is at least 1."""
    loops = []
    for d, bound in enumerate(bounds):
        preheader = b.block
        header = fn.append_basic_block(f"{tag}{d}")
        b.branch(header)
        b.position_at_end(header)
        index = b.phi(_I64, name=f"{tag}{d}")
        first = start if (d == 0 and start is not None) else ir.Constant(_I64, 0)
        index.add_incoming(first, preheader)
        loops.append(_Loop(index, header, bound))
    return loops


def _close_loops(b, fn, loops, tag):
    """Latch and exit of each loop, innermost first."""
    for d in reversed(range(len(loops))):
        loop = loops[d]
        following = b.add(loop.index, ir.Constant(_I64, 1), flags=("nuw", "nsw"))
        loop.index.add_incoming(following, b.block)
        exit_block = fn.append_basic_block(f"{tag}{d}.exit")
        b.cbranch(b.icmp_signed("<", following, loop.bound), loop.header, exit_block)
        b.position_at_end(exit_block)


def _offset(b, indices, strides):
    """sum(i_d * stride_d) over the non-zero strides, as an i64."""
    total = ir.Constant(_I64, 0)
    for index, stride in zip(indices, strides):
        if stride == 1:
            total = b.add(total, index, flags=("nuw", "nsw"))
        elif stride:
            term = b.mul(index, ir.Constant(_I64, stride), flags=("nuw", "nsw"))
            total = b.add(total, term, flags=("nuw", "nsw"))
    return total


# ---- nodes -----------------------------------------------------------------------------

def _element_pointer(b, base, dtype, offset):
    return b.gep(base, [offset], inbounds=True, source_etype=memory_type(dtype))


def _emit_load(b, node, params, indices, values):
    mem = memory_type(node.dtype)
    pointer = _element_pointer(b, params[node.param], node.dtype,
                               _offset(b, indices, node.strides))
    value = b.load(pointer, typ=mem, align=node.dtype.itemsize)
    if register_type(node.dtype) != mem:                 # bool: byte -> i1
        value = b.icmp_unsigned("!=", value, ir.Constant(mem, 0))
    return value


def _emit_const(b, node, params, indices, values):
    return constant(node.dtype, node.value)


def _emit_index(b, node, params, indices, values):
    """iota: the loop index (i64) converted like ``np.arange(n).astype(dtype)``."""
    index, ty = _offset(b, indices, node.strides), register_type(node.dtype)
    if isinstance(ty, ir.IntType):
        return b.trunc(index, ty) if ty.width < 64 else index
    return b.sitofp(index, ty)


def _fold(site, x):
    """A reduction over no axes: combine(identity, x), elementwise."""
    eqn = site.params["eqn"]
    return combine(eqn, site.b, identity_constant(eqn, x.type), x)


def _emit_apply(b, node, params, indices, values):
    eqn = node.eqn
    args = [values[i] for i in node.args]
    if eqn.prim in REDUCERS:
        return _fold(Site(b, (), node.dtype, {"eqn": eqn}), *args)
    site = Site(b, tuple(a.aval.dtype for a in eqn.inputs), node.dtype, eqn.params)
    return lower(eqn.prim, site, args)


_EMIT = {Load: _emit_load, Const: _emit_const, Index: _emit_index, Apply: _emit_apply}


def _store(b, value, dtype, base, offset):
    mem = memory_type(dtype)
    if register_type(dtype) != mem:
        value = b.zext(value, mem)
    b.store(value, _element_pointer(b, base, dtype, offset), align=dtype.itemsize)


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
        self.accs = [b.alloca(register_type(r.dtype)) for r in plan.reductions]
        self.reduced_node = {n.reduction: i for i, n in enumerate(plan.nodes)
                             if isinstance(n, Reduced)}

    def emit_row_values(self, level):
        """The non-varying nodes of ``level``, into the per-row scope."""
        plan = self.plan
        for i, node in enumerate(plan.nodes):
            if plan.levels[i] == level and not plan.varying[i] and not isinstance(node, Reduced):
                self.scope[i] = _EMIT[type(node)](self.b, node, self.params, self.indices,
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
            b.store(identity_constant(plan.reductions[k].eqn, self.accs[k].allocated_type),
                    self.accs[k])
        outputs = [(k, o) for k, o in enumerate(plan.outputs)
                   if o.full and plan.levels[o.node] == level]
        if plan.inner_size:
            loops = _open_loops(b, self.fn, [ir.Constant(_I64, s)
                                             for s in plan.loop_sizes[plan.n_outer:]], "r")
            indices = self.indices + [loop.index for loop in loops]
            values = dict(self.scope)
            roots = [plan.reductions[k].arg for k in mine] + [o.node for _, o in outputs]
            for i in self._needed(roots):
                node = plan.nodes[i]
                values[i] = _EMIT[type(node)](b, node, self.params, indices, values)
            for k in mine:
                reduction = plan.reductions[k]
                acc = b.load(self.accs[k])
                b.store(combine(reduction.eqn, b, acc, values[reduction.arg]), self.accs[k])
            self.store(outputs, indices, values)
            _close_loops(b, self.fn, loops, "r")
        for k in mine:
            self.scope[self.reduced_node[k]] = b.load(self.accs[k])

    def store(self, outputs, indices, values):
        """Store each (output number, Output) at its offset."""
        for k, o in outputs:
            _store(self.b, values[o.node], self.plan.out_avals[k].dtype, self.outs[k],
                   _offset(self.b, indices, o.strides))


def build_function(module, plan, name):
    """Add the kernel for ``plan`` to ``module`` (an ``llvmlite.ir.Module``).

    >>> build_function(ir.Module(), make_plan(program), "kernel")
    """
    n_ptrs = len(plan.param_avals) + len(plan.out_avals)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * n_ptrs + [_I64, _I64]),
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
    bounds = [stop] + [ir.Constant(_I64, s) for s in plan.loop_sizes[1:plan.n_outer]]
    if _blocked(plan) or plan.columns:
        _build_blocked(b, fn, plan, body, bounds, start)
        b.branch(done)
        b.position_at_end(done)
        b.ret_void()
        return fn
    loops = _open_loops(b, fn, bounds, "k", start)
    body.indices = [loop.index for loop in loops]
    for level in range(plan.n_passes):
        body.emit_row_values(level)
        body.emit_pass(level)
    body.emit_row_values(plan.n_passes)
    body.store([(k, o) for k, o in enumerate(plan.outputs) if not o.full], body.indices,
               body.scope)
    _close_loops(b, fn, loops, "k")
    b.branch(done)
    b.position_at_end(done)
    b.ret_void()
    return fn


# ---- very long elementwise bodies ------------------------------------------------------------

# The loop vectorizer's time grows faster than linearly with the size of a loop body
# (measured: 1.0 s for 5,000 chained equations, 12 s for 10,000).  An elementwise
# kernel with more than SEGMENT_NODES computed nodes is therefore blocked: its
# innermost loop runs over blocks of BLOCK elements, and each block runs the body as
# a sequence of *segment* loops of about SEGMENT_INSTRUCTIONS LLVM instructions each.
# Values a later segment needs go through a stack array of BLOCK elements (L1-resident);
# loads and constants are simply re-emitted.  Each segment is vectorized on its own,
# so compile time stays linear; the cost at run time is one L1 store and load per
# value crossing a segment boundary.
SEGMENT_NODES = 400
SEGMENT_INSTRUCTIONS = 1000
BLOCK = 256


def _blocked(plan):
    return plan.n_passes == 0 and sum(isinstance(n, Apply) for n in plan.nodes) > SEGMENT_NODES


def _build_blocked(b, fn, plan, body, bounds, start):
    """The loop nest of a blocked kernel: outer loops, then blocks of the innermost."""
    outer = _open_loops(b, fn, bounds[:-1], "k", start)
    lo = start if len(bounds) == 1 else ir.Constant(_I64, 0)
    segmenter = (_ColumnTile if plan.columns else _Segmenter)(b, fn, plan, body)
    preheader, header = b.block, fn.append_basic_block("block")
    b.branch(header)
    b.position_at_end(header)
    first = b.phi(_I64, name="block")
    first.add_incoming(lo, preheader)
    width = ir.Constant(_I64, BLOCK)
    remaining = b.sub(bounds[-1], first)
    count = b.select(b.icmp_signed("<", remaining, width), remaining, width)
    segmenter.run([loop.index for loop in outer], first, count)
    following = b.add(first, width)
    first.add_incoming(following, b.block)
    exit_block = fn.append_basic_block("block.exit")
    b.cbranch(b.icmp_signed("<", following, bounds[-1]), header, exit_block)
    b.position_at_end(exit_block)
    _close_loops(b, fn, outer, "k")


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
        (loop,) = _open_loops(self.b, self.fn, [count], "seg")
        self.j = loop.index
        self.indices = outer + [self.b.add(first, loop.index, flags=("nuw", "nsw"))]
        self.values = {}
        return [loop]

    def _slot(self, node_id):
        array = self.spilled[node_id]
        return self.b.gep(array, [ir.Constant(_I64, 0), self.j], inbounds=True)

    def _value(self, node_id):
        """Make ``node_id``'s value available in the current segment."""
        if node_id in self.values:
            return
        node = self.plan.nodes[node_id]
        if isinstance(node, Apply):
            self.values[node_id] = self.b.load(self._slot(node_id))
        else:
            self.values[node_id] = _EMIT[type(node)](self.b, node, self.body.params,
                                                     self.indices, self.values)

    def _spill(self, upto):
        """Save the values computed so far that nodes after ``upto`` still read."""
        for node_id, value in self.values.items():
            live = self.last_use.get(node_id, -1) > upto
            if live and isinstance(self.plan.nodes[node_id], Apply) \
                    and node_id not in self.spilled:
                ty = ir.ArrayType(register_type(self.plan.nodes[node_id].dtype), BLOCK)
                self.spilled[node_id] = self.entry.alloca(ty)
                self.b.store(value, self._slot(node_id))

    def _store_outputs(self, node_id):
        self._value(node_id)
        self.body.store(self.outputs_of.get(node_id, ()), self.indices, self.values)

    def run(self, outer, first, count):
        applies = [i for i, n in enumerate(self.plan.nodes) if isinstance(n, Apply)]
        loops = self._open(outer, first, count)
        for i in applies:
            for a in self.plan.nodes[i].args:
                self._value(a)
            self.values[i] = _emit_apply(self.b, self.plan.nodes[i], self.body.params,
                                         self.indices, self.values)
            self._store_outputs(i)
            if len(self.b.block.instructions) > SEGMENT_INSTRUCTIONS and i != applies[-1]:
                self._spill(i)
                _close_loops(self.b, self.fn, loops, "seg")
                loops = self._open(outer, first, count)
        for node_id in self.outputs_of:
            if not isinstance(self.plan.nodes[node_id], Apply):
                self._store_outputs(node_id)
        _close_loops(self.b, self.fn, loops, "seg")


# ---- column reductions ---------------------------------------------------------------------

class _ColumnTile:
    """One block of a column reduction (reduced axes before the innermost kept axis).

    Reading a reduced row element by element would stride through memory, so the
    block's BLOCK columns are reduced together: accumulators live in stack arrays of
    BLOCK elements, the reduced loops run outside and the block's columns inside
    (contiguous, vectorized); then the row outputs of the block are computed from the
    accumulators.  Values that do not vary along the reduced axes are recomputed per
    reduced index (they are cheap: loads of kept-shape inputs, constants).
    """

    def __init__(self, b, fn, plan, body):
        self.b, self.fn, self.plan, self.body = b, fn, plan, body
        entry = ir.IRBuilder(fn.entry_basic_block)
        entry.position_at_start(fn.entry_basic_block)
        self.accs = [entry.alloca(ir.ArrayType(register_type(r.dtype), BLOCK))
                     for r in plan.reductions]

    def _slot(self, k, column):
        return self.b.gep(self.accs[k], [ir.Constant(_I64, 0), column], inbounds=True)

    def _columns(self, count):
        (loop,) = _open_loops(self.b, self.fn, [count], "col")
        return loop

    def _emit(self, wanted, indices, values):
        """Emit the nodes in ``wanted`` (ids, dependency order) not yet in ``values``."""
        for i in wanted:
            if i not in values:
                node = self.plan.nodes[i]
                values[i] = _EMIT[type(node)](self.b, node, self.body.params, indices, values)

    def _closure(self, roots):
        plan, needed = self.plan, set(roots)
        for i in reversed(range(len(plan.nodes))):
            if i in needed and isinstance(plan.nodes[i], Apply):
                needed.update(plan.nodes[i].args)
        return sorted(needed)

    def run(self, outer, first, count):
        b, plan = self.b, self.plan
        loop = self._columns(count)
        for k, reduction in enumerate(plan.reductions):
            b.store(identity_constant(reduction.eqn, register_type(reduction.dtype)),
                    self._slot(k, loop.index))
        _close_loops(b, self.fn, [loop], "col")
        if plan.inner_size:                     # an empty reduced extent: identities
            self._accumulate(outer, first, count)
        self._finish(outer, first, count)

    def _accumulate(self, outer, first, count):
        """Reduced loops outside, the block's columns inside."""
        b, plan = self.b, self.plan
        inner = _open_loops(b, self.fn, [ir.Constant(_I64, s)
                                         for s in plan.loop_sizes[plan.n_outer:]], "r")
        loop = self._columns(count)
        column = b.add(first, loop.index, flags=("nuw", "nsw"))
        indices = outer + [column] + [r.index for r in inner]
        full = [(k, o) for k, o in enumerate(plan.outputs) if o.full]
        values = {}
        self._emit(self._closure([r.arg for r in plan.reductions] + [o.node for _, o in full]),
                   indices, values)
        for k, reduction in enumerate(plan.reductions):
            slot = self._slot(k, loop.index)
            b.store(combine(reduction.eqn, b, b.load(slot), values[reduction.arg]), slot)
        self.body.store(full, indices, values)
        _close_loops(b, self.fn, [loop], "col")
        _close_loops(b, self.fn, inner, "r")

    def _finish(self, outer, first, count):
        """The row outputs of the block, from the accumulators."""
        b, plan = self.b, self.plan
        loop = self._columns(count)
        indices = outer + [b.add(first, loop.index, flags=("nuw", "nsw"))]
        values = {i: b.load(self._slot(n.reduction, loop.index))
                  for i, n in enumerate(plan.nodes) if isinstance(n, Reduced)}
        rows = [(k, o) for k, o in enumerate(plan.outputs) if not o.full]
        self._emit(self._closure([o.node for _, o in rows]), indices, values)
        self.body.store(rows, indices, values)
        _close_loops(b, self.fn, [loop], "col")
