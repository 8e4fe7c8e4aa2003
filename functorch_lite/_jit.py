"""``jit``: stage a function once per input signature and reuse the compiled program.

Python side effects (``print``, appending to a list) run only while tracing; use
``functorch_lite.debug.print`` to print values on every call, and
``functorch_lite.config.update("disable_jit", True)`` to run everything eagerly.

Debugging switches (``functorch_lite.config.update(name, True)``):

- ``debug_nans``: after each jitted call made outside other transforms (``jit(grad(f))``
  counts: it is one program), if an output holds a NaN while no input does, the program
  is rerun equation by equation with the reference interpreter and a
  ``FloatingPointError`` names the first primitive that produced a NaN and the user's
  line.  Eager operations are not checked: their values are at hand already, and a
  NaN scan per operation would slow the eager path for everybody.
- ``log_compiles``: log each trace with its time.
"""
import functools
import logging
import warnings

from transforms import jit as jit_mod
from transforms.array import Array
from transforms.core import Tracer, current_interpreter
from transforms.pytree import tree_leaves
from xla_like.config import config
from xla_like.passes import optimize

logger = logging.getLogger("functorch_lite")


def describe_change(old, new, names):
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

    def __init__(self, fun, static_argnums, static_argnames, donate_argnums):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums = tuple(static_argnums)
        self.static_argnames = tuple(static_argnames)
        self.donate_argnums = tuple(donate_argnums)
        self._cache = {}
        # positional Arrays only (no static, no donated arguments): leaf avals -> run
        self._fast = {}
        self._fast_ok = not (self.static_argnums or self.static_argnames or donate_argnums)
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
        return record, leaves, captured, key

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
                          f"retrace: {describe_change(self._last_key, key, names)}. Mark "
                          "changing configuration static or keep shapes fixed.",
                          stacklevel=5)
        self._last_key = key

    def __call__(self, *args, **kwargs):
        # The fast path: positional Arrays of a seen signature, no transform active.
        if self._fast and not kwargs and current_interpreter() is None:
            try:
                run = self._fast[tuple([a.aval for a in args])]
                buffers = [a._value for a in args]
            except (AttributeError, KeyError):
                pass
            else:
                if not (config.disable_jit or config.debug_nans):
                    return run(buffers)
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        if config.disable_jit:
            return self.fun(*args, **kwargs)
        record, leaves, captured, _ = self._lookup(args, kwargs)
        if captured or current_interpreter() is not None:
            return jit_mod.call(record, leaves, captured, self._name)
        donated = jit_mod.donated_arrays(args, self.donate_argnums)
        out, buffers = jit_mod.run_concrete(record, leaves)
        if config.debug_nans:
            self._check_nans(record, buffers, out)
        for x in donated:
            x.delete(f"donated to jit({self._name})")
        if self._fast_ok and not kwargs and all(type(a) is Array for a in args):
            fast_key = tuple([a.aval for a in args])
            if fast_key not in self._fast:
                self._fast[fast_key] = jit_mod.fast_call(record)
        return out

    def _check_nans(self, record, buffers, out):
        outs = [x._value for x in tree_leaves(out)]
        if jit_mod.has_nan(outs) and not jit_mod.has_nan(buffers):
            raise jit_mod.nan_error(record.program, buffers, self._name)

    def lower(self, *args, **kwargs):
        """Stage for these arguments (no run): ``jit(f).lower(x).as_text()`` shows the
        optimized program, ``.compile()`` builds the executable."""
        record, leaves, captured, key = self._lookup(args, kwargs)
        if captured or any(isinstance(x, Tracer) for x in leaves):
            raise TypeError(f"jit({self._name}).lower: arguments must be concrete values "
                            "(lower outside other transforms)")
        return Lowered(self, record, key)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)


class Lowered:
    """A function staged for one signature, not yet compiled (``jit(f).lower(*args)``).

    >>> lowered = jit(f).lower(fnp.ones(3))
    >>> print(lowered.as_text())       # the program after optimization
    >>> compiled = lowered.compile()
    """

    def __init__(self, jitted, record, key):
        self.program = record.program        # as staged, before optimization
        self._jitted, self._record, self._key = jitted, record, key

    def as_text(self):
        """The program's text after the compiler's optimization passes."""
        return str(optimize(self.program))

    def compile(self):
        """Compile now; returns a ``Compiled`` callable on this signature only."""
        return Compiled(self._jitted, self._record, self._key)


class Compiled:
    """An executable for one signature: call it, or inspect its code and costs."""

    def __init__(self, jitted, record, key):
        self._jitted, self._record, self._key = jitted, record, key
        self._executable = record.executable

    def __call__(self, *args, **kwargs):
        j = self._jitted
        key, leaves = jit_mod.signature(j.fun, args, kwargs, j.static_argnums,
                                        j.static_argnames)
        if key != self._key:
            names = jit_mod.dynamic_leaf_names(j.fun, args, kwargs, j.static_argnums,
                                               j.static_argnames)
            raise TypeError(f"compiled jit({j._name}) called with arguments of another "
                            f"signature: {describe_change(self._key, key, names)}. Lower "
                            "and compile again, or call jit(f) itself")
        if any(isinstance(x, Tracer) for x in leaves):
            raise TypeError(f"compiled jit({j._name}) runs on concrete arrays; call jit(f) "
                            "itself inside other transforms")
        out, _ = jit_mod.run_concrete(self._record, leaves)
        return out

    def as_text(self):
        """The generated code (LLVM IR)."""
        return self._executable.as_text()

    def cost_analysis(self):
        """``{"flops", "bytes_read", "bytes_written", "transcendentals"}`` of one run."""
        return self._executable.cost_analysis()

    def memory_analysis(self):
        """``{"temp_bytes", "argument_bytes", "output_bytes"}`` from the buffer plan."""
        return self._executable.memory_analysis()


def _as_tuple(value, kind):
    if isinstance(value, kind):
        return (value,)
    return tuple(value)


def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=()):
    """Stage ``fun`` once per input signature (shapes, dtypes, pytree structure, static
    values), compile it, and run the cached executable on later calls.

    ``donate_argnums``: positional arguments whose Arrays the call consumes (the
    memory is not reused yet); using them afterwards raises an error.

    >>> f = jit(lambda x: fnp.sin(x) * 2.0)
    >>> f(fnp.ones(3))           # traces and compiles
    >>> f(fnp.zeros(3))          # reuses the executable
    """
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames,
                             donate_argnums=donate_argnums)
    static_argnums = _as_tuple(static_argnums, int)
    static_argnames = _as_tuple(static_argnames, str)
    donate_argnums = _as_tuple(donate_argnums, int)
    for i in donate_argnums:
        if not isinstance(i, int) or i < 0:
            raise ValueError(f"jit: donate_argnums must be non-negative ints, got {i!r}")
        if i in static_argnums:
            raise ValueError(f"jit: argument {i} cannot be both static and donated")
    return Jitted(fun, static_argnums, static_argnames, donate_argnums)
