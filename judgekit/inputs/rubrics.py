"""Scoring rubrics given with `--rubric FILE` (the data's own `rubric` field needs no loading).

A rubric file is plain text (used as written), or a YAML/JSON mapping from score to what that
score means, with an optional criterion line, as Prometheus writes its score rubrics::

    criterion: Does the answer explain its reasoning?
    1: No reasoning at all.
    2: ...
    5: Every step is explained and correct.

A mapping is written out as one line per score level, lowest first, and its scores must lie on
the template's scale.
"""

from __future__ import annotations

from pathlib import Path

from judgekit.errors import UsageError

_MAPPING_SUFFIXES = (".yaml", ".yml", ".json")


def read_option_file(path: str, what: str, option: str) -> str:
    """The text of a file named by an option; a missing or unreadable one is a one-line usage error."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: {what} file not found ({option})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the {what} file ({exc})") from None


def load_rubric(path: str, scale: tuple[float, float] | None = None) -> str:
    """The rubric text from a file; score levels outside `scale` are an error naming the file."""
    file = Path(path)
    content = read_option_file(path, "rubric", "--rubric")
    if not content.strip():
        raise UsageError(f"{path}: the rubric file is empty")
    if file.suffix.lower() not in _MAPPING_SUFFIXES:
        return content.strip()
    import yaml

    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML/JSON ({getattr(exc, 'problem', exc)})") from None
    if isinstance(data, str):
        return data.strip()
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a rubric file holds text or a mapping from score to description")
    return _levels_text(data, path, scale)


def _levels_text(data: dict[object, object], path: str, scale: tuple[float, float] | None) -> str:
    criterion = data.pop("criterion", None)
    levels: list[tuple[float, str]] = []
    for key, description in data.items():
        try:
            score = float(str(key))
        except ValueError:
            raise UsageError(f"{path}: field '{key}': not a score (use numbers such as 1-5, or 'criterion')") from None
        if scale is not None and not scale[0] <= score <= scale[1]:
            raise UsageError(f"{path}: field '{key}': outside the template's scale {scale[0]:g}-{scale[1]:g}")
        if not isinstance(description, str) or not description.strip():
            raise UsageError(f"{path}: field '{key}': needs a description of what this score means")
        levels.append((score, description.strip()))
    if not levels:
        raise UsageError(f"{path}: the rubric has no score levels")
    lines = [f"Criterion: {str(criterion).strip()}"] if criterion else []
    lines += [f"Score {score:g}: {description}" for score, description in sorted(levels)]
    return "\n".join(lines)
