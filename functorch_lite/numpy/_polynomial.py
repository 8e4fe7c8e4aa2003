"""NumPy's legacy polynomial functions on 1-d coefficient arrays (highest power first),
as compositions: ``poly``, ``polyadd``, ``polysub``, ``polymul``, ``polydiv``,
``polyder``, ``polyint``, ``polyfit`` (scaled least squares, as NumPy does) and
``roots``.

There is no general (non-symmetric) eigensolver, so ``poly`` of a square matrix uses the
Faddeev-LeVerrier recurrence (fine for the small matrices this is used on; it loses
accuracy for large or badly scaled ones), and ``roots`` uses the Durand-Kerner
iteration (simultaneous Newton steps) instead of the companion matrix's eigenvalues: it
converges to simple roots to working precision, and to a root of multiplicity m to
about the m-th root of it, as eigensolvers do.  ``roots`` is differentiable: a final step from the converged roots
carries the implicit-function derivative.

Differences from NumPy, all because shapes and dtypes must not depend on values under
``jit``: ``polydiv``'s remainder keeps the dividend's length (leading zeros are kept
unless ``trim_leading_zeros=True``, which needs concrete values); ``roots`` is always
complex, and strips leading zeros (no root) and trailing zeros (roots at 0) only from
concrete coefficients: traced ones must have a non-zero leading coefficient.
"""
import operator

import numpy as np

from transforms.core import Tracer, bind
from xla_like import dtypes
from xla_like import primitives as P
from functorch_lite.numpy._convert import as_operand, asarray, broadcast_to, convert, promote
from functorch_lite.numpy._creation import eye, zeros
from functorch_lite.numpy._indexing import getitem
from functorch_lite.numpy._linalg_core import matmul
from functorch_lite.numpy._manipulation import _as_float, _slice_axis, vander
from functorch_lite.numpy._numerical import convolve, polyval
from functorch_lite.numpy._reductions import max as max_, prod, sum as sum_
from functorch_lite.numpy._shape import concatenate, expand_dims, reshape, stack, transpose
from functorch_lite.numpy import _ufuncs as uf

# Durand-Kerner steps allowed: it converges quadratically once near the roots, but
# reaching them from the starting circle takes a number of steps that grows with degree.
_ROOT_STEPS_BASE, _ROOT_STEPS_PER_DEGREE = 50, 15


def _coefficients(p, name, what="p"):
    p = as_operand(p)
    if p.aval.ndim != 1:
        raise ValueError(f"{name}: {what} must be a 1-d array of coefficients, got {p.aval}")
    return p


def _front_pad(p, length):
    n = p.aval.shape[0]
    if n == length:
        return p
    zero = convert(as_operand(0), p.aval.dtype)
    return bind(P.pad_p, p, zero, padding_config=((length - n, 0, 0),))


