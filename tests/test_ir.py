"""The IR: golden printer text, the type checker, and the JSON serializer."""
import json
import struct
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import functorch_lite as fl
import xla_like
from functorch_lite import numpy as fnp
from transforms.core import bind
from xla_like import dtypes, primitives as P
from xla_like.ir import Eqn, Literal, Program, ShapedArray, SourceInfo, Var
from xla_like.primitive import Primitive, registry
from xla_like.serialize import dumps, loads
from xla_like.typecheck import TypeCheckError, typecheck

F32_3 = ShapedArray((3,), dtypes.float32)


def f32(*values):
    return fnp.asarray(np.array(values, np.float32))


def u32(*values):
    return fnp.asarray(np.array(values, np.uint32))


def text(lines):
    return "\n".join(lines)


# ---- (a) printer golden text -------------------------------------------------------

def test_print_design_example_form():
    prog = fl.make_ir(lambda x, y: fnp.sin(x) * y)(f32(1, 2, 3), f32(4, 5, 6))
    assert str(prog) == text([
        "{ lambda a:f32[3] b:f32[3] .",
        "  let c:f32[3] = sin a",
        "      d:f32[3] = mul c b",
        "  in (d) }"])


def test_print_constant_comes_first_after_semicolon():
    c = f32(1, 2, 3)
    prog = fl.make_ir(lambda x: fnp.exp(x) + c)(f32(0, 0, 0))
    assert str(prog) == text([
        "{ lambda a:f32[3] ; b:f32[3] .",
        "  let c:f32[3] = exp b",
        "      d:f32[3] = add c a",
        "  in (d) }"])


def test_print_literals_and_weak_types():
    strong = fl.make_ir(lambda x: x * 2.0)(fnp.asarray(np.float32(1)))
    assert str(strong) == text([
        "{ lambda a:f32[] .",
        "  let b:f32[] = mul a 2.0",
        "  in (b) }"])
    weak = fl.make_ir(lambda x: x * 2)(3.0)
    assert str(weak) == text([
        "{ lambda a:~f32[] .",
        "  let b:~f32[] = mul a 2.0",
        "  in (b) }"])
    ints = fl.make_ir(lambda x: x + 1)(fnp.asarray(np.int32(2)))
    assert "b:i32[] = add a 1\n" in str(ints)


def test_print_multiple_results():
    prog = fl.make_ir(lambda k, x: bind(P.threefry2x32_p, k, k, x, x))(u32(1, 2), u32(3, 4))
    assert str(prog) == text([
        "{ lambda a:u32[2] b:u32[2] .",
        "  let c:u32[2] d:u32[2] = threefry2x32 a a b b",
        "  in (c d) }"])


def test_print_program_without_equations():
    prog = fl.make_ir(lambda x, y: (y, x))(f32(1), u32(1, 2))
    assert str(prog) == text([
        "{ lambda a:f32[1] b:u32[2] .",
        "  let",
        "  in (b a) }"])
    assert str(Program([], [], [], [], [])) == "{ lambda .\n  let\n  in () }"


def test_print_params_sorted_with_python_spelling():
    def f(x):
        y = bind(P.convert_element_type_p, x, new_dtype=np.dtype("int16"), weak_type=False)
        z = bind(P.broadcast_in_dim_p, x, shape=(2, 3), broadcast_dimensions=(1,))
        return y, bind(P.round_p, z, rounding_method="to_nearest_even")
    assert str(fl.make_ir(f)(f32(1, 2, 3))) == text([
        "{ lambda a:f32[3] .",
        "  let b:i16[3] = convert_element_type[new_dtype=int16 weak_type=False] a",
        "      c:f32[2,3] = broadcast_in_dim[broadcast_dimensions=(1,) shape=(2, 3)] a",
        "      d:f32[2,3] = round[rounding_method='to_nearest_even'] c",
        "  in (b d) }"])


