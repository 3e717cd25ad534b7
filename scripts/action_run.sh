#!/usr/bin/env bash
# The steps of judgekit's GitHub Action (action.yml at the repository root), as one script that
# runs the same on a runner and on a laptop:
#
#   scripts/action_run.sh install   make a virtual environment and pip-install judgekit into it
#   scripts/action_run.sh eval      run `judgekit eval` with the action's inputs, write its outputs
#
# action.yml passes each input as INPUT_<NAME> (upper case, dashes as underscores). `eval` exits
# with judgekit's code (0 ok, 1 a gate failed, 2 bad input, 3 judge calls failed), so a failed
# gate fails the job; the code is also written to $GITHUB_OUTPUT as exit-code. The Markdown step
# summary comes from judgekit itself (it appends to $GITHUB_STEP_SUMMARY when that is set).
set -euo pipefail

venv="${JUDGEKIT_ACTION_VENV:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/judgekit-venv}"

fail() {
  echo "judgekit action: $1" >&2
  exit 2
}

install_judgekit() {
  # Empty `install` means the action's own checkout, so the action and the CLI match.
  local requirement="${INPUT_INSTALL:-${GITHUB_ACTION_PATH:-}}"
  [ -n "$requirement" ] || fail "nothing to install: set the input 'install' (e.g. judgekit-cli==0.1.0)"
  "${INPUT_PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$requirement"
  "$venv/bin/judgekit" --version
}

# add OPTION VALUE: pass `OPTION VALUE` to judgekit only when the input was given.
add() {
  if [ -n "$2" ]; then args+=("$1" "$2"); fi
}

run_eval() {
  local judgekit="${JUDGEKIT_BIN:-$venv/bin/judgekit}"
  local out="${INPUT_OUT:-runs/judgekit}" reports="${INPUT_REPORTS:-judgekit-reports}"
  [ -n "${INPUT_DATA:-}" ] || fail "the input 'data' is required: the file of outputs to judge"
  mkdir -p "$reports"
  args=(eval "$INPUT_DATA" --out "$out" --fresh --junit "$reports/judgekit.xml" --html "$reports/judgekit.html")
  add --baseline "${INPUT_BASELINE:-}"
  add --judge "${INPUT_JUDGE:-}"
  add --prompt "${INPUT_TEMPLATE:-}"
  add --positions "${INPUT_POSITIONS:-}"
  add --min-win-rate "${INPUT_MIN_WIN_RATE:-}"
  add --min-score "${INPUT_MIN_SCORE:-}"
  add --min-pass-rate "${INPUT_MIN_PASS_RATE:-}"
  add --pass-score "${INPUT_PASS_SCORE:-}"
  add --max-unscored "${INPUT_MAX_UNSCORED:-}"
  add --on-ci-bound "${INPUT_ON_CI_BOUND:-}"
  add --min-items "${INPUT_MIN_ITEMS:-}"
  if [ -n "${INPUT_ARGS:-}" ]; then
    local extra
    read -r -a extra <<<"$INPUT_ARGS" # split on blanks, never evaluated by the shell
    args+=("${extra[@]}")
  fi
  args+=(--quiet)
  local code=0
  "$judgekit" "${args[@]}" || code=$?
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
      echo "exit-code=$code"
      echo "run-dir=$out"
      echo "html=$reports/judgekit.html"
      echo "junit=$reports/judgekit.xml"
    } >>"$GITHUB_OUTPUT"
  fi
  exit "$code"
}

case "${1:-}" in
  install) install_judgekit ;;
  eval) run_eval ;;
  *) fail "usage: action_run.sh install|eval" ;;
esac
