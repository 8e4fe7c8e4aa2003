"""Primitive objects and their registry.

Each primitive is declared once (in ``xla_like/primitives/``) with a name, an
abstract-evaluation rule ``abstract_eval(*avals, **params) -> aval | [avals]`` that
raises a clear ``TypeError``/``ValueError`` on bad input, and a NumPy reference
implementation ``impl(*arrays, **params)`` that is also the oracle for compiled
backends.  Transform rules live in one table per transform, keyed by the object.
"""

registry = {}


class Primitive:
    """An operation of the IR.  ``sin_p = Primitive('sin', abstract_eval=..., impl=...)``"""
    __slots__ = ("name", "multiple_results", "effectful", "abstract_eval", "impl",
                 "__weakref__")

    def __init__(self, name, abstract_eval, impl, multiple_results=False, effectful=False):
        if name in registry:
            raise ValueError(f"primitive {name!r} is declared twice")
        self.name = name
        self.multiple_results = multiple_results
        # An effectful equation (e.g. a debug print) runs for its effect: compiler
        # passes never delete, merge, reorder past each other or constant-fold it.
        self.effectful = effectful
        self.abstract_eval = abstract_eval
        self.impl = impl
        registry[name] = self

    def __repr__(self):
        return self.name

    def __reduce__(self):
        return (by_name, (self.name,))


def by_name(name):
    """Look a primitive up by name (used only by the serializer)."""
    try:
        return registry[name]
    except KeyError:
        raise ValueError(f"unknown primitive {name!r}") from None


def lookup_rule(table, prim, transform):
    """``table[prim]``, or a ``NotImplementedError`` that names transform and primitive."""
    try:
        return table[prim]
    except KeyError:
        raise NotImplementedError(f"{transform} rule for '{prim.name}' is not implemented") from None

