"""The pieces every loop kernel is emitted from: counted loops, strided offsets, one
emitter per plan node type, stores.  codegen.py (the ordinary loop nest) and
tiling.py (blocked and column-tiled nests) put them together."""
from llvmlite import ir

from xla_like.backends.llvm.lltypes import memory_type, register_type
from xla_like.backends.llvm.plan import Apply, Const, Index, Load
from xla_like.backends.llvm.reductions import REDUCERS, combine, identity_constant
from xla_like.backends.llvm.rules import Site, lower

I64 = ir.IntType(64)


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

class Loop:
    def __init__(self, index, header, bound):
        self.index, self.header, self.bound = index, header, bound


def open_loops(b, fn, bounds, tag, start=None):
    """Enter one counted loop per bound (the first may start at ``start``).  Loops are
    bottom-tested: callers guarantee every trip count is at least 1."""
    loops = []
    for d, bound in enumerate(bounds):
        preheader = b.block
        header = fn.append_basic_block(f"{tag}{d}")
        b.branch(header)
        b.position_at_end(header)
        index = b.phi(I64, name=f"{tag}{d}")
        first = start if (d == 0 and start is not None) else ir.Constant(I64, 0)
        index.add_incoming(first, preheader)
        loops.append(Loop(index, header, bound))
    return loops


def close_loops(b, fn, loops, tag, interleave=None):
    """Latch and exit of each loop, innermost first; ``interleave`` (a count) asks the
    loop vectorizer to interleave the innermost loop that many times."""
    for d in reversed(range(len(loops))):
        loop = loops[d]
        following = b.add(loop.index, ir.Constant(I64, 1), flags=("nuw", "nsw"))
        loop.index.add_incoming(following, b.block)
        exit_block = fn.append_basic_block(f"{tag}{d}.exit")
        latch = b.cbranch(b.icmp_signed("<", following, loop.bound), loop.header, exit_block)
        if interleave and d == len(loops) - 1:
            latch.set_metadata("llvm.loop", _interleave_loop_id(fn.module, interleave))
        b.position_at_end(exit_block)


def _interleave_loop_id(module, count):
    """A distinct, self-referencing loop ID (``!N = !{!N, !{"...interleave.count", i32
    count}}``): llvmlite's ``add_metadata`` would share one node between loops."""
    prop = module.add_metadata([ir.MetaDataString(module, "llvm.loop.interleave.count"),
                                ir.Constant(ir.IntType(32), count)])
    loop_id = ir.values.MDValue(module, [prop], name=str(len(module.metadata)))
    loop_id.operands = (loop_id, prop)
    return loop_id


def offset(b, indices, strides):
    """sum(i_d * stride_d) over the non-zero strides, as an i64."""
    total = ir.Constant(I64, 0)
    for index, stride in zip(indices, strides):
        if stride == 1:
            total = b.add(total, index, flags=("nuw", "nsw"))
        elif stride:
            term = b.mul(index, ir.Constant(I64, stride), flags=("nuw", "nsw"))
            total = b.add(total, term, flags=("nuw", "nsw"))
    return total


# ---- nodes -----------------------------------------------------------------------------

def _element_pointer(b, base, dtype, offset):
    return b.gep(base, [offset], inbounds=True, source_etype=memory_type(dtype))


def _emit_load(b, node, params, indices, values):
    mem = memory_type(node.dtype)
    pointer = _element_pointer(b, params[node.param], node.dtype,
                               offset(b, indices, node.strides))
    value = b.load(pointer, typ=mem, align=node.dtype.itemsize)
    if register_type(node.dtype) != mem:                 # bool: byte -> i1
        value = b.icmp_unsigned("!=", value, ir.Constant(mem, 0))
    return value


def _emit_const(b, node, params, indices, values):
    return constant(node.dtype, node.value)


def _emit_index(b, node, params, indices, values):
    """iota: the loop index (i64) converted like ``np.arange(n).astype(dtype)``."""
    index, ty = offset(b, indices, node.strides), register_type(node.dtype)
    if isinstance(ty, ir.IntType):
        return b.trunc(index, ty) if ty.width < 64 else index
    return b.sitofp(index, ty)


def _fold(site, x):
    """A reduction over no axes: combine(identity, x), elementwise."""
    eqn = site.params["eqn"]
    return combine(eqn, site.b, identity_constant(eqn, x.type), x)


def emit_apply(b, node, params, indices, values):
    eqn = node.eqn
    args = [values[i] for i in node.args]
    if eqn.prim in REDUCERS:
        return _fold(Site(b, (), node.dtype, {"eqn": eqn}), *args)
    site = Site(b, tuple(a.aval.dtype for a in eqn.inputs), node.dtype, eqn.params)
    return lower(eqn.prim, site, args)


EMIT = {Load: _emit_load, Const: _emit_const, Index: _emit_index, Apply: emit_apply}


def store_value(b, value, dtype, base, offset, nontemporal=False):
    """Store ``value`` at ``base[offset]``; ``nontemporal`` marks the store as streaming
    (``!nontemporal``: written around the caches, see streaming.py).  A streaming store
    claims twice the element's alignment: LLVM's loop vectorizer widens a non-temporal
    store only if a 2-element vector of it would be aligned.  Only the vector loop of
    streaming.py's aligned body runs such stores (its alignment is proven there)."""
    mem = memory_type(dtype)
    if register_type(dtype) != mem:
        value = b.zext(value, mem)
    align = dtype.itemsize * (2 if nontemporal else 1)
    store = b.store(value, _element_pointer(b, base, dtype, offset), align=align)
    if nontemporal:
        store.set_metadata("nontemporal", b.module.add_metadata([ir.Constant(ir.IntType(32), 1)]))
