#!/bin/bash
# SHA-256 of every Parquet table of small runs of the packaged scenarios whose default
# outputs must not change (and the power-flow and company-battery paths of the baseline).
# Run it before and after a refactor and diff the two listings:
#   benchmarks/output_hashes.sh /tmp/before > before.sha   (on the old code)
#   benchmarks/output_hashes.sh /tmp/after > after.sha && diff before.sha after.sha
# usage: output_hashes.sh OUTDIR [GRIDVALUE_COMMAND]   (default: .venv/bin/gridvalue)
set -u
OUT=$1
G=${2:-.venv/bin/gridvalue}
rm -rf "$OUT" && mkdir -p "$OUT"
SMALL=(--set population.households=300 --set population.enterprises=60
       --set population.microgrids=3 --set meta.days=60)
run() {
    local name=$1 scenario=$2; shift 2
    $G run "$scenario" --seed 3 "${SMALL[@]}" "$@" --out "$OUT/$name" --quiet >/dev/null \
        2>"$OUT/$name.err" || echo "FAIL $name (see $OUT/$name.err)"
}
for s in baseline tou_pricing ee_shared_savings pv_investment equipment_services \
         credit_screening; do
    run "$s" "$s"
done
run baseline_pf baseline --set network.power_flow=peak_min
run baseline_gb baseline --set storage.grid_batteries=3
(cd "$OUT" && find . -name "*.parquet" | sort | xargs sha256sum)
