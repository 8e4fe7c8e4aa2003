"""How NumPy dtypes map onto LLVM types, and the float formats the math library knows.

Every value has a *memory* type (how its array stores it) and a *register* type (what
the generated code computes with).  They differ only for bool: NumPy stores a bool as
one byte holding 0 or 1, so memory is ``i8`` and registers are ``i1`` (a load is
``icmp ne 0``, a store is ``zext``).  Unsigned integers use the same ``iN`` types as
signed ones; the operations (``udiv``, ``icmp ult``, ``zext``, ``uitofp``) carry the
signedness.  float16, bfloat16 and complex dtypes are not supported yet.
"""
from typing import NamedTuple

import numpy as np
from llvmlite import ir

from xla_like import dtypes

_FLOAT, _DOUBLE = ir.FloatType(), ir.DoubleType()

MEMORY_TYPES = {
    dtypes.bool_: ir.IntType(8),
    dtypes.int8: ir.IntType(8), dtypes.uint8: ir.IntType(8),
    dtypes.int16: ir.IntType(16), dtypes.uint16: ir.IntType(16),
    dtypes.int32: ir.IntType(32), dtypes.uint32: ir.IntType(32),
    dtypes.int64: ir.IntType(64), dtypes.uint64: ir.IntType(64),
    dtypes.float32: _FLOAT, dtypes.float64: _DOUBLE,
}

REGISTER_TYPES = {**MEMORY_TYPES, dtypes.bool_: ir.IntType(1)}


def check_dtype(dtype, where):
    """Raise a NotImplementedError naming ``where`` if ``dtype`` has no LLVM lowering."""
    if np.dtype(dtype) not in REGISTER_TYPES:
        supported = ", ".join(str(d) for d in REGISTER_TYPES)
        raise NotImplementedError(f"LLVM backend: dtype {np.dtype(dtype)} in {where} is not "
                                  f"supported (supported: {supported})")


def register_type(dtype):
    return REGISTER_TYPES[np.dtype(dtype)]


def memory_type(dtype):
    return MEMORY_TYPES[np.dtype(dtype)]


class FloatFormat(NamedTuple):
    """An IEEE binary format: ``ty`` is the LLVM float type, ``ity`` the same-width int."""
    name: str           # intrinsic suffix: "f32" / "f64"
    ty: ir.Type
    ity: ir.IntType
    mant: int           # explicit mantissa bits
    bias: int           # exponent bias
    dtype: np.dtype

    @property
    def min_normal(self):
        return float(np.finfo(self.dtype).tiny)


F32 = FloatFormat("f32", _FLOAT, ir.IntType(32), 23, 127, dtypes.float32)
F64 = FloatFormat("f64", _DOUBLE, ir.IntType(64), 52, 1023, dtypes.float64)
FLOAT_FORMATS = {dtypes.float32: F32, dtypes.float64: F64}


def float_format(dtype):
    return FLOAT_FORMATS[np.dtype(dtype)]


def type_suffix(ty):
    """The overloaded-intrinsic suffix of a scalar LLVM type: ``f32``, ``f64``, ``i32``."""
    if isinstance(ty, ir.IntType):
        return f"i{ty.width}"
    return {_FLOAT: "f32", _DOUBLE: "f64"}[ty]


# ---- declarations ----------------------------------------------------------------------

def _get_or_declare(module, name, ret_ty, arg_tys):
    fn = module.globals.get(name)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(ret_ty, arg_tys), name)
    return fn


def call_intrinsic(builder, base, ret_ty, args, overloads=None, fastmath=()):
    """Call ``llvm.<base>.<suffixes>``; the suffixes are the types in ``overloads``
    (default: the return type); ``fastmath`` flags go on the call.
    ``call_intrinsic(b, "sqrt", f32, [x])`` -> ``llvm.sqrt.f32``."""
    types = [ret_ty] if overloads is None else overloads
    name = "llvm." + base + "".join("." + type_suffix(t) for t in types)
    fn = _get_or_declare(builder.module, name, ret_ty, [a.type for a in args])
    return builder.call(fn, args, fastmath=fastmath)


def call_external(builder, name, ret_ty, args):
    """Call a C function of the process (libm's ``erf``, ``atan2f``...), resolved when
    the engine links the module."""
    fn = _get_or_declare(builder.module, name, ret_ty, [a.type for a in args])
    return builder.call(fn, args)