@pytest.fixture
def call_p():
    """A throwaway higher-order primitive with a sub-program in its ``program`` param.
    It leaves the registry afterwards, so catalogue and coverage tests never see it."""
    def abstract_eval(*avals, program, **extra):
        if [a.strong() for a in avals] != [a.strong() for a in program.in_avals]:
            raise TypeError(f"ir_test_call: operands {avals} do not match {program.in_avals}")
        return list(program.out_avals)

    def impl(*args, program, **extra):
        return xla_like.evaluate(program, *args)
    prim = Primitive("ir_test_call", abstract_eval, impl, multiple_results=True)
    try:
        yield prim
    finally:
        registry.pop("ir_test_call")


def call_program(prim, inner, **params):
    """``{ lambda ... . let outs = ir_test_call[program=inner ...] ins in (outs) }``"""
    invars = [Var(a) for a in inner.in_avals]
    outvars = [Var(a) for a in inner.out_avals]
    eqn = Eqn(prim, invars, outvars, dict(params, program=inner), SourceInfo("m.py", 7, "f"))
    return Program(invars, [], [], [eqn], outvars)


def test_print_nested_program_param(call_p):
    # names are shared with the sub-program and given in reading order
    inner = fl.make_ir(lambda x: fnp.sin(x))(f32(1, 2, 3))
    assert str(call_program(call_p, inner)) == text([
        "{ lambda a:f32[3] .",
        "  let b:f32[3] = ir_test_call[program=",
        "          { lambda c:f32[3] .",
        "            let d:f32[3] = sin c",
        "            in (d) }] a",
        "  in (b) }"])


# ---- (b) typecheck ---------------------------------------------------------------

def test_typecheck_accepts_staged_programs():
    c = f32(1, 2, 3)
    for prog in (fl.make_ir(lambda x, y: fnp.sin(x) * y + c)(c, c),
                 fl.make_ir(lambda k: bind(P.threefry2x32_p, k, k, k, k))(u32(1)),
                 fl.make_ir(lambda x: x)(2.0)):
        assert typecheck(prog) is prog


def sin_program(out_aval=F32_3):
    x, y = Var(F32_3), Var(out_aval)
    return x, y, Program([x], [], [], [Eqn(P.sin_p, [x], [y], {})], [y])


def test_typecheck_var_used_before_bound():
    x, y, z = Var(F32_3), Var(F32_3), Var(F32_3)
    eqns = [Eqn(P.sin_p, [y], [z], {}), Eqn(P.cos_p, [x], [y], {})]
    with pytest.raises(TypeCheckError, match=r"equation 0 .*used before it is bound"):
        typecheck(Program([x], [], [], eqns, [z]))
    with pytest.raises(TypeCheckError, match="program output.*used before it is bound"):
        typecheck(Program([x], [], [], [], [y]))


def test_typecheck_var_bound_twice():
    x, y = Var(F32_3), Var(F32_3)
    eqns = [Eqn(P.sin_p, [x], [y], {}), Eqn(P.cos_p, [x], [y], {})]
    with pytest.raises(TypeCheckError, match=r"equation 1 .* output .* bound twice"):
        typecheck(Program([x], [], [], eqns, [y]))
    with pytest.raises(TypeCheckError, match="input .* bound twice"):
        typecheck(Program([x, x], [], [], [], [x]))


def test_typecheck_wrong_output_aval():
    _, _, prog = sin_program(ShapedArray((3,), dtypes.float64))
    with pytest.raises(TypeCheckError, match=r"outputs have types f64\[3\] but sin gives "
                                             r"f32\[3\]"):
        typecheck(prog)


def test_typecheck_bad_params_names_the_primitive():
    x, y = Var(F32_3), Var(F32_3)
    eqn = Eqn(P.round_p, [x], [y], {"rounding_method": "upward"}, SourceInfo("m.py", 3, "g"))
    with pytest.raises(TypeCheckError, match=r"equation 0 .*\(from m.py:3 \(g\)\).*"
                                             r"rounding_method must be one of"):
        typecheck(Program([x], [], [], [eqn], [y]))


