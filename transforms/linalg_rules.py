"""Rules of the linear-algebra primitives (``xla_like/primitives/linalg.py``): JVPs,
the transpose of ``triangular_solve`` in ``b``, and batching.

Every tangent below is built from primitives that are linear in the tangent
(``dot_general`` and ``mul`` with a known operand, ``triangular_solve`` in ``b``,
transposes, slices), so reverse mode is linearize + transpose as everywhere else.
The formulas are the standard ones (Murray 2016, "Differentiation of the Cholesky
decomposition"; Townsend 2016, "Differentiating the singular value decomposition";
Walter & Lehmann 2018 for QR and LU).

Where derivatives are undefined:

* ``eigh``: eigenvectors need distinct eigenvalues (the factors ``1 / (w_j - w_i)``
  are infinite for a repeated pair, and the tangents are inf/NaN); eigenvalues alone
  are differentiable everywhere the eigenvalue is simple;
* ``svd``: ``u``/``vt`` need distinct, nonzero singular values (``1 / (s_j² - s_i²)``,
  ``1 / s``); ``s`` alone needs them simple; ``full_matrices=True`` with ``m != n``
  is not differentiable (the extra columns are not unique): a clear error;
* ``qr``: ``full_matrices=True`` with ``m > n`` likewise; ``r`` needs full rank;
* ``cholesky``, ``lu``: need a positive definite, resp. nonsingular, matrix.

``cholesky`` and ``eigh`` read one triangle of their operand, so their tangents read
the same triangle (mirrored): derivatives match finite differences of what NumPy
computes, also along non-symmetric directions.

Batching: every primitive maps over leading dimensions, so a batched operand's batch
dimension moves to the front (an unbatched one is broadcast), the result is batched
at 0.
"""
import numpy as np

from transforms import ops
from transforms.array import from_numpy
from transforms.core import bind, cached_abstract_eval
from transforms.jvp import Zero, instantiate, jvp_rules, tangent_aval
from transforms.linearize import is_linear, transpose_rules
from transforms.vmap import batch_rules, batch_size, broadcast_batched
from xla_like import primitives as P


# ---- helpers on stacks of matrices (..., m, n) -----------------------------------------

def _mT(x):
    """Swap the last two axes."""
    nd = x.aval.ndim
    return ops.transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _matmul(x, y):
    """``x @ y`` for stacks with the same batch dimensions."""
    nd = x.aval.ndim
    batch = tuple(range(nd - 2))
    dims = (((nd - 1,), (nd - 2,)), (batch, batch))
    return bind(P.dot_general_p, x, y, dimension_numbers=dims, preferred_element_type=None)


def _constant(x, matrix):
    """A NumPy ``(m, n)`` matrix as a constant broadcast to ``x``'s stack shape."""
    aval = x.aval
    c = from_numpy(np.asarray(matrix, dtype=aval.dtype), weak=aval.weak)
    nd = aval.ndim
    return ops.broadcast_in_dim(c, aval.shape, (nd - 2, nd - 1))


def _tril(x, k=0):
    m, n = x.aval.shape[-2:]
    return ops.mul(x, _constant(x, np.tri(m, n, k)))


def _triu(x, k=0):
    m, n = x.aval.shape[-2:]
    return ops.mul(x, _constant(x, 1 - np.tri(m, n, k - 1)))


def _eye_like(x):
    m, n = x.aval.shape[-2:]
    return _constant(x, np.eye(m, n))


def _diagonal(x):
    """(..., n, n) -> (..., n)."""
    return ops.reduce_sum(ops.mul(x, _eye_like(x)), (x.aval.ndim - 1,))


def _rows_of(v, shape):
    """Broadcast the vectors ``v`` (..., n) to ``shape`` (..., r, n): ``out[..., i, j] =
    v[..., j]``."""
    nd = len(shape)
    return ops.broadcast_in_dim(v, shape, tuple(range(nd - 2)) + (nd - 1,))


