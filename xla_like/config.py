"""Configuration: ``config.update(name, value)``, or the environment variable
``FUNCTORCH_LITE_<NAME>`` (read at import).  Reading: ``config.check_ir``.

Options:

| name | default | meaning |
|---|---|---|
| ``check_ir`` | True | type-check every program ``make_ir`` produces |
| ``disable_jit`` | False | ``jit`` runs functions eagerly (for debugging) |
| ``log_compiles`` | False | log each ``jit`` trace and compilation with its time |
| ``debug_nans`` | False | rerun a jitted call that produced a NaN; name the primitive and line |
| ``retrace_warning_limit`` | 5 | warn, naming what changed, once a ``jit`` function has traced more often |
| ``compilation_cache`` | True | keep compiled object code on disk, reused across processes |
| ``compilation_cache_dir`` | "" | where; empty: ``$XDG_CACHE_HOME/functorch_lite`` or ``~/.cache/functorch_lite`` |
"""
import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_bool(name, text):
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"config option {name!r}: cannot read {text!r} as a bool")


class Config:
    """Library options.  ``config.update("check_ir", False)``"""

    def __init__(self):
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_options", {})

    def define(self, name, default, parse, doc):
        """Declare an option (used by the layer that owns it)."""
        if hasattr(type(self), name):
            raise ValueError(f"config option {name!r} would hide Config.{name}")
        self._options[name] = (parse, doc)
        env = os.environ.get(f"FUNCTORCH_LITE_{name.upper()}")
        self._set(name, default if env is None else parse(name, env))

    def _set(self, name, value):
        self._values[name] = value
        # also an instance attribute: reading ``config.name`` is then a plain attribute
        # lookup, cheap enough for the per-call path of jitted functions
        object.__setattr__(self, name, value)

    def update(self, name, value):
        if name not in self._options:
            raise AttributeError(f"unknown config option {name!r}; known options: "
                                 f"{', '.join(sorted(self._options))}")
        parse, _ = self._options[name]
        if isinstance(value, str):
            value = parse(name, value)
        self._set(name, value)

    def __getattr__(self, name):
        # reached only for names that are not options (options are attributes)
        raise AttributeError(f"unknown config option {name!r}; known options: "
                             f"{', '.join(sorted(self._options))}")

    def __setattr__(self, name, value):
        raise AttributeError("use config.update(name, value)")

    def options(self):
        return {name: (self._values[name], doc) for name, (_, doc) in self._options.items()}


config = Config()
config.define("check_ir", True, _parse_bool, "type-check every program make_ir produces")
config.define("disable_jit", False, _parse_bool, "jit runs functions eagerly (for debugging)")
config.define("log_compiles", False, _parse_bool,
              "log each jit trace and compilation with its time")
config.define("debug_nans", False, _parse_bool,
              "rerun a jitted call whose outputs hold a NaN and name the primitive and line")
config.define("retrace_warning_limit", 5, lambda name, text: int(text),
              "warn once a jit function has traced more often than this")
config.define("compilation_cache", True, _parse_bool,
              "keep compiled object code on disk, reused across processes")
config.define("compilation_cache_dir", "", lambda name, text: text,
              "directory of the disk cache (empty: the user's cache directory)")
