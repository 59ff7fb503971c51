"""`pip install .`: the wheel built from this checkout installs the library `aecore` alone, and it
runs with its core dependencies only (torch, numpy, safetensors, scikit-learn, tqdm).

One wheel is built for the module (`pip wheel --no-build-isolation`, offline: this venv's setuptools
builds it) from a copy of the checkout, so the build's `build/` and `aecore.egg-info` never land in
the repository. It is installed with `--no-deps` into a fresh venv in a temporary folder, which sees
this venv's packages through a .pth file, with the app's extras (streamlit, plotly, umap-learn,
Pillow, torchvision, onnx) made unimportable by a sitecustomize there: what runs in it proves the
core trains, saves and loads without them, from site-packages and not from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import aecore

REPO_ROOT = Path(__file__).resolve().parent.parent
CORE = {"torch", "numpy", "safetensors", "scikit-learn", "tqdm"}
# The app's and the cluster's extras, by import name: absent from the fresh venv.
EXTRAS = ("streamlit", "plotly", "umap", "pynndescent", "PIL", "torchvision", "onnx", "onnxscript", "onnxruntime",
          "faiss", "distributed")
# Left out of the copy the wheel is built from: the venv, large data, and what a build or a run leaves.
TOP_NOT_COPIED = {".git", ".venv", "venv", "pretrained", "static", "build", "dist", "aecore.egg-info"}


def _not_copied(folder: str, names: list[str]) -> set[str]:
    here = Path(folder).resolve()
    skipped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
    if here == REPO_ROOT:
        skipped |= TOP_NOT_COPIED & set(names)
    if here == REPO_ROOT / "tests":
        skipped |= {"output"} & set(names)
    return skipped

# Installed as the fresh venv's sitecustomize: imported at every start of its interpreter, the
# console script's too. A None in sys.modules is what Python's import system reads as "no such
# module": `import PIL` raises ModuleNotFoundError, importlib.util.find_spec("PIL") returns None.
BLOCKER = f"""# tests/test_package.py: the app's extras are not installed here.
import sys

for name in {EXTRAS!r}:
    sys.modules[name] = None
"""

# Run by the fresh venv's interpreter, in a folder outside the checkout.
CHECK = r"""
import json, math, sys, sysconfig, tempfile
from pathlib import Path

import torch
import aecore
from aecore.runner import FitSettings, RunSpec

extras = sys.argv[1].split(",")
report = {"file": aecore.__file__, "purelib": sysconfig.get_paths()["purelib"],
          "kinds": aecore.list_models(), "blocked": []}
for name in extras:
    try:
        __import__(name)
    except ImportError:
        report["blocked"].append(name)

spec = RunSpec(dataset="digits", kind="ae", arch="mlp", latent_dim=2, options={"hidden": (32,)},
               fit=FitSettings(epochs=1, batch_size=128, device="cpu"))
result = aecore.run(spec)
report["loss"] = result.history.train_loss[-1]
report["test_mse"] = result.metrics["mse"]

folder = Path(tempfile.mkdtemp())
path = aecore.save(result.model, folder / "ae")
loaded = aecore.load(path)
x = torch.rand(5, 1, 8, 8)
with torch.no_grad():
    report["same_codes"] = bool(torch.allclose(result.model.encode(x), loaded.encode(x)))

images = folder / "images"
(images / "a").mkdir(parents=True)
(images / "a" / "one.png").write_bytes(b"not read without Pillow")
for what, attempt in (("export", lambda: aecore.save(result.model, folder / "onnx", export_decoder=True)),
                      ("folder", lambda: aecore.load_dataset("folder", path=images)),
                      ("cluster", lambda: aecore.JobQueue(cluster="tcp://127.0.0.1:9"))):
    try:
        attempt()
        report[what] = None
    except ImportError as error:
        report[what] = str(error)

report["extras_loaded"] = sorted({m.split(".")[0] for m, module in sys.modules.items()
                                  if module is not None and m.split(".")[0] in extras})
