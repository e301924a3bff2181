#!/usr/bin/env bash
# Sets up, builds and runs every test; GL tests run under Xvfb (Mesa llvmpipe). The first run also
# exports the benchmark models and the corpus of models from the wild (about a minute, kept in artifacts/).
# Ends with one line: "N passed, N failed, N skipped". Extra arguments go to dotnet test
# (for example --filter "TestCategory!=Slow").
set -euo pipefail
cd "$(dirname "$0")/.."

# --models: PyTorch from Debian, to export the models that are too large to commit (random weights).
tools/setup.sh --models
tools/models/export_if_missing.sh
dotnet build Runtime.sln -c Release -nologo -clp:NoSummary -v:q

# GLASSBOX_TEST_RUNS=N runs the whole suite N times in a row (CI runs it three times): a test that passes
# only sometimes, or only first, fails the run.
runs=${GLASSBOX_TEST_RUNS:-1}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
    echo "test: GLASSBOX_TEST_RUNS is '$runs'; give the number of times to run the suite (1 or more)." >&2
    exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
runner=()
command -v xvfb-run >/dev/null 2>&1 && runner=(xvfb-run -a -s "-screen 0 1280x1024x24")
expected=$(find tests -maxdepth 2 -name '*.Tests.csproj' | wc -l)
total_passed=0 total_failed=0 total_skipped=0
for ((run = 1; run <= runs; run++)); do
    ((runs > 1)) && echo "test: run $run of $runs"
    run_status=0
    "${runner[@]}" dotnet test Runtime.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log" || run_status=$?

    # One summary line per test assembly: "Passed!  - Failed: 0, Passed: 16, Skipped: 0, Total: 16, ..."
    read -r passed failed skipped assemblies < <(awk '
        /(Passed|Failed)! +- +Failed:/ {
            gsub(/,/, ""); n++
            for (i = 1; i <= NF; i++) {
                if ($i == "Failed:") f += $(i+1)
                if ($i == "Passed:") p += $(i+1)
                if ($i == "Skipped:") s += $(i+1)
            }
        }
        END { print p+0, f+0, s+0, n+0 }' "$log")
    if ((assemblies < expected)); then
        echo "test: only $assemblies of $expected test assemblies reported results; see the output above." >&2
        run_status=1
    fi
    ((runs > 1)) && echo "test: run $run of $runs: $passed passed, $failed failed, $skipped skipped"
    ((run_status != 0)) && status=$run_status
    ((total_passed += passed, total_failed += failed, total_skipped += skipped)) || true
done
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
exit $status
