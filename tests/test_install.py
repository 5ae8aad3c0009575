"""What an installer is handed (issue #28): the wheel, installed into a clean venv, and the
single-file zipapp, run by a bare interpreter (``python -I -S``: no site-packages, no
environment): both show the command list when run bare, and diagnose the loopback fake
platform, in Dutch too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import platform_in_thread

ROOT = Path(__file__).parent.parent

pytestmark = [pytest.mark.interop, pytest.mark.xdist_group("interop")]


def _run(argv: list[str], env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=env or {**os.environ, "LANG": "C.UTF-8"}, cwd="/")


def test_the_zipapp_runs_with_a_bare_interpreter(tmp_path: Path, validate_report: Any) -> None:
    pyz = tmp_path / "flexdiag.pyz"
    built = _run([sys.executable, str(ROOT / "scripts" / "build_pyz.py"), "--output",
                  str(pyz)])
    assert built.returncode == 0, built.stderr[-2000:]
    env = {"PATH": os.environ.get("PATH", ""), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "LANG": "C.UTF-8"}
    bare = [sys.executable, "-I", "-S", str(pyz)]
    shown = _run(bare, env)
    assert shown.returncode == 0 and "Commands" in shown.stdout, shown.stderr
    with platform_in_thread() as fake:
        result = _run([*bare, "run", "--quick", "--json", *fake.args()], env)
        dutch = _run([*bare, "run", "--quick", "--lang", "nl", *fake.args()], env)
    assert result.returncode == 0, result.stderr
    validate_report(json.loads(result.stdout))
    assert dutch.stdout.startswith("OK: "), dutch.stdout[:200]  # the catalogue from the zip


def test_the_wheel_installs_into_a_clean_venv(tmp_path: Path, validate_report: Any) -> None:
    # As a release is built: `python -m build` makes the sdist, then the wheel from it (so the
    # sdist is proven complete: the catalogue, the schema, the build hook).
    built = _run([sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
                 timeout=600)
    assert built.returncode == 0, (built.stdout + built.stderr)[-2000:]
    assert "deprecated" not in built.stdout + built.stderr, (built.stdout + built.stderr)[-3000:]
    (wheel,) = tmp_path.glob("flexdiag-*.whl")
    (sdist,) = tmp_path.glob("flexdiag-*.tar.gz")
    assert sdist.stat().st_size > 0
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "flexdiag/locale/nl/LC_MESSAGES/flexdiag.mo" in names
    assert "flexdiag/schema/report.schema.json" in names
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    installed = _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], timeout=600)
    if installed.returncode != 0 and os.environ.get("CI") != "true":
        pytest.skip(f"the wheel's dependencies could not be installed: {installed.stderr[-300:]}")
    assert installed.returncode == 0, installed.stderr[-2000:]
    flexdiag = str(venv / "bin" / "flexdiag")
    shown = _run([flexdiag])
    assert shown.returncode == 0 and "Commands" in shown.stdout, shown.stderr
    with platform_in_thread() as fake:
        result = _run([flexdiag, "run", "--quick", "--json", *fake.args()])
    assert result.returncode == 0, result.stderr
    validate_report(json.loads(result.stdout))


def test_the_readme_install_works_on_a_fresh_debian_12(tmp_path: Path,
                                                        validate_report: Any) -> None:
    """Issue #28: README's install command (pipx install WHEEL) on a fresh Debian 12 with
    nothing but python3, python3-venv and pipx from Debian (debootstrap's minbase), as root in
    a chroot; its dependencies from the package index as an installer's laptop gets them."""
    from tests.daemons import require

    require("debootstrap", "chroot", root=True)
    root = tmp_path / "debian12"
    strapped = _run(["debootstrap", "--variant=minbase",
                     "--include=python3,python3-venv,pipx,ca-certificates", "bookworm",
                     str(root), "http://deb.debian.org/debian"], timeout=900)
    if strapped.returncode != 0 and os.environ.get("CI") != "true":
        pytest.skip(f"debootstrap could not fetch Debian 12: {strapped.stderr[-300:]}")
    assert strapped.returncode == 0, strapped.stderr[-2000:]
    built = _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(root / "tmp"),
                  str(ROOT)], timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    # This machine's resolver and CA bundle (a TLS-inspecting proxy's CA, where there is one).
    for name in ("etc/resolv.conf", "etc/ssl/certs/ca-certificates.crt"):
        (root / name).write_bytes((Path("/") / name).read_bytes())
    env = {"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
           "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt"}
    (wheel,) = (root / "tmp").glob("flexdiag-*.whl")
    chroot = shutil.which("chroot") or "chroot"
    installed = _run([chroot, str(root), "pipx", "install", f"/tmp/{wheel.name}"], env,
                     timeout=600)
    assert installed.returncode == 0, (installed.stdout + installed.stderr)[-2000:]
    flexdiag = [chroot, str(root), "/root/.local/bin/flexdiag"]
    shown = _run(flexdiag, env)
    assert shown.returncode == 0 and "Commands" in shown.stdout, shown.stderr
    with platform_in_thread() as fake:  # on loopback, which the chroot shares
        result = _run([*flexdiag, "run", "--quick", "--json", *fake.args()], env)
    assert result.returncode == 0, result.stderr[-2000:]
    validate_report(json.loads(result.stdout))
