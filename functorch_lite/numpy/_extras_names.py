"""Names that are NumPy's own objects: the scalar-type hierarchy (for ``issubdtype`` and
as dtypes), the C-named scalar aliases, and the print options (arrays print through
NumPy, so NumPy's options apply to them).

``float_``/``complex_`` (removed in NumPy 2) and the extended-precision types are not
here; ``functorch_lite.numpy._omitted`` says why.
"""
import numpy as np

# abstract categories of NumPy's scalar-type tree
generic, number, integer, inexact = np.generic, np.number, np.integer, np.inexact
signedinteger, unsignedinteger = np.signedinteger, np.unsignedinteger
floating, complexfloating = np.floating, np.complexfloating
character, flexible = np.character, np.flexible

# C-named aliases of the concrete types (NumPy 2's meanings)
single, double, half = np.single, np.double, np.half
csingle, cdouble = np.csingle, np.cdouble
byte, short, intc, long, longlong = np.byte, np.short, np.intc, np.long, np.longlong
ubyte, ushort, uintc, ulong, ulonglong = np.ubyte, np.ushort, np.uintc, np.ulong, np.ulonglong
int_, uint, intp, uintp = np.int_, np.uint, np.intp, np.uintp

printoptions = np.printoptions
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions

__all__ = ["generic", "number", "integer", "inexact", "signedinteger", "unsignedinteger",
         "floating", "complexfloating", "character", "flexible", "single", "double", "half",
         "csingle", "cdouble", "byte", "short", "intc", "long", "longlong", "ubyte", "ushort",
         "uintc", "ulong", "ulonglong", "int_", "uint", "intp", "uintp", "printoptions",
         "get_printoptions", "set_printoptions"]