print(json.dumps(report))
"""


def _clean_env(home: Path) -> dict[str, str]:
    """The environment for the fresh venv's processes: nothing pointing into the checkout, and the
    caches (datasets, exported decoders) in a temporary folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
                                                             "VIRTUAL_ENV", "AECORE_PRETRAINED", "AECORE_DATA")}
    return {**env, "XDG_CACHE_HOME": str(home / "cache"), "PYTHONNOUSERSITE": "1", "PIP_NO_INDEX": "1"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of this checkout, built once for the module."""
    try:
        from setuptools.command.bdist_wheel import bdist_wheel  # noqa: F401  (setuptools >= 70.1)
    except ImportError:
        pytest.importorskip("wheel", reason="building a wheel offline needs setuptools>=70.1 (torch brings "
                                            "it) or the wheel package in this venv")
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(REPO_ROOT, source, ignore=_not_copied)  # ui/, pages/, tests/ too: the build must leave them out
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                            "--no-index", "--wheel-dir", str(root / "dist"), "--quiet"],
                           cwd=root, env=_clean_env(root), capture_output=True, text=True, timeout=180)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (root / "dist").glob("aecore-*.whl")
    return path


@pytest.fixture(scope="module")
def fresh_venv(wheel, tmp_path_factory) -> Path:
    """A new venv with the wheel installed (no dependencies), this venv's packages visible through a
    .pth file, and the extras blocked."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    # No pip in it (ensurepip takes seconds): this venv's pip installs into it (`pip --python`).
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                                "--no-index", "--quiet", str(wheel)],
                               env=_clean_env(venv.parent), capture_output=True, text=True, timeout=180)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]  # torch, numpy, ... (and the extras)
    assert ours and not any((Path(p) / "aecore").exists() for p in ours)  # aecore comes from the wheel only
    (Path(purelib) / "main_venv.pth").write_text("\n".join(ours) + "\n")
    (Path(purelib) / "sitecustomize.py").write_text(BLOCKER)
    return venv


def test_the_installed_core_trains_saves_and_loads_without_the_extras(fresh_venv):
    work = fresh_venv.parent / "elsewhere"  # the working folder: outside the checkout
    work.mkdir()
    done = subprocess.run([str(fresh_venv / "bin" / "python"), "-c", CHECK, ",".join(EXTRAS)], cwd=work,
                          env=_clean_env(work), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    installed = Path(report["file"]).resolve()
    assert installed.is_relative_to(Path(report["purelib"]).resolve())  # the venv's site-packages ...
    assert not installed.is_relative_to(REPO_ROOT)  # ... not the checkout
    assert report["blocked"] == list(EXTRAS)  # the extras are really absent there
    assert report["extras_loaded"] == []
    assert report["kinds"] == aecore.list_models()
    assert 0 < report["loss"] < float("inf") and 0 < report["test_mse"] < float("inf")
    assert report["same_codes"]
    # What needs an extra says which install brings it.
    assert "onnx" in report["export"] and "pip install 'aecore[app]'" in report["export"]
    assert "Pillow" in report["folder"] and "pip install 'aecore[app]'" in report["folder"]
    assert "Dask" in report["cluster"] and "pip install 'aecore[cluster]'" in report["cluster"]


def test_the_console_script_trains_without_the_onnx_exporter(fresh_venv):
    """`aecore train` on a core install saves the checkpoint alone (no decoder.onnx: no exporter)."""
    work = fresh_venv.parent / "elsewhere-train"
    work.mkdir()
    done = subprocess.run([str(fresh_venv / "bin" / "aecore"), "train", "--dataset", "digits", "--epochs", "1",
                           "--quiet", "--out", "run"], cwd=work, env=_clean_env(work), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (work / "run" / "model.safetensors").is_file() and not (work / "run" / "decoder.onnx").exists()
    assert json.loads(done.stdout)["test"]["mse"] > 0


def test_the_console_script_lists_the_model_kinds(fresh_venv):
    work = fresh_venv.parent / "elsewhere-cli"
    work.mkdir()
    listed = subprocess.run([str(fresh_venv / "bin" / "aecore"), "list"], cwd=work, env=_clean_env(work),
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert "model kinds:" in listed.stdout
    for kind in aecore.list_models():
        assert f"\n  {kind} " in listed.stdout
    assert "digits" in listed.stdout.splitlines()[0]  # the datasets line


def test_the_wheel_holds_the_library_and_its_core_dependencies(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(metadata).decode())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    # aecore and every subpackage of it; nothing of the app, the tests, the benchmarks or the zoo.
    assert {n.split("/")[0] for n in names} == {"aecore", f"aecore-{aecore.__version__}.dist-info"}
    packages = {p.parent.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "aecore").rglob("__init__.py")}
    assert {"aecore", "aecore/data", "aecore/models", "aecore/latent", "aecore/studies"} <= packages
    assert packages <= {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    assert meta["Version"] == aecore.__version__

    def name(requirement: str) -> str:
        return requirement.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()

    requires = meta.get_all("Requires-Dist")
    core = {name(r) for r in requires if "extra ==" not in r}
    assert core == CORE
    assert set(meta.get_all("Provides-Extra")) == {"app", "cluster", "test"}
    app = {name(r) for r in requires if 'extra == "app"' in r}
    assert app == {"streamlit", "plotly", "umap-learn", "pillow", "torchvision", "onnx", "onnxscript", "onnxruntime",
                   "faiss-cpu"}
    assert {name(r) for r in requires if 'extra == "cluster"' in r} == {"distributed"}
    test = {name(r) for r in requires if 'extra == "test"' in r}
    assert {"pytest", "playwright", "aecore"} <= test  # aecore[app]: the tests drive the app
    assert "aecore = aecore.cli:main" in scripts
