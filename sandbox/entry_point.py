"""The asset's entry module, `lambda/handler.py`, imported the way the Lambda runtime imports it.

The engine is an installed distribution; the handler is not part of it: the asset carries it at its
root, beside the installed package, and the runtime imports it from there. Here it is loaded from its
file under the same module name, once per process, so nothing puts `lambda/` on sys.path. Imports
nothing heavy: the benchmark's function process uses it without loading the emulator.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Final

HANDLER_FILE: Final = Path(__file__).resolve().parent.parent / "lambda" / "handler.py"
MODULE_NAME: Final = HANDLER_FILE.stem  # what the function's handler setting names: handler.lambda_handler
_LOADING = threading.Lock()  # the import system's own lock does not cover a module loaded by hand


def import_handler() -> ModuleType:
    """`import handler` from the asset root: the module already loaded, or `lambda/handler.py` executed once."""
    with _LOADING:
        loaded = sys.modules.get(MODULE_NAME)
        if loaded is not None:
            if Path(getattr(loaded, "__file__", "") or "").resolve() != HANDLER_FILE:
                raise ImportError(f"a module named {MODULE_NAME!r} not from {HANDLER_FILE} is already loaded")
            return loaded
        spec = importlib.util.spec_from_file_location(MODULE_NAME, HANDLER_FILE)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {HANDLER_FILE}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE_NAME] = module  # as the import system does: the module's own imports may look it up
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[MODULE_NAME]
            raise
        return module
