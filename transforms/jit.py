"""The ``jit`` transform: stage a function once per input signature, cache the
program, and run it as one ``jit`` equation.

The cache key is (pytree structure, input avals, static argument values); values the
function closes over are constants of the program (their values at trace time).
Under differentiation a ``jit`` call is inlined (its program is differentiated
equation by equation); under ``vmap`` it stays one ``jit`` call of the batched program.

With no transform active, a call runs the program's executable directly (no ``bind``);
``fast_call`` builds the leanest form of that for arguments that are all Arrays.
"""
import logging
import time

import numpy as np

from transforms.array import Array
from transforms.core import bind
from transforms.jvp import jvp_flat, jvp_rules
from transforms.linearize import run_program
from transforms.pytree import tree_flatten, tree_leaves, tree_unflatten
from transforms.staging import (as_array_leaf, leaf_aval, leaf_names, positional_names,
                                split_static, trace_function)
from transforms.vmap import batch_rules, batch_size
from transforms.vmap_rules import batched_program
from xla_like.backends import CPU_BACKEND
from xla_like.config import config
from xla_like.ir import intern
from xla_like.primitives.higher_order import jit_p
from xla_like.passes.inline import INLINE_PARAMS
from xla_like.reference import evaluate_steps

logger = logging.getLogger("functorch_lite")


def _jit_jvp(primals, tangents, program, name):
    return jvp_flat(lambda *xs: run_program(program, *xs), list(primals), list(tangents))


def _jit_batch(args, bdims, program, name):
    size = batch_size(args, bdims)
    new_program, consts = batched_program(program, list(bdims), size)
    outs = bind(jit_p, *consts, *args, program=new_program, name=name)
    return outs, [0] * len(outs)


jvp_rules[jit_p] = _jit_jvp
batch_rules[jit_p] = _jit_batch


class TraceRecord:
    """One cached trace: the program, the output structure, how long tracing took, and
    (built on first run) the executable that runs the program on buffers."""
    __slots__ = ("program", "out_tree", "seconds", "name", "out_avals", "_executable")

    def __init__(self, program, out_tree, seconds, name):
        self.program, self.out_tree, self.seconds = program, out_tree, seconds
        self.name = name
        self.out_avals = [intern(a) for a in program.out_avals]
        self._executable = None

    @property
    def executable(self):
        if self._executable is None:
            start = time.perf_counter()
            self._executable = compile_program(self.program)
            if config.log_compiles:
                logger.warning("jit(%s): compiled in %.1f ms", self.name,
                               (time.perf_counter() - start) * 1e3)
        return self._executable


def compile_program(program):
    """The backend's executable for ``program``: ``run(*buffers) -> [buffers]`` (the
    backend caches it by program, so the ``jit`` equation's impl shares it)."""
    return CPU_BACKEND.compile(program)


def signature(fun, args, kwargs, static_argnums, static_argnames):
    """The cache key of a call: static values, pytree structure and leaf avals."""
    if not static_argnums and not static_argnames:
        leaves, treedef = tree_flatten((args, kwargs))
        return ((), treedef, tuple([leaf_aval(x, "argument", "jit") for x in leaves])), leaves
    dynamic, dyn_kwargs, _ = split_static(fun, args, kwargs, static_argnums, static_argnames)
    static = tuple((i, a) for i, a in enumerate(args) if i not in dynamic)
    static += tuple(sorted((k, v) for k, v in kwargs.items() if k not in dyn_kwargs))
    leaves, treedef = tree_flatten(([args[i] for i in dynamic], dyn_kwargs))
    try:
        hash(static)
    except TypeError:
        raise TypeError("jit: static arguments must be hashable, got "
                        + ", ".join(f"{type(v).__name__} for {k}" for k, v in static)) from None
    avals = tuple(leaf_aval(x, "argument", "jit") for x in leaves)
    return (static, treedef, avals), leaves


def trace(fun, args, kwargs, static_argnums, static_argnames, name):
    """Stage ``fun`` for this call; returns ``(TraceRecord, captured outer values)``."""
    start = time.perf_counter()
    program, captured, out_tree = trace_function(fun, args, kwargs, static_argnums,
                                                 static_argnames, f"jit({name})")
    return TraceRecord(program, out_tree, time.perf_counter() - start, name), captured


def call(record, leaves, captured, name):
    """Run a traced program on the dynamic leaves (captured values first) through
    ``bind``, so it composes with the active transforms."""
    args = [as_array_leaf(x) for x in leaves]
    outs = bind(jit_p, *captured, *args, program=record.program, name=name)
    return tree_unflatten(record.out_tree, outs)


