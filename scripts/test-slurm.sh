#!/usr/bin/env bash
# Real-Slurm test of `bench slurm`: a one-node Slurm (slurmctld + slurmd + munged on localhost, state in a
# temp dir, no cgroups) runs a mini-table sweep as a job array; one task is cancelled mid-run after its first
# checkpoint, the sweep is resubmitted with the same command (only the unfinished task runs, resuming from its
# checkpoint), and the report the dependent job wrote must equal a local `bench reproduce` of the same cells.
#
#   bash scripts/test-slurm.sh            (as root, or with passwordless sudo for apt-get; builds release if needed)
#
# Exit: 0 pass, 1 mismatch or failure, 77 Slurm cannot run here (the reason is printed; nothing is faked).
# Env: BENCH (default .build/release/bench), CELLS (glob, default 'mini/shapes/*'), EPOCHS (default 3),
#      TEST_COUNT (default 200), THREADS (default 1), NODE_CPUS (default 2), KEEP=1 keeps the temp dir,
#      SLURM_TEST_PORT (default 16817; slurmd uses +1).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CELLS=${CELLS:-'mini/shapes/*'}
EPOCHS=${EPOCHS:-3}
TEST_COUNT=${TEST_COUNT:-200}
THREADS=${THREADS:-1}
NODE_CPUS=${NODE_CPUS:-2}
PORT=${SLURM_TEST_PORT:-16817}
BENCH=${BENCH:-$ROOT/.build/release/bench}
T0=$(date +%s)
say() { echo "[test-slurm $(( $(date +%s) - T0 ))s] $*"; }
skip() { say "SKIP: $*"; exit 77; }
fail() { say "FAIL: $*"; dump; exit 1; }

# --- prerequisites ---------------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
    say "installing slurm-wlm and munge"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slurm-wlm munge >/dev/null; } \
        || skip "slurm-wlm/munge are not installed and apt-get install failed (need root or passwordless sudo and a package mirror)"
fi
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to launch jobs (run this script as root)"
if [ ! -x "$BENCH" ]; then
    say "building $BENCH"; swift build -c release -j 2 >/dev/null || fail "swift build -c release failed"
fi

