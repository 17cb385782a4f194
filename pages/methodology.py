"""Methodology & sources: the model in plain words, parameters, sources, validation, known limits. A split page: a
slider move redraws only the scenario line (it redrew the whole page: 52 ms of server CPU a move)."""
import streamlit as st

from chokepoint import MODEL_VERSION, views
from chokepoint.params import Scenario
from chokepoint.ui import resources, shell
from chokepoint.formatting import number


@st.cache_resource(show_spinner=False, max_entries=4)
def _corners(data_version: str):
    """The corner table; ~10 ms, once per data version (a process-wide, immutable list of dicts)."""
    from chokepoint.corners import corner_rows
    return corner_rows(resources.model_inputs())


@st.cache_resource(show_spinner=False, max_entries=4)
def _ladder(data_version: str):
    """The lever ladder as a table: rung, regime, what it imposes, sources (cited in full)."""
    return [{**{k: v for k, v in rung.items() if k != "source_ids"},
             "sources": resources.cite(";".join(rung["source_ids"])) if rung["source_ids"] else "judgment"}
            for rung in views.ladder(resources.model_inputs())]


@st.cache_resource(show_spinner=False, max_entries=4)
def _checks(data_version: str):
    """The plausibility checks over 1,111 settings; ~1 s, once per data version."""
    from chokepoint.check import check_table
    return check_table(resources.model_inputs())


