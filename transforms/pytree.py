"""Pytrees: nested containers whose leaves are arrays.

Containers: tuple, list, dict (sorted keys), None (no leaves), namedtuple, and user
types registered with ``register_pytree_node`` or ``register_dataclass``::

    leaves, treedef = tree_flatten({"w": x, "b": (y, None)})
    tree_unflatten(treedef, leaves)
"""
import dataclasses
import itertools
from typing import NamedTuple


class SequenceKey(NamedTuple):
    idx: int

    def __str__(self):
        return f"[{self.idx}]"


class DictKey(NamedTuple):
    key: object

    def __str__(self):
        return f"[{self.key!r}]"


class GetAttrKey(NamedTuple):
    name: str

    def __str__(self):
        return f".{self.name}"


class _NodeType(NamedTuple):
    flatten: object      # node -> (children, aux_data)
    unflatten: object    # (aux_data, children) -> node
    keys: object         # (node, aux_data) -> tuple of path keys


_registry = {}


def register_pytree_node(nodetype, flatten_func, unflatten_func):
    """Register a container: ``flatten_func(x) -> (children, aux)`` and
    ``unflatten_func(aux, children) -> x``.

    >>> register_pytree_node(Point, lambda p: ((p.x, p.y), None),
    ...                      lambda aux, xs: Point(*xs))
    """
    if nodetype in _registry:
        raise ValueError(f"{nodetype.__name__} is already registered as a pytree node")

    def keys(node, aux, n):
        return tuple(SequenceKey(i) for i in range(n))
    _registry[nodetype] = _NodeType(flatten_func, unflatten_func, keys)
    return nodetype


def register_dataclass(cls=None, data_fields=None, meta_fields=None):
    """Register a dataclass; fields in ``meta_fields`` are static (part of the structure).

    Usable as a decorator.  With no field lists, every field is a data field.
    """
    if cls is None:
        return lambda c: register_dataclass(c, data_fields, meta_fields)
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"register_dataclass: {cls.__name__} is not a dataclass")
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    meta = tuple(meta_fields or ())
    data = tuple(data_fields) if data_fields is not None else tuple(
        n for n in names if n not in meta)
    if sorted(data + meta) != sorted(names):
        raise ValueError(f"register_dataclass: data_fields {data} and meta_fields {meta} "
                         f"must together name every init field of {cls.__name__}: {names}")

    def flatten(x):
        return [getattr(x, n) for n in data], tuple(getattr(x, n) for n in meta)

    def unflatten(aux, children):
        return cls(**dict(zip(data, children)), **dict(zip(meta, aux)))

    def keys(node, aux, n):
        return tuple(GetAttrKey(name) for name in data)
    if cls in _registry:
        raise ValueError(f"{cls.__name__} is already registered as a pytree node")
    _registry[cls] = _NodeType(flatten, unflatten, keys)
    return cls


def _seq_keys(node, aux, n):
    return tuple(SequenceKey(i) for i in range(n))


def _dict_flatten(d):
    try:
        keys = sorted(d)
    except TypeError:
        raise TypeError(f"pytree dict keys must be sortable, got {list(d)!r}") from None
    return [d[k] for k in keys], tuple(keys)


_registry[tuple] = _NodeType(lambda t: (t, None), lambda aux, xs: tuple(xs), _seq_keys)
_registry[list] = _NodeType(lambda t: (t, None), lambda aux, xs: list(xs), _seq_keys)
_registry[dict] = _NodeType(_dict_flatten, lambda keys, xs: dict(zip(keys, xs)),
                            lambda node, keys, n: tuple(DictKey(k) for k in keys))
_registry[type(None)] = _NodeType(lambda n: ((), None), lambda aux, xs: None, _seq_keys)


def _namedtuple_node(cls):
    return _NodeType(lambda t: (tuple(t), None), lambda aux, xs: cls(*xs),
                     lambda node, aux, n: tuple(GetAttrKey(f) for f in cls._fields))


def _node_type(x):
    cls = type(x)
    node = _registry.get(cls)
    if node is None and issubclass(cls, tuple) and hasattr(cls, "_fields"):
        node = _namedtuple_node(cls)
    return node


class PyTreeDef:
    """The structure of a pytree (hashable; equal structures compare equal)."""
    __slots__ = ("node_type", "aux", "children", "num_leaves", "key", "flat_sequence")

    def __init__(self, node_type, aux, children):
        self.node_type = node_type      # None for a leaf
        self.aux = aux
        self.children = tuple(children)
        self.num_leaves = 1 if node_type is None else sum([c.num_leaves for c in children])
        # nested tuples: hashing and comparing them runs in C (cache keys of jit calls)
        self.key = None if node_type is None else (node_type, aux,
                                                    tuple([c.key for c in self.children]))
        # a tuple or list of leaves: rebuilt from an iterator in C (``_build``)
        self.flat_sequence = (node_type in (tuple, list)
                              and all(c.node_type is None for c in self.children))

    @property
    def num_nodes(self):
        return 1 + sum(c.num_nodes for c in self.children)

    def __eq__(self, other):
        return isinstance(other, PyTreeDef) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __repr__(self):
        return f"PyTreeDef({self._text()})"

    def _text(self):
        if self.node_type is None:
            return "*"
        inner = ", ".join(c._text() for c in self.children)
        if self.node_type is tuple:
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.node_type is list:
            return f"[{inner}]"
        if self.node_type is dict:
            return "{" + ", ".join(f"{k!r}: {c._text()}"
                                   for k, c in zip(self.aux, self.children)) + "}"
        if self.node_type is type(None):
            return "None"
        return f"{self.node_type.__name__}({inner})"


