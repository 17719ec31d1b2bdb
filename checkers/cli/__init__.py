"""The ``moecheck`` command line (argparse only)."""

from ._approx import add_parser as add_parser
from ._approx import run as run
from ._bound import evaluate_smoe_bound as evaluate_smoe_bound
from ._main import build_parser as build_parser
from ._main import main as main
from ._selftest import power_table as power_table
from ._selftest import run_planted as run_planted

__all__ = ["add_parser", "run", "evaluate_smoe_bound", "main", "build_parser", "power_table", "run_planted"]
