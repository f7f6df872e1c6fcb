#!/bin/sh
# A live demonstration on a throw-away tree: build a baseline, start the
# daemon in the foreground, make a few changes, show the alerts, stop.
# Usage: scripts/demo.sh [seconds to keep watching after the changes]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
fimd=${FIMD:-$top/build/fimd}
[ -x "$fimd" ] || make -C "$top" >/dev/null
keep=${1:-3}
w=$(mktemp -d /tmp/fimd-demo.XXXXXX)
trap 'kill "$pid" 2>/dev/null; chattr -R -i "$w" 2>/dev/null; rm -rf "$w"' EXIT
mkdir -p "$w/tree/etc" "$w/tree/bin"
echo "root:x:0:0:root:/root:/bin/sh" > "$w/tree/etc/passwd"
echo "PermitRootLogin no" > "$w/tree/etc/sshd_config"
cp /bin/true "$w/tree/bin/true"
cat > "$w/rules.json" <<JSON
{"rules": [
  {"name": "demo-config", "paths": ["$w/tree/etc"], "severity": "critical",
   "attributes": ["ALL"], "rescan": "10s"},
  {"name": "demo-binaries", "paths": ["$w/tree/bin"], "severity": "high",
   "attributes": ["STANDARD", "xattrs"], "exclude": ["**/*.tmp"]}
]}
JSON
echo '{}' > "$w/fimd.json"
set -- -c "$w/fimd.json" -r "$w/rules.json" -b "$w/baseline.json" \
    -a "$w/alerts.json" -s "$w/fimd.sock"
echo "== fimd --validate"
"$fimd" --validate "$@"
echo "== fimd --init"
"$fimd" --init "$@"
echo "== fimd --foreground (real time), then some changes"
"$fimd" --foreground "$@" 2>"$w/daemon.log" &
pid=$!
for i in $(seq 50); do [ -S "$w/fimd.sock" ] && break; sleep 0.1; done
sleep 0.3
echo "PermitRootLogin yes" >> "$w/tree/etc/sshd_config"
chmod u+s "$w/tree/bin/true"
mv "$w/tree/etc/passwd" "$w/tree/etc/passwd.old"
echo "new" > "$w/tree/bin/evil"
echo "ignored" > "$w/tree/bin/x.tmp"
sh -c "echo 'attacker' >> '$w/tree/etc/passwd.old'"
sleep "$keep"
echo "== fimd --tail (what the daemon reported)"
"$fimd" --tail "$@"
echo "== fimd --status"
"$fimd" --status "$@" | head -n 20
kill -TERM "$pid"; wait "$pid" || true
echo "== fimd --check after the daemon saved its baseline: exit $("$fimd" --check -q "$@"; echo $?)"
echo "(raw alert lines are in $w/alerts.json while this runs; ECS JSON, one per line)"
