#!/usr/bin/env bats
# Built and installed as a Debian packager builds it: the build honours CC, CFLAGS, CPPFLAGS and
# LDFLAGS, every binary passes hardening-check under dpkg-buildflags, install sets the modes and
# works over a running binary, the version has one source, the six filters need neither libpq nor
# libevent, the systemd units pass systemd-analyze verify, and the Debian package (tests/package/debian)
# builds from a copy of the tree, is lintian-clean, installs with dpkg -i, runs the demo from /usr/bin
# and purges.
#
# The package test installs and purges the package sr: it runs as root only (CI is root on a throwaway
# machine). Without the tools (debhelper, lintian, devscripts, systemd) or root a test skips, except
# under CI=true, where it fails.

BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-600}
load timeout

setup_file() {
	export LC_ALL=C
	# What a packager gets is the plain build: under make check-sanitize (whose
	# CC and CFLAGS would reach these makes through MAKEFLAGS) the plain pass runs these.
	SANITIZED=0
	if nm "${SR_BIN:-$BATS_TEST_DIRNAME/../bin}/sr-topk" 2> /dev/null | grep -q __asan_init; then
		SANITIZED=1
	fi
	export SANITIZED
	unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	# make install takes the build of SR_BIN (O=build/sanitize under make check-sanitize)
	# when it is one, so that the tree is not built again; else a build of its own.
	if [ -n "${SR_BIN:-}" ] && [ -f "$SR_BIN/../lib/libsr.a" ]; then
		OUT=$(cd "$SR_BIN/.." && pwd)
	else
		OUT=$BATS_FILE_TMPDIR/out
	fi
	export ROOT OUT
}

setup() {
	[ "$SANITIZED" = 0 ] || skip "a sanitizer build: the plain pass of make check builds the package"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# need CMD...: skip without one of the commands, fail under CI.
need() {
	local c
	for c in "$@"; do
		command -v "$c" > /dev/null 2>&1 && continue
		[ "${CI:-}" = true ] && { echo "$c: not installed (tests/deps.sh installs it)"; return 1; }
		skip "$c not installed"
	done
}

need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	[ "${CI:-}" = true ] && { echo "not root: the package test installs with dpkg -i"; return 1; }
	skip "not root"
}

# The compile and link lines make would run for every target, from scratch, into O.
dry() {
	make -C "$ROOT" --no-print-directory -n -B O="$BATS_TEST_TMPDIR/o" "$@" all unit gen |
	    grep -E '(^| )-o ' | grep -v -- '-o /dev/null'
}

@test "CC, CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line reach every compile and link; sr's own flags stay" {
	local var where mark n=0 lines bad
	for var in CC CFLAGS CPPFLAGS LDFLAGS; do
		for where in env cmdline; do
			mark="-DSR_MARK_${var}_$where"
			[ "$var" = CC ] && mark="sr-mark-cc-$where"
			if [ "$where" = env ]; then
				lines=$(export "$var=$mark" && dry)
			else
				lines=$(dry "$var=$mark")
			fi
			[ -n "$lines" ]
			while IFS= read -r l; do
				n=$((n + 1))
				# LDFLAGS belong to the lines that link (the objects of lib/ are only compiled).
				if [ "$var" = LDFLAGS ] && [[ "$l" == *" -c "* ]]; then continue; fi
				[[ "$l" == *"$mark"* ]] || { echo "$var ($where) missing: $l"; return 1; }
				case "$var" in
				CC) [[ "$l" == "$mark "* ]] || { echo "not run with CC: $l"; return 1; } ;;
				esac
				for bad in -Ilib -D_POSIX_C_SOURCE=200809L -std=c11 -Wall; do
					[[ "$l" == *" $bad "* ]] || { echo "$var ($where) dropped $bad: $l"; return 1; }
				done
			done <<< "$lines"
		done
	done
	echo "$n command lines checked"
	[ "$n" -gt 100 ]
}

