"""Recommendation: AutoRec against SVD, popularity and the means, and the Recommend page's speed.

Quality, on the embedded "tastes" table: for each seed (the held-out split and every model's
weights) the Recommend page's job (`aecore.recommend.study`: every method, the probe of the users'
codes); prints each method's median held-out RMSE, recall@10, NDCG@10 and training seconds over the
seeds, then the goals: AutoRec's RMSE below the item mean's and at most SVD's, its recall@10 above
popularity's, and a linear probe of the users' codes (denoising AutoRec, user-based) recovering the
planted favourite genre at 0.9 or more; each with its ratio.

Speed, under AppTest in this process (the page's script run, as a server runs it), against the Home
page measured in the same run: the Recommend page's first paint before its job is done (it only
submits the job and says so) and once it is done; a new user's recommendation (a rerun of the
page's fragment after choosing three loved items), and the model's own encode and decode of one
row. Medians of `--repeats`.

    python bench/bench_recommend.py [--seeds 5] [--repeats 5] [--threads 1] [--skip-speed]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aecore.data.ratings import bundled_ratings  # noqa: E402
from aecore.recommend import PAGE_MODEL, study  # noqa: E402

AUTORECS = ("AutoRec, user-based", "AutoRec, item-based", PAGE_MODEL)


def quality(seeds: int) -> None:
    ratings = bundled_ratings("tastes")
    runs = [study(ratings, seed) for seed in range(seeds)]
    names = list(runs[0]["table"])
    print(f"{ratings.about}\nmedian over {seeds} seeds (split and weights)")
    print(f"{'method':32} {'RMSE':>7} {'recall@10':>10} {'NDCG@10':>8} {'train s':>8}")

    def median(name: str, measure: str) -> float:
        return statistics.median(run["table"][name][measure] for run in runs)

    for name in names:
        cells = [median(name, m) for m in ("rmse", "recall@10", "ndcg@10", "seconds")]
        print(f"{name:32} " + " ".join(f"{'-' if np.isnan(v) else f'{v:.4f}':>{w}}"
                                        for v, w in zip(cells, (7, 10, 8, 8))))
    print("\ngoals (medians; ratio = AutoRec / baseline):")
    for name in AUTORECS:
        rmse, item, svd = median(name, "rmse"), median("item mean", "rmse"), median("SVD", "rmse")
        recall, popular = median(name, "recall@10"), median("popularity", "recall@10")
        print(f"  {name:32} RMSE {rmse:.4f} vs item mean {item:.4f} ({rmse / item:.3f}x) "
              f"{'below' if rmse < item else 'NOT below'}; vs SVD {svd:.4f} ({rmse / svd:.3f}x) "
              f"{'at most' if rmse <= svd else 'ABOVE'}; recall@10 {recall:.4f} vs popularity {popular:.4f} "
              f"({recall / popular:.2f}x) {'above' if recall > popular else 'NOT above'}")
    probes = [run["probe"]["favourite genre"] for run in runs]
    print(f"  probe of the users' codes ({PAGE_MODEL}) -> favourite genre: median {statistics.median(probes):.3f}, "
          f"min {min(probes):.3f} ({'meets' if min(probes) >= 0.9 else 'MISSES'} 0.9 on every seed)")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def speed(repeats: int) -> None:
    os.environ.setdefault("AECORE_APP_SETTINGS", str(Path(tempfile.mkdtemp()) / "app.json"))
    from streamlit.testing.v1 import AppTest

    from ui.core import jobs

    def fresh(page: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
        at.switch_page(page)
        return at

    home = [timed(fresh("pages/home.py").run) for _ in range(repeats)]
    cold, warm, live = [], [], []
    for _ in range(repeats):
        at = fresh("pages/recommend.py")
        paint = timed(at.run)
        job = (at.session_state[jobs.JOBS_KEY] if jobs.JOBS_KEY in at.session_state else {}).get("recommend")
        if job is not None:  # the first session on this server: the job is only submitted
            cold.append(paint)
            while not job.finished:
                job.touch()
                time.sleep(0.05)
            at.run()  # the result is taken in and shared with every later session
            checkpoint = job.result["checkpoint"]
        warm.append(timed(at.run))
        loved = at.multiselect[0].options[:3]
        at.multiselect[0].set_value(loved)
        live.append(timed(at.run))
        assert not at.exception, at.exception
    ratings = bundled_ratings("tastes")
    import aecore

    model = aecore.load(checkpoint)
    row = np.zeros((1, ratings.items), dtype=np.float32)
    row[0, :3] = 5.0
    model_call = [timed(lambda: (model.predict(row), model.codes(row))) for _ in range(50)]
    med = statistics.median
    print(f"\npage speed, AppTest in this process, median of {repeats} (Home page, same run: {med(home):.3f} s)")
    for label, values in (("first paint, job submitted (once)", cold), ("first paint, results ready", warm),
                          ("new user's recommendation (fragment rerun)", live)):
        print(f"  {label:44} {med(values):.3f} s ({med(values) / med(home):.2f}x Home) "
              f"{'within' if med(values) <= 1.0 else 'OVER'} 1 s")
    print(f"  the model's encode + decode of one row (median of 50): {med(model_call) * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    quality(args.seeds)
    if not args.skip_speed:
        speed(args.repeats)


if __name__ == "__main__":
    main()
