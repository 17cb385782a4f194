"""Claims, checked: every claim cites real sources, every figure resolves to the row it names, the text follows
the house rules, and every verdict the data or the model can decide is recomputed here (threshold conditions by
the engine itself, at the reported lever value and just past it), so a change that flips one fails loudly."""
import csv
import math
import re
import shutil

import pytest

from chokepoint import claims, formatting, systems
from chokepoint.data import DEFAULT_DATA_DIR, DataError, build_database, run_query
from chokepoint.engine import load_model_inputs, run_scenario
from chokepoint.params import Scenario
from chokepoint.uncertainty import odds_text, seek
from chokepoint.views import Results

with (DEFAULT_DATA_DIR / "claims.csv").open(newline="", encoding="utf-8") as _handle:
    ROWS = list(csv.DictReader(_handle))
THRESHOLD_IDS = [r["claim_id"] for r in ROWS if r["condition_kind"] == "threshold"]
FIGURE_IDS = [r["claim_id"] for r in ROWS if r["condition_kind"] == "figure"]


@pytest.fixture(scope="module")
def checked(inputs, database):
    return claims.check_claims(inputs, database)


@pytest.fixture(scope="module")
def by_id(checked):
    return {c.claim_id: c for c in checked}


@pytest.fixture(scope="module")
def sources(database):
    return run_query("sources", database).set_index("source_id")


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def sentence_count(text: str) -> int:
    """Sentences in plain prose (a full stop, ! or ? followed by a space or the end; decimals do not count)."""
    return len(_SENTENCE_END.findall(text.strip()))


def quoted_spans(text: str) -> list[str]:
    return re.findall(r"[\"“”]([^\"“”]*)[\"“”]", text)


def engine_output(condition, inputs, settings) -> float:
    """The condition's output from a plain deterministic engine run (not the batched grid)."""
    run = Results(run_scenario(Scenario.create(settings["export_controls"], settings["self_reliance"], inputs=inputs),
                           inputs).rows())
    return condition.output_of(run.value)


# ------------------------------------------------------------------------------------------ coverage

def test_the_seed_articles_checkable_claims_are_all_there(by_id):
    article = {cid: c for cid, c in by_id.items() if c.made_by.startswith("Seed article")}
    text = {cid: c.claim.lower() for cid, c in article.items()}
    assert any("700,000" in t and "three times" in t for t in text.values()), "Huawei's 2025 volume"
    scale = [cid for cid, t in text.items() if "cloudmatrix" in t and "efficiency" not in t]
    efficiency = [cid for cid, t in text.items() if "cloudmatrix" in t and "efficiency" in t]
    assert scale and efficiency, "the scale claim and the efficiency claim are checked separately"
    assert any("revenue" in t for t in text.values())
    assert any("export controls" in t and "contain" in t for t in text.values())
    assert any("outpac" in t or "overtake" in t for t in text.values())


def test_verdict_labels_are_the_five_and_all_are_used(checked):
    assert {c.verdict for c in checked} == set(formatting.VERDICTS)


def test_every_claim_is_attributed_and_paraphrased_briefly(checked):
    for claim in checked:
        assert claim.made_by.strip(), claim.claim_id
        assert len(claim.claim) <= 200, claim.claim_id
        for text in (claim.claim, claim.explanation):
            for quote in quoted_spans(text):
                assert len(quote.split()) <= 8, (claim.claim_id, quote)


# ------------------------------------------------------------------------------------------ sources

def test_every_claim_cites_sources_that_exist_and_are_verified(checked, sources):
    for claim in checked:
        assert claim.source_ids, f"{claim.claim_id} cites no source"
        for source_id in claim.source_ids:
            assert source_id in sources.index, (claim.claim_id, source_id)
            assert sources.loc[source_id, "confidence"] != "from-memory-unverified", (claim.claim_id, source_id)


