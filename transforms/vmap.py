"""Batching: the vmap interpreter and its rule table ``batch_rules``.

Each value carries a batch dimension ``bdim`` (an int, or ``None`` when unbatched).
A rule ``rule(args, bdims, **params) -> (out, out_bdim)`` (lists for multiple results)
computes with ``bind`` in the interpreter below; it moves batch dimensions only when
it must and leaves unbatched operands unbatched.
"""
from transforms import ops
from transforms.core import Interpreter, Tracer, bind, interpreter_scope, parent_scope
from transforms.errors import ConcretizationError
from transforms.source_info import user_frame
from xla_like.ir import ShapedArray, intern
from xla_like.primitive import lookup_rule

batch_rules = {}


class BatchTracer(Tracer):
    __slots__ = ("value", "bdim", "_aval")

    def __init__(self, interp, value, bdim):
        self._interp = interp
        self.value = value
        self.bdim = bdim
        self._aval = None

    @property
    def aval(self):
        """The per-example abstract value (the batch dimension removed)."""
        if self._aval is None:
            aval = self.value.aval
            shape = aval.shape[:self.bdim] + aval.shape[self.bdim + 1:]
            self._aval = intern(ShapedArray(shape, aval.dtype, aval.weak))
        return self._aval

    def __repr__(self):
        return (f"Traced<{self.aval}> by vmap, batched along axis {self.bdim} of "
                f"{self.value!r}")


class BatchInterpreter(Interpreter):
    transform_name = "vmap"

    def __init__(self, axis_size, axis_name=None):
        super().__init__()
        self.axis_size = axis_size
        self.axis_name = axis_name

    def lift(self, x):
        if isinstance(x, BatchTracer) and x._interp is self:
            return x.value, x.bdim
        return x, None

    def process_primitive(self, prim, args, params):
        values, bdims, batched = [], [], False
        for a in args:
            if type(a) is BatchTracer and a._interp is self:
                values.append(a.value)
                bdims.append(a.bdim)
                batched = True
            else:
                values.append(a)
                bdims.append(None)
        if not batched and not _needs_axis(prim, params, self):
            with parent_scope(self):
                return bind(prim, *values, **params)
        rule = batch_rules.get(prim) or lookup_rule(batch_rules, prim, "vmap")
        if getattr(rule, "runs_in_interpreter", False):
            out, out_bdim = rule(self, values, bdims, **params)
        else:
            with parent_scope(self):
                out, out_bdim = rule(values, bdims, **params)
        if prim.multiple_results:
            return [self.wrap(o, b) for o, b in zip(out, out_bdim)]
        return self.wrap(out, out_bdim)

    def wrap(self, value, bdim):
        return value if bdim is None else BatchTracer(self, value, bdim)

    def concrete_value(self, tracer, conversion):
        raise ConcretizationError(
            f"vmap cannot convert a batched value {tracer.aval} to a Python {conversion} at "
            f"{user_frame()}: it holds a different value for each of the {self.axis_size} "
            "batch elements. Use functorch_lite.numpy.where or lax.cond for per-element "
            "choices.")

    def describe_tracer(self, tracer):
        return f"It was batched by vmap (axis size {self.axis_size})."


def _needs_axis(prim, params, interp):
    """Collectives over this interpreter's named axis must run even on unbatched values."""
    return interp.axis_name is not None and params.get("axis_name") == interp.axis_name


def vmap_flat(fun, args, in_dims, axis_size, axis_name=None):
    """Map ``fun`` over axis ``in_dims[i]`` of ``args[i]`` (None = broadcast);
    returns the outputs with their batch dims, as (values, bdims) lists."""
    interp = BatchInterpreter(axis_size, axis_name)
    with interpreter_scope(interp):
        ins = [interp.wrap(a, d) for a, d in zip(args, in_dims)]
        outs = fun(*ins)
        pairs = [interp.lift(o) for o in outs]
    return [v for v, _ in pairs], [b for _, b in pairs]


# ---- helpers for rules ----------------------------------------------------------------

def move_bdim(x, bdim, dest):
    """Move batch dimension ``bdim`` of ``x`` to position ``dest``."""
    if bdim == dest:
        return x
    perm = list(range(x.aval.ndim))
    perm.insert(dest, perm.pop(bdim))
    return ops.transpose(x, perm)


def broadcast_batched(x, bdim, size, dest=0):
    """``x`` with a batch dimension of ``size`` at ``dest`` (materialized if unbatched)."""
    if bdim is not None:
        return move_bdim(x, bdim, dest)
    shape = list(x.aval.shape)
    shape.insert(dest, size)
    dims = [d for d in range(len(shape)) if d != dest]
    return ops.broadcast_in_dim(x, shape, dims)


def batch_size(values, bdims):
    for v, b in zip(values, bdims):
        if b is not None:
            return v.aval.shape[b]
    raise ValueError("no batched operand")


def defvectorized(prim):
    """Unary elementwise: the rule applies the primitive with the batch dim in place."""
    def rule(args, bdims, **params):
        return bind(prim, *args, **params), bdims[0]
    batch_rules[prim] = rule


def defbroadcasting(prim):
    """Elementwise with several same-shape operands: align batch dims at a common place;
    unbatched operands are broadcast along it."""
    def rule(args, bdims, **params):
        dest = next(b for b in bdims if b is not None)
        if any(b != dest for b in bdims):
            size = batch_size(args, bdims)
            args = [move_bdim(a, b, dest) if b is not None else
                    broadcast_batched(a, None, size, dest) for a, b in zip(args, bdims)]
        out = bind(prim, *args, **params)
        if prim.multiple_results:
            return out, [dest] * len(out)
        return out, dest
    batch_rules[prim] = rule


def bound_axis_size(axis_name):
    """The size of the mapped axis named ``axis_name`` by an enclosing vmap."""
    from transforms.core import current_interpreter
    interp = current_interpreter()
    while interp is not None:
        if isinstance(interp, BatchInterpreter) and interp.axis_name == axis_name:
            return interp.axis_size
        interp = interp.parent
    raise NameError(f"unbound axis name {axis_name!r}: collectives need an enclosing "
                    f"vmap(..., axis_name={axis_name!r})")
