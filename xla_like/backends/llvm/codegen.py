"""Emitting a ``KernelPlan`` as one LLVM function.

The function is ``void name(ptr p0, ..., ptr pN, ptr out0, ..., ptr outM)``: one
pointer per program input, then per program constant, then per output; all are
``noalias`` (outputs are fresh arrays; inputs are only read) so the loop vectorizer
needs no runtime overlap checks.  The body is a nest of counted loops, one per
collapsed output dimension (``for (i = 0; i < n; ++i)`` with a compile-time ``n``),
whose innermost body loads, computes every planned node and stores every output at
the flat index.  Shapes are static, so all trip counts and strides are constants.
"""
from llvmlite import ir

from xla_like.backends.llvm.lltypes import memory_type, register_type
from xla_like.backends.llvm.plan import Apply, Const, Load
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

def _open_loops(b, fn, sizes):
    """Enter one counted loop per size; returns [(index phi, header block, size)]."""
    loops = []
    for d, size in enumerate(sizes):
        preheader = b.block
        header = fn.append_basic_block(f"loop{d}")
        b.branch(header)
        b.position_at_end(header)
        index = b.phi(_I64, name=f"i{d}")
        index.add_incoming(ir.Constant(_I64, 0), preheader)
        loops.append((index, header, size))
    return loops


def _close_loops(b, fn, loops):
    """Latch and exit of each loop, innermost first (bottom-tested: sizes are >= 1)."""
    for d, (index, header, size) in reversed(list(enumerate(loops))):
        following = b.add(index, ir.Constant(_I64, 1), name=f"i{d}.next", flags=("nuw", "nsw"))
        index.add_incoming(following, b.block)
        exit_block = fn.append_basic_block(f"exit{d}")
        b.cbranch(b.icmp_unsigned("<", following, ir.Constant(_I64, size)), header, exit_block)
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


def _contiguous(sizes):
    strides, step = [], 1
    for size in reversed(sizes):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


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


def _emit_apply(b, node, params, indices, values):
    eqn = node.eqn
    site = Site(b, tuple(a.aval.dtype for a in eqn.inputs), node.dtype, eqn.params)
    return lower(eqn.prim, site, [values[i] for i in node.args])


_EMIT = {Load: _emit_load, Const: _emit_const, Apply: _emit_apply}


def _store(b, value, dtype, base, offset):
    mem = memory_type(dtype)
    if register_type(dtype) != mem:
        value = b.zext(value, mem)
    b.store(value, _element_pointer(b, base, dtype, offset), align=dtype.itemsize)


# ---- the function ------------------------------------------------------------------------

def build_function(module, plan, name):
    """Add the kernel for ``plan`` to ``module`` (an ``llvmlite.ir.Module``).

    >>> build_function(ir.Module(), make_plan(program), "kernel")
    """
    n_params, n_outputs = len(plan.param_avals), len(plan.out_avals)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * (n_params + n_outputs)),
                     name)
    for arg in fn.args:
        arg.add_attribute("noalias")
        arg.add_attribute("captures(none)")
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    loops = _open_loops(b, fn, plan.loop_sizes)
    indices = [index for index, _, _ in loops]
    params = fn.args[:n_params]
    values = []
    for node in plan.nodes:
        values.append(_EMIT[type(node)](b, node, params, indices, values))
    flat = _offset(b, indices, _contiguous(plan.loop_sizes))
    for out_index, (node_id, aval) in enumerate(zip(plan.outputs, plan.out_avals)):
        _store(b, values[node_id], aval.dtype, fn.args[n_params + out_index], flat)
    _close_loops(b, fn, loops)
    b.ret_void()
    return fn