def test_every_figure_resolves_to_the_sources_it_declares(checked, sources):
    for claim in checked:
        keys = [f.key for f in claim.figures]
        assert len(keys) == len(set(keys)), claim.claim_id
        for figure in claim.figures:
            assert math.isfinite(figure.value), (claim.claim_id, figure.key)
            if figure.dataset in ("china_market_estimates", "chip_specs", "company_financials"):
                assert figure.source_ids, (claim.claim_id, figure.key)
                assert set(figure.declared_ids) == set(figure.source_ids), (claim.claim_id, figure.key)
            else:
                assert figure.declared_ids == (), (claim.claim_id, figure.key, "sources come from the parts")
            if figure.dataset == "model":
                assert figure.source_ids == ()
            assert set(figure.source_ids) <= set(claim.source_ids), (claim.claim_id, figure.key)
            assert all(s in sources.index for s in figure.source_ids)


def test_facts_in_the_cards_match_the_data(by_id, database):
    specs = run_query("chip_specs", database).set_index("system")
    figures = {f.key: f for f in by_id["C03"].figures}
    assert figures["cm_compute"].value == specs.loc["Huawei CloudMatrix 384", "bf16_dense_tflops"] == 300000
    assert figures["nvl_compute"].value == specs.loc["NVIDIA GB200 NVL72", "bf16_dense_tflops"] == 180000
    assert (figures["cm_power"].text, figures["nvl_power"].text) == ("560 kW", "145 kW")
    assert "300 PFLOPS" in by_id["C02"].explanation and "180 PFLOPS" in by_id["C02"].explanation
    volume = {f.key: f.value for f in by_id["C01"].figures}
    assert (volume["mizuho"], volume["commerce"], volume["idc_huawei"]) == (700000, 200000, 812000)
    assert "700k is 3.5× the Commerce Department's ceiling of 200k" in by_id["C01"].explanation


@pytest.mark.parametrize("value,unit,shown", [
    (0.41, "fraction", "41%"), (0.0262, "fraction", "2.62%"), (62.53, "pct", "62.5%"), (13, "pct", "13%"),
    (15.53, "USD bn", "$15.5B"), (812000, "units", "812k"), (1650000, "units", "1.65M"), (22066, "units", "22.1k"),
    (float("nan"), "units", "n/a"),
])
def test_figures_in_prose_use_the_apps_spelling(value, unit, shown):
    """Shares, percentages, money and units are written as everywhere else in the app (three significant digits)."""
    assert claims.format_figure(value, unit) == shown == formatting.number(value, unit, digits=3)


@pytest.mark.parametrize("value,unit,shown", [
    (300000, "TFLOPS", "300 PFLOPS"), (780, "TFLOPS", "780 TFLOPS"), (560, "kW", "560 kW"), (49152, "GB", "49,152 GB"),
    (1228.8, "TB/s", "1,229 TB/s"), (384, "chips", "384"), (4.06, "times", "4.1×"),
    (535.71, "TFLOPS per kW", "536 TFLOPS per kW"),
])
def test_spec_units_keep_their_own_spelling(value, unit, shown):
    assert claims.format_figure(value, unit) == shown


def test_a_selector_that_matches_no_row_names_the_claim(data_copy):
    path = data_copy / "claim_figures.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("year=2025; vendor=Huawei; metric=units",
                                                             "year=2019; vendor=Huawei; metric=units", 1),
                    encoding="utf-8")
    database = build_database(data_copy)
    with pytest.raises(DataError, match=r"claim_figures.csv \(C01/idc_huawei\).*matches 0 rows"):
        claims.check_claims(load_model_inputs(database), database)


@pytest.mark.parametrize("file,old,new,message", [
    ("claim_figures.csv", "metric=domestic_share_value; entity=Domestic (all); year=2025,",
     "metric=domestic_share_value; entity=Domestic (all); year=2O25,", "year '2O25' is not a whole number"),
    ("claim_figures.csv", "run=controls_off; metric=domestic_share_value",
     "run=controls_off; metric=china_revenue_usd_bn", "revenue metrics are only available for run=scenario"),
    ("claims.csv", "export_controls,As announced for 2026,domestic_supply", "export_controls,nan,domestic_supply",
     "the other lever must be held at a whole number 0-100, got nan"),
    ("claims.csv", "Domestic (all),,2030,above,0.5,", "Domestic (all),,2026,above,0.5,",
     "a threshold condition needs a year the levers act on (2027-2032), got 2026"),
])
def test_a_malformed_claims_file_is_a_named_data_problem(data_copy, file, old, new, message):
    """Not a ValueError or a silently wrong figure: the file, the claim and the problem."""
    path = data_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    database = build_database(data_copy)
    with pytest.raises(DataError, match=re.escape(message)):
        claims.check_claims(load_model_inputs(database), database)