def test_typecheck_constant_mismatch():
    c = Var(F32_3)
    for value in (np.zeros(3, np.float64), np.zeros(4, np.float32)):
        with pytest.raises(TypeCheckError, match=r"constant value .* does not match .*f32\[3\]"):
            typecheck(Program([], [c], [value], [], [c]))


def test_typecheck_literal_must_be_scalar():
    x, y = Var(F32_3), Var(F32_3)
    lit = Literal(np.ones(3, np.float32), F32_3)
    with pytest.raises(TypeCheckError, match="literal .* must be a scalar"):
        typecheck(Program([x], [], [], [Eqn(P.add_p, [x, lit], [y], {})], [y]))


# ---- (c) serializer round trips ----------------------------------------------------

def assert_same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert (a.dtype, a.shape) == (b.dtype, b.shape)
    assert a.tobytes() == b.tobytes()


def assert_round_trip(prog):
    """Everything a round trip must preserve; returns the loaded program."""
    s = dumps(prog)
    back = loads(s)
    assert dumps(back) == s
    assert dumps(loads(s, validate=False)) == s     # the disk cache's unvalidated path
    assert str(back) == str(prog)
    assert len(back.consts) == len(prog.consts)
    for c, d in zip(prog.consts, back.consts):
        assert_same_bits(c, d)
    for e, f in zip(prog.eqns, back.eqns):
        assert e.prim is f.prim and e.source == f.source
        assert same_param(e.params, f.params)
    return back


def same_param(a, b):
    """Equal values of identical types, floats compared by their bits."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_param(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(map(same_param, a, b))
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, complex):
        return same_param(a.real, b.real) and same_param(a.imag, b.imag)
    if isinstance(a, Program):
        return dumps(a) == dumps(b)
    if isinstance(a, np.generic):
        return a.tobytes() == b.tobytes()
    return a == b


UNARY = [P.exp_p, P.exp2_p, P.log_p, P.log1p_p, P.expm1_p, P.sin_p, P.cos_p, P.tan_p, P.asin_p,
         P.acos_p, P.atan_p, P.sinh_p, P.cosh_p, P.tanh_p, P.asinh_p, P.acosh_p, P.atanh_p,
         P.logistic_p, P.sqrt_p, P.rsqrt_p, P.cbrt_p, P.erf_p, P.erfc_p, P.erf_inv_p,
         P.lgamma_p, P.digamma_p, P.floor_p, P.ceil_p, P.neg_p, P.sign_p, P.not_p, P.abs_p,
         P.is_finite_p, P.copy_p]
BINARY = [P.add_p, P.sub_p, P.mul_p, P.div_p, P.rem_p, P.pow_p, P.max_p, P.min_p, P.atan2_p,
          P.nextafter_p, P.and_p, P.or_p, P.xor_p, P.shift_left_p, P.shift_right_arithmetic_p,
          P.shift_right_logical_p, P.eq_p, P.ne_p, P.lt_p, P.le_p, P.gt_p, P.ge_p]
SHAPES = [(), (1,), (3,), (2, 3), (0, 2)]
sources = st.none() | st.builds(SourceInfo, st.text(max_size=8), st.integers(1, 10**6),
                                st.text(max_size=8))


def accepts(prim, *avals, **params):
    try:
        prim.abstract_eval(*avals, **params)
        return True
    except (TypeError, ValueError):
        return False


def array_values(draw, dtype, shape):
    """Special values (NaN, inf, -0.0, extremes) or raw bits (any NaN payload)."""
    if dtype == dtypes.bool_ or draw(st.booleans()):
        return draw(hnp.arrays(dtype, shape))
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = draw(st.binary(min_size=nbytes, max_size=nbytes))
    return np.frombuffer(raw, dtype).reshape(shape).copy()


class ProgramBuilder:
    """Grows a valid random program; every equation's outputs come from abstract_eval."""

    def __init__(self, draw):
        self.draw = draw
        self.invars = [Var(self.aval()) for _ in range(draw(st.integers(0, 3)))]
        self.constvars, self.consts, self.eqns = [], [], []
        self.pool = list(self.invars)

    def aval(self, shape=None, dtype=None):
        dtype = dtype or self.draw(st.sampled_from(dtypes.SUPPORTED))
        shape = self.draw(st.sampled_from(SHAPES)) if shape is None else shape
        weak = dtype != dtypes.bool_ and self.draw(st.booleans())
        return ShapedArray(shape, dtype, weak)

    def constant(self, aval):
        var = Var(aval.strong())
        self.constvars.append(var)
        self.consts.append(array_values(self.draw, aval.dtype, aval.shape))
        self.pool.append(var)
        return var

    def pick(self):
        """An existing variable, or a fresh constant when there is none."""
        if not self.pool or self.draw(st.integers(0, 9)) == 0:
            return self.constant(self.aval())
        return self.draw(st.sampled_from(self.pool))

    def operand(self, aval):
        """A variable, new constant or (for scalars) a literal with ``aval``'s shape and dtype."""
        same = [v for v in self.pool if v.aval.strong() == aval.strong()]
        choice = self.draw(st.integers(0, 2))
        if choice == 0 and same:
            return self.draw(st.sampled_from(same))
        if choice == 1 and aval.shape == ():
            lit_aval = self.aval((), aval.dtype)
            return Literal(array_values(self.draw, aval.dtype, ()), lit_aval)
        return self.constant(aval)

    def emit(self, prim, inputs, **params):
        out = prim.abstract_eval(*[a.aval for a in inputs], **params)
        outputs = [Var(a) for a in (out if prim.multiple_results else [out])]
        self.eqns.append(Eqn(prim, inputs, outputs, params, self.draw(sources)))
        self.pool.extend(outputs)

    def program(self):
        outvars = self.draw(st.lists(st.sampled_from(self.pool), max_size=3)) if self.pool else []
        if self.draw(st.booleans()):
            outvars.append(self.operand(self.aval(())))
        return Program(self.invars, self.constvars, self.consts, self.eqns, outvars)


