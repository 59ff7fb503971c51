"""The quality bars of the shipped 28x28 models (aecore.studies.quality.BARS), on held-out real images, against PCA.

The images are ../shared/data's MNIST and Fashion-MNIST prefixes; their last images are held out
(the zoo trained on the rest, see shared_data.py). Prints one markdown table per dataset (the
quality table in docs/quality.md), then the one-class anomaly AUROC of every class: the Train page's 28x28
recipe trained on that class alone against PCA with as many components fit on the same images.
The VAE's ELBO bar is bench_vae_baseline.py's; the live-training bar is bench_live.py's.

    python bench/bench_quality.py [--dataset mnist] [--skip-anomaly]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from shared_data import available, held_out_split

import aecore
from aecore.studies import quality
from aecore.anomaly import normal_mask
from aecore.studies.quality import BARS
from aecore.recipes import one_class_spec
from aecore.runner import run


def row(name: str, measure: str, value: float, baseline: str, bar: str, met: bool) -> str:
    return f"| {name} | {measure} | {value:.3f} | {baseline} | {bar} | {'yes' if met else 'NO'} |"


def model_rows(dataset: str, train, test) -> list[str]:
    rows = []
    for entry in aecore.list_pretrained(dataset):
        name, kind, dim = entry["name"], entry["kind"], entry["latent_dim"]
        model = aecore.load_pretrained(name)
        rec = quality.reconstruction(model, train, test)
        bar = BARS.get(f"reconstruction_{dim}")
        rows.append(row(name, "test MSE / PCA's", rec["ratio"], f"PCA-{dim} MSE {rec['pca_mse']:.4f}",
                        f"<= {bar}" if bar and kind == "ae" else "-", bar is None or kind != "ae" or rec["ratio"] <= bar))
        if kind == "denoising":
            plain = next(e["name"] for e in aecore.list_pretrained(dataset)
                         if e["kind"] == "ae" and e["latent_dim"] == dim and e["arch"] == entry["arch"])
            den = quality.denoising(model, aecore.load_pretrained(plain), test)
            rows.append(row(name, "PSNR gain at sigma 0.5 (dB)", den["gain_db"],
                            f"noisy {den['noisy_psnr']:.1f} dB, {plain} {den['plain_psnr']:.1f} dB", ">= 8 and > plain",
                            den["gain_db"] >= BARS["denoising_gain_db"] and den["psnr"] > den["plain_psnr"]))
        if kind == "vae":
            metrics = aecore.evaluate(model, test)
            beta = model.config.beta
            least = BARS["beta_vae_active_units"] if beta > 1 else BARS["vae_active_units"]
            rows.append(row(name, "active units", metrics["active_units"], f"test -ELBO {metrics['neg_elbo']:.1f}",
                            f">= {least}", metrics["active_units"] >= least))
            if beta == 1:
                prior = quality.prior_samples(model, train)
                rows.append(row(name, "prior samples: mean top-class probability", prior["confidence"],
                                f"smallest class share {prior['min_share']:.3f}", ">= 0.8, every class >= 0.03",
                                prior["confidence"] >= BARS["prior_confidence"]
                                and prior["min_share"] >= BARS["prior_class_share"]))
        if kind == "ae" and dim == 32:
            probe = quality.probe(model, train, test)
            rows.append(row(name, "probe accuracy, 10 labels per class", probe["autoencoder"],
                            f"PCA-32 {probe['pca']:.3f}, pixels {probe['pixels']:.3f}", "> both",
                            probe["autoencoder"] > max(probe["pca"], probe["pixels"])))
    return rows


def anomaly_rows(dataset: str, train, test) -> list[str]:
    rows, ours, pcas = [], [], []
    for normal in range(len(train.classes)):
        spec = one_class_spec(dataset, [normal])
        started = time.perf_counter()
        normal_train = train.subset(normal_mask(train, [normal]))
        model = run(spec, data=(normal_train, test.subset(normal_mask(test, [normal])))).model
        result = quality.one_class_auroc(model, train, test, normal)
        ours.append(result["autoencoder"])
        pcas.append(result["pca"])
        rows.append(f"| {train.classes[normal]} | {result['autoencoder']:.3f} | {result['pca']:.3f} | "
                    f"{time.perf_counter() - started:.0f} |")
    rows.append(f"| **mean** | **{np.mean(ours):.3f}** | **{np.mean(pcas):.3f}** | |")
    rows.append(f"AE beats PCA on the mean: {'yes' if np.mean(ours) > np.mean(pcas) else 'NO'}; "
                f"on {sum(a > p for a, p in zip(ours, pcas))} of {len(ours)} classes")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=["mnist", "fashion-mnist"], action="append")
    parser.add_argument("--skip-anomaly", action="store_true")
    args = parser.parse_args()
    for dataset in args.dataset or ["mnist", "fashion-mnist"]:
        if not available(dataset):
            print(f"{dataset}: no images in ../shared/data here; skipped")
            continue
        train, test = held_out_split(dataset)
        print(f"\n### {dataset}: {len(train)} training images, {len(test)} held out\n")
        print("| model | measure | value | baseline | bar | met |\n|---|---|---:|---|---|:---:|")
        print("\n".join(model_rows(dataset, train, test)), flush=True)
        if not args.skip_anomaly:
            spec = one_class_spec(dataset, [0])
            print(f"\none-class anomaly AUROC, {spec.kind} {spec.arch} {spec.latent_dim}-D, {spec.fit.epochs} epochs "
                  f"per class, against PCA-{spec.latent_dim}\n")
            print("| normal class | autoencoder | PCA | seconds |\n|---|---:|---:|---:|")
            print("\n".join(anomaly_rows(dataset, train, test)), flush=True)


if __name__ == "__main__":
    main()
