"""``functorch_lite.scipy.linalg``: triangular and Cholesky solves (differentiable,
batched over leading dimensions, compilable), plus ``cholesky`` with SciPy's default.

A right-hand side ``b`` is a vector when it has one dimension less than ``a``
(``(..., n)``), else a stack of matrices ``(..., n, k)``; batch dimensions broadcast.
"""
from transforms.core import bind
from xla_like import primitives as P
from functorch_lite.numpy._shape import squeeze, swapaxes
from functorch_lite.numpy.linalg import matrix_and_rhs, matrix_operand

__all__ = ["cho_solve", "cholesky", "solve_triangular"]

_TRANS = {0: False, "N": False, 1: True, "T": True, 2: True, "C": True}


def _operands(a, b, name):
    """``a`` (..., n, n) and ``b`` as (..., n, k) with one broadcast batch shape;
    ``b`` is a vector when it has one dimension less than ``a``."""
    return matrix_and_rhs(a, b, name, b_is_vector=lambda a, b: b.aval.ndim == a.aval.ndim - 1)


def _triangular(a, b, lower, transpose, unit_diagonal=False):
    return bind(P.triangular_solve_p, a, b, lower=bool(lower), transpose_a=transpose,
                unit_diagonal=bool(unit_diagonal))


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) @ x = b`` for triangular ``a``, reading only its lower (if
    ``lower``) or upper triangle; ``trans``: 0/'N' (``a``), 1/'T' or 2/'C' (``a.T``).
    ``overwrite_b`` and ``check_finite`` are accepted for SciPy compatibility.

    >>> solve_triangular(fnp.array([[2.0, 0.0], [1.0, 1.0]]), fnp.array([2.0, 2.0]),
    ...                  lower=True)
    Array([1., 1.], dtype=float32)
    """
    if trans not in _TRANS:
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', "
                         f"got {trans!r}")
    a, b, vector = _operands(a, b, "solve_triangular")
    x = _triangular(a, b, lower, _TRANS[trans], unit_diagonal)
    return squeeze(x, -1) if vector else x


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a @ x = b`` given ``(c, lower)``, the Cholesky factor of ``a`` (as
    ``cholesky(a, lower)`` or ``numpy.linalg.cholesky`` with ``lower=True`` return).

    >>> c = cholesky(fnp.array([[4.0, 2.0], [2.0, 3.0]]), lower=True)
    >>> cho_solve((c, True), fnp.array([6.0, 5.0]))
    Array([1., 1.], dtype=float32)
    """
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise TypeError(f"cho_solve: the first argument must be a pair (c, lower), got "
                        f"{type(c_and_lower).__name__}")
    c, lower = c_and_lower
    c, b, vector = _operands(c, b, "cho_solve")
    # a = l lᵀ: solve l y = b, then lᵀ x = y (upper: a = uᵀ u, the other way round)
    y = _triangular(c, b, lower, transpose=not lower)
    x = _triangular(c, y, lower, transpose=bool(lower))
    return squeeze(x, -1) if vector else x


def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """The Cholesky factor of a symmetric positive definite ``a``: upper (SciPy's
    default, ``a = u.T @ u``) or lower.

    >>> cholesky(fnp.array([[4.0, 2.0], [2.0, 3.0]]))[0, 1]
    Array(1., dtype=float32)
    """
    l = bind(P.cholesky_p, matrix_operand(a, "cholesky"))
    return l if lower else swapaxes(l, -1, -2)
