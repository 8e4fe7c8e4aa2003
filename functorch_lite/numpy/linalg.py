"""``functorch_lite.numpy.linalg``: NumPy's linear algebra, differentiable, batchable and
compilable.

Every function maps over leading (batch) dimensions like NumPy's, on float32 and
float64 (integer and bool inputs are computed in float64, as NumPy does; complex is
not supported).  Only the decompositions are primitives (``cholesky``, ``lu``, ``qr``,
``eigh``, ``svd``, ``triangular_solve``: ``xla_like/primitives/linalg.py``);
``solve``, ``inv``, ``det``, ``slogdet`` are LU compositions, ``pinv``, ``lstsq``,
``matrix_rank`` and the spectral norms SVD compositions.  The Array API extension's
functions NumPy 2 added (``cross``, ``diagonal``, ``matrix_norm``, ``outer``,
``tensordot``, ``trace``, ``vecdot``, ``vector_norm``, with the standard's signatures)
are in ``_array_api_linalg.py``; ``vector_norm`` and ``matrix_norm`` (except ``ord``
2, -2 and "nuc") also take complex input.

Differences from NumPy:

* a matrix that is not positive definite gives ``cholesky`` a factor of NaNs, and a
  singular one gives ``solve``/``inv`` infs or NaNs, instead of raising
  ``LinAlgError`` (a compiled program cannot raise on data);
* ``lstsq`` returns residuals whenever ``M > N`` (NumPy leaves them out when the
  rank is below ``N``, a data-dependent shape); ``rank`` is an int32 array;
* ``matrix_rank`` returns int32 counts.

Gradients of ``eigh``/``svd`` need distinct eigen/singular values (see
``transforms/linalg_rules.py``); ``cholesky`` and ``eigh`` read one triangle of their
input, as NumPy's do, and so do their derivatives.

>>> import functorch_lite.numpy as fnp
>>> fnp.linalg.det(fnp.array([[2.0, 1.0], [1.0, 3.0]]))
Array(5., dtype=float32)
"""
import operator
from typing import NamedTuple

import numpy as np

from transforms.core import bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy import _reductions as red
from functorch_lite.numpy import _ufuncs as uf
from functorch_lite.numpy._array_api import matrix_transpose
from functorch_lite.numpy._convert import as_operand, broadcast_shapes, broadcast_to, convert
from functorch_lite.numpy._creation import eye, zeros
from functorch_lite.numpy._linalg_core import matmul
from functorch_lite.numpy._shape import expand_dims, moveaxis, normalize_axis, reshape

__all__ = ["EighResult", "QRResult", "SlogdetResult", "SVDResult", "cholesky", "det",
           "eigh", "eigvalsh", "inv", "lstsq", "matrix_power", "matrix_rank",
           "matrix_transpose", "norm",
           "pinv", "qr", "slogdet", "solve", "svd", "svdvals",
           # the Array API extension's NumPy 2 additions (_array_api_linalg.py)
           "cross", "diagonal", "matmul", "matrix_norm", "outer", "tensordot", "trace",
           "vecdot", "vector_norm"]


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


# ---- operands ----------------------------------------------------------------------------

def inexact_operand(x, name, what="a"):
    """``x`` as an Array of float32/float64 (ints and bools become float64, float16
    float32, as NumPy's linalg does)."""
    x = as_operand(x, f"{name}: {what}")
    dtype = x.aval.dtype
    if dtypes.is_complex(dtype):
        raise TypeError(f"{name}: complex {what} ({x.aval}) is not supported")
    if dtype in (dtypes.float32, dtypes.float64):
        return convert(x, dtype) if x.aval.weak else x
    return convert(x, dtypes.float32 if dtype == dtypes.float16 else dtypes.float64)


def matrix_operand(x, name, what="a", square=True):
    """A float stack of matrices ``(..., m, n)``, square if asked; errors name ``name``."""
    x = inexact_operand(x, name, what)
    shape = x.aval.shape
    if len(shape) < 2:
        raise ValueError(f"{name}: {what} must have at least 2 dimensions (..., m, n), "
                         f"got shape {shape}")
    if square and shape[-1] != shape[-2]:
        raise ValueError(f"{name}: {what} must be square in its last two dimensions, "
                         f"got shape {shape}")
    return x


