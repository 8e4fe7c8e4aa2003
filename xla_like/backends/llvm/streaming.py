"""Streaming (non-temporal) stores for large elementwise kernels.

An ordinary store to a line not in cache first reads the line from memory (read for
ownership), so a kernel reading 16 MB and writing 16 MB moves 48 MB.  Non-temporal
stores (``!nontemporal``, x86 ``vmovntps``) write whole lines around the caches:
32 MB.  They pay only where the output is written contiguously and fully, and is
too large to be read back from cache anyway: elementwise kernels over one loop
(after collapsing) whose outputs, all of one element size, total at least
``STREAM_MIN_BYTES`` (each below ``STREAM_MAX_OUTPUT_BYTES``, see there).

x86 faults on a vector non-temporal store to an address that is not aligned to the
vector, and NumPy aligns arrays to 16 bytes only, so the kernel splits each call's
``[start, stop)`` at run time (``build_dispatcher``): a head of ordinary stores up to
the first 64-byte boundary of output 0, a body of whole ``STREAM_BLOCK``-byte blocks
written by a separate function whose output pointers carry ``align 64`` (so the
vectorizer's stores are aligned, and lowered to ``vmovntps``), and a tail of ordinary
stores (the loop body is compiled twice: about twice the compile time, paid only by
kernels this large).  Outputs whose addresses differ from output 0's modulo 64 (or a
misaligned output 0) fall back to ordinary stores throughout.  ``sfence`` ends a call that
streamed: non-temporal stores are weakly ordered, and the fence makes them visible
before the thread reports its chunk done.
"""
from llvmlite import ir

from xla_like.backends.llvm import tiling
from xla_like.backends.llvm.emitters import I64

# Thresholds, measured (f32, x * 2 + 1 and the 11-op chain, 2 threads, steady state;
# stream / plain time): 2^20-2^22 elements 0.83-0.95 whether the output array is
# fresh or reused, 2^18 0.89-0.97.  Smaller outputs stay in L2 for the next kernel
# anyway.  The upper bound: glibc serves allocations of 32 MiB and more with fresh
# mmap pages, which the kernel zero-fills through the cache on the first store;
# streaming then writes around those cached (dirty) lines and measured 1.1-1.8x
# *slower* at 2^23 elements (32 MiB) on a fresh output, against 0.84-0.95 on a
# reused one.  Outputs are fresh per call in ``jit``, so those stay ordinary.
STREAM_MIN_BYTES = 1 << 22          # all outputs together
STREAM_MAX_OUTPUT_BYTES = 1 << 25   # each output: below glibc's largest mmap threshold
STREAM_BLOCK = 256          # bytes: a multiple of every vector width times interleave
ALIGN = 64
_PTR = ir.PointerType()


def streams(plan, target_triple):
    """Whether ``plan``'s kernel streams its outputs (see the module docstring)."""
    if not target_triple.startswith("x86_64") or plan.reductions or tiling.blocked(plan):
        return False
    sizes = {a.dtype.itemsize for a in plan.out_avals}
    if len(plan.loop_sizes) != 1 or len(sizes) != 1 or any(a.dtype.kind == "b"
                                                           for a in plan.out_avals):
        return False
    if any(o.strides != (1,) for o in plan.outputs):
        return False
    each = plan.loop_sizes[0] * sizes.pop()
    return each * len(plan.out_avals) >= STREAM_MIN_BYTES and each < STREAM_MAX_OUTPUT_BYTES


def _address(b, pointer):
    return b.ptrtoint(pointer, I64)


def _split(b, plan, outs, start, stop):
    """(ok, head, count): stream elements [head, head + count); ``ok`` when output 0 is
    element-aligned and every output has output 0's alignment modulo 64."""
    size = plan.out_avals[0].dtype.itemsize
    first = _address(b, outs[0])
    ok = b.icmp_unsigned("==", b.and_(first, ir.Constant(I64, size - 1)), ir.Constant(I64, 0))
    for out in outs[1:]:
        apart = b.and_(b.sub(_address(b, out), first), ir.Constant(I64, ALIGN - 1))
        ok = b.and_(ok, b.icmp_unsigned("==", apart, ir.Constant(I64, 0)))
    at_start = b.add(first, b.mul(start, ir.Constant(I64, size)))
    lead = b.and_(b.sub(ir.Constant(I64, 0), at_start), ir.Constant(I64, ALIGN - 1))
    head = b.add(start, b.udiv(lead, ir.Constant(I64, size)))
    head = b.select(b.icmp_signed("<", head, stop), head, stop)
    per_block = STREAM_BLOCK // size
    count = b.mul(b.sdiv(b.sub(stop, head), ir.Constant(I64, per_block)),
                  ir.Constant(I64, per_block))
    ok = b.and_(ok, b.icmp_signed(">", count, ir.Constant(I64, 0)))
    return ok, head, count


def _sfence(module):
    fn = module.globals.get("llvm.x86.sse.sfence")
    return fn or ir.Function(module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse.sfence")


def build_dispatcher(module, plan, name, plain, stream):
    """``name(ptrs..., start, stop)``: ``plain`` (the ordinary kernel, same signature)
    on the unaligned head and tail, ``stream(params..., aligned outs..., head, count)``
    on the aligned body, then ``sfence``."""
    n_params, n_outs = len(plan.param_avals), len(plan.out_avals)
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [_PTR] * (n_params + n_outs)
                                             + [I64, I64]), name)
    fn.attributes.add("nounwind")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    *pointers, start, stop = fn.args
    outs = pointers[n_params:]
    ok, head, count = _split(b, plan, outs, start, stop)
    with b.if_else(ok) as (streamed, ordinary):
        with streamed:
            b.call(plain, pointers + [start, head])
            skip = b.mul(head, ir.Constant(I64, plan.out_avals[0].dtype.itemsize))
            aligned = [b.gep(out, [skip], source_etype=ir.IntType(8)) for out in outs]
            b.call(stream, pointers[:n_params] + aligned + [head, count])
            b.call(plain, pointers + [b.add(head, count), stop])
            b.call(_sfence(module), [])
        with ordinary:
            b.call(plain, pointers + [start, stop])
    b.ret_void()
    return fn
