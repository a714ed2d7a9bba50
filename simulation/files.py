"""Files written whole or not at all.

`write_atomic(path, write)` writes through `write(file)` to a hidden temporary name beside
`path` (`.NAME.tmp-PID`, the pattern experiments/atomic.py `clean_stale` removes), flushes
it to disk and renames it into place: a reader, or another process writing the same file,
sees the old file or the new one, never a part. The sweep store, the optimiser's trials, the
validation report and the BDEW profiles' disk cache (simulation/profiles.py) write this way.
"""

import os
from pathlib import Path


def write_atomic(path: Path, write) -> None:
    """Write through `write(file)` to a hidden temporary name, fsync, then rename into place
    (on any error the temporary is removed and the error raised)."""
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
