"""The catalogue of primitives; importing this package declares all of them."""
from xla_like.primitives import elementwise  # noqa: F401
from xla_like.primitives.elementwise import *  # noqa: F401,F403
from xla_like.primitives import structural  # noqa: F401,E402
from xla_like.primitives.structural import *  # noqa: F401,F403,E402
from xla_like.primitives import indexing  # noqa: F401,E402
from xla_like.primitives.indexing import *  # noqa: F401,F403,E402
from xla_like.primitives import reductions  # noqa: F401,E402
from xla_like.primitives.reductions import *  # noqa: F401,F403,E402
from xla_like.primitives import contractions  # noqa: F401,E402
from xla_like.primitives.contractions import *  # noqa: F401,F403,E402
from xla_like.primitives import windows  # noqa: F401,E402
from xla_like.primitives.windows import *  # noqa: F401,F403,E402
from xla_like.primitives import higher_order  # noqa: F401,E402
from xla_like.primitives.higher_order import *  # noqa: F401,F403,E402
from xla_like.primitives import collectives  # noqa: F401,E402
from xla_like.primitives.collectives import *  # noqa: F401,F403,E402
from xla_like.primitives import effects  # noqa: F401,E402
from xla_like.primitives.effects import *  # noqa: F401,F403,E402
from xla_like.primitives import control_flow  # noqa: F401,E402
from xla_like.primitives.control_flow import *  # noqa: F401,F403,E402
from xla_like.primitives import linalg  # noqa: F401,E402
from xla_like.primitives.linalg import *  # noqa: F401,F403,E402
from xla_like.primitives import complex_parts, fft  # noqa: F401,E402
from xla_like.primitives.complex_parts import *  # noqa: F401,F403,E402
from xla_like.primitives.fft import *  # noqa: F401,F403,E402
