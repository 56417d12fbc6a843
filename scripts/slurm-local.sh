#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the scheduler tests: `start`, `stop`, `status`.
#
# start: installs Debian's slurm-wlm and munge when root and missing, writes a minimal
#   slurm.conf (this host as the one node of partition `debug`, its CPUs and memory from
#   `slurmd -C`, no cgroups, no accounting), creates the munge key, starts munged, slurmctld and
#   slurmd directly (no systemd), and waits until `sinfo` shows the node idle. Idempotent: a
#   cluster already up is left as it is.
# stop: stops the three daemons this script started.
# status: exit 0 and print the node line when the node is up, else exit 1.
#
# Needs root (the daemons run as root). State lives under $SLURM_LOCAL_DIR (default
# /var/spool/slurm-local); the config is written to /etc/slurm/slurm.conf, where the client
# commands look for it.
set -euo pipefail

state=${SLURM_LOCAL_DIR:-/var/spool/slurm-local}
conf=/etc/slurm/slurm.conf
timeout=${SLURM_LOCAL_TIMEOUT:-60}

die() {
    echo "slurm-local: $*" >&2
    exit 1
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (the daemons run as root)"
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null 2>&1 || missing+=(slurm-wlm)
    command -v munged >/dev/null 2>&1 || missing+=(munge)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    command -v apt-get >/dev/null 2>&1 || die "${missing[*]} missing and no apt-get to install them"
    echo "slurm-local: installing ${missing[*]}"
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || die "could not install ${missing[*]}"
}

node_state() {
    { sinfo --noheader --nodes=localhost --format=%T 2>/dev/null || true; } | head -n1 | tr -d '*'
}

running() {
    pgrep -x "$1" >/dev/null 2>&1
}

write_config() {
    mkdir -p /etc/slurm "$state"/ctld "$state"/d "$state"/log
    # slurmd -C prints the node's real shape, e.g. "NodeName=host CPUs=2 ... RealMemory=7962".
    local shape cpus mem
    shape=$(slurmd -C | head -n1)
    cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$shape")
    mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$shape")
    [[ -n $cpus && -n $mem ]] || die "cannot read CPUs and RealMemory from 'slurmd -C': $shape"
    cat >"$conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster for tests.
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

# Runs a daemon without the descriptors this script was handed beyond stdin, stdout and stderr:
# a daemon keeps what it inherits for its whole life, so a lock its caller holds open (CI's
# target-directory lock, say) would stay held after the caller is gone.
daemon() {
    (
        for fd in /proc/self/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)); then
                eval "exec $fd>&-" 2>/dev/null || true
            fi
        done
        exec "$@"
    )
}

start_munge() {
    running munged && return 0
    mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
    if [[ ! -s /etc/munge/munge.key ]]; then
        if command -v mungekey >/dev/null 2>&1; then
            mungekey --create --keyfile=/etc/munge/munge.key
        else
            dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
        fi
    fi
    chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null || true
    chmod 0700 /etc/munge
    chmod 0400 /etc/munge/munge.key
    if id munge >/dev/null 2>&1; then
        daemon runuser -u munge -- munged
    else
        daemon munged --force
    fi
}

start() {
    need_root
    local began=$SECONDS
    install_packages
    # sinfo retries for about 10 s when no controller answers: ask only when one runs.
    local now=
    running slurmctld && running slurmd && now=$(node_state)
    case $now in
    idle | mixed | allocated)
        echo "slurm-local: already up ($now)"
        return 0
        ;;
    esac
    [[ -f $conf ]] && grep -q 'scripts/slurm-local.sh' "$conf" || write_config
    start_munge
    running slurmctld || daemon slurmctld
    running slurmd || daemon slurmd
    local deadline=$((SECONDS + timeout))
    while true; do
        now=$(node_state)
        case $now in
        idle | mixed | allocated) break ;;
        down | drain* | fail*) scontrol update nodename=localhost state=resume 2>/dev/null || true ;;
        esac
        if ((SECONDS >= deadline)); then
            die "node not idle after ${timeout}s (state: '${now:-no answer}'); logs in $state/log"
        fi
        sleep 1
    done
    echo "slurm-local: node localhost $now after $((SECONDS - began))s"
}

stop() {
    need_root
    local d pid
    for d in slurmd slurmctld munged; do
        pid=$(pgrep -x "$d" || true)
        [[ -n $pid ]] && kill $pid
    done
    local deadline=$((SECONDS + 30))
    while running slurmd || running slurmctld || running munged; do
        ((SECONDS < deadline)) || die "daemons still running 30s after SIGTERM"
        sleep 0.2
    done
    echo "slurm-local: stopped"
}

status() {
    local now=
    running slurmctld && now=$(node_state)
    case $now in
    idle | mixed | allocated)
        echo "slurm-local: node localhost $now"
        ;;
    *)
        echo "slurm-local: not running (state: '${now:-no answer}')"
        return 1
        ;;
    esac
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*) die "usage: $0 start|stop|status" ;;
esac
