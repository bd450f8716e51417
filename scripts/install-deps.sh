#!/usr/bin/env bash
# Installs, from Debian 12's packages, what LPM Studio needs to build and run,
# the Qt 6 desktop application included (and, with --tests, to run its test
# suite; with --sanitizers, also to run it under the sanitizers and the
# fuzz targets, as CI does). Installs only what is missing, so
# it is quick on a machine that already has everything. Runs apt-get through
# sudo unless already root.
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config
          libopenblas-dev libdnnl-dev zlib1g-dev nlohmann-json3-dev libcli11-dev
          libonnx-dev libprotobuf-dev
          openmpi-bin libopenmpi-dev
          dataset-fashion-mnist jargon-text
          qt6-base-dev qt6-tools-dev qt6-l10n-tools libqcustomplot-dev
          fonts-wqy-microhei) # a CJK font: the Simplified Chinese interface
if [[ "${1:-}" == "--tests" || "${1:-}" == "--sanitizers" ]]; then
  # xvfb and xauth: the scripted check of lpm-studio in a virtual display;
  # clang-format-14: the formatting check (scripts/check-format.sh).
  packages+=(libgtest-dev libgmock-dev xvfb xauth clang-format-14)
fi
if [[ "${1:-}" == "--sanitizers" ]]; then
  # clang and its runtime libraries: libFuzzer for scripts/fuzz.sh (GCC
  # builds the sanitized suite of scripts/sanitize.sh).
  packages+=(clang libclang-rt-14-dev)
elif [[ -n "${1:-}" && "${1:-}" != "--tests" ]]; then
  echo "usage: $0 [--tests | --sanitizers]" >&2
  exit 2
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if (( ${#missing[@]} == 0 )); then
  exit 0
fi

sudo=""
if [[ "$(id -u)" != 0 ]]; then
  sudo="sudo"
fi
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