def _solve(a, b, lower, transpose_a=False, unit_diagonal=False):
    return bind(P.triangular_solve_p, a, b, lower=lower, transpose_a=transpose_a,
                unit_diagonal=unit_diagonal)


def _solve_right(a, b, lower, unit_diagonal=False):
    """``b @ inv(a)`` for triangular ``a``: ``(inv(a).T @ b.T).T``."""
    return _mT(_solve(a, _mT(b), lower, transpose_a=True, unit_diagonal=unit_diagonal))


def _mirror(x, lower):
    """The symmetric matrix made of ``x``'s lower (else upper) triangle."""
    if lower:
        return ops.add(_tril(x), _mT(_tril(x, -1)))
    return ops.add(_triu(x), _mT(_triu(x, 1)))


def _sum(terms, aval):
    terms = [t for t in terms if t is not None]
    if not terms:
        return Zero(tangent_aval(aval))
    total = terms[0]
    for t in terms[1:]:
        total = ops.add(total, t)
    return total


# ---- cholesky ---------------------------------------------------------------------------

def _cholesky_jvp(primals, tangents):
    """dL = L Φ(L⁻¹ dΣ L⁻ᵀ), Φ: the lower triangle with the diagonal halved."""
    (a,), (a_dot,) = primals, tangents
    l = bind(P.cholesky_p, a)
    sigma = _mirror(a_dot, lower=True)
    half = _solve(l, sigma, lower=True)                 # L⁻¹ dΣ
    inner = _solve(l, _mT(half), lower=True)            # L⁻¹ dΣ L⁻ᵀ (dΣ symmetric)
    n = a.aval.shape[-1]
    phi = ops.mul(inner, _constant(inner, np.tri(n) - 0.5 * np.eye(n)))
    return l, _matmul(l, phi)


jvp_rules[P.cholesky_p] = _cholesky_jvp


# ---- triangular_solve -------------------------------------------------------------------------

def _triangular_solve_jvp(primals, tangents, lower, transpose_a, unit_diagonal):
    """x = op(A)⁻¹ b: dx = op(A)⁻¹ (db - op(dA) x), dA restricted to what is read."""
    (a, b), (a_dot, b_dot) = primals, tangents
    params = dict(lower=lower, transpose_a=transpose_a, unit_diagonal=unit_diagonal)
    x = bind(P.triangular_solve_p, a, b, **params)
    rhs = None if type(b_dot) is Zero else b_dot
    if type(a_dot) is not Zero:
        k = -1 if unit_diagonal else 0
        read = _tril(a_dot, k) if lower else _triu(a_dot, -k)
        term = ops.neg(_matmul(_mT(read) if transpose_a else read, x))
        rhs = term if rhs is None else ops.add(rhs, term)
    if rhs is None:
        return x, Zero(tangent_aval(x.aval))
    return x, bind(P.triangular_solve_p, a, rhs, **params)


def _triangular_solve_transpose(ct, a, b, lower, transpose_a, unit_diagonal):
    if is_linear(a):
        raise ValueError("transpose of triangular_solve: it is linear in b only, "
                         "got a linear a")
    ct_b = bind(P.triangular_solve_p, a, instantiate(ct), lower=lower,
                transpose_a=not transpose_a, unit_diagonal=unit_diagonal)
    return [None, ct_b]


jvp_rules[P.triangular_solve_p] = _triangular_solve_jvp
transpose_rules[P.triangular_solve_p] = _triangular_solve_transpose


# ---- lu ---------------------------------------------------------------------------------------

def _permutation_matrix(perm, like):
    """``p`` with ``p @ a == a[perm]`` (one-hot rows), of ``like``'s dtype and shape."""
    shape = like.aval.shape
    nd = len(shape)
    rows = ops.broadcast_in_dim(perm, shape, tuple(range(nd - 1)))
    cols = bind(P.iota_p, dtype=perm.aval.dtype, shape=shape, dimension=nd - 1)
    return ops.convert(ops.eq(rows, cols), like.aval.dtype, like.aval.weak)


