#!/usr/bin/env bash
# The tree's one formatting: .clang-format at the root, as Debian 12's
# clang-format 14 applies it (other versions break some lines differently).
#
#   scripts/check-format.sh         list every file that differs, exit 1 if any
#   scripts/check-format.sh --fix   format them in place
#
# CLANG_FORMAT overrides the program (default clang-format-14). ctest runs the
# check as `source_formatting`; CI installs the program (install-deps.sh --tests).
set -euo pipefail
cd "$(dirname "$0")/.."
format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$format" > /dev/null; then
    echo "check-format: $format not found (install it: scripts/install-deps.sh --tests)" >&2
    exit 2
fi
mode=check
case "${1:-}" in
    "") ;;
    --fix) mode=fix ;;
    *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac
mapfile -t files < <(find core app gui tests bench -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.cu' \) | sort)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "check-format: no sources found under $(pwd)" >&2
    exit 2
fi
if [[ $mode == fix ]]; then
    "$format" -i "${files[@]}"
    echo "check-format: formatted ${#files[@]} files"
    exit 0
fi
differing=()
for file in "${files[@]}"; do
    if ! "$format" --dry-run --Werror "$file" > /dev/null 2>&1; then
        differing+=("$file")
    fi
done
if [[ ${#differing[@]} -gt 0 ]]; then
    echo "check-format: ${#differing[@]} of ${#files[@]} files differ from .clang-format ($("$format" --version)):" >&2
    printf '  %s\n' "${differing[@]}" >&2
    echo "check-format: run scripts/check-format.sh --fix" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
