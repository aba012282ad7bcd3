import pytest

from tests.servers import sshd_available, start_sshd, stop


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    if not sshd_available():
        pytest.skip("openssh-server is not installed (.ci/run installs it)")
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    stop(server.process)
