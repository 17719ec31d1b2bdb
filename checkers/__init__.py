"""moecheck checkers: the checks, the certifier, the runner, the report and the command line."""

import os as _os

# torch's OpenMP workers busy-wait by default, which slows a shared 2-core machine 3-30x; set before torch loads
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
