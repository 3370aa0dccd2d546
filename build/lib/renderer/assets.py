"""Where the project's assets are: styles/ and fonts/, shipped as package data.

In a checkout they are the repository's top-level folders; in an installed wheel they
are the packages renderer.styles and renderer.fonts (the package-dir mapping in
pyproject.toml). importlib.resources finds both the same way, so no module works out
a path from its own file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

STYLES = Path(str(resources.files("renderer.styles")))
FONTS = Path(str(resources.files("renderer.fonts")))
CODE = Path(str(resources.files("renderer")))
MAIL_TEMPLATES = STYLES / "mail"
THEME = STYLES / "theme.yaml"
# The press's characterization profile: the print edition's output intent, the target
# of figures converted to CMYK, the source of the theme's screen colours.
CMYK_PROFILE = STYLES / "profiles" / "FOGRA39L-coated.icc"
