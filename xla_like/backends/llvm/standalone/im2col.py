"""Floating-point conv_general_dilated as im2col (native) + one batched BLAS matmul.

With ``Γ`` groups (batch groups times feature groups: at most one exceeds 1), ``R``
terms per output (input features times window positions) and ``P`` output positions,

    patches[n, γ, r, p] = lhs_padded[bg*N' + n, fg*I + i, q(p, w)]     (r = (i, w))
    out[n, γ, o', p]    = sum_r weights[γ, o', r] * patches[n, γ, r, p]

where ``weights`` is ``rhs`` viewed as ``(Γ, O', R)`` and ``out`` is the result viewed
as ``(N', Γ, O', P)``: both views are free reshapes of C-contiguous arrays.  A native
kernel gathers the patches (zeros for padding and holes, converted to the result
dtype), ``np.matmul`` (BLAS sgemm/dgemm per group) does the sums.  The batch is
processed in chunks so the patches stay under ``PATCH_BYTES``.
"""
import math

import numpy as np

from xla_like import dtypes
from xla_like import primitives as P
from xla_like.backends.llvm.standalone.convolution import Geometry
from xla_like.backends.llvm.standalone.emit import constant, i64, strides_of
from xla_like.backends.llvm.standalone.runtime import as_inputs, emit
from xla_like.backends.llvm.standalone.windows import source_offset
from xla_like.ir import ShapedArray

IM2COL = {}
PATCH_BYTES = 16 << 20       # patches of one chunk: a few times the L2 cache at most


def _im2col_build(k, in_avals, out_avals, geometry, groups_b, groups_f, batch):
    """``patches[c, bg, fg, i, *w, *p]`` for the ``c`` batch elements from ``first``."""
    lhs, patches = in_avals[0], out_avals[0]
    src, dtype = lhs.dtype, patches.dtype
    g, b = geometry, k.b
    chunk, features_in = patches.shape[0], patches.shape[3]
    zero = constant(dtype, 0)
    if lhs.size == 0:                        # every position is padding
        with k.loop(patches.size) as t:
            k.store(k.outs[0], dtype, t, zero)
        return
    first = k.load(k.ins[1], dtypes.int64, i64(0))
    ls = g.lhs_strides
    kernel, out_spatial = g.rhs_shape[2:], g.out_shape[2:]
    # not split across cores: right before a BLAS call, OpenBLAS's spinning threads
    # made a split im2col 3-5x slower here
    with k.nest(patches.shape[:4] + kernel + out_spatial, name="d") as idx:
        c, bg, fg, i = idx[:4]
        wins, outs = idx[4:4 + len(kernel)], idx[4 + len(kernel):]
        n = b.add(b.add(b.mul(bg, i64(batch)), first), c)
        base = k.offset((n, fg, i), (ls[0], features_in * ls[1], ls[1]))
        offset, real = source_offset(k, outs, wins, g.axes, ls[2:], base)
        # a padding position reads the (valid) corner element, then stores a zero
        x = k.load(k.ins[0], src, b.select(real, offset, base))
        value = b.select(real, k.convert(x, src, dtype), zero)
        k.store(k.outs[0], dtype, k.offset(idx, strides_of(patches.shape)), value)


class Im2colConv:
    """A float convolution: ``conv(lhs, rhs) -> [out]`` (see the module docstring).

    Built in two stages, so an executable can link the im2col function into its own
    module: ``Im2colConv(...)`` decides the geometry; ``signatures()`` and ``emit()``
    give the native function to compile; ``assemble([compiled im2col])`` makes it
    callable.  ``call_into(inputs, outputs)`` runs on ready C-contiguous buffers;
    ``llvm_ir`` is the im2col kernel's IR.
    """

    def __init__(self, in_avals, out_avals, params, name="im2col"):
        lhs, rhs = in_avals
        out = out_avals[0]
        self.in_avals, self.out_avals = tuple(in_avals), tuple(out_avals)
        g = Geometry(lhs, rhs, out, params)
        groups_b, groups_f = params["batch_group_count"], params["feature_group_count"]
        groups = groups_b * groups_f
        batch, features_in = g.lhs_shape[0] // groups_b, g.rhs_shape[1]
        terms, positions = features_in * math.prod(g.rhs_shape[2:]), math.prod(g.out_shape[2:])
        self.dtype = out.dtype
        self.weights_shape = (groups, g.rhs_shape[0] // groups, terms)
        self.out_shape = (batch, groups) + self.weights_shape[1:2] + (positions,)
        per_element = groups * terms * positions * self.dtype.itemsize
        self.chunk = max([c for c in range(1, batch + 1)
                          if batch % c == 0 and c * per_element <= PATCH_BYTES], default=1)
        patch_shape = ((self.chunk, groups_b, groups_f, features_in) + g.rhs_shape[2:]
                       + g.out_shape[2:])
        self.patches = ShapedArray(patch_shape, self.dtype)
        self.name = name
        self._signature = (name, (lhs, ShapedArray((), dtypes.int64)), (self.patches,))
        self._params = {"geometry": g, "groups_b": groups_b, "groups_f": groups_f,
                        "batch": batch}
        self._im2col = None

    def signatures(self):
        """``[(name, in_avals, out_avals)]`` of the native functions to link."""
        return [self._signature]

    def emit(self):
        """The im2col function (``runtime.Emitted``), not yet compiled."""
        name, in_avals, out_avals = self._signature
        return [emit(name, _im2col_build, in_avals, out_avals, self._params)]

    def assemble(self, kernels):
        """Take the compiled im2col kernel; returns self, ready to call."""
        (self._im2col,) = kernels
        return self

    @property
    def llvm_ir(self):
        return self._im2col.llvm_ir

    def call_into(self, inputs, outputs):
        lhs, rhs = inputs
        out = outputs[0].reshape(self.out_shape)
        weights = rhs.reshape(self.weights_shape).astype(self.dtype, copy=False)
        patches = np.empty(self.patches.shape, self.dtype).reshape(
            (self.chunk,) + self.out_shape[1:2] + (self.weights_shape[2], self.out_shape[3]))
        for first in range(0, self.out_shape[0], self.chunk):
            self._im2col.call_into([lhs, np.array(first, np.int64)], [patches])
            np.matmul(weights, patches, out=out[first:first + self.chunk])

    def __call__(self, *args):
        outputs = [np.empty(a.shape, a.dtype) for a in self.out_avals]
        if outputs[0].size:
            self.call_into(as_inputs(args, self.in_avals), outputs)
        return outputs


def _conv_factory(in_avals, out_avals, params, name):
    """im2col + BLAS for float results (BLAS's types); None: the direct loops."""
    if out_avals[0].dtype.kind != "f":
        return None
    return Im2colConv(in_avals, out_avals, params, name)


IM2COL[P.conv_general_dilated_p] = _conv_factory
