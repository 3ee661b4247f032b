#!/usr/bin/env bash
# clang-tidy (.clang-tidy's checks) on the C++ a change touched: the files that differ between BASE and
# the work tree (BASE: $TIDY_BASE, default HEAD~1 — on a clean clone, the last commit's files). Every
# finding of a check, in a changed file, fails the run. Uses build/dev's compile_commands.json.
#
# Debian 12's clang-tidy is 14, older than the code: it gets -std=c++2b and the std::expected shim the
# fuzz preset uses, and what it reports as compiler errors about C++20/23 it does not implement (lambdas
# capturing structured bindings, say) is not a finding. Two checks are off here for the same reason, in
# .clang-tidy: readability-braces-around-statements crashes clang-tidy 14 on `if` with an initializer
# in some files, and modernize-use-nullptr flags every defaulted operator<=> (LLVM issue 46235).
#   scripts/check_tidy.sh [FILE.cc...]   (no files: the changed ones)
set -euo pipefail
cd "$(dirname "$0")/.."
db=build/dev
[[ -f $db/compile_commands.json ]] || { echo "check_tidy: no $db/compile_commands.json: cmake --preset dev" >&2; exit 2; }
if (($# > 0)); then
  changed=("$@")
else
  base=${TIDY_BASE:-HEAD~1}
  if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
    echo "check_tidy: no $base (a shallow clone?): nothing to compare with, nothing checked"
    exit 0
  fi
  mapfile -t changed < <(git diff --name-only --diff-filter=AMR "$base" -- 'src/*.cc' 'src/*.h' 'apps/*.cc' \
    'apps/*.h' | sort -u)
fi
sources=()
for f in "${changed[@]}"; do [[ $f == *.cc ]] && sources+=("$f"); done
((${#sources[@]} > 0)) || { echo "check_tidy: no C++ source changed"; exit 0; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'clang-tidy -p "$1" --quiet --extra-arg=-std=c++2b --extra-arg=-isystem"$2"/fuzz/compat \
     --extra-arg=-Wno-unknown-warning-option "$3" >"$4/$(echo "$3" | tr / _).log" 2>&1 ||
   { [ $? -ge 128 ] && echo "check_tidy: clang-tidy crashed on $3" >>"$4/crashes"; }; true' \
  _ "$db" "$PWD" {} "$out"
# Findings of a check (not clang's own diagnostics) located in a changed file.
findings=$(cat "$out"/*.log | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .* \[[a-z]+-[a-z0-9.-]+(,[^]]*)?\]$' |
  grep -vE '\[clang-diagnostic-' | sort -u | while IFS= read -r line; do
    file=${line%%:*}
    file=${file#"$PWD/"}
    for c in "${changed[@]}"; do [[ $file == "$c" ]] && { echo "$line"; break; }; done
  done || true)
if [[ -f $out/crashes ]]; then cat "$out/crashes" >&2; fi
if [[ -n $findings ]]; then
  echo "$findings" >&2
  echo "check_tidy: $(wc -l <<<"$findings") finding(s) in changed files" >&2
  exit 1
fi
echo "check_tidy: ${#sources[@]} changed source file(s), no finding"
