"""Credit: default probabilities and the AUC of a score.

The model's credit scores come from the data platform (simulation/dataplatform.py), which
never reads the hidden hazard.
"""

import numpy as np


def monthly_default_probability(hazard_per_year: np.ndarray) -> np.ndarray:
    """Monthly probability equivalent to an annual default probability."""
    return 1.0 - (1.0 - np.clip(hazard_per_year, 0.0, 1.0)) ** (1.0 / 12.0)


def auc(score: np.ndarray, defaulted: np.ndarray) -> float:
    """Area under the ROC curve of `score` (higher = safer) against actual defaults."""
    good, bad = score[~defaulted], score[defaulted]
    if len(good) == 0 or len(bad) == 0:
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([bad, good]))) + 1.0
    return float((ranks[len(bad):].sum() - len(good) * (len(good) + 1) / 2)
                 / (len(good) * len(bad)))
