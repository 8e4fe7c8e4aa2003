"""A versioned JSON form of ``Program``s: ``dumps(program) -> str`` and ``loads(text)``.

Never pickle: a document names only primitives (by name) and plain data::

    {"format":"functorch_lite.ir","version":1,"program":{
     "constvars":[[0,"f32[3]"]],
     "consts":[{"dtype":"float32","shape":[3],"data":"AACAPwAAAEAAAEBA"}],
     "invars":[[1,"f32[3]"]],
     "eqns":[{"primitive":"mul","inputs":[1,0],"outputs":[[2,"f32[3]"]],"params":{},
              "source":{"file":"model.py","line":3,"function":"f"}}],
     "outvars":[2,{"literal":"AAAAQA==","aval":"~f32[]"}]}}

(shown wrapped; the real text is one line).  Variables are numbered in binding order
(constants, inputs, then equation outputs) and referenced by number; a binder is
``[number, aval]`` with the aval in the printer's spelling.  Array data (constants and
literals) is base64 of the little-endian bytes, so every bit pattern (NaN payloads,
-0.0, inf) round-trips.  Params keep their exact Python types: JSON's null, booleans,
ints, strings and finite floats stand for themselves, lists are tuples, and the
rest are one-key tagged objects (see ``_PARAM_TAGS``).  A program held in a param is
a nested document body with its own variable numbering.
"""
import base64
import binascii
import json
import re
import struct

import numpy as np

from xla_like import dtypes
from xla_like.ir import Eqn, Literal, Program, ShapedArray, SourceInfo, Var
from xla_like.primitive import Primitive, registry
from xla_like.typecheck import typecheck

FORMAT = "functorch_lite.ir"
VERSION = 1
_PROGRAM_FIELDS = ("constvars", "consts", "invars", "eqns", "outvars")
_EQN_FIELDS = ("primitive", "inputs", "outputs", "params", "source")
_DTYPES_BY_NAME = {dt.name: dt for dt in dtypes.SUPPORTED}
_AVAL_RE = re.compile(r"(~?)([a-z]+[0-9]*)\[((?:[0-9]+(?:,[0-9]+)*)?)\]\Z")


def dumps(program):
    """The JSON text of ``program``; equal programs give equal text.

    >>> dumps(program)[:42]
    '{"format":"functorch_lite.ir","version":1,'
    """
    if not isinstance(program, Program):
        raise TypeError(f"dumps: expected a Program, got {type(program).__name__}")
    document = {"format": FORMAT, "version": VERSION, "program": _encode_program(program)}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def loads(text, check=True, validate=True):
    """Rebuild the ``Program`` written by ``dumps``; malformed text raises ValueError.

    With ``check`` (the default) the result is also type-checked, so a document whose
    types disagree with its primitives is rejected here rather than when it runs.
    ``validate=False`` skips the structural checks of the top-level equations (2-3x
    faster): only for text this library wrote whose integrity is assured otherwise,
    such as a checksummed disk-cache entry; malformed text may then raise anything.

    >>> str(loads(dumps(program))) == str(program)
    True
    """
    if not isinstance(text, (str, bytes, bytearray)):
        raise TypeError(f"loads: expected the text of a document, got {type(text).__name__}")
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"loads: not a valid JSON document: {e}") from None
    _check_header(document)
    body = _field(document, "program", dict, "document")
    program = _decode_program(body, "") if validate else _build_program(body)
    if check:
        try:
            typecheck(program)
        except TypeError as e:
            raise ValueError(f"loads: the program does not typecheck: {e}") from e
    return program


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON (non-finite floats are written as tagged bits)")


def _check_header(document):
    if not isinstance(document, dict):
        raise ValueError(f"loads: expected a JSON object at the top level, got "
                         f"{_describe(document)}")
    fmt = document.get("format")
    if fmt != FORMAT:
        raise ValueError(f"loads: not a {FORMAT} document (its format is {fmt!r})")
    version = document.get("version")
    if version != VERSION or type(version) is not int:
        raise ValueError(f"loads: unsupported {FORMAT} version {version!r}; "
                         f"this functorch_lite reads version {VERSION}")
    _no_extra_fields(document, ("format", "version", "program"), "document")


