#!/usr/bin/env bash
# fimd's benchmark, against AIDE on the same trees in one run, and the
# daemon's own figures.  Run as root on an otherwise quiet machine; quote
# ratios of medians, not absolute times.
#
#   scripts/bench.sh [--runs N] [--quick] [--no-scale] [--scan-only |
#                     --daemon-only | --delete-only | --entities-only |
#                     --scale-daemon-only]
#
# Scan part, for each corpus (a copy of /usr/share, a generated tree and
# the scale corpus of a million tiny files, each built once and cached):
# --init, --check with nothing changed, --check after 1% of the files
# changed, for fimd and AIDE with the same attributes (permissions,
# inode, links, owner, group, size, mtime, ctime, sha256; AIDE not on the
# scale corpus, where it takes hours); medians of N runs with a warm page
# cache, ratios, peak RSS and RSS per file.  Beside them the floors: the
# hashing limit (../shared/bench/limit.c: find -print0 | limit 2),
# find | xargs -0 -P2 sha256sum, and the one-thread stat walk find
# -printf '%s %T@ %C@ %i\n' that --check with nothing changed is held to.
#
# Daemon part (fanotify): close()-to-alert latency p50/p99 over 1,000
# sequential writes beside inotifywait's on the same writes; a storm of
# 100,000 modifications across 10,000 files (events/s drained, nothing
# lost); CPU used over 60 idle seconds; RSS per watched file; rm -rf of
# 20,000 watched files under a 200,000-entry baseline, from the command
# to the last "deleted" alert.  FIMD=path runs another build of fimd.
#
# Scale daemon part (fanotify, on the scale corpus itself, no copy): the
# time from the daemon's start until --status answers, from an --init
# baseline of the million files; RSS per entry once the start-up rescan
# has drained; 100,000 distinct files modified (every 10th), all must be
# reported, then restored; a copy of ~100,000 files made inside the tree
# and removed with rm -rf, every deletion reported.  The corpus is left as
# it was.
#
# Entities part: the daemon checks the listening ports and re-reads
# dpkg's status once a second for 30 s (10 with --quick) while a port
# opens and closes every 2 s; the CPU time per ports check (the four
# /proc/net tables; and with the owners looked up in /proc/PID/fd) and
# per packages reload, and per check of the systemd units, from the
# daemon's own counters (--status).  Then the daemon with the shipped
# rules on this machine, idle: its CPU over 60 s.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
fimd=${FIMD:-$top/build/fimd}
work=${FIMD_BENCH_DIR:-/var/tmp/fimd-bench}
runs=3 idle=60 quick=0 do_scan=1 do_daemon=1 do_delete=1 scale=1 do_ent=1
do_sd=1
ent_secs=30
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--quick) quick=1; runs=1; idle=10; scale=0; ent_secs=10 ;;
	--no-scale) scale=0 ;;
	--scan-only) do_daemon=0; do_delete=0; do_ent=0; do_sd=0 ;;
	--daemon-only) do_scan=0; do_delete=0; do_ent=0; do_sd=0 ;;
	--delete-only) do_scan=0; do_daemon=0; do_ent=0; do_sd=0 ;;
	--entities-only) do_scan=0; do_daemon=0; do_delete=0; do_sd=0 ;;
	--scale-daemon-only)
		do_scan=0; do_daemon=0; do_delete=0; do_ent=0; scale=1 ;;
	*) echo "usage: $0 [--runs N] [--quick] [--no-scale] [--scan-only|--daemon-only|--delete-only|--entities-only|--scale-daemon-only]" >&2
	   exit 16 ;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "bench.sh: run as root" >&2; exit 1; }
[ -x "$fimd" ] || make -C "$top" >/dev/null
[ "$do_scan" = 0 ] || command -v aide >/dev/null ||
    { echo "bench.sh: needs aide (make deps)" >&2; exit 1; }
mkdir -p "$work"
echo "fimd benchmark: $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ), $runs run(s) each"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# time_cmd OUT CMD...: wall seconds and max RSS (KB) into OUT, "wall rss"
time_cmd() {
	local out=$1; shift
	/usr/bin/time -f '%e %M' -o "$out.t" "$@" >/dev/null 2>"$out.err" || true
	tail -n 1 "$out.t" >> "$out"
}

