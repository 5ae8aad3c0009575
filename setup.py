"""Build hook: compile the gettext catalogues (``.po`` -> ``.mo``) with Babel, for wheels and
for editable installs alike. Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(__file__).parent / "flexdiag" / "locale"
        # Editable installs use the source tree; wheels the build directory.
        target = source if getattr(self, "editable_mode", False) else (
            Path(self.build_lib) / "flexdiag" / "locale")
        for po in source.glob("*/LC_MESSAGES/*.po"):
            with open(po, "rb") as handle:
                catalog = read_po(handle)
            mo = target / po.relative_to(source).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with open(mo, "wb") as handle:
                write_mo(handle, catalog)


setup(cmdclass={"build_py": BuildWithCatalogues})
