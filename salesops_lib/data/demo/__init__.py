"""Demo data with planted truth: the embedded default source and the workbench's self-test.

:func:`generate_demo` writes a DuckDB file with every canonical table — a Chinese sales
organisation over three years with seasonality, growth, skill, ramp, attrition, a funnel,
receivables, activities, spend and plans — plus a truth manifest of the planted effects
(:func:`load_truth`). The ``null`` variant is the same world without the planted effects.
See ``docs/demo_data.md``.

Examples
--------
>>> from salesops_lib.data.demo import generate_demo, load_truth
>>> truth = generate_demo("demo.duckdb", size="small", as_of="2025-06-30")  # doctest: +SKIP
>>> truth.effect("low_efficiency_team").where["unit_id"]  # doctest: +SKIP
'north-02'
"""

from __future__ import annotations

from salesops_lib.data.demo.cache import demo_source_path, is_demo_source, parse_demo_source
from salesops_lib.data.demo.generate import generate_demo
from salesops_lib.data.demo.spec import DEFAULT_SEED, GENERATOR_VERSION, SIZES, VARIANTS, default_as_of
from salesops_lib.data.demo.truth import EFFECT_KINDS, Effect, Truth, load_truth, truth_path
from salesops_lib.data.demo.writer import table_checksums

__all__ = [
    "DEFAULT_SEED",
    "EFFECT_KINDS",
    "GENERATOR_VERSION",
    "SIZES",
    "VARIANTS",
    "Effect",
    "Truth",
    "default_as_of",
    "demo_source_path",
    "generate_demo",
    "is_demo_source",
    "load_truth",
    "parse_demo_source",
    "table_checksums",
    "truth_path",
]
