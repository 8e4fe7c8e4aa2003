"""User-defined derivatives (``custom_jvp``, ``custom_vjp``) and ``checkpoint``.

With no transform active the Python function simply runs (breakpoints work);
under a transform it is staged into a higher-order primitive whose rules use the
user's derivative functions.
"""
import functools
import inspect

from transforms import custom_derivatives as cd
from transforms.array import Array
from transforms.core import current_interpreter
from transforms.tape import recording_tape
from transforms.tape_backward import CustomCall
from transforms.pytree import tree_flatten, tree_unflatten
from functorch_lite.numpy._convert import as_operand
from xla_like.primitives.higher_order import REMAT_POLICIES


def _plain_positional_count(signature):
    """The number of parameters when all are plain positional ones, else -1."""
    kinds = {p.kind for p in signature.parameters.values()}
    if kinds <= {inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD}:
        return len(signature.parameters)
    return -1


class _CustomBase:
    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self._signature = None
        self._n_positional = -1

    def _positional(self, args, kwargs):
        """All arguments as positional ones, with the function's defaults filled in."""
        if self._signature is None:
            try:
                self._signature = inspect.signature(self.fun)
            except ValueError:                 # no signature (a builtin): keep as given
                return args
            self._n_positional = _plain_positional_count(self._signature)
        if not kwargs and len(args) == self._n_positional:
            return args                        # the common call: nothing to bind
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if bound.kwargs:
            raise TypeError(f"{self.__name__}: keyword-only arguments are not supported by "
                            "custom_jvp/custom_vjp functions")
        return bound.args

    def _prepare(self, args):
        """Flatten the differentiable arguments; returns helpers to rebuild calls."""
        nondiff = {i: args[i] for i in self.nondiff_argnums}
        diff = tuple(a for i, a in enumerate(args) if i not in nondiff)
        leaves, in_tree = tree_flatten(diff)
        leaves = [as_operand(x) for x in leaves]
        out_tree = []

        def full_args(flat):
            it = iter(tree_unflatten(in_tree, flat))
            return [nondiff[i] if i in nondiff else next(it) for i in range(len(args))]

        def flat_fun(*flat):
            out_leaves, tree = tree_flatten(self.fun(*full_args(flat)))
            out_tree.append(tree)
            return [as_operand(x) for x in out_leaves]
        flat_fun.out_tree = out_tree    # for callers that run a cached copy of the body
        nondiff_values = [nondiff[i] for i in self.nondiff_argnums]
        return leaves, in_tree, out_tree, full_args, flat_fun, nondiff_values


class custom_jvp(_CustomBase):
    """A function with a user-defined JVP (forward derivative)::

        @custom_jvp
        def f(x):
            return fnp.log1p(fnp.exp(x))

        @f.defjvp
        def f_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            return f(x), t * fnp.exp(x) / (1.0 + fnp.exp(x))

    ``nondiff_argnums`` arguments are static and passed first to the rule.

    Eager ``grad`` runs the rule on every call, with real values.  Setting
    ``f.rule_is_pure = True`` promises that the function and its rule close over no
    traced values and have no side effects that must repeat; eager ``grad`` then
    derives the rule once per input type (and nondiff values) and reuses the result,
    as functorch_lite's own functions (``nn.relu``, ``nn.logsumexp``, ...) do.
    """
    rule_is_pure = False

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None
        self._pure_calls = {}       # number of array arguments -> recorded CustomCall

    def defjvp(self, jvp):
        self.jvp = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self._n_positional:
            args = self._positional(args, kwargs)
        if self.jvp is None:
            raise AttributeError(f"custom_jvp {self.__name__}: no JVP rule; call defjvp first")
        if current_interpreter() is None or cd.running_own_rule(self):
            return self.fun(*args)
        if self.rule_is_pure and not self.nondiff_argnums:
            tape = recording_tape()
            if tape is not None:
                values = tape.concrete_values(args)
                if values is not None:
                    return self._record_pure(tape, args, values)
        leaves, in_tree, out_tree, full_args, flat_fun, nondiff = self._prepare(args)
        rule = self._flat_rule(in_tree, out_tree, nondiff)
        outs = cd.call_custom("jvp", flat_fun, (rule,), leaves, "custom_jvp")
        return tree_unflatten(out_tree[0], outs)

    def _flat_rule(self, in_tree, out_tree, nondiff):
        def flat_rule(primals, tangents):
            p_tree = tree_unflatten(in_tree, primals)
            t_tree = tree_unflatten(in_tree, tangents)
            outs, t_outs = self.jvp(*nondiff, tuple(p_tree), tuple(t_tree))
            out_leaves, tree = tree_flatten(outs)
            out_tree.append(tree)
            return ([as_operand(x) for x in out_leaves],
                    [as_operand(x) for x in tree_flatten(t_outs)[0]])
        rule = cd.UserRule(self, flat_rule, getattr(self.jvp, "__name__", "jvp"))
        if self.rule_is_pure:
            rule.cache_key = (self, tuple(nondiff), in_tree)
        return rule

    def _record_pure(self, tape, args, values):
        """Eager ``grad`` of a pure-rule function on arrays (the tape records with no
        transform below it): run the body on the values and record one call, as the
        tape's general ``custom_call`` does, without building the call per use."""
        out = tape.call_below(self.fun, values)
        single = type(out) is Array                 # the common case: one array out
        out_leaves, out_tree = ([out], None) if single else tree_flatten(out)
        call = self._pure_calls.get(len(args))
        if call is None:
            leaves, in_tree, body_tree, _, flat_fun, nondiff = self._prepare(args)
            call = CustomCall("jvp", flat_fun, (self._flat_rule(in_tree, body_tree, nondiff),),
                              "custom_jvp")
            self._pure_calls[len(args)] = call
        outs = tape.record_custom(call, args, out_leaves if single
                                  else [as_operand(x) for x in out_leaves])
        return outs[0] if single else tree_unflatten(out_tree, outs)


