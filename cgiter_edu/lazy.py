"""Public names of a package imported from their module when first used, so that
importing the package stays light (``import cgiter_edu.viz`` does not load
matplotlib; ``import cgiter_edu.widgets`` does not load ipywidgets).

Example::

    >>> import types
    >>> pkg = types.ModuleType("demo")
    >>> getattr_, dir_ = lazy_exports("os", {"join": "path"}, vars(pkg))
    >>> getattr_("join").__name__, "join" in vars(pkg), "join" in dir_()
    ('join', True, True)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: dict[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``: a name of ``homes``
    (public name -> the submodule that holds it) is imported from
    ``package.<submodule>`` on first use and kept in ``namespace`` (the package's
    ``globals()``); any other name is an AttributeError."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(homes))

    return __getattr__, __dir__
