#!/usr/bin/env bash
# The scripted check of LPM Studio in a real (virtual) display: starts
# lpm-studio under Xvfb with the bundled example, trains a short run (with the
# sequential reference), and saves a screenshot of the whole window. lpm-studio
# refuses to save it unless the network, the plots and the measured timeline
# all show something.
#
#   scripts/studio-screenshot.sh [BINARY] [OUTPUT.png] [STEPS] [LANGUAGE]
set -euo pipefail
binary=${1:-build/app/lpm-studio}
output=${2:-docs/lpm-studio.png}
steps=${3:-120}
language=${4:-en}
if ! command -v xvfb-run > /dev/null; then
  echo "studio-screenshot: xvfb-run is missing (install xvfb and xauth: scripts/install-deps.sh --tests)" >&2
  exit 2
fi
settings=$(mktemp -d)
trap 'rm -rf "$settings"' EXIT
mkdir -p "$(dirname "$output")"
# A fresh settings folder: no saved window layout or language from earlier runs.
env -u QT_QPA_PLATFORM XDG_CONFIG_HOME="$settings" XDG_RUNTIME_DIR="$settings" \
  xvfb-run -a -s "-screen 0 1920x1200x24" \
  "$binary" --steps "$steps" --language "$language" --screenshot "$output"
test -s "$output"
echo "studio-screenshot: wrote $output"
