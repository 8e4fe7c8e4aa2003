"""Building blocks for standalone kernels: one LLVM function per equation.

A kernel is ``void kernel(ptr in0, ..., ptr out0, ..., ptr scratch, i64 start,
i64 stop)``: one pointer per equation input and output (C-contiguous NumPy buffers),
one to a scratch block the caller allocates (``KernelBuilder.scratch`` reserves pieces
of it, e.g. sort's permutation) and the range of *rows* this call runs.  A builder
whose outermost loop runs over independent rows emits it with ``rows_loop``; the
caller then splits the rows across cores (runtime.py), each part with its own scratch.
Other kernels ignore the range and are called once with ``(0, 1)``.  Shapes and params
are static, so every trip count and stride is a compile-time constant; only data
(indices, dynamic starts) is read at run time.

Values live in their *memory* type (bool is an ``i8`` holding 0 or 1): these kernels
move, compare and combine elements but never need ``i1`` booleans in memory.
Comparisons carry the signedness of the dtype ('u' and 'b' compare unsigned).
"""
import contextlib

import numpy as np
from llvmlite import ir

from xla_like.backends.llvm.lltypes import call_intrinsic, memory_type
from xla_like.backends.llvm.placement import contiguous_strides

I64 = ir.IntType(64)
I1 = ir.IntType(1)
PTR = ir.PointerType()


def i64(value):
    """An i64 constant for a Python or NumPy int; an LLVM value passes through."""
    if isinstance(value, ir.Value):
        return value
    return ir.Constant(I64, int(value))


# Row-major element strides: ``strides_of((2, 3, 4)) == (12, 4, 1)``.
strides_of = contiguous_strides


def constant(dtype, value):
    """An LLVM constant of ``dtype``'s memory type (NaN keeps NumPy's bit pattern)."""
    dtype = np.dtype(dtype)
    ty = memory_type(dtype)
    if dtype.kind == "f":
        return ir.Constant(ty, float(np.asarray(value, dtype)))
    bits = int(np.asarray(value).astype(dtype).view(f"u{dtype.itemsize}"))
    return ir.Constant(ty, bits)