# ---- arrays and avals ------------------------------------------------------------

def _little_endian(dtype):
    return dtype.newbyteorder("<")


def _encode_bytes(value):
    value = np.asarray(value)
    return base64.b64encode(value.astype(_little_endian(value.dtype)).tobytes()).decode("ascii")


def _encode_array(value, where):
    value = np.asarray(value)
    if value.dtype.name not in _DTYPES_BY_NAME:
        raise TypeError(f"dumps: {where} has unsupported dtype {value.dtype}")
    return {"dtype": value.dtype.name, "shape": list(value.shape), "data": _encode_bytes(value)}


def _decode_bytes(data, dtype, shape, where):
    if not isinstance(data, str):
        _fail(where, f"data must be a base64 string, got {_describe(data)}")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, binascii.Error) as e:
        _fail(where, f"data is not valid base64 ({e})")
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) != count * dtype.itemsize:
        _fail(where, f"data has {len(raw)} bytes, but {dtype.name}{list(shape)} needs "
                     f"{count * dtype.itemsize}")
    # astype copies into native byte order, giving an owned, writable array
    return np.frombuffer(raw, _little_endian(dtype)).astype(dtype).reshape(shape)


def _decode_dtype(name, where):
    if name not in _DTYPES_BY_NAME:
        _fail(where, f"unknown dtype {name!r} (supported: {', '.join(_DTYPES_BY_NAME)})")
    return _DTYPES_BY_NAME[name]


def _decode_shape(shape, where):
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        _fail(where, f"shape must be a list of non-negative ints, got {_describe(shape)}")
    return tuple(shape)


def _decode_array(doc, where):
    """``{"dtype", "shape", "data"}`` -> ndarray (the no-extra-fields check also rejects
    non-objects)."""
    _no_extra_fields(doc, ("dtype", "shape", "data"), where)
    dtype = _decode_dtype(_field(doc, "dtype", str, where), where)
    shape = _decode_shape(_field(doc, "shape", list, where), where)
    return _decode_bytes(doc.get("data"), dtype, shape, where)


# aval text -> ShapedArray: a document spells a few avals many times, and parsing
# them was a third of loading a program (the disk cache's hit path, cpu.py)
_decoded_avals = {}
_DECODED_AVALS_LIMIT = 4096


def _decode_aval(text, where):
    aval = _decoded_avals.get(text) if isinstance(text, str) else None
    if aval is None:
        aval = _parse_aval(text, where)
        if len(_decoded_avals) < _DECODED_AVALS_LIMIT:
            _decoded_avals[text] = aval
    return aval


def _parse_aval(text, where):
    match = _AVAL_RE.match(text) if isinstance(text, str) else None
    if match is None:
        _fail(where, f"expected an aval such as 'f32[3,4]' or '~i32[]', got {_describe(text)}")
    weak, short, dims = match.groups()
    try:
        dtype = dtypes.from_short_name(short)
    except ValueError as e:
        _fail(where, str(e))
    shape = tuple(int(d) for d in dims.split(",")) if dims else ()
    return ShapedArray(shape, dtype, bool(weak))


# ---- programs --------------------------------------------------------------------

class _VarNumbers:
    """Numbers variables in binding order while encoding one program."""

    def __init__(self):
        self.numbers = {}

    def bind(self, var, where):
        if not isinstance(var, Var):
            raise TypeError(f"dumps: {where} must be a Var, got {var!r}")
        if var in self.numbers:
            raise ValueError(f"dumps: {where}: {var} is bound twice")
        self.numbers[var] = len(self.numbers)
        return [self.numbers[var], str(var.aval)]

    def atom(self, atom, where):
        if isinstance(atom, Literal):
            return {"literal": _encode_bytes(atom.value), "aval": str(atom.aval)}
        if not isinstance(atom, Var):
            raise TypeError(f"dumps: {where} must be a Var or a Literal, got {atom!r}")
        if atom not in self.numbers:
            raise ValueError(f"dumps: {where}: {atom!r} is used before it is bound")
        return self.numbers[atom]