make_corpora() {
	if [ ! -f "$work/usrshare.done" ]; then
		echo "building corpus: a copy of /usr/share"
		rm -rf "$work/usrshare"
		cp -a /usr/share "$work/usrshare"
		touch "$work/usrshare.done"
	fi
	if [ ! -f "$work/generated.done" ]; then
		echo "building corpus: generated tree"
		rm -rf "$work/generated"
		gen=$top/../shared/bench/make-corpus.py
		if [ -f "$gen" ]; then
			python3 "$gen" "$work/generated"
		else
			python3 - "$work/generated" <<'PY'
import os, random, sys
r = random.Random(1); root = sys.argv[1]
dirs = [root] + [os.path.join(root, "d%04d" % i) for i in range(4500)]
for d in dirs: os.makedirs(d, exist_ok=True)
blob = r.randbytes(8 << 20)
for i in range(57000):
    x = r.random()
    n = 0 if x < .03 else r.randint(1, 1024) if x < .25 else int(2 ** r.uniform(10, 15.5)) if x < .985 else int(2 ** r.uniform(16, 22))
    o = r.randrange(0, len(blob) - n) if n < len(blob) else 0
    open(os.path.join(r.choice(dirs), "f%06d" % i), "wb").write(blob[o:o + n])
PY
		fi
		touch "$work/generated.done"
	fi
	if [ "$scale" = 1 ] && [ ! -f "$work/scale.done" ]; then
		echo "building corpus: a million tiny files (scale)"
		rm -rf "$work/scale"
		python3 "$top/../shared/bench/make-corpus.py" "$work/scale" \
		    --files 1000000 --dirs 5000 --tiny
		touch "$work/scale.done"
	fi
	limit=$work/limit
	if [ ! -x "$limit" ] && [ -f "$top/../shared/bench/limit.c" ]; then
		cc -O2 -o "$limit" "$top/../shared/bench/limit.c" -lcrypto \
		    -lpthread
	fi
}

# peer_runs NAME TREE: the floors, each timed like the tools.
peer_runs() {
	local b=$1 tree=$2 i
	for i in $(seq "$runs"); do
		time_cmd "$b/find-printf" sh -c \
		    "find '$tree' -printf '%s %T@ %C@ %i\\n'"
		time_cmd "$b/sha256sum" sh -c "find '$tree' -type f -print0 | \
		    xargs -0 -P2 -n 256 sha256sum"
		[ -x "$limit" ] && time_cmd "$b/limit" sh -c \
		    "find '$tree' -print0 | '$limit' 2"
	done
}

# ratio_line LABEL FIMD_FILE PEER_FILE: fimd's median over the peer's.
ratio_line() {
	[ -s "$3" ] || return 0
	local fw pw
	fw=$(awk '{print $1}' "$2" | median)
	pw=$(awk '{print $1}' "$3" | median)
	awk -v l="$1" -v fw="$fw" -v pw="$pw" 'BEGIN {
		printf "  %-44s %8.3f s  fimd %.2fx of it\n", l, pw,
		    (pw > 0 ? fw / pw : 0) }'
}