def _lu_jvp(primals, tangents):
    """P A = L U: with X = L⁻¹ P dA U⁻¹, dL = L tril(X, -1), dU = triu(X) U."""
    (a,), (a_dot,) = primals, tangents
    lu, pivots, perm = bind(P.lu_p, a)
    permuted = _matmul(_permutation_matrix(perm, a), a_dot)
    x = _solve_right(lu, _solve(lu, permuted, lower=True, unit_diagonal=True), lower=False)
    l = ops.add(_tril(lu, -1), _eye_like(lu))
    lu_dot = ops.add(_matmul(l, _tril(x, -1)), _matmul(_triu(x), _triu(lu)))
    return [lu, pivots, perm], [lu_dot, Zero(tangent_aval(pivots.aval)),
                                Zero(tangent_aval(perm.aval))]


jvp_rules[P.lu_p] = _lu_jvp


# ---- qr ----------------------------------------------------------------------------------------

def _qr_tangents(q, r, a_dot):
    """Square or tall reduced QR (``r`` square): with C = Qᵀ dA R⁻¹ and the skew
    Ω = tril(C, -1) - tril(C, -1)ᵀ: dQ = Q (Ω - C) + dA R⁻¹, dR = (C - Ω) R."""
    dx_rinv = _solve_right(r, a_dot, lower=False)
    c = _matmul(_mT(q), dx_rinv)
    low = _tril(c, -1)
    omega = ops.sub(low, _mT(low))
    dq = ops.add(_matmul(q, ops.sub(omega, c)), dx_rinv)
    return dq, _matmul(ops.sub(c, omega), r)


def _columns(x, lo, hi):
    """``x[..., lo:hi]``."""
    shape = x.aval.shape
    return bind(P.slice_p, x, start_indices=(0,) * (len(shape) - 1) + (lo,),
                limit_indices=shape[:-1] + (hi,), strides=None)


def _qr_jvp(primals, tangents, full_matrices):
    (a,), (a_dot,) = primals, tangents
    q, r = bind(P.qr_p, a, full_matrices=full_matrices)
    m, n = a.aval.shape[-2:]
    if full_matrices and m > n:
        raise NotImplementedError(
            f"jvp of qr with full_matrices=True and m > n (got {a.aval}): the last m - n "
            "columns of q are not unique, so they have no derivative; use mode='reduced'")
    if m >= n:
        dq, dr = _qr_tangents(q, r, a_dot)
        return [q, r], [dq, dr]
    # wide: A = Q [R1 R2] where [A1 = Q R1] is a square QR; dR2 = Qᵀ (dA2 - dQ R2)
    r1, r2 = _columns(r, 0, m), _columns(r, m, n)
    dq, dr1 = _qr_tangents(q, r1, _columns(a_dot, 0, m))
    dr2 = _matmul(_mT(q), ops.sub(_columns(a_dot, m, n), _matmul(dq, r2)))
    dr = bind(P.concatenate_p, dr1, dr2, dimension=a.aval.ndim - 1)
    return [q, r], [dq, dr]


jvp_rules[P.qr_p] = _qr_jvp


# ---- eigh --------------------------------------------------------------------------------------

def _inverse_gaps(values, shape):
    """``f[..., i, j] = 1 / (values_j - values_i)`` off the diagonal, 0 on it."""
    row = _rows_of(values, shape)
    eye = _constant(row, np.eye(shape[-1]))
    gaps = ops.sub(row, _mT(row))
    return ops.sub(ops.div(ops.full_like(gaps, 1), ops.add(gaps, eye)), eye)