# ------------------------------------------------------------------------------------------ text

# Numbers in an explanation come from the data or the model through placeholders; what is left may only be
# years and product names.
PRODUCT_NUMBERS = re.compile(
    r"\b(?:BF16|CloudMatrix 384|GB200 NVL72|NVL72|GB200|B200|910[BC]|H20|H100|H200|A100|10-K)\b")
YEAR = re.compile(r"^(19|20)\d\d$")


def test_explanations_are_two_sentences_with_every_placeholder_filled(checked):
    for claim in checked:
        assert sentence_count(claim.explanation) == 2, (claim.claim_id, claim.explanation)
        assert "{" not in claim.explanation and "}" not in claim.explanation, claim.claim_id


def test_explanations_hard_code_no_numbers(checked):
    for claim in checked:
        template = re.sub(r"\{[^}]*\}", "", claim.explanation_template)
        template = PRODUCT_NUMBERS.sub("", template)
        for number in re.findall(r"\b\d[\d,.]*", template):
            assert YEAR.match(number.rstrip(".,")), (claim.claim_id, number)


def test_conditions_are_only_where_the_kind_says(checked):
    for claim in checked:
        assert (claim.condition is not None) == (claim.condition_kind == "threshold"), claim.claim_id
        assert (claim.check is not None) == (claim.condition_kind == "figure"), claim.claim_id
        if claim.condition_kind == "none":
            assert claim.verdict in ("partly supported", "supported", "not checkable with this data",
                                     "contradicted"), claim.claim_id


# ------------------------------------------------------------------------------------------ figure checks