scan_bench() {
	local name=$1 tree=$work/$1 b=$work/$1.bench
	rm -rf "$b"; mkdir -p "$b"
	local files
	files=$(find "$tree" -xdev | wc -l)
	cat > "$b/rules.json" <<JSON
{"rules": [{"name": "bench", "paths": ["$tree"],
  "attributes": ["type", "mode", "uid", "gid", "size", "mtime", "ctime",
                 "inode", "nlink", "hash", "link_target"],
  "hash": "sha256"}]}
JSON
	echo '{}' > "$b/fimd.json"
	cat > "$b/aide.conf" <<CONF
database_in=file:$b/aide.db
database_out=file:$b/aide.db.new
gzip_dbout=no
report_url=stdout
FIM = p+i+n+u+g+s+m+c+sha256
$tree FIM
CONF
	local F=("$fimd" -c "$b/fimd.json" -r "$b/rules.json" -b "$b/baseline.json" -q)
	local A=(aide -c "$b/aide.conf" -W "$(nproc)")
	# AIDE needs hours for a million files: the floors stand in there.
	[ "$name" = scale ] && A=(true)
	# Warm the page cache with a plain reader first: fimd drops again the
	# pages its own reads had to bring in (fimd(8)), so its warm-up run
	# alone would leave it reading from disk while the peers read memory.
	find "$tree" -xdev -type f -print0 | xargs -0 -P2 -n 256 cat >/dev/null
	# then both tools once
	"${F[@]}" --init >/dev/null 2>&1 || true
	"${A[@]}" --init >/dev/null 2>&1 || true
	mv -f "$b/aide.db.new" "$b/aide.db" 2>/dev/null || true
	for i in $(seq "$runs"); do
		time_cmd "$b/fimd-init" "${F[@]}" --init
		time_cmd "$b/aide-init" "${A[@]}" --init
		mv -f "$b/aide.db.new" "$b/aide.db" 2>/dev/null || true
	done
	for i in $(seq "$runs"); do
		time_cmd "$b/fimd-check" "${F[@]}" --check
		time_cmd "$b/aide-check" "${A[@]}" --check
	done
	# change 1% of the regular files (append a byte), then restore them
	find "$tree" -xdev -type f | awk 'NR % 100 == 0' > "$b/changed"
	while read -r f; do printf x >> "$f"; done < "$b/changed"
	for i in $(seq "$runs"); do
		time_cmd "$b/fimd-check1" "${F[@]}" --check
		time_cmd "$b/aide-check1" "${A[@]}" --check
	done
	while read -r f; do truncate -s -1 "$f"; done < "$b/changed"
	peer_runs "$b" "$tree"
	echo
	echo "corpus $name: $files entries, $(du -sh "$tree" | cut -f1)"
	printf '%-26s %10s %10s %9s %12s %12s %10s\n' phase "fimd s" "aide s" \
	    "ratio" "fimd RSS" "aide RSS" "fimd B/file"
	for phase in init check check1; do
		local fw aw fr ar
		fw=$(awk '{print $1}' "$b/fimd-$phase" | median)
		aw=$(awk '{print $1}' "$b/aide-$phase" | median)
		fr=$(awk '{print $2}' "$b/fimd-$phase" | median)
		ar=$(awk '{print $2}' "$b/aide-$phase" | median)
		local label=$phase
		[ "$phase" = check ] && label="check, nothing changed"
		[ "$phase" = check1 ] && label="check, 1% changed"
		awk -v l="$label" -v fw="$fw" -v aw="$aw" -v fr="$fr" -v ar="$ar" \
		    -v n="$files" 'BEGIN {
			printf "%-26s %10.3f %10.3f %8.1fx %9d KB %9d KB %10.0f\n",
			    l, fw, aw, (fw > 0 ? aw / fw : 0), fr, ar, fr * 1024 / n }'
	done
	echo "floors (medians; fimd's time over the floor's):"
	ratio_line "init vs find | limit 2 (hashing limit)" \
	    "$b/fimd-init" "$b/limit"
	ratio_line "init vs find | xargs -P2 sha256sum" \
	    "$b/fimd-init" "$b/sha256sum"
	ratio_line "check vs find -printf (stat walk)" \
	    "$b/fimd-check" "$b/find-printf"
}

daemon_status() {
	"$fimd" --status --json -s "$dw/fimd.sock" 2>/dev/null
}

jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

