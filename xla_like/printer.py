"""The stable text form of programs (docs, errors and golden tests)::

    { lambda a:f32[3] b:f32[3] .
      let c:f32[3] = sin a
          d:f32[3] = mul c b
      in (d) }

Constants come first, separated by ``;``.  Weak types print with a ``~`` prefix.
"""
import numpy as np

from xla_like.ir import Literal, Program


class _Names:
    """Assigns a, b, ..., z, ba, bb, ... in order of first appearance."""

    def __init__(self):
        self.names = {}

    def __call__(self, var):
        if var not in self.names:
            self.names[var] = _spell(len(self.names))
        return self.names[var]


def _spell(n):
    letters = ""
    while True:
        letters = chr(ord("a") + n % 26) + letters
        n //= 26
        if n == 0:
            return letters


def _atom(atom, names):
    if isinstance(atom, Literal):
        return _literal(atom)
    return names(atom)


def _literal(lit):
    value = lit.value.tolist()
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return repr(value)


def _binder(var, names):
    return f"{names(var)}:{var.aval}"


def _param(value, names, indent):
    if isinstance(value, Program):
        return "\n" + _program_lines(value, names, indent + 4)
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, tuple):
        inner = ", ".join(_param(v, names, indent) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def eqn_to_text(eqn, names=None, indent=0):
    names = names or _Names()
    ins = " ".join(_atom(a, names) for a in eqn.inputs)
    outs = " ".join(_binder(v, names) for v in eqn.outputs)
    params = ""
    if eqn.params:
        params = "[" + " ".join(f"{k}={_param(v, names, indent)}"
                                for k, v in sorted(eqn.params.items())) + "]"
    lhs = f"{outs} = " if outs else "_ = "      # an effect-only equation binds nothing
    return f"{lhs}{eqn.prim.name}{params} {ins}".rstrip()


def _program_lines(program, names, indent):
    pad = " " * indent
    consts = " ".join(_binder(v, names) for v in program.constvars)
    ins = " ".join(_binder(v, names) for v in program.invars)
    head = f"{pad}{{ lambda {consts + ' ; ' if consts else ''}{ins} ."
    lines = [head.replace("  .", " .")]
    for i, eqn in enumerate(program.eqns):
        lead = "  let " if i == 0 else "      "
        lines.append(pad + lead + eqn_to_text(eqn, names, indent + 6))
    outs = " ".join(_atom(a, names) for a in program.outvars)
    if not program.eqns:
        lines.append(pad + "  let")
    lines.append(f"{pad}  in ({outs}) }}")
    return "\n".join(lines)


def program_to_text(program):
    """The text form of ``program``; variable names depend only on its structure."""
    return _program_lines(program, _Names(), 0)
