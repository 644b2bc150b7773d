from pathlib import Path
from tests.publishing import sample_repo, doit

def test_try(tmp_path, pypi_server, npm_registry, goproxy_server, git_remote):
    root = sample_repo(tmp_path, pypi_server, npm_registry, goproxy_server, git_remote)
    r = doit(root, "publish", check=False)
    print(r.stdout[-6000:]); print(r.stderr[-4000:])
    assert r.returncode == 0
    r2 = doit(root, "publish", check=False)
    print("SECOND", r2.stdout[-3000:], r2.stderr[-2000:])
