"""Replay 2024-2025 and compare with the published validation targets."""
from __future__ import annotations

import pandas as pd

from chokepoint.data import Database, get_database, run_query
from chokepoint.engine import run_scenario
from chokepoint.params import ModelInputs, Scenario, text


def validation_table(inputs: ModelInputs, database: Database | None = None) -> pd.DataFrame:
    """One row per target: published value and band, the model's replay, pass/fail, sources.

    2024 and 2025 follow the recorded regimes whatever the sliders say, so any scenario replays them.
    """
    database = database or get_database()
    targets = run_query("validation_targets", database)
    replay = run_scenario(Scenario.create(inputs=inputs), inputs).tidy()
    rows = []
    for target in targets.itertuples(index=False):
        match = replay[(replay.metric == target.metric) & (replay.entity == target.entity)
                       & (replay.year == target.year)]
        model_value = float(match.value.iloc[0]) if len(match) else float("nan")
        rows.append(dict(
            target=target.target_id, description=target.description, year=int(target.year),
            published_value=float(target.published_value), low=float(target.low), high=float(target.high),
            unit=target.unit, model_value=model_value,
            passed=bool(target.low <= model_value <= target.high),
            basis=target.basis, source_ids=text(target.source_ids), note=text(target.note),
        ))
    return pd.DataFrame(rows)
