"""The interpreter core: ``bind``, the interpreter stack, tracers and eager execution.

The active interpreter is context, not data: one ``contextvars`` variable holds the
innermost interpreter, each interpreter remembers its parent, and they are entered
and left only through ``interpreter_scope`` (``try/finally``), so an exception never
leaves the stack dirty.  A tracer belongs to exactly one interpreter instance.

With no interpreter active, ``bind`` runs the primitive eagerly on NumPy; that path
is kept lean because it is the speed of everyday notebook use.
"""
import contextvars

from transforms.array import Array
from xla_like.ir import intern
from transforms.errors import EscapedTracerError
from transforms.source_info import user_frame

_current = contextvars.ContextVar("functorch_lite_interpreter", default=None)


current_interpreter = _current.get      # () -> the innermost active interpreter or None


def bind(prim, *args, **params):
    """Apply ``prim`` to ``args``: eagerly, or through the innermost active interpreter."""
    interpreter = _current.get()
    if interpreter is None:
        return eager(prim, args, params)
    return interpreter.process_primitive(prim, args, params)


def same_aval_cache(prim):
    """``{id(aval): out_aval}`` for eager calls of binary ``prim`` on two operands of
    one (interned) aval: the NumPy layer's ``x + y`` looks its output type up here
    instead of building argument tuples (the path of every notebook expression)."""
    return _same_aval_outputs.setdefault(prim, {})


def eager_with_scalar(prim, x, scalar, scalar_first):
    """Eagerly ``prim(x, scalar)`` (or ``prim(scalar, x)``) for a 0-d NumPy ``scalar`` of
    ``x``'s dtype, broadcast by NumPy (the output type is that of ``prim`` on two
    operands of ``x``'s aval); None under a transform or when ``prim`` rejects it."""
    if _current.get() is not None:
        return None
    out_aval = _same_aval_outputs.get(prim, _NO_OUTPUTS).get(id(x.aval))
    if out_aval is None:
        try:        # check the primitive on two operands of x's aval once (cached)
            out_aval = cached_abstract_eval(prim, (x, x), {})
        except (TypeError, ValueError):
            return None
    if scalar_first:
        return Array(prim.impl(scalar, x._value), out_aval)
    return Array(prim.impl(x._value, scalar), out_aval)


# ---- eager execution ----------------------------------------------------------------

_eager_avals = {}
_same_aval_outputs = {}
_NO_OUTPUTS = {}
_EAGER_CACHE_LIMIT = 20_000


def cached_abstract_eval(prim, args, params):
    """``prim.abstract_eval`` on the avals of ``args`` (anything with ``.aval``), cached by
    (primitive, avals, params); outputs are interned."""
    key = ((prim, args[0].aval, *params.items()) if len(args) == 1 else   # (no comprehension:
           (prim, *[a.aval for a in args], *params.items()))               # a call per use)
    try:
        return _eager_avals[key]
    except KeyError:
        pass
    except TypeError:
        raise TypeError(f"{prim.name}: params must be hashable (use tuples, not lists), "
                        f"got {params}") from None
    in_avals = [a.aval for a in args]
    out = prim.abstract_eval(*in_avals, **params)
    out = [intern(a) for a in out] if prim.multiple_results else intern(out)
    if len(_eager_avals) >= _EAGER_CACHE_LIMIT:
        _eager_avals.clear()
        for cache in _same_aval_outputs.values():
            cache.clear()
    _eager_avals[key] = out
    if len(args) == 2 and not params and in_avals[0] is in_avals[1]:
        # the key holds the aval alive, so its id cannot be reused while cached
        same_aval_cache(prim)[id(in_avals[0])] = out
    return out


def eager(prim, args, params):
    """Run ``prim`` on concrete Arrays with the reference implementation."""
    try:
        values = [a._value for a in args]
    except AttributeError:
        _raise_not_concrete(prim, args)
    out_aval = cached_abstract_eval(prim, args, params)
    out = prim.impl(*values, **params)
    if prim.multiple_results:
        return [Array(v, a) for v, a in zip(out, out_aval)]
    return Array(out, out_aval)


def _raise_not_concrete(prim, args):
    for i, a in enumerate(args):
        if isinstance(a, Tracer):
            raise EscapedTracerError(
                f"{prim.name} got a traced value (operand {i}) after the transform that "
                f"created it had finished. {a._interp.describe_tracer(a)} "
                f"Used at {user_frame()}. Return the value from the transformed function "
                "instead of storing it outside.")
        if type(a) is not Array:
            raise TypeError(f"{prim.name}: operand {i} is a {type(a).__name__}, expected an "
                            "Array (use functorch_lite.numpy.asarray)")
    raise AssertionError("unreachable")


