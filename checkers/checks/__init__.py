"""The checks. Each module in this package registers its checks (``@register_check``) on import.

A check never imports a theorem: it gets the claim's static data, one instance and a context.
A module that fails to import does not take the others down: its error is kept in
``IMPORT_ERRORS`` and reported on the rows whose check it would have registered.
"""

import importlib
import pkgutil

IMPORT_ERRORS: dict[str, str] = {}

for _m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _m.name.startswith("_"):
        try:
            importlib.import_module(f"{__name__}.{_m.name}")
        except Exception as _exc:  # isolate a broken check module; its rows become ERROR with this message
            IMPORT_ERRORS[_m.name] = f"{type(_exc).__name__}: {_exc}"
