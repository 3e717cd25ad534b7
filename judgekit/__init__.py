"""judgekit: LLM-as-a-judge evaluation with trustworthy numbers.

The public API is imported lazily so that `judgekit --help` starts without loading pydantic,
the provider SDKs, pandas or scipy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from judgekit.version import __version__

__all__ = [
    "Dataset",
    "EvalConfig",
    "EvalResult",
    "Summary",
    "__version__",
    "aggregate",
    "arun_eval",
    "load_template",
    "register_backend",
    "report",
    "run_eval",
]

_LAZY = {
    "Dataset": ("judgekit.inputs.datasets", "Dataset"),
    "EvalConfig": ("judgekit.config", "EvalConfig"),
    "EvalResult": ("judgekit.api", "EvalResult"),
    "Summary": ("judgekit.summary", "Summary"),
    "aggregate": ("judgekit.metrics.aggregate", "aggregate"),
    "arun_eval": ("judgekit.api", "arun_eval"),
    "load_template": ("judgekit.inputs.template_files", "load"),
    "register_backend": ("judgekit.backends.registry", "register_backend"),
    "report": ("judgekit.api", "report"),
    "run_eval": ("judgekit.api", "run_eval"),
}

if TYPE_CHECKING:
    from judgekit.api import EvalResult, arun_eval, report, run_eval
    from judgekit.backends.registry import register_backend
    from judgekit.config import EvalConfig
    from judgekit.inputs.datasets import Dataset
    from judgekit.inputs.template_files import load as load_template
    from judgekit.metrics.aggregate import aggregate
    from judgekit.summary import Summary


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attribute = _LAZY[name]
        return getattr(importlib.import_module(module_name), attribute)
    raise AttributeError(f"module 'judgekit' has no attribute {name!r}")
