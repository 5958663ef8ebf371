"""Public names of a package imported from their module when first used (PEP 562), so
that importing the package stays light: ``import cgiter_edu`` loads neither networkx
nor the emulator until a name is used, ``import cgiter_edu.viz`` does not load
matplotlib, ``import cgiter_edu.widgets`` does not load ipywidgets.

Example::

    >>> import types
    >>> pkg = types.ModuleType("demo")
    >>> getattr_, dir_ = lazy_exports("os", {"join": "path"}, vars(pkg))
    >>> getattr_("join").__name__, "join" in vars(pkg), "join" in dir_()
    ('join', True, True)
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


class _Package(types.ModuleType):
    """A package that exports a function of the same name as the submodule holding it
    (``cgiter_edu.run``, ``cgiter_edu.attach``): the import system sets the package's
    attribute to the submodule when that submodule is first imported (by anyone), which
    would hide the function; here the attribute stays the function, as an eager
    ``from .run import run`` in the package's ``__init__`` would leave it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (isinstance(value, types.ModuleType) and name in self.__dict__.get("_SAME_NAME", ())
                and value.__name__ == f"{self.__name__}.{name}"):
            value = getattr(value, name)
        super().__setattr__(name, value)


def lazy_exports(package: str, homes: dict[str, str], namespace: dict[str, Any],
                 submodules: bool = False
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``: a name of ``homes``
    (public name -> the submodule that holds it, or a relative module name such as
    ``"..walkflags"``) is imported from ``package.<submodule>`` on first use and kept in ``namespace`` (the package's
    ``globals()``); with ``submodules``, any other name that is a submodule of
    ``package`` is imported as ``package.name`` is; any other name is an
    AttributeError.  ``__dir__`` lists the names of ``homes`` and of the package's
    ``__all__`` besides what is already loaded.  A name that is also the name of its submodule (``"run": "run"``)
    stays the exported object, whoever imports the submodule first."""
    same = frozenset(name for name, home in homes.items() if name == home)
    module = sys.modules.get(package)
    if same and module is not None and type(module) is types.ModuleType:
        namespace["_SAME_NAME"] = same
        module.__class__ = _Package

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            if (submodules and not name.startswith("__")
                    and importlib.util.find_spec(f"{package}.{name}") is not None):
                return importlib.import_module(f"{package}.{name}")
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home if home.startswith(".") else f".{home}",
                                                package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(homes) | set(namespace.get("__all__", ())))

    return __getattr__, __dir__
