"""xla_like: the IR, the primitive catalogue, the reference interpreter and backends."""
from xla_like import dtypes, primitives  # noqa: F401
from xla_like.ir import (Eqn, Literal, Program, ShapedArray, SourceInfo, Var,  # noqa: F401
                         aval_of_value, make_aval)
from xla_like.primitive import Primitive, by_name, lookup_rule, registry  # noqa: F401
from xla_like.printer import program_to_text  # noqa: F401
from xla_like.reference import evaluate  # noqa: F401
from xla_like.serialize import dumps, loads  # noqa: F401
from xla_like.typecheck import TypeCheckError, typecheck  # noqa: F401
from xla_like.config import config  # noqa: F401