wait_drained() {
	local last=-1 same=0 st ev
	while :; do
		st=$(daemon_status) || { sleep 0.2; continue; }
		ev=$(echo "$st" | jget '["events"]')
		if [ "$(echo "$st" | jget '["pending"]+d["hashing"]+d["queued"]+d["rescans_queued"]')" = 0 ] &&
		    [ "$ev" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && break
		else
			same=0
		fi
		last=$ev
		sleep 0.2
	done
}

daemon_bench() {
	dw=$work/daemon
	rm -rf "$dw"; mkdir -p "$dw/tree/lat"
	cc -O2 -o "$dw/bench-latency" "$top/scripts/bench-latency.c" -ljansson -lpthread
	for i in $(seq 0 999); do : > "$dw/tree/lat/f$i"; done
	python3 - "$dw/tree" <<'PY'
import os, sys
for d in range(100): os.makedirs(os.path.join(sys.argv[1], "s%d" % d), exist_ok=True)
for i in range(10000): open(os.path.join(sys.argv[1], "s%d/f%d" % (i % 100, i)), "w").write("0")
PY
	cat > "$dw/rules.json" <<JSON
{"rules": [{"name": "bench", "paths": ["$dw/tree"], "rescan": "1d"}]}
JSON
	echo '{}' > "$dw/fimd.json"
	local D=(-c "$dw/fimd.json" -r "$dw/rules.json" -b "$dw/baseline.json" \
	    -a "$dw/alerts.json" -s "$dw/fimd.sock")
	"$fimd" --foreground --backend fanotify "${D[@]}" 2>"$dw/daemon.log" &
	local pid=$!
	until daemon_status >/dev/null; do sleep 0.1; done
	wait_drained
	echo
	echo "daemon (fanotify): close()-to-alert latency, 1,000 sequential writes"
	"$dw/bench-latency" "$dw/tree" "$dw/alerts.json" 1000 inotifywait
	echo
	local ev0 t0 t1 ev1
	ev0=$(daemon_status | jget '["events"]')
	t0=$(date +%s.%N)
	python3 - "$dw/tree" <<'PY'
import os, sys
root = sys.argv[1]
for r in range(1, 11):
    for i in range(10000):
        fd = os.open(os.path.join(root, "s%d/f%d" % (i % 100, i)), os.O_WRONLY | os.O_TRUNC)
        os.write(fd, str(r).encode()); os.close(fd)
PY
	local tw
	tw=$(date +%s.%N)
	wait_drained
	t1=$(date +%s.%N)
	ev1=$(daemon_status | jget '["events"]')
	local reported
	reported=$(python3 - "$dw/alerts.json" "$dw/tree" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    a = json.loads(line); p = a.get("file", {}).get("path", "")
    if "/s" in p and "/f" in p: seen.add(p)
print(len(seen))
PY
)
	awk -v ev="$((ev1 - ev0))" -v t0="$t0" -v tw="$tw" -v t1="$t1" -v rep="$reported" 'BEGIN {
		printf "storm: 100,000 modifications of 10,000 files written in %.2f s; drained %.2f s after the first write\n", tw - t0, t1 - t0
		printf "storm: %d kernel events read, %.0f events/s, %.0f modifications/s end to end; %d of 10,000 files reported\n", ev, ev / (t1 - t0), 100000 / (t1 - t0), rep }'
	echo
	local c0 c1 hz
	hz=$(getconf CLK_TCK)
	c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	sleep "$idle"
	c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	awk -v c="$((c1 - c0))" -v hz="$hz" -v s="$idle" 'BEGIN {
		printf "idle: %.3f s of CPU over %d idle seconds (%.4f%%)\n", c / hz, s, 100 * c / hz / s }'
	local st files rss
	st=$(daemon_status)
	files=$(echo "$st" | jget '["files"]')
	rss=$(echo "$st" | jget '["memory"]["rss_kb"]')
	awk -v f="$files" -v r="$rss" 'BEGIN {
		printf "memory: %d files watched, RSS %d KB, %.0f bytes per file\n", f, r, r * 1024 / f }'
	echo "status: $(echo "$st" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("latency", d["latency_ms"], "overflows", d["overflows"], "gaps", d["gaps"])')"
	kill -TERM "$pid"; wait "$pid" || true
	# RSS per file on a large tree: the /usr/share copy, watched
	if [ -d "$work/usrshare" ]; then
		cat > "$dw/rules2.json" <<JSON
{"rules": [{"name": "bench", "paths": ["$work/usrshare"], "rescan": "1d"}]}
JSON
		"$fimd" --foreground --backend fanotify -c "$dw/fimd.json" \
		    -r "$dw/rules2.json" -b "$dw/baseline2.json" \
		    -a "$dw/alerts2.json" -s "$dw/fimd.sock" 2>>"$dw/daemon.log" &
		pid=$!
		until daemon_status >/dev/null; do sleep 0.2; done
		wait_drained
		st=$(daemon_status)
		files=$(echo "$st" | jget '["files"]')
		rss=$(echo "$st" | jget '["memory"]["rss_kb"]')
		awk -v f="$files" -v r="$rss" 'BEGIN {
			printf "memory (/usr/share copy): %d files watched, RSS %d KB, %.0f bytes per file\n", f, r, r * 1024 / f }'
		kill -TERM "$pid"; wait "$pid" || true
	fi
}

