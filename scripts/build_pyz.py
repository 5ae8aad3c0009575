"""Build ``dist/flexdiag.pyz``: flexdiag and its dependencies in one file that a bare
``python3`` (3.11 or newer) runs: ``python3 flexdiag.pyz run``. One dependency has compiled
code (typer needs pydantic, whose core is a C extension), which Python cannot import from a
zip: so, like shiv, the archive unpacks itself once into ``~/.cache/flexdiag/<build>`` and
runs from there. Build it on the platform it is for (Linux x86_64, macOS arm64, ...).

flexdiag is built from this tree (its Dutch catalogue compiled as for a wheel); the
dependencies are copied from this environment's installed distributions (``pip install -e
'.[test]'`` or ``pip install .`` first), not downloaded.

Run: ``python scripts/build_pyz.py [--output dist/flexdiag.pyz]``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import zipapp
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _requirements(name: str, seen: set[str]) -> None:
    """``name`` and everything it requires (for this Python, without extras), recursively."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return
    seen.add(key)
    for requirement in metadata.requires(name) or []:
        spec, _, marker = requirement.partition(";")
        if "extra" in marker:
            continue
        if marker.strip() and not _marker_holds(marker):
            continue
        _requirements(re.split(r"[\s<>=!~\[(]", spec.strip(), maxsplit=1)[0], seen)


def _marker_holds(marker: str) -> bool:
    try:
        from packaging.markers import Marker
    except ImportError:  # without packaging: keep the dependency (harmless in the archive)
        return True
    return bool(Marker(marker.strip()).evaluate())


def _copy_distribution(name: str, target: Path) -> None:
    dist = metadata.distribution(name)
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        if not path.is_file() or "__pycache__" in file.parts or file.parts[0] == "..":
            continue
        into = target / file
        into.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, into)


# The archive's entry point: unpack once (per build), then run flexdiag from the unpacked copy.
BOOTSTRAP = '''"""flexdiag.pyz: unpacks itself once into the user's cache, then runs flexdiag."""
import os
import sys
import zipfile
from pathlib import Path

base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
home = base / "flexdiag" / "BUILD"
if not (home / ".complete").exists():
    partial = home.with_name(home.name + f".{os.getpid()}")
    with zipfile.ZipFile(os.path.dirname(__file__)) as archive:
        archive.extractall(partial)
    (partial / ".complete").touch()
    try:
        partial.rename(home)
    except OSError:  # another run unpacked it first
        import shutil
        shutil.rmtree(partial, ignore_errors=True)
sys.path.insert(0, str(home))
from flexdiag.cli import main

main(sys.argv[1:])
'''


def _digest(target: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(target.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(target)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(output: Path) -> Path:
    """The archive at ``output``."""
    with tempfile.TemporaryDirectory(prefix="flexdiag-pyz-") as tmp:
        target = Path(tmp) / "app"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--target", str(target), str(ROOT)], check=True)
        needed: set[str] = set()
        for requirement in metadata.requires("flexdiag") or []:
            spec, _, marker = requirement.partition(";")
            if "extra" not in marker:
                _requirements(re.split(r"[\s<>=!~\[(]", spec.strip(), maxsplit=1)[0], needed)
        for name in sorted(needed):
            _copy_distribution(name, target)
        shutil.rmtree(target / "bin", ignore_errors=True)
        (target / "__main__.py").write_text(BOOTSTRAP.replace("BUILD", _digest(target)))
        output.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(target, output, interpreter="/usr/bin/env python3",
                              compressed=True)
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "dist" / "flexdiag.pyz")
    out = build(parser.parse_args().output)
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
