"""Pytrees for users: nested tuples, lists, dicts, None, namedtuples and registered
classes, whose leaves are arrays (or anything that is not a container).

>>> import functorch_lite.tree as tree
>>> tree.map(lambda a, b: a + b, {"w": 1, "b": (2, None)}, {"w": 10, "b": (20, None)})
{'b': (22, None), 'w': 11}
>>> leaves, treedef = tree.flatten({"w": 1, "b": (2, None)})
>>> leaves
[2, 1]
>>> tree.unflatten(treedef, [3, 4])
{'b': (3, None), 'w': 4}

Dicts are flattened in sorted key order.  ``register_pytree_node`` and
``register_dataclass`` make user classes containers; ``flatten_with_path`` gives each
leaf its key path (``keystr(path) == "['b'][0]"``).
"""
from transforms.pytree import (DictKey, GetAttrKey, PyTreeDef, SequenceKey,  # noqa: F401
                               keystr, register_dataclass, register_pytree_node)
from transforms.pytree import tree_flatten as flatten
from transforms.pytree import tree_flatten_with_path as flatten_with_path
from transforms.pytree import tree_leaves as leaves
from transforms.pytree import tree_map as map  # noqa: A001  (the public name is map)
from transforms.pytree import tree_structure as structure
from transforms.pytree import tree_unflatten as unflatten

__all__ = ["flatten", "unflatten", "map", "leaves", "structure", "flatten_with_path",
           "keystr", "register_pytree_node", "register_dataclass", "PyTreeDef",
           "SequenceKey", "DictKey", "GetAttrKey"]