def _eigh_jvp(primals, tangents, lower):
    """dw = diag(Vᵀ dA V), dV = V (F ∘ Vᵀ dA V), F_ij = 1 / (w_j - w_i)."""
    (a,), (a_dot,) = primals, tangents
    w, v = bind(P.eigh_p, a, lower=lower)
    rotated = _matmul(_mT(v), _matmul(_mirror(a_dot, lower), v))
    w_dot = _diagonal(rotated)
    v_dot = _matmul(v, ops.mul(_inverse_gaps(w, a.aval.shape), rotated))
    return [w, v], [w_dot, v_dot]


jvp_rules[P.eigh_p] = _eigh_jvp


# ---- svd --------------------------------------------------------------------------------------

def _svd_vector_tangents(u, s, v, a_dot, ds_matrix):
    """dU and dV of the reduced SVD (real case), Townsend's formulas."""
    shape = ds_matrix.aval.shape
    s_row = _rows_of(s, shape)                           # s_j
    s_col = _mT(s_row)                                   # s_i
    eye = _constant(s_row, np.eye(shape[-1]))
    gaps = ops.mul(ops.add(s_row, s_col), ops.sub(s_row, s_col))     # s_j² - s_i²
    f = ops.sub(ops.div(ops.full_like(gaps, 1), ops.add(gaps, eye)), eye)
    dss, sds = ops.mul(s_row, ds_matrix), ops.mul(s_col, ds_matrix)
    du = _matmul(u, ops.mul(f, ops.add(dss, _mT(dss))))
    dv = _matmul(v, ops.mul(f, ops.add(sds, _mT(sds))))
    m, n = a_dot.aval.shape[-2:]
    if m > n:        # the part of dA V outside span(U)
        dav = _matmul(a_dot, v)
        du = ops.add(du, ops.div(ops.sub(dav, _matmul(u, _matmul(_mT(u), dav))),
                                 _rows_of(s, dav.aval.shape)))
    if n > m:
        datu = _matmul(_mT(a_dot), u)
        dv = ops.add(dv, ops.div(ops.sub(datu, _matmul(v, _matmul(_mT(v), datu))),
                                 _rows_of(s, datu.aval.shape)))
    return du, dv


def _svd_jvp(primals, tangents, full_matrices, compute_uv):
    """ds = diag(Uᵀ dA V); dU, dV as in ``_svd_vector_tangents``."""
    (a,), (a_dot,) = primals, tangents
    m, n = a.aval.shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"jvp of svd with full_matrices=True and m != n (got {a.aval}): the extra "
            "singular vectors are not unique; use full_matrices=False")
    u, s, vt = bind(P.svd_p, a, full_matrices=False, compute_uv=True)
    v = _mT(vt)
    ds_matrix = _matmul(_mT(u), _matmul(a_dot, v))
    ds = _diagonal(ds_matrix)
    if not compute_uv:
        return [s], [ds]
    du, dv = _svd_vector_tangents(u, s, v, a_dot, ds_matrix)
    return [u, s, vt], [du, ds, _mT(dv)]


jvp_rules[P.svd_p] = _svd_jvp


# ---- batching ----------------------------------------------------------------------------------

class _Example:
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval


def _leading_batch(prim):
    """The primitive maps over leading dimensions: batch at the front, then bind.
    Params are checked on one batch element first, so errors name the user's shapes."""
    def rule(args, bdims, **params):
        examples = [_Example(a.aval if b is None else a.aval.update(
            shape=a.aval.shape[:b] + a.aval.shape[b + 1:])) for a, b in zip(args, bdims)]
        cached_abstract_eval(prim, examples, params)
        size = batch_size(args, bdims)
        args = [broadcast_batched(a, b, size, 0) for a, b in zip(args, bdims)]
        out = bind(prim, *args, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)
    batch_rules[prim] = rule


for _prim in (P.cholesky_p, P.triangular_solve_p, P.lu_p, P.qr_p, P.eigh_p, P.svd_p):
    _leading_batch(_prim)
