"""Testing helpers: ``check_grads`` compares derivatives with finite differences.

    check_grads(f, (x,), order=2, modes=("fwd", "rev"))

* forward mode: ``jvp`` along a random direction against central differences;
* reverse mode: the inner-product identity ⟨u, J·v⟩ = ⟨Jᵀ·u, v⟩ for random u, v;
* ``order=n`` repeats the checks on the derivative maps themselves, n levels deep.
"""
import numpy as np

from transforms.pytree import tree_flatten, tree_unflatten
from functorch_lite._autodiff import jvp, vjp

_DEFAULT_EPS = {np.dtype("float64"): 1e-4, np.dtype("float32"): 3e-2,
                np.dtype("float16"): 1e-1}
_DEFAULT_TOL = {np.dtype("float64"): 1e-5, np.dtype("float32"): 2e-2,
                np.dtype("float16"): 1e-1}


def _leaves(tree):
    return [np.asarray(x) for x in tree_flatten(tree)[0]]


def _random_like(tree, rng):
    leaves, treedef = tree_flatten(tree)
    out = [np.asarray(rng.standard_normal(np.shape(x)), dtype=np.asarray(x).dtype)
           for x in leaves]
    return tree_unflatten(treedef, out)


def _axpy(a, x, y):
    leaves_x, treedef = tree_flatten(x)
    leaves_y = tree_flatten(y)[0]
    return tree_unflatten(treedef, [np.asarray(a * np.asarray(xi) + np.asarray(yi),
                                               dtype=np.asarray(yi).dtype)
                                    for xi, yi in zip(leaves_x, leaves_y)])


def _inner(x, y):
    return sum(float(np.vdot(a.astype(np.float64), b.astype(np.float64)))
               for a, b in zip(_leaves(x), _leaves(y)))


def _dtype_of(args):
    leaves = _leaves(args)
    return max((x.dtype for x in leaves), key=lambda d: d.itemsize, default=np.float64)


def _assert_close(got, want, tol, what):
    for g, w in zip(_leaves(got), _leaves(want)):
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
    numeric = [(p - m) / (2 * eps) for p, m in zip(_leaves(plus), _leaves(minus))]
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