class custom_vjp(_CustomBase):
    """A function with user-defined reverse-mode derivative::

        @custom_vjp
        def clip_gradient(x):
            return x
        def fwd(x):
            return x, None
        def bwd(res, ct):
            return (fnp.clip(ct, -1.0, 1.0),)
        clip_gradient.defvjp(fwd, bwd)

    ``fwd(*args) -> (out, residuals)`` (residuals: any pytree);
    ``bwd(*nondiff_args, residuals, ct) -> tuple`` with one cotangent per argument.
    """

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args, **kwargs):
        args = self._positional(args, kwargs)
        if self.fwd is None:
            raise AttributeError(f"custom_vjp {self.__name__}: call defvjp(fwd, bwd) first")
        if current_interpreter() is None or cd.running_own_rule(self):
            return self.fun(*args)
        leaves, in_tree, out_tree, full_args, flat_fun, nondiff = self._prepare(args)
        res_tree = []

        def flat_fwd(flat):
            out, res = self.fwd(*full_args(flat))
            res_leaves, tree = tree_flatten(res)
            res_tree.append(tree)
            out_leaves, tree = tree_flatten(out)
            out_tree.append(tree)
            return ([as_operand(x) for x in out_leaves],
                    [as_operand(x) for x in res_leaves])

        def flat_bwd(res, cts):
            ct_tree = tree_unflatten(out_tree[0], cts) if out_tree else cts
            arg_cts = self.bwd(*nondiff, tree_unflatten(res_tree[0], res), ct_tree)
            diff_in = tree_unflatten(in_tree, leaves)
            if not isinstance(arg_cts, tuple) or len(arg_cts) != len(diff_in):
                raise TypeError(f"custom_vjp {self.__name__}: bwd must return a tuple with one "
                                f"cotangent per differentiable argument ({len(diff_in)})")
            flat_cts = tree_flatten(arg_cts, is_leaf=lambda x: x is None)[0]
            return [ops_zeros(x) if ct is None else as_operand(ct)
                    for ct, x in zip(flat_cts, leaves)]
        fwd = cd.UserRule(self, flat_fwd, getattr(self.fwd, "__name__", "fwd"))
        bwd = cd.UserRule(self, flat_bwd, getattr(self.bwd, "__name__", "bwd"))
        flat_fun_outs = cd.call_custom("vjp", flat_fun, (fwd, bwd), leaves, "custom_vjp")
        return tree_unflatten(out_tree[0], flat_fun_outs)


def ops_zeros(x):
    from transforms import ops
    return ops.zeros_like_aval(x.aval)


def checkpoint(fun, policy="nothing_saveable"):
    """Recompute ``fun``'s intermediates in the backward pass instead of saving them.

    ``policy``: ``"nothing_saveable"`` (save only the inputs) or ``"everything_saveable"``.
    ``remat`` is an alias.
    """
    if policy not in REMAT_POLICIES:
        raise ValueError(f"checkpoint: unknown policy {policy!r}; known: {REMAT_POLICIES}")

    @functools.wraps(fun)
    def wrapped(*args):
        if current_interpreter() is None:
            return fun(*args)
        leaves, in_tree = tree_flatten(args)
        leaves = [as_operand(x) for x in leaves]
        out_tree = []

        def flat_fun(*flat):
            out_leaves, tree = tree_flatten(fun(*tree_unflatten(in_tree, flat)))
            out_tree.append(tree)
            return [as_operand(x) for x in out_leaves]
        outs = cd.bind_remat(flat_fun, leaves, policy)
        return tree_unflatten(out_tree[0], outs)
    return wrapped


remat = checkpoint
