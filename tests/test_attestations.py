"""PEP 740 attestations (roadmap D-8): `<dist>.publish.attestation` files signed next to
the built distributions go up with them, through the real `uv publish`, as the upload
form's `attestations` field; they are never taken for distributions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit_tasks.ecosystems.uv.build import attestations
from releasekit_tasks.errors import RKError
from tests.faultproxy import FaultProxy
from tests.publishing import Published, doit, sample_repo
from tests.servers import GitRemote, GoProxyServer, NpmRegistry, PypiServer

# The shape of a PEP 740 attestation (pypi-attestations' model); the index verifies it,
# pypiserver and this test do not.
STATEMENT = {
    "version": 1,
    "verification_material": {"certificate": "MIIC…", "transparency_entries": []},
    "envelope": {"statement": "eyJfdHlwZSI6…", "signature": "MEUCIQ…"},
}


def test_attestations_next_to_a_dist_are_uploaded_with_it(
    pypi_server: PypiServer,
    npm_registry: NpmRegistry,
    goproxy_server: GoProxyServer,
    git_remote: GitRemote,
    tmp_path: Path,
) -> None:
    with FaultProxy(pypi_server.url, rate=0) as proxy:  # records each upload's form
        pypi = PypiServer(proxy.url, proxy.url + "simple/", pypi_server.packages_dir)
        root = sample_repo(tmp_path, pypi, npm_registry, goproxy_server, git_remote)
        pub = Published(root, pypi_server, npm_registry, goproxy_server, git_remote)
        core = pub.release_id("py", "core")
        doit(root, "build", f"package={core}")
        (wheel,) = root.glob(".releasekit/dist/*/*.whl")
        (sdist,) = root.glob(".releasekit/dist/*/*.tar.gz")
        # What a signing step (astral-sh/attest-action, pypi-attestations sign) leaves.
        signed = wheel.parent / f"{wheel.name}.publish.attestation"
        signed.write_text(json.dumps(STATEMENT))
        out = doit(root, "publish", f"package={core}").stdout
    assert f"attest   {wheel.name}: {signed.name}" in out
    forms = {form["file"]: form for form in proxy.stats.forms}
    assert json.loads(forms[wheel.name]["attestations"]) == [STATEMENT]
    assert "attestations" not in forms[sdist.name]
    assert signed.name not in forms  # never uploaded as a file of its own
    assert pub.holds(wheel.name) and pub.holds(sdist.name)
    recorded = json.loads((wheel.parent / "artifacts.json").read_text())["artifacts"]
    assert {a["file"] for a in recorded} == {wheel.name, sdist.name}
    assert signed.is_file()  # publish's up-to-date build kept it


def test_an_attestation_that_is_not_json_is_refused_before_the_upload(tmp_path: Path) -> None:
    dist = tmp_path / "acme-1.0.0-py3-none-any.whl"
    dist.write_bytes(b"PK")
    (tmp_path / "acme-1.0.0.tar.gz.publish.attestation").write_text("{}")  # another dist's
    assert attestations(dist) == []
    bad = tmp_path / f"{dist.name}.publish.attestation"
    bad.write_text("-----BEGIN SIGSTORE BUNDLE-----")
    with pytest.raises(RKError) as err:
        attestations(dist)
    assert err.value.code == "RK-ATTESTATION-INVALID" and err.value.path == bad
