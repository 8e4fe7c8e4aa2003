"""``jit``: stage a function once per input signature and reuse the program.

Python side effects (``print``, appending to a list) run only while tracing; use
``functorch_lite.config.update("disable_jit", True)`` to run everything eagerly for
debugging.  Programs run on the reference backend (NumPy, one call per equation);
native compilation is not built yet.
"""
import functools
import logging
import warnings

from transforms import jit as jit_mod
from xla_like.config import config

logger = logging.getLogger("functorch_lite")


def _describe_change(old, new, names):
    """What differs between two cache keys: static values, structure or leaf types."""
    (old_static, old_tree, old_avals), (new_static, new_tree, new_avals) = old, new
    if old_static != new_static:
        return f"static arguments changed from {old_static} to {new_static}"
    if old_tree != new_tree:
        return f"argument structure changed from {old_tree} to {new_tree}"
    changes = [f"{name}: {a} -> {b}" for name, a, b in zip(names, old_avals, new_avals)
               if a != b]
    return "argument types changed: " + "; ".join(changes)


class Jitted:
    """The result of ``jit(f)``: call it like ``f``; ``lower(*args)`` shows the program."""

    def __init__(self, fun, static_argnums, static_argnames):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums = tuple(static_argnums)
        self.static_argnames = tuple(static_argnames)
        self._cache = {}
        self._last_key = None
        self.trace_count = 0
        self._name = getattr(fun, "__name__", "fun")

    def _lookup(self, args, kwargs):
        key, leaves = jit_mod.signature(self.fun, args, kwargs, self.static_argnums,
                                        self.static_argnames)
        record = self._cache.get(key)
        captured = []
        if record is None:
            record, captured = jit_mod.trace(self.fun, args, kwargs, self.static_argnums,
                                             self.static_argnames, self._name)
            self._after_trace(key, record, args, kwargs)
            if not captured:          # a program closing over outer tracers is per call
                self._cache[key] = record
        return record, leaves, captured

    def _after_trace(self, key, record, args, kwargs):
        self.trace_count += 1
        if config.log_compiles:
            logger.warning("jit(%s): traced %d equations in %.1f ms", self._name,
                           len(record.program.eqns), record.seconds * 1e3)
        limit = config.retrace_warning_limit
        if self._last_key is not None and self.trace_count > limit:
            names = jit_mod.dynamic_leaf_names(self.fun, args, kwargs, self.static_argnums,
                                               self.static_argnames)
            warnings.warn(f"jit({self._name}) has traced {self.trace_count} times; the last "
                          f"retrace: {_describe_change(self._last_key, key, names)}. Mark "
                          "changing configuration static or keep shapes fixed.",
                          stacklevel=4)
        self._last_key = key

    def __call__(self, *args, **kwargs):
        if config.disable_jit:
            return self.fun(*args, **kwargs)
        record, leaves, captured = self._lookup(args, kwargs)
        return jit_mod.call(record, leaves, captured, self._name)

    def lower(self, *args, **kwargs):
        """The staged program for these arguments: ``jit(f).lower(x).as_text()``."""
        record, _, _ = self._lookup(args, kwargs)
        return Lowered(record.program)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)


class Lowered:
    """A staged program, before compilation."""

    def __init__(self, program):
        self.program = program

    def as_text(self):
        return str(self.program)


def jit(fun=None, *, static_argnums=(), static_argnames=()):
    """Stage ``fun`` once per input signature (shapes, dtypes, pytree structure, static
    values) and run the cached program on later calls.

    >>> f = jit(lambda x: fnp.sin(x) * 2.0)
    >>> f(fnp.ones(3))           # traces
    >>> f(fnp.zeros(3))          # reuses the program
    """
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames)
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    return Jitted(fun, static_argnums, static_argnames)