class KernelBuilder:
    """An LLVM function under construction, with loops, loads and stores.

    >>> k = KernelBuilder(module, "kernel", n_in=1, n_out=1)
    >>> with k.loop(4) as i:
    ...     k.store(k.outs[0], f32, i, k.load(k.ins[0], f32, i))
    >>> k.finish()
    """

    def __init__(self, module, name, n_in, n_out):
        n_ptrs = n_in + n_out + 1
        fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR] * n_ptrs + [I64, I64]),
                         name)
        for arg in fn.args[:n_ptrs]:
            arg.add_attribute("noalias")
        fn.attributes.add("nounwind")
        self.fn, self.module = fn, module
        self.ins, self.outs = fn.args[:n_in], fn.args[n_in:n_in + n_out]
        self._scratch_ptr, self._start, self._stop = fn.args[n_ptrs - 1:]
        self.scratch_bytes = 0
        self.rows, self.work = 1, 0         # set by rows_loop
        # optimization choices of the builder (runtime.py): builders whose loops cannot
        # vectorize (data-dependent control flow) turn the vectorizers off, which saves
        # ~30% of the optimization time; unrolling pays only for small static loops
        self.vectorize, self.unroll = True, False
        self._entry = fn.append_basic_block("entry")      # allocas only
        self._body = fn.append_basic_block("body")
        self.b = ir.IRBuilder(self._body)

    # ---- memory -------------------------------------------------------------------

    def scratch(self, nbytes):
        """A pointer to ``nbytes`` of caller-allocated scratch (8-byte aligned)."""
        offset = self.scratch_bytes
        self.scratch_bytes += -(-int(nbytes) // 8) * 8
        return self.b.gep(self._scratch_ptr, [i64(offset)], source_etype=ir.IntType(8))

    def variable(self, ty, initial=None):
        """A mutable slot (an entry-block alloca that mem2reg turns into registers)."""
        with self.b.goto_block(self._entry):
            slot = self.b.alloca(ty)
        if initial is not None:
            self.b.store(initial, slot)
        return slot

    def element(self, base, dtype, index):
        return self.b.gep(base, [index], inbounds=True, source_etype=memory_type(dtype))

    def load(self, base, dtype, index):
        return self.b.load(self.element(base, dtype, index), typ=memory_type(dtype),
                           align=np.dtype(dtype).itemsize)

    def store(self, base, dtype, index, value):
        self.b.store(value, self.element(base, dtype, index), align=np.dtype(dtype).itemsize)

    # ---- control flow -------------------------------------------------------------------

    @contextlib.contextmanager
    def loop(self, count, start=0, name="i"):
        """``for i in range(start, count)`` (``count`` an int or an i64 value); the body
        is skipped when the range is empty."""
        b, fn = self.b, self.fn
        count, first = i64(count), i64(start)
        pre = b.block
        head = fn.append_basic_block(f"{name}.head")
        body = fn.append_basic_block(f"{name}.body")
        end = fn.append_basic_block(f"{name}.end")
        b.branch(head)
        b.position_at_end(head)
        index = b.phi(I64, name=name)
        index.add_incoming(first, pre)
        b.cbranch(b.icmp_signed("<", index, count), body, end)
        b.position_at_end(body)
        yield index
        index.add_incoming(b.add(index, i64(1), flags=("nsw",)), b.block)
        b.branch(head)
        b.position_at_end(end)

    def rows_loop(self, count, work, name="row"):
        """The outermost loop, over ``count`` independent rows: it runs the rows
        ``[start, stop)`` the caller passes, which splits them across cores when
        ``work`` (about the elements touched) reaches the parallel threshold."""
        if self.rows != 1 or self.work:
            raise ValueError("a kernel has at most one rows_loop")
        self.rows, self.work = int(count), int(work)
        return self.loop(self._stop, start=self._start, name=name)

    @contextlib.contextmanager
    def rows_nest(self, shape, work, name="d"):
        """``nest(shape)`` whose first axis is the ``rows_loop`` (a 0-d ``shape`` runs
        the body once, unsplit)."""
        if not shape:
            yield []
            return
        with self.rows_loop(shape[0], work, name=f"{name}0") as first:
            with self.nest(shape[1:], name=name) as rest:
                yield [first] + rest

    @contextlib.contextmanager
    def nest(self, shape, name="d"):
        """Nested loops over ``shape`` (static ints); yields the list of indices.  An
        empty ``shape`` runs the body once."""
        with contextlib.ExitStack() as stack:
            indices = [stack.enter_context(self.loop(n, name=f"{name}{k}"))
                       for k, n in enumerate(shape)]
            yield indices

    @contextlib.contextmanager
    def while_(self, condition, name="w"):
        """``while condition(): body``; ``condition()`` emits an i1 in the loop head
        (loop state lives in ``variable`` slots)."""
        b, fn = self.b, self.fn
        head = fn.append_basic_block(f"{name}.head")
        body = fn.append_basic_block(f"{name}.body")
        end = fn.append_basic_block(f"{name}.end")
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(condition(), body, end)
        b.position_at_end(body)
        yield
        b.branch(head)
        b.position_at_end(end)

    def offset(self, indices, strides, base=None):
        """``base + sum(index * stride)`` as an i64 (strides are static ints)."""
        b = self.b
        total = i64(0) if base is None else base
        for index, stride in zip(indices, strides):
            if stride:
                total = b.add(total, b.mul(index, i64(stride)))
        return total

    def finish(self):
        """Close the function (the entry block falls through to the body)."""
        self.b.ret_void()
        self.b.position_at_end(self._entry)
        self.b.branch(self._body)

    # ---- values ------------------------------------------------------------------------

    def to_i64(self, value, dtype):
        """An index value widened to i64 (zero-extended when unsigned)."""
        if value.type.width == 64:
            return value
        if np.dtype(dtype).kind in "ub":
            return self.b.zext(value, I64)
        return self.b.sext(value, I64)

    def smin(self, x, y):
        """The smaller of two signed integers."""
        return self.b.select(self.b.icmp_signed("<", x, y), x, y)

    def is_nan(self, value):
        return self.b.fcmp_unordered("uno", value, value)

    def less(self, dtype, x, y):
        """``x < y`` in the dtype's order (ordered: false when either is NaN)."""
        kind = np.dtype(dtype).kind
        if kind == "f":
            return self.b.fcmp_ordered("<", x, y)
        if kind in "ub":
            return self.b.icmp_unsigned("<", x, y)
        return self.b.icmp_signed("<", x, y)

    def sort_less(self, dtype, x, y):
        """NumPy's sort order: ``x < y``, with every NaN after every number."""
        lt = self.less(dtype, x, y)
        if np.dtype(dtype).kind != "f":
            return lt
        b = self.b
        return b.or_(lt, b.and_(self.is_nan(y), b.not_(self.is_nan(x))))

    def maximum(self, dtype, x, y):
        """``np.maximum``: the larger value; NaN if either is NaN."""
        return self._extreme(dtype, x, y, self.less(dtype, y, x))

    def minimum(self, dtype, x, y):
        """``np.minimum``: the smaller value; NaN if either is NaN."""
        return self._extreme(dtype, x, y, self.less(dtype, x, y))

    def _extreme(self, dtype, x, y, x_wins):
        b = self.b
        if np.dtype(dtype).kind == "f":      # NumPy picks x on ties and when x is NaN
            x_wins = b.or_(b.or_(x_wins, b.fcmp_ordered("==", x, y)), self.is_nan(x))
        else:
            x_wins = b.or_(x_wins, b.icmp_unsigned("==", x, y))
        return b.select(x_wins, x, y)

    def add(self, dtype, x, y):
        return self.b.fadd(x, y) if np.dtype(dtype).kind == "f" else self.b.add(x, y)

    def mul(self, dtype, x, y):
        return self.b.fmul(x, y) if np.dtype(dtype).kind == "f" else self.b.mul(x, y)

    def convert(self, value, src, dst):
        """A numeric widening conversion (conv's ``preferred_element_type``)."""
        src, dst = np.dtype(src), np.dtype(dst)
        if src == dst:
            return value
        ty = memory_type(dst)
        if dst.kind == "f":
            if src.kind == "f":
                return self.b.fpext(value, ty)
            signed = src.kind == "i"
            return self.b.sitofp(value, ty) if signed else self.b.uitofp(value, ty)
        return self.b.sext(value, ty) if src.kind == "i" else self.b.zext(value, ty)

    def intrinsic(self, name, ty, args):
        return call_intrinsic(self.b, name, ty, args)
