"""The customers' social graph: feeder (or transformer) neighbourhoods plus small-world links.

Neighbourhood groups are never materialised as edges: a customer's neighbour share is the
group's adopter count less its own, over the group size less one, computed with bincount.
Small-world links are a sparse matrix with a fixed number of random contacts per customer.
"""

import numpy as np
import scipy.sparse as sp


class SocialGraph:
    def __init__(self, group: np.ndarray | None, links: int, rng: np.random.Generator):
        """`group`: neighbourhood id per customer, or None for a complete graph."""
        self.group = group
        self.n = len(group) if group is not None else 0
        self.links = None
        if group is not None and links > 0 and len(group) > 1:
            n = len(group)
            targets = rng.integers(0, n - 1, size=(n, links))
            targets += targets >= np.arange(n)[:, None]  # never link to oneself
            self.links = sp.csr_matrix((np.ones(n * links), (np.repeat(np.arange(n), links),
                                                             targets.ravel())), shape=(n, n))
        self.group_size = np.bincount(group)[group] if group is not None else None

    @classmethod
    def complete(cls, n: int) -> "SocialGraph":
        graph = cls(None, 0, np.random.default_rng(0))
        graph.n = n
        return graph

    def neighbour_share(self, adopted: np.ndarray) -> np.ndarray:
        """Per customer, the share of its neighbours that have adopted (0..1)."""
        x = adopted.astype(float)
        if self.group is None:
            total = x.sum()
            return (total - x) / max(len(x) - 1, 1)
        count = np.bincount(self.group, weights=x, minlength=self.group.max() + 1)[self.group] - x
        degree = self.group_size - 1.0
        if self.links is not None:
            count = count + self.links @ x
            degree = degree + np.asarray(self.links.sum(axis=1)).ravel()
        return np.divide(count, degree, out=np.zeros_like(count), where=degree > 0)
