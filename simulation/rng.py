"""Named, independent random streams derived from one integer seed.

Each stream is keyed by its name (a CRC32 of the name is the spawn key), so adding a
stream never shifts the numbers another stream draws.
"""

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """Stable integer key of a stream name (identical across processes and platforms)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of named `numpy.random.Generator` streams, all derived from `seed`."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        """The generator of stream `name` (created on first use, then reused)."""
        if name not in self._cache:
            sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(stream_key(name),))
            self._cache[name] = np.random.Generator(np.random.PCG64(sequence))
        return self._cache[name]

    def fresh(self, name: str) -> np.random.Generator:
        """A new generator of stream `name`, starting from its first number again."""
        sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(stream_key(name),))
        return np.random.Generator(np.random.PCG64(sequence))

    def networkx_seed(self, name: str) -> int:
        """An integer seed for a NetworkX generator, drawn from stream `name`."""
        return int(self[name].integers(2**31 - 1))
