"""Suite-wide guards and one shared compilation cache: tests never touch the network, never write into the checkout.

Every socket connection to a host (not a local Unix socket) and every name lookup of a
remote host raises :class:`NetworkBlockedError`, an ``OSError`` like the one an offline
machine gives, so code with an offline fallback takes it and anything else fails with a
message that says why. Subprocesses started by tests are not patched; they run offline
commands only.

Tests write only under their own temporary folders (``tmp_path``, or ``tempfile`` in a
doctest). A file that appears in the checkout during the session (outside hidden folders,
``__pycache__`` and ``*.egg-info``) fails the run and is named: on a fresh machine nothing
else would have left it there, so a later run could pass only because of it.

Compiled programs are shared through one persistent compilation cache, a fresh empty folder made for
each session (see :func:`pytest_configure`), and compiled with flags that make compiles cheaper (see
:data:`FAST_COMPILE`).
"""

import os
import shutil
import socket
import tempfile
from pathlib import Path

import jax
import pytest

from jaxdl import compilation_cache

ROOT = Path(__file__).resolve().parents[1]
_CHECKOUT_FILES = pytest.StashKey[frozenset]()
_CACHE_FOLDER = pytest.StashKey[str]()


FAST_COMPILE = ("--xla_backend_optimization_level=0", "--xla_cpu_use_fusion_emitters=false")
"""Added to ``XLA_FLAGS`` for the session and the processes tests start, each unless ``XLA_FLAGS`` names it already.

XLA's CPU compiles are most of the suite's time (2026-12-07, at level 1: 555 s of the workers' 1221 s compiling in
the backend, 126 s lowering, 63 s tracing, over 3565 programs), and the suite's programs run for milliseconds. LLVM
at level 0 compiles them about twice as fast as level 1 (which had cut 30% from XLA's default level). At level 0
element-wise loops run unvectorised, several times slower, which only a long training notices: a convolutional net
over epochs (LeNet's CLI run: 160 s at level 0, 20 s at level 1), so those tests train in a process of their own at
level 1 (:func:`tests.helpers.training_xla_flags`: LeNet's CLI runs and the notebook's kernel). Together: 1706 tests
in 539 s instead of 636 s, 1001 worker-seconds instead of 1221. XLA's elemental fusion emitters, which jaxdl's
trainers ask for themselves (``jaxdl.train._xla``), make every other program of the suite compile faster too. At
levels 0 to 2 LLVM rounds some float operations differently from the default level, so a model trained here can
differ from a user's in its last bits; the parity tolerances and the docs' printed outputs hold at levels 0, 1 and 3
(the suite passed at each), and tests/test_xla_options.py checks the emitters at the default level.
"""


def pytest_configure(config):
    """One persistent compilation cache for the session, in a fresh empty folder under ``$TMPDIR``.

    The controller (or a run without xdist) makes the folder and names it in ``$JAX_COMPILATION_CACHE_DIR``;
    xdist workers and the subprocesses tests start inherit the variable, so a program compiled once is loaded,
    not compiled, everywhere else in the session. An entry is keyed by the program's whole text, jax's version
    and the compile options and devices: a hit only skips a compile, it cannot change a result, and a test
    cannot pass because of a file another test left. The folder is new each session and removed at its end,
    so nothing carries over between runs. ``JAXDL_NO_CACHE=1`` in the environment runs the suite without it.
    Tests of the cache itself use their own folders.
    """
    for flag in FAST_COMPILE:
        if flag.split("=")[0] not in os.environ.get("XLA_FLAGS", ""):
            os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
    if compilation_cache.switched_off():
        return
    if not hasattr(config, "workerinput"):
        folder = tempfile.mkdtemp(prefix="jaxdl-test-xla-cache-")
        config.stash[_CACHE_FOLDER] = folder
        os.environ[compilation_cache.ENV_DIR] = folder
    compilation_cache.enable(os.environ[compilation_cache.ENV_DIR])


def pytest_unconfigure(config):
    folder = config.stash.get(_CACHE_FOLDER, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _checkout_files() -> frozenset:
    """Relative paths of the checkout's files, skipping hidden folders, caches and build metadata."""
    found = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__" and not d.endswith(".egg-info")]
        found.update(os.path.relpath(os.path.join(folder, f), ROOT) for f in files if not f.startswith(".coverage"))
    return frozenset(found)


def pytest_sessionstart(session):
    session.config.stash[_CHECKOUT_FILES] = _checkout_files()


def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(_CHECKOUT_FILES, None)
    if before is None:
        return
    new = sorted(_checkout_files() - before)
    if new:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"tests wrote into the checkout instead of tmp_path: {', '.join(new[:10])}"
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def library_temp_files(tmp_path_factory):
    """Temporary files that libraries make for themselves (tfds' ``tmp*tfds`` folders) land under pytest's folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("library-temp")))
        yield


LOCAL_HOSTS = {None, "localhost", "127.0.0.1", "::1", ""}


class NetworkBlockedError(ConnectionError):
    """Raised instead of any network access during the tests."""


def _blocked(what: str, target) -> NetworkBlockedError:
    return NetworkBlockedError(f"tests must not use the network: {what}({target!r}) was blocked by tests/conftest.py")


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Patch ``socket`` for the whole session: connects and remote lookups raise :class:`NetworkBlockedError`."""
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address, *args, **kwargs):
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect(self, address, *args, **kwargs)
        raise _blocked("socket.connect", address)

    def connect_ex(self, address, *args, **kwargs):
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect_ex(self, address, *args, **kwargs)
        raise _blocked("socket.connect_ex", address)

    def create_connection(address, *args, **kwargs):
        raise _blocked("socket.create_connection", address)

    def getaddrinfo(host, *args, **kwargs):
        if host in LOCAL_HOSTS:
            return real_getaddrinfo(host, *args, **kwargs)
        raise _blocked("socket.getaddrinfo", host)

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "create_connection", create_connection)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield


@pytest.fixture
def full_calls(monkeypatch):
    """Every compiled call of the trainers runs as many epochs as it may, however fast this machine is.

    The trainers size a call to take about ``TARGET_CALL_SECONDS`` from the epochs' measured time (at most
    ``MAX_EPOCHS_PER_CALL`` epochs), so on a busy machine calls hold fewer epochs: tests that count calls
    pin the size here and count exactly (two timing calls of one epoch, then 16 epochs per call).
    """
    from jaxdl.train import _program

    monkeypatch.setattr(_program, "TARGET_CALL_SECONDS", 1e9)


@pytest.fixture
def x64():
    """float64 for the test (parity with PyTorch to 1e-9 and below)."""
    with jax.enable_x64(True):
        yield