def gen_unary(b):
    x = b.pick()
    candidates = [p for p in UNARY if accepts(p, x.aval)]
    if candidates:
        b.emit(b.draw(st.sampled_from(candidates)), [x])


def gen_binary(b):
    x = b.pick()
    candidates = [p for p in BINARY if accepts(p, x.aval, x.aval)]
    if candidates:
        b.emit(b.draw(st.sampled_from(candidates)), [x, b.operand(x.aval)])


def gen_select_n(b):
    x = b.pick()
    pred_shape = b.draw(st.sampled_from([(), x.aval.shape]))
    pred = b.operand(ShapedArray(pred_shape, dtypes.bool_))
    b.emit(P.select_n_p, [pred, x, b.operand(x.aval)])


def gen_convert(b):
    x = b.pick()
    new_dtype = b.draw(st.sampled_from(dtypes.SUPPORTED))
    weak_type = b.draw(st.booleans())
    if accepts(P.convert_element_type_p, x.aval, new_dtype=new_dtype, weak_type=weak_type):
        b.emit(P.convert_element_type_p, [x], new_dtype=new_dtype, weak_type=weak_type)


def gen_integer_pow(b):
    x = b.pick()
    y = b.draw(st.integers(-3, 3))
    if accepts(P.integer_pow_p, x.aval, y=y):
        b.emit(P.integer_pow_p, [x], y=y)


def gen_round(b):
    x = b.pick()
    method = b.draw(st.sampled_from(["away_from_zero", "to_nearest_even"]))
    if accepts(P.round_p, x.aval, rounding_method=method):
        b.emit(P.round_p, [x], rounding_method=method)


def gen_threefry(b):
    aval = ShapedArray(b.draw(st.sampled_from(SHAPES)), dtypes.uint32)
    b.emit(P.threefry2x32_p, [b.operand(aval) for _ in range(4)])


