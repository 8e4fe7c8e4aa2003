"""functorch_lite.numpy: a NumPy-style API whose functions are compositions of primitives.

Differences from NumPy worth knowing: arrays are immutable; Python data defaults to
float32 / int32 (NumPy arrays keep their dtype); integer sums accumulate in at least
int32 and ``argmax`` returns int32; see each module's docstring for details.
"""
import numpy as _np

from transforms.array import Array
from functorch_lite.numpy._convert import asarray, broadcast_shapes  # noqa: F401
from functorch_lite.numpy._ufuncs import *  # noqa: F401,F403
from functorch_lite.numpy._shape import (astype, atleast_1d, atleast_2d, atleast_3d,  # noqa: F401
                                         broadcast_arrays, broadcast_to, concatenate, dstack,
                                         expand_dims, flip, hstack, moveaxis, ndim, promote_types,
                                         ravel, reshape, result_type, shape, size, squeeze,
                                         stack, swapaxes, transpose, vstack)
from functorch_lite.numpy._creation import (arange, array, empty, empty_like, eye,  # noqa: F401
                                            full, full_like, identity, linspace, ones,
                                            ones_like, zeros, zeros_like)
from functorch_lite.numpy._reductions import *  # noqa: F401,F403
from functorch_lite.numpy._linalg_core import *  # noqa: F401,F403

ndarray = Array

# dtype names: NumPy's scalar types, accepted wherever a dtype is
bool_ = _np.bool_
int8, int16, int32, int64 = _np.int8, _np.int16, _np.int32, _np.int64
uint8, uint16, uint32, uint64 = _np.uint8, _np.uint16, _np.uint32, _np.uint64
float16, float32, float64 = _np.float16, _np.float32, _np.float64
complex64, complex128 = _np.complex64, _np.complex128
dtype = _np.dtype
finfo, iinfo = _np.finfo, _np.iinfo

# constants
pi, e, inf, nan, euler_gamma = _np.pi, _np.e, _np.inf, _np.nan, _np.euler_gamma
newaxis = None
from functorch_lite.numpy._indexing import take, take_along_axis  # noqa: F401,E402
from functorch_lite.numpy._smooth import hypot, logaddexp, logaddexp2  # noqa: F401,E402
from functorch_lite.numpy import linalg  # noqa: F401,E402
from functorch_lite.numpy._interop import from_dlpack  # noqa: F401,E402
from functorch_lite.numpy._sorting import *  # noqa: F401,F403,E402
from functorch_lite.numpy._statistics import *  # noqa: F401,F403,E402
from functorch_lite.numpy._manipulation import (  # noqa: F401,E402
    array_split, cross, diag, diagonal, kron, logspace, meshgrid, pad, repeat, roll, rot90,
    split, tile, trace, tri, tril, triu, vander)
from functorch_lite.numpy._numerical import (allclose, array_equal, convolve,  # noqa: F401,E402
                                             correlate, diff, gradient, interp, isclose,
                                             piecewise, polyval, ravel_multi_index, select,
                                             trapezoid, unravel_index)
from functorch_lite.numpy._einsum import einsum  # noqa: F401,E402
from functorch_lite.numpy._complex import angle, conj, conjugate, imag, real  # noqa: F401,E402
from functorch_lite.numpy import fft  # noqa: F401,E402
# the Array API standard (2023.12): spec names, spec keywords on creation functions
from functorch_lite.numpy._array_api import *  # noqa: F401,F403,E402
from functorch_lite.numpy._array_api import __array_api_version__  # noqa: F401,E402
from functorch_lite.numpy._array_api_creation import (  # noqa: F401,E402
    arange, asarray, astype, empty, empty_like, expand_dims, eye, full, full_like, linspace,
    ones, ones_like, reshape, zeros, zeros_like)
from numpy import bool_ as bool  # noqa: F401,E402,A004
# issue 7 breadth: the rest of NumPy's main namespace (helper-B)
from functorch_lite.numpy._extras_shape import *  # noqa: F401,F403,E402
from functorch_lite.numpy._extras_index import *  # noqa: F401,F403,E402
from functorch_lite.numpy._extras_index import (  # noqa: F401,E402
    c_, index_exp, mgrid, ogrid, r_, s_)
from functorch_lite.numpy._extras_math import *  # noqa: F401,F403,E402
from functorch_lite.numpy._extras_logic import *  # noqa: F401,F403,E402
from functorch_lite.numpy._windows import *  # noqa: F401,F403,E402
from functorch_lite.numpy._polynomial import *  # noqa: F401,F403,E402
from functorch_lite.numpy._vectorize import *  # noqa: F401,F403,E402
from functorch_lite.numpy._extras_names import *  # noqa: F401,F403,E402


def __getattr__(name):
    """Names NumPy has but this module deliberately omits fail with the reason."""
    from functorch_lite.numpy._omitted import OMITTED
    if name in OMITTED:
        raise AttributeError(f"functorch_lite.numpy does not provide {name!r}: {OMITTED[name]}")
    raise AttributeError(f"module 'functorch_lite.numpy' has no attribute {name!r}")
