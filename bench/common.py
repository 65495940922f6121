"""Interleaved timing: ratios against a floor measured in the same run."""

from __future__ import annotations

import gc
import importlib
import statistics
import time
from collections.abc import Callable
from typing import Any

from mockfiles.mock import openai_http_library


def interleaved(
    variants: dict[str, Callable[[], object]], rounds: int, repeat: int
) -> dict[str, float]:
    """Median seconds per call of each variant, rounds interleaved so noise hits all alike."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():  # warm up
        fn()
    for _ in range(rounds):
        for name, fn in variants.items():
            gc.collect()
            start = time.perf_counter()
            for _ in range(repeat):
                fn()
            samples[name].append((time.perf_counter() - start) / repeat)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, medians: dict[str, float], floor: str, target: float | None = None) -> bool:
    """Print each variant's ratio to ``floor``; True when all are within ``target``."""
    print(f"\n{title}")
    ok = True
    for name, value in medians.items():
        ratio = value / medians[floor]
        verdict = ""
        if target is not None and name != floor:
            verdict = "  ok" if ratio <= target else f"  OVER target {target}"
            ok = ok and ratio <= target
        print(f"  {name:<40} {value * 1e6:10.1f} us   ratio {ratio:5.2f}{verdict}")
    return ok


def http_module() -> Any:
    """The httpx-family module the installed openai SDK uses."""
    return importlib.import_module(openai_http_library())
