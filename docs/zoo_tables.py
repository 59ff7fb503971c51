"""Write the pretrained zoo's tables in docs/zoo.md from pretrained/manifest.json.

Each table sits between a pair of marker comments in the document,

    <!-- zoo-table:start NAME -->
    ...generated, do not edit by hand...
    <!-- zoo-table:end NAME -->

and everything between them is rewritten from the manifest; the prose around them is hand-written.
Run after `python -m aecore zoo` (which rewrites the manifest):

    python docs/zoo_tables.py            # rewrite docs/zoo.md
    python docs/zoo_tables.py --check    # exit 1 (and say which tables) when docs/zoo.md is stale

`--manifest` and `--doc` name other files (tests/test_docs.py uses them). Standard library only,
so it runs without the project's environment.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "pretrained" / "manifest.json"
DOC = ROOT / "docs" / "zoo.md"

# The datasets that ship inside the project (their models ship with their maps and page results);
# every other dataset's models go in the downloaded datasets' table.
EMBEDDED = ("digits", "shapes")


def _options(entry: dict[str, Any]) -> str:
    options = dict(entry.get("options", {}))
    if entry["kind"] == "sparse" and options.get("penalty") == "l1":
        options.pop("rho", None)  # the target rate only enters the KL penalty
    return ", ".join(f"{key}={value}" for key, value in options.items())


def _ratio(entry: dict[str, Any]) -> float:
    return entry["metrics"]["mse"] / entry["pca"]["mse"]


def _size(entry: dict[str, Any]) -> str:
    return f"{entry['size_bytes'] / 1e6:.1f} MB" if "size_bytes" in entry else ""


def _train_seconds(entry: dict[str, Any]) -> str:
    return f"{entry['train_seconds']:.0f}" if "train_seconds" in entry else ""


def _split(entry: dict[str, Any]) -> str:
    split = entry.get("split", {})
    if "test_fraction" in split:
        return f"{split['test_fraction']:.0%}"
    return str(split.get("test", ""))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _model_rows(entries: list[dict[str, Any]], split_column: bool) -> list[list[str]]:
    rows = []
    for e in entries:
        row = [f"`{e['name']}`", e["kind"], e["arch"], str(e["latent_dim"]), _options(e)]
        if split_column:
            row.append(_split(e))
        row += [f"{e['metrics']['mse']:.4f}", f"{e['pca']['mse']:.4f}", f"{_ratio(e):.2f}", _size(e),
                _train_seconds(e)]
        rows.append(row)
    return rows


def embedded_table(models: list[dict[str, Any]]) -> list[str]:
    entries = [e for e in models if e["dataset"] in EMBEDDED]
    header = ["name", "kind", "arch", "code", "options", "test MSE", "PCA MSE", "ratio", "size",
              "train s (shared, loaded CPU)"]
    return _table(header, _model_rows(entries, split_column=False))


def downloaded_table(models: list[dict[str, Any]]) -> list[str]:
    entries = [e for e in models if e["dataset"] not in EMBEDDED]
    header = ["name", "kind", "arch", "code", "options", "test split", "test MSE", "PCA MSE", "ratio",
              "size", "train s (shared, loaded CPU)"]
    return _table(header, _model_rows(entries, split_column=True))


def prior_table(models: list[dict[str, Any]]) -> list[str]:
    header = ["name", "arch", "code", "beta", "mean top-class probability", "rarest class's share"]
    rows = [[f"`{e['name']}`", e["arch"], str(e["latent_dim"]), str(e["options"].get("beta", "")),
             f"{e['prior']['confidence']:.3f}", f"{e['prior']['min_share']:.1%}"]
            for e in models if e.get("prior")]
    return _table(header, rows)


def class_table(models: list[dict[str, Any]]) -> list[str]:
    header = ["name", "arch", "code", "samples named as the class asked, per class", "lowest", "mean"]
    rows = [[f"`{e['name']}`", e["arch"], str(e["latent_dim"]),
             " ".join(f"{a:.2f}" for a in e["class_samples"]["accuracy"]),
             f"{e['class_samples']['min']:.1%}", f"{e['class_samples']['mean']:.1%}"]
            for e in models if e.get("class_samples")]
    return _table(header, rows)


def summary(models: list[dict[str, Any]]) -> list[str]:
    embedded = sum(e["dataset"] in EMBEDDED for e in models)
    size = sum(e.get("size_bytes", 0) for e in models) / 1e6
    minutes = sum(e.get("train_seconds", 0) for e in models) / 60
    return [f"The manifest lists {len(models)} models ({embedded} on the embedded datasets, "
            f"{len(models) - embedded} on the downloaded ones): {size:.1f} MB of model folders, and "
            f"{minutes:.0f} minutes of training by their recipes on the project's shared CPU (the train s columns)."]


TABLES: dict[str, Callable[[list[dict[str, Any]]], list[str]]] = {
    "summary": summary,
    "embedded": embedded_table,
    "downloaded": downloaded_table,
    "prior": prior_table,
    "classes": class_table,
}
_BLOCK = re.compile(r"(<!-- zoo-table:start (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- zoo-table:end (?P=name) -->)",
                    re.DOTALL)


def render(doc: str, manifest: dict[str, Any]) -> str:
    """`doc` with every marked table rewritten from `manifest`; ValueError for an unknown or missing
    table name, so a renamed marker is not silently left stale."""
    models = manifest["models"]
    found = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in TABLES:
            raise ValueError(f"unknown zoo table {name!r} (known: {', '.join(TABLES)})")
        found.add(name)
        return match.group(1) + "\n".join(TABLES[name](models)) + "\n" + match.group(4)

    out = _BLOCK.sub(replace, doc)
    missing = [name for name in TABLES if name not in found]
    if missing:
        raise ValueError(f"no markers for the zoo table(s) {', '.join(missing)}")
    return out


def stale_tables(doc: str, manifest: dict[str, Any]) -> list[str]:
    """Names of the tables whose text in `doc` differs from what `manifest` gives."""
    new = {m.group("name"): m.group("body") for m in _BLOCK.finditer(render(doc, manifest))}
    old = {m.group("name"): m.group("body") for m in _BLOCK.finditer(doc)}
    return [name for name in new if old.get(name) != new[name]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the zoo's tables in docs/zoo.md from the manifest.")
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help=f"default: {MANIFEST.relative_to(ROOT)}")
    parser.add_argument("--doc", type=Path, default=DOC, help=f"default: {DOC.relative_to(ROOT)}")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when the tables are stale")
    args = parser.parse_args(argv)

    manifest = json.loads(args.manifest.read_text("utf-8"))
    doc = args.doc.read_text("utf-8")
    try:
        stale = stale_tables(doc, manifest)
    except ValueError as error:
        print(f"{args.doc}: {error}", file=sys.stderr)
        return 2
    if args.check:
        if stale:
            print(f"{args.doc} is stale against {args.manifest}: table(s) {', '.join(stale)}; "
                  f"run python docs/zoo_tables.py", file=sys.stderr)
            return 1
        return 0
    if stale:
        args.doc.write_text(render(doc, manifest), "utf-8")
        print(f"{args.doc}: rewrote {', '.join(stale)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
