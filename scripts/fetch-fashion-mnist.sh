#!/usr/bin/env bash
# fetch-fashion-mnist.sh DIR: puts the four Fashion-MNIST idx files, gzipped,
# into DIR.
#
# The files (Xiao, Rasul and Vollgraf 2017, MIT licence) come from Debian's
# package dataset-fashion-mnist, fetched with `apt-get download` (no root
# needed) into .cache/apt at the repository root and unpacked with
# `dpkg-deb -x`. Each uncompressed file's MD5 is checked; on any mismatch
# nothing is written into DIR. Where the package cannot be had (no apt, no
# Debian archive), the script says how to get the set and exits 3: MNIST
# works without it.
set -euo pipefail

PKG=dataset-fashion-mnist

if [[ $# -ne 1 ]]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=idx-files.sh
source "$root/scripts/idx-files.sh"
cache=$root/.cache/apt

names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A md5=(
	[train-images-idx3-ubyte]=f4a8712d7a061bf5bd6d2ca38dc4d50a
	[train-labels-idx1-ubyte]=9018921c3c673c538a1fc5bad174d6f9
	[t10k-images-idx3-ubyte]=8181f5470baa50b63fa0f6fddb340f0a
	[t10k-labels-idx1-ubyte]=15d484375f8d13e6eb1aabb0c3f46965
)

unavailable() {
	echo "fetch-fashion-mnist: $1" >&2
	echo "fetch-fashion-mnist: Fashion-MNIST is optional: MNIST works without it. To add it, put the four" >&2
	echo "fetch-fashion-mnist: idx files (gzipped) of Debian's $PKG, or of the original release, into $dir" >&2
	exit 3
}

mkdir -p "$cache"
deb=$(ls "$cache"/${PKG}_*.deb 2>/dev/null | head -n 1 || true)
if [[ -n $deb && -s $deb ]]; then
	echo "fetch-fashion-mnist: using cached $deb" >&2
else
	command -v apt-get >/dev/null 2>&1 || unavailable "no apt-get on this machine"
	command -v dpkg-deb >/dev/null 2>&1 || unavailable "no dpkg-deb on this machine"
	echo "fetch-fashion-mnist: apt-get download $PKG into $cache" >&2
	(cd "$cache" && apt-get download -q "$PKG" >/dev/null 2>&1) || unavailable "apt-get download $PKG failed (run apt-get update, or check the Debian archive)"
	deb=$(ls "$cache"/${PKG}_*.deb 2>/dev/null | head -n 1 || true)
	[[ -n $deb && -s $deb ]] || unavailable "apt-get download $PKG wrote no .deb"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work"
src=$work/usr/share/datasets/fashion-mnist

for n in "${names[@]}"; do
	if [[ ! -s $src/$n.gz ]]; then
		echo "fetch-fashion-mnist: $deb has no $n.gz; delete it and retry" >&2
		exit 1
	fi
	gzip -dc "$src/$n.gz" >"$work/$n"
done
if ! idx_check fetch-fashion-mnist "$work"; then
	echo "fetch-fashion-mnist: refusing to write into $dir; delete $deb and retry if it is corrupt" >&2
	exit 1
fi
idx_write fetch-fashion-mnist "$work" "$dir"
