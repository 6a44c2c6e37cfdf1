import pytest

from tests.chat.peers import Peer
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.support.live import serving


@pytest.fixture
def live_server(app):
    with serving(app) as server:
        yield server


@pytest.fixture
def make_peer(app, live_server):
    peers = []

    def make(user=None, *, connect=True, register=True):
        user = user or UserFactory()
        token = bearer(app, user)["Authorization"].split(" ", 1)[1]
        peer = Peer(live_server, user, token, register=register)
        if connect:
            peer.connect()
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()