def gen_broadcast_in_dim(b):
    x = b.pick()
    rank = x.aval.ndim + b.draw(st.integers(0, 2))
    dims = tuple(sorted(b.draw(st.sets(st.integers(0, rank - 1), min_size=x.aval.ndim,
                                       max_size=x.aval.ndim)))) if rank else ()
    shape = [b.draw(st.integers(1, 3)) for _ in range(rank)]
    for d, out_d in zip(x.aval.shape, dims):
        shape[out_d] = b.draw(st.integers(1, 3)) if d == 1 else d
    b.emit(P.broadcast_in_dim_p, [x], shape=tuple(shape), broadcast_dimensions=dims)


def gen_reshape(b):
    x = b.pick()
    shape, size = x.aval.shape, x.aval.size
    new_sizes = b.draw(st.sampled_from([(size,), shape[::-1], (1, size), shape + (1,), ()]))
    if accepts(P.reshape_p, x.aval, new_sizes=new_sizes):
        b.emit(P.reshape_p, [x], new_sizes=new_sizes)


GENERATORS = [gen_unary, gen_binary, gen_select_n, gen_convert, gen_integer_pow, gen_round,
              gen_threefry, gen_broadcast_in_dim, gen_reshape]


@st.composite
def programs(draw):
    b = ProgramBuilder(draw)
    for gen in draw(st.lists(st.sampled_from(GENERATORS), max_size=10)):
        gen(b)
    return b.program()


def random_inputs(avals, seed):
    rng = np.random.default_rng(seed)
    out = []
    for aval in avals:
        if aval.dtype == dtypes.bool_:
            out.append(rng.integers(0, 2, aval.shape).astype(bool))
        else:
            raw = rng.bytes(aval.size * aval.dtype.itemsize)
            out.append(np.frombuffer(raw, aval.dtype).reshape(aval.shape))
    return out


def evaluate_quietly(prog, inputs):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xla_like.evaluate(prog, *inputs)


@given(programs(), st.integers(0, 2**32 - 1))
def test_random_programs_round_trip_bit_exactly(prog, seed):
    typecheck(prog)
    back = assert_round_trip(prog)
    assert typecheck(back) is back
    inputs = random_inputs(prog.in_avals, seed)
    expected, got = evaluate_quietly(prog, inputs), evaluate_quietly(back, inputs)
    assert len(expected) == len(got) == len(prog.outvars)
    for a, b in zip(expected, got):
        assert_same_bits(a, b)


@given(st.sampled_from(dtypes.SUPPORTED), st.data())
def test_constants_and_literals_keep_every_bit(dtype, data):
    values = array_values(data.draw, dtype, (4,))
    special = {"f": [np.nan, -0.0, np.inf, -np.inf], "c": [complex(np.nan, -0.0), -np.inf]}
    if dtype.kind in special:
        values[:len(special[dtype.kind])] = special[dtype.kind]
    c = Var(ShapedArray((4,), dtype))
    lits = [Literal(v, ShapedArray((), dtype, dtype != dtypes.bool_)) for v in values]
    x = Var(ShapedArray((), dtype))
    prog = Program([x], [c], [values], [], [c, *lits])
    back = assert_round_trip(prog)
    for lit, loaded in zip(lits, back.outvars[1:]):
        assert_same_bits(lit.value, loaded.value)
        assert loaded.aval == lit.aval


def test_staged_program_round_trips_with_source_info():
    c = f32(1, -0.0, np.nan)
    prog = fl.make_ir(lambda x: fnp.sin(x) * 2.0 + c)(f32(1, 2, 3))
    back = assert_round_trip(prog)
    assert all(isinstance(e.source, SourceInfo) and e.source.file.endswith("test_ir.py")
               for e in back.eqns)
    x = np.array([0.5, -1.0, 3.0], np.float32)
    assert_same_bits(xla_like.evaluate(back, x)[0], xla_like.evaluate(prog, x)[0])


def test_output_is_deterministic_and_independent_of_object_identity():
    texts = {dumps(fl.make_ir(lambda x: fnp.cos(x) - x)(f32(1, 2))) for _ in range(3)}
    assert len(texts) == 1
    doc = json.loads(texts.pop())
    assert doc["format"] == "functorch_lite.ir" and doc["version"] == 1


