"""The corner table (README "Model 2 — what changed" and the Methodology page) is what the model computes."""
from pathlib import Path

from chokepoint.corners import corner_rows

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_quotes_the_corner_table_the_model_computes_today(inputs):
    text = README.read_text()
    for row in corner_rows(inputs):
        line = f"| {row['setting']} | {row['model_1_1']} | {row['model_2']} |"
        assert line in text, f"README's corner table is stale for {row['setting']!r}; expected:\n{line}"


def test_the_corners_answer_the_analysts_objections(inputs):
    rows = {r["setting"].split(" (")[0]: r["model_2"] for r in corner_rows(inputs)}
    assert "only chips loosen" in rows["export_controls < 50"]
    assert rows["any setting, 2024"].startswith("realised $22.0B = desired")