_LEAF = PyTreeDef(None, None, ())


def _flatten(tree, is_leaf, leaves, paths, path):
    node = None if (is_leaf is not None and is_leaf(tree)) else _node_type(tree)
    if node is None:
        leaves.append(tree)
        if paths is not None:
            paths.append(path)
        return _LEAF
    children, aux = node.flatten(tree)
    children = list(children)
    keys = node.keys(tree, aux, len(children)) if paths is not None else None
    defs = [_flatten(c, is_leaf, leaves, paths, path + (keys[i],) if keys else None)
            for i, c in enumerate(children)]
    return PyTreeDef(type(tree), aux, defs)


def _structure_key(tree, leaves):
    """Collect the leaves of ``tree``; return its structure as nested tuples
    ``(node_type, aux, children)`` (``None`` for a leaf), the key ``PyTreeDef`` uses."""
    cls = type(tree)
    if cls is tuple or cls is list:
        keys = []
        for c in tree:      # leaves inline: a call per leaf shows in eager training loops
            kind = type(c)
            if kind is tuple or kind is list or kind in _registry or issubclass(kind, tuple):
                keys.append(_structure_key(c, leaves))
            else:
                leaves.append(c)
                keys.append(None)
        return (cls, None, tuple(keys))
    node = _node_type(tree)
    if node is None:
        leaves.append(tree)
        return None
    children, aux = node.flatten(tree)
    return (cls, aux, tuple([_structure_key(c, leaves) for c in children]))


def _treedef_from_key(key):
    if key is None:
        return _LEAF
    node_type, aux, children = key
    return PyTreeDef(node_type, aux, [_treedef_from_key(c) for c in children])


_treedefs = {}          # structure key -> PyTreeDef: a call's structure is built once
_TREEDEF_CACHE_LIMIT = 10_000


def tree_flatten(tree, is_leaf=None):
    """``tree_flatten((x, {"a": y})) == ([x, y], treedef)``"""
    leaves = []
    if is_leaf is not None:
        return leaves, _flatten(tree, is_leaf, leaves, None, ())
    key = _structure_key(tree, leaves)
    try:
        return leaves, _treedefs[key]
    except KeyError:
        treedef = _treedef_from_key(key)
    except TypeError:                   # an unhashable aux: build, don't cache
        return leaves, _treedef_from_key(key)
    if len(_treedefs) >= _TREEDEF_CACHE_LIMIT:
        _treedefs.clear()
    _treedefs[key] = treedef
    return leaves, treedef


def tree_flatten_with_path(tree, is_leaf=None):
    """Like ``tree_flatten`` but each leaf comes with its key path."""
    leaves, paths = [], []
    treedef = _flatten(tree, is_leaf, leaves, paths, ())
    return list(zip(paths, leaves)), treedef


def keystr(path):
    """``keystr((DictKey('w'), SequenceKey(0))) == "['w'][0]"``"""
    return "".join(str(k) for k in path)


def tree_unflatten(treedef, leaves):
    """Rebuild a pytree of ``treedef``'s structure from ``leaves``."""
    leaves = list(leaves)
    if len(leaves) != treedef.num_leaves:
        raise ValueError(f"tree_unflatten: structure {treedef} has {treedef.num_leaves} "
                         f"leaves, got {len(leaves)}")
    it = iter(leaves)
    return _build(treedef, it)


def _build(treedef, it):
    node_type = treedef.node_type
    if node_type is None:
        return next(it)
    if treedef.flat_sequence:
        return node_type(itertools.islice(it, len(treedef.children)))
    children = [next(it) if c.node_type is None else _build(c, it) for c in treedef.children]
    if node_type is tuple:
        return tuple(children)
    if node_type is list:
        return children
    node = _registry.get(node_type) or _namedtuple_node(node_type)
    return node.unflatten(treedef.aux, children)


def tree_leaves(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f, tree, *rest, is_leaf=None):
    """Apply ``f`` leaf-wise; ``rest`` trees must have ``tree``'s structure.

    >>> tree_map(lambda a, b: a + b, {"x": 1}, {"x": 2})
    {'x': 3}
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = []
    for i, other in enumerate(rest):
        other_leaves, other_def = tree_flatten(other, is_leaf)
        if other_def != treedef:
            raise ValueError(f"tree_map: tree {i + 1} has structure {other_def}, "
                             f"expected {treedef}")
        others.append(other_leaves)
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])