def _encode_program(program):
    numbers = _VarNumbers()
    constvars = [numbers.bind(v, f"constant {i}") for i, v in enumerate(program.constvars)]
    consts = [_encode_array(c, f"constant {i}") for i, c in enumerate(program.consts)]
    invars = [numbers.bind(v, f"input {i}") for i, v in enumerate(program.invars)]
    eqns = [_encode_eqn(eqn, i, numbers) for i, eqn in enumerate(program.eqns)]
    outvars = [numbers.atom(a, f"output {i}") for i, a in enumerate(program.outvars)]
    return {"constvars": constvars, "consts": consts, "invars": invars, "eqns": eqns,
            "outvars": outvars}


def _encode_eqn(eqn, i, numbers):
    where = f"equation {i}"
    prim = eqn.prim
    if not isinstance(prim, Primitive) or registry.get(prim.name) is not prim:
        raise TypeError(f"dumps: {where}: {prim!r} is not a registered Primitive")
    inputs = [numbers.atom(a, f"{where} input {j}") for j, a in enumerate(eqn.inputs)]
    params = {}
    for key in sorted(eqn.params):
        if not isinstance(key, str):
            raise TypeError(f"dumps: {where} ({prim.name}): param name {key!r} is not a str")
        params[key] = _encode_param(eqn.params[key], f"{where} ({prim.name}) param {key!r}")
    outputs = [numbers.bind(v, f"{where} output {j}") for j, v in enumerate(eqn.outputs)]
    source = None
    if eqn.source is not None:
        file, line, function = eqn.source
        source = {"file": file, "line": line, "function": function}
    return {"primitive": prim.name, "inputs": inputs, "outputs": outputs, "params": params,
            "source": source}


def _decode_program(doc, where):
    """``where`` prefixes locations inside a nested program, e.g. "equation 2 param 'body': "."""
    here = (where, "program")
    _no_extra_fields(doc, _PROGRAM_FIELDS, here)
    fields = {k: _field(doc, k, list, here) for k in _PROGRAM_FIELDS}
    if len(fields["constvars"]) != len(fields["consts"]):
        _fail(here, f"{len(fields['constvars'])} constant vars but "
                                 f"{len(fields['consts'])} constant values")
    env = {}
    constvars = [_bind(b, env, (where, "constant {}", i)) for i, b in enumerate(fields["constvars"])]
    consts = [_decode_array(c, (where, "constant {}", i)) for i, c in enumerate(fields["consts"])]
    invars = [_bind(b, env, (where, "input {}", i)) for i, b in enumerate(fields["invars"])]
    eqns = [_decode_eqn(e, env, (where, "equation {}", i)) for i, e in enumerate(fields["eqns"])]
    outvars = [_atom(a, env, (where, "output {}", i)) for i, a in enumerate(fields["outvars"])]
    return Program(invars, constvars, consts, eqns, outvars)


def _build_program(doc):
    """``_decode_program`` without its checks, for trusted text (see ``loads``)."""
    env = {}

    def bind(binder):
        var = env[binder[0]] = Var(_decode_aval(binder[1], "binder"))
        return var

    def atom(a):
        return env[a] if type(a) is int else _atom(a, env, "literal")
    constvars = [bind(b) for b in doc["constvars"]]
    consts = [_decode_array(c, "constant") for c in doc["consts"]]
    invars = [bind(b) for b in doc["invars"]]
    eqns = []
    for e in doc["eqns"]:
        inputs = [env[a] if type(a) is int else atom(a) for a in e["inputs"]]
        params = {k: _decode_param(v, "param") for k, v in e["params"].items()}
        outputs = [bind(b) for b in e["outputs"]]
        s = e["source"]
        source = None if s is None else SourceInfo(s["file"], s["line"], s["function"])
        eqns.append(Eqn(registry[e["primitive"]], inputs, outputs, params, source))
    return Program(invars, constvars, consts, eqns, [atom(a) for a in doc["outvars"]])


