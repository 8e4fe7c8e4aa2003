"""The user's source line: the first stack frame outside functorch_lite's packages."""
import os
import sys

from xla_like.ir import SourceInfo

_LIBRARY_DIRS = tuple(
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), pkg) + os.sep
    for pkg in ("functorch_lite", "transforms", "xla_like"))


def is_library_file(filename):
    return filename.startswith(_LIBRARY_DIRS)


_library_code = {}      # code object -> is it library code (the frame walk is per equation)


def user_frame():
    """Return ``SourceInfo`` for the innermost frame outside the library, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        inside = _library_code.get(code)
        if inside is None:
            if len(_library_code) > 100_000:
                _library_code.clear()
            inside = _library_code[code] = code.co_filename.startswith(_LIBRARY_DIRS)
        if not inside:
            return SourceInfo(code.co_filename, frame.f_lineno, code.co_name)
        frame = frame.f_back
    return None
