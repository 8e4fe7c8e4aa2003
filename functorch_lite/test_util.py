"""Testing helpers: ``check_grads`` compares derivatives with finite differences.

    check_grads(f, (x,), order=2, modes=("fwd", "rev"))

* forward mode: ``jvp`` along a random direction against central differences;
* reverse mode: the inner-product identity ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩ for random u, v;
* ``order=n`` repeats the checks on the derivative maps themselves, n levels deep.

Complex inputs and outputs (complex64/complex128) are checked as pairs of reals: random
directions have random real and imaginary parts, and the pairing is the project's
bilinear one, ``<a, b> = Re(sum(a * b))`` with no conjugation (the convention of
``transforms/fft_rules.py``: ``grad(L)(z) = dL/dx - i dL/dy``).  On real values it is the
ordinary dot product.  Integer and bool outputs (e.g. the counts of ``unique_counts``)
have no derivative: their ``float0`` tangents are skipped.
"""
import numpy as np

from transforms.pytree import tree_flatten, tree_unflatten
from functorch_lite._autodiff import jvp, vjp

_DEFAULT_EPS = {np.dtype("float64"): 1e-4, np.dtype("float32"): 3e-2,
                np.dtype("float16"): 1e-1, np.dtype("complex128"): 1e-4,
                np.dtype("complex64"): 3e-2}
_DEFAULT_TOL = {np.dtype("float64"): 1e-5, np.dtype("float32"): 2e-2,
                np.dtype("float16"): 1e-1, np.dtype("complex128"): 1e-5,
                np.dtype("complex64"): 2e-2}


def _leaves(tree):
    return [np.asarray(x) for x in tree_flatten(tree)[0]]


def _inexact(x):
    return np.asarray(x).dtype.kind in "fc"


def _random_array(x, rng):
    """A random direction shaped like ``x``: complex values get random imaginary parts;
    an integer or bool output gets a zero cotangent (it has no derivative)."""
    dtype = np.asarray(x).dtype
    if dtype.kind not in "fc":
        return np.zeros(np.shape(x), dtype)
    value = rng.standard_normal(np.shape(x))
    if dtype.kind == "c":
        value = value + 1j * rng.standard_normal(np.shape(x))
    return np.asarray(value, dtype=dtype)


def _random_like(tree, rng):
    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [_random_array(x, rng) for x in leaves])


def _axpy(a, x, y):
    leaves_x, treedef = tree_flatten(x)
    leaves_y = tree_flatten(y)[0]
    return tree_unflatten(treedef, [np.asarray(a * np.asarray(xi) + np.asarray(yi),
                                               dtype=np.asarray(yi).dtype)
                                    for xi, yi in zip(leaves_x, leaves_y)])


def _inner(x, y):
    """``<x, y> = Re(sum(x * y))`` over all leaves: the bilinear pairing (no conjugation)."""
    return sum(float(np.sum(a.astype(np.complex128) * b.astype(np.complex128)).real)
               for a, b in zip(_leaves(x), _leaves(y)) if _inexact(a) and _inexact(b))


def _dtype_of(args):
    leaves = _leaves(args)
    return max((x.dtype for x in leaves), key=lambda d: d.itemsize, default=np.float64)


def _assert_close(got, want, tol, what):
    for g, w in zip(_leaves(got), _leaves(want)):
        if not _inexact(g):
            continue                 # a float0 tangent: an integer output has no derivative
        scale = max(1.0, float(np.max(np.abs(w), initial=0.0)))
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, err_msg=what)


def check_jvp(f, args, eps=None, tol=None, rng=None):
    """``jvp(f)`` against central differences along a random direction."""
    rng = rng or np.random.default_rng(0)
    dtype = _dtype_of(args)
    eps = eps or _DEFAULT_EPS.get(dtype, 1e-4)
    tol = tol or _DEFAULT_TOL.get(dtype, 1e-5)
    v = _random_like(args, rng)
    _, t_out = jvp(f, tuple(args), tuple(v))
    plus = f(*_axpy(eps, v, args))
    minus = f(*_axpy(-eps, v, args))
    numeric = [(p - m) / (2 * eps) if _inexact(p) else p
               for p, m in zip(_leaves(plus), _leaves(minus))]
    _assert_close(t_out, numeric, tol, "jvp does not match central differences")


def check_vjp(f, args, eps=None, tol=None, rng=None):
    """``vjp(f)`` against ``jvp(f)`` by ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩ (J·v numerically if needed)."""
    rng = rng or np.random.default_rng(1)
    dtype = _dtype_of(args)
    tol = tol or _DEFAULT_TOL.get(dtype, 1e-5)
    out, f_vjp = vjp(f, *args)
    u = _random_like(out, rng)
    v = _random_like(args, rng)
    _, jv = jvp(f, tuple(args), tuple(v))
    lhs = _inner(u, jv)
    rhs = _inner(f_vjp(u), v)
    scale = max(1.0, abs(lhs), abs(rhs))
    assert abs(lhs - rhs) <= tol * scale, (
        f"vjp does not match jvp: <u, J v> = {lhs}, <J^T u, v> = {rhs}")


def check_grads(f, args, order=1, modes=("fwd", "rev"), eps=None, tol=None, seed=0):
    """Check ``f``'s derivatives at ``args`` up to ``order`` in the given modes.

    >>> check_grads(fnp.sin, (np.array([0.3, 1.2]),), order=2)
    """
    args = tuple(args)
    rng = np.random.default_rng(seed)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: unknown modes {sorted(unknown)}")
    if "fwd" in modes:
        check_jvp(f, args, eps, tol, rng)
    if "rev" in modes:
        if "fwd" not in modes:
            check_jvp(f, args, eps, tol, rng)
        check_vjp(f, args, eps, tol, rng)
    if order <= 1:
        return
    if "fwd" in modes:
        v = _random_like(args, rng)
        check_grads(lambda *xs: jvp(f, xs, tuple(v))[1], args, order - 1, modes, eps, tol,
                    seed + 1)
    if "rev" in modes:
        u = _random_like(f(*args), rng)
        check_grads(lambda *xs: vjp(f, *xs)[1](u), args, order - 1, modes, eps, tol,
                    seed + 2)
