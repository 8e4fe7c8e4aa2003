"""``einsum``: NumPy's Einstein summation as a sequence of ``dot_general`` equations.

The subscripts are parsed into one label string per operand (``...`` becomes private
labels, right-aligned and broadcast as NumPy does).  Each operand first loses its
repeated labels (a diagonal) and the labels no other term needs (a sum); then pairs
of operands are contracted, each pair with exactly one ``dot_general`` whose batch
dimensions are the shared labels still needed later and whose contracting dimensions
are the shared labels needed nowhere else.  The pair to contract next is chosen
greedily: the one whose result is smallest (``optimize=True``/``'greedy'``/
``'optimal'``), or left to right (``optimize=False``), or as an explicit path
(``['einsum_path', (0, 1), ...]``, NumPy's format).
"""
import math
import string

from xla_like import dtypes
from functorch_lite.numpy._convert import as_operand, broadcast_to, convert, promote
from functorch_lite.numpy._linalg_core import _dot_general
from functorch_lite.numpy._reductions import any as _any, sum as _sum
from functorch_lite.numpy._shape import transpose

_LETTERS = set(string.ascii_letters)


# ---- parsing ------------------------------------------------------------------------------

def _interleaved(args):
    """``einsum(x, [0, 1], y, [1, 2], [0, 2])`` -> ``("ab,bc->ac", x, y)``."""
    args = list(args)
    out = args.pop() if len(args) % 2 else None
    operands, terms = args[0::2], args[1::2]

    def letters(sublist):
        return "".join("..." if s is Ellipsis else string.ascii_letters[s] for s in sublist)
    spec = ",".join(letters(t) for t in terms)
    if out is not None:
        spec += "->" + letters(out)
    return spec, operands


def _split_terms(subscripts, count):
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != count:
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operands, "
                         f"got {count}")
    for term in terms + ([output] if arrow else []):
        bad = set(term.replace("...", "")) - _LETTERS
        if bad or term.count("...") > 1:
            raise ValueError(f"einsum: invalid subscripts {subscripts!r} (labels are "
                             "letters, with at most one '...' per term)")
    return terms, (output if arrow else None)


def _expand_ellipses(terms, output, ndims, subscripts):
    """Replace ``...`` by private labels; returns input label strings, the output
    labels and the set of ellipsis labels (which may broadcast)."""
    used = set("".join(terms) + (output or ""))
    pool = [chr(c) for c in range(0x100, 0x200) if chr(c) not in used]
    widths = []
    for term, nd in zip(terms, ndims):
        named = len(term.replace("...", ""))
        width = nd - named
        if width < 0 or (width > 0 and "..." not in term):
            raise ValueError(f"einsum: term {term!r} of {subscripts!r} does not match an "
                             f"operand of rank {nd}")
        widths.append(width if "..." in term else 0)
    ell = pool[:max(widths, default=0)]
    labels = [t.replace("...", "".join(ell[len(ell) - w:])) for t, w in zip(terms, widths)]
    if output is None:
        counts = {c: "".join(labels).count(c) for c in set("".join(labels)) - set(ell)}
        output = "".join(ell) + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        output = output.replace("...", "".join(ell))
        if len(set(output)) != len(output) or set(output) - set("".join(labels)):
            raise ValueError(f"einsum: output subscripts of {subscripts!r} must be distinct "
                             "labels that appear in the inputs")
    return labels, output, set(ell)


def _label_sizes(labels, operands, ellipsis, subscripts):
    sizes = {}
    for term, x in zip(labels, operands):
        for c, n in zip(term, x.aval.shape):
            old = sizes.get(c, 1 if c in ellipsis else n)
            if old != n and not (c in ellipsis and 1 in (old, n)):
                raise ValueError(f"einsum: label {c!r} of {subscripts!r} has sizes {old} "
                                 f"and {n}")
            sizes[c] = max(old, n) if c in ellipsis else n
    return sizes


# ---- per-operand steps ----------------------------------------------------------------------

def _take_diagonals(x, term):
    """Repeated labels in one term (``ii``) select the diagonal."""
    from functorch_lite.numpy._manipulation import diagonal
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        i = term.index(c)
        j = term.index(c, i + 1)
        x = diagonal(x, 0, i, j)
        term = term[:i] + term[i + 1:j] + term[j + 1:] + c
    return x, term


def _sum_unneeded(x, term, keep):
    axes = tuple(i for i, c in enumerate(term) if c not in keep)
    if not axes:
        return x, term
    dtype = x.aval.dtype
    # sums keep the operands' dtype (no int8 -> int32 widening); bools sum as "any"
    total = _any(x, axis=axes) if dtype == dtypes.bool_ else _sum(x, axis=axes, dtype=dtype)
    return total, "".join(c for c in term if c in keep)


def _broadcast_labels(x, term, sizes):
    """Grow size-1 ellipsis dimensions to the size the other operands give them."""
    shape = tuple(sizes[c] for c in term)
    return x if x.aval.shape == shape else broadcast_to(x, shape)