# rm -rf of 20,000 files (200 directories of 100) among 200,000 watched:
# each deletion must cost a lookup, not a walk of the whole baseline.
delete_bench() {
	dw=$work/delete
	rm -rf "$dw"; mkdir -p "$dw/tree"
	python3 - "$dw/tree" <<'PY'
import os, sys
root = sys.argv[1]
for d in range(2000):
    sub = os.path.join(root, ("doomed/d%d" if d < 200 else "kept/d%d") % d)
    os.makedirs(sub)
    for i in range(100):
        with open(os.path.join(sub, "f%d" % i), "w") as f: f.write("x")
PY
	cat > "$dw/rules.json" <<JSON
{"rules": [{"name": "bench", "paths": ["$dw/tree"], "rescan": "1d"}]}
JSON
	echo '{}' > "$dw/fimd.json"
	"$fimd" --foreground --backend fanotify -c "$dw/fimd.json" \
	    -r "$dw/rules.json" -b "$dw/baseline.json" -a "$dw/alerts.json" \
	    -s "$dw/fimd.sock" 2>"$dw/daemon.log" &
	local pid=$! t0 t1 files deleted
	until daemon_status >/dev/null; do sleep 0.2; done
	wait_drained
	files=$(daemon_status | jget '["files"]')
	t0=$(date +%s.%N)
	rm -rf "$dw/tree/doomed"
	until [ "$(grep -c '"action":"deleted"' "$dw/alerts.json" || true)" -ge 20201 ]; do
		sleep 0.05
	done
	t1=$(date +%s.%N)
	deleted=$(grep -c '"action":"deleted"' "$dw/alerts.json" || true)
	awk -v f="$files" -v d="$deleted" -v t0="$t0" -v t1="$t1" 'BEGIN {
		printf "\ndelete: rm -rf of 20,000 files in 200 directories under a %d-entry baseline: %d deleted alerts in %.2f s (%.0f deletions/s)\n", f, d, t1 - t0, d / (t1 - t0) }'
	kill -TERM "$pid"; wait "$pid" || true
}

entities_bench() {
	dw=$work/entities
	rm -rf "$dw"; mkdir -p "$dw/tree"
	: > "$dw/tree/f"
	cat > "$dw/rules.json" <<JSON
{"rules": [{"name": "t", "paths": ["$dw/tree"], "rescan": "1d"},
 {"name": "ports", "type": "ports", "rescan": 1},
 {"name": "packages", "type": "packages", "rescan": 1},
 {"name": "services", "type": "services", "rescan": 1}]}
JSON
	echo '{}' > "$dw/fimd.json"
	"$fimd" --foreground --backend inotify -c "$dw/fimd.json" \
	    -r "$dw/rules.json" -b "$dw/baseline.json" -a "$dw/alerts.json" \
	    -s "$dw/fimd.sock" 2>"$dw/daemon.log" &
	local pid=$! st
	until daemon_status >/dev/null; do sleep 0.1; done
	python3 - "$ent_secs" <<'PY'
import socket, sys, time
end = time.time() + float(sys.argv[1])
while time.time() < end:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
    time.sleep(1); s.close(); time.sleep(1)
PY
	st=$(daemon_status)
	kill -TERM "$pid"; wait "$pid" || true
	echo "$st" | python3 -c '
import json, sys
e = json.load(sys.stdin)["entities"]
p, k, u = e["ports"], e["packages"], e["services"]
plain = p["checks"] - p["owner_lookups"]
print("\nentities: %d listening ports, %d packages, %d units" % (
    p["items"], k["items"], u["items"]))
print("ports check, tables only:     %7.3f ms CPU (%d checks)" % (
    (p["cpu_ms"] - p["lookup_cpu_ms"]) / max(plain, 1), plain))
print("ports check, owners looked up: %7.3f ms CPU (%d checks, %d alerts)" % (
    p["lookup_cpu_ms"] / max(p["owner_lookups"], 1), p["owner_lookups"],
    p["changes"]))
print("packages reload (status file): %7.3f ms CPU (%d reloads)" % (
    k["cpu_ms"] / max(k["checks"], 1), k["checks"]))
print("services check (unit dirs):    %7.3f ms CPU (%d checks)" % (
    u["cpu_ms"] / max(u["checks"], 1), u["checks"]))'
}

