"""Server script time of every page of the app: each `at.run()` of Streamlit's AppTest, timed.

Per page of `app.py`'s navigation, with the active dataset's default pretrained model:
  first paint   the page's first run in this process: its own caches cold, but st.cache_resource and
                st.cache_data are process-wide, so the caches earlier pages filled are listed as warm;
  repeat        a rerun with nothing changed;
  a control     each main control (slider, selectbox, number input, radio, checkbox, multiselect, a
                button that does not train) set to R different values, one timed run each.
Each page's session first runs `app.py` (router, sidebar, Home): the "router" rows. Pages whose digits
first paint took under SHAPES_CHEAP_S run again on the dataset `shapes` with its default model. The
baseline, a trivial script (`st.title` + `st.slider`) rerun 2R times at the start and at the end, gives
each median its ratio. Rows over the goals (median 100 ms, max 1 s) are flagged; `--profile` lists
where a flagged row's time went (this repository's functions by cumulative time, then others').

    .venv/bin/python bench/bench_pages.py [--rounds 5] [--pages denoise,features] [--json out.json]
                                          [--no-shapes] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from conftest import APP  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from streamlit.runtime.caching import cache_data_api, cache_resource_api  # noqa: E402
from streamlit.runtime.scriptrunner.script_runner import ScriptRunner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

GOAL_MEDIAN_MS, GOAL_MAX_MS = 100.0, 1000.0
TIMEOUT_S = 900  # feature extraction's first paint takes tens of seconds on 2 cores
SHAPES_CHEAP_S = 1.0  # a page slower than this on digits is not run again on shapes
BASELINE = "import streamlit as st\nst.title('Baseline')\nst.slider('Value', 0, 100, 50)\n"
# page -> its main controls: (AppTest element type, label prefix[, fixed option label, set once]).
CONTROLS: dict[str, list[tuple]] = {
    "home": [("slider", "Images per class"), ("number_input", "Shuffle seed")],
    "train": [("selectbox", "Model kind"), ("selectbox", "Architecture"), ("number_input", "Latent dimension"),
              ("number_input", "Epochs"), ("number_input", "Regularizer warm-up"), ("selectbox", "Dataset")],
    "load": [("selectbox", "Pretrained model")],
    "denoise": [("selectbox", "Model A"), ("selectbox", "Model B"), ("slider", "noise level"),
                ("slider", "Images"), ("number_input", "Seed"), ("checkbox", "Shuffle"),
                ("multiselect", "Classes"), ("selectbox", "Noise")],
    "latent_map": [("selectbox", "Colour by"), ("checkbox", "Decoded images"), ("radio", "Map")],
    "interpolate": [("slider", "Frames"), ("radio", "Interpolation"), ("number_input", "Seed"),
                    ("selectbox", "Class of the first"), ("radio", "Pick two images")],
    "sample": [("slider", "Temperature"), ("slider", "Samples"), ("number_input", "Seed"),
               ("button", "New samples"), ("number_input", "Base image"), ("multiselect", "Units to drag")],
    "anomaly": [("multiselect", "Normal classes"), ("radio", "Detector", "The active model as it is"),
                ("slider", "Threshold"), ("multiselect", "Normal classes"), ("radio", "Detector"), ("radio", "Data")],
    "compression": [("radio", "Code stored as")],
    "features": [("radio", "Classifier"), ("slider", "Draws per small label count")],
    "regularizers": [("slider", "Active threshold"), ("select_slider", "Perturbation size"),
                     ("select_slider", "β of the small VAE")],
    "conv": [("number_input", "Test image")],
    "capacity": [("select_slider", "Training images"), ("select_slider", "Code width k")],
    "draw": [("select_slider", "Pen")],
    "compare": [("multiselect", "Models")],
}

PROFILES: list[cProfile.Profile] = []  # of the last run, filled under --profile


def profile_script_runs() -> None:
    """cProfile every script run from inside its own thread, which a profiler started here misses."""
    original = ScriptRunner._run_script

    def run_script(self, *args, **kwargs):
        PROFILES.append(profiler := cProfile.Profile())
        return profiler.runcall(original, self, *args, **kwargs)
    ScriptRunner._run_script = run_script


def timed(at: AppTest) -> tuple[float, list]:
    """Run `at` once: (milliseconds, profiles of that run); an exception in the page raises RuntimeError."""
    PROFILES.clear()
    started = time.perf_counter()
    at.run(timeout=TIMEOUT_S)
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return elapsed, list(PROFILES)


def warm_caches() -> list[str]:
    """Cached functions holding entries now, as "name(entries)"."""
    names = []
    for api in (cache_resource_api._resource_caches, cache_data_api._data_caches):
        for cache in api._function_caches.get(None, {}).values():
            store = getattr(cache, "_mem_cache", None) or getattr(cache.storage, "_mem_cache", None) or {}
            if len(store):
                names.append(f"{cache.display_name.rsplit('.', 1)[-1]}({len(store)})")
    return sorted(names)


def find(at: AppTest, kind: str, label: str):
    """The first `kind` widget whose label starts with `label`, else contains it; None if none."""
    elements = at.get(kind)
    return next((e for e in elements if e.label.startswith(label)), None) or \
        next((e for e in elements if label in e.label), None)


def shown(element) -> str:
    """The widget's value as the browser shows it (option labels, not the page's raw values)."""
    if element.type in ("radio", "selectbox"):
        return str(element.format_func(element.value))
    return ",".join(element.values) if element.type == "multiselect" else str(element.value)


def change(element, round_index: int, fixed: str | None = None) -> str:
    """Set `element` to its round_index-th value other than the current one; return it as `shown` gives it."""
    kind, step = element.type, round_index + 1
    if kind == "button":
        element.click()
        return "click"
    if kind in ("radio", "selectbox", "select_slider", "multiselect"):
        others = [o for o in element.options if o not in shown(element).split(",")] or element.options
        label = fixed if fixed is not None else others[round_index % len(others)]
        # Sent as the browser sends it, an option label, so the page's format_func need not be inverted:
        # the element's class is swapped for one whose widget state is that label.
        element._assert_can_interact()
        state = WidgetState(id=element.id)
        (setattr(state, "string_value", label) if kind in ("radio", "selectbox")
         else state.string_array_value.data.append(label))
        sending = {"_widget_state": property(lambda _: state)}
        element.__class__ = type(type(element).__name__, (type(element),), sending)
        return label
    if kind == "checkbox":
        value = not element.value
    elif kind == "slider":
        low, high, size = element.min, element.max, element.step
        value = low + round((step * 0.618034) % 1 * round((high - low) / size)) * size  # golden stride
        if value == element.value:
            value = value + size if value + size <= high else value - size
        value = type(element.value)(round(value, 6))
    elif kind == "number_input":
        value = type(element.value)(element.value + step * element.step)
        if element.max is not None and value > element.max:
            value = type(element.value)(max(element.min or 0, element.value - step * element.step))
    else:
        raise ValueError(f"no rule for a {kind}")
    element.set_value(value)
    return str(value)


def measure_page(page: str, dataset: str, rounds: int, rows: list[dict]) -> None:
    """Append the rows of one page: its session's router run, first paint, repeats, each control."""
    from ui.core import state

    def row(control: str, times: list[float], profiles: list = (), **extra) -> None:
        rows.append({"dataset": dataset, "page": page, "control": control, "times_ms": times,
                     "profiles": list(profiles), **extra})

    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
        row("router: app.py + Home, new session", [timed(at)[0]])
        active = state.default_model(dataset)
        at.session_state[state.MODEL_KEY], at.session_state[state.DATASET_KEY] = active, dataset
        warm = warm_caches()
        ms, profiles = timed(at.switch_page(f"pages/{page}.py"))
        row("first paint", [ms], profiles, warm=warm, model=active.name)
        runs = [timed(at) for _ in range(rounds)]
        row("repeat, nothing changed", [ms for ms, _ in runs], sum((p for _, p in runs), []))
    except RuntimeError as error:  # the page fails to open: say so, go on with the next
        return row("page failed", [], note=str(error)[:200])
    for kind, label, *fixed in CONTROLS[page]:
        times, profiles, values, note = [], [], [], "absent or disabled"
        for i in range(1 if fixed else rounds):
            element = find(at, kind, label)
            if element is None or getattr(element.proto, "disabled", False):
                break
            values.append(change(element, i, *fixed))
            try:
                ms, run_profiles = timed(at)
            except RuntimeError as error:  # reported; the page's other controls still run
                note = f"exception: {error}"[:200]
                break
            after = find(at, kind, label)
            if kind != "button" and (after is None or shown(after) != values[-1]):
                note = f"not applied: set {values[-1]!r}, shows {shown(after) if after else None!r}"
                break
            times.append(ms)
            profiles += run_profiles
        row(f"{kind} {label}" + (f" = {fixed[0]}" if fixed else ""), times, profiles, values=values,
            **({} if times and len(times) == len(values) else {"note": note}))


