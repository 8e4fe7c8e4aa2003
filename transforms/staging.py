"""Staging: turn a Python function plus example inputs into a ``Program``.

``StagingInterpreter`` records one equation per ``bind`` (linear in the program's
size); concrete arrays it meets become constants (0-d ones inline ``Literal``s),
and values traced by an enclosing transform are captured as extra inputs.
Error strings that need the whole program (which argument a value came from) are
built only when an error is raised.
"""
import inspect

import numpy as np

from xla_like import dtypes
from xla_like.gc_pause import gc_paused
from xla_like.ir import Eqn, Literal, Program, ShapedArray, Var, intern
from xla_like.primitives import broadcast_in_dim_p
from transforms.array import Array, from_numpy, from_scalar, is_python_scalar
from transforms.core import Interpreter, Tracer, cached_abstract_eval, interpreter_scope
from transforms.errors import ConcretizationError, EscapedTracerError, with_location
from transforms.pytree import keystr, tree_flatten, tree_flatten_with_path, tree_unflatten
from transforms.source_info import user_frame


class StagingTracer(Tracer):
    __slots__ = ("var",)

    def __init__(self, interp, var):
        self._interp = interp
        self.var = var

    @property
    def aval(self):
        return self.var.aval


class StagingInterpreter(Interpreter):
    """Records equations instead of running them."""
    record_source = True       # the user's line for each equation (printed, in errors)

    def __init__(self, transform_name="make_ir"):
        super().__init__()
        self.transform_name = transform_name
        self.invars = []
        self.arg_names = {}
        self.eqns = []
        self.constvars = []
        self.consts = []
        self._const_ids = {}
        self.captured_vars = []
        self.captured = []
        self._captured_ids = {}
        self._broadcast_literals = {}   # (bits, aval, params) -> tracer

    # ---- building ----------------------------------------------------------------

    def new_input(self, aval, name):
        var = Var(aval)
        self.invars.append(var)
        self.arg_names[var] = name
        return StagingTracer(self, var)

    def process_primitive(self, prim, args, params):
        if prim is broadcast_in_dim_p and type(args[0]) is Array:
            return self._broadcast_literal(args[0], params)
        return self._record(prim, args, params)

    def _record(self, prim, args, params):
        inputs = [self.to_atom(a) for a in args]
        source = user_frame() if self.record_source else None
        try:
            out_avals = cached_abstract_eval(prim, inputs, params)
        except (TypeError, ValueError) as e:
            raise with_location(e, source) from None
        if not prim.multiple_results:
            out_var = Var(out_avals)
            self.eqns.append(Eqn(prim, inputs, (out_var,), params, source))
            return StagingTracer(self, out_var)
        out_vars = [Var(a) for a in out_avals]
        self.eqns.append(Eqn(prim, inputs, out_vars, params, source))
        return [StagingTracer(self, v) for v in out_vars]

    def _broadcast_literal(self, array, params):
        """One equation per distinct broadcast of a constant in a trace: ``x * 0.5`` in a
        loop stages one ``broadcast_in_dim`` of 0.5, not one per iteration (less for every
        later pass, the fingerprint and the compiler to walk)."""
        if array.aval.shape != ():
            return self._record(broadcast_in_dim_p, (array,), params)
        key = (array._value.tobytes(), array.aval, params["shape"],
               params["broadcast_dimensions"])
        out = self._broadcast_literals.get(key)
        if out is None:
            out = self._broadcast_literals[key] = self._record(
                broadcast_in_dim_p, (array,), params)
        return out

    def to_atom(self, x):
        """The IR atom for an operand: own tracer, constant, or captured outer value."""
        if isinstance(x, Tracer):
            if x._interp is self:
                return x.var
            return self._capture(x)
        if type(x) is Array:
            if x.aval.shape == ():
                return Literal(x._value, x.aval)
            return self._constant(x)
        raise TypeError(f"{self.transform_name}: cannot stage a {type(x).__name__}; "
                        "expected an Array")

    def _constant(self, array):
        key = id(array)
        if key not in self._const_ids:
            var = Var(array.aval)
            self._const_ids[key] = (var, array)
            self.constvars.append(var)
            self.consts.append(array._value)
        return self._const_ids[key][0]

    def constants(self):
        """``(var, Array)`` for each constant, in the order of the program's constvars."""
        return list(self._const_ids.values())

    def _capture(self, tracer):
        if not tracer._interp.active:
            raise EscapedTracerError(
                f"a value traced by a finished {tracer._interp.transform_name} was used "
                f"inside {self.transform_name} at {user_frame()}. "
                f"{tracer._interp.describe_tracer(tracer)}")
        key = id(tracer)
        if key not in self._captured_ids:
            var = Var(tracer.aval)
            self._captured_ids[key] = var
            self.captured_vars.append(var)
            self.captured.append(tracer)
        return self._captured_ids[key]

    def finish(self, outputs):
        """Close the recording into a ``Program`` whose outputs are ``outputs``.

        Values captured from enclosing transforms become leading inputs; they are
        returned alongside so the caller can pass them in.
        """
        outvars = [self.to_atom(x) for x in outputs]
        program = Program(self.captured_vars + self.invars, self.constvars, self.consts,
                          self.eqns, outvars)
        return program, list(self.captured)

    # ---- errors ------------------------------------------------------------------

    def source_arguments(self, var):
        """Names of the inputs ``var`` depends on (walks the equations backwards)."""
        producer = {}
        for eqn in self.eqns:
            for out in eqn.outputs:
                producer[out] = eqn
        seen, todo, names = {var}, [var], []
        while todo:
            v = todo.pop()
            if v in self.arg_names:
                names.append(self.arg_names[v])
            for inp in producer[v].inputs if v in producer else ():
                if isinstance(inp, Var) and inp not in seen:
                    seen.add(inp)
                    todo.append(inp)
        return sorted(names)

    def describe_tracer(self, tracer):
        origin = None
        for eqn in self.eqns:
            if tracer.var in eqn.outputs:
                origin = eqn.source
        names = self.source_arguments(tracer.var)
        where = f" It was created at {origin}." if origin else ""
        return (f"The value {tracer.aval} depends on {_name_list(names)} of "
                f"{self.transform_name}.{where}")

    def concrete_value(self, tracer, conversion):
        names = self.source_arguments(tracer.var)
        raise ConcretizationError(
            f"{self.transform_name} cannot convert a traced value to a Python {conversion} "
            f"at {user_frame()}: {tracer.aval} depends on {_name_list(names)}, whose values "
            f"are not known while tracing. Use functorch_lite.numpy.where, lax.cond or "
            f"lax.while_loop for value-dependent choices, or mark the argument static with "
            f"static_argnums/static_argnames.")


