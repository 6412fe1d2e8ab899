# idx-files.sh: what the fetch scripts share, sourced by them. Each sets
# names (the four idx files) and md5 (name → MD5 of the uncompressed file)
# before calling these.

# idx_check TAG SRC: checks the MD5 of each uncompressed SRC/name; says
# which match on stderr, prefixed TAG, and returns 1 if any does not.
idx_check() {
	local tag=$1 src=$2 bad=0 n got
	for n in "${names[@]}"; do
		got=$(md5sum "$src/$n" | cut -d' ' -f1)
		if [[ $got != "${md5[$n]}" ]]; then
			echo "$tag: MD5 mismatch for $n: expected ${md5[$n]}, got $got" >&2
			bad=1
		else
			echo "$tag: $n md5 ok" >&2
		fi
	done
	return $bad
}

# idx_write TAG SRC DIR: writes each SRC/name as DIR/name.gz with `gzip -9
# -n` (reproducible bytes), through a temporary file moved into place.
idx_write() {
	local tag=$1 src=$2 dir=$3 n tmp
	mkdir -p "$dir"
	for n in "${names[@]}"; do
		tmp=$(mktemp "$dir/.$n.gz.XXXXXX")
		gzip -9 -n -c "$src/$n" >"$tmp"
		chmod 0644 "$tmp"
		mv -f "$tmp" "$dir/$n.gz"
		echo "$tag: wrote $dir/$n.gz ($(wc -c <"$dir/$n.gz") bytes)" >&2
	done
}