@shell.split_page
def page(frame) -> None:
    st.title("Methodology & sources")
    shell.live(shell.scenario_caption)  # the only part that follows the levers: a move redraws nothing else
    st.markdown(f"""
    **The model (version {MODEL_VERSION}), in plain words.** For each year 2024–2032; 2024 is calibrated, 2025 and
    2026 are replayed as they happened (within each year, the regime of each part of the year), and the levers act
    from 2027.

    1. **One set of accounts.** China's *desired* AI-chip spend (~$22B in 2024, ~$40B in 2025, then +36% a year to
       2028 and +20% after) = legal US/allied sales + domestic sales + grey-market (smuggled) sales + unmet demand, in
       every year of every scenario. 2024's realised spend equals its desired spend and reproduces the calibrated shares.
    2. **Captive demand.** In-house accelerators (T-Head, Kunlunxin), state buyers and installed-base lock-in buy
       domestic parts whatever the controls (the captive floor, 10%); `self_reliance` adds a mandated segment that
       bites only at a strong push and moves halfway to its target each year.
    3. **Choice.** The open segment chooses by a logit pivoted on 2024's shares, moved by price-performance (the best
       legal US part, net of any fee), an informal preference against US parts, and the domestic ecosystem growing with
       its installed base (where CUDA lock-in erodes).
    4. **The lever ladder.** Each `export_controls` rung sets the chip terms *and* the tool, HBM and enforcement levels
       its regime actually imposes (the H200 rung keeps the Dec-2024 tool and HBM rules). `self_reliance` rungs set
       China's import gate: the share of licensed US parts customs and guidance let in (2026: ~2%).
    5. **Grey channel.** Smuggling grows with the gap between the frontier and the best legal part and with what
       licences and customs withhold, saturating below a physical ceiling that enforcement shrinks, and never more than
       half of the demand for US parts. Calibrated to CNAS (~140k chips, 2024), the FT (≥$1B a quarter, 2025), DOJ cases.
    6. **Domestic supply.** Advanced wafers × AI share × good dies (Wright's-law yield learning, slowed by tool
       controls) plus the TSMC-made die bank, capped by HBM: the imported stock (drawn down until gone), imports while
       allowed, and domestic HBM. The push funds wafers and HBM with a one-year lag, up to ceilings.
    7. **Rationing.** Domestic vendors serve captive and open buyers within capacity; rationed open buyers turn to US
       parts (within licences and the gate, and partly to smugglers); blocked buyers take any domestic slack; the rest is
       unmet.
    8. **Revenue.** Nvidia and AMD: data-centre sales plus other China revenue; other designers: latest reported China
       revenue less an exposure to controls and substitution; equipment makers: China's tool spend × foreign share ×
       (1 − share blocked). Revenue at risk = the no-controls, no-push run − the scenario, split between the levers by a
       Shapley split; in % of the revenue the firm would have had that year (revenue outside China grown from the
       latest reported year, plus the counterfactual China revenue).
    9. **Worldwide.** Rest-of-world spend is exogenous; Nvidia's rest-of-world share is a judgment parameter.

    **What drives what.** Domestic output is supply-driven (HBM output and its growth, the imported HBM stock, the push
    that funds both), Nvidia's China revenue is gate- and preference-driven (China's import gate, the licence terms,
    budget growth). The live tornado on the **Uncertainty & drivers** page shows the ranking for any output and year.
    """)

    st.header("Model 2 — what changed and why")
    st.markdown("Model 1.1's numbers did not survive the settings an analyst tries first. The same settings today "
                "(computed live from the model and data on screen):")
    st.dataframe(_corners(frame.inputs.data_version), hide_index=True, width="stretch",
                 column_config={"setting": "Setting", "model_1_1": "Model 1.1 said", "model_2": f"Model {MODEL_VERSION} says"})

    st.header("Plausibility checks over the whole lever square")
    st.caption("`python -m chokepoint check` prints the same table and fails if a property fails.")
    checks = _checks(frame.inputs.data_version).copy()
    checks["result"] = checks.passed.map({True: "pass", False: "FAIL"})
    st.dataframe(checks[["name", "what", "measured", "result"]], hide_index=True, width="stretch")

    st.header("Levers and their regimes")
    st.markdown("Each `export_controls` rung imposes the tool, HBM and enforcement levels of the regime it names (an "
                "advanced lever left empty takes the rung's value, interpolated between rungs); each `self_reliance` "
                "rung sets China's import gate. No stricter rung loosens a control a laxer one kept (the loader checks).")
    st.dataframe(_ladder(frame.inputs.data_version), hide_index=True, width="stretch")

    st.header("Parameters")
    parameters = resources.table("model_parameters").copy()
    parameters["basis"] = [b if b == "judgment" else f"{b}: {s}" for b, s in zip(parameters.basis, parameters.source_ids.fillna(""))]
    st.dataframe(parameters[["group", "name", "label", "default", "low", "high", "unit", "basis", "note"]],
                 hide_index=True, width="stretch")

    st.header("Validation: what is evidence and what is calibration")
    validation = resources.validation().copy()
    validation["result"] = validation.passed.map({True: "pass", False: "FAIL"})
    validation["sources"] = [resources.cite(s) if s else "not in the reference facts (labelled judgment)"
                             for s in validation.source_ids]
    evidence = validation[validation.kind == "out-of-sample"]
    st.markdown(f"**Out-of-sample: {int(evidence.passed.sum())} of {len(evidence)} pass.** No parameter was set from "
                "these figures; each band is the sources' own spread. A target that fails is shown failing, with why.")
    st.dataframe(evidence[["description", "year", "published_value", "low", "high", "model_value", "unit", "result",
                           "explanation", "sources", "note"]], hide_index=True, width="stretch")
    calibration = validation[validation.kind == "calibration"]
    st.markdown(f"**Calibration: {len(calibration)} targets, shown, never counted as evidence.** A parameter was fitted "
                "to each (the last column says which), so agreement here is by construction.")
    st.dataframe(calibration[["description", "year", "published_value", "low", "high", "model_value", "unit", "result",
                              "fitted_by", "sources"]], hide_index=True, width="stretch")
    st.caption("Known conflict, explained rather than forced: IDC's 2025 Nvidia unit share (55%, 2.2M cards) cannot be "
               "reconciled with Nvidia's revenue filings at H20 prices; it most likely counts gaming and workstation cards.")

    st.header("Backtest: the model's track record")
    st.markdown("As a forecaster publishes a scorecard: for 2025, every input set with data from 2025 or later takes "
                "the value it had before (the list below); the recorded 2025 regime is replayed and each 2025 target "
                "scored. Then the same with data through 2025, for 2026. `python -m chokepoint validate --backtest` "
                "prints the same.")
    card = resources.backtest_card().copy()
    scores = resources.backtest_scorecard()
    st.markdown(" · ".join(f"**{r.year}** (data through {r.fitted_through}): {r.inside} of {r.targets} inside their "
                           f"band, median error {number(r.median_abs_error, 'fraction', digits=2)}" for r in scores.itertuples()))
    card["result"] = card.inside.map({True: "inside", False: "outside"})
    st.dataframe(card[["year", "description", "kind", "published_value", "low", "high", "model_value", "result",
                       "reverted"]], hide_index=True, width="stretch")

    st.header("Broad-semiconductor check against BCG (March 2020)")
    bcg_rows = []
    comparisons = []
    for label, ec, sr, published, bcg_pct in (("Continued escalation (export_controls=75, self_reliance=60)", 75, 60,
                                               "-16% of revenue, -8 pts of global share (F219)", 16),
                                              ("Ban on all US chip sales to China (Both sides hawkish)", 100, 100,
                                               "-37% of revenue, -18 pts of global share (F220)", 37)):
        run = resources.results(Scenario.create(ec, sr, inputs=frame.inputs).key())
        firms = [c for c, _, total in frame.inputs.designers + frame.inputs.equipment_makers
                 if c in views.US_FIRMS and total == total]
        at_risk = sum(run.value("revenue_at_risk_usd_bn", c, 2028) for c in firms)
        totals = sum(t for c, _, t in frame.inputs.designers + frame.inputs.equipment_makers if c in firms)
        bcg_rows.append({"setting": label, "BCG (3-5 years)": published,
                         "model, 2028: US firms' China revenue at risk": number(at_risk, "USD bn"),
                         "as % of their base-year revenue": f"{100 * at_risk / totals:.0f}%"})
        model_pct = 100 * at_risk / totals
        position = "near" if abs(model_pct - bcg_pct) <= 5 else ("above" if model_pct > bcg_pct else "below")
        comparisons.append(f"{label.split(' (')[0].lower()}: {model_pct:.0f}% against BCG's {bcg_pct}% ({position})")
    st.dataframe(bcg_rows, hide_index=True, width="stretch")
    st.caption("How it compares: " + "; ".join(comparisons) + ". BCG modelled all US semiconductor firms (memory, analog, "
               "logic) over 3-5 years; the model covers the US firms in the data (Broadcom and TI left out: their total "
               "revenue is not sourced), and its counterfactual includes China's fast-growing AI-chip demand that Nvidia "
               "would otherwise serve, which pushes escalation settings above BCG's figure.")

    st.header("Chip and system specifications")
    st.dataframe(resources.table("chip_specs"), hide_index=True, width="stretch",
                 column_config={"tflops_per_kw": st.column_config.NumberColumn("BF16 TFLOPS per kW", format="%.0f")})

    st.header("Sources")
    sources = resources.table("sources")
    st.dataframe(sources, hide_index=True, width="stretch",
                 column_config={"url": st.column_config.LinkColumn("Address"), "source_id": "Id"})

    st.header("Known limits")
    st.markdown("""
    - No price equilibrium: average prices are set per regime.
    - Rest-of-world shares are exogenous.
    - The budget is desired spend, so unmet demand can be large: the pages show realised and desired spend.
    - Several mappings are judgment and labelled so (see the basis column above).
    - China revenue in filings is by billing location, not end customer; fiscal years differ by company.
    - Revenue is counted as filed (gross); US licence fees are shown separately.
    - US vendors' share of *realised* spend can tick up slightly when tighter tool and HBM controls shrink domestic
      output; the model guarantees only that tighter controls never raise US vendors' legal sales.
    - Desired spend is exogenous: under strict settings much of it goes unmet (China's compute shortage), and the
      no-controls counterfactual behind revenue at risk serves all of it. Published forecasts of China's market
      ($54B in 2026, $189B in 2029, Frost & Sullivan) bracket the desired path.
    - Domestic vendors share one pool of wafers and HBM; Cambricon's 2025 rise is a calibrated preference step.
    - Revenue at risk in % grows each firm's revenue outside China from its latest reported year at a judgment rate
      (Nvidia: with the rest-of-world market); Broadcom's and TI's totals are not sourced, so their % is a gap.
    """)