def _eye_like(a):
    n = a.aval.shape[-1]
    return broadcast_to(eye(n, dtype=a.aval.dtype), a.aval.shape)


def _diagonal(a):
    """The diagonals of a stack of square matrices, (..., n)."""
    return red.sum(uf.multiply(a, _eye_like(a)), axis=-1)


def matrix_and_rhs(a, b, name, b_is_vector):
    """``a`` as (..., n, n) and ``b`` as (..., n, k), promoted to one dtype and broadcast
    to one batch shape; ``b_is_vector(a, b)`` says whether ``b`` is a (stack of)
    vector(s), which then gets a trailing axis.  Returns ``(a, b, vector)``."""
    a = matrix_operand(a, name)
    b = inexact_operand(b, name, "b")
    dtype = dtypes.promote_types(a.aval.dtype, b.aval.dtype)
    a, b = convert(a, dtype), convert(b, dtype)
    vector = b_is_vector(a, b)
    if vector:
        b = expand_dims(b, -1)
    if b.aval.ndim < 2 or b.aval.shape[-2] != a.aval.shape[-1]:
        raise ValueError(f"{name}: b of shape {b.aval.shape[:-1] if vector else b.aval.shape} "
                         f"does not match a of shape {a.aval.shape} (b needs "
                         f"{a.aval.shape[-1]} rows)")
    batch = broadcast_shapes(a.aval.shape[:-2], b.aval.shape[:-2])
    return _with_batch(a, batch), _with_batch(b, batch), vector


def _with_batch(x, batch):
    return broadcast_to(x, tuple(batch) + x.aval.shape[-2:])


# ---- factorizations ----------------------------------------------------------------------

def cholesky(a, *, upper=False):
    """The Cholesky factor of a symmetric positive definite ``a`` (lower, or upper if
    ``upper``); reads only the lower triangle.

    >>> cholesky(fnp.array([[4.0, 2.0], [2.0, 3.0]]))[1, 0]
    Array(1., dtype=float32)
    """
    l = bind(P.cholesky_p, matrix_operand(a, "cholesky"))
    return matrix_transpose(l) if upper else l


