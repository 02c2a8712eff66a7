"""Run folders that never lose a run: one folder per run, a lock while it is used, staging inside it.

The policy, for ``jaxdl train``, ``sweep``, ``ovr`` and ``bench`` (and :func:`~jaxdl.experiments.train_and_evaluate`,
...) alike:

- the default ``--out`` (``runs/train``, ``runs/sweep``, ``runs/ovr``) numbers new runs: when
  ``runs/train`` holds a run (or is in use), the next goes to ``runs/train-2``, then ``-3``, ...;
- an ``--out`` you name that holds a run of any kind is refused with one line naming
  ``--resume`` (train) and ``--overwrite``; ``--overwrite`` replaces the old run's files when the new
  run writes its first file;
- while a run uses its folder, ``.jaxdl-lock`` in it holds the process id, host and start time: a
  second process on the folder stops with one line naming the first; a lock left by a process that
  is gone (same host, dead pid) is taken over;
- files are staged in ``.jaxdl-stage-<pid>-*`` inside the folder and moved in when complete, and the
  staging folder is removed on every exit path; a killed run's staging folders and partial checkpoint
  files are removed by the next run on the folder, and its staging folders also by the next run beside
  it (in the parent folder or a numbered sibling) once its process is gone.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator

from jaxdl.errors import ConfigError

LOCK = ".jaxdl-lock"
STAGE_PREFIX = ".jaxdl-stage-"
CHECKPOINT = "checkpoint"
RUN_FILES = (
    CHECKPOINT,
    "metrics.json",
    "metrics.csv",
    "timing.json",
    "curves.png",
    "sweep.png",
    "runs.csv",
    "search.ckpt",
    "tensorboard",
    "results.json",
    "results.md",
    "scaling.png",
)
"""Files and folders any jaxdl run writes: a folder holding one of them holds a run."""
MAX_NUMBERED = 10_000


def run_files(folder: str) -> list[str]:
    """The run files in ``folder`` (empty when there is none or no folder)."""
    if not os.path.isdir(folder):
        return []
    return sorted(name for name in os.listdir(folder) if name in RUN_FILES or name.startswith("events.out.tfevents"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_lock(path: str) -> dict | None:
    """The lock's content, or ``None`` when it vanished meanwhile."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        holder = {}
    return holder if isinstance(holder, dict) else {}


def _stale(holder: dict) -> bool:
    """True for a lock of a process that is gone: same host, pid no longer running (or unreadable lock)."""
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return True
    return holder.get("host") == socket.gethostname() and not _pid_alive(pid)


def _describe(holder: dict) -> str:
    return f"process {holder.get('pid')} on {holder.get('host')} (started {holder.get('started')})"


class InUseError(ConfigError):
    """The folder is locked by another live process."""


class RunFolderLock:
    """``.jaxdl-lock`` in ``folder``, created atomically; see :func:`claim`."""

    def __init__(self, folder: str, created: str | None) -> None:
        self.folder, self.path, self.created = folder, os.path.join(folder, LOCK), created

    def release(self) -> None:
        """Remove the lock, and the folders this run created if it left nothing in them."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        _remove_created(self.folder, self.created)


def _remove_created(folder: str, created: str | None) -> None:
    """Remove ``folder`` and its parents up to ``created`` (the first one made), while empty."""
    if created is None:
        return
    path = folder
    while True:
        try:
            os.rmdir(path)
        except OSError:
            return
        if path == created:
            return
        path = os.path.dirname(path)


def _first_missing(folder: str) -> str | None:
    """The outermost folder of ``folder``'s path that does not exist yet (None if it exists)."""
    missing = None
    path = folder
    while not os.path.exists(path):
        missing, path = path, os.path.dirname(path)
    return missing


def _acquire(folder: str, flag: str) -> RunFolderLock:
    """Create ``folder`` if needed and take its lock (taking over a stale one)."""
    created = _first_missing(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"{flag} {folder!r} cannot be created: {err.strerror}.") from None
    path = os.path.join(folder, LOCK)
    holder = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            other = _read_lock(path)
            if other is not None and not _stale(other):
                _remove_created(folder, created)
                raise InUseError(
                    f"{flag} {folder!r} is in use by {_describe(other)}: wait for it to end or choose "
                    f"another {flag} (if that process is gone, delete {path})."
                ) from None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            continue
        except OSError as err:
            raise ConfigError(f"{flag} {folder!r} is not writable: {err.strerror}.") from None
        with os.fdopen(fd, "w") as f:
            json.dump(holder, f)
        return RunFolderLock(folder, created)
    raise InUseError(f"{flag} {folder!r}: another process keeps taking its lock; choose another {flag}.")