@test "CC=clang make builds with clang; make CPPFLAGS=-DX VERSION=V builds; every tool says V, the one version" {
	need clang
	local o=$BATS_TEST_TMPDIR/o t v n=0
	CC=clang timeout 300 make -C "$ROOT" --no-print-directory -j2 O="$o" CPPFLAGS=-DSR_PKG_TEST \
	    VERSION=9.8.7-test all > make.log 2>&1 || { cat make.log; return 1; }
	for t in sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load sr-serve sr-hourly; do
		readelf -p .comment "$o/bin/$t" | grep -q clang || { echo "$t not built by clang"; return 1; }
		v=$("$o/bin/$t" --version)
		[ "$v" = "$t (sr) 9.8.7-test" ] || { echo "$t --version: $v"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -eq 8 ]
	# The version is written once, in the Makefile: no other source, page or script spells it.
	v=$(sed -n 's/^VERSION = //p' "$ROOT/Makefile")
	[ -n "$v" ]
	# (tests/bench keeps the results of past runs, which name the version they ran; debian/rules
	# checks that debian/changelog agrees with the Makefile.)
	run grep -rlIF --exclude-dir=bench --exclude=changelog -- "$v" \
	    "$ROOT/cmd" "$ROOT/lib" "$ROOT/man" "$ROOT/tests" "$ROOT/README.md"
	[ "$output" = "" ] || { echo "the version spelled in: $output"; return 1; }
}

@test "make builds the tools only; the unit tests and sr-gen under their own targets, into O" {
	local lines
	lines=$(make -C "$ROOT" --no-print-directory -n -B O="$BATS_TEST_TMPDIR/o" all)
	[[ "$lines" == *"bin/sr-hourly"* ]]
	[[ "$lines" != *"tests/unit"* ]] || { echo "all builds the unit tests"; return 1; }
	[[ "$lines" != *"sr-gen"* ]] || { echo "all builds sr-gen"; return 1; }
	lines=$(make -C "$ROOT" --no-print-directory -n -B O="$BATS_TEST_TMPDIR/o" unit gen)
	[[ "$lines" == *"-o $BATS_TEST_TMPDIR/o/tests/unit/unit "* ]]
	[[ "$lines" == *"-o $BATS_TEST_TMPDIR/o/tests/bench/sr-gen "* ]]
}

