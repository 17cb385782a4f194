"""Keep old links working: map settings saved under an earlier model version onto today's names.

Each released model version that renamed or removed a lever or parameter gets an entry keyed by the
version it migrates FROM. Entries are applied in order until the current version is reached. A name
no longer known is dropped with a note (the scenario opens with that input at its default), never an
error: links never die.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from chokepoint import MODEL_VERSION
from chokepoint.params import ADVANCED_LEVERS, HEADLINE_LEVERS, LOAD_TIME_PARAMETERS, ModelInputs

# Every model version that has been released (scenarios saved under it must keep opening).
RELEASED_VERSIONS = ("1.0", "1.1", "2.0")


@dataclass(frozen=True)
class Migration:
    to_version: str
    renamed: Mapping[str, str] = field(default_factory=dict)  # old name -> new name
    removed: tuple[str, ...] = ()


# from_version -> migration to the next version.
MIGRATIONS: dict[str, Migration] = {
    # The exchange rates only convert reported figures when data/ loads; as scenario inputs they changed nothing.
    "1.0": Migration("1.1", removed=("eur_usd", "jpy_usd")),
    # Model 2 keeps every lever name; `mandate_2024` became captive_floor; the HBM stock is drawn at a yearly rate.
    "1.1": Migration("2.0", renamed={"mandate_2024": "captive_floor"},
                     removed=("hbm_stock_used_2025",)),
}


def migrate(settings: Mapping[str, float], from_version: str, inputs: ModelInputs,
            migrations: Mapping[str, Migration] | None = None) -> tuple[dict[str, float], list[str]]:
    """Settings renamed/filtered for the current model, and notes in words on what changed."""
    migrations = MIGRATIONS if migrations is None else migrations
    settings, notes, version, seen = dict(settings), [], from_version, set()
    while version != MODEL_VERSION and version in migrations and version not in seen:
        seen.add(version)
        step = migrations[version]
        for old, new in step.renamed.items():
            if old in settings:
                settings[new] = settings.pop(old)
                notes.append(f"`{old}` is now called `{new}` (model {step.to_version})")
        for old in step.removed:
            if settings.pop(old, None) is not None:
                notes.append(f"`{old}` was removed in model {step.to_version}; its effect now uses the default")
        version = step.to_version
    known = (set(HEADLINE_LEVERS) | set(ADVANCED_LEVERS) | set(inputs.parameters)) - LOAD_TIME_PARAMETERS
    for name in [n for n in settings if n not in known]:
        settings.pop(name)
        notes.append(f"`{name}` is not an input of model {MODEL_VERSION}; it was left out")
    for name, value in list(settings.items()):
        low, high = ((HEADLINE_LEVERS[name].low, HEADLINE_LEVERS[name].high) if name in HEADLINE_LEVERS
                     else inputs.override_range(name))
        if not low <= value <= high:
            settings.pop(name)
            notes.append(f"`{name}={value:g}` is outside today's range {low:g}–{high:g}; the default is used")
    return settings, notes
