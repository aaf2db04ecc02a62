#!/bin/sh
# Compute pi to the requested number of digits, with a seed for the Monte-Carlo check.
set -eu
digits="$1"
seed="$2"
echo "pi to ${digits} digits (seed ${seed})"
/usr/local/bin/pi "${digits}" > "pi-${digits}-${seed}.txt"
