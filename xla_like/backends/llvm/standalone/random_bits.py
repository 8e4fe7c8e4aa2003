"""threefry2x32: the counter-based generator, elementwise over uint32.

20 rounds (5 blocks of 4) of add / rotate / xor with a key injection after each
block, exactly as the reference (Salmon et al., 2011); all arithmetic wraps modulo
2**32.  The fixed schedule is emitted straight-line inside one flat loop, which the
vectorizer turns into SIMD code (rotations are ``llvm.fshl``).
"""
from llvmlite import ir

from xla_like import primitives as P
from xla_like.primitives.elementwise import _ROTATIONS

RANDOM_BITS = {}
_U32 = ir.IntType(32)
_PARITY = 0x1BD11BDA       # Threefry's key-schedule constant


def _rotate_left(k, value, amount):
    shift = ir.Constant(_U32, amount)
    return k.intrinsic("fshl", _U32, [value, value, shift])


def _threefry_rounds(k, k0, k1, x0, x1):
    b = k.b
    keys = (k0, k1, b.xor(b.xor(k0, k1), ir.Constant(_U32, _PARITY)))
    x0, x1 = b.add(x0, k0), b.add(x1, k1)
    for block in range(5):
        for r in _ROTATIONS[block % 2]:
            x0 = b.add(x0, x1)
            x1 = b.xor(_rotate_left(k, x1, r), x0)
        x0 = b.add(x0, keys[(block + 1) % 3])
        x1 = b.add(b.add(x1, keys[(block + 2) % 3]), ir.Constant(_U32, block + 1))
    return x0, x1


def _threefry_build(k, in_avals, out_avals):
    dtype = in_avals[0].dtype
    size = in_avals[0].size
    with k.rows_loop(size, 8 * size) as i:      # ~8x a copy's cost per element
        k0, k1, x0, x1 = (k.load(pointer, dtype, i) for pointer in k.ins)
        for pointer, value in zip(k.outs, _threefry_rounds(k, k0, k1, x0, x1)):
            k.store(pointer, dtype, i, value)


RANDOM_BITS[P.threefry2x32_p] = _threefry_build
