"""Suite-wide guard: tests never touch the network.

Every socket connection to a host (not a local Unix socket) and every name lookup of a
remote host raises :class:`NetworkBlocked`, an ``OSError`` like the one an offline
machine gives, so code with an offline fallback takes it and anything else fails with a
message that says why. Subprocesses started by tests are not patched; they run offline
commands only.
"""

import socket

import pytest

LOCAL_HOSTS = {None, "localhost", "127.0.0.1", "::1", ""}


class NetworkBlocked(ConnectionError):
    """Raised instead of any network access during the tests."""


def _blocked(what: str, target) -> NetworkBlocked:
    return NetworkBlocked(f"tests must not use the network: {what}({target!r}) was blocked by tests/conftest.py")


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Patch ``socket`` for the whole session: connects and remote lookups raise :class:`NetworkBlocked`."""
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