def qr(a, mode="reduced"):
    """QR decomposition: ``QRResult(Q, R)`` for ``mode`` "reduced" or "complete", ``R``
    alone for "r".

    >>> qr(fnp.ones((4, 2))).Q.shape
    (4, 2)
    """
    a = matrix_operand(a, "qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = bind(P.qr_p, a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def _uplo(UPLO, name):
    if UPLO not in ("L", "U"):
        raise ValueError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")
    return UPLO == "L"


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix given
    by its lower (``UPLO="L"``) or upper triangle.

    >>> eigh(fnp.array([[2.0, 0.0], [0.0, 1.0]])).eigenvalues
    Array([1., 2.], dtype=float32)
    """
    lower = _uplo(UPLO, "eigh")
    w, v = bind(P.eigh_p, matrix_operand(a, "eigh"), lower=lower)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L"):
    """The eigenvalues of a symmetric matrix, ascending.

    >>> eigvalsh(fnp.array([[2.0, 1.0], [1.0, 2.0]]))
    Array([1., 3.], dtype=float32)
    """
    return eigh(a, UPLO).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition: ``SVDResult(U, S, Vh)`` with ``a = U @ diag(S) @
    Vh``, or ``S`` alone (descending) without ``compute_uv``.  ``hermitian`` is
    NumPy's speed hint: it only requires a square ``a`` (the general SVD is computed).

    >>> svd(fnp.ones((3, 2)), compute_uv=False).shape
    (2,)
    """
    a = matrix_operand(a, "svd", square=hermitian)
    if not compute_uv:
        (s,) = bind(P.svd_p, a, full_matrices=False, compute_uv=False)
        return s
    u, s, vt = bind(P.svd_p, a, full_matrices=bool(full_matrices), compute_uv=True)
    return SVDResult(u, s, vt)


def svdvals(x):
    """The singular values, descending.  ``svdvals(fnp.eye(2))`` is ``[1., 1.]``."""
    return svd(x, compute_uv=False)


# ---- LU compositions -------------------------------------------------------------------

def _lu(a):
    lu, pivots, perm = bind(P.lu_p, a)
    return lu, pivots, perm


def _permute_rows(perm, b):
    """``b[..., perm, :]`` as a product with a one-hot matrix (batched, differentiable)."""
    n = perm.aval.shape[-1]
    one_hot = uf.equal(expand_dims(perm, -1), np.arange(n, dtype=np.int32))
    return matmul(convert(one_hot, b.aval.dtype), b)


def _lu_solve(lu, perm, b):
    """Solve ``a x = b`` from ``a``'s LU factors; ``b``: (..., n, k), same batch."""
    y = bind(P.triangular_solve_p, lu, _permute_rows(perm, b), lower=True,
             transpose_a=False, unit_diagonal=True)
    return bind(P.triangular_solve_p, lu, y, lower=False, transpose_a=False,
                unit_diagonal=False)


def solve(a, b):
    """Solve ``a @ x = b``; ``b`` is a vector if 1-d, else a stack of matrices
    (NumPy 2 rules); batch dimensions broadcast.

    >>> solve(fnp.array([[2.0, 0.0], [0.0, 4.0]]), fnp.array([2.0, 2.0]))
    Array([1. , 0.5], dtype=float32)
    """
    a, b, vector = matrix_and_rhs(a, b, "solve", b_is_vector=lambda a, b: b.aval.ndim == 1)
    lu, _, perm = _lu(a)
    x = _lu_solve(lu, perm, b)
    return x[..., 0] if vector else x


def inv(a):
    """The inverse of each square matrix.  ``inv(2 * fnp.eye(2))`` is ``0.5 * eye(2)``."""
    a = matrix_operand(a, "inv")
    lu, _, perm = _lu(a)
    return _lu_solve(lu, perm, _eye_like(a))


def _lu_sign_and_diagonal(a):
    lu, pivots, _ = _lu(a)
    n = a.aval.shape[-1]
    swaps = red.sum(uf.not_equal(pivots, np.arange(n, dtype=np.int32)), axis=-1)
    parity = uf.where(uf.equal(uf.bitwise_and(swaps, 1), 0), 1.0, -1.0)
    return convert(parity, a.aval.dtype), _diagonal(lu)


def det(a):
    """The determinant of each square matrix (from its LU factors).

    >>> det(fnp.array([[1.0, 2.0], [3.0, 4.0]]))
    Array(-2., dtype=float32)
    """
    sign, diagonal = _lu_sign_and_diagonal(matrix_operand(a, "det"))
    return uf.multiply(sign, red.prod(diagonal, axis=-1))


def slogdet(a):
    """``SlogdetResult(sign, logabsdet)`` with ``det(a) = sign * exp(logabsdet)``; a
    singular matrix has sign 0 and logabsdet -inf.

    >>> slogdet(fnp.array([[-2.0, 0.0], [0.0, 3.0]])).sign
    Array(-1., dtype=float32)
    """
    sign, diagonal = _lu_sign_and_diagonal(matrix_operand(a, "slogdet"))
    sign = uf.multiply(sign, red.prod(uf.sign(diagonal), axis=-1))
    return SlogdetResult(sign, red.sum(uf.log(uf.abs(diagonal)), axis=-1))


def matrix_power(a, n):
    """``a`` to the integer power ``n`` (by repeated squaring; negative powers invert).

    >>> matrix_power(fnp.array([[1.0, 1.0], [0.0, 1.0]]), 3)[0, 1]
    Array(3., dtype=float32)
    """
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}") from None
    a = matrix_operand(a, "matrix_power")
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else matmul(result, a)
        n >>= 1
        if n:
            a = matmul(a, a)
    return _eye_like(a) if result is None else result


# ---- SVD compositions ------------------------------------------------------------------