def _characteristic(a):
    """Coefficients of ``det(x I - a)`` by the Faddeev-LeVerrier recurrence (matrix
    products and traces only, so no general eigensolver is needed):
    ``M_k = a M_{k-1} + c_{k-1} I``, ``c_k = -trace(a M_k) / k``."""
    n = a.aval.shape[0]
    ident = convert(eye(n), a.aval.dtype)
    coefs = [convert(as_operand(1.0), a.aval.dtype)]
    m = zeros((n, n), a.aval.dtype)
    for k in range(1, n + 1):
        m = uf.add(matmul(a, m), uf.multiply(coefs[-1], ident))
        am = matmul(a, m)
        coefs.append(uf.true_divide(uf.negative(sum_(uf.multiply(am, ident))), k))
    return stack(coefs)


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots, or the characteristic
    polynomial of a square matrix.

    >>> poly(asarray([1.0, 2.0])).tolist()
    [1.0, -3.0, 2.0]
    """
    r = _as_float(as_operand(seq_of_zeros))
    shape = r.aval.shape
    if r.aval.ndim == 2 and shape[0] == shape[1] and shape[0]:
        return _characteristic(r)
    if r.aval.ndim > 1:
        raise ValueError(f"poly: input must be 1-d roots or a non-empty square 2-d array, "
                         f"got {r.aval}")
    r = reshape(r, (-1,))
    a = convert(asarray([1]), r.aval.dtype)
    for k in range(r.aval.shape[0]):     # multiply by (x - r_k)
        rk = getitem(r, (k,))
        a = uf.subtract(concatenate([a, zeros((1,), a.aval.dtype)]),
                        uf.multiply(rk, concatenate([zeros((1,), a.aval.dtype), a])))
    return a


def polyadd(a1, a2):
    """Sum of two polynomials.

    >>> polyadd(asarray([1, 2]), asarray([1])).tolist()
    [1, 3]
    """
    return uf.add(*_aligned(a1, a2, "polyadd"))


def polysub(a1, a2):
    """Difference of two polynomials.

    >>> polysub(asarray([1, 2]), asarray([1])).tolist()
    [1, 1]
    """
    return uf.subtract(*_aligned(a1, a2, "polysub"))


def _aligned(a1, a2, name):
    """Both coefficient vectors, promoted and zero-padded in front to one length."""
    a, b = promote(_coefficients(a1, name, "a1"), _coefficients(a2, name, "a2"))
    n = max(a.aval.shape[0], b.aval.shape[0])
    return _front_pad(a, n), _front_pad(b, n)


def polymul(a1, a2):
    """Product of two polynomials (a full convolution).

    >>> polymul(asarray([1, 1]), asarray([1, -1])).tolist()
    [1, 0, -1]
    """
    return convolve(_coefficients(a1, "polymul", "a1"), _coefficients(a2, "polymul", "a2"))


def polydiv(u, v, *, trim_leading_zeros=False):
    """Quotient and remainder of ``u / v``; the remainder has ``len(u)`` coefficients
    (leading zeros included) unless ``trim_leading_zeros`` (eager only).

    >>> [x.tolist() for x in polydiv(asarray([1.0, 0, -1]), asarray([1.0, 1]))]
    [[1.0, -1.0], [0.0, 0.0, 0.0]]
    """
    u, v = promote(_as_float(_coefficients(u, "polydiv", "u")),
                   _as_float(_coefficients(v, "polydiv", "v")))
    m, n = u.aval.shape[0], v.aval.shape[0]
    if n == 0:
        raise ValueError("polydiv: the divisor v must have at least one coefficient")
    if m < n:
        return zeros((1,), u.aval.dtype), u
    lead = getitem(v, (0,))
    quotient, r = [], u
    for k in range(m - n + 1):          # long division, one coefficient per step
        q = uf.true_divide(getitem(r, (k,)), lead)
        quotient.append(q)
        shifted = bind(P.pad_p, v, convert(as_operand(0), v.aval.dtype),
                       padding_config=((k, m - n - k, 0),))
        r = uf.subtract(r, uf.multiply(q, shifted))
    # the first m - n + 1 remainder coefficients are zero by construction
    zero = zeros((m - n + 1,), r.aval.dtype)
    r = concatenate([zero, _slice_axis(r, 0, m - n + 1, m)])
    if trim_leading_zeros:
        values = np.asarray(r)
        keep = np.flatnonzero(~np.isclose(values, 0, rtol=1e-14, atol=0))
        r = _slice_axis(r, 0, int(keep[0]) if keep.size else m - 1, m)
    return stack(quotient), r


def polyder(p, m=1):
    """The ``m``-th derivative.  ``polyder(asarray([1., 1., 1.])).tolist() == [2., 1.]``"""
    p = _coefficients(p, "polyder")
    m = operator.index(m)
    if m < 0:
        raise ValueError(f"polyder: order of derivative must be non-negative, got {m}")
    for _ in range(m):
        n = p.aval.shape[0] - 1
        if n <= 0:
            return _slice_axis(p, 0, 0, 0)
        powers = convert(asarray(np.arange(n, 0, -1)), p.aval.dtype)
        p = uf.multiply(_slice_axis(p, 0, 0, n), powers)
    return p


def polyint(p, m=1, k=None):
    """The ``m``-th antiderivative with integration constants ``k`` (one per order,
    lowest order's last; default 0).

    >>> polyint(asarray([3.0, 0.0])).tolist()
    [1.5, 0.0, 0.0]
    """
    p = _as_float(_coefficients(p, "polyint"))
    m = operator.index(m)
    if m < 0:
        raise ValueError(f"polyint: order of integral must be non-negative, got {m}")
    consts = np.zeros(m) if k is None else k
    consts = as_operand(consts)
    if consts.aval.ndim == 0:
        consts = broadcast_to(consts, (m,))
    if consts.aval.shape[0] != m:
        raise ValueError(f"polyint: k must be a scalar or have {m} entries, got {consts.aval}")
    for i in range(m):
        n = p.aval.shape[0]
        divisors = convert(asarray(np.arange(n, 0, -1)), p.aval.dtype)
        c = reshape(convert(getitem(consts, (i,)), p.aval.dtype), (1,))
        p = concatenate([uf.true_divide(p, divisors), c])
    return p


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares polynomial coefficients of degree ``deg`` (columns of a 2-d ``y``
    fit separately); ``full`` adds ``(residuals, rank, singular values, rcond)``,
    ``cov`` adds the coefficients' covariance (``'unscaled'``: without the residual
    variance factor).

    >>> polyfit(asarray([0.0, 1.0, 2.0]), asarray([1.0, 3.0, 5.0]), 1).tolist()  # doctest: +SKIP
    [2.0, 1.0]
    """
    from functorch_lite.numpy import linalg    # linalg imports this package
    x, y = promote(_as_float(as_operand(x)), _as_float(as_operand(y)))
    order = operator.index(deg) + 1
    if order < 1:
        raise ValueError(f"polyfit: deg must be non-negative, got {deg}")
    if x.aval.ndim != 1 or y.aval.ndim not in (1, 2) or y.aval.shape[0] != x.aval.shape[0]:
        raise ValueError(f"polyfit: x must be 1-d and y (M,) or (M, K) with M = len(x), got "
                         f"{x.aval} and {y.aval}")
    if rcond is None:
        rcond = x.aval.shape[0] * float(np.finfo(x.aval.dtype).eps)
    lhs, rhs = vander(x, order), y
    if w is not None:
        w = convert(as_operand(w), x.aval.dtype)
        lhs = uf.multiply(lhs, expand_dims(w, 1))
        rhs = uf.multiply(rhs, expand_dims(w, 1) if y.aval.ndim == 2 else w)
    scale = uf.sqrt(sum_(uf.square(lhs), axis=0))  # column scaling improves conditioning
    lhs = uf.true_divide(lhs, scale)
    c, resids, rank, s = linalg.lstsq(lhs, rhs, rcond)
    c = uf.true_divide(c, scale if c.aval.ndim == 1 else expand_dims(scale, 1))
    if full:
        return c, resids, rank, s, rcond
    if not cov:
        return c
    return c, _polyfit_cov(lhs, scale, resids, cov, x.aval.shape[0] - order, y.aval.ndim)


def _polyfit_cov(lhs, scale, resids, cov, dof, y_ndim):
    """NumPy's covariance of the fitted coefficients: ``inv(lhs^T lhs)`` unscaled by the
    column scales, times the residual variance unless ``cov='unscaled'``."""
    from functorch_lite.numpy import linalg
    base = uf.true_divide(linalg.inv(matmul(transpose(lhs), lhs)),
                          uf.multiply(expand_dims(scale, 1), expand_dims(scale, 0)))
    if cov == "unscaled":
        fac = convert(as_operand(np.ones(1)), base.aval.dtype)
    elif dof <= 0:
        raise ValueError("polyfit: the number of data points must exceed order to scale "
                         "the covariance matrix")
    else:
        fac = uf.true_divide(resids, dof)
    return uf.multiply(base, fac) if y_ndim == 1 else uf.multiply(expand_dims(base, -1), fac)


def _strip_concrete(p):
    """Leading zeros (no root) and trailing zeros (roots at 0) of concrete coefficients."""
    if isinstance(p, Tracer):
        return p, 0
    values = np.asarray(p)
    nz = np.flatnonzero(values)
    if nz.size == 0:
        return _slice_axis(p, 0, 0, 0), 0
    return _slice_axis(p, 0, int(nz[0]), int(nz[-1]) + 1), len(values) - 1 - int(nz[-1])


def _dk_step(monic, z):
    """One Durand-Kerner step: ``z_i -= p(z_i) / prod_{j != i}(z_i - z_j)``."""
    not_self = convert(eye(z.aval.shape[0]), z.aval.dtype)
    gaps = uf.add(uf.subtract(expand_dims(z, 1), expand_dims(z, 0)), not_self)
    return uf.subtract(z, uf.true_divide(polyval(monic, z), prod(gaps, axis=1)))


def _durand_kerner(monic, start, max_steps):
    """Durand-Kerner steps from ``start`` until the largest relative change is a few
    ulps, or ``max_steps``."""
    from functorch_lite._control_flow import while_loop   # functorch_lite imports us
    tol = 8 * float(np.finfo(start.aval.dtype).eps)

    def body(carry):
        i, z, _ = carry
        new = _dk_step(monic, z)
        change = uf.true_divide(uf.absolute(uf.subtract(new, z)),
                                uf.add(uf.absolute(new), 1.0))
        return uf.add(i, 1), new, max_(change)
    big = convert(as_operand(np.inf), uf.absolute(start).aval.dtype)
    _, z, _ = while_loop(lambda c: uf.logical_and(uf.less(c[0], max_steps),
                                                  uf.greater(c[2], tol)),
                         body, (as_operand(np.int32(0)), start, big))
    return z


def roots(p):
    """The roots of the polynomial ``p`` (complex).

    >>> sorted(roots(asarray([1.0, -3.0, 2.0])).real.tolist())
    [1.0, 2.0]
    """
    p, zero_roots = _strip_concrete(_as_float(_coefficients(p, "roots")))
    ctype = dtypes.complex128 if p.aval.dtype == dtypes.float64 else dtypes.complex64
    n = p.aval.shape[0] - 1
    if n < 1:
        return zeros((zero_roots,), ctype)
    monic = convert(uf.true_divide(p, getitem(p, (0,))), ctype)
    fixed = bind(P.stop_gradient_p, monic)
    # start on a circle enclosing every root (Cauchy's bound), off the real axis
    radius = uf.add(1.0, max_(uf.absolute(_slice_axis(fixed, 0, 1, n + 1))))
    angles = asarray(2 * np.pi * np.arange(n) / n + 0.4)
    start = uf.multiply(convert(radius, ctype),
                        bind(P.complex_p, *[convert(f(angles), radius.aval.dtype)
                                            for f in (uf.cos, uf.sin)]))
    z = _durand_kerner(fixed, start, _ROOT_STEPS_BASE + _ROOT_STEPS_PER_DEGREE * n)
    # One more step with the differentiable coefficients: at a simple root the step's
    # derivative in z vanishes (quadratic convergence), so its derivative in p is the
    # implicit-function derivative of the root.
    z = _dk_step(monic, bind(P.stop_gradient_p, z))
    if zero_roots:
        z = concatenate([z, zeros((zero_roots,), ctype)])
    return z


__all__ = ["poly", "polyadd", "polysub", "polymul", "polydiv", "polyder", "polyint",
           "polyfit", "roots"]
