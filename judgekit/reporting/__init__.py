"""Ways of showing a run: progress, console tables, files for CI systems."""
