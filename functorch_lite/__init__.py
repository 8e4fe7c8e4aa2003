"""functorch_lite: composable grad, vmap and jit over immutable arrays."""
from transforms.array import Array  # noqa: F401
from transforms.errors import ConcretizationError, EscapedTracerError  # noqa: F401
from xla_like.backends import devices  # noqa: F401
from xla_like.config import config  # noqa: F401
from functorch_lite import _array_methods  # noqa: F401
from functorch_lite import numpy  # noqa: F401
from functorch_lite import tree  # noqa: F401
from functorch_lite._api import device_put, make_ir  # noqa: F401
from functorch_lite._autodiff import (grad, jvp, linearize, stop_gradient,  # noqa: F401
                                      value_and_grad, vjp)
from transforms.jvp import float0  # noqa: F401
import transforms.jvp_rules  # noqa: F401,E402  (registers the differentiation rules)
import transforms.ad_structural  # noqa: F401,E402
import transforms.ad_reductions  # noqa: F401,E402
import transforms.custom_derivatives  # noqa: F401,E402  (rules of custom_jvp/vjp, remat)
from functorch_lite._custom import checkpoint, custom_jvp, custom_vjp, remat  # noqa: F401,E402
from functorch_lite import ad  # noqa: F401,E402
import transforms.vmap_rules  # noqa: F401,E402  (registers the batching rules)
import transforms.vmap_reductions  # noqa: F401,E402
import transforms.vmap_structural  # noqa: F401,E402
from functorch_lite._vmap import vmap  # noqa: F401,E402
from functorch_lite._jacobians import hessian, jacfwd, jacrev  # noqa: F401,E402
from functorch_lite import random  # noqa: F401,E402
from functorch_lite import nn  # noqa: F401,E402
import transforms.jit  # noqa: F401,E402  (rules of the jit primitive)
from functorch_lite._jit import jit  # noqa: F401,E402
