"""Systems, not chips: AI chips and rack-scale systems compared (compute, memory, bandwidth, power, compute per
kW), and Huawei's CloudMatrix 384 against NVIDIA's GB200 NVL72 in ratios and one sentence. Reads chip_specs."""
from __future__ import annotations

import pandas as pd

from chokepoint.data import Database, get_database, run_query

SYSTEM_A, SYSTEM_B = "Huawei CloudMatrix 384", "NVIDIA GB200 NVL72"
SYSTEM_COLUMNS = ["system", "vendor", "kind", "chips_per_system", "bf16_dense_tflops", "memory_gb",
                  "memory_bandwidth_tbs", "power_kw", "tflops_per_kw", "source_ids"]


def system_table(database: Database | None = None) -> pd.DataFrame:
    """Chips and rack-scale systems: compute, memory, bandwidth, power and compute per kW (systems first)."""
    frame = run_query("chip_specs", database or get_database())
    frame = frame.assign(order=(frame.kind != "system").astype(int))
    return frame.sort_values(["order", "vendor", "system"], kind="stable")[SYSTEM_COLUMNS].reset_index(drop=True)


def system_ratios(table: pd.DataFrame, a: str = SYSTEM_A, b: str = SYSTEM_B) -> dict[str, float]:
    """System a relative to system b: compute, power, memory, bandwidth, compute per kW, energy per FLOP."""
    rows = table.set_index("system")
    first, second = rows.loc[a], rows.loc[b]
    compute = first.bf16_dense_tflops / second.bf16_dense_tflops
    power = first.power_kw / second.power_kw
    return dict(compute=compute, power=power, memory=first.memory_gb / second.memory_gb,
                bandwidth=first.memory_bandwidth_tbs / second.memory_bandwidth_tbs,
                compute_per_kw=first.tflops_per_kw / second.tflops_per_kw, energy_per_flop=power / compute,
                chips_a=first.chips_per_system, chips_b=second.chips_per_system,
                per_chip_a=first.bf16_dense_tflops / first.chips_per_system,
                per_chip_b=second.bf16_dense_tflops / second.chips_per_system)


def _short(system: str) -> str:
    return system.replace("Huawei ", "").replace("NVIDIA ", "")


def system_takeaway(table: pd.DataFrame, a: str = SYSTEM_A, b: str = SYSTEM_B) -> str:
    r = system_ratios(table, a, b)
    fewer = 1 / r["compute_per_kw"]
    return (f"{_short(a)} has {r['compute']:.2g}× the compute of the {_short(b)} and {r['memory']:.2g}× the memory, "
            f"at {r['power']:.2g}× the power: {fewer:.2g}× less compute per kW. It wins by integrating "
            f"{r['chips_a']:.0f} chips of {r['per_chip_a']:,.0f} TFLOPS each against {r['chips_b']:.0f} of "
            f"{r['per_chip_b']:,.0f}, not by a better chip.")
