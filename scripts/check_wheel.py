"""Check a built wheel the way a user gets it: installed by pip into a fresh virtual environment.

Usage: python scripts/check_wheel.py dist/judgekit_cli-*.whl

The wheel must carry the built-in templates; installed into a new venv (its dependencies come
from the package index, as for a user), it must answer `judgekit --version` under the
distribution name that pyproject.toml declares, register its pytest plugin, and run an
evaluation with an HTML report from another folder, so neither the source checkout nor an
editable install can stand in for what the wheel contains.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
from importlib.metadata import distribution
import judgekit, judgekit.inputs.template_files as prompts
dist = distribution(sys.argv[1])
print(json.dumps({
    "version": dist.version,
    "package_version": judgekit.__version__,
    "pytest11": sorted(entry.value for entry in dist.entry_points if entry.group == "pytest11"),
    "scripts": sorted(entry.name for entry in dist.entry_points if entry.group == "console_scripts"),
    "templates_dir": str(prompts.builtin_dir()),
    "templates": len(prompts.builtin_names()),
}))
"""


def _expected_templates() -> list[str]:
    return sorted(
        f"judgekit/_prompts/{path.relative_to(ROOT / 'prompts').as_posix()}"
        for path in (ROOT / "prompts").rglob("*.jinja")
    )


def _run(command: list[str], cwd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def _problems_in_venv(wheel: Path, name: str, venv: Path, elsewhere: str) -> list[str]:
    """Install the wheel into `venv` and return what is wrong with it (nothing when all is well)."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, script = venv / "bin" / "python", venv / "bin" / "judgekit"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["JUDGEKIT_CACHE_DIR"] = str(Path(elsewhere) / "cache")
    installed = _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], elsewhere, env)
    if installed.returncode != 0:
        return [f"pip could not install the wheel into a fresh venv:\n{installed.stderr}"]
    problems = []
    version = _run([str(script), "--version"], elsewhere, env)
    probe = _run([str(python), "-c", PROBE, name], elsewhere, env)
    if probe.returncode != 0:
        return [f"the installed package cannot be inspected:\n{probe.stderr}"]
    found = json.loads(probe.stdout)
    if version.returncode != 0 or version.stdout.strip() != f"judgekit {found['package_version']}":
        problems.append(f"`judgekit --version` answered {version.stdout.strip()!r} {version.stderr.strip()}")
    if found["version"] != found["package_version"]:
        problems.append(f"distribution {name} is version {found['version']}, judgekit says {found['package_version']}")
    if found["pytest11"] != ["judgekit.pytest_plugin"]:
        problems.append(f"the pytest plugin entry point is {found['pytest11']}, not judgekit.pytest_plugin")
    if found["scripts"] != ["judgekit"]:
        problems.append(f"console scripts {found['scripts']}, expected only `judgekit`")
    if not found["templates_dir"].startswith(str(venv)) or found["templates"] != len(_expected_templates()):
        problems.append(f"templates resolved to {found['templates_dir']} ({found['templates']}), not inside the venv")
    data = ROOT / "datasets" / "demo" / "pairwise.jsonl"
    command = [str(script), "eval", str(data), "--judge", "mock/random", "--format", "json", "-q", "--html", "r.html"]
    result = _run(command, elsewhere, env)
    if result.returncode != 0:
        return [*problems, f"eval from the installed wheel failed:\n{result.stderr}"]
    report = Path(elsewhere) / "r.html"
    if not report.is_file() or not report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>"):
        problems.append("the HTML report was not written from the wheel (are its assets inside?)")
    if json.loads(result.stdout)["counts"]["items"] != 20:
        problems.append("eval from the wheel did not judge the 20 demo items")
    return problems


def main(wheel_path: str) -> int:
    wheel = Path(wheel_path).resolve()
    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    if not wheel.name.startswith(name.replace("-", "_") + "-"):
        print(f"{wheel.name} is not a wheel of the distribution {name}", file=sys.stderr)
        return 1
    names = zipfile.ZipFile(wheel).namelist()
    templates = sorted(name for name in names if name.startswith("judgekit/_prompts/") and name.endswith(".jinja"))
    if templates != _expected_templates():
        print(f"wheel templates {templates} differ from prompts/ {_expected_templates()}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as venv, tempfile.TemporaryDirectory() as elsewhere:
        problems = _problems_in_venv(wheel, name, Path(venv) / "venv", elsewhere)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print(
        f"wheel ok: pip installed {name} into a fresh venv; `judgekit --version` answers; {len(templates)} templates, "
        "the pytest plugin registered, eval judged the 20 demo items and wrote its HTML report"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