def _name_list(names):
    if not names:
        return "no argument (a value captured while tracing)"
    quoted = ", ".join(repr(n) for n in names)
    return f"argument {quoted}" if len(names) == 1 else f"arguments {quoted}"


def stage(fun, in_avals, arg_names, transform_name="make_ir"):
    """Trace ``fun(*flat_inputs) -> flat_outputs`` into ``(program, captured)``."""
    interp = StagingInterpreter(transform_name)
    with interpreter_scope(interp):
        tracers = [interp.new_input(a, n) for a, n in zip(in_avals, arg_names)]
        outputs = fun(*tracers)
        return interp.finish(outputs)


# ---- staging a user function over pytrees ---------------------------------------------

def as_array_leaf(leaf):
    """An Array or tracer for a leaf (Python scalars weak, NumPy values keep their
    dtype), or None when the leaf is not array data."""
    if isinstance(leaf, (Array, Tracer)):
        return leaf
    if is_python_scalar(leaf):
        return from_scalar(leaf)
    if isinstance(leaf, (np.ndarray, np.generic)):
        return from_numpy(np.asarray(leaf))
    return None


def leaf_aval(leaf, name, transform_name):
    """Abstract value of an input leaf: arrays keep their dtype, scalars are weak."""
    if type(leaf) is Array:
        return leaf.aval
    if isinstance(leaf, ShapedArray):
        return leaf
    if isinstance(leaf, (np.ndarray, np.generic)):       # no copy just for the type
        return intern(ShapedArray(np.shape(leaf), dtypes.canonicalize(leaf.dtype), False))
    array = as_array_leaf(leaf)
    if array is None:
        raise TypeError(f"{transform_name}: argument {name!r} is a {type(leaf).__name__}, not "
                        "an array or scalar; pass it with static_argnums/static_argnames if "
                        "it is configuration")
    return array.aval