def _decode_eqn(doc, env, where):
    if not isinstance(doc, dict):
        _fail(where, f"expected an object, got {_describe(doc)}")
    _no_extra_fields(doc, _EQN_FIELDS, where)
    name = _field(doc, "primitive", str, where)
    if name not in registry:
        _fail(where, f"unknown primitive {name!r}")
    inputs = [_atom(a, env, (where, " ({}) input {}", name, j))
              for j, a in enumerate(_field(doc, "inputs", list, where))]
    params = {key: _decode_param(value, (where, " ({}) param {!r}", name, key))
              for key, value in _field(doc, "params", dict, where).items()}
    outputs = [_bind(b, env, (where, " ({}) output {}", name, j))
               for j, b in enumerate(_field(doc, "outputs", list, where))]
    return Eqn(registry[name], inputs, outputs, params, _decode_source(doc, where))


def _decode_source(doc, where):
    if "source" not in doc or doc["source"] is None:
        return None
    source, where = doc["source"], (where, " source")
    if not isinstance(source, dict):
        _fail(where, f"expected an object or null, got {_describe(source)}")
    _no_extra_fields(source, SourceInfo._fields, where)
    line = source.get("line")
    if line is not None:  # frames may lack a line number
        line = _field(source, "line", int, where)
    return SourceInfo(_field(source, "file", str, where), line,
                      _field(source, "function", str, where))


def _bind(binder, env, where):
    if not (isinstance(binder, list) and len(binder) == 2 and type(binder[0]) is int):
        _fail(where, f"expected a binder [number, aval], got {_describe(binder)}")
    number, aval = binder
    if number in env:
        _fail(where, f"variable {number} is bound twice")
    env[number] = Var(_decode_aval(aval, where))
    return env[number]


def _atom(atom, env, where):
    if type(atom) is int:
        if atom not in env:
            _fail(where, f"variable {atom} is used but not defined before this point")
        return env[atom]
    if not isinstance(atom, dict):
        _fail(where, f"expected a variable number or a literal, got {_describe(atom)}")
    _no_extra_fields(atom, ("literal", "aval"), where)
    aval = _decode_aval(_field(atom, "aval", str, where), where)
    return Literal(_decode_bytes(atom.get("literal"), aval.dtype, aval.shape, where), aval)


# ---- params ----------------------------------------------------------------------

def _encode_float(value):
    """Finite floats are JSON numbers (repr is exact); others keep their bits."""
    if np.isfinite(value):
        return value
    (bits,) = struct.unpack("<Q", struct.pack("<d", value))
    return {"float": f"{bits:016x}"}


def _decode_float(value, where):
    if isinstance(value, float):
        return value
    if isinstance(value, dict) and set(value) == {"float"}:
        bits = value["float"]
        if isinstance(bits, str) and re.fullmatch(r"[0-9a-f]{16}", bits):
            return struct.unpack("<d", struct.pack("<Q", int(bits, 16)))[0]
    return _fail(where, f"expected a float, got {_describe(value)}")


def _encode_scalar(value):
    return {"dtype": value.dtype.name, "data": _encode_bytes(value)}


def _decode_scalar(doc, where):
    if not isinstance(doc, dict):
        _fail(where, f"expected an object, got {_describe(doc)}")
    _no_extra_fields(doc, ("dtype", "data"), where)
    dtype = _decode_dtype(_field(doc, "dtype", str, where), where)
    return _decode_bytes(doc.get("data"), dtype, (), where)[()]


def _decode_complex(value, where):
    if not (isinstance(value, list) and len(value) == 2):
        _fail(where, f"expected [real, imag], got {_describe(value)}")
    return complex(_decode_float(value[0], where), _decode_float(value[1], where))


def _decode_primitive(name, where):
    if not isinstance(name, str) or name not in registry:
        _fail(where, f"unknown primitive {name!r}")
    return registry[name]


def _decode_nested_program(doc, where):
    if not isinstance(doc, dict):
        _fail(where, f"expected a program object, got {_describe(doc)}")
    return _decode_program(doc, (where, ": "))


