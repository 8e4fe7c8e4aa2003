"""The ``jit`` transform: stage a function once per input signature, cache the
program, and run it as one ``jit`` equation.

The cache key is (pytree structure, input avals, static argument values); values the
function closes over are constants of the program (their values at trace time).
Under differentiation a ``jit`` call is inlined (its program is differentiated
equation by equation); under ``vmap`` it stays one ``jit`` call of the batched program.
"""
import time

from transforms.core import bind
from transforms.jvp import jvp_flat, jvp_rules
from transforms.linearize import run_program
from transforms.pytree import tree_flatten, tree_unflatten
from transforms.staging import (as_array_leaf, leaf_aval, leaf_names, positional_names,
                                split_static, trace_function)
from transforms.vmap import batch_rules, batch_size
from transforms.vmap_rules import batched_program
from xla_like.primitives.higher_order import jit_p


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
    """One cached trace: the program, the output structure and how long tracing took."""
    __slots__ = ("program", "out_tree", "seconds")

    def __init__(self, program, out_tree, seconds):
        self.program, self.out_tree, self.seconds = program, out_tree, seconds


def signature(fun, args, kwargs, static_argnums, static_argnames):
    """The cache key of a call: static values, pytree structure and leaf avals."""
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
    return TraceRecord(program, out_tree, time.perf_counter() - start), captured


def call(record, leaves, captured, name):
    """Run a traced program on the dynamic leaves (captured values first)."""
    args = [as_array_leaf(x) for x in leaves]
    outs = bind(jit_p, *captured, *args, program=record.program, name=name)
    return tree_unflatten(record.out_tree, outs)


def dynamic_leaf_names(fun, args, kwargs, static_argnums, static_argnames):
    """Names of the traced argument leaves, in cache-key order (``x``, ``p['w']``)."""
    dynamic, dyn_kwargs, _ = split_static(fun, args, kwargs, static_argnums, static_argnames)
    top = positional_names(fun, len(args))
    keys = sorted(dyn_kwargs)
    return leaf_names([top[i] for i in dynamic] + keys,
                      [args[i] for i in dynamic] + [dyn_kwargs[k] for k in keys])
