"""``typecheck(program)``: re-derive every abstract value and fail loudly."""
from xla_like.ir import Literal, Program, Var
from xla_like.primitive import Primitive


class TypeCheckError(TypeError):
    pass


def _where(i, eqn):
    from xla_like.printer import eqn_to_text
    src = f" (from {eqn.source})" if eqn.source else ""
    return f"equation {i} `{eqn_to_text(eqn)}`{src}"


def typecheck(program):
    """Check that every variable is bound once before use and that each equation's
    output avals equal its primitive's abstract evaluation.  Returns the program."""
    if not isinstance(program, Program):
        raise TypeCheckError(f"expected a Program, got {type(program).__name__}")
    bound = set()

    def bind_var(var, what):
        if not isinstance(var, Var):
            raise TypeCheckError(f"{what} must be a Var, got {var!r}")
        if var in bound:
            raise TypeCheckError(f"{what} {var} is bound twice")
        bound.add(var)

    def check_atom(atom, where):
        """``where()`` names the location; it is built only when there is an error."""
        if isinstance(atom, Literal):
            if atom.aval.shape != () or atom.value.dtype != atom.aval.dtype:
                raise TypeCheckError(f"{where()}: literal {atom} must be a scalar of its "
                                     "dtype")
        elif not isinstance(atom, Var) or atom not in bound:
            raise TypeCheckError(f"{where()}: {atom!r} is used before it is bound")

    for var, value in zip(program.constvars, program.consts):
        bind_var(var, "constant")
        if tuple(value.shape) != var.aval.shape or value.dtype != var.aval.dtype:
            raise TypeCheckError(f"constant value {value.dtype}{list(value.shape)} does not "
                                 f"match its var {var.aval}")
    for var in program.invars:
        bind_var(var, "input")
    for i, eqn in enumerate(program.eqns):
        if not isinstance(eqn.prim, Primitive):
            raise TypeCheckError(f"equation {i}: {eqn.prim!r} is not a Primitive")
        for atom in eqn.inputs:
            check_atom(atom, lambda: _where(i, eqn))
        try:
            out = eqn.prim.abstract_eval(*[a.aval for a in eqn.inputs], **eqn.params)
        except (TypeError, ValueError) as e:
            raise TypeCheckError(f"{_where(i, eqn)}: {e}") from e
        expected = list(out) if eqn.prim.multiple_results else [out]
        got = [v.aval for v in eqn.outputs]
        if expected != got:
            raise TypeCheckError(f"{_where(i, eqn)}: outputs have types "
                                 f"{', '.join(map(str, got))} but {eqn.prim.name} gives "
                                 f"{', '.join(map(str, expected))}")
        for var in eqn.outputs:
            if var in bound or not isinstance(var, Var):
                bind_var(var, f"{_where(i, eqn)} output")
            bound.add(var)
    for atom in program.outvars:
        check_atom(atom, lambda: "program output")
    return program
