"""Human labels brought back into a dataset (`judgekit labels merge`)."""

from __future__ import annotations

STRATUM_COLUMN = "label_stratum"
"""The column naming each row's stratum when the labels were drawn per stratum."""
