"""Pytrees (transforms.pytree, exported as functorch_lite.tree): flatten/unflatten,
tree_map, key paths, treedef equality, and user-registered containers."""
import dataclasses
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

import functorch_lite.tree as tree
from transforms import pytree
from transforms.pytree import DictKey, GetAttrKey, SequenceKey


class Point(NamedTuple):
    x: object
    y: object


class Box:
    """A user container with one static attribute (``label``) and two children."""

    def __init__(self, first, second, label):
        self.first, self.second, self.label = first, second, label

    def __eq__(self, other):
        return (type(other) is Box and (self.first, self.second, self.label)
                == (other.first, other.second, other.label))


tree.register_pytree_node(Box, lambda b: ((b.first, b.second), b.label),
                          lambda label, children: Box(*children, label))


@tree.register_dataclass
@dataclasses.dataclass
class Pair:
    left: object
    right: object


@dataclasses.dataclass
class Layer:
    w: object
    b: object
    activation: str
    width: int


tree.register_dataclass(Layer, data_fields=("w", "b"), meta_fields=("activation", "width"))


# ---- strategies ---------------------------------------------------------------------

_leaf = st.one_of(st.integers(-1000, 1000), st.floats(-1e3, 1e3, allow_nan=False))


def _containers(children):
    return st.one_of(
        st.lists(children, max_size=3),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text("abcxyz", max_size=2), children, max_size=3),
        st.builds(Point, children, children),
        st.builds(Pair, children, children),
        st.builds(Box, children, children, st.sampled_from(["p", "q"])),
    )


trees = st.recursive(st.one_of(_leaf, st.none()), _containers, max_leaves=12)


def _get(node, key):
    """Follow one path key into ``node``."""
    if isinstance(key, SequenceKey):
        return (node.first, node.second)[key.idx] if type(node) is Box else node[key.idx]
    if isinstance(key, DictKey):
        return node[key.key]
    return getattr(node, key.name)


def _same(a, b):
    """Equal values and equal structures (a namedtuple is == to a plain tuple)."""
    return a == b and tree.structure(a) == tree.structure(b)


# ---- flatten / unflatten ------------------------------------------------------------

@given(trees)
def test_flatten_unflatten_round_trip(t):
    leaves, treedef = tree.flatten(t)
    assert treedef.num_leaves == len(leaves)
    assert _same(tree.unflatten(treedef, leaves), t)


@given(trees)
def test_unflatten_with_new_leaves_keeps_structure(t):
    leaves, treedef = tree.flatten(t)
    new = [object() for _ in leaves]
    new_leaves, new_def = tree.flatten(tree.unflatten(treedef, new))
    assert new_def == treedef
    assert all(a is b for a, b in zip(new_leaves, new)) and len(new_leaves) == len(new)


def test_unflatten_wrong_leaf_count_names_structure():
    _, treedef = tree.flatten((1, [2, 3]))
    with pytest.raises(ValueError, match="has 3 leaves, got 2"):
        tree.unflatten(treedef, [1, 2])


def test_leaves_structure_and_none():
    t = {"b": (1, None), "a": [2.0, Point(3, 4)]}
    assert tree.leaves(t) == [2.0, 3, 4, 1]
    assert tree.leaves(None) == []
    assert tree.structure(None).num_leaves == 0
    assert tree.structure(5) == tree.structure("any leaf")
    assert str(tree.structure(t)) == "PyTreeDef({'a': [*, Point(*, *)], 'b': (*, None)})"
    assert tree.leaves(t, is_leaf=lambda x: isinstance(x, Point)) == [2.0, Point(3, 4), 1]


@given(st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), st.integers(),
                       max_size=6))
def test_dict_leaves_in_sorted_key_order(d):
    assert tree.leaves(d) == [d[k] for k in sorted(d)]
    reversed_insertion = dict(reversed(list(d.items())))
    assert tree.structure(reversed_insertion) == tree.structure(d)


def test_unsortable_dict_keys_error():
    with pytest.raises(TypeError, match="sortable"):
        tree.flatten({1: "a", "b": 2})


# ---- tree_map -----------------------------------------------------------------------

@given(trees)
def test_map_applies_to_every_leaf(t):
    doubled = tree.map(lambda x: 2 * x, t)
    assert tree.structure(doubled) == tree.structure(t)
    assert tree.leaves(doubled) == [2 * x for x in tree.leaves(t)]


@given(trees)
def test_map_over_several_trees(t):
    negated = tree.map(lambda x: -x, t)
    sums = tree.map(lambda a, b, c: a + b + c, t, negated, t)
    assert _same(sums, t)


@given(trees)
def test_map_structure_mismatch_raises(t):
    with pytest.raises(ValueError, match="tree_map: tree 1 has structure"):
        tree.map(lambda a, b: a, t, [t])