# Python types JSON keeps exactly, by exact type (bool is not taken for int).
_PLAIN_TYPES = (type(None), bool, int, str)
# One-key objects ``{tag: payload}`` for everything else.
_PARAM_TAGS = {
    "float": lambda payload, where: _decode_float({"float": payload}, where),
    "complex": _decode_complex,
    "dtype": lambda name, where: _decode_dtype(name, where),
    "scalar": _decode_scalar,
    "program": _decode_nested_program,
    "primitive": _decode_primitive,
}
# Checked in order with isinstance: dtype classes and NumPy scalars have many subtypes.
# NumPy scalars come first: np.float64 and np.complex128 subclass float and complex.
_PARAM_ENCODERS = (
    (np.generic, lambda v: {"scalar": _encode_scalar(v)}),
    (np.dtype, lambda v: {"dtype": v.name}),
    (float, _encode_float),
    (complex, lambda v: {"complex": [_encode_float(v.real), _encode_float(v.imag)]}),
    (Program, lambda v: {"program": _encode_program(v)}),
    (Primitive, lambda v: {"primitive": v.name}),
)


def _encode_param(value, where):
    if type(value) in _PLAIN_TYPES:
        return value
    if type(value) is tuple:
        return [_encode_param(v, f"{where}[{i}]") for i, v in enumerate(value)]
    for kind, encode in _PARAM_ENCODERS:
        if isinstance(value, kind):
            _check_param_value(value, where)
            return encode(value)
    raise TypeError(f"dumps: {where} has type {type(value).__name__}, which params cannot "
                    "hold (use None, bool, int, float, complex, str, tuples, np.dtype, "
                    "NumPy scalars, Programs or Primitives)")


def _check_param_value(value, where):
    dtype = value if isinstance(value, np.dtype) else getattr(value, "dtype", None)
    if dtype is not None and dtype.name not in _DTYPES_BY_NAME:
        raise TypeError(f"dumps: {where} has unsupported dtype {dtype}")


def _decode_param(value, where):
    if type(value) in _PLAIN_TYPES or type(value) is float:
        return value
    if isinstance(value, list):
        return tuple(_decode_param(v, (where, "[{}]", i)) for i, v in enumerate(value))
    if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _PARAM_TAGS):
        _fail(where, f"expected a param value or a one-key object tagged "
                     f"{'/'.join(_PARAM_TAGS)}, got {_describe(value)}")
    ((tag, payload),) = value.items()
    return _PARAM_TAGS[tag](payload, where)


# ---- validation helpers ----------------------------------------------------------

def _fail(where, message):
    raise ValueError(f"loads: {_where_text(where)}: {message}")


def _where_text(where):
    """A location is a string or ``(parent, format, *args)``: decoding builds the tuple
    for every atom and formats it only here, when something is wrong (formatting each
    location eagerly was most of the cost of loading a program)."""
    parts = []
    while isinstance(where, tuple):
        parent, fmt, *args = where
        parts.append(fmt.format(*args))
        where = parent
    return where + "".join(reversed(parts))


def _describe(value):
    text = json.dumps(value) if not isinstance(value, (bytes, bytearray)) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field(doc, key, kind, where):
    if not isinstance(doc, dict):
        _fail(where, f"expected an object, got {_describe(doc)}")
    if key not in doc:
        _fail(where, f"missing field {key!r}")
    value = doc[key]
    if not isinstance(value, kind) or (kind is int and type(value) is bool):
        _fail(where, f"field {key!r} must be a {_JSON_NAMES[kind]}, got {_describe(value)}")
    return value


_JSON_NAMES = {dict: "JSON object", list: "JSON array", str: "string", int: "integer"}


# the field sets decoding checks for every equation and atom, as sets
_ALLOWED_FIELDS = {fields: frozenset(fields) for fields in (
    _PROGRAM_FIELDS, _EQN_FIELDS, SourceInfo._fields, ("literal", "aval"))}


def _no_extra_fields(doc, allowed, where):
    if not isinstance(doc, dict):
        _fail(where, f"expected an object, got {_describe(doc)}")
    if doc.keys() <= _ALLOWED_FIELDS.get(allowed, set(allowed)):
        return
    extra = sorted(set(doc) - set(allowed))
    if extra:
        _fail(where, f"unexpected field(s) {', '.join(map(repr, extra))} "
                     f"(allowed: {', '.join(allowed)})")