def new_stage(folder: str) -> str:
    """A new staging folder in ``folder``, named with this process's id so that others can tell when it is dead."""
    return tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-", dir=folder)


def _stage_owner_gone(name: str) -> bool:
    """Whether the process that made staging folder ``name`` is gone (true for the pid-less names of old runs)."""
    pid = name[len(STAGE_PREFIX) :].split("-", 1)[0]
    return not pid.isdigit() or not _pid_alive(int(pid))


def remove_dead_stages(folder: str, *, all_of_them: bool = False) -> None:
    """Remove the staging folders in ``folder`` of killed runs (every one with ``all_of_them``: the folder is
    locked by this process, so no live run uses them)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(STAGE_PREFIX) and (all_of_them or _stage_owner_gone(name)):
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


def _check_writable(folder: str, flag: str) -> None:
    """Create and remove a staging folder, as the run will at its end."""
    try:
        os.rmdir(new_stage(folder))
    except OSError as err:
        raise ConfigError(f"{flag} {folder!r} is not writable: {err.strerror}.") from None


def _refusal(folder: str, found: list[str], kind: str, flag: str) -> ConfigError:
    resume = f"continue it with jaxdl train --resume {folder}, " if kind == "train" and CHECKPOINT in found else ""
    return ConfigError(
        f"{flag} {folder!r} already holds a run ({', '.join(found)}): {resume}choose another {flag}, "
        "or replace it with --overwrite."
    )


@contextlib.contextmanager
def claim_run_folder(
    out: str | os.PathLike | None,
    *,
    kind: str,
    default: str,
    overwrite: bool = False,
    resume: bool = False,
    flag: str = "--out",
) -> Iterator[str]:
    """Lock the run's folder for the block and yield its path (absolute); see the policy above.

    Args:
      out: the folder the user named, or ``None`` for the default.
      kind: ``"train"``, ``"sweep"``, ``"ovr"`` or ``"bench"`` (messages only).
      default: the default folder; numbered ``default-2``, ``default-3``, ... when taken.
      overwrite: a named folder holding a run may be replaced.
      resume: the folder holds the run to continue (no refusal).
      flag: the option's name for messages.

    Raises:
      ConfigError: the named folder holds a run (without ``overwrite``/``resume``), is in use, or is not writable.
    """
    if out is not None and not os.fspath(out).strip():
        raise ConfigError(f"{flag} {os.fspath(out)!r} is empty: name a folder, or leave it out for {default}.")
    if out is None:
        lock = _numbered(os.path.abspath(default), flag)
    else:
        lock = _acquire(os.path.abspath(out), flag)
        found = run_files(lock.folder)
        if found and not (overwrite or resume):
            remove_dead_stages(lock.folder, all_of_them=True)
            lock.release()
            raise _refusal(os.fspath(out), found, kind, flag)
    try:
        remove_dead_stages(lock.folder, all_of_them=True)
        remove_dead_stages(os.path.dirname(lock.folder))
        _check_writable(lock.folder, flag)
        yield lock.folder
    finally:
        lock.release()


def _numbered(base: str, flag: str) -> RunFolderLock:
    """Lock the first of ``base``, ``base-2``, ... that holds no run and is not in use."""
    for n in range(1, MAX_NUMBERED):
        folder = base if n == 1 else f"{base}-{n}"
        if run_files(folder):
            remove_dead_stages(folder)
            continue
        try:
            lock = _acquire(folder, flag)
        except InUseError:
            continue
        if not run_files(lock.folder):
            return lock
        lock.release()
    raise ConfigError(f"{flag}: {base} and {MAX_NUMBERED} numbered folders beside it hold runs; name one with {flag}.")


def clear_old_run(folder: str) -> None:
    """Remove the run files of an earlier run in ``folder`` (``--overwrite``)."""
    for name in run_files(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


@contextlib.contextmanager
def staged(folder: str, *, replace: bool = False) -> Iterator[str]:
    """Yield a staging folder inside ``folder``; on success its files move into ``folder``.

    With ``replace``, the run files already in ``folder`` go first (``--overwrite``). If the block
    raises, the staging folder is removed and ``folder`` is left as it was.
    """
    try:
        stage = new_stage(folder)
    except OSError as err:
        raise ConfigError(f"--out {folder!r} is not writable: {err.strerror}.") from None
    try:
        yield stage
        if replace:
            clear_old_run(folder)
        for name in os.listdir(stage):
            os.replace(os.path.join(stage, name), os.path.join(folder, name))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