ALL_PARAM_KINDS = {
    "int": -3, "big_int": 2**80, "float": 2.5, "neg_zero": -0.0, "nan": float("nan"),
    "inf": float("inf"), "neg_inf": -float("inf"), "true": True, "false": False,
    "text": "héllo \"quoted\"", "none": None, "empty": (), "nested": ((1, (2.5, None)), ("a",)),
    "dtype": np.dtype("complex64"), "dtypes": (np.dtype("bool"), np.dtype("uint64")),
    "complex": complex(1.5, -np.inf), "np_scalar": np.float16(1.5), "np_int": np.int64(-7),
    "primitive": P.sin_p,
}


def test_nested_program_params_round_trip_with_exact_types(call_p):
    c = f32(1, -0.0, np.nan)
    inner = fl.make_ir(lambda x: (fnp.sin(x) * c, x + 1.0))(f32(1, 2, 3))
    middle = call_program(call_p, inner, **ALL_PARAM_KINDS)
    outer = call_program(call_p, middle, depth=2)
    back = assert_round_trip(outer)
    loaded_inner = back.eqns[0].params["program"].eqns[0].params["program"]
    assert_same_bits(loaded_inner.consts[0], inner.consts[0])
    x = np.array([0.5, -2.0, 7.0], np.float32)
    for a, b in zip(xla_like.evaluate(outer, x), xla_like.evaluate(back, x)):
        assert_same_bits(a, b)


def test_long_programs_need_no_recursion():
    x = Var(F32_3)
    eqns, last = [], x
    for _ in range(3000):
        out = Var(F32_3)
        eqns.append(Eqn(P.sin_p, [last], [out], {}))
        last = out
    back = loads(dumps(Program([x], [], [], eqns, [last])))
    assert len(back.eqns) == 3000 and back.outvars[0] is back.eqns[-1].outputs[0]


def test_dumps_rejects_what_it_cannot_write():
    x, y = Var(F32_3), Var(F32_3)
    with pytest.raises(ValueError, match=r"equation 0 input 0: .* used before it is bound"):
        dumps(Program([x], [], [], [Eqn(P.sin_p, [y], [x], {})], [x]))
    with pytest.raises(ValueError, match="equation 0 output 0: .* bound twice"):
        dumps(Program([x], [], [], [Eqn(P.sin_p, [x], [x], {})], [x]))
    eqn = Eqn(P.broadcast_in_dim_p, [x], [y], {"shape": [3], "broadcast_dimensions": (0,)})
    with pytest.raises(TypeError, match=r"equation 0 \(broadcast_in_dim\) param 'shape' has "
                                        r"type list"):
        dumps(Program([x], [], [], [eqn], [y]))
    with pytest.raises(TypeError, match="expected a Program"):
        dumps("{ lambda . }")
    with pytest.raises(TypeError, match="constant 0 has unsupported dtype object"):
        dumps(Program([], [x], [np.array([None, 1, 2])], [], [x]))


# ---- (d) malformed documents ---------------------------------------------------------

def sample_document():
    c = f32(1, 2, 3)
    prog = fl.make_ir(lambda x: fnp.sin(x) * c)(f32(1, 2, 3))
    return json.loads(dumps(prog))


