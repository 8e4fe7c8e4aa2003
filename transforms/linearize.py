"""Reverse mode: linearize (JVP + partial evaluation), then transpose.

``linearize_flat`` runs the JVP interpreter on top of a partial-evaluation
interpreter.  Primal work has only known inputs, so partial evaluation forwards it to
the interpreter below (it runs eagerly, or is staged by an enclosing ``make_ir``/
``jit``); tangent work depends on the unknown tangent inputs and is recorded as a
linear ``Program`` whose residuals are the known values it uses.

``backward_pass`` walks that linear program in reverse with ``transpose_rules``,
binding every cotangent operation, so reverse mode composes with every transform
and ``make_ir(grad(f))`` is one program.
"""
from transforms import ops
from transforms.core import Tracer, bind, eager, interpreter_scope, parent_scope
from transforms.jvp import JVPInterpreter, JVPTracer, Zero, tangent_aval
from transforms.staging import StagingInterpreter
from xla_like.ir import Literal
from xla_like.primitive import lookup_rule

transpose_rules = {}


class PartialEvalInterpreter(StagingInterpreter):
    """Stages equations that depend on its own (unknown) values; forwards the rest."""
    record_source = False      # linear programs are internal: skip the frame walk

    def __init__(self):
        super().__init__("linearize")

    def process_primitive(self, prim, args, params):
        for a in args:
            if isinstance(a, Tracer) and a._interp is self:
                return super().process_primitive(prim, args, params)
        if self.parent is None:                 # known values below are concrete
            return eager(prim, args, params)
        with parent_scope(self):
            return bind(prim, *args, **params)

    def concrete_value(self, tracer, conversion):
        from transforms.errors import ConcretizationError
        raise ConcretizationError(
            f"cannot convert a tangent or cotangent to a Python {conversion}: its value is "
            "only known symbolically during differentiation")


class LinearFunction:
    """A linear map recorded by ``linearize``: ``program(residuals, tangents)``."""

    def __init__(self, program, residuals, in_avals, out_zero, const_arrays=None):
        self.program = program
        self.const_arrays = const_arrays    # the program's constants as Arrays
        self.residuals = residuals      # values bound to the program's leading inputs
        self.in_avals = in_avals        # tangent avals (one per differentiable input)
        self.out_zero = out_zero        # output positions whose tangent is identically 0

    def __call__(self, *tangents):
        return run_program(self.program, *self.residuals, *tangents,
                           const_arrays=self.const_arrays)


def run_program(program, *args, const_arrays=None):
    """Evaluate ``program`` by binding each equation (so it composes with transforms)."""
    from transforms.array import Array
    if const_arrays is None:
        const_arrays = [_as_array(c) for c in program.consts]
    env = dict(zip(program.constvars, const_arrays))
    env.update(zip(program.invars, args))

    def read(atom):
        return Array(atom.value, atom.aval) if isinstance(atom, Literal) else env[atom]
    for eqn in program.eqns:
        out = bind(eqn.prim, *[read(a) for a in eqn.inputs], **eqn.params)
        env.update(zip(eqn.outputs, out if eqn.prim.multiple_results else (out,)))
    return [read(a) for a in program.outvars]


def _as_array(value):
    from transforms.array import Array
    from xla_like.ir import aval_of_value, intern
    return Array(value, intern(aval_of_value(value)))


def linearize_flat(fun, primals, diff_mask):
    """Run ``fun`` on ``primals``; return ``(outputs, LinearFunction)`` where the linear
    function maps tangents of the inputs selected by ``diff_mask`` to output tangents."""
    pe = PartialEvalInterpreter()
    with interpreter_scope(pe):
        jvp = JVPInterpreter()
        tangent_in = [pe.new_input(tangent_aval(p.aval), f"tangent {i}")
                      if d else None for i, (p, d) in enumerate(zip(primals, diff_mask))]
        with interpreter_scope(jvp):
            ins = [JVPTracer(jvp, p, t) if t is not None else p
                   for p, t in zip(primals, tangent_in)]
            pairs = [jvp.lift(o) for o in fun(*ins)]
        outs = [p for p, _ in pairs]
        out_zero = [type(t) is Zero for _, t in pairs]
        live = [t for _, t in pairs if type(t) is not Zero]
        program, residuals = pe.finish(live)
    in_avals = [t.aval for t in tangent_in if t is not None]
    const_arrays = [array for _, array in pe.constants()]
    return outs, LinearFunction(program, residuals, in_avals, out_zero, const_arrays)


class UndefinedPrimal:
    """Marks a linear operand of a transpose rule (its value is what we solve for)."""
    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval


def is_linear(x):
    return type(x) is UndefinedPrimal


def backward_pass(linear_fn, cotangents):
    """Transpose ``linear_fn``: map output cotangents (``None`` = zero) to input ones."""
    program = linear_fn.program
    n_res = len(linear_fn.residuals)
    consts = linear_fn.const_arrays
    if consts is None:
        consts = [_as_array(c) for c in program.consts]
    known = dict(zip(program.constvars, consts))
    known.update(zip(program.invars[:n_res], linear_fn.residuals))
    linear_in = program.invars[n_res:]
    cts = {}
    for atom, ct in zip(program.outvars, cotangents):
        if ct is not None and not isinstance(atom, Literal):
            _accumulate(cts, atom, ct)

    def operand(atom):
        if isinstance(atom, Literal):
            return _literal_array(atom)
        return known[atom] if atom in known else UndefinedPrimal(atom.aval)

    for eqn in reversed(program.eqns):
        outs_ct = [cts.pop(v, None) for v in eqn.outputs]
        if all(ct is None for ct in outs_ct):
            continue
        rule = lookup_rule(transpose_rules, eqn.prim, "transpose")
        ct_arg = outs_ct if eqn.prim.multiple_results else outs_ct[0]
        in_cts = rule(ct_arg, *[operand(a) for a in eqn.inputs], **eqn.params)
        for atom, ct in zip(eqn.inputs, in_cts):
            if ct is not None and not isinstance(atom, Literal) and atom not in known:
                _accumulate(cts, atom, ct)
    return [cts.get(v) for v in linear_in]


def _accumulate(cts, var, ct):
    if type(ct) is Zero:
        return
    cts[var] = ct if var not in cts else ops.add(cts[var], ct)


def _literal_array(atom):
    from transforms.array import Array
    return Array(atom.value, atom.aval)


def deflinear(prim, transpose):
    """Register both rules of a primitive linear in all its operands."""
    from transforms.jvp import defjvp_linear
    defjvp_linear(prim)
    transpose_rules[prim] = transpose