def csv_rows(name: str) -> list[dict]:
    with (DEFAULT_DATA_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def estimate(source: str, year: int, vendor: str, metric: str) -> float:
    """One value of data/china_market_estimates.csv, read as it is written."""
    (row,) = [r for r in csv_rows("china_market_estimates")
              if (r["estimate_source"], r["year"], r["vendor"], r["metric"]) == (source, str(year), vendor, metric)]
    return float(row["value"])


def spec(system: str, column: str) -> float:
    (row,) = [r for r in csv_rows("chip_specs") if r["system"] == system]
    return float(row[column])


def model_output(inputs, preset: str, metric: str, entity: str, year: int) -> float:
    """One output of a plain engine run at a preset's levers, as written in data/presets.csv."""
    (row,) = [r for r in csv_rows("presets") if r["preset"] == preset]
    scenario = Scenario.create(float(row["export_controls"]), float(row["self_reliance"]), inputs=inputs)
    (value,) = [v for _, y, m, e, v, _ in run_scenario(scenario, inputs).rows() if (y, m, e) == (year, metric, entity)]
    return value


CM, NVL = "Huawei CloudMatrix 384", "NVIDIA GB200 NVL72"
# Each figure claim worked out by hand from the raw rows: (the value it turns on, when the claim holds).
FIGURE_CLAIMS = {
    "C01": (lambda inputs: estimate("IDC", 2025, "Huawei", "units")  # shipped more than 3x the US ceiling
            / estimate("US Commerce", 2025, "Huawei", "production_units"), lambda v, t: v >= t),
    "C02": (lambda inputs: spec(CM, "bf16_dense_tflops") / spec(NVL, "bf16_dense_tflops"),  # rivals in compute
            lambda v, t: v >= t),
    "C03": (lambda inputs: (spec(NVL, "bf16_dense_tflops") / spec(NVL, "power_kw"))  # no more energy per FLOP
            / (spec(CM, "bf16_dense_tflops") / spec(CM, "power_kw")), lambda v, t: v <= t),
    "C08": (lambda inputs: estimate("IDC", 2025, "Huawei", "units")  # Huawei outpacing Nvidia (shipments in China)
            / estimate("IDC", 2025, "Nvidia", "units"), lambda v, t: v >= t),
    "C10": (lambda inputs: model_output(inputs, "As announced for 2026", "china_share_value", "Huawei", 2026),
            lambda v, t: v >= t),  # about half of the market: at least the threshold
}


def test_every_figure_claim_is_worked_out_by_hand():
    assert set(FIGURE_CLAIMS) == set(FIGURE_IDS)


@pytest.mark.parametrize("claim_id", FIGURE_IDS)
def test_figure_check_verdict_matches_the_stored_label(by_id, inputs, claim_id):
    """The figure, the threshold and whether the claim holds, recomputed from the raw rows (and, for a model
    figure, a plain engine run) without the claims code; then the verdict against data/claims.csv."""
    claim, check = by_id[claim_id], by_id[claim_id].check
    value_of, holds_when = FIGURE_CLAIMS[claim_id]
    value = value_of(inputs)
    (row,) = [r for r in ROWS if r["claim_id"] == claim_id]
    threshold = float(row["threshold"])
    figure = next(f for f in claim.figures if f.key == check.key)
    assert figure.value == pytest.approx(value, rel=1e-12), claim_id
    assert check.threshold == threshold, claim_id
    assert check.holds == holds_when(value, threshold), (claim_id, value, threshold)
    assert check.verdict == ("supported" if holds_when(value, threshold) else "contradicted")
    assert check.verdict == claim.verdict, (
        f"{claim_id}: the figures now say '{check.verdict}' but data/claims.csv says '{claim.verdict}'")


def test_a_data_change_that_flips_a_verdict_is_caught(data_copy):
    """If CloudMatrix 384 drew 100 kW, its efficiency claim would hold: the computed verdict must move."""
    path = data_copy / "chip_specs.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["system"] == "Huawei CloudMatrix 384":
            row["power_kw"] = "100"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    database = build_database(data_copy)
    flipped = {c.claim_id: c for c in claims.check_claims(load_model_inputs(database), database)}
    assert flipped["C03"].computed_verdict == "supported" != flipped["C03"].verdict


# ------------------------------------------------------------------------------------------ threshold checks

@pytest.mark.parametrize("claim_id", THRESHOLD_IDS)
def test_threshold_verdict_matches_the_stored_label(by_id, claim_id):
    claim = by_id[claim_id]
    assert claim.condition.verdict == claim.verdict, (
        f"{claim_id}: the model now says '{claim.condition.verdict}' ({claim.condition_sentence}) but "
        f"data/claims.csv says '{claim.verdict}'")


@pytest.mark.parametrize("claim_id", THRESHOLD_IDS)
def test_threshold_boundaries_are_recomputed_by_the_engine(by_id, inputs, claim_id):
    """At each reported lever value the claim holds, one step past it it does not: both from a plain run."""
    condition = by_id[claim_id].condition
    for holding, outside in condition.boundaries:
        inside_output = engine_output(condition, inputs, condition.settings(holding))
        outside_output = engine_output(condition, inputs, condition.settings(outside))
        assert condition.holds_for(inside_output), (claim_id, holding, inside_output)
        assert not condition.holds_for(outside_output), (claim_id, outside, outside_output)
        assert str(holding) in condition.sentence


@pytest.mark.parametrize("claim_id", THRESHOLD_IDS)
def test_threshold_verdict_is_recomputed_by_the_engine(by_id, inputs, claim_id):
    """Spot checks of the whole-grid verdict with plain engine runs."""
    condition = by_id[claim_id].condition
    corners = [{"export_controls": ec, "self_reliance": sr} for ec in (0, 100) for sr in (0, 100)]
    base = {"export_controls": condition.base[0], "self_reliance": condition.base[1]}
    if condition.verdict == "contradicted":
        best, (ec, sr) = condition.best
        at_best = engine_output(condition, inputs, {"export_controls": ec, "self_reliance": sr})
        assert at_best == pytest.approx(best, rel=1e-9)
        assert not condition.holds_for(at_best)
        for settings in corners + [base]:
            assert not condition.holds_for(engine_output(condition, inputs, settings)), settings
    elif condition.verdict == "supported":
        for settings in corners + [base]:
            assert condition.holds_for(engine_output(condition, inputs, settings)), settings
    else:
        holds = condition.nearest(True)
        fails = condition.nearest(False)
        assert condition.holds_for(engine_output(condition, inputs, dict(zip(("export_controls", "self_reliance"),
                                                                             holds))))
        assert not condition.holds_for(engine_output(condition, inputs, dict(zip(("export_controls",
                                                                                  "self_reliance"), fails))))


# Threshold claims made up so that every way a single crossing can fall along a cut is checked against goal-seek:
# the claim holding from the crossing up to 100 or from 0 up to the crossing, along either lever, with the other
# lever held at a preset or at a number. (C12, in the real file, is the first of these.)
SYNTHETIC = {  # claim_id -> (metric, entity, year, comparison, threshold, lever, other_lever)
    "S1": ("domestic_share_value", "Domestic (all)", 2030, "below", "0.5", "self_reliance", "As announced for 2026"),
    "S2": ("china_units", "Domestic (all)", 2028, "above", "3000000", "export_controls", "90"),
    "S3": ("china_units", "Domestic (all)", 2028, "below", "3000000", "export_controls", "90"),
}
CROSSINGS = [  # (claim_id, lever, where the claim holds along it)
    ("C12", "self_reliance", "up to 100"),
    ("S1", "self_reliance", "from 0"),
    ("S2", "export_controls", "from 0"),
    ("S3", "export_controls", "up to 100"),
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The real data with the SYNTHETIC claims added to data/claims.csv, checked; and its model inputs."""
    data = tmp_path_factory.mktemp("synthetic") / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    with (data / "claims.csv").open(newline="", encoding="utf-8") as handle:
        fields = csv.DictReader(handle).fieldnames
    with (data / "claims.csv").open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        for claim_id, (metric, entity, year, comparison, threshold, lever, other) in SYNTHETIC.items():
            writer.writerow(dict(
                claim_id=claim_id, claim="A made-up threshold claim.", made_by="tests/test_claims.py",
                verdict="depends on the scenario", explanation="It holds {condition}.", source_ids="",
                condition_kind="threshold", metric=metric, entity=entity, versus="", year=year,
                comparison=comparison, threshold=threshold, lever=lever, other_lever=other, page="china_market"))
    database = build_database(data)
    inputs = load_model_inputs(database)
    return {c.claim_id: c for c in claims.check_claims(inputs, database)}, inputs


@pytest.mark.parametrize("claim_id,lever,side", CROSSINGS)
def test_single_crossings_agree_with_goal_seek(by_id, inputs, synthetic, claim_id, lever, side):
    """Where the claim holds on one side of one crossing, uncertainty.seek (a 0.1 grid) finds the same place."""
    if claim_id in SYNTHETIC:
        by_id, inputs = synthetic
    condition = by_id[claim_id].condition
    runs = condition.intervals
    assert condition.versus is None and condition.lever == lever, claim_id
    assert len(runs) == 1 and runs[0] != (0, 100), f"{claim_id} no longer crosses its threshold once: {runs}"
    low, high = runs[0]
    assert (high == 100 if side == "up to 100" else low == 0), (claim_id, runs)
    other = {condition.other_lever: condition.other_value}
    scenario = Scenario.create(other.get("export_controls"), other.get("self_reliance"), inputs=inputs)
    found = seek(scenario, inputs, condition.lever, condition.metric, condition.entity, condition.year,
                 condition.threshold, keep=condition.comparison, band=False)
    assert found.value is not None, found.message
    if high == 100:
        assert math.ceil(found.value - 1e-9) == low, found.message
    else:
        assert math.floor(found.value + 1e-9) == high, found.message


@pytest.mark.parametrize("claim_id", THRESHOLD_IDS)
def test_links_open_the_dashboard_at_whole_number_settings(by_id, claim_id):
    condition = by_id[claim_id].condition
    links = claims.condition_links(condition)  # as the page lists them
    assert links
    for label, url in links:
        assert url.startswith(f"/{condition.page}?")
        query = dict(part.split("=") for part in url.split("?", 1)[1].split("&"))
        for lever in ("export_controls", "self_reliance"):
            value = float(query[lever])
            assert value == int(value) and 0 <= value <= 100, url
        assert int(query["year"]) == condition.year


# ------------------------------------------------------------------------------------------ systems

def test_system_comparison_matches_semianalysis(database):
    """F075: 3.9x the power, 2.3x the power per FLOP, 3.6x the HBM, 2.1x the bandwidth; F071: 1.7x compute."""
    table = systems.system_table(database)
    ratios = systems.system_ratios(table)
    assert round(ratios["power"], 1) == 3.9
    assert round(ratios["energy_per_flop"], 1) == 2.3
    assert round(1 / ratios["compute_per_kw"], 1) == 2.3
    assert round(ratios["memory"], 1) == 3.6
    assert round(ratios["bandwidth"], 1) == 2.1
    assert round(ratios["compute"], 1) == 1.7
    takeaway = systems.system_takeaway(table)
    for part in ("1.7×", "3.9×", "2.3×", "384", "72"):
        assert part in takeaway
    assert list(table.kind[:2]) == ["system", "system"]
    assert table.tflops_per_kw.notna().sum() >= 4


def test_sentence_count_ignores_decimals():
    assert sentence_count("It is 3.9× the power. That is $15.5B.") == 2


# ------------------------------------------------------------------------------------------------- odds

@pytest.mark.parametrize("claim_id", THRESHOLD_IDS)
def test_threshold_claims_get_the_share_of_plausible_draws_in_which_they_hold(by_id, inputs, claim_id):
    """Recomputed from the conditioned draws at the claim's setting: each draw's output, weighted."""
    from chokepoint.uncertainty import run_draws

    claim = by_id[claim_id]
    condition, odds = claim.condition, claim.odds
    draws = run_draws(Scenario.create(*condition.base, inputs=inputs), inputs, 1000)
    output = draws.values(condition.metric, condition.entity, condition.year)
    if condition.versus:
        output = output - draws.values(condition.metric, condition.versus, condition.year)
    holds = output >= condition.threshold if condition.comparison == "above" else output <= condition.threshold
    assert odds.share == pytest.approx(float(draws.weights[holds].sum()), abs=1e-12)
    assert odds.effective == pytest.approx(draws.ess) and odds.draws == 1000
    assert f"export_controls {condition.base[0]:g} and self_reliance {condition.base[1]:g}" in odds.where
    assert odds.sentence.startswith("It holds in " if odds.share > 0 else ("It holds in no" if not odds.outside
                                                                            else "Outside the model's range"))


def test_odds_differ_from_the_verdict_at_the_defaults(by_id):
    """C11 (domestic vendors above 80% of China's spend in 2027) fails at every lever setting at the defaults,
    yet some plausible draws reach it at the announced settings; C10 holds at the defaults, not in every draw."""
    assert by_id["C11"].computed_verdict == "contradicted" and 0 < by_id["C11"].odds.share < 0.5
    assert by_id["C10"].computed_verdict == "supported" and 0.5 < by_id["C10"].odds.share < 1
    assert by_id["C10"].odds.label == f"Holds in {odds_text(by_id['C10'].odds.share)} of plausible draws"
    for claim in by_id.values():  # odds exactly where the claim is tested against the model
        model_check = claim.check is not None and next(f for f in claim.figures if f.key == claim.check.key).is_model
        assert (claim.odds is not None) == (claim.condition is not None or model_check), claim.claim_id


@pytest.mark.parametrize("share,best,label,lead", [
    (0.72, None, "Holds in 72% of plausible draws", "It holds in 72% of plausible draws at A"),
    (0.004, None, "Holds in under 1% of plausible draws", "It holds in under 1% of plausible draws at A"),
    (0.999, None, "Holds in over 99% of plausible draws", "It holds in over 99% of plausible draws at A"),
    (0.0, 0.3, "Holds in no plausible draw here", "It holds in no plausible draw at A, but in 30% of them at B"),
    (0.0, 0.0, "Outside the model's range", "Outside the model's range: no plausible draw reaches it at A, nor at B"),
    (0.0, None, "Outside the model's range", "Outside the model's range: no plausible draw reaches it at A ("),
])
def test_odds_in_words(share, best, label, lead):
    odds = claims.Odds(share, "at A", 100.0, 1000, best, "at B" if best is not None else "")
    assert odds.label == label
    assert odds.sentence.startswith(lead) and odds.sentence.endswith("100 effective).")


# ------------------------------------------------------------------------------------------ what the page shows

def _claim(claim_id="X1", verdict="supported", *, holds=None, odds=None, figures=(), source_ids=("F1",),
           template="It is so. Truly."):
    check = None if holds is None else claims.FigureCheck("k", "above", 1.0, holds, "Check.")
    return claims.CheckedClaim(claim_id, "A claim.", "Someone", verdict, template, template, tuple(source_ids),
                               tuple(figures), "none" if holds is None else "figure", None, check, odds)


def _figure(key, dataset, source_ids=()):
    return claims.Figure(key, key, dataset, 1.0, "units", tuple(source_ids), ())


@pytest.mark.parametrize("share,band", [(1.0, "likely"), (0.9, "likely"), (0.899, "uncertain"), (0.5, "uncertain"),
                                        (0.101, "uncertain"), (0.1, "unlikely"), (0.0, "unlikely")])
def test_odds_bands(share, band):
    assert claims.odds_band(claims.Odds(share, "at A", 100.0, 1000)) == band


def test_a_badge_shows_the_odds_of_a_model_claim_and_the_current_verdict_of_any_other():
    odds = claims.Odds(0.72, "at A", 100.0, 1000)
    assert claims.badge(_claim(odds=odds)) == ("Holds in 72% of plausible draws", "uncertain")
    assert claims.badge(_claim(verdict="partly supported")) == ("Partly supported", "partly supported")
    # a figure check that no longer holds: the badge says what the data say now, and the claim needs review
    stale = _claim(verdict="supported", holds=False)
    assert claims.badge(stale) == ("Contradicted", "contradicted") and stale.needs_review
    assert not _claim(verdict="supported", holds=True).needs_review and not _claim().needs_review


def test_the_tally_counts_each_claim_once_by_its_current_verdict_in_the_shared_order():
    checked = [_claim("A", "contradicted"), _claim("B", "supported", holds=False), _claim("C", "supported"),
               _claim("D", "not checkable with this data", odds=claims.Odds(0.5, "at A", 100.0, 1000))]
    counts = claims.verdict_counts(checked)
    assert list(counts.items()) == [("supported", 1), ("contradicted", 2), ("not checkable with this data", 1)]
    assert claims.summary(checked) == (
        "4 claims.", "Verdicts at the parameter defaults: Supported: 1 · Contradicted: 2 · Not checkable with this "
                     "data: 1. 1 depend on the model and are shown with their odds.")


def test_the_real_tally_matches_the_stored_labels(checked):
    """Every computed verdict agrees with data/claims.csv (tested above), so the tally is the file's own count."""
    from collections import Counter
    stored = Counter(row["verdict"] for row in ROWS)
    assert claims.verdict_counts(checked) == {v: stored[v] for v in formatting.VERDICTS if stored[v]}


def test_where_figures_come_from_and_the_sources_no_figure_reads():
    model, ratio, row = _figure("m", "model"), _figure("r", "ratio", ("F1", "F2")), _figure("d", "chip_specs", ["F1"])
    assert claims.figure_origin(model) == "Chokepoint model (engine run at the parameter defaults)"
    assert claims.figure_origin(ratio) == "arithmetic on the figures above (F1, F2)"
    assert claims.figure_origin(row) is None  # the page cites its sources
    claim = _claim(figures=(model, row), source_ids=("F1", "F3", "F2"))
    assert claim.other_source_ids == ("F3", "F2")


def test_a_claim_whose_explanation_says_when_it_holds_is_not_told_twice():
    assert _claim(template="It holds {condition}. Fine.").explains_condition
    assert not _claim(template="It holds. Fine.").explains_condition