# The daemon with the rules fimd ships (rules/: identity files, system
# binaries, ssh, boot, scheduling, apt, and the ports, packages and units
# entities), on this machine: CPU used over the idle seconds once its
# baseline is built and its start-up work is done.
shipped_idle_bench() {
	dw=$work/shipped
	rm -rf "$dw"; mkdir -p "$dw"
	echo '{}' > "$dw/fimd.json"
	"$fimd" --foreground -c "$dw/fimd.json" -r "$top/rules" \
	    -b "$dw/baseline.json" -a "$dw/alerts.json" -s "$dw/fimd.sock" \
	    2>"$dw/daemon.log" &
	local pid=$! c0 c1 hz st
	until daemon_status >/dev/null; do sleep 0.5; done
	wait_drained
	sleep 5
	hz=$(getconf CLK_TCK)
	c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	sleep "$idle"
	c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	st=$(daemon_status)
	kill -TERM "$pid"; wait "$pid" || true
	awk -v c="$((c1 - c0))" -v hz="$hz" -v s="$idle" \
	    -v f="$(echo "$st" | jget '["files"]')" 'BEGIN {
		printf "idle with the shipped rules (%d files, ports every minute, packages and units in real time): %.3f s of CPU over %d s (%.4f%%)\n", f, c / hz, s, 100 * c / hz / s }'
}

# alerts_since FILE OFFSET ACTION LIST|PREFIX: how many distinct paths got
# an ACTION alert in FILE past byte OFFSET, among the paths listed in LIST
# (one a line) or, when the argument is a directory, under it.
alerts_since() {
	python3 - "$@" <<'PY'
import json, os, sys
f, off, action, sel = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if os.path.isdir(sel) or not os.path.exists(sel):
    pre = sel.rstrip("/") + "/"
    want = lambda p: p == sel or p.startswith(pre)
else:
    paths = set(open(sel).read().split("\n")) - {""}
    want = paths.__contains__
seen = set()
with open(f, "rb") as fh:
    fh.seek(off)
    for line in fh:
        try:
            a = json.loads(line)
        except ValueError:
            continue
        if a.get("event", {}).get("action") != action:
            continue
        p = a.get("file", {}).get("path", "")
        if want(p):
            seen.add(p)
print(len(seen))
PY
}