def _leaf_buffer(leaf, aval):
    """The buffer of an input leaf; a NumPy array of the program's dtype is used as it
    is (compiled code never writes to its inputs), not copied into an Array first."""
    if type(leaf) is Array:
        return leaf._value
    if type(leaf) is np.ndarray and leaf.dtype == aval.dtype:
        return leaf
    return as_array_leaf(leaf)._value


def run_concrete(record, leaves):
    """Run a traced program on concrete leaves with no transform active: the
    executable is called directly.  Returns ``(outputs, input buffers)``."""
    buffers = [_leaf_buffer(x, aval) for x, aval in zip(leaves, record.program.in_avals)]
    outs = record.executable(*buffers)
    borrowed = {id(b) for b, x in zip(buffers, leaves) if b is x}
    if borrowed:                # an output that is a caller's NumPy input gets its own copy
        outs = [o.copy() if id(o) in borrowed else o for o in outs]
    arrays = [Array(v, a) for v, a in zip(outs, record.out_avals)]
    return tree_unflatten(record.out_tree, arrays), buffers


def fast_call(record):
    """``run(buffers) -> outputs`` for a call whose leaves are all Arrays: the leanest
    path from Python to the executable (no flattening, no ``bind``)."""
    executable, out_tree, out_avals = record.executable, record.out_tree, record.out_avals
    if out_tree.node_type is None:              # a single array output
        (aval,) = out_avals

        def run_one(buffers):
            return Array(executable(*buffers)[0], aval)
        return run_one

    def run(buffers):
        outs = executable(*buffers)
        return tree_unflatten(out_tree, [Array(v, a) for v, a in zip(outs, out_avals)])
    return run


def donated_arrays(args, donate_argnums):
    """The Arrays among the leaves of the donated positional arguments."""
    found = {}
    for i in donate_argnums:
        if i < len(args):
            for leaf in tree_leaves(args[i]):
                if type(leaf) is Array:
                    found[id(leaf)] = leaf
    return list(found.values())


def dynamic_leaf_names(fun, args, kwargs, static_argnums, static_argnames):
    """Names of the traced argument leaves, in cache-key order (``x``, ``p['w']``)."""
    dynamic, dyn_kwargs, _ = split_static(fun, args, kwargs, static_argnums, static_argnames)
    top = positional_names(fun, len(args))
    keys = sorted(dyn_kwargs)
    return leaf_names([top[i] for i in dynamic] + keys,
                      [args[i] for i in dynamic] + [dyn_kwargs[k] for k in keys])


# ---- debug_nans: find the equation that produced a NaN ------------------------------

# Call-like higher-order primitives run their body on their operands unchanged
# (``INLINE_PARAMS``): the search descends into the body to name the innermost primitive.


def has_nan(values):
    """Whether any floating-point value in ``values`` is NaN."""
    for v in values:
        v = np.asarray(v)
        if v.dtype.kind in "fc" and np.isnan(v).any():
            return True
    return False


def first_nan_equation(program, args):
    """The first equation (innermost, for calls of sub-programs) whose outputs hold a
    NaN while its inputs hold none, rerunning ``program`` with the reference
    interpreter; None when the reference run produces no NaN."""
    while True:
        found = _scan_for_nan(program, args)
        if found is None:
            return None
        eqn, inputs = found
        param = INLINE_PARAMS.get(eqn.prim)
        if param is None:
            return eqn
        program, args = eqn.params[param], inputs


def _scan_for_nan(program, args):
    with np.errstate(all="ignore"):
        for eqn, inputs, outs in evaluate_steps(program, args, run_effects=False):
            if has_nan(outs) and not has_nan(inputs):
                return eqn, inputs
    return None


def nan_error(program, buffers, name):
    """A ``FloatingPointError`` naming the primitive and user line that produced a NaN
    in a run of ``program`` on ``buffers`` (whose outputs held a NaN)."""
    eqn = first_nan_equation(program, buffers)
    if eqn is None:
        return FloatingPointError(
            f"debug_nans: jit({name}) produced a NaN, but rerunning its program with the "
            "reference interpreter does not: the compiled code disagrees with it")
    where = f"at {eqn.source}" if eqn.source is not None else "(source line unknown)"
    return FloatingPointError(f"debug_nans: '{eqn.prim.name}' produced NaN {where} in "
                              f"jit({name})")
