#!/usr/bin/env bash
# Packaging benchmark: executor/pack against `zip -qrX` on the same ~200 MB tree.
#
#   bench/pack/run.sh            # RUNS=3 SCALE=1 by default
#   RUNS=5 SCALE=0.2 KEEP=1 bench/pack/run.sh
#
# Generates the tree (bench/pack/gen, deterministic) in a temporary folder,
# warms the page cache, then runs, RUNS times and interleaved so that load
# from other processes hits all alike: our packer with the default workers
# (GOMAXPROCS), our packer with -workers 1, and zip -qrX (Info-ZIP, deflate
# level 6, one thread). It checks that every run of ours gave the same bytes
# (sha256), tests the archives with unzip -t, and prints a Markdown table
# (median and best wall time, CPU time, peak RSS, zip size).
set -euo pipefail

RUNS=${RUNS:-3}
SCALE=${SCALE:-1}
cd "$(dirname "$0")/../.."

if ! command -v zip >/dev/null || ! command -v unzip >/dev/null; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get install -y zip unzip >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y zip unzip >/dev/null; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/packbench.XXXXXX")
if [ -z "${KEEP:-}" ]; then
	trap 'rm -rf "$work"' EXIT
else
	echo "keeping $work"
fi

go build -o "$work/gen" ./bench/pack/gen
go build -o "$work/packbench" ./bench/pack/cmd
"$work/gen" -out "$work/tree" -scale "$SCALE"
files=$(find "$work/tree" -type f | wc -l)
bytes=$(find "$work/tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
tar -C "$work/tree" -cf - . | cat >/dev/null # warm the page cache
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# measure NAME CMD...: runs CMD, appends "NAME wall user sys rss_kb" to $work/times.
measure() {
	local name=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "$name %e %U %S %M" -a -o "$work/times" "$@" >/dev/null
	else
		local s e
		s=$(date +%s%N)
		"$@" >/dev/null
		e=$(date +%s%N)
		echo "$name $(awk -v d=$((e - s)) 'BEGIN {printf "%.2f", d/1e9}') ? ? ?" >>"$work/times"
	fi
}

: >"$work/times"
: >"$work/sums"
for i in $(seq "$RUNS"); do
	rm -rf "$work/out"
	measure ours "$work/packbench" -src "$work/tree" -out "$work/out"
	sha256sum "$work"/out/*.zip | cut -d' ' -f1 >>"$work/sums"
	ls -l "$work"/out/*.zip | awk '{print $5}' >"$work/size.ours"
	cp "$work"/out/*.zip "$work/ours.zip"

	rm -rf "$work/out"
	measure ours-1-worker "$work/packbench" -src "$work/tree" -out "$work/out" -workers 1
	sha256sum "$work"/out/*.zip | cut -d' ' -f1 >>"$work/sums"

	rm -f "$work/zip.zip"
	(cd "$work/tree" && measure zip zip -qrX "$work/zip.zip" .)
	stat -c %s "$work/zip.zip" >"$work/size.zip"
done

distinct=$(sort -u "$work/sums" | wc -l)
unzip -tq "$work/ours.zip" >/dev/null
unzip -tq "$work/zip.zip" >/dev/null

echo
echo "tree: $files files, $bytes bytes ($(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1048576}') MiB); $RUNS runs each; $(nproc) cores; $(go version | cut -d' ' -f3-)"
echo "load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| packer | wall median (s) | wall best (s) | CPU user+sys median (s) | peak RSS median (MiB) | zip size (bytes) | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in ours ours-1-worker zip; do
	size=$(cat "$work/size.${name%-1-worker}")
	awk -v n="$name" -v size="$size" -v total="$bytes" '
		function median(a, k,   i, j, t) {
			for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
		}
		$1 == n { k++; w[k] = $2; c[k] = $3 + $4; r[k] = $5 / 1024 }
		END {
			best = w[1]; for (i = 2; i <= k; i++) if (w[i] < best) best = w[i]
			printf "| %s | %.2f | %.2f | %.2f | %.0f | %d | %.3f |\n", n, median(w, k), best, median(c, k), median(r, k), size, size / total
		}' "$work/times"
done
echo
if [ "$distinct" -eq 1 ]; then
	echo "ours: all $((2 * RUNS)) archives byte-identical (default workers and 1 worker): sha256 $(head -1 "$work/sums")"
else
	echo "ours: ARCHIVES DIFFER between runs:" >&2
	sort | uniq -c <"$work/sums" >&2
	exit 1
fi
echo "unzip -t: both archives OK"
