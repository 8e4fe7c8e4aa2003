"""Inspecting reverse mode: what the backward pass keeps from the forward pass."""
from transforms.core import interpreter_scope
from transforms.linearize import linearize_flat
from transforms.pytree import tree_flatten, tree_unflatten
from transforms.staging import StagingInterpreter, leaf_names, positional_names
from xla_like import dtypes
from functorch_lite.numpy._convert import as_operand


class Residual:
    """One value saved for the backward pass: its type and where it came from."""

    def __init__(self, aval, origin):
        self.aval = aval
        self.origin = origin

    def __repr__(self):
        return f"{self.aval}  {self.origin}"


def saved_residuals(fun, *args):
    """List the values reverse-mode differentiation of ``fun`` at ``args`` saves.

    >>> for r in saved_residuals(lambda x: fnp.sin(fnp.sin(x)).sum(), x): print(r)
    f32[3]  argument 'x'
    f32[3]  output of cos at example.py:4 (f)
    """
    leaves, in_tree = tree_flatten(args)
    leaves = [as_operand(x) for x in leaves]
    names = leaf_names(positional_names(fun, len(args)), list(args))
    staging = StagingInterpreter("saved_residuals")
    with interpreter_scope(staging):
        tracers = [staging.new_input(x.aval, n) for x, n in zip(leaves, names)]

        def flat(*xs):
            return [as_operand(o) for o in tree_flatten(fun(*tree_unflatten(in_tree, xs)))[0]]
        mask = [dtypes.is_inexact(x.aval.dtype) for x in leaves]
        _, linear = linearize_flat(flat, tracers, mask)
    producers = {out: eqn for eqn in staging.eqns for out in eqn.outputs}
    result = []
    for res in linear.residuals:
        var = res.var
        if var in staging.arg_names:
            origin = f"argument {staging.arg_names[var]!r}"
        else:
            eqn = producers[var]
            origin = f"output of {eqn.prim.name}" + (f" at {eqn.source}" if eqn.source else "")
        result.append(Residual(var.aval, origin))
    for value in linear.program.consts:
        result.append(Residual(f"{value.dtype}{list(value.shape)}", "constant"))
    return result


def print_saved_residuals(fun, *args):
    for r in saved_residuals(fun, *args):
        print(r)