def mutate(path, value):
    """A function setting ``doc[path...] = value`` on the sample document."""
    def apply(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return apply


EQN0, EQN1 = ("program", "eqns", 0), ("program", "eqns", 1)
MALFORMED = [
    (mutate(("version",), 2), r"unsupported functorch_lite.ir version 2"),
    (mutate(("version",), True), r"unsupported functorch_lite.ir version True"),
    (mutate(("format",), "onnx"), r"not a functorch_lite.ir document \(its format is 'onnx'\)"),
    (mutate((*EQN1, "primitive"), "foo"), r"^loads: equation 1: unknown primitive 'foo'$"),
    (mutate((*EQN0, "inputs", 0), 99),
     r"equation 0 \(sin\) input 0: variable 99 is used but not defined"),
    (mutate((*EQN0, "inputs", 0), 3),
     r"equation 0 \(sin\) input 0: variable 3 is used but not defined"),
    (mutate(("program", "outvars", 0), 42), r"output 0: variable 42 is used but not defined"),
    (mutate((*EQN0, "outputs", 0, 0), 1), r"equation 0 \(sin\) output 0: variable 1 is bound "
                                          r"twice"),
    (mutate((*EQN0, "outputs", 0, 1), "f33[3]"), r"unknown dtype name 'f33'"),
    (mutate((*EQN0, "outputs", 0, 1), "f32(3)"), r"expected an aval such as"),
    (mutate((*EQN0, "outputs", 0, 1), "f64[3]"), r"does not typecheck: equation 0 .*sin gives "
                                                 r"f32\[3\]"),
    (mutate(("program", "consts", 0, "data"), "AAAA"), r"constant 0: data has 3 bytes, but "
                                                       r"float32\[3\] needs 12"),
    (mutate(("program", "consts", 0, "data"), "@@"), r"constant 0: data is not valid base64"),
    (mutate(("program", "consts", 0, "dtype"), "float128"), r"unknown dtype 'float128'"),
    (mutate(("program", "consts"), []), r"1 constant vars but 0 constant values"),
    (mutate((*EQN0, "params"), {"axes": {"bogus": 1}}), r"equation 0 \(sin\) param 'axes': "
                                                         r"expected a param value or"),
    (mutate((*EQN0, "source"), {"file": 3}), r"equation 0 source: field 'file' must be a "
                                             r"string"),
    (mutate((*EQN0, "colour"), "red"), r"equation 0: unexpected field\(s\) 'colour'"),
    (lambda doc: doc["program"].pop("invars"), r"program: missing field 'invars'"),
    (mutate((*EQN0, "inputs"), 1), r"field 'inputs' must be a JSON array"),
]


@pytest.mark.parametrize("corrupt,message", MALFORMED)
def test_loads_rejects_malformed_documents(corrupt, message):
    doc = sample_document()
    corrupt(doc)
    with pytest.raises(ValueError, match=message):
        loads(json.dumps(doc))


@pytest.mark.parametrize("raw,message", [
    ("", "not a valid JSON document"),
    ("[1, 2]", "expected a JSON object at the top level"),
    ('{"format": "functorch_lite.ir", "version": NaN}', "NaN is not JSON"),
    ("[" * 100_000 + "]" * 100_000, "not a valid JSON document"),
])
def test_loads_rejects_non_documents(raw, message):
    with pytest.raises(ValueError, match=message):
        loads(raw)


def test_loads_wants_text():
    with pytest.raises(TypeError, match="expected the text of a document, got NoneType"):
        loads(None)


def test_loads_rejects_truncated_text():
    s = dumps(fl.make_ir(lambda x: fnp.sin(x) * x)(f32(1, 2, 3)))
    for cut in (1, len(s) // 2, len(s) - 1):
        with pytest.raises(ValueError, match="not a valid JSON document"):
            loads(s[:cut])


def test_errors_inside_nested_programs_say_where(call_p):
    inner = fl.make_ir(lambda x: fnp.sin(x))(f32(1, 2, 3))
    doc = json.loads(dumps(call_program(call_p, inner)))
    doc["program"]["eqns"][0]["params"]["program"]["program"]["eqns"][0]["primitive"] = "foo"
    with pytest.raises(ValueError, match=r"equation 0 \(ir_test_call\) param 'program': "
                                         r"equation 0: unknown primitive 'foo'"):
        loads(json.dumps(doc))


def test_loads_without_check_leaves_typechecking_to_the_caller():
    doc = sample_document()
    doc["program"]["eqns"][0]["outputs"][0][1] = "f64[3]"
    prog = loads(json.dumps(doc), check=False)
    assert str(prog.eqns[0].outputs[0].aval) == "f64[3]"
    with pytest.raises(TypeCheckError, match="sin gives f32"):
        typecheck(prog)
