#!/usr/bin/env bash
# Stop the single-node test cluster started by tools/slurm/start.sh: exactly the daemons whose PIDs it
# recorded in $REPRO_SLURM_STATE/pids (slurmd, then slurmctld, then munged), and nothing found by name.
#
# Jobs still on the cluster are cancelled first through SLURM (scancel), because their processes belong to
# slurmstepd, which outlives slurmd; set REPRO_SLURM_KEEP_JOBS=1 to skip that.
set -euo pipefail
shopt -s extglob

STATE=${REPRO_SLURM_STATE:-/tmp/repro-slurm}
PIDS=$STATE/pids

log() { echo "stop.sh: $*"; }

# A process counts as running unless it is gone or a zombie (PID 1 may be slow to reap it).
running() { [[ -d /proc/$1 && $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

if [[ ! -s $PIDS ]]; then
    log "nothing recorded in $PIDS; nothing to stop"
    exit 0
fi

# PID of a recorded daemon if it is still that daemon (the name guards against a recycled PID).
live_pid() {
    local name=$1 pid
    pid=$(awk -v n="$name" '$1 == n { print $2 }' "$PIDS" | tail -n 1)
    [[ -n $pid ]] && running "$pid" || return 0
    # Debian's daemons are alternatives symlinks: /proc shows e.g. /usr/sbin/slurmctld-wlm.
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$name"?(-wlm) ]] && echo "$pid"
    return 0
}

if [[ ${REPRO_SLURM_KEEP_JOBS:-0} != 1 && -n $(live_pid slurmctld) ]]; then
    jobs=$(squeue -h -t PENDING,RUNNING,SUSPENDED,COMPLETING -o %i 2>/dev/null || true)
    if [[ -n $jobs ]]; then
        log "cancelling jobs still on the cluster: ${jobs//$'\n'/ }"
        # shellcheck disable=SC2086
        scancel $jobs || true
        for _ in $(seq 30); do
            [[ -z $(squeue -h -t RUNNING,COMPLETING -o %i 2>/dev/null) ]] && break
            sleep 0.5
        done
    fi
fi

for name in slurmd slurmctld munged; do
    pid=$(live_pid "$name")
    [[ -n $pid ]] || continue
    log "stopping $name (PID $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        running "$pid" || break
        sleep 0.2
    done
    if running "$pid"; then
        log "$name (PID $pid) ignored SIGTERM for 10s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
done
rm -f "$PIDS"
log "stopped"
