"""Ordo's order process as data: rule sets written in YAML per channel and market, compiled
once into functions over a canonical order. Importable, never run on its own."""

from ordo_rules.checks import CHECKS, CheckSpec
from ordo_rules.engine import RuleSet, compile_rules, default_rules, default_text
from ordo_rules.source import RuleError, RuleSetError

__all__ = [
    "CHECKS",
    "CheckSpec",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "compile_rules",
    "default_rules",
    "default_text",
]