T=$(mktemp -d /tmp/vpt-slurm-test.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    # Jobs first (their slurmstepd would outlive slurmd), then the daemons we started, by pid.
    [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ] && squeue -h -o %i 2>/dev/null | xargs -r scancel 2>/dev/null && sleep 2
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 1
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ "${KEEP:-0}" = 1 ] && say "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
dump() {
    for f in "$T"/log/*.log "$T"/sweep/logs/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls every second; fails after SECONDS.
wait_for() {
    local limit=$1 what=$2; shift 2
    for ((i = 0; i < limit; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
    fail "timed out after ${limit}s waiting for: $what"
}

# --- munge -----------------------------------------------------------------------------------------------
mkdir -p "$T/munge" "$T/log" "$T/state" "$T/spool"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --force -S "$T/munge/socket" --key-file="$T/munge/munge.key" --pid-file="$T/munge/pid" \
    --log-file="$T/log/munged.log" --seed-file="$T/munge/seed" >/dev/null 2>&1 \
    || skip "munged does not start here: $(tail -n 2 "$T/log/munged.log" 2>/dev/null)"
sleep 0.5
[ -f "$T/munge/pid" ] && PIDS+=("$(cat "$T/munge/pid")")
echo x | munge -S "$T/munge/socket" | unmunge -S "$T/munge/socket" >/dev/null 2>&1 || skip "munge round trip fails"

# --- slurm -----------------------------------------------------------------------------------------------
HOST=$(hostname -s)
export SLURM_CONF="$T/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=vpttest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=300
SlurmdTimeout=60
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NODE_CPUS RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 & PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$HOST" >"$T/log/slurmd.out" 2>&1 & PIDS+=($!)
node_idle() { sinfo -h -N -o '%T' | grep -qx idle; }
for ((i = 0; i < 60; i++)); do
    node_idle && break
    for p in "${PIDS[@]:1}"; do kill -0 "$p" 2>/dev/null || skip "a Slurm daemon exited at start: $(tail -n 3 "$T"/log/slurm*.out "$T"/log/slurm*.log 2>/dev/null | tr '\n' ' ')"; done
    sleep 1
done
node_idle || skip "the node did not become idle in 60 s: $(sinfo -N 2>&1 | tr '\n' ' ') $(tail -n 3 "$T/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"
say "one-node Slurm up: $(sinfo -h -N -o '%N %T %c CPUs')"

# --- sweep -----------------------------------------------------------------------------------------------
OPTS=(--table mini --cells-matching "$CELLS" --epochs "$EPOCHS" --test-count "$TEST_COUNT" --runs "$T/runs")
SWEEP=(slurm "${OPTS[@]}" --threads "$THREADS" --throttle "$NODE_CPUS" --cpus-per-task 1 --time 00:30:00 --out "$T/sweep" --submit)
"$BENCH" "${SWEEP[@]}" | tee "$T/submit1.txt" || fail "bench slurm --submit failed"
JOB=$(awk '/^array-job:/ {print $2}' "$T/submit1.txt")
REPORT1=$(awk '/^report-job:/ {print $2}' "$T/submit1.txt")
N=$(grep -vc '^#' "$T/sweep/cells.txt")
[ -n "$JOB" ] && [ "$N" -ge 2 ] || fail "no array job id, or fewer than 2 tasks ($N)"
say "array job $JOB ($N tasks), report job $REPORT1"

# Cancel the first task that has written a checkpoint but no summary (mid-run).
victim=""
for ((i = 0; i < 600; i++)); do
    for ((k = 0; k < N; k++)); do
        line=$(grep -v '^#' "$T/sweep/cells.txt" | sed -n "$((k + 1))p")
        d="$T/runs/${line% *}/seed-${line##* }"
        if [ -f "$d/checkpoint.safetensors" ] && [ ! -f "$d/summary.json" ]; then victim=$k; break; fi
    done
    [ -n "$victim" ] && break
    sleep 0.5
done
[ -n "$victim" ] || fail "no task reached a checkpoint within 300 s"
scancel "${JOB}_${victim}" || fail "scancel ${JOB}_${victim} failed"
say "cancelled task ${JOB}_${victim} after its first checkpoint"
wait_for 900 "array job $JOB to leave the queue" bash -c "[ -z \"\$(squeue -h -j $JOB 2>/dev/null)\" ]"
"$BENCH" status --cell-list "$T/sweep/cells.txt" --runs "$T/runs" | tee "$T/status1.txt"
grep -q "stopped 1" "$T/status1.txt" || fail "expected exactly one stopped run after the cancel"
wait_for 60 "report job $REPORT1 to be cancelled (dependency never satisfied)" bash -c "[ -z \"\$(squeue -h -j $REPORT1 2>/dev/null)\" ]"
[ ! -f "$T/sweep/report/mini.csv" ] || fail "the report ran although a task was cancelled"

# Resubmit: the same command; only the unfinished task runs and resumes from its checkpoint.
"$BENCH" "${SWEEP[@]}" | tee "$T/submit2.txt" || fail "resubmission failed"
JOB2=$(awk '/^array-job:/ {print $2}' "$T/submit2.txt")
REPORT2=$(awk '/^report-job:/ {print $2}' "$T/submit2.txt")
grep -q "tasks $victim%" "$T/submit2.txt" || fail "resubmission should run only task $victim"
wait_for 900 "jobs $JOB2 and $REPORT2 to finish" bash -c "[ -z \"\$(squeue -h -j $JOB2,$REPORT2 2>/dev/null)\" ]"
[ -f "$T/sweep/report/mini.csv" ] || fail "the report job wrote no $T/sweep/report/mini.csv"
grep -q "resum" "$T"/sweep/logs/"${JOB2}"_"${victim}".out 2>/dev/null && say "task $victim resumed: $(grep -m1 resum "$T"/sweep/logs/"${JOB2}"_"${victim}".out)"
"$BENCH" status --cell-list "$T/sweep/cells.txt" --runs "$T/runs" | tee "$T/status2.txt"
grep -q "^done $N," "$T/status2.txt" || fail "not every run is done"

# --- local reference -------------------------------------------------------------------------------------
say "local bench reproduce of the same cells"
"$BENCH" reproduce "${OPTS[@]}" --runs "$T/local-runs" --threads "$THREADS" --out "$T/local-report" >"$T/local.txt" 2>&1 \
    || { tail -n 20 "$T/local.txt"; fail "local bench reproduce failed"; }
if ! diff "$T/local-report/mini.csv" "$T/sweep/report/mini.csv"; then fail "Slurm report differs from the local reproduce"; fi
# Every summary.json, timings aside (wall seconds, images per second), must be identical.
summaries() { (cd "$1" && for f in $(find . -name summary.json | sort); do echo "$f"; grep -v '"wallSeconds"\|"trainImagesPerSecond"' "$f"
    while read -r l; do  # key order inside a metrics line is not fixed: pick the fields
        echo "$(grep -o '"epoch":[0-9]*' <<<"$l") $(grep -o '"trainLoss":[^,}]*' <<<"$l") $(grep -o '"testAccuracy":[^,}]*' <<<"$l")"
    done < "$(dirname "$f")/metrics.jsonl"; done); }
diff <(summaries "$T/local-runs") <(summaries "$T/runs") || fail "summaries differ between the Slurm sweep and the local reproduce"
[ "$(find "$T/runs" -name summary.json | wc -l)" -eq "$N" ] || fail "expected $N summaries"
say "PASS: $N runs on Slurm (one cancelled and resumed) == local reproduce; $(( $(date +%s) - T0 )) s"
