#!/usr/bin/env bash
# Runs a command over a real, slow link: in a network namespace of its own
# whose loopback is limited to RATE by a token bucket (tc's tbf; this
# kernel has no netem), so that MPI's ranks on this machine talk as over a
# network of that speed (issue 24; docs/CLUSTER.md).
#
#   scripts/throttled-link.sh RATE COMMAND [ARGUMENTS...]
#   scripts/throttled-link.sh 100mbit mpirun --mca btl tcp,self --mca btl_tcp_if_include lo \
#       --mca oob_tcp_if_include lo -np 2 build/app/lpm probe-links
#
# RATE as tc writes it: 1gbit, 100mbit, ... The loopback's MTU is set to
# 9000 and the bucket's burst to 256 KB (smaller ones stall connections).
# MPI must be told to use TCP on `lo` (btl tcp,self; btl_tcp_if_include lo
# and oob_tcp_if_include lo), or shared memory bypasses the link. Needs
# root (or CAP_NET_ADMIN) and unshare, ip and tc (util-linux, iproute2).
set -euo pipefail
if [[ $# -lt 2 ]]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
rate="$1"
shift
if ! [[ "$rate" =~ ^[0-9]+(\.[0-9]+)?(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps)$ ]]; then
  echo "throttled-link.sh: RATE '$rate' is not a rate tc reads (for example 1gbit or 100mbit)" >&2
  exit 2
fi
for tool in unshare ip tc; do
  command -v "$tool" >/dev/null || { echo "throttled-link.sh: $tool is not on PATH (util-linux, iproute2)" >&2; exit 2; }
done
exec unshare --net bash -c '
  set -euo pipefail
  ip link set lo up
  ip link set lo mtu 9000
  tc qdisc add dev lo root tbf rate "$0" burst 256kb latency 50ms
  exec "$@"
' "$rate" "$@"
