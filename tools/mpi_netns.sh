#!/usr/bin/env bash
# A two-"host" Open MPI run on one machine: two network namespaces (gkmpi-a 10.77.0.1, gkmpi-b 10.77.0.2) joined
# by a veth pair; mpirun runs in gkmpi-a and starts the second host's daemon in gkmpi-b through a launch agent
# (tools/mpi_netns_agent.sh, in place of ssh); every byte between the ranks crosses the veth over Open MPI's TCP
# transport (btl tcp, shared memory off). Runs a 2-rank scan and checks it equals one process.
# Needs root (ip netns). Usage: bash tools/mpi_netns.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GK=$PWD/.build/release/ghostkit
T=$(mktemp -d)
cleanup() { ip netns del gkmpi-a 2>/dev/null || true; ip netns del gkmpi-b 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
cleanup; T=$(mktemp -d)
ip netns add gkmpi-a
ip netns add gkmpi-b
ip link add gkveth-a type veth peer name gkveth-b
ip link set gkveth-a netns gkmpi-a
ip link set gkveth-b netns gkmpi-b
ip -n gkmpi-a addr add 10.77.0.1/24 dev gkveth-a
ip -n gkmpi-b addr add 10.77.0.2/24 dev gkveth-b
for ns in gkmpi-a gkmpi-b; do ip -n $ns link set lo up; done
ip -n gkmpi-a link set gkveth-a up
ip -n gkmpi-b link set gkveth-b up
# (no ping on this machine: the first TCP connection of mpirun is the reachability test)
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' > "$T/hosts"
CK=checkpoints/resnet18-fmnist.safetensors
SCAN=(scan --checkpoint "$CK" --images 40 --batch-size 8 --threads 1 --overwrite)
"$GK" "${SCAN[@]}" --out "$T/one" >/dev/null 2>&1
before=$(ip netns exec gkmpi-a cat /sys/class/net/gkveth-a/statistics/tx_bytes)
ip netns exec gkmpi-a mpirun --allow-run-as-root -np 2 --hostfile "$T/hosts" \
  --mca plm_rsh_agent "$PWD/tools/mpi_netns_agent.sh" --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 \
  --mca oob_tcp_if_include 10.77.0.0/24 -x PATH \
  "$GK" "${SCAN[@]}" --out "$T/two" > "$T/two.log" 2>&1 || { cat "$T/two.log"; exit 1; }
/usr/bin/python3 tools/mpi_compare.py h5 "$T/one/activations.h5" "$T/two/activations.h5"
/usr/bin/python3 tools/mpi_compare.py pairs "$T/one/pairs.json" "$T/two/pairs.json" 1e-6
after=$(ip netns exec gkmpi-a cat /sys/class/net/gkveth-a/statistics/tx_bytes)
echo "mpi_netns: 2 ranks on two network namespaces equal one process; $((after - before)) bytes left gkmpi-a over the veth"
