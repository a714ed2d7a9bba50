"""Credit: default probabilities and the AUC of a score.

The model's credit scores come from the data platform (simulation/dataplatform.py), which
never reads the hidden hazard.
"""

import numpy as np

from gridvalue.simulation.contracts import DEFAULTED


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


def book_defaults(service, rows: np.ndarray, u: np.ndarray, hazard_per_year: np.ndarray,
                  ledger, date) -> tuple[np.ndarray, np.ndarray]:
    """The month's defaults among a service's contract `rows`, cash only: a customer whose
    monthly draw `u` (per customer) falls under its default probability stops paying; its
    repossessed asset, if any, comes back as cash (`recoveries` in `ledger`), and the
    unrecovered amount is an accounting write-off, kept apart from the cash. The company's
    market and the competitors' books share it. Returns the defaulted rows and what came
    back from each."""
    book = service.contracts
    who = book["customer"][rows]
    defaulted = rows[u[who] < monthly_default_probability(hazard_per_year[who])]
    if len(defaulted) == 0:
        return defaulted, np.zeros(0)
    writeoff = service.exposure(defaulted)
    back = service.recovery(defaulted)
    book["status"][defaulted] = DEFAULTED
    service.on_default(defaulted)
    book["recovered"][defaulted] += back
    ledger.write_off(date, service.name, writeoff.sum())
    if back.sum():
        ledger.book(date, service.name, "recoveries", back.sum())
    return defaulted, back
