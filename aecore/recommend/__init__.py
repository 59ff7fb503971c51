"""Recommendation with an autoencoder: AutoRec against SVD, popularity and the means, on a ratings table.

    from aecore.data.ratings import bundled_ratings
    table = aecore.recommend.compare(bundled_ratings("tastes"), seed=0)
    table["AutoRec, item-based"]   # {"rmse": ..., "recall@10": ..., "ndcg@10": ..., "seconds": ...}

The split and the scores are in `split`, the baselines in `baselines`, the AutoRec training in
`autorec_fit`, the comparison and the page's job in `comparison`.
"""

from aecore.recommend.autorec_fit import Recipe, run_autorec, train_autorec
from aecore.recommend.run import predict
from aecore.recommend.comparison import PAGE_MODEL, code_map, compare, place, probe, study
from aecore.recommend.split import RatingsSplit, holdout, ranking, rmse, top_items

__all__ = ["PAGE_MODEL", "RatingsSplit", "Recipe", "code_map", "compare", "holdout", "place", "predict", "probe",
           "ranking", "rmse", "run_autorec", "study", "top_items", "train_autorec"]
