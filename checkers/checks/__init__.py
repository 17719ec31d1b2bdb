"""The checks. Each module in this package registers its checks (``@register_check``) on import.

A check never imports a theorem: it gets the claim's static data, one instance and a context.
"""

import importlib
import pkgutil

for _m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _m.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_m.name}")