def _reciprocal_above(s, cutoff):
    """``1 / s`` where ``s > cutoff``, else 0 (the small values' gradient is 0, not NaN);
    subnormal ``s`` count as zero too (their reciprocal overflows)."""
    tiny = float(np.finfo(s.aval.dtype).tiny)
    large = uf.logical_and(uf.greater(s, cutoff), uf.greater_equal(s, tiny))
    safe = uf.where(large, s, 1.0)
    return uf.where(large, uf.divide(1.0, safe), 0.0), large


def _relative_cutoff(s, rtol):
    """``rtol * max(s)`` per matrix, shaped to compare with ``s`` (..., k)."""
    rtol = as_operand(rtol)
    rtol = convert(rtol, s.aval.dtype, weak=rtol.aval.weak and rtol.aval.ndim == 0)
    return uf.multiply(expand_dims(rtol, -1), red.max(s, axis=-1, keepdims=True,
                                                      initial=0.0))


def pinv(a, rcond=None, hermitian=False, *, rtol=None):
    """The Moore-Penrose pseudo-inverse, via the SVD; singular values at most
    ``rcond * max(s)`` count as zero (``rcond`` defaults to NumPy's 1e-15, ``rtol=None``
    asks for ``max(m, n) * eps`` instead).

    >>> pinv(fnp.array([[2.0, 0.0], [0.0, 0.0]]))[0, 0]
    Array(0.5, dtype=float32)
    """
    a = matrix_operand(a, "pinv", square=hermitian)
    if rcond is not None and rtol is not None:
        raise ValueError("pinv: rtol and rcond can't be both set")
    if rcond is None:
        rcond = 1e-15 if rtol is None else rtol
    u, s, vt = bind(P.svd_p, a, full_matrices=False, compute_uv=True)
    s_inv, _ = _reciprocal_above(s, _relative_cutoff(s, rcond))
    return matmul(uf.multiply(matrix_transpose(vt), expand_dims(s_inv, -2)),
                  matrix_transpose(u))


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """The number of singular values above ``tol`` (default ``max(s) * max(m, n) *
    eps``, or ``max(s) * rtol``), as int32; 0-d and 1-d inputs: 1 unless all zero.

    >>> matrix_rank(fnp.array([[1.0, 2.0], [2.0, 4.0]]))
    Array(1, dtype=int32)
    """
    A = inexact_operand(A, "matrix_rank", "A")
    if A.aval.ndim < 2:
        return convert(red.any(uf.not_equal(A, 0.0)), dtypes.int32)
    s = svdvals(matrix_operand(A, "matrix_rank", "A", square=hermitian))
    if tol is None:
        if rtol is None:
            rtol = max(A.aval.shape[-2:]) * float(np.finfo(s.aval.dtype).eps)
        cutoff = _relative_cutoff(s, rtol)
    else:
        cutoff = expand_dims(convert(as_operand(tol), s.aval.dtype), -1)
    return red.sum(uf.greater(s, cutoff), axis=-1, dtype=dtypes.int32)


def lstsq(a, b, rcond=None):
    """Least squares: ``(x, residuals, rank, s)`` minimizing ``|b - a @ x|`` for a 2-d
    ``a`` (M, N) and ``b`` (M,) or (M, K); singular values at most ``rcond * max(s)``
    (default ``eps * max(M, N)``) count as zero.  ``residuals`` (squared 2-norms of
    the columns of ``b - a @ x``) has shape (K,) or (1,) when ``M > N``, else (0,).

    >>> lstsq(fnp.array([[1.0], [1.0]]), fnp.array([1.0, 3.0]))[0]
    Array([2.], dtype=float32)
    """
    a = matrix_operand(a, "lstsq", square=False)
    b = inexact_operand(b, "lstsq", "b")
    if a.aval.ndim != 2 or b.aval.ndim not in (1, 2) or b.aval.shape[0] != a.aval.shape[0]:
        raise ValueError(f"lstsq: a must be 2-d (M, N) and b (M,) or (M, K), got shapes "
                         f"{a.aval.shape} and {b.aval.shape}")
    dtype = dtypes.promote_types(a.aval.dtype, b.aval.dtype)
    a, b = convert(a, dtype), convert(b, dtype)
    m, n = a.aval.shape
    if rcond is None:
        rcond = float(np.finfo(dtype).eps) * max(m, n)
    u, s, vt = bind(P.svd_p, a, full_matrices=False, compute_uv=True)
    s_inv, large = _reciprocal_above(s, _relative_cutoff(s, rcond))
    rhs = b if b.aval.ndim == 2 else expand_dims(b, -1)
    x = matmul(matrix_transpose(vt), uf.multiply(expand_dims(s_inv, -1),
                                                 matmul(matrix_transpose(u), rhs)))
    if m > n:
        residuals = red.sum(uf.square(uf.subtract(rhs, matmul(a, x))), axis=0)
    else:
        residuals = zeros((0,), dtype)
    rank = red.sum(large, axis=-1, dtype=dtypes.int32)
    return (x if b.aval.ndim == 2 else reshape(x, (n,))), residuals, rank, s


