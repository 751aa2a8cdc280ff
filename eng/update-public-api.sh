#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every tracked library from the Public API analyzer's own diagnostics, so the
# file is complete, sorted and the same on every run (docs/contracts.md, "Public API").
#
#   eng/update-public-api.sh                 every project folder under src/ that has a PublicAPI.Shipped.txt
#   eng/update-public-api.sh src/Foo ...     only these folders; a folder without the files starts being tracked
#   eng/update-public-api.sh --list [dir...]  no build: each tracked assembly's public types with their entry counts
#
# How: each PublicAPI.Unshipped.txt is cleared (its *REMOVED* lines are kept: they record removals of shipped API), each
# project is built with warnings as warnings and its compiler diagnostics written as SARIF, the API string of every
# RS0016 ("not part of the declared public API") is collected, and the file is written: `#nullable enable`, the
# *REMOVED* lines, then the entries in ordinal order. A last ordinary build (warnings as errors) proves the result.
# PublicAPI.Shipped.txt is never changed: moving entries there is a release step.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

command -v dotnet >/dev/null || { echo "error: dotnet is not on PATH." >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is not on PATH (it reads the SARIF logs)." >&2; exit 1; }

list=false
if [ "${1:-}" = "--list" ]; then list=true; shift; fi

dirs=()
if [ "$#" -gt 0 ]; then
  for d in "$@"; do dirs+=("${d%/}"); done
else
  while IFS= read -r f; do dirs+=("$(dirname "$f")"); done < <(find src -name PublicAPI.Shipped.txt -not -path '*/bin/*' -not -path '*/obj/*' | LC_ALL=C sort)
fi
[ "${#dirs[@]}" -gt 0 ] || { echo "error: no project folder under src/ has a PublicAPI.Shipped.txt; name the folders to track." >&2; exit 1; }

if $list; then
  # A type's entry is its bare name; every member entry names the type before the member (after any modifiers).
  python3 - "${dirs[@]}" <<'EOF'
import collections, os, re, sys
for d in sys.argv[1:]:
    lines = [l.lstrip("~") for f in ("PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt")
             for l in open(os.path.join(d, f), encoding="utf-8").read().splitlines()[1:] if l and not l.startswith("*REMOVED*")]
    types = sorted({l for l in lines if " " not in l and "(" not in l}, key=len, reverse=True)
    counts = collections.Counter()
    for l in lines:
        name = re.sub(r"^((static|const|override|virtual|abstract|sealed|readonly|new) )+", "", l).split(" ")[0].split("(")[0]
        counts[next((t for t in types if name == t or name.startswith(t + ".")), None)] += 1
    print(f"{d}: {len(lines)} entries, {len(types)} types")
    for t in sorted(types):
        print(f"  {counts[t]:5}  {t}")
EOF
  exit 0
fi

projects=()
for d in "${dirs[@]}"; do
  mapfile -t found < <(find "$d" -maxdepth 1 -name '*.csproj')
  [ "${#found[@]}" -eq 1 ] || { echo "error: $d: expected exactly one .csproj, found ${#found[@]}." >&2; exit 1; }
  projects+=("${found[0]}")
done

log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT

# 1. Clear: the header and the *REMOVED* lines only. Rewriting the file also makes it newer than the last compile, so
#    every tracked project compiles again (the files are compiler inputs) and writes its SARIF log.
for d in "${dirs[@]}"; do
  [ -f "$d/PublicAPI.Shipped.txt" ] || printf '#nullable enable\n' > "$d/PublicAPI.Shipped.txt"
  removed=""
  [ -f "$d/PublicAPI.Unshipped.txt" ] && removed="$(grep '^\*REMOVED\*' "$d/PublicAPI.Unshipped.txt" | LC_ALL=C sort -u || true)"
  { printf '#nullable enable\n'; [ -z "$removed" ] || printf '%s\n' "$removed"; } > "$d/PublicAPI.Unshipped.txt"
done

# 2. Build with RS0016 as a warning; each compile logs to $log/<project>.<tfm>.sarif.
for p in "${projects[@]}"; do
  echo "building $p"
  dotnet build "$p" -nologo -v:q "-clp:ErrorsOnly;NoSummary" -p:TreatWarningsAsErrors=false "-p:WarmupPublicApiLog=$log/sarif"
done

# 3. Collect and write.
python3 - "$log" "${dirs[@]}" <<'EOF'
import glob, json, os, re, sys

log, dirs = os.path.join(sys.argv[1], "sarif"), sys.argv[2:]
problems = 0
for d in dirs:
    (csproj,) = glob.glob(os.path.join(d, "*.csproj"))
    name = os.path.splitext(os.path.basename(csproj))[0]
    # <name>.<tfm>.sarif only: "Warmup.Runtime.*.sarif" would also match Warmup.Runtime.Measurement's logs.
    sarifs = sorted(p for p in glob.glob(os.path.join(log, name + ".*.sarif"))
                    if re.fullmatch(r"(net|netstandard)[0-9.]+", os.path.basename(p)[len(name) + 1:-len(".sarif")]))
    if not sarifs:
        sys.exit(f"error: {d}: the build wrote no SARIF log for {name}; was it compiled?")
    entries, other = set(), set()
    for path in sarifs:
        with open(path, encoding="utf-8") as f:
            runs = json.load(f)["runs"]
        for run in runs:
            for result in run.get("results", []):
                rule = result.get("ruleId", "")
                if not rule.startswith("RS00") or result.get("suppressions"):
                    continue
                if rule == "RS0016":
                    entries.add(result["properties"]["customProperties"]["APIName"])
                else:
                    loc = result.get("locations", [{}])[0].get("physicalLocation", {})
                    where = loc.get("artifactLocation", {}).get("uri", "").replace("file://", "")
                    line = loc.get("region", {}).get("startLine", "")
                    other.add(f"{where}({line}): {rule}: {result['message']['text']}")
    path = os.path.join(d, "PublicAPI.Unshipped.txt")
    with open(path, encoding="utf-8") as f:
        removed = [l for l in f.read().splitlines() if l.startswith("*REMOVED*")]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("#nullable enable\n")
        for line in removed + sorted(entries):
            f.write(line + "\n")
    print(f"{path}: {len(entries)} entries" + (f", {len(removed)} removed" if removed else ""))
    for o in sorted(other):
        print("  " + o, file=sys.stderr)
    problems += len(other)
if problems:
    print(f"{problems} API diagnostic(s) other than RS0016 need a change in the code (RS0017 on a shipped entry: add "
          "'*REMOVED*<entry>' to PublicAPI.Unshipped.txt if the removal is intended).", file=sys.stderr)
EOF

# 4. Prove it: the ordinary build (warnings as errors) passes with the new files.
for p in "${projects[@]}"; do
  if ! dotnet build "$p" -nologo -v:q "-clp:ErrorsOnly;NoSummary" > "$log/check.txt" 2>&1; then
    grep -m 40 'error' "$log/check.txt" >&2 || tail -n 40 "$log/check.txt" >&2
    echo "error: $p does not build with the regenerated files ($(grep -c 'error' "$log/check.txt") error lines; the first are above)." >&2
    exit 1
  fi
done
echo "public API files up to date."
