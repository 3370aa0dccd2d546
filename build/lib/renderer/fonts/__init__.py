"""Package data: the bundled fonts and their licences (renderer.assets)."""
