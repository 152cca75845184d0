#!/usr/bin/env bash
# Prints the fuzz target names (Sources/Fuzz<Name>/ without the Fuzz prefix; FuzzSupport is the driver).
cd "$(dirname "$0")/Sources"
for d in Fuzz*/; do d=${d%/}; [ "$d" != FuzzSupport ] && echo "${d#Fuzz}"; done