# ---- norms -------------------------------------------------------------------------------

def _vector_norm(x, ord, axis, keepdims):
    ax = uf.abs(x)
    if ord is None or ord == 2:
        return uf.sqrt(red.sum(uf.multiply(x, x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord == np.inf:
        return red.max(ax, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return red.min(ax, axis=axis, keepdims=keepdims)
    if ord == 0:
        return red.sum(convert(uf.not_equal(x, 0.0), x.aval.dtype), axis=axis,
                       keepdims=keepdims)
    if ord == 1:
        return red.sum(ax, axis=axis, keepdims=keepdims)
    p = float(ord)
    return uf.power(red.sum(uf.power(ax, p), axis=axis, keepdims=keepdims), 1.0 / p)


def _spectral(x, row, col, reduce):
    s = svdvals(moveaxis(x, (row, col), (-2, -1)))
    return reduce(s, axis=-1)


def _matrix_norm(x, ord, row, col):
    """The norm over axes ``row`` and ``col`` (removed from the result)."""
    if ord in (None, "fro", "f"):
        return uf.sqrt(red.sum(uf.multiply(x, x), axis=(row, col)))
    if ord == "nuc":
        return _spectral(x, row, col, red.sum)
    if ord in (2, -2):
        return _spectral(x, row, col, red.max if ord == 2 else red.min)
    if ord in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum (over rows); inf: the largest row sum
        summed, kept = (row, col) if ord in (1, -1) else (col, row)
        sums = red.sum(uf.abs(x), axis=summed)
        kept = kept - 1 if kept > summed else kept
        return (red.max if ord > 0 else red.min)(sums, axis=kept)
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices")


def _norm_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = tuple(normalize_axis(a, ndim, "norm") for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"norm: duplicate axes given, got {axis!r}")
    return axes


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms (``ord`` None/2, 1, inf, -inf, 0 or any p) over one axis, matrix
    norms (None/'fro', 'nuc', 1, -1, 2, -2, inf, -inf) over two; with ``axis=None``
    a 1-d input is a vector, a 2-d one a matrix, and ``ord=None`` is the 2-norm of
    all elements.

    >>> norm(fnp.array([[3.0, 0.0], [0.0, 4.0]]))
    Array(5., dtype=float32)
    """
    x = inexact_operand(x, "norm", "x")
    ndim = x.aval.ndim
    if axis is None and ord is None:
        out = uf.sqrt(red.sum(uf.multiply(x, x)))
        return reshape(out, (1,) * ndim) if keepdims else out
    if axis is None and ndim not in (1, 2):
        raise ValueError(f"norm: ord={ord!r} needs a 1-d or 2-d input or an axis, got "
                         f"shape {x.aval.shape}")
    axes = _norm_axes(axis, ndim)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) != 2:
        raise ValueError(f"norm: axis must name 1 or 2 axes, got {axis!r}")
    out = _matrix_norm(x, ord, *axes)
    return expand_dims(out, tuple(sorted(axes))) if keepdims else out


# the Array API extension's functions that need only the helpers above
from functorch_lite.numpy._array_api_linalg import (  # noqa: E402
    cross, diagonal, matrix_norm, outer, tensordot, trace, vecdot, vector_norm)
