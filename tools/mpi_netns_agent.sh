#!/usr/bin/env bash
# Open MPI launch agent for tools/mpi_netns.sh, called as ssh would be: AGENT [options] HOST COMMAND...; runs
# COMMAND in the network namespace that holds HOST's address (10.77.0.1: gkmpi-a, 10.77.0.2: gkmpi-b).
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done
host=$1; shift
case "$host" in
  10.77.0.1) ns=gkmpi-a ;;
  10.77.0.2) ns=gkmpi-b ;;
  *) echo "mpi_netns_agent: unknown host $host" >&2; exit 1 ;;
esac
exec ip netns exec "$ns" sh -c "$*"
