"""Every primitive has an entry in every rule table, or is classified explicitly."""
import pytest

import functorch_lite  # noqa: F401  (registers every transform's rules)
import xla_like
from transforms.jvp import jvp_rules
from transforms.linearize import transpose_rules
from transforms.vmap import batch_rules
from xla_like.primitive import lookup_rule

PRIMITIVES = sorted(xla_like.registry.values(), key=lambda p: p.name)
# Test modules may register throwaway primitives; only the catalogue's are checked.
CATALOGUE = [p for p in PRIMITIVES if not p.name.startswith("ir_test")]

RULE_TABLES = [
    ("abstract evaluation", {p: p.abstract_eval for p in CATALOGUE}),
    ("reference implementation", {p: p.impl for p in CATALOGUE}),
    ("jvp", jvp_rules),
    ("vmap", batch_rules),
]

# Primitives that can appear linearly in a tangent computation, so need a transpose rule.
LINEAR = {
    "add", "sub", "neg", "mul", "div", "convert_element_type", "copy", "select_n",
    "broadcast_in_dim", "reshape", "squeeze", "expand_dims", "transpose", "rev", "pad",
    "concatenate", "slice", "dynamic_slice", "dynamic_update_slice", "gather", "scatter",
    "scatter_add", "scatter_mul", "reduce_sum", "cumsum", "dot_general",
    "conv_general_dilated", "reduce_window_sum", "psum", "all_gather", "custom_lin", "remat",
    "cond", "while", "scan", "triangular_solve",
    "real", "imag", "conj", "complex", "fft",
}


@pytest.mark.parametrize("transform,table", RULE_TABLES, ids=[t for t, _ in RULE_TABLES])
def test_every_primitive_has_every_rule(transform, table):
    missing = [p.name for p in CATALOGUE if p not in table]
    assert not missing, f"{transform} rules missing for {missing}"


def test_linear_primitives_have_transposes():
    names = {p.name for p in CATALOGUE}
    assert LINEAR <= names
    missing = sorted(n for n in LINEAR if xla_like.registry[n] not in transpose_rules)
    assert not missing, f"transpose rules missing for {missing}"
    unexpected = sorted(p.name for p in transpose_rules if p.name not in LINEAR)
    assert not unexpected, f"classify {unexpected} as LINEAR"


def test_missing_rule_names_transform_and_primitive():
    with pytest.raises(NotImplementedError, match="vmap rule for 'sin' is not implemented"):
        lookup_rule({}, xla_like.primitives.sin_p, "vmap")


def test_the_catalogue_is_complete():
    expected = {
        "exp", "exp2", "log", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos", "atan",
        "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "logistic", "sqrt", "rsqrt",
        "cbrt", "erf", "erfc", "erf_inv", "lgamma", "digamma", "abs", "sign", "floor",
        "ceil", "round", "neg", "is_finite", "not", "add", "sub", "mul", "div", "rem", "pow",
        "integer_pow", "max", "min", "atan2", "nextafter", "and", "or", "xor", "shift_left",
        "shift_right_arithmetic", "shift_right_logical", "eq", "ne", "lt", "le", "gt", "ge",
        "select_n", "clamp", "convert_element_type", "broadcast_in_dim", "reshape",
        "squeeze", "expand_dims", "transpose", "rev", "pad", "concatenate", "slice",
        "dynamic_slice", "dynamic_update_slice", "gather", "scatter", "scatter_add",
        "scatter_mul", "scatter_min", "scatter_max", "iota", "reduce_sum", "reduce_prod",
        "reduce_max", "reduce_min", "reduce_and", "reduce_or", "argmax", "argmin", "cumsum",
        "cumprod", "cummax", "cummin", "sort", "dot_general", "conv_general_dilated",
        "reduce_window_sum", "reduce_window_max", "reduce_window_min", "copy",
        "threefry2x32", "cholesky", "triangular_solve", "lu", "qr", "eigh", "svd",
        "real", "imag", "conj", "complex", "fft"}
    assert expected <= set(xla_like.registry), sorted(expected - set(xla_like.registry))