# wait_written FILE: after wait_drained, until FILE (the daemon's only
# alert file, started afresh) holds every alert the daemon has numbered:
# the writer may be behind the counters by thousands of lines.
wait_written() {
	local want got
	while :; do
		want=$(daemon_status | jget '["seq"]-1') || { sleep 0.1; continue; }
		got=$(tail -n 1 "$1" | python3 -c 'import json,sys
try: print(json.loads(sys.stdin.read())["fimd"]["seq"])
except Exception: print(0)')
		[ "$got" -ge "$want" ] && break
		sleep 0.1
	done
}

# The daemon on the scale corpus itself: nothing is copied but the ~100,000
# files made and removed inside it for the rm -rf; the corpus is left as it
# was (the modified files get their byte back).
scale_daemon_bench() {
	local tree=$work/scale
	dw=$work/scale.daemon
	mkdir -p "$dw"
	rm -rf "$tree/zz-doomed"
	local entries
	entries=$(find "$tree" | wc -l)
	cat > "$dw/rules.json" <<JSON
{"rules": [{"name": "bench", "paths": ["$tree"],
  "attributes": ["type", "mode", "uid", "gid", "size", "mtime", "ctime",
                 "inode", "nlink", "hash", "link_target"],
  "hash": "sha256", "rescan": "1d"}]}
JSON
	echo '{}' > "$dw/fimd.json"
	local D=(-c "$dw/fimd.json" -r "$dw/rules.json" -b "$dw/baseline.json" \
	    -a "$dw/alerts.json" -s "$dw/fimd.sock")
	echo
	echo "scale daemon (fanotify): $tree, $entries entries"
	# The start is measured from a baseline fimd --init wrote of the
	# corpus as it is.  The daemon's own saved view is no stand-in: it
	# carries the history of each run's modifications, which grows the
	# load and the RSS run after run.  An --init baseline is reused while
	# it is newer than the corpus's marker and than the last run's
	# modifications (touched), under the same rules.
	local bi=$dw/baseline.init.json
	if [ ! -s "$bi" ] || [ ! "$bi" -nt "$work/scale.done" ] ||
	    { [ -f "$dw/touched" ] && [ ! "$bi" -nt "$dw/touched" ]; } ||
	    ! cmp -s "$dw/rules.json" "$dw/rules.used"; then
		local ti0 ti1
		ti0=$(date +%s.%N)
		"$fimd" -c "$dw/fimd.json" -r "$dw/rules.json" -b "$bi" -q \
		    --init >/dev/null 2>"$dw/init.log" || true
		ti1=$(date +%s.%N)
		cp "$dw/rules.json" "$dw/rules.used"
		awk -v a="$ti0" -v b="$ti1" 'BEGIN {
			printf "baseline: fimd --init in %.1f s\n", b - a }'
	else
		echo "baseline: reused $bi"
	fi
	cp "$bi" "$dw/baseline.json"
	rm -f "$dw/alerts.json" "$dw/fimd.sock"
	local t0 t1 tw pid
	t0=$(date +%s.%N)
	"$fimd" --foreground --backend fanotify "${D[@]}" 2>"$dw/daemon.log" &
	pid=$!
	# shellcheck disable=SC2064
	trap "kill -TERM $pid 2>/dev/null; rm -rf '$tree/zz-doomed'" EXIT
	until daemon_status >/dev/null; do sleep 0.02; done
	t1=$(date +%s.%N)
	wait_drained; wait_written "$dw/alerts.json"
	tw=$(date +%s.%N)
	local st files rss
	st=$(daemon_status)
	files=$(echo "$st" | jget '["files"]')
	rss=$(echo "$st" | jget '["memory"]["rss_kb"]')
	awk -v a="$t0" -v b="$t1" -v c="$tw" 'BEGIN {
		printf "ready: --status answers %.2f s after the start (target 2 s); start-up rescan drained %.1f s after the start\n", b - a, c - a }'
	awk -v f="$files" -v r="$rss" -v n="$entries" 'BEGIN {
		printf "memory: %d files watched, RSS %d KB, %.0f bytes per entry (target 150)\n", f, r, r * 1024 / n }'

	# 100,000 distinct files, every 10th regular file: one byte appended
	python3 - "$tree" > "$dw/modified" <<'PY'
import os, sys
n = 0
for d, subs, names in os.walk(sys.argv[1]):
    subs.sort()
    for f in sorted(names):
        if n % 10 == 0:
            print(os.path.join(d, f))
        n += 1
PY
	local nmod off rep
	nmod=$(wc -l < "$dw/modified")
	off=$(stat -c %s "$dw/alerts.json" 2>/dev/null || echo 0)
	touch "$dw/touched"
	t0=$(date +%s.%N)
	python3 - "$dw/modified" <<'PY'
import os, sys
for p in open(sys.argv[1]).read().split("\n"):
    if p:
        fd = os.open(p, os.O_WRONLY | os.O_APPEND)
        os.write(fd, b"x"); os.close(fd)
