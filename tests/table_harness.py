"""Pieces the table-driven NumPy tests share (test_numpy_manipulation.py,
test_numpy_extras.py, test_numpy_core_table*.py): the row type, random argument makers, pytree
stacking for the vmap-vs-loop checks, and ``check_grads`` in some arguments only."""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

from functorch_lite.test_util import check_grads
from transforms.pytree import tree_flatten, tree_map, tree_unflatten


@dataclass
class TableCase:
    """One row of a NumPy-function table; each table adds the checks it knows."""
    make: Callable                      # random source -> tuple of positional args (pytrees ok)
    kwargs: dict = field(default_factory=dict)
    numpy: Callable = None              # reference; defaults to NumPy's function of the name
    differentiable: bool = True
    diff_argnums: tuple = None          # which positional args check_grads varies
    call: Callable = None               # our call; defaults to fnp.<name>(*args, **kwargs)


def F(rng, *shape):
    """Standard normal float64 values."""
    return rng.standard_normal(shape)


def I(rng, *shape, lo=-5, hi=5, dtype=np.int32):  # noqa: E743 (the table's one-letter makers)
    return rng.integers(lo, hi, shape).astype(dtype)


def B(rng, *shape):
    return rng.random(shape) < 0.5


def tree_leaves_of(tree):
    """The leaves of ``tree``; a list of outputs counts as a tuple (one structure)."""
    return tree_flatten(tuple(tree) if isinstance(tree, list) else tree)[0]


def stack_trees(trees):
    """Stack equal-structure pytrees leaf by leaf along a new axis 0 (vmap's input)."""
    first = trees[0]
    treedef = tree_flatten(tuple(first) if isinstance(first, list) else first)[1]
    leaves = [tree_leaves_of(t) for t in trees]
    return tree_unflatten(treedef, [np.stack(group) for group in zip(*leaves)])


def check_grads_in(fn, args, argnums, **options):
    """``check_grads`` of ``fn(*args)`` in ``args[k]`` for ``k`` in ``argnums``, the other
    arguments held fixed."""
    def f(*xs):
        full = list(args)
        for k, x in zip(argnums, xs):
            full[k] = x
        return fn(*full)
    check_grads(f, tuple(tree_map(np.asarray, args[k]) for k in argnums), **options)


def assert_tree_close(got, want, rtol=1e-6, atol=1e-8):
    """Equal structure and shapes, values close (bools exact)."""
    got_leaves, want_leaves = tree_leaves_of(got), tree_leaves_of(want)
    assert len(got_leaves) == len(want_leaves), (got, want)
    for g, w in zip(got_leaves, want_leaves):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g.astype(w.dtype) if w.dtype != bool else g, w,
                                   rtol=rtol, atol=atol)


def case_params(cases):
    """One ``pytest.param(name, i)`` per variant of each name of a ``CASES`` table."""
    return [pytest.param(name, i, id=f"{name}-{i}") for name in sorted(cases)
            for i in range(len(cases[name]))]


def case_args(case, seed):
    """A variant's arguments, drawn from a NumPy RNG seeded with ``seed``."""
    return case.make(np.random.default_rng(seed))
