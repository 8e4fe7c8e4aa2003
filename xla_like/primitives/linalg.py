"""Matrix decompositions and triangular solves: the few linear-algebra primitives.

Every one works on a stack of matrices: its operands are ``(..., m, n)`` arrays of
float32 or float64 whose leading (batch) dimensions it maps over, and its results
keep them.  Everything else in ``numpy.linalg`` (``solve``, ``det``, ``inv``,
``pinv``, ``lstsq``, ``norm``, ...) is a composition in ``functorch_lite.numpy.linalg``.

* ``cholesky(a)``: the lower factor ``l`` of ``a = l @ l.T``; reads only the lower
  triangle of ``a`` (as LAPACK's ``potrf``); a matrix that is not positive definite
  gives a factor of NaNs (no exception: a traced program cannot raise on data);
* ``triangular_solve(a, b, lower, transpose_a, unit_diagonal)``: ``x`` with
  ``op(a) @ x = b`` (``op(a)`` is ``a`` or ``a.T``), reading only ``a``'s ``lower``
  (else upper) triangle, and not its diagonal when ``unit_diagonal``; ``b`` is
  ``(..., n, k)`` with ``a``'s batch dimensions;
* ``lu(a)``: ``(lu, pivots, permutation)`` with partial pivoting (LAPACK ``getrf``) of
  a square ``a``: ``a[permutation] = l @ u`` where ``l`` (unit diagonal) and ``u`` are
  packed into ``lu``; ``pivots`` are LAPACK's row swaps, 0-based, int32;
* ``qr(a, full_matrices)``: ``(q, r)``, reduced (``q``: ``(m, k)``, ``r``: ``(k, n)``,
  ``k = min(m, n)``) or complete (``q``: ``(m, m)``, ``r``: ``(m, n)``);
* ``eigh(a, lower)``: ``(w, v)``, eigenvalues ascending and eigenvectors (columns) of
  a symmetric matrix given by its lower (else upper) triangle;
* ``svd(a, full_matrices, compute_uv)``: ``(u, s, vt)``, or ``(s,)`` without vectors;
  singular values descending.

>>> lu_p.impl(np.array([[1.0, 2.0], [3.0, 4.0]]))[2]
array([1, 0], dtype=int32)
"""
import warnings

import numpy as np
import scipy.linalg

from xla_like import dtypes
from xla_like.ir import ShapedArray
from xla_like.primitive import Primitive

__all__ = ["cholesky_p", "triangular_solve_p", "lu_p", "qr_p", "eigh_p", "svd_p"]


# ---- shared checks ----------------------------------------------------------------------

def _check_matrix(name, aval, what="operand", square=True):
    """``aval`` must be a (stack of) float32/float64 matrices, square if asked."""
    if aval.dtype not in (dtypes.float32, dtypes.float64):
        raise TypeError(f"{name}: {what} must be float32 or float64, got {aval}")
    if aval.ndim < 2:
        raise ValueError(f"{name}: {what} must be a matrix or a stack of matrices "
                         f"(..., m, n), got {aval}")
    if square and aval.shape[-1] != aval.shape[-2]:
        raise ValueError(f"{name}: {what} must be square (..., n, n), got {aval}")


def _check_flag(name, value, what):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: {what} must be a bool, got {value!r}")


def _like(aval, shape, dtype=None):
    return ShapedArray(tuple(shape), aval.dtype if dtype is None else dtype, aval.weak)


def _per_matrix(fun, a, out_shapes, out_dtypes):
    """Apply ``fun(matrix) -> tuple of arrays`` to each matrix of the stack ``a``."""
    batch = a.shape[:-2]
    outs = [np.empty(batch + s, d) for s, d in zip(out_shapes, out_dtypes)]
    for index in np.ndindex(*batch):
        for out, value in zip(outs, fun(a[index])):
            out[index] = value
    return outs


# ---- cholesky -----------------------------------------------------------------------------

def _cholesky_abstract_eval(a):
    _check_matrix("cholesky", a)
    return a


def _cholesky_one(a):
    try:
        return (np.linalg.cholesky(a),)
    except np.linalg.LinAlgError:          # not positive definite: NaNs, like JAX
        return (np.full(a.shape, np.nan, a.dtype),)


def _cholesky_impl(a):
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:          # find which matrices of the stack failed
        return _per_matrix(_cholesky_one, a, [a.shape[-2:]], [a.dtype])[0]


cholesky_p = Primitive("cholesky", _cholesky_abstract_eval, _cholesky_impl)


# ---- triangular_solve ------------------------------------------------------------------------