# ---- contraction order --------------------------------------------------------------------

def _pair_result(terms, i, j, output):
    """Labels of the contraction of terms ``i`` and ``j``: those still needed."""
    rest = set(output).union(*(t for k, t in enumerate(terms) if k not in (i, j)))
    a, b = terms[i], terms[j]
    batch = [c for c in a if c in b and c in rest]
    a_free = [c for c in a if c not in b and c in rest]
    return batch, a_free, [c for c in b if c not in a and c in rest]


def _greedy_pair(terms, output, sizes):
    best = None
    for i in range(len(terms)):
        for j in range(i + 1, len(terms)):
            labels = [c for group in _pair_result(terms, i, j, output) for c in group]
            size = math.prod(sizes[c] for c in labels)
            removed = size - math.prod(sizes[c] for c in terms[i]) - math.prod(
                sizes[c] for c in terms[j])
            if best is None or (size, removed) < best[0]:
                best = ((size, removed), (i, j))
    return best[1]


def _path(optimize, count):
    """The sequence of pairs to contract, or None for the greedy choice at each step."""
    if optimize is False or optimize is None:
        return [(0, 1)] * (count - 1)
    if optimize is True or optimize in ("greedy", "optimal", "auto", "dp"):
        return None
    if isinstance(optimize, (list, tuple)) and optimize and optimize[0] == "einsum_path":
        pairs = [tuple(p) for p in optimize[1:]]
        if any(len(p) != 2 for p in pairs) or len(pairs) != count - 1:
            raise ValueError(f"einsum: an explicit path needs {count - 1} pairs, got "
                             f"{optimize!r}")
        return pairs
    raise ValueError(f"einsum: optimize must be a bool, 'greedy', 'optimal' or "
                     f"['einsum_path', (i, j), ...], got {optimize!r}")


def _contract_pair(a, ta, b, tb, batch, a_free, b_free, preferred):
    """One ``dot_general``; returns the result and its labels (batch, a_free, b_free)."""
    keep_a, keep_b = set(batch + a_free) | set(tb), set(batch + b_free) | set(ta)
    a, ta = _sum_unneeded(a, ta, keep_a)
    b, tb = _sum_unneeded(b, tb, keep_b)
    contract = [c for c in ta if c in tb and c not in batch]
    dims = ([ta.index(c) for c in contract], [tb.index(c) for c in contract])
    bdims = ([ta.index(c) for c in batch], [tb.index(c) for c in batch])
    out = _dot_general(a, b, dims, bdims, preferred)
    a_rest = [c for c in ta if c not in contract and c not in batch]
    b_rest = [c for c in tb if c not in contract and c not in batch]
    return out, "".join(batch + a_rest + b_rest)


# ---- einsum -------------------------------------------------------------------------------

def einsum(subscripts, *operands, optimize="greedy", precision=None,
           preferred_element_type=None):
    """Einstein summation over the operands, NumPy's subscripts: ``'ij,jk->ik'``,
    ``'ii->'`` (trace), ``'...ij,...jk'`` (batched, implicit output), or the
    interleaved form ``einsum(x, [0, 1], y, [1, 2])``.  Each pairwise contraction is
    one ``dot_general``; ``optimize`` picks the order (see the module docstring).

    >>> einsum("ij,jk->ik", ones((2, 3)), ones((3, 4))).shape
    (2, 4)
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts,) + operands)
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    operands = promote(*[as_operand(x) for x in operands])
    terms, output = _split_terms(subscripts, len(operands))
    labels, output, ellipsis = _expand_ellipses(
        terms, output, [x.aval.ndim for x in operands], subscripts)
    sizes = _label_sizes(labels, operands, ellipsis, subscripts)
    if preferred_element_type is not None:
        preferred_element_type = dtypes.canonicalize(preferred_element_type)
    xs, ts = [], []
    for k, (x, term) in enumerate(zip(operands, labels)):
        x, term = _take_diagonals(x, term)
        others = set(output).union(*(t for m, t in enumerate(labels) if m != k))
        x, term = _sum_unneeded(x, term, others)
        xs.append(_broadcast_labels(x, term, sizes))
        ts.append(term)
    path = _path(optimize, len(xs))
    for step in range(len(xs) - 1):
        i, j = _greedy_pair(ts, output, sizes) if path is None else path[step]
        batch, a_free, b_free = _pair_result(ts, i, j, output)
        out, term = _contract_pair(xs[i], ts[i], xs[j], ts[j], batch, a_free, b_free,
                                   preferred_element_type)
        xs = [x for k, x in enumerate(xs) if k not in (i, j)] + [out]
        ts = [t for k, t in enumerate(ts) if k not in (i, j)] + [term]
    x, term = _sum_unneeded(xs[0], ts[0], set(output))
    x = transpose(x, [term.index(c) for c in output])
    if preferred_element_type is not None and len(operands) == 1:
        x = convert(x, preferred_element_type)
    return x


__all__ = ["einsum"]
