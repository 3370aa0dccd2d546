"""Package data: the templates, stylesheets, theme and CMYK profile (renderer.assets)."""
