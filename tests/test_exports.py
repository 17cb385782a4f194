"""Exports: stamped PNG/SVG/CSV and the briefing pack (PPTX checked with python-pptx, PDF structure)."""
import io
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation

from chokepoint import MODEL_VERSION, briefing, exports
from chokepoint.params import Scenario
from chokepoint.ui import resources


@pytest.fixture(scope="module")
def setup():
    inputs = resources.model_inputs()
    steps = [briefing.Step(name, Scenario.create(ec, sr, inputs=inputs, name=name), f"http://host/?scenario=step{i}",
                           notes=f"Notes for {name}")
             for i, (name, (ec, sr, _)) in enumerate(list(inputs.presets.items())[:3])]
    reference = Scenario.create(25, 90, inputs=inputs, name="As announced for 2026")
    return inputs, steps, reference


def spec_for(kind, scenario, reference):
    return resources.chart_spec(kind, scenario.key(), reference.key(), 2028)


def test_png_is_valid_and_carries_the_stamp(setup):
    inputs, steps, reference = setup
    stamp = briefing.chart_stamp("headline_shares", steps[0], inputs, 2028)
    png = exports.chart_png(spec_for("headline_shares", steps[0].scenario, reference), stamp)
    image = Image.open(io.BytesIO(png))
    image.verify()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 760
    text = image.text[exports.STAMP_KEY]
    for part in (stamp.title, steps[0].scenario.label(), f"model {MODEL_VERSION}", inputs.data_version,
                 "Sources:", steps[0].link, stamp.day):
        assert part in text


def test_svg_is_valid_xml_with_the_stamp_as_visible_text(setup):
    inputs, steps, reference = setup
    stamp = briefing.chart_stamp("risk_usd", steps[1], inputs, 2028)
    svg = exports.chart_svg(spec_for("risk_usd", steps[1].scenario, reference), stamp)
    root = ET.fromstring(svg)
    visible = " ".join(" ".join(t.itertext()) for t in root.iter() if t.tag.endswith("}text") or t.tag == "text")
    assert stamp.title in visible and steps[1].link in visible and f"Chokepoint model {MODEL_VERSION}" in visible
    assert exports.STAMP_KEY in svg


def test_csv_carries_the_stamp_and_parses(setup):
    inputs, steps, reference = setup
    stamp = briefing.scenario_stamp(steps[0], inputs)
    text = exports.stamped_csv(resources.results(steps[0].scenario.key()).tidy, stamp)
    assert text.splitlines()[0] == f"# {stamp.title}" and f"# Link: {steps[0].link}" in text
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns) == ["scenario", "year", "metric", "entity", "value", "unit"] and len(frame) > 500


@pytest.fixture(scope="module")
def pack(setup):
    inputs, steps, reference = setup
    return briefing.build_pack("Three futures", steps, reference, 2028, inputs, resources.results,
                               resources.chart_spec, resources.table("sources"))


def test_pptx_has_title_scenarios_assumptions_sources_and_links(pack, setup):
    _, steps, _ = setup
    deck = Presentation(io.BytesIO(exports.pack_pptx(pack)))
    slides = list(deck.slides)
    assert len(slides) == 1 + len(steps) + 3

    def texts(slide):
        return " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)

    assert "Three futures" in texts(slides[0])
    for slide, step in zip(slides[1:], steps):
        body = texts(slide)
        assert step.title in body and step.link in body and "Nvidia share" in body
        assert "How sure (1,000 draws): In " in body
        assert f"model {MODEL_VERSION}" in body  # the stamp footer
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 2 and all(len(p.image.blob) > 10_000 for p in pictures)
        assert slide.notes_slide.notes_text_frame.text == step.notes
    assert texts(slides[-3]).startswith("Assumptions") and "judgment" in texts(slides[-3])
    assert texts(slides[-2]).startswith("Sources") and re.search(r"\[F\d{3}\] ", texts(slides[-2]))
    assert all(step.link in texts(slides[-1]) for step in steps)


def test_pdf_handout_has_a_page_per_part(pack, setup):
    _, steps, _ = setup
    pdf = exports.pack_pdf(pack)
    assert pdf.startswith(b"%PDF-")
    # title, one page per scenario, then assumptions, sources and links (long lists flow onto more pages)
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 1 + len(steps) + 3
    assert b"Three futures" in pdf