def _as_output(leaf, index, transform_name):
    array = as_array_leaf(leaf)
    if array is not None:
        return array
    raise TypeError(f"{transform_name}: output {index} is a {type(leaf).__name__}, not an "
                    "array")


def split_static(fun, args, kwargs, static_argnums, static_argnames):
    """Separate static arguments (kept as Python values) from traced ones.

    Returns ``(dynamic_positions, dyn_kwargs, rebuild)``;
    ``rebuild(dyn_args, dyn_kwargs)`` calls ``fun`` with the static values put back.
    """
    nargs = len(args)
    static_argnums = {i + nargs if -nargs <= i < 0 else i for i in static_argnums}
    dynamic = [i for i in range(nargs) if i not in static_argnums]
    static_kw = {k: v for k, v in kwargs.items() if k in static_argnames}
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_argnames}

    def rebuild(new_args, new_kwargs):
        full = list(args)
        for i, value in zip(dynamic, new_args):
            full[i] = value
        return fun(*full, **new_kwargs, **static_kw)
    return dynamic, dyn_kwargs, rebuild


def positional_names(fun, nargs):
    """Names of the first ``nargs`` positional parameters (``args[i]`` when unknown)."""
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names.extend(f"{p.name}[{i}]" for i in range(nargs - len(names)))
    names.extend(f"args[{i}]" for i in range(len(names), nargs))
    return names[:nargs]


def _is_abstract(x):
    return isinstance(x, ShapedArray)


def leaf_names(top_names, values):
    """``x``, ``params['w']``, ``batch[0]``: one name per leaf of each value."""
    return [name + keystr(path)
            for name, value in zip(top_names, values)
            for path, _ in tree_flatten_with_path(value, is_leaf=_is_abstract)[0]]


def trace_function(fun, args, kwargs, static_argnums=(), static_argnames=(),
                   transform_name="make_ir"):
    """Stage ``fun(*args, **kwargs)`` into ``(program, captured, out_tree)``."""
    dynamic, dyn_kwargs, rebuild = split_static(fun, args, kwargs, static_argnums,
                                                static_argnames)
    dyn_args = [args[i] for i in dynamic]
    leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs), is_leaf=_is_abstract)
    top = positional_names(fun, len(args))
    kw_keys = sorted(dyn_kwargs)
    names = leaf_names([top[i] for i in dynamic] + kw_keys,
                       dyn_args + [dyn_kwargs[k] for k in kw_keys])
    in_avals = [leaf_aval(x, n, transform_name) for x, n in zip(leaves, names)]
    out_tree = []

    def flat_fun(*tracers):
        new_args, new_kwargs = tree_unflatten(in_tree, tracers)
        out_leaves, tree = tree_flatten(rebuild(new_args, new_kwargs))
        out_tree.append(tree)
        return [_as_output(x, i, transform_name) for i, x in enumerate(out_leaves)]
    with gc_paused():           # tracing makes many short-lived objects
        program, captured = stage(flat_fun, in_avals, names, transform_name)
    return program, captured, out_tree[0]