def _triangular_solve_abstract_eval(a, b, lower, transpose_a, unit_diagonal):
    name = "triangular_solve"
    _check_matrix(name, a, "a")
    _check_matrix(name, b, "b", square=False)
    for what, flag in (("lower", lower), ("transpose_a", transpose_a),
                       ("unit_diagonal", unit_diagonal)):
        _check_flag(name, flag, what)
    if a.dtype != b.dtype:
        raise TypeError(f"{name}: a and b must have the same dtype, got {a} and {b}")
    if a.shape[:-2] != b.shape[:-2]:
        raise ValueError(f"{name}: a {a} and b {b} must have the same batch dimensions "
                         f"(broadcast them first)")
    if b.shape[-2] != a.shape[-1]:
        raise ValueError(f"{name}: b {b} must have {a.shape[-1]} rows to match a {a}")
    return ShapedArray(b.shape, b.dtype, a.weak and b.weak)


def _triangular_solve_impl(a, b, lower, transpose_a, unit_diagonal):
    def solve(a_i, b_i):
        return scipy.linalg.solve_triangular(a_i, b_i, trans=1 if transpose_a else 0,
                                             lower=lower, unit_diagonal=unit_diagonal,
                                             check_finite=False)
    out = np.empty(b.shape, b.dtype)
    if b.size == 0:
        return out
    with np.errstate(all="ignore"):          # a singular factor gives infs, as in LAPACK
        for index in np.ndindex(*a.shape[:-2]):
            out[index] = solve(a[index], b[index])
    return out


triangular_solve_p = Primitive("triangular_solve", _triangular_solve_abstract_eval,
                               _triangular_solve_impl)


# ---- lu ---------------------------------------------------------------------------------------

def _lu_abstract_eval(a):
    _check_matrix("lu", a)
    return [a, _like(a, a.shape[:-1], dtypes.int32), _like(a, a.shape[:-1], dtypes.int32)]


def _permutation_of(pivots):
    """The row permutation that LAPACK's sequence of row swaps makes."""
    perm = np.arange(len(pivots), dtype=np.int32)
    for i, p in enumerate(pivots):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _lu_one(a):
    with warnings.catch_warnings():          # a singular matrix still has an LU
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        lu, pivots = scipy.linalg.lu_factor(a, check_finite=False)
    return lu, pivots, _permutation_of(pivots)


def _lu_impl(a):
    n = a.shape[-1]
    return _per_matrix(_lu_one, a, [(n, n), (n,), (n,)], [a.dtype, np.int32, np.int32])


lu_p = Primitive("lu", _lu_abstract_eval, _lu_impl, multiple_results=True)


# ---- qr ---------------------------------------------------------------------------------------

def _qr_abstract_eval(a, full_matrices):
    _check_matrix("qr", a, square=False)
    _check_flag("qr", full_matrices, "full_matrices")
    *batch, m, n = a.shape
    k = m if full_matrices else min(m, n)
    return [_like(a, (*batch, m, k)), _like(a, (*batch, k, n))]


def _qr_impl(a, full_matrices):
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return [q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)]


qr_p = Primitive("qr", _qr_abstract_eval, _qr_impl, multiple_results=True)


# ---- eigh ---------------------------------------------------------------------------------------

def _eigh_abstract_eval(a, lower):
    _check_matrix("eigh", a)
    _check_flag("eigh", lower, "lower")
    return [_like(a, a.shape[:-1]), a]


def _eigh_impl(a, lower):
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return [w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)]


eigh_p = Primitive("eigh", _eigh_abstract_eval, _eigh_impl, multiple_results=True)


# ---- svd ----------------------------------------------------------------------------------------

def _svd_abstract_eval(a, full_matrices, compute_uv):
    _check_matrix("svd", a, square=False)
    _check_flag("svd", full_matrices, "full_matrices")
    _check_flag("svd", compute_uv, "compute_uv")
    *batch, m, n = a.shape
    k = min(m, n)
    s = _like(a, (*batch, k))
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [_like(a, (*batch, m, ku)), s, _like(a, (*batch, kv, n))]


def _svd_impl(a, full_matrices, compute_uv):
    if not compute_uv:
        return [np.linalg.svd(a, compute_uv=False).astype(a.dtype, copy=False)]
    u, s, vt = np.linalg.svd(a, full_matrices=full_matrices)
    return [x.astype(a.dtype, copy=False) for x in (u, s, vt)]


svd_p = Primitive("svd", _svd_abstract_eval, _svd_impl, multiple_results=True)
