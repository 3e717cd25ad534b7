"""judgekit's version: one definition, read by the package, the build and every record it writes."""

__version__ = "0.1.0"