PY
	tw=$(date +%s.%N)
	wait_drained; wait_written "$dw/alerts.json"
	t1=$(date +%s.%N)
	rep=$(alerts_since "$dw/alerts.json" "$off" updated "$dw/modified")
	awk -v n="$nmod" -v r="$rep" -v t0="$t0" -v tw="$tw" -v t1="$t1" 'BEGIN {
		printf "modify: %d distinct files appended to in %.2f s; drained %.2f s after the first write\n", n, tw - t0, t1 - t0
		printf "modify: %d of %d reported, %d lost\n", r, n, n - r }'
	off=$(stat -c %s "$dw/alerts.json")
	t0=$(date +%s.%N)
	python3 - "$dw/modified" <<'PY'
import os, sys
for p in open(sys.argv[1]).read().split("\n"):
    if p:
        os.truncate(p, os.stat(p).st_size - 1)
PY
	wait_drained; wait_written "$dw/alerts.json"
	t1=$(date +%s.%N)
	rep=$(alerts_since "$dw/alerts.json" "$off" updated "$dw/modified")
	awk -v n="$nmod" -v r="$rep" -v t0="$t0" -v t1="$t1" 'BEGIN {
		printf "restore: %d files truncated back, drained %.2f s after the first, %d of them reported\n", n, t1 - t0, r }'

	# rm -rf: a copy of the largest top-level directories that together
	# hold about 100,000 entries, made inside the tree, then removed
	local dirs doomed=$tree/zz-doomed ndoomed nd
	dirs=$(find "$tree" -mindepth 2 | awk -F/ -v d="$(echo "$tree" | awk -F/ '{print NF + 1}')" '
		{ c[$d]++ } END { for (k in c) print c[k], k }' | sort -rn | awk '
		t < 100000 && t + $1 <= 110000 { t += $1; print $2 }')
	off=$(stat -c %s "$dw/alerts.json")
	mkdir "$doomed"
	for nd in $dirs; do cp -a "$tree/$nd" "$doomed/"; done
	ndoomed=$(find "$doomed" | wc -l)
	wait_drained; wait_written "$dw/alerts.json"
	rep=$(alerts_since "$dw/alerts.json" "$off" created "$doomed")
	echo "rm -rf: copied $(echo "$dirs" | wc -w) directories, $ndoomed entries, into $doomed: $rep created alerts"
	off=$(stat -c %s "$dw/alerts.json")
	t0=$(date +%s.%N)
	rm -rf "$doomed"
	tw=$(date +%s.%N)
	wait_drained; wait_written "$dw/alerts.json"
	t1=$(date +%s.%N)
	rep=$(alerts_since "$dw/alerts.json" "$off" deleted "$doomed")
	awk -v n="$ndoomed" -v r="$rep" -v t0="$t0" -v tw="$tw" -v t1="$t1" 'BEGIN {
		printf "rm -rf of %d files: rm took %.2f s, drained %.2f s after rm began, %d deleted alerts (%d lost)\n", n, tw - t0, t1 - t0, r, n - r }'
	st=$(daemon_status)
	echo "status: $(echo "$st" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("files", d["files"], "overflows", d["overflows"], "gaps", d["gaps"], "latency", d["latency_ms"])')"
	t0=$(date +%s.%N)
	kill -TERM "$pid"; wait "$pid" || true
	trap - EXIT
	t1=$(date +%s.%N)
	local after
	after=$(find "$tree" | wc -l)
	awk -v t0="$t0" -v t1="$t1" -v a="$after" -v e="$entries" 'BEGIN {
		printf "stop: SIGTERM to exit (baseline saved) %.1f s; corpus %d entries after, %d before%s\n", t1 - t0, a, e, (a == e ? "" : "  MISMATCH") }'
}

if [ "$do_scan" = 1 ]; then
	make_corpora
	scan_bench usrshare
	[ "$quick" = 1 ] || scan_bench generated
	[ "$scale" = 1 ] && scan_bench scale
fi
if [ "$do_daemon" = 1 ]; then
	[ "$do_scan" = 1 ] || make_corpora
	daemon_bench
fi
if [ "$do_delete" = 1 ]; then
	delete_bench
fi
if [ "$do_ent" = 1 ]; then
	entities_bench
	shipped_idle_bench
fi
if [ "$do_sd" = 1 ] && [ "$scale" = 1 ]; then
	[ -f "$work/scale.done" ] || make_corpora
	scale_daemon_bench
fi
