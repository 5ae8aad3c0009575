"""The package as it is installed, not as it sits in the source tree: the Dockerfile's own
steps replayed in a clean directory (no container engine runs here), the compiled Dutch
catalogue in the installed package, and the image's ENTRYPOINT/CMD and HEALTHCHECK commands
run from the result, in Dutch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# A real build (pip, setuptools and Babel from the package index): with the interop tests,
# not in the quick unit suite.
pytestmark = [pytest.mark.interop, pytest.mark.xdist_group("packaging")]


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            steps.append((word.upper(), rest.strip()))
    return steps


def test_the_image_build_replayed_gives_a_working_dutch_flexdiag(tmp_path: Path) -> None:
    src, target = tmp_path / "src", tmp_path / "installed"
    src.mkdir()
    for word, args in _dockerfile():  # COPY steps, as the image runs them
        if word == "COPY":
            *sources, dest = args.split()
            for name in sources:
                path = ROOT / name
                into = src / (name if dest in ("./", ".") else dest.lstrip("./"))
                if path.is_dir():
                    shutil.copytree(path, into, ignore=shutil.ignore_patterns(
                        "__pycache__", "*.mo"))  # no compiled catalogue from this tree
                else:
                    shutil.copy(path, into)
    # The image's RUN installs the package from that directory: the same build, into a
    # directory of its own (its dependencies come from this test's environment).
    build = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                            "--target", str(target), str(src)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    catalogue = target / "flexdiag" / "locale" / "nl" / "LC_MESSAGES" / "flexdiag.mo"
    assert catalogue.is_file() and catalogue.stat().st_size > 1000
    env = {**os.environ, "PYTHONPATH": str(target), "LANG": "nl_NL.UTF-8",
           "FLEXDIAG_HISTORY": str(tmp_path / "history.sqlite")}
    env.pop("FLEXDIAG_LANG", None)

    def flexdiag(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from flexdiag.cli import main; main()",
                               *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=60)

    steps = dict(_dockerfile())
    health = json.loads(steps["HEALTHCHECK"].split(" CMD ", 1)[1])
    cmd = json.loads(steps["CMD"])
    assert json.loads(steps["ENTRYPOINT"]) == ["flexdiag"] and health[0] == "flexdiag"
    checked = flexdiag(*health[1:])  # no run recorded yet: unhealthy, exit 1, one line
    assert checked.returncode == 1 and checked.stdout.startswith("unhealthy")
    helped = flexdiag(*cmd, "--help")
    assert helped.returncode == 0, helped.stderr
    explained = flexdiag("explain", "408")  # Dutch from the locale, as a Dutch LANG gives
    assert explained.returncode == 0, explained.stderr
    assert "Betekenis" in explained.stdout
    # The image's CMD for real, against loopback servers: their options (and a loopback
    # metrics address) come after the image's and win, so nothing leaves this host.
    from tests.commands import free_port
    from tests.fakes import platform_in_thread

    with platform_in_thread() as fake:
        watcher = subprocess.Popen(
            [sys.executable, "-c", "from flexdiag.cli import main; main()", *cmd, *fake.args(),
             "--metrics-listen", f"127.0.0.1:{free_port()}"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert watcher.stdout is not None
            first = json.loads(watcher.stdout.readline())
            healthy = flexdiag(*health[1:])  # the image's HEALTHCHECK, after one run
        finally:
            watcher.send_signal(signal.SIGTERM)
            _, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    titles = {c["id"]: c["title"] for c in first["checks"]}
    assert titles["dns.voip"] == "DNS: SIP-server"  # in Dutch, from the catalogue
    assert healthy.returncode == 0 and healthy.stdout.startswith("healthy"), healthy.stdout


def test_the_wheel_carries_the_compiled_catalogue(tmp_path: Path) -> None:
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            str(tmp_path), str(ROOT)], capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("flexdiag-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "flexdiag/locale/nl/LC_MESSAGES/flexdiag.mo" in names
    assert "flexdiag/schema/report.schema.json" in names