@test "the six filters build without libpq and libevent; sr-load and sr-serve say which headers they need" {
	local p=$BATS_TEST_TMPDIR/poison o=$BATS_TEST_TMPDIR/o t n=0
	# Headers that stop any compile including them, libraries that stop any link naming them.
	mkdir -p "$p/event2"
	for h in libpq-fe.h event2/event.h event2/http.h event2/buffer.h; do
		echo '#error poisoned: this tool must not need it' > "$p/$h"
	done
	echo 'INPUT(/nonexistent/poisoned)' > "$p/libpq.so"
	echo 'INPUT(/nonexistent/poisoned)' > "$p/libevent.so"
	timeout 300 make -C "$ROOT" --no-print-directory -j2 O="$o" PG_CONFIG=false \
	    CPPFLAGS="-I$p" LDFLAGS="-L$p" filters > make.log 2>&1 || { cat make.log; return 1; }
	for t in sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-hourly; do
		"$o/bin/$t" --version > /dev/null
		n=$((n + 1))
	done
	[ "$n" -eq 6 ]
	for t in sr-load:libpq-fe.h:libpq-dev sr-serve:event2/event.h:libevent-dev; do
		run timeout 300 make -C "$ROOT" --no-print-directory O="$o" PG_CONFIG=false \
		    CPPFLAGS="-I$p" LDFLAGS="-L$p" "$o/bin/${t%%:*}"
		[ "$status" -eq 2 ]
		h=${t#*:}
		[[ "$output" == *"make: ${t%%:*} needs <${h%%:*}>: apt-get install ${h#*:}"* ]] || { echo "$output"; return 1; }
		[ ! -e "$o/bin/${t%%:*}" ]
	done
}

@test "every binary passes hardening-check when built with dpkg-buildflags exported (hardening=+all)" {
	need hardening-check dpkg-buildflags
	local o=$BATS_TEST_TMPDIR/o opt=""
	(
		export DEB_BUILD_MAINT_OPTIONS=hardening=+all
		eval "$(dpkg-buildflags --export=sh)"
		timeout 300 make -C "$ROOT" --no-print-directory -j2 O="$o" all
	) > make.log 2>&1 || { cat make.log; return 1; }
	# Control-flow protection is required when dpkg-buildflags asks for it (dpkg >= 1.22); Debian 12's does not.
	DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CFLAGS | grep -q -- -fcf-protection ||
	    opt=--nocfprotection
	run hardening-check $opt "$o"/bin/*
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ Stack protected: yes' <<< "$output")" -eq 8 ]
	[ "$(grep -c '^ Fortify Source functions: yes' <<< "$output")" -eq 8 ]
	[ "$(grep -c '^ Immediate binding: yes' <<< "$output")" -eq 8 ]
	# And the check fails on a build without the flags (the default CFLAGS, no -z now).
	timeout 300 make -C "$ROOT" --no-print-directory O="$BATS_TEST_TMPDIR/plain" CFLAGS="-O2 -g -fno-stack-protector" \
	    "$BATS_TEST_TMPDIR/plain/bin/sr-topk" > make.log 2>&1 || { cat make.log; return 1; }
	run hardening-check $opt "$BATS_TEST_TMPDIR/plain/bin/sr-topk"
	[ "$status" -ne 0 ]
}

@test "make install: explicit modes whatever the umask, over a running binary, and uninstall takes it all away" {
	local d f n pid mask tries=0
	timeout 300 make -C "$ROOT" --no-print-directory -j2 O="$OUT" all > make.log 2>&1 || { cat make.log; return 1; }
	for mask in 000 002 022 027 077 277; do
		d=$BATS_TEST_TMPDIR/dest.$mask n=0
		(umask "$mask" && make -C "$ROOT" --no-print-directory O="$OUT" DESTDIR="$d" PREFIX=/usr install) > make.log 2>&1 ||
		    { cat make.log; return 1; }
		while IFS= read -r f; do
			n=$((n + 1))
			case "$f" in
			*/bin/*) [ "$(stat -c %a "$f")" = 755 ] || { echo "umask $mask: $f: $(stat -c %a "$f")"; return 1; } ;;
			*) [ "$(stat -c %a "$f")" = 644 ] || { echo "umask $mask: $f: $(stat -c %a "$f")"; return 1; } ;;
			esac
		done < <(find "$d" -type f)
		[ "$n" -eq 20 ] # 8 tools, 9 pages, 3 units
		while IFS= read -r f; do
			[ "$(stat -c %a "$f")" = 755 ] || { echo "umask $mask: $f: $(stat -c %a "$f")"; return 1; }
		done < <(find "$d" -mindepth 1 -type d)
		tries=$((tries + n))
	done
	echo "$tries modes checked"
	grep -q "^ExecStart=/usr/bin/sr-serve " "$d/usr/lib/systemd/system/sr-serve.service"
	# A running tool's binary is replaced (cp stops there: "Text file busy"): sr-map
	# waits on a FIFO while make install runs again, then ends well.
	mkfifo fifo
	"$d/usr/bin/sr-map" < fifo > /dev/null 2>&1 &
	pid=$!
	exec 8> fifo
	for n in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(readlink "/proc/$pid/exe")" = "$d/usr/bin/sr-map" ] && break
		sleep 0.1
	done
	[ "$(readlink "/proc/$pid/exe")" = "$d/usr/bin/sr-map" ] || { exec 8>&-; echo "sr-map did not start"; return 1; }
	timeout 300 make -C "$ROOT" --no-print-directory O="$OUT" DESTDIR="$d" PREFIX=/usr install > make.log 2>&1 ||
	    { cat make.log; exec 8>&-; return 1; }
	# The running process keeps the old file, now unlinked; the new one is in place.
	[ "$(readlink "/proc/$pid/exe")" = "$d/usr/bin/sr-map (deleted)" ]
	cmp "$d/usr/bin/sr-map" "$OUT/bin/sr-map"
	exec 8>&-
	wait "$pid"
	make -C "$ROOT" --no-print-directory O="$OUT" DESTDIR="$d" PREFIX=/usr uninstall > make.log 2>&1
	[ "$(find "$d" -type f | wc -l)" -eq 0 ]
}

# Prints systemd-analyze verify's complaints about the given unit files; nothing when they are good.
verify() {
	systemd-analyze verify --man=no "$@" 2>&1
}

@test "the systemd units pass systemd-analyze verify and security; a broken copy does not" {
	need systemd-analyze
	local p=$BATS_TEST_TMPDIR/usr u s out n=0 m
	timeout 300 make -C "$ROOT" --no-print-directory -j2 O="$OUT" PREFIX="$p" install > make.log 2>&1 ||
	    { cat make.log; return 1; }
	u=$p/lib/systemd/system
	out=$(verify "$u/sr-serve.service" "$u/sr-hourly.service" "$u/sr-hourly.timer")
	echo "$out"
	[ "$out" = "" ]
	# Exposure at most 2.0 of 10 ("OK") for both services.
	for s in sr-serve sr-hourly; do
		run systemd-analyze security --offline=yes --threshold=20 "$u/$s.service"
		echo "${lines[${#lines[@]} - 1]}"
		[ "$status" -eq 0 ]
	done
	# Every option a unit gives its tool is one the tool has.
	for s in sr-serve sr-hourly; do
		for m in $(sed -n 's/^ExecStart=//p' "$u/$s.service" | grep -oE -- '--[a-z-]+'); do
			"$OUT/bin/$s" --help 2>&1 | grep -qE -- "$m( |\]|$)" || { echo "$s has no $m"; return 1; }
			n=$((n + 1))
		done
	done
	[ "$n" -eq 5 ]
	n=0
	# What the units promise.
	for m in DynamicUser=yes SupplementaryGroups=sr ReadOnlyPaths=-/var/lib/sr ProtectSystem=strict ProtectHome=yes \
	    PrivateTmp=yes NoNewPrivileges=yes RestrictAddressFamilies= SystemCallFilter=@system-service \
	    'ExecReload=/bin/kill -HUP $MAINPID'; do
		grep -qxF -- "$m" "$u/sr-serve.service" || grep -q "^$m" "$u/sr-serve.service" ||
		    { echo "sr-serve.service: no $m"; return 1; }
	done
	for m in Type=oneshot SuccessExitStatus=75 User=sr StateDirectory=sr EnvironmentFile=-/etc/default/sr-hourly \
	    ProtectSystem=strict NoNewPrivileges=yes; do
		grep -qxF -- "$m" "$u/sr-hourly.service" || { echo "sr-hourly.service: no $m"; return 1; }
	done
	# Hourly, five minutes past.
	run env TZ=UTC systemd-analyze calendar --iterations=24 "$(sed -n 's/^OnCalendar=//p' "$u/sr-hourly.timer")"
	[ "$status" -eq 0 ]
	local -a hh
	mapfile -t hh < <(sed -nE 's/^ *(Next elapse|Iter\. #[0-9]+): .* ([0-9][0-9]):05:00 UTC$/\2/p' <<< "$output")
	[ "${#hh[@]}" -eq 24 ] || { echo "$output"; return 1; }
	for ((n = 1; n < 24; n++)); do
		[ $(((10#${hh[n - 1]} + 1) % 24)) -eq $((10#${hh[n]})) ] || { echo "$output"; return 1; }
	done
	n=0
	# The check can fail: each of these breaks a copy of sr-serve.service, and verify says so.
	for m in 's/^ProtectSystem=strict/ProtectSystem=bogus/' 's/^ProtectHome=/ProtecHome=/' \
	    "s|^ExecStart=$p/bin/sr-serve|ExecStart=$p/bin/sr-nonexistent|" 's/^Type=simple/Type=bogus/' \
	    's/^\[Service\]/[Servic]/'; do
		sed "$m" "$u/sr-serve.service" > sr-serve.service
		! cmp -s sr-serve.service "$u/sr-serve.service"
		out=$(verify "$PWD/sr-serve.service" || true)
		[ -n "$out" ] || { echo "verify passed a copy broken by $m"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -eq 5 ]
}

@test "each unit's settings are in its tool's page, beside the crontab line" {
	local t v n=0
	for t in sr-serve sr-hourly; do
		grep -q "^\.Pa $t\.service\$" "$ROOT/man/$t.1" || { echo "$t.1 does not show $t.service"; return 1; }
		for v in $(grep -v '^#' "$ROOT/cmd/systemd/$t.service.in" | grep -oE '\$\{?SR_[A-Z_]+' | tr -d '${' | sort -u); do
			grep -q "^\.Ev $v\( ,\)\?\$" "$ROOT/man/$t.1" || { echo "$t.1 does not document $v"; return 1; }
			n=$((n + 1))
		done
	done
	grep -q '^\.Pa sr-hourly\.timer$' "$ROOT/man/sr-hourly.1"
	[ "$n" -eq 6 ]
}

@test "the Debian package builds from a copy of the tree and is lintian-clean" {
	need dpkg-buildpackage dh lintian fakeroot
	local b=$BATS_FILE_TMPDIR/deb out
	rm -rf "$b"
	mkdir -p "$b/sr"
	# The tree as git has it, with what is not committed yet, and no build products.
	if git -C "$ROOT" rev-parse --git-dir > /dev/null 2>&1; then
		(cd "$ROOT" && git ls-files --cached --others --exclude-standard -z |
		    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		    tar --null -T - -cf -) | tar -xf - -C "$b/sr"
	else
		(cd "$ROOT" && tar --exclude=./bin --exclude=./build --exclude='*.o' --exclude='*.a' -cf - .) | tar -xf - -C "$b/sr"
	fi
	cp -R "$ROOT/tests/package/debian" "$b/sr/debian"
	(cd "$b/sr" && timeout 500 dpkg-buildpackage -us -uc -b) > build.log 2>&1 || { tail -n 40 build.log; return 1; }
	[ -f "$b/sr_$(sed -n 's/^VERSION = //p' "$ROOT/Makefile")_$(dpkg --print-architecture).deb" ]
	# Every tag, down to the pedantic and informational ones; the overrides in
	# debian/sr.lintian-overrides say why each is accepted.
	out=$(cd "$b" && timeout 300 lintian --pedantic -I -E --fail-on error,warning,info,pedantic ./*.changes 2> lintian.err)
	echo "$out"
	[ "$out" = "" ]
}

@test "the package installs with dpkg -i, runs the demo from /usr/bin, passes hardening-check and verify there, and purges" {
	need_root
	need dpkg systemd-analyze hardening-check sqlite3
	local b=$BATS_FILE_TMPDIR/deb deb had_user=0 had_state=0 had_pkg out t opt
	deb=$(ls "$b"/sr_*.deb 2> /dev/null | head -n 1)
	[ -n "$deb" ] || { echo "no package: the test that builds it failed or was skipped"; return 1; }
	had_pkg=$(dpkg-query -W -f='${Status}' sr 2> /dev/null || true)
	[[ "$had_pkg" != *"install ok installed"* ]] || skip "a package sr is installed here already"
	getent passwd sr > /dev/null && had_user=1
	[ -e /var/lib/sr ] && had_state=1
	# Whatever happens below, the machine is left as it was.
	restore() {
		dpkg -P sr > /dev/null 2>&1 || true
		if [ "$had_user" -eq 0 ] && getent passwd sr > /dev/null; then userdel sr 2> /dev/null || true; fi
		if getent group sr > /dev/null && [ "$had_user" -eq 0 ]; then groupdel sr 2> /dev/null || true; fi
		[ "$had_state" -eq 1 ] || rm -rf /var/lib/sr
	}
	trap restore EXIT
	timeout 120 dpkg -i "$deb" > dpkg.log 2>&1 || { cat dpkg.log; restore; return 1; }
	getent passwd sr | grep -q '^sr:.*:/var/lib/sr:' || { echo "no user sr"; restore; return 1; }
	for t in sr-filter-week sr-map sr-sort sr-reduce sr-topk sr-load sr-serve sr-hourly; do
		[ -x "/usr/bin/$t" ] || { echo "/usr/bin/$t missing"; restore; return 1; }
	done
	opt=""
	DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CFLAGS | grep -q -- -fcf-protection ||
	    opt=--nocfprotection
	out=$(hardening-check $opt /usr/bin/sr-*) || { echo "$out"; restore; return 1; }
	# The installed units, against the installed binaries and pages (Documentation=man:... checked too).
	out=$(systemd-analyze verify /lib/systemd/system/sr-serve.service /lib/systemd/system/sr-hourly.service \
	    /lib/systemd/system/sr-hourly.timer 2>&1)
	[ "$out" = "" ] || { echo "$out"; restore; return 1; }
	# The demo, from a directory with no bin/ of its own, with cron's PATH.
	mkdir -p demo/tests demo/testdata
	cp "$ROOT/tests/demo.sh" demo/tests/
	cp "$ROOT/testdata/sales.tsv" demo/testdata/
	run env -i PATH=/usr/bin:/bin sh -c 'cd demo && command -v sr-map && timeout 60 sh tests/demo.sh'
	echo "$output"
	[ "$status" -eq 0 ] || { restore; return 1; }
	[ "${lines[0]}" = /usr/bin/sr-map ] || { restore; return 1; }
	[[ "$output" == *"Top 5 of category 3:"* ]] || { restore; return 1; }
	[ "$(sqlite3 demo/sales_rank.db 'SELECT count(*) FROM sales_rank')" -gt 0 ] || { restore; return 1; }
	timeout 120 dpkg -P sr > dpkg.log 2>&1 || { cat dpkg.log; restore; return 1; }
	[ ! -e /usr/bin/sr-map ] && [ ! -e /lib/systemd/system/sr-serve.service ] || { restore; return 1; }
	restore
	trap - EXIT
}
