"""The shared sidebar: levers bound to the address bar under their command-line names.

URL values that are malformed, out of range or non-finite are dropped by the widgets (they fall back
to defaults); this module checks the raw address first so the user sees a notice saying so.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from chokepoint import views
from chokepoint.engine import rung_levels
from chokepoint.formatting import FIRST_LEVER_YEAR, YEARS
from chokepoint.params import ADVANCED_LEVERS, ADVANCED_PARAMETERS, HEADLINE_LEVERS, ModelInputs, Scenario, preset_scenario
from chokepoint.store import SavedScenario
from chokepoint.ui import saved

# Presets and Reset set bound widgets through st.session_state (the only way to move a URL-bound widget);
# Streamlit then logs a warning with a stack trace on every such run because the widget also has a
# default. The default is needed (it is what a link without the parameter means), so the warning is noise.
logging.getLogger("streamlit.elements.lib.policies").setLevel(logging.ERROR)

DEFAULT_REFERENCE = "As announced for 2026"
DEFAULT_YEAR = 2028
YEAR_RANGE = (FIRST_LEVER_YEAR, YEARS[-1])  # the years the levers act on: 2024-2026 are replayed history
# The sub-controls an export_controls rung imposes, as the sidebar names them (engine.rung_levels keys).
RUNG_NAMES = views.RUNG_NAMES
# Query keys the app owns; anything else in the address is reported and ignored.
OTHER_KEYS = {"reference", "year", "bands", "scenario", "compare", "present", "step", "deck", "embed", "embed_options"}


@dataclass(frozen=True)
class Context:
    scenario: Scenario
    reference: Scenario
    year: int
    inputs: ModelInputs
    saved: SavedScenario | None = None           # the saved scenario on screen, unchanged
    modified_from: SavedScenario | None = None   # the saved scenario this unsaved view started from
    migration_notes: tuple[str, ...] = ()
    bands: bool = True                           # draw Monte Carlo bands where a chart has them
    notices: tuple[str, ...] = ()                # what in the address could not be used as given

    @property
    def key(self):
        """The scenario on screen as a cache key (Scenario.key(); Scenario.settings() is the same as a dict)."""
        return self.scenario.key()

    @property
    def reference_key(self):
        return self.reference.key()


def _given(name: str, raw: str | None = None) -> str:
    """A key or key=value from the address, as a notice quotes it (escaped: it is link text)."""
    return saved.quoted(name, 30) if raw is None else saved.quoted(f"{name}={raw}", len(name) + 31)


def _check_number(name, raw_values, low, high, whole=False):
    if len(raw_values) != 1:
        return f"{_given(name)} appears {len(raw_values)} times"
    raw = raw_values[0]
    try:
        value = float(raw)
    except ValueError:
        return f"{_given(name, raw)} is not a number"
    if not math.isfinite(value):
        return f"{_given(name, raw)} is not a finite number"
    if not low <= value <= high:
        return f"{_given(name, raw)} is outside {low:g}–{high:g}"
    if whole and value != int(value):
        return f"{_given(name, raw)} is not a whole number"
    return None


def address_problems(query: dict[str, list[str]], inputs: ModelInputs) -> list[str]:
    """Problems with the raw query string, in words (Markdown; every piece of link text escaped with
    saved.quoted). `query` maps key -> all its values."""
    problems = []
    for key, values in query.items():
        if key in HEADLINE_LEVERS:
            lever = HEADLINE_LEVERS[key]
            problem = _check_number(key, values, lever.low, lever.high, whole=True)
        elif key in ADVANCED_LEVERS or key in ADVANCED_PARAMETERS:
            low, high = inputs.override_range(key)
            problem = _check_number(key, values, low, high)
        elif key == "year":
            problem = _check_number(key, values, *YEAR_RANGE, whole=True)
        elif key == "reference":
            problem = None if values and values[0] in inputs.presets and len(values) == 1 else \
                f"{_given(key, values[0] if values else '')} is not a preset"
        elif key in OTHER_KEYS:
            problem = None
        else:
            problem = f"{_given(key)} is not a setting of this app"
        if problem:
            problems.append(problem)
    return problems


def apply_settings(settings: dict[str, float]) -> None:
    """Set every lever's widget state (before the widgets are created in this run); levers the settings do
    not name go back to their defaults (advanced ones to empty). This module creates the widgets and is the
    only one that writes their state."""
    for name in ("export_controls", "self_reliance"):
        st.session_state[name] = int(round(settings.get(name, HEADLINE_LEVERS[name].default)))
    for key in (*ADVANCED_LEVERS, *ADVANCED_PARAMETERS):
        st.session_state[key] = settings.get(key)


def _apply_preset(name: str, inputs: ModelInputs) -> None:
    apply_settings(preset_scenario(name, inputs).settings())
    st.session_state.pop("address_notice", None)


def _reset() -> None:
    apply_settings({})
    st.session_state["reference"] = DEFAULT_REFERENCE
    st.session_state["year"] = DEFAULT_YEAR
    st.session_state.pop("address_notice", None)


def rung_caption(value: float, inputs: ModelInputs, levels: dict[str, float] | None = None) -> str:
    """The regime an export_controls value stands for and the tool, HBM and enforcement levels it imposes
    (`levels`: engine.rung_levels(value, inputs), if already at hand)."""
    levels = levels or rung_levels(value, inputs)
    imposed = " · ".join(f"{label} {levels[name]:.0f}" for name, label in RUNG_NAMES.items())
    return f"**{value:g}** — {inputs.anchor_label('export_controls', value)} · {imposed}"


_HELP: dict[tuple[str, str], str] = {}  # (data version, lever) -> help text: the same for every run and session


def _anchor_help(inputs: ModelInputs, lever: str) -> str:
    """The lever's rungs: the regime each stands for, what it imposes (export controls: the tool, HBM and
    enforcement levels of the ladder) and its sources (listed in full under Methodology & sources)."""
    key = (inputs.data_version, lever)
    if key not in _HELP:
        _HELP[key] = _ladder_help(inputs, lever)
    return _HELP[key]


def _ladder_help(inputs: ModelInputs, lever: str) -> str:
    lines = [HEADLINE_LEVERS[lever].help, ""]
    for rung in views.ladder(inputs):
        if rung["lever"] == lever:
            cited = f" (sources: {', '.join(rung['source_ids'])})" if rung["source_ids"] else " (judgment)"
            lines.append(f"- **{rung['rung']:g}** — {rung['regime']} · {rung['imposes']}{cited}")
    lines += ["", "Sources are listed in full on the Methodology & sources page."]
    return "\n".join(lines)


@dataclass(frozen=True)
class Frame:
    """What a full run of the app drew in the sidebar and decided, for `levers`: the two places the per-move
    part writes to (the headline levers at the top, the saved link under the Save form) and the values of the
    other controls. Those controls trigger a full run when used, so a Frame is never stale when it is used."""
    inputs: ModelInputs
    levers: object        # sidebar container for the two headline sliders
    link: object          # sidebar container for the saved message and permanent link
    reference: Scenario
    year: int
    bands: bool
    overrides: tuple[tuple[str, float], ...]


def _advanced_overrides(state) -> dict[str, float]:
    return {key: float(state[key]) for key in (*ADVANCED_LEVERS, *ADVANCED_PARAMETERS) if state.get(key) is not None}


def current_settings(inputs: ModelInputs) -> dict[str, float]:
    """The levers' settings from their widgets' state now (the Save button reads them when pressed)."""
    state = st.session_state
    return Scenario.create(state.get("export_controls", HEADLINE_LEVERS["export_controls"].default),
                           state.get("self_reliance", HEADLINE_LEVERS["self_reliance"].default),
                           _advanced_overrides(state), inputs).settings()


def render(inputs: ModelInputs) -> Frame:
    """The sidebar a full run draws: everything but the two headline sliders (drawn by `levers`, in the page's
    fragment, so a slider move reruns only them and the page; the rest is left as it is)."""
    if "address_notice" not in st.session_state:  # first run of this session: check the link as given
        query = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
        problems = address_problems(query, inputs)
        st.session_state["address_notice"] = problems
    link_problems, linked_settings = saved.open_linked(inputs)
    if linked_settings is not None:
        apply_settings(linked_settings)
    if link_problems:
        st.session_state["address_notice"] = [*st.session_state.get("address_notice", []), *link_problems]
    sidebar = st.sidebar
    sidebar.markdown("### Scenario")
    levers = sidebar.container()

    sidebar.markdown("**Presets**")
    for name in inputs.presets:
        sidebar.button(name, key=f"preset::{name}", on_click=_apply_preset, args=(name, inputs),
                       help=inputs.presets[name][2], width="stretch")
    sidebar.button("Reset to defaults", on_click=_reset, width="stretch")

    presets = list(inputs.presets)
    reference_name = sidebar.selectbox(
        "Reference scenario for changes", presets, index=presets.index(DEFAULT_REFERENCE), key="reference",
        bind="query-params", help="Headline numbers show the change against this scenario; charts draw it faintly.")
    year = sidebar.slider("Year for headline numbers", *YEAR_RANGE, DEFAULT_YEAR, 1, key="year", bind="query-params")
    bands = sidebar.toggle("Uncertainty bands", value=True, key="bands", bind="query-params",
                           help="Shade the range of 1,000 draws over the parameter ranges (P25-P75 and P5-P95).")

    rung_keys = set(rung_levels(0, inputs))  # the levels an export_controls rung sets
    with sidebar.expander("Advanced levers"):
        st.caption("Empty = follow the headline levers / the model default (shown greyed). The chip, tool, HBM "
                   "and enforcement levels follow the export_controls rung: its levels are written under the "
                   "US export controls slider. Each has a documented range.")
        for name, lever in ADVANCED_LEVERS.items():
            # An empty box sends no override, so the engine uses the rung's level (engine.scenario_levels).
            # The placeholder does not repeat the rung's level: the box is drawn by the full run, and a slider move
            # does not redraw it; the level is written under the US export controls slider.
            default = ("follows the slider" if name == "chip_controls" else
                       "follows the rung (under the slider)" if lever.default is None and name in rung_keys else
                       "follows export controls" if lever.default is None else f"default {lever.default:g}")
            st.number_input(f"{lever.label} (0–100)", float(lever.low), float(lever.high), None, 1.0, format="%g",
                            key=name, bind="query-params", help=lever.help, placeholder=default)
        for name in ADVANCED_PARAMETERS:
            parameter = inputs.parameters[name]
            step = (parameter.high - parameter.low) / 100
            st.number_input(
                f"{parameter.label} ({parameter.low:g}–{parameter.high:g} {parameter.unit})", parameter.low,
                parameter.high, None, step, format="%g", key=name, bind="query-params",
                help=f"{parameter.note} Basis: {parameter.basis}.", placeholder=f"default {parameter.default:g}")

    overrides = _advanced_overrides(st.session_state)  # an empty box sends no override (its widget state is None)
    link = saved.save_form(lambda: current_settings(inputs), inputs)
    return Frame(inputs, levers, link, preset_scenario(reference_name, inputs), int(year), bool(bands),
                 tuple(sorted(overrides.items())))


def levers(frame: Frame) -> Context:
    """The two headline sliders and what follows from them: runs in every run of the page's fragment, a slider
    move included, and returns the page's Context."""
    inputs = frame.inputs
    with _as_the_app():
        ec, sr = _headline_sliders(frame.levers, inputs)
    overrides = dict(frame.overrides)
    preset_name = next((n for n, (e, s, _) in inputs.presets.items() if (e, s) == (ec, sr) and not overrides), "")
    scenario = Scenario.create(ec, sr, overrides, inputs, name=preset_name)
    shown, modified_from, notes = saved.status(scenario)
    if shown is not None:
        scenario = dataclasses.replace(scenario, name=shown.name)
    saved.saved_link(frame.link)
    return Context(scenario, frame.reference, frame.year, inputs, shown, modified_from, tuple(notes), frame.bands,
                   tuple(st.session_state.get("address_notice") or ()))


