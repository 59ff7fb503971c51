"""Frames per second of the Latent map's in-browser decoder while the pointer moves, in Chromium.

The promise: the image under the pointer follows it at 30 frames per second or more, with
no server round trip. For each model the page is opened, the decoder loaded into the browser (ONNX
Runtime Web, single-threaded WASM), then a requestAnimationFrame loop moves a synthetic pointer
across the map, one pointermove (and mousemove, so plotly's hover runs as with a real mouse) per
frame, for --seconds; decodes per second are counted by the component (`window.__aePointer`).

Baseline, in the same page and run: the same rAF loop with the pointer outside the map (no decode):
the display rate the decoder can at best keep up with. Also printed: the bare decoder, session.run
back to back for one second, for the page's model and for fresh MNIST-sized decoders (28x28: the
zoo's MLP 784-256-128-32 mirrored and conv 32-64 channels), whose weights do not change the cost.
Medians of --rounds rounds.

    python bench/bench_pointer.py [--rounds 5] [--seconds 3]

Measured here (2 shared cores, 2026-12-02, defaults): the pointer decoded 54.4 (digits-ae-8, MLP
8x8) and 56.6 (shapes-ae-8, conv 32x32) images a second against a display rate of 60.1 / 58.8 frames
a second with no decode; back to back, session.run took 0.04 ms (digits MLP), 0.35 ms (shapes conv),
0.05 ms (28x28 MLP) and 0.23 ms (28x28 conv), far inside a 16.7 ms frame.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_ready  # noqa: E402

MODELS = (("digits", "digits-ae-8"), ("shapes", "shapes-ae-8"))  # the zoo's MLP and conv decoders
# One rAF loop: per frame, a pointer event at the next spot of a diagonal sweep (inside the plot, or
# 200 px left of it for the baseline); returns frames and decodes per second.
SWEEP = """async ([inside, seconds]) => {
    const target = document.querySelector("[data-testid='stPlotlyChart'] rect.nsewdrag");
    const box = target.getBoundingClientRect();
    const start = performance.now(), decodes = window.__aePointer.decodes;
    let frames = 0;
    await new Promise((resolve) => {
        function frame(now) {
            const t = ((now - start) / 1000) % 1;  // one sweep a second
            const x = inside ? box.left + box.width * (0.1 + 0.8 * t) : box.left - 200;
            const y = box.top + box.height * (0.1 + 0.8 * t);
            for (const type of ["pointermove", "mousemove"]) {
                const Event = type === "pointermove" ? PointerEvent : MouseEvent;
                target.dispatchEvent(new Event(type, {clientX: x, clientY: y, bubbles: true}));
            }
            frames += 1;
            if (now - start < seconds * 1000) requestAnimationFrame(frame); else resolve();
        }
        requestAnimationFrame(frame);
    });
    const elapsed = (performance.now() - start) / 1000;
    return {fps: frames / elapsed, decodes: (window.__aePointer.decodes - decodes) / elapsed};
}"""
# session.run back to back for one second on a model given as base64 ONNX (or the page's own).
BARE = """async ([b64, dim]) => {
    const ort = window.__aePointer.ort;
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const session = await ort.InferenceSession.create(bytes, {executionProviders: ["wasm"]});
    const feeds = {z: new ort.Tensor("float32", new Float32Array(dim).fill(0.5), [1, dim])};
    for (let i = 0; i < 20; i++) await session.run(feeds);  // warm-up
    const start = performance.now();
    let runs = 0;
    while (performance.now() - start < 1000) { await session.run(feeds); runs += 1; }
    return runs / ((performance.now() - start) / 1000);
}"""


def mnist_sized_decoders() -> dict[str, tuple[str, int]]:
    """Fresh 28x28 decoders as the zoo's MNIST models are built: label -> (base64 ONNX, code size)."""
    import aecore
    from aecore.export import decoder_onnx

    built = [aecore.create_model("ae", arch=arch, latent_dim=32) for arch in ("mlp", "conv")]
    return {f"fresh MNIST-sized, {describe(model)}": (base64.b64encode(decoder_onnx(model)).decode(), 32)
            for model in built}


def describe(model) -> str:
    """'mlp, code 8 -> 1x8x8': the decoder's architecture, input and output."""
    return f"{model.config.arch}, code {model.config.latent_dim} -> {'x'.join(map(str, model.config.input_shape))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from ui.core.models import pretrained_model

    extra = mnist_sized_decoders()
    rows = []
    with streamlit_server("bench_pointer") as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for dataset, model in MODELS:
            page.goto(f"{url}/latent_map?dataset={dataset}&model={model}")
            wait_ready(page)
            page.locator(".ae-pointer[data-ready='ready']").wait_for(state="attached", timeout=180_000)
            wait_ready(page)
            base, moving = [], []
            for _ in range(args.rounds):
                base.append(page.evaluate(SWEEP, [False, args.seconds]))
                moving.append(page.evaluate(SWEEP, [True, args.seconds]))
            onnx = base64.b64encode(Path(_cached(model)).read_bytes()).decode()
            dim = pretrained_model(model).model.config.latent_dim
            bare = [page.evaluate(BARE, [onnx, dim]) for _ in range(args.rounds)]
            rows.append((f"{model}, {describe(pretrained_model(model).model)}", statistics.median(r["fps"] for r in base),
                         statistics.median(r["fps"] for r in moving), statistics.median(r["decodes"] for r in moving),
                         statistics.median(bare)))
        for label, (onnx, dim) in extra.items():
            bare = [page.evaluate(BARE, [onnx, dim]) for _ in range(args.rounds)]
            rows.append((label, None, None, None, statistics.median(bare)))
        browser.close()
    print(f"medians of {args.rounds} rounds of {args.seconds:.0f} s; Chromium headless, single-threaded WASM")
    print(f"{'decoder':52} {'rAF fps, no decode':>19} {'rAF fps, moving':>16} {'decodes/s':>10} {'bare runs/s':>12}")
    for label, base, fps, decodes, bare in rows:
        cells = [f"{v:.1f}" if v is not None else "-" for v in (base, fps, decodes)]
        print(f"{label:52} {cells[0]:>19} {cells[1]:>16} {cells[2]:>10} {bare:12.0f}")


def _cached(model: str) -> Path:
    from aecore.export import cached_path
    from ui.core.models import pretrained_model

    return cached_path(pretrained_model(model).model)


if __name__ == "__main__":
    main()
