"""The autoencoder concepts the app teaches, each in plain words with the formula of its loss term,
and one way to draw it: the words and the formula on the left, the live numbers that formula
produces on the active model on the right.

Pages call `explain(key, live)` where the concept appears; the words live here once, so a lesson,
a test or a page that shows the same idea says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import streamlit as st


@dataclass(frozen=True)
class Concept:
    """One idea: a title, what it means in plain words, and its formula (LaTeX for `st.latex`)."""

    title: str
    words: str
    formula: str


@dataclass(frozen=True)
class Live:
    """One live number beside a formula: what a term of it measures on the model shown now."""

    label: str
    value: str
    help: str | None = None
    delta: str | None = None
    delta_color: str = "normal"  # "inverse" where a rise is bad (a growing gap), as st.metric takes it


CONCEPTS: dict[str, Concept] = {
    "bottleneck": Concept(
        "The undercomplete bottleneck",
        "The encoder f squeezes each image into a code z of k numbers, fewer than its pixels; the decoder g "
        "rebuilds the image from z alone. Trained to rebuild, the code must keep what matters most. PCA is the "
        "best *linear* code of the same size: a curved (non-linear) code can beat it. Training lowers the "
        "reconstruction loss summed over the D pixels (cross-entropy for the default Bernoulli likelihood); "
        "the pages compare models by the mean squared error per pixel.",
        r"\begin{gathered} z = f(x) \in \mathbb{R}^k,\quad \hat x = g(z),\qquad "
        r"\text{MSE} = \frac{1}{D}\lVert x - \hat x \rVert^2 \\ "
        r"\mathcal{L}_{\text{rec}} = -\sum_{i=1}^{D} x_i \log \hat x_i + (1 - x_i)\log(1 - \hat x_i) "
        r"\ \ \text{(Bernoulli; Gaussian: } \textstyle\sum_i (x_i - \hat x_i)^2) \end{gathered}"),
    "bottleneck_size": Concept(
        "The trade-off of bottleneck size",
        "A wider code keeps more detail but compresses less and, past a point, learns to copy rather than to "
        "summarise. A narrow code keeps only the broad shape. The error falls as k grows, fast at first, then "
        "slowly.",
        r"\text{MSE}(k) = \frac{1}{N D}\sum_{i=1}^{N}\lVert x_i - g_k(f_k(x_i)) \rVert^2"),
    "sparse_l1": Concept(
        "Sparse code, L1 penalty",
        "The loss pays λ for every unit of |z| the code uses, so most units rest at exactly zero and each image "
        "is described by a few active units out of many.",
        r"\mathcal{L} = \mathcal{L}_{\text{rec}} + \lambda \sum_j |z_j|"),
    "sparse_kl": Concept(
        "Sparse code, KL penalty",
        "Each unit's average activation over a batch, ρ̂_j, is pushed towards a small target rate ρ: a unit may "
        "fire strongly, but only for a few images.",
        r"\begin{gathered} \mathcal{L} = \mathcal{L}_{\text{rec}} + \lambda \sum_j \rho \log\frac{\rho}{\hat\rho_j} "
        r"+ (1-\rho)\log\frac{1-\rho}{1-\hat\rho_j} \\ \hat\rho_j = \tfrac{1}{B}\textstyle\sum_i z_j(x_i) "
        r"\end{gathered}"),
    "denoising": Concept(
        "Denoising",
        "The model sees a corrupted copy x̃ and is scored on rebuilding the clean x. To do that it must learn "
        "what images of this kind look like, and it removes what does not fit: the noise.",
        r"\begin{gathered} \tilde x = \operatorname{clip}(x + \sigma\varepsilon,\,0,\,1),\ \varepsilon \sim "
        r"\mathcal N(0, I),\qquad \mathcal{L} = \mathcal{L}_{\text{rec}}\big(x,\, g(f(\tilde x))\big) \\ "
        r"\text{PSNR} = 10 \log_{10}\frac{1}{\text{MSE}} \end{gathered}"),
    "contractive": Concept(
        "Contractive code",
        "The loss pays for how much the code moves when the input moves: the squared norm of the encoder's "
        "Jacobian. Small pushes of an image then barely move its code, while the reconstruction term keeps "
        "the directions along which real images vary.",
        r"\mathcal{L} = \mathcal{L}_{\text{rec}} + \lambda \left\lVert \frac{\partial z}{\partial x} \right\rVert_F^2 "
        r"= \mathcal{L}_{\text{rec}} + \lambda \sum_{j,i} \left(\frac{\partial z_j}{\partial x_i}\right)^2"),
    "conv": Concept(
        "The convolutional encoder",
        "A convolution slides the same small filter over every position of the image, so a stroke is found "
        "wherever it is. Each filter of the first layer gives one feature map: bright where its pattern "
        "(an edge, a blob) appears. Strided layers then halve the map while adding channels, down to the code.",
        r"h_c(u, v) = \operatorname{ReLU}\Big(b_c + \sum_{i,j} w_c(i, j)\, x(s u + i,\, s v + j)\Big)"),
    "vae": Concept(
        "The VAE: reparameterisation and the KL term",
        "The encoder gives each image a distribution, a mean μ and a spread σ per unit, not one point. A code is "
        "drawn as μ plus σ times fresh noise ε, so gradients can flow through μ and σ. The KL term pulls every "
        "such distribution towards the prior N(0, I).",
        r"\begin{gathered} z = \mu + \sigma \odot \varepsilon,\quad \varepsilon \sim \mathcal N(0, I),\qquad "
        r"\mathcal{L} = \mathcal{L}_{\text{rec}}\big(x, g(z)\big) + \beta\,\mathrm{KL} \\ "
        r"\mathrm{KL} = \frac{1}{2}\sum_j \left(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\right) \end{gathered}"),
    "prior": Concept(
        "Sampling from the prior",
        "Because the KL term packed every image's code into N(0, I), a code drawn from N(0, I) lands where "
        "codes of real images live, and the decoder turns it into a new image. A plain autoencoder has no such "
        "region: its codes sit anywhere, and most random codes decode to noise.",
        r"z \sim \mathcal N(0, I),\qquad \hat x = g(z)"),
    "collapse": Concept(
        "Posterior collapse and KL warm-up",
        "If the KL term is at full weight from the first step, it can switch code units off (their KL goes to 0) "
        "before the decoder has learned to use them: the code then carries nothing. Warm-up ramps the KL weight "
        "up from 0 over the first T epochs.",
        r"\mathcal{L} = \mathcal{L}_{\text{rec}} + \beta\,\min\!\left(1, \tfrac{t}{T}\right)\mathrm{KL},\qquad "
        r"\text{unit } j \text{ active} \iff \mathrm{KL}_j > 0.01"),
    "overfitting": Concept(
        "Overfitting",
        "A large model trained on a few images can memorise them: its training loss keeps falling while the "
        "loss on images it never saw stops falling and rises. The gap between the two curves is what "
        "regularizers and early stopping keep small.",
        r"\text{gap} = \frac{1}{|V|}\sum_{x \in V} \ell(x) - \frac{1}{|T|}\sum_{x \in T} \ell(x)"),
    "anomaly": Concept(
        "Anomaly detection",
        "A model trained only on normal examples (images or table rows) rebuilds them well and anything "
        "else badly, so the reconstruction error is an anomaly score. AUROC is the chance that a random "
        "anomaly scores above a random normal example: 0.5 is guessing, 1 is perfect.",
        r"\begin{gathered} s(x) = \frac{1}{D}\lVert x - g(f(x)) \rVert^2,\qquad \text{flag } x \text{ if } s(x) > \tau "
        r"\\ \text{AUROC} = P\big(s(x_{\text{anomaly}}) > s(x_{\text{normal}})\big) \end{gathered}"),
    "compression": Concept(
        "Compression",
        "Store the code instead of the image: k numbers, each quantized to b bits, instead of D pixels of 8 "
        "bits. Fewer bits make a smaller file and a blurrier rebuild.",
        r"\begin{gathered} \hat z_j = z_{\min,j} + \Delta_j \operatorname{round}\!\frac{\operatorname{clip}(z_j) - "
        r"z_{\min,j}}{\Delta_j},\quad \Delta_j = \frac{z_{\max,j} - z_{\min,j}}{2^b - 1} \\ "
        r"\text{bits per image} = k\,b,\qquad \text{ratio} = \frac{8D}{k\,b} \end{gathered}"),
    "features": Concept(
        "Feature extraction",
        "The encoder, trained without labels, turns an image into a few numbers that make the classes easy to "
        "tell apart. A linear classifier fit on those codes with only a few labels per class shows how much "
        "the code learned.",
        r"z = f(x),\qquad \hat y = \arg\max_c\, (W z + b)_c"),
    "overcomplete": Concept(
        "The overcomplete autoencoder",
        "With a code wider than the input (k > D), nothing forces a summary: a plain autoencoder drifts towards "
        "the identity and rebuilds almost anything built from its data's pixels, noise included. A sparse or "
        "denoising penalty at the same width takes that shortcut away, so the model only rebuilds what looks "
        "like its data.",
        r"\begin{gathered} k > D:\quad g(f(x)) \approx x \ \text{for any } x \text{ made of the data's pixel values} \\ "
        r"\text{unless}\ \ \mathcal{L} = \mathcal{L}_{\text{rec}}\big(x, g(f(\tilde x))\big) \ \text{or}\ "
        r"\mathcal{L}_{\text{rec}} + \lambda \textstyle\sum_j |z_j| \end{gathered}"),
    "trustworthiness": Concept(
        "Trustworthiness of a map",
        "A 2-D map of codes must squeeze many dimensions onto a plane, so some images that look unlike each other "
        "land side by side. Trustworthiness (Venna & Kaski 2001) counts those false neighbours: for each image, the "
        "k nearest on the map that are not among its k nearest in pixels, weighted by how far down the pixel "
        "ranking they are. 1 means every map neighbour is a true one.",
        r"\begin{gathered} T(k) = 1 - \frac{2}{n k (2n - 3k - 1)} \sum_{i=1}^{n} \sum_{j \in U_k(i)} \big(r(i, j) - k\big) "
        r"\\ U_k(i):\ \text{the map's } k \text{ nearest to } i \text{ that are not its } k \text{ nearest in pixels;}\ "
        r"r(i, j):\ j\text{'s rank in pixels} \end{gathered}"),
    "masked_loss": Concept(
        "The masked loss of AutoRec",
        "A ratings table is mostly empty: each user rated a few items of many. AutoRec reads a user's row, "
        "squeezes it into a code of k numbers (the user's taste) and rebuilds the whole row, but only the "
        "ratings the user gave are scored: an empty cell is unknown, not a zero. The rebuilt empty cells are "
        "the predictions; a weight decay λ keeps the net from memorising the few ratings it sees.",
        r"\begin{gathered} z = g(V r + \mu),\quad \hat r = f(W z + b) \\ "
        r"\mathcal{L} = \sum_{u} \sum_{i \in O(u)} (r_{ui} - \hat r_{ui})^2 + \frac{\lambda}{2}"
        r"\left(\lVert W \rVert^2 + \lVert V \rVert^2\right) \end{gathered}"),
    "hashing": Concept(
        "Semantic hashing: a code of bits",
        "The encoder's k outputs are cut at 0 into k bits, and the decoder rebuilds the image from the bits "
        "alone. Cutting has no gradient, so training passes the sigmoid's gradient back through it instead "
        "(the straight-through estimator). A balance term pays λ for every bit that is on for more or fewer "
        "than half of a batch's images: a bit that never changes tells no two images apart.",
        r"\begin{gathered} b = \mathbb{1}[f(x) > 0] \in \{0, 1\}^k,\qquad \hat x = g(b) \\ "
        r"\mathcal{L} = \mathcal{L}_{\text{rec}}(x, \hat x) + \lambda \sum_{j=1}^{k} \big(\hat\rho_j - "
        r"\tfrac{1}{2}\big)^2,\quad \hat\rho_j = \tfrac{1}{B}\textstyle\sum_{i} \sigma(f_j(x_i)) \end{gathered}"),
    "retrieval": Concept(
        "Search by code, and semantic hashing",
        "The encoder f turns each image into a code; the query's k nearest codes, by Euclidean distance, are "
        "its search results. precision@k scores a search by labels the code never saw: the share of the k "
        "nearest that carry the query's label, averaged over every test image as a query. Semantic hashing "
        "(Salakhutdinov and Hinton, 2009) trains a code of b bits and compares codes by Hamming distance, "
        "the number of bits that differ: b/8 bytes an image, and a comparison of a few machine instructions.",
        r"\begin{gathered} \text{precision@}k = \frac{1}{|Q|}\sum_{q \in Q} \frac{1}{k} \sum_{i \in N_k(q)} "
        r"\mathbb{1}[y_i = y_q] \\ d(x, x') = \lVert f(x) - f(x') \rVert^2,\qquad "
        r"d_H(b, b') = \sum_{j=1}^{b} |b_j - b'_j|,\quad b_j = \mathbb{1}[f_j(x) > 0] \end{gathered}"),
}


def explain(key: str, live: Sequence[Live] = (), *, note: str | None = None) -> None:
    """Draw concept `key`: its words and formula, with the live numbers it produces beside them.

    The block is a container keyed `concept_<key>` (CSS class `st-key-concept_<key>` in the browser),
    so a test or a lesson can find it."""
    concept = CONCEPTS[key]
    with st.container(border=True, key=f"concept_{key}"):
        words_col, live_col = st.columns([3, 2]) if live else (st.container(), None)
        words_col.markdown(f"**{concept.title}.** {concept.words}")
        words_col.latex(concept.formula)
        if note:
            words_col.caption(note)
        if live_col is not None:
            for number in live:
                live_col.metric(number.label, number.value, delta=number.delta, help=number.help,
                                delta_color="off" if number.delta is None else number.delta_color)


__all__ = ["CONCEPTS", "Concept", "Live", "explain"]