@contextmanager
def _as_the_app():
    """Draw widgets as the app's own, not the page's. Streamlit puts the running page's script hash into every
    widget's id, and the levers are drawn inside the page's fragment (shell._page); as the page's, each page had
    its own pair of sliders, and a page change dropped export_controls and self_reliance from the address (the
    old page's bound sliders went away). Page.run switches the hash the same way (ScriptRunContext's
    run_with_active_hash); the fragment keeps it on its reruns."""
    ctx = get_script_run_ctx()
    if ctx is None:
        yield
        return
    with ctx.run_with_active_hash(ctx.pages_manager.main_script_hash):
        yield


def _headline_sliders(sidebar, inputs: ModelInputs) -> tuple[int, int]:
    ec = sidebar.slider(HEADLINE_LEVERS["export_controls"].label, 0, 100,
                        int(HEADLINE_LEVERS["export_controls"].default), 1, key="export_controls",
                        bind="query-params", help=_anchor_help(inputs, "export_controls"))
    sidebar.caption(_lever_caption(inputs, "export_controls", ec))
    sr = sidebar.slider(HEADLINE_LEVERS["self_reliance"].label, 0, 100,
                        int(HEADLINE_LEVERS["self_reliance"].default), 1, key="self_reliance",
                        bind="query-params", help=_anchor_help(inputs, "self_reliance"))
    sidebar.caption(_lever_caption(inputs, "self_reliance", sr))
    return ec, sr


_CAPTIONS: dict[tuple[str, str, int], str] = {}  # (data version, lever, value) -> caption: 2 x 101 at most


def _lever_caption(inputs: ModelInputs, lever: str, value: int) -> str:
    """The caption under a headline slider: the rung the value stands for (export controls: and the tool, HBM
    and enforcement levels it imposes). Made once per value and process: the ladder interpolation and
    formatting were ~0.3 ms of every slider move (py-spy)."""
    key = (inputs.data_version, lever, value)
    caption = _CAPTIONS.get(key)
    if caption is None:
        caption = (rung_caption(value, inputs) if lever == "export_controls"
                   else f"**{value}** — {inputs.anchor_label(lever, value)}")
        _CAPTIONS[key] = caption
    return caption
