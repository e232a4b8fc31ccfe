#!/usr/bin/env python3
"""Adds every symbol the PublicApiAnalyzers report as undeclared (RS0016) to PublicAPI.Unshipped.txt
and removes the ones reported as gone (RS0017).
Usage: python3 eng/update-public-api.py [project-or-sln]   (run from the repository root; review the diff after)."""
import re, subprocess, collections, pathlib, sys
out = subprocess.run(["dotnet", "build", sys.argv[1] if len(sys.argv) > 1 else "EventSourcing.Core.sln", "--no-incremental", "-p:TreatWarningsAsErrors=false"],
                     capture_output=True, text=True).stdout
found = collections.defaultdict(set)
for m in re.finditer(r"error RS0016: Symbol '(.+?)' is not part of the declared public API.*?\[(.+?\.csproj)\]", out):
    found[pathlib.Path(m.group(2)).parent].add(m.group(1))
for m in re.finditer(r"warning RS0016: Symbol '(.+?)' is not part of the declared public API.*?\[(.+?\.csproj)\]", out):
    found[pathlib.Path(m.group(2)).parent].add(m.group(1))
stale = collections.defaultdict(set)
for m in re.finditer(r"(?:error|warning) RS0017: Symbol '(.+?)' is part of the declared API.*?\[(.+?\.csproj)\]", out):
    stale[pathlib.Path(m.group(2)).parent].add(m.group(1))
for project in set(found) | set(stale):
    symbols = found.get(project, set())
    f = project / "PublicAPI.Unshipped.txt"
    lines = set(l for l in f.read_text().splitlines() if l and not l.startswith("#"))
    lines |= symbols
    lines -= stale.get(project, set())
    f.write_text("#nullable enable\n" + "\n".join(sorted(lines)) + "\n")
    print(f"{f}: +{len(symbols)}")