def measure_baseline(rounds: int) -> tuple[list[float], list[float]]:
    """(R repeats and R slider moves of the trivial script, first runs of R new sessions of it: the
    harness's own cost of a new session, to set beside the router rows)."""
    firsts = [timed(AppTest.from_string(BASELINE, default_timeout=60))[0] for _ in range(rounds + 1)][1:]
    at = AppTest.from_string(BASELINE, default_timeout=60).run()
    times = [timed(at)[0] for _ in range(rounds)]
    for i in range(rounds):
        change(at.slider[0], i)
        times.append(timed(at)[0])
    return times, firsts


def hot_spots(profiles: list, count: int = 8) -> list[str]:
    """The functions of this repository with the most cumulative time, then the heaviest outside it."""
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    ours, theirs = [], []
    for (path, line, name), (_, _, _, cumulative, _) in stats.stats.items():
        if str(ROOT) in path and ".venv" not in path:
            ours.append((cumulative, f"{Path(path).relative_to(ROOT)}:{line} {name}"))
        elif "streamlit" not in path and not name.startswith("<") and "threading" not in path:
            theirs.append((cumulative, f"{Path(path).name}:{line} {name}"))
    pick = sorted(ours, reverse=True)[:count] + sorted(theirs, reverse=True)[:count // 2]
    return [f"{seconds / len(profiles) * 1000:9.0f} ms/run  {where}" for seconds, where in pick]


def report(rows: list[dict], baseline: list[float], show_profiles: bool) -> None:
    base = statistics.median(baseline)
    print(f"\nbaseline (st.title + st.slider through AppTest): n={len(baseline)}, median {base:.1f} ms, "
          f"max {max(baseline):.1f} ms\n")
    print(f"{'dataset':7} {'page':12} {'control':46} {'n':>2} {'median ms':>10} {'max ms':>9} {'x base':>7}  flag")
    for r in rows:
        if times := r["times_ms"]:
            median, top = statistics.median(times), max(times)
            r.update(median_ms=median, max_ms=top, ratio=median / base,
                     over=median > GOAL_MEDIAN_MS or top > GOAL_MAX_MS)
            flag = ("MEDIAN " if median > GOAL_MEDIAN_MS else "") + ("MAX" if top > GOAL_MAX_MS else "")
            figures = f"{len(times):2} {median:10.0f} {top:9.0f} {median / base:7.1f}  {flag}"
        print(f"{r['dataset']:7} {r['page']:12} {r['control'][:46]:46} " + (figures if times else " -"))
        for key, text in (("note", "note"), ("warm", "warm before this first paint")):
            if key in r:
                print(f"{'':21}{text}: {', '.join(r[key]) if key == 'warm' else r[key]}")
        if show_profiles and r.get("over") and r["profiles"]:
            print("\n".join(f"{'':24}{line}" for line in hot_spots(r["profiles"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per control, and repeats")
    parser.add_argument("--pages", default=",".join(CONTROLS), help="comma-separated, from: " + ",".join(CONTROLS))
    parser.add_argument("--json", type=Path, help="write every timing here")
    parser.add_argument("--no-shapes", action="store_true", help="skip the shapes pass")
    parser.add_argument("--profile", action="store_true", help="cProfile each run (slower); list hot spots")
    args = parser.parse_args()
    pages = [p for p in args.pages.split(",") if p]
    if set(pages) - set(CONTROLS):
        parser.error(f"unknown page(s) {sorted(set(pages) - set(CONTROLS))}; choose from {', '.join(CONTROLS)}")
    if args.profile:
        profile_script_runs()
        print("--profile: every run is slower under cProfile; compare ratios, not absolute times")

    baseline, firsts = measure_baseline(args.rounds)
    router = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    cold = timed(router)[0]
    repeats = [timed(router)[0] for _ in range(args.rounds)]
    rows = [{"dataset": "-", "page": "(process)", "control": control, "times_ms": times, "profiles": []}
            for control, times in (("router: app.py + Home, first run", [cold]),
                                   ("router: app.py + Home, repeat", repeats),
                                   ("baseline script, new session's first run", firsts))]
    started = time.perf_counter()
    for page in pages:
        measure_page(page, "digits", args.rounds, rows)
        print(f"{page}: done at {time.perf_counter() - started:.0f} s", flush=True)
    for page in [] if args.no_shapes else pages:
        paint = next((r for r in rows if r["page"] == page and r["control"] == "first paint"), None)
        if paint is not None and paint["times_ms"][0] < SHAPES_CHEAP_S * 1000:
            measure_page(page, "shapes", args.rounds, rows)
    baseline += measure_baseline(args.rounds)[0]
    report(rows, baseline, args.profile)
    if args.json:
        for r in rows:
            r["profiles"] = hot_spots(r["profiles"]) if r.get("over") and r["profiles"] else []
        args.json.write_text(json.dumps({"baseline_ms": baseline, "goals_ms": [GOAL_MEDIAN_MS, GOAL_MAX_MS],
                                         "rounds": args.rounds, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
