"""Credit: default probabilities, a reference noisy score, and the AUC of a score.

`credit_scores` blurs the standardised negative log hazard with noise and maps it through the
normal CDF onto 0..100 (higher is safer): a reference for tests. The model's scores come from
the data platform (simulation/dataplatform.py), which never reads the hazard.
"""

import numpy as np
from scipy.special import ndtr


def credit_scores(hazard_per_year: np.ndarray, noise_sd: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Scores 0..100 that rank customers by hazard, blurred by `noise_sd` (latent units)."""
    log_h = np.log(np.clip(hazard_per_year, 1e-6, 1.0))
    spread = log_h.std() if len(log_h) > 1 and log_h.std() > 0 else 1.0
    latent = -(log_h - log_h.mean()) / spread
    observed = latent + noise_sd * rng.standard_normal(len(latent))
    return 100.0 * ndtr(observed / np.sqrt(1.0 + noise_sd**2))


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