# ---- interpreters -------------------------------------------------------------------

class Interpreter:
    """One application of a transform.  Subclasses implement ``process_primitive``."""
    transform_name = "transform"
    # An interpreter whose tracers stand for values of another one (``proxy_for``)
    # maps them with ``unproxy``; closures can carry them into that one's rules.
    proxy_for = None

    def __init__(self):
        self.parent = None
        self.active = False
        self.below = None       # context manager making ``parent`` current (set on entry)

    def process_primitive(self, prim, args, params):
        raise NotImplementedError

    def describe_tracer(self, tracer):
        return f"It was created by {self.transform_name}."

    def concrete_value(self, tracer, conversion):
        """The concrete value behind ``tracer`` for a Python ``bool``/``int``/index,
        or raise ``ConcretizationError``."""
        raise NotImplementedError


class interpreter_scope:
    """Make ``interpreter`` the innermost one for the duration of the block (a class,
    not a generator: it is entered once per transformed call)."""
    __slots__ = ("interpreter", "token")

    def __init__(self, interpreter):
        self.interpreter = interpreter

    def __enter__(self):
        interpreter = self.interpreter
        attach(interpreter, _current.get())
        self.token = _current.set(interpreter)
        return interpreter

    def __exit__(self, *exc):
        _current.reset(self.token)
        detach(self.interpreter)
        return False


def attach(interpreter, parent):
    """Activate ``interpreter`` above ``parent`` without making it current (an
    interpreter that others enter with ``reenter``)."""
    interpreter.parent = parent
    interpreter.below = _UseInterpreter(parent)
    interpreter.active = True


def detach(interpreter):
    interpreter.active = False


class _UseInterpreter:
    """Context manager that makes a given interpreter current and restores the previous
    one on exit, even after an exception.  Reentrant (a stack of tokens), so each
    interpreter keeps one for its parent instead of allocating one per primitive."""
    __slots__ = ("interpreter", "tokens")

    def __init__(self, interpreter):
        self.interpreter = interpreter
        self.tokens = []

    def __enter__(self):
        self.tokens.append(_current.set(self.interpreter))

    def __exit__(self, *exc):
        _current.reset(self.tokens.pop())
        return False


def parent_scope(interpreter):
    """Run a rule's own ``bind`` calls in the interpreter below ``interpreter``."""
    return interpreter.below


def reenter(interpreter):
    """Make an already-active ``interpreter`` current again for the block (used when a
    lower interpreter calls back into code that belongs to a higher one)."""
    return _UseInterpreter(interpreter)


def concrete_value_of(value, conversion):
    """The concrete NumPy value behind ``value``: an Array's own, or what the
    interpreter of a tracer can tell (``concrete_value``), for a Python ``conversion``."""
    if isinstance(value, Tracer):
        return value._interp.concrete_value(value, conversion)
    return value._value


class Tracer:
    """A value being transformed.  Operators and methods come from ``functorch_lite``."""
    __slots__ = ("_interp",)
    __array_priority__ = 1000

    @property
    def aval(self):
        raise NotImplementedError

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: len(self.aval.shape))
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak)

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of a 0-d array")
        return self.aval.shape[0]

    def __bool__(self):
        return bool(self._interp.concrete_value(self, "bool"))

    def __int__(self):
        return int(self._interp.concrete_value(self, "int"))

    def __float__(self):
        return float(self._interp.concrete_value(self, "float"))

    def __complex__(self):
        return complex(self._interp.concrete_value(self, "complex"))

    def __index__(self):
        return self._interp.concrete_value(self, "index").__index__()

    def __array__(self, dtype=None, copy=None):
        return self._interp.concrete_value(self, "NumPy array").__array__(dtype)

    def __hash__(self):
        raise TypeError("traced arrays are not hashable")

    def __dlpack__(self, **kwargs):
        raise TypeError(f"a value traced by {self._interp.transform_name} has no buffer to "
                        "export through DLPack; export the result of the transformed "
                        "function instead")

    def __setitem__(self, index, value):
        raise TypeError("arrays are immutable; use x.at[index].set(value) instead of "
                        "x[index] = value")

    def __repr__(self):
        return f"Traced<{self.aval}> by {self._interp.transform_name}"
