#!/usr/bin/env bash
# Bring up a single-node SLURM cluster on localhost for the cluster tests: munged, slurmctld and slurmd,
# started directly (no systemd), with fake GPUs advertised through gres.conf.
#
# Run as root on a Debian machine (tested on Debian 12, SLURM 22.05). Idempotent: a cluster this script
# already started and that still answers is left alone; missing packages, key, devices and config are
# created only when absent. The PIDs of the daemons it starts are recorded in $REPRO_SLURM_STATE/pids so
# that tools/slurm/stop.sh stops exactly those. Exits nonzero with a message when SLURM cannot be started.
#
# Settings (environment):
#   REPRO_SLURM_STATE          state, spool, log and PID folder            [/tmp/repro-slurm]
#   REPRO_SLURM_PARTITION      name of the one partition                    [local]
#   REPRO_SLURM_GPUS           number of fake GPUs on the node              [2]
#   REPRO_SLURM_MIN_JOB_AGE    seconds a finished job stays visible to squeue [600]
#   REPRO_SLURM_TIMEOUT        seconds to wait for each daemon             [60]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${REPRO_SLURM_STATE:-/tmp/repro-slurm}
CLUSTER=repro
PARTITION=${REPRO_SLURM_PARTITION:-local}
NGPUS=${REPRO_SLURM_GPUS:-2}
MIN_JOB_AGE=${REPRO_SLURM_MIN_JOB_AGE:-600}
TIMEOUT=${REPRO_SLURM_TIMEOUT:-60}
DEF_MEM_PER_CPU=1024
PIDS=$STATE/pids
[[ $NGPUS =~ ^[1-9][0-9]*$ ]] || { echo "start.sh: ERROR: REPRO_SLURM_GPUS must be a positive integer" >&2; exit 1; }
CONF_DIR=/etc/slurm
MARKER=repro-local-slurm
T0=$(date +%s.%N)

log() { echo "start.sh: $*"; }
die() {
    echo "start.sh: ERROR: $*" >&2
    local f
    for f in "$STATE"/log/slurmctld.log "$STATE"/log/slurmd.log "$STATE"/log/munged.stderr; do
        [[ -s $f ]] && { echo "--- last lines of $f:" >&2; tail -n 8 "$f" >&2; }
    done
    # What the SLURM daemons print before their log file is open (e.g. config errors) only goes here.
    for f in "$STATE"/log/slurmctld.stderr "$STATE"/log/slurmd.stderr; do
        # (the pmix lines are noise: MPI is not configured)
        [[ -s $f ]] && grep -iE "fatal|error" "$f" | grep -v pmix | tail -n 5 | sed "s|^|$(basename "$f"): |" >&2
    done
    # Leave nothing half-started behind: stop the daemons recorded so far (the logs stay).
    if [[ -s $PIDS ]]; then "$HERE/stop.sh" >&2 || true; fi
    exit 1
}

