#!/usr/bin/env bash
# lpm-studio without a display runs the terminal job: its arguments and errors.
#   studio_terminal_job.sh LPM_STUDIO DESIGN.lpm.json
set -uo pipefail
studio=$1
design=$2
unset QT_QPA_PLATFORM DISPLAY WAYLAND_DISPLAY
cd "$(mktemp -d)"

# expect EXIT TEXT ARGUMENTS...: lpm-studio exits with EXIT and prints TEXT.
expect() {
    local code=$1 text=$2
    shift 2
    local out
    out=$("$studio" "$@" 2>&1)
    local status=$?
    if [[ $status != "$code" || $out != *"$text"* ]]; then
        echo "FAIL: lpm-studio $*: exit $status (expected $code), output:"
        echo "$out"
        echo "(expected it to contain: $text)"
        exit 1
    fi
}

expect 2 "--steps: expected a positive number of steps, got '0'" --steps 0 "$design"
expect 2 "--steps: expected a positive number of steps, got 'x'" --steps=x "$design"
expect 2 "--steps needs a number of steps" "$design" --steps
expect 2 "--screenshot needs a display" --screenshot shot.png "$design"
expect 1 "/nonexistent/missing.lpm.json: cannot be read" /nonexistent/missing.lpm.json
expect 0 "2 steps in" --steps 2 "$design"
expect 0 "subset acc 0." --steps 2 "$design" # live evaluation in the progress line
test ! -e shot.png || { echo "FAIL: a screenshot was written without a display"; exit 1; }
echo "studio_terminal_job: all checks passed"
