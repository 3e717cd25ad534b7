"""Finding and loading templates: built-in names, files, front matter, the wheel's copy.

A template file is YAML front matter between `---` lines, then the Jinja body. Errors name the
file and the line in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from judgekit.errors import TemplateError
from judgekit.inputs.prompts import TEMPLATE_SUFFIX, AuxFrontMatter, AuxRole, AuxTemplate, FrontMatter, Template


def builtin_dir() -> Path:
    """Where the built-in templates live: inside the wheel, or `prompts/` in a source checkout."""
    package = Path(__file__).resolve().parent.parent  # judgekit/, above judgekit/inputs/
    installed = package / "_prompts"
    if installed.is_dir():
        return installed
    return package.parent / "prompts"


def load_file(path: Path, name: str | None = None, builtin: bool = False) -> Template | AuxTemplate:
    """Load a template file of any role (a judge template, or a steps/reference one)."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: template file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read template ({exc})") from None
    front, body = split_front_matter(source, path)
    meta = _validate_front_matter(front, path)
    label = name or path.stem
    if isinstance(meta, AuxFrontMatter):
        return AuxTemplate(name=label, path=path, source=source, body=body, builtin=builtin, meta=meta)
    return Template(name=label, path=path, source=source, body=body, builtin=builtin, meta=meta)


def split_front_matter(source: str, path: Path) -> tuple[str, str]:
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise TemplateError(f"{path}:1: a template starts with a '---' line and a YAML front matter block")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :])
    raise TemplateError(f"{path}: the front matter has no closing '---' line")


def _validate_front_matter(front: str, path: Path) -> FrontMatter | AuxFrontMatter:
    import yaml

    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 2}:" if mark is not None else ""
        raise TemplateError(f"{path}:{line} front matter is not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path}:2: the front matter must be a YAML mapping")
    model: type[FrontMatter] | type[AuxFrontMatter] = (
        AuxFrontMatter if data.get("role") in ("steps", "reference") else FrontMatter
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # An unknown key usually explains a "missing" one (a typo), so report it first.
        errors = sorted(exc.errors(), key=lambda error: error["type"] != "extra_forbidden")
        error = errors[0]
        where = ".".join(str(part) for part in error["loc"]) or "front matter"
        if error["type"] == "extra_forbidden":
            import difflib

            known = list(model.model_fields)
            close = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; known fields: {', '.join(known)}"
            raise TemplateError(f"{path}: front matter field '{where}': unknown field{hint}") from None
        message = error["msg"].removeprefix("Value error, ")
        raise TemplateError(f"{path}: front matter field '{where}': {message}") from None


def iter_builtin() -> Iterator[Template | AuxTemplate]:
    """Every built-in template, judge and auxiliary, sorted by name."""
    root = builtin_dir()
    for name in builtin_names():
        yield load_file(root / f"{name}{TEMPLATE_SUFFIX}", name=name, builtin=True)


def builtin_names() -> list[str]:
    root = builtin_dir()
    return sorted(path.relative_to(root).with_suffix("").as_posix() for path in root.rglob(f"*{TEMPLATE_SUFFIX}"))


JUDGE_FOLDERS = ("pairwise", "pointwise")
"""Built-in judge templates live in a folder named after their kind; auxiliary ones after their role."""


def load_any(name_or_path: str, prefer: str = "judge") -> Template | AuxTemplate:
    """Load a built-in template by name (`pairwise/verdict` or just `verdict`) or a file path.

    A short name that several built-ins share is resolved in favour of the `prefer`red role
    (`judge`, `steps` or `reference`), so `geval` means the judge template pointwise/geval.
    """
    candidate = Path(name_or_path)
    if name_or_path.endswith(TEMPLATE_SUFFIX) or candidate.exists():
        if not candidate.is_file():
            raise TemplateError(f"{candidate}: template file not found")
        return load_file(candidate, name=str(candidate))
    root = builtin_dir()
    names = builtin_names()
    if name_or_path in names:
        return load_file(root / f"{name_or_path}{TEMPLATE_SUFFIX}", name=name_or_path, builtin=True)
    matches = [name for name in names if name.rsplit("/", 1)[-1] == name_or_path]
    if len(matches) > 1:
        folders = JUDGE_FOLDERS if prefer == "judge" else (prefer,)
        preferred = [name for name in matches if name.split("/", 1)[0] in folders]
        matches = preferred or matches
    if len(matches) == 1:
        return load_file(root / f"{matches[0]}{TEMPLATE_SUFFIX}", name=matches[0], builtin=True)
    if len(matches) > 1:
        raise TemplateError(f"template name {name_or_path!r} is ambiguous: {', '.join(matches)}")
    import difflib

    close = difflib.get_close_matches(name_or_path, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `judgekit prompts list`"
    raise TemplateError(f"no template named {name_or_path!r}{hint}")


def load(name_or_path: str) -> Template:
    """Load a judge template (one that ends in a verdict) by built-in name or file path."""
    template = load_any(name_or_path)
    if isinstance(template, AuxTemplate):
        raise TemplateError(
            f"template {template.name} has role {template.meta.role}: it generates text for judge calls "
            f"and reads no verdict, so it cannot judge (use it with --{template.meta.role}-prompt)"
        )
    return template


def load_aux(name_or_path: str, role: AuxRole) -> AuxTemplate:
    """Load an auxiliary template of the given role (steps or reference)."""
    template = load_any(name_or_path, prefer=role)
    if not isinstance(template, AuxTemplate) or template.meta.role != role:
        found = "judge" if isinstance(template, Template) else template.meta.role
        raise TemplateError(
            f"template {template.name} has role {found}, but --{role}-prompt needs a template "
            f"with 'role: {role}' in its front matter"
        )
    return template