def test_map_mismatch_between_tuple_and_list():
    with pytest.raises(ValueError, match=r"expected PyTreeDef\(\(\*, \*\)\)"):
        tree.map(lambda a, b: a, (1, 2), [1, 2])
    with pytest.raises(ValueError, match="tree 2"):
        tree.map(lambda a, b, c: a, {"a": 1}, {"a": 2}, {"b": 3})


# ---- key paths ----------------------------------------------------------------------

@given(trees)
def test_paths_lead_to_their_leaves(t):
    with_path, treedef = tree.flatten_with_path(t)
    assert treedef == tree.structure(t)
    assert [leaf for _, leaf in with_path] == tree.leaves(t)
    for path, leaf in with_path:
        node = t
        for key in path:
            node = _get(node, key)
        assert node == leaf


def test_keystr():
    t = {"w": [1, (2, 3)], "b": None, "p": Point(4, Pair(5, 6))}
    paths = [tree.keystr(p) for p, _ in tree.flatten_with_path(t)[0]]
    assert paths == ["['p'].x", "['p'].y.left", "['p'].y.right",
                     "['w'][0]", "['w'][1][0]", "['w'][1][1]"]
    assert tree.keystr((DictKey("w"), SequenceKey(0), GetAttrKey("b"))) == "['w'][0].b"
    assert tree.keystr(()) == ""


# ---- treedef equality and hashing ---------------------------------------------------

@given(trees)
def test_treedef_equal_and_hash_for_same_structure(t):
    a = tree.structure(t)
    b = tree.structure(tree.map(lambda x: ("other", x), t))
    b_leafwise = tree.structure(tree.map(lambda x: 0, t))
    assert a == b_leafwise and hash(a) == hash(b_leafwise)
    assert {a: "cached"}[b_leafwise] == "cached"
    if a.num_leaves:   # the new leaves are tuples, i.e. containers: another structure
        assert a != b


def test_treedef_distinguishes_containers():
    structures = [tree.structure(x) for x in
                  [(1, 2), [1, 2], Point(1, 2), Pair(1, 2), {"a": 1, "b": 2},
                   {"a": 1, "c": 2}, (1, (2,)), (1, None), (1,), 1]]
    assert len(set(structures)) == len(structures)
    assert tree.structure((1, 2)) != "(*, *)"


# ---- registered containers ----------------------------------------------------------

def test_register_pytree_node_custom_class():
    b = Box(1, [2, 3], "p")
    leaves, treedef = tree.flatten(b)
    assert leaves == [1, 2, 3]
    assert tree.unflatten(treedef, [7, 8, 9]) == Box(7, [8, 9], "p")
    assert tree.structure(Box(0, [0, 0], "q")) != treedef   # aux data is structure
    assert tree.map(lambda x: x * 10, b) == Box(10, [20, 30], "p")
    assert [tree.keystr(p) for p, _ in tree.flatten_with_path(b)[0]] == ["[0]", "[1][0]",
                                                                          "[1][1]"]


def test_register_twice_raises():
    with pytest.raises(ValueError, match="Box is already registered"):
        tree.register_pytree_node(Box, lambda b: ((), None), lambda aux, xs: None)
    with pytest.raises(ValueError, match="Pair is already registered"):
        tree.register_dataclass(Pair)


def test_register_dataclass_meta_fields():
    layer = Layer(w=1.0, b=2.0, activation="relu", width=3)
    leaves, treedef = tree.flatten(layer)
    assert leaves == [1.0, 2.0]
    rebuilt = tree.unflatten(treedef, [5.0, 6.0])
    assert rebuilt == Layer(5.0, 6.0, "relu", 3)
    assert tree.structure(Layer(0, 0, "relu", 3)) == treedef
    assert tree.structure(Layer(0, 0, "tanh", 3)) != treedef
    assert tree.structure(Layer(0, 0, "relu", 4)) != treedef
    assert [tree.keystr(p) for p, _ in tree.flatten_with_path(layer)[0]] == [".w", ".b"]


def test_register_dataclass_errors():
    class NotADataclass:
        pass

    @dataclasses.dataclass
    class Partial:
        a: object
        b: object

    with pytest.raises(TypeError, match="NotADataclass is not a dataclass"):
        tree.register_dataclass(NotADataclass)
    with pytest.raises(ValueError, match="must together name every init field"):
        tree.register_dataclass(Partial, data_fields=("a",), meta_fields=())


def test_tree_module_exports_pytree_functions():
    assert tree.map is pytree.tree_map
    assert tree.flatten is pytree.tree_flatten
    assert tree.unflatten is pytree.tree_unflatten
    assert tree.leaves is pytree.tree_leaves
    assert tree.structure is pytree.tree_structure
    assert tree.flatten_with_path is pytree.tree_flatten_with_path
    assert tree.PyTreeDef is pytree.PyTreeDef
    assert set(tree.__all__) <= set(dir(tree))
