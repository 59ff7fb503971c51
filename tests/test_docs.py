"""The documentation: a short README that keeps the commands .ci/run reads, the reference in docs/
and bench/README.md, the zoo's tables written from the manifest, and no link to a missing file.

Fast: reads text files and runs docs/zoo_tables.py (standard library only); no app, no browser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ZOO_TABLES = ROOT / "docs" / "zoo_tables.py"
MANIFEST = ROOT / "pretrained" / "manifest.json"
ZOO_DOC = ROOT / "docs" / "zoo.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]
# [text](target) and ![alt](target); the target ends at the first space (an optional "title") or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")


def zoo_tables(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ZOO_TABLES), *args], capture_output=True, text=True, timeout=60)


def prose(text: str) -> str:
    """`text` without its fenced code blocks (a link-like `x[i](j)` in code is not a link)."""
    kept, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return "\n".join(kept)


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file: lower case, punctuation dropped, spaces
    to hyphens, a repeated heading numbered -1, -2, ..."""
    seen: dict[str, int] = {}
    out = set()
    for line in prose(path.read_text("utf-8")).splitlines():
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def test_readme_has_at_most_200_lines():
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move reference material into docs/"


@pytest.mark.parametrize("marker, command", [
    ("<!-- app-command -->", ".venv/bin/streamlit run app.py"),
    ("<!-- test-command -->", ".venv/bin/python -m pytest"),
])
def test_readme_keeps_each_marker_right_before_its_fenced_command(marker, command):
    lines = README.read_text("utf-8").splitlines()
    assert lines.count(marker) == 1, marker
    at = lines.index(marker)
    # .ci/run reads the first line of the fenced block after the test marker: the command alone.
    assert lines[at + 1].startswith("```"), (marker, lines[at + 1])
    assert lines[at + 2].startswith("python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && ")
    assert lines[at + 2].endswith(command), lines[at + 2]
    assert lines[at + 3] == "```"


def test_ci_run_reads_the_test_command_from_the_readme():
    ran = subprocess.run(["bash", str(ROOT / ".ci" / "run")], env={"CI_DRY_RUN": "1", "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == ("python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
                                  " && .venv/bin/python -m pytest")


def test_the_zoo_tables_match_the_manifest():
    checked = zoo_tables("--check")
    assert checked.returncode == 0, checked.stderr + "\nrun: python docs/zoo_tables.py"


def test_a_changed_manifest_makes_the_check_fail_and_the_rewrite_follows_it(tmp_path):
    manifest = json.loads(MANIFEST.read_text("utf-8"))
    entry = manifest["models"][0]
    entry["metrics"]["mse"] = entry["metrics"]["mse"] * 1.5 + 0.01  # a different 4-decimal figure
    changed = tmp_path / "manifest.json"
    changed.write_text(json.dumps(manifest), "utf-8")
    doc = tmp_path / "zoo.md"
    doc.write_text(ZOO_DOC.read_text("utf-8"), "utf-8")

    stale = zoo_tables("--manifest", str(changed), "--doc", str(doc), "--check")
    assert stale.returncode == 1, (stale.stdout, stale.stderr)
    assert doc.read_text("utf-8") == ZOO_DOC.read_text("utf-8")  # --check writes nothing

    rewritten = zoo_tables("--manifest", str(changed), "--doc", str(doc))
    assert rewritten.returncode == 0, rewritten.stderr
    text = doc.read_text("utf-8")
    assert text != ZOO_DOC.read_text("utf-8")
    assert f"| `{entry['name']}` |" in text and f"| {entry['metrics']['mse']:.4f} |" in text
    assert zoo_tables("--manifest", str(changed), "--doc", str(doc), "--check").returncode == 0
    # Only the tables changed: the hand-written prose outside the markers is kept as it was.
    outside = re.compile(r"<!-- zoo-table:start [\w-]+ -->.*?<!-- zoo-table:end [\w-]+ -->", re.DOTALL)
    assert outside.sub("", text) == outside.sub("", ZOO_DOC.read_text("utf-8"))


def test_every_shipped_model_is_in_the_zoo_doc():
    text = ZOO_DOC.read_text("utf-8")
    missing = [e["name"] for e in json.loads(MANIFEST.read_text("utf-8"))["models"] if f"`{e['name']}`" not in text]
    assert not missing, missing


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_in_the_repository(document):
    assert document.is_file(), document
    broken = []
    for target in LINK.findall(prose(document.read_text("utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:, ...
            continue
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists() or ROOT not in linked.parents:
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_documents_name_no_issue_numbers(document):
    # The reader has the repository, not the tracker: say what a bar is, not which issue asked for it.
    assert not re.search(r"\bissues?\s+#?\d+", document.read_text("utf-8"), re.IGNORECASE)


def test_the_readme_links_every_document():
    text = README.read_text("utf-8")
    for document in DOCUMENTS[1:]:
        assert str(document.relative_to(ROOT)) in text, document