# Running unless gone or a zombie (PID 1 may be slow to reap a daemon that died).
pid_alive() { [[ -n ${1:-} && -d /proc/$1 && $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]; }

# True when every daemon recorded in $PIDS is still running.
recorded_alive() {
    [[ -s $PIDS ]] || return 1
    local name pid
    while read -r name pid; do
        pid_alive "$pid" || return 1
    done <"$PIDS"
}

node_state() { sinfo -h -N -n "$HOST" -o %T 2>/dev/null | head -n 1; }

# Wait until a command succeeds, up to TIMEOUT seconds; the recorded daemon must stay alive meanwhile.
wait_for() {
    local what=$1 pid=$2; shift 2
    local deadline=$(($(date +%s) + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        pid_alive "$pid" || die "$what exited during start-up (see the logs below and in $STATE/log)"
        (($(date +%s) < deadline)) || die "$what did not come up within ${TIMEOUT}s"
        sleep 0.5
    done
}

# Start a daemon in the foreground of its own session (so it outlives this script) and record its PID.
# setsid does not fork here (a non-interactive shell's background job is no group leader), so $! is the
# daemon itself; checked through /proc so that stop.sh never signals a wrong process.
launch() {
    local name=$1 binary=$2; shift 2
    setsid "$@" >>"$STATE/log/$name.stderr" 2>&1 </dev/null &
    local pid=$! i real
    echo "$name $pid" >>"$PIDS"
    # Debian installs the daemons as alternatives symlinks (slurmctld -> slurmctld-wlm).
    real=$(readlink -f "$binary")
    for i in $(seq 50); do
        [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$real" ]] && break
        pid_alive "$pid" || die "$name exited immediately"
        sleep 0.1
    done
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$real" ]] || die "PID $pid is not $real"
    LAUNCHED_PID=$pid
}

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and starts munged, slurmctld, slurmd)"

HOST=$(hostname -s)
[[ -n $HOST ]] || die "this host has no short name (hostname -s is empty)"

# --- already up? -------------------------------------------------------------------------------------
if recorded_alive && scontrol ping >/dev/null 2>&1 && [[ $(node_state) =~ ^(idle|mixed|allocated) ]]; then
    log "already running (PIDs in $PIDS); node $HOST is $(node_state)"
    exit 0
fi
if [[ -s $PIDS ]]; then
    log "a previous start is partly gone; stopping what is left of it"
    "$HERE/stop.sh" || true
fi

# --- packages ------------------------------------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in slurm-wlm munge; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "packages ${missing[*]} are missing and there is no apt-get"
    log "installing ${missing[*]}"
    # Stop the packages' maintainer scripts from starting the services: there is no init system here, and
    # this script starts the daemons itself with its own config.
    made_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    install_pkgs() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }
    # A fresh machine has empty or stale package lists: update once and retry before giving up.
    ok=1
    install_pkgs || { apt-get update -q && install_pkgs; } || ok=0
    ((made_policy)) && rm -f /usr/sbin/policy-rc.d
    ((ok)) || die "could not install ${missing[*]} with apt-get"
fi
for b in munged slurmctld slurmd sinfo squeue sbatch scontrol; do
    command -v "$b" >/dev/null || die "$b not found after installing slurm-wlm and munge"
done

# --- host name ------------------------------------------------------------------------------------------
# slurmd registers under this name and looks up SlurmctldHost by it: it must resolve.
if ! getent hosts "$HOST" >/dev/null; then
    log "adding $HOST to /etc/hosts"
    echo "127.0.0.1 $HOST" >>/etc/hosts
fi

# --- state folders ------------------------------------------------------------------------------------
mkdir -p "$STATE"/{slurmctld,slurmd,run,log}
chmod 755 "$STATE"
# The logs of the previous start move to log.prev, so that the logs (and error reports) show this start.
rm -rf "$STATE/log.prev" && mv "$STATE/log" "$STATE/log.prev" && mkdir "$STATE/log"
# slurmctld runs as the slurm user and refuses state or log folders it cannot write.
chown slurm:slurm "$STATE"/{slurmctld,run,log}
: >"$PIDS"

# --- munge ------------------------------------------------------------------------------------------------
if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating the munge key"
    mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 755 /run/munge
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
if munge_ok; then
    log "munged already running (not started here, so stop.sh leaves it alone)"
else
    rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock /run/munge/munged.pid
    launch munged /usr/sbin/munged setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F
    wait_for munged "$LAUNCHED_PID" munge_ok
fi

# --- config -------------------------------------------------------------------------------------------------
# The node's real topology and memory as slurmd sees them; RealMemory a little below the total so that
# slurmd never finds less memory than configured (the node would be drained as "Low RealMemory").
hw=$(slurmd -C | head -n 1)
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$hw"; }
CPUS=$(field CPUs) BOARDS=$(field Boards) SOCKETS=$(field SocketsPerBoard)
CORES=$(field CoresPerSocket) THREADS=$(field ThreadsPerCore) MEM=$(field RealMemory)
[[ -n $CPUS && -n $MEM ]] || die "could not read the node's hardware from 'slurmd -C': $hw"
REAL_MEMORY=$((MEM * 95 / 100))

# One character device per fake GPU (same numbers as /dev/null, so opening one is harmless).
for ((i = 0; i < NGPUS; i++)); do
    [[ -c /dev/fakegpu$i ]] || mknod -m 666 "/dev/fakegpu$i" c 1 3 || die "mknod /dev/fakegpu$i failed"
done
if ((NGPUS == 1)); then GPU_FILES=/dev/fakegpu0; else GPU_FILES="/dev/fakegpu[0-$((NGPUS - 1))]"; fi

mkdir -p "$CONF_DIR"
render() {
    local src=$1 dst=$2
    if [[ -e $dst ]] && ! grep -q "$MARKER" "$dst"; then
        log "keeping the existing $dst as $dst.before-repro"
        cp -p "$dst" "$dst.before-repro"
    fi
    sed -e "s|@CLUSTER@|$CLUSTER|g" -e "s|@HOST@|$HOST|g" -e "s|@STATE@|$STATE|g" \
        -e "s|@CTLD_PORT@|6817|g" -e "s|@SLURMD_PORT@|6818|g" -e "s|@PARTITION@|$PARTITION|g" \
        -e "s|@DEF_MEM_PER_CPU@|$DEF_MEM_PER_CPU|g" -e "s|@MIN_JOB_AGE@|$MIN_JOB_AGE|g" \
        -e "s|@CPUS@|$CPUS|g" -e "s|@BOARDS@|$BOARDS|g" -e "s|@SOCKETS@|$SOCKETS|g" -e "s|@CORES@|$CORES|g" \
        -e "s|@THREADS@|$THREADS|g" -e "s|@REAL_MEMORY@|$REAL_MEMORY|g" -e "s|@NGPUS@|$NGPUS|g" \
        -e "s|@GPU_FILES@|$GPU_FILES|g" "$src" >"$dst.tmp"
    mv "$dst.tmp" "$dst"
    chmod 644 "$dst"
}
render "$HERE/slurm.conf.in" "$CONF_DIR/slurm.conf"
render "$HERE/gres.conf.in" "$CONF_DIR/gres.conf"

# --- daemons ------------------------------------------------------------------------------------------------
for d in slurmctld slurmd; do
    for other in $(pgrep -x "$d" || true); do
        pid_alive "$other" && die "a $d not started by this script is running (PID $other); stop it first"
    done
done
# -c: start from empty job state, so jobs of an earlier test cluster never reappear.
launch slurmctld /usr/sbin/slurmctld /usr/sbin/slurmctld -D -c
wait_for slurmctld "$LAUNCHED_PID" scontrol ping
launch slurmd /usr/sbin/slurmd /usr/sbin/slurmd -D -c -N "$HOST"
SLURMD_PID=$LAUNCHED_PID
deadline=$(($(date +%s) + TIMEOUT))
until [[ $(node_state) =~ ^(idle|mixed|allocated)$ ]]; do
    pid_alive "$SLURMD_PID" || die "slurmd exited during start-up"
    if (($(date +%s) >= deadline)); then
        die "node $HOST is '$(node_state)' after ${TIMEOUT}s, not idle; reason: $(sinfo -h -R -o %E 2>/dev/null)"
    fi
    sleep 0.5
done

elapsed=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "SLURM is up in ${elapsed}s: partition $PARTITION, node $HOST ($CPUS CPUs, ${REAL_MEMORY} MB," \
    "$NGPUS fake GPUs) is $(node_state); PIDs in $PIDS, logs in $STATE/log"
