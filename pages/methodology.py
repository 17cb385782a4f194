"""Methodology & sources: the model in plain words, parameters, sources, validation, known limits."""
import streamlit as st

from chokepoint import MODEL_VERSION, views
from chokepoint.params import Scenario
from chokepoint.ui import resources, shell

context = shell.page_context()

st.title("Methodology & sources")
shell.scenario_caption(context)
st.markdown(f"""
**The model (version {MODEL_VERSION}), in plain words.** For each year 2024–2030:

1. **Demand.** China wants to spend a budget on AI accelerators: ~$22B in 2024, ~$40B in 2025, then growing
   (default 36% a year, from Bernstein's $37B → $69B). This is *desired* spend; what cannot be served is unmet demand.
2. **Policy gates.** A mandated domestic-only segment grows with `self_reliance`; an informal gate makes US parts less
   attractive; US licences decide which chips may ship, how many, and with what fee (`export_controls`).
3. **Choice.** In the open segment buyers choose by a logit pivoted on 2024's shares, moved only by price-performance
   changes and the domestic ecosystem growing with its installed base (where CUDA lock-in erodes).
4. **Domestic supply.** Wafers × share for AI × good dies (yield learning by Wright's law, slowed by tool controls)
   plus stockpiled TSMC dies, capped by HBM (imported stock, imports while allowed, domestic HBM).
5. **Grey channel.** Smuggling grows with the gap between frontier and legal parts and shrinks with enforcement.
6. **Rationing.** A vendor cannot sell beyond capacity or licences; rationed open-segment buyers turn to the other
   side where they can.
7. **Revenue.** Nvidia and AMD: data-centre sales plus other China revenue; other designers: base China revenue less
   an exposure that grows with controls and substitution; equipment makers: China's tool spend × foreign share ×
   (1 − share blocked by licences). Revenue at risk = counterfactual (no controls, no push) − scenario.
8. **Worldwide.** Rest-of-world spend is exogenous; Nvidia's rest-of-world share is a judgment parameter.

**What drives what.** MODEL.md expects the domestic share to be supply-driven and Nvidia's China revenue
preference-driven. In this model, from 2026 domestic output is almost always capped by HBM (wafer capacity has
slack), so SMIC capacity, yield and learning barely move the outputs, while HBM output and growth, budget growth,
the informal import gate and smuggling do. The live tornado on the **Uncertainty & drivers** page shows the ranking
for any output and year.
""")

st.subheader("Levers and their regimes")
for lever in ("export_controls", "self_reliance"):
    st.markdown(f"**`{lever}`**: " + " · ".join(f"**{v:g}** {label}" for v, label in context.inputs.anchors[lever]))

st.subheader("Parameters")
parameters = resources.table("model_parameters").copy()
parameters["basis"] = [b if b == "judgment" else f"{b}: {s}" for b, s in zip(parameters.basis, parameters.source_ids.fillna(""))]
st.dataframe(parameters[["group", "name", "label", "default", "low", "high", "unit", "basis", "note"]],
             hide_index=True, width="stretch")

st.subheader("Validation: the 2024 calibration and 2025 replay against published figures")
validation = resources.validation().copy()
validation["result"] = validation.passed.map({True: "pass", False: "FAIL"})
validation["sources"] = [resources.cite(s) if s else "not in the reference facts (labelled judgment)"
                         for s in validation.source_ids]
st.dataframe(validation[["description", "year", "published_value", "low", "high", "model_value", "unit", "result",
                         "sources", "note"]], hide_index=True, width="stretch")
st.caption("Known conflict, explained rather than forced: IDC's 2025 Nvidia unit share (55%, 2.2M cards) cannot be "
           "reconciled with Nvidia's revenue filings at H20 prices; it most likely counts gaming and workstation cards.")

st.subheader("Broad-semiconductor check against BCG (March 2020)")
bcg_rows = []
comparisons = []
for label, ec, sr, published, bcg_pct in (("Continued escalation (export_controls=75, self_reliance=60)", 75, 60,
                                           "-16% of revenue, -8 pts of global share (F219)", 16),
                                          ("Ban on all US chip sales to China (Both sides hawkish)", 100, 100,
                                           "-37% of revenue, -18 pts of global share (F220)", 37)):
    run = resources.results(Scenario.create(ec, sr, inputs=context.inputs).key())
    firms = [c for c, _, total in context.inputs.designers + context.inputs.equipment_makers
             if c in views.US_FIRMS and total == total]
    at_risk = sum(run.value("revenue_at_risk_usd_bn", c, 2028) for c in firms)
    totals = sum(t for c, _, t in context.inputs.designers + context.inputs.equipment_makers if c in firms)
    bcg_rows.append({"setting": label, "BCG (3-5 years)": published,
                     "model, 2028: US firms' China revenue at risk": f"${at_risk:,.1f}B",
                     "as % of their base-year revenue": f"{100 * at_risk / totals:.0f}%"})
    model_pct = 100 * at_risk / totals
    position = "near" if abs(model_pct - bcg_pct) <= 5 else ("above" if model_pct > bcg_pct else "below")
    comparisons.append(f"{label.split(' (')[0].lower()}: {model_pct:.0f}% against BCG's {bcg_pct}% ({position})")
st.dataframe(bcg_rows, hide_index=True, width="stretch")
st.caption("How it compares: " + "; ".join(comparisons) + ". BCG modelled all US semiconductor firms (memory, analog, "
           "logic) over 3-5 years; the model covers the US firms in the data (Broadcom and TI left out: their total "
           "revenue is not sourced), and its counterfactual includes China's fast-growing AI-chip demand that Nvidia "
           "would otherwise serve, which pushes escalation settings above BCG's figure.")

st.subheader("Chip and system specifications")
st.dataframe(resources.table("chip_specs"), hide_index=True, width="stretch",
             column_config={"tflops_per_kw": st.column_config.NumberColumn("BF16 TFLOPS per kW", format="%.0f")})

st.subheader("Sources")
sources = resources.table("sources")
st.dataframe(sources, hide_index=True, width="stretch",
             column_config={"url": st.column_config.LinkColumn("Address"), "source_id": "Id"})

st.subheader("Known limits")
st.markdown("""
- No price equilibrium: average prices are set per regime.
- Rest-of-world shares are exogenous.
- The budget is desired spend, so unmet demand can be large: the pages show realised and desired spend.
- Several mappings are judgment and labelled so (see the basis column above).
- China revenue in filings is by billing location, not end customer; fiscal years differ by company.
- Revenue is counted as filed (gross); US licence fees are shown separately.
- US vendors' share of *realised* spend can tick up slightly when tighter tool and HBM controls shrink domestic
  output; the model guarantees only that tighter controls never raise US vendors' legal sales.
""")
