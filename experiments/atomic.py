"""Results folders that appear whole or not at all, only where the user asked, checked first.

`safe_name` turns a scenario or sweep name into one folder-name component (a name is never a
path). `preflight` checks an output folder before any work: a name that the file system can
hold, not a symlink, absent or empty, under a writable folder with room for the expected size.
`output_lock` holds an exclusive lock file beside the folder while the work runs, so two
commands never write the same folder. `atomic_folder` writes into a hidden temporary sibling
and renames it into place, and removes the temporaries of processes that died.
"""

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gridvalue.simulation.schema import ScenarioError

NAME_LIMIT = 100  # characters of a name used in a default folder name
COMPONENT_BYTES = 255  # the longest file name Linux file systems hold (NAME_MAX)
PATH_BYTES = 4096  # PATH_MAX
FREE_SPACE_MARGIN = 1.2  # the free space asked for: expected size × this
_PARTIAL = re.compile(r"^\..+\.(partial|tmp)-(\d+)$")
_LOCK = re.compile(r"^\..+\.lock$")


def safe_name(name: str) -> str:
    """`name` as one safe folder-name component: letters, digits, `.`, `_` and `-` kept, any
    other run of characters (a `/`, `..`, a NUL, spaces) one `_`; no leading dot; at most
    NAME_LIMIT characters; `unnamed` if nothing is left."""
    text = re.sub(r"(?:[^A-Za-z0-9._-]|\.{2,})+", "_", str(name))
    text = re.sub(r"_+", "_", text).lstrip("._-")[:NAME_LIMIT]
    return text.rstrip("._-") or "unnamed"


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(".")


def _megabytes(n: float) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 1e6 else f"{n / 1e3:,.1f} kB"


def preflight(out: Path, expected_bytes: float = 0.0, field: str = "--out",
              allow_existing: bool = False) -> None:
    """Refuse (ScenarioError naming `field`) an output folder that could not be written, before
    any work: an empty name or `.`, a NUL, a name part longer than 255 bytes, a symlink, a
    file or a non-empty folder (unless `allow_existing`: a folder to resume), a file where a
    parent folder should be, an unwritable parent, or less free space than `expected_bytes`
    (with a margin). Writes nothing."""
    text = os.fspath(out)
    if "\x00" in text:
        raise ScenarioError(field, "the path contains a NUL character")
    if os.path.basename(os.path.normpath(text)) in ("", ".", "..") or \
            os.path.normpath(text) == os.sep:
        raise ScenarioError(field, f"must name a new folder, got {text!r}")
    if len(os.fsencode(text)) > PATH_BYTES:
        raise ScenarioError(field, f"the path is longer than {PATH_BYTES} bytes")
    for part in Path(text).parts:
        if len(os.fsencode(part)) > COMPONENT_BYTES:
            raise ScenarioError(field, f"a name in the path is {len(os.fsencode(part))} bytes "
                                f"long; at most {COMPONENT_BYTES}: {part[:40]}...")
    out = Path(text)
    if out.is_symlink():
        raise ScenarioError(field, f"{out} is a symbolic link; give a real folder")
    if out.exists() and not out.is_dir():
        raise ScenarioError(field, f"{out} already exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not allow_existing:
        raise ScenarioError(field, f"{out} already exists and is not an empty folder")
    anchor = _nearest_existing(out.parent if not out.exists() else out)
    if not anchor.is_dir():
        raise ScenarioError(field, f"{anchor} is a file, not a folder: cannot create {out}")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise ScenarioError(field, f"{anchor} is not writable: cannot create {out}")
    try:  # what os.access cannot see (root on a read-only or virtual file system)
        os.rmdir(tempfile.mkdtemp(prefix=".gridvalue-probe-", dir=anchor))
    except OSError as exc:
        raise ScenarioError(field, f"cannot create folders in {anchor}: "
                            f"{exc.strerror or exc}") from None
    free = shutil.disk_usage(anchor).free
    if expected_bytes * FREE_SPACE_MARGIN > free:
        raise ScenarioError(field, f"the results need about {_megabytes(expected_bytes)}; "
                            f"{anchor} has {_megabytes(free)} free")


def _lock_path(out: Path) -> Path:
    return out.parent / f".{out.name}.lock"


def _take_lock(lock: Path, field: str, out: Path) -> None:
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = int(lock.read_text().strip() or "0")
            except (OSError, ValueError):
                holder = 0
            if pid_alive(holder):
                raise ScenarioError(field, f"{out} is being written by process {holder} "
                                    f"(lock {lock})") from None
            lock.unlink(missing_ok=True)  # a dead process's lock
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()}\n")
        return
    raise ScenarioError(field, f"{out}: cannot take the lock {lock}")


@contextlib.contextmanager
def output_lock(out: Path, field: str = "--out") -> Iterator[None]:
    """Hold the exclusive lock file `.NAME.lock` beside `out` while the block runs; refuse
    (ScenarioError) if a live process holds it. Parent folders made for it are removed again
    if the block fails and leaves them empty."""
    out = Path(out)
    made = [p for p in (out.parent, *out.parent.parents) if not os.path.lexists(p)]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(field, f"cannot create {out.parent}: {exc.strerror or exc}") from None
    lock = _lock_path(out)
    ok = False
    try:
        _take_lock(lock, field, out)
        try:
            yield
            ok = True
        finally:
            lock.unlink(missing_ok=True)
    finally:
        if not ok:
            for folder in made:  # deepest first
                with contextlib.suppress(OSError):
                    folder.rmdir()


def clean_stale(folder: Path) -> list[Path]:
    """Remove the temporary folders and files (`.NAME.partial-PID`, `.NAME.tmp-PID`) and lock
    files of processes that no longer run; return what was removed."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        if match:
            if pid_alive(int(match.group(2))):
                continue
        elif _LOCK.match(entry.name):
            try:
                holder = int(entry.read_text().strip() or "0")
            except (OSError, ValueError):
                continue
            if pid_alive(holder):
                continue
        else:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_folder(out: Path, field: str = "--out") -> Iterator[Path]:
    """Yield a hidden temporary sibling of `out` to write into; when the block ends, rename it
    to `out` (an empty `out` is replaced). On any error the temporary folder is removed and
    `out` is left as it was; an OS error (a full disk, a folder that went read-only) becomes
    a ScenarioError naming `field`. Stale temporaries of dead processes are removed first."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(field, f"cannot create {out.parent}: {exc.strerror or exc}") from None
    clean_stale(out.parent)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        yield tmp
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno == errno.ENOTEMPTY:
            raise ScenarioError(field, f"{out} was filled by someone else meanwhile") from None
        raise ScenarioError(field, f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
