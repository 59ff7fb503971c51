"""Every page works with the residual conv net active (`fashion-mnist-resconv-32`, batch norm in its
blocks, so in eval mode wherever the app runs it), on a fake Fashion-MNIST download written here
(random images, never the real ones)."""

from __future__ import annotations

import pytest

from conftest import REPO_ROOT, open_page
from fake_mirror import mnist_here

NAME = "fashion-mnist-resconv-32"


@pytest.fixture(scope="module")
def fake_fashion(tmp_path_factory):
    base = tmp_path_factory.mktemp("resconv")
    with mnist_here(base, folder="FashionMNIST", seed=4):
        yield base


@pytest.mark.parametrize("page", sorted(p.name for p in (REPO_ROOT / "pages").glob("*.py")))
def test_every_page_draws_with_the_residual_net_active(fake_fashion, page):
    at = open_page(f"pages/{page}", model=NAME)
    assert at.main.children, f"{page} drew nothing"
    assert not at.error, [e.value for e in at.error]
