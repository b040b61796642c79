#!/usr/bin/env bash
# Smoke test of `fsb compare --emit slurm` on a real Slurm (not part of CI; needs root and
# Debian's packages). Installs a single-node Slurm (slurmctld + slurmd on this machine, with
# munge), starts it, runs a tiny grid (2 methods x 2 seeds, one epoch on 200 sample images)
# once locally and once as a Slurm array submitted from another folder, merges the array's
# shards with --collect and checks that its runs.csv equals the local one (apart from wall
# time). The daemons it started are stopped at the end; the packages stay installed.
#
#   scripts/slurm-smoke.sh [--keep]      (--keep: leave the temporary folder for inspection)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; fi
if [ "$(id -u)" != 0 ]; then echo "slurm-smoke.sh: needs root (installs and starts Slurm)" >&2; exit 1; fi

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null

work="$(mktemp -d /tmp/fsb-slurm-smoke.XXXXXX)"
started=()
cleanup() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$keep" = 0 ]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

# munge: a key, then the daemon (no systemd here).
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  started+=("$(cat /run/munge/munged.pid)")
fi

# A one-node cluster: this machine, all its CPUs, no cgroups.
host="$(hostname -s)"
mkdir -p /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=fsb-smoke
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=smoke Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
/usr/sbin/slurmctld && sleep 1 && started+=("$(cat /run/slurm/slurmctld.pid)")
/usr/sbin/slurmd && sleep 1 && started+=("$(cat /run/slurm/slurmd.pid)")
for _ in $(seq 1 30); do
  if sinfo -h -o %t 2>/dev/null | grep -qE "idle|mix"; then break; fi
  sleep 1
done
sinfo

# The tiny grid.
swift build --product fsb >/dev/null
fsb="$repo/.build/debug/fsb"
cat > "$work/spec.json" <<EOF
{"name": "slurm-smoke",
 "base": {"dataset": {"name": "mnist", "path": "$repo/datasets/samples/mnist", "trainLimit": 200, "testLimit": 100},
          "model": {"architecture": "lenet5"},
          "training": {"epochs": 1, "batchSize": 50, "threads": 1}},
 "axes": [{"path": "model.method", "values": ["bwn", "fsb"]}, {"path": "seed", "values": [1, 2]}],
 "hardware": ["$repo/configs/hw/fsb-int8-os.json"]}
EOF
"$fsb" compare --spec "$work/spec.json" --output "$work/local" --quiet >/dev/null
"$fsb" compare --spec "$work/spec.json" --output "$work/slurm" --emit slurm --shards 2 > "$work/grid.sbatch"
(cd / && sbatch --wait "$work/grid.sbatch")
"$fsb" compare --spec "$work/spec.json" --output "$work/slurm" --collect "$work/slurm" >/dev/null

# runs.csv without wall_seconds must be equal.
strip_wall() { python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
wall = rows[0].index("wall_seconds")
for row in rows:
    print(",".join(cell for i, cell in enumerate(row) if i != wall))
PY
}
if diff <(strip_wall "$work/local/runs.csv") <(strip_wall "$work/slurm/runs.csv"); then
  echo "slurm-smoke: OK — the Slurm array's runs.csv equals the local run's ($(($(wc -l < "$work/slurm/runs.csv") - 1)) runs)"
else
  echo "slurm-smoke: FAILED — runs.csv differs (above)" >&2
  exit 1
fi
