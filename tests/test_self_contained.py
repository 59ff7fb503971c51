"""The project reads as a whole from its own files: no source, test, benchmark or document cites a
document outside the repository (comments once pointed at the team's stack notes, which a reader
of the project never had; their facts are in docs/streamlit-notes.md now)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ("STACK" + ".md", "STYLE" + ".md")  # written in two parts, so that this file does not cite them
SOURCES = [p for pattern in ("*.py", "*.md", "*.js", "*.css", "*.json", "*.toml", "run")
           for p in ROOT.rglob(pattern)
           if not {".venv", "node_modules", ".git", "output"} & set(p.relative_to(ROOT).parts)]


def test_no_project_file_cites_a_document_outside_the_repository():
    cited = {str(p.relative_to(ROOT)): name for p in SOURCES for name in OUTSIDE
             if name in p.read_text(errors="replace")}
    assert not cited, cited


def test_the_notes_the_comments_point_to_are_in_the_repository():
    notes = ROOT / "docs" / "streamlit-notes.md"
    pointing = [p for p in SOURCES if "docs/streamlit-notes.md" in p.read_text(errors="replace")]
    assert notes.is_file() and len(pointing) >= 10
    for section in ("AppTest and the `pages/` folder", "Caches", "Plotly in Streamlit", "KaTeX"):
        assert f"## {section}" in notes.read_text()


def test_no_project_file_leans_on_an_issue_number():
    """A tracker's issue number means nothing to a reader of the project: a comment says the bar itself."""
    import re

    numbered = re.compile(r"\b[Ii]ssue " + r"\d+")  # in two parts, so that this file does not match itself
    cited = {str(p.relative_to(ROOT)): m.group(0) for p in SOURCES if p.suffix in (".py", ".md")
             for m in [numbered.search(p.read_text(errors="replace"))] if m}
    assert not cited, cited
