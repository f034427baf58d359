#!/bin/sh
# hosts.sh: throwaway test hosts on this machine: network namespaces joined to this one by veth pairs, each running sshd on its own address.
#
#   hosts.sh start DIR N   make N hosts; DIR gets the keys, the configs, ssh_config and
#                          the file hosts (one address a line); status 1 with a reason if not possible
#   hosts.sh stop DIR      stop the sshd processes and remove the namespaces (and so the veths)
#
# Traffic goes only to the addresses made here, in 10.200.0.0/16, on links that
# exist only between this namespace and the test namespaces. The hosts share
# this machine's file system, so binaries and data are at the same paths.
set -u

die() {
	echo "hosts.sh: $*" >&2
	exit 1
}

# A /24 of 10.200.0.0/16 per host that no interface here uses yet.
free_net() {
	n=$1
	while ip -o -4 addr show | grep -q "inet 10\.200\.$n\."; do
		n=$((n + 1))
		[ "$n" -le 250 ] || return 1
	done
	echo "$n"
}

start() {
	dir=$1 count=$2
	[ "$(id -u)" -eq 0 ] || die "not root: network namespaces cannot be made"
	[ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd: install openssh-server"
	command -v ssh > /dev/null || die "no ssh: install openssh-client"
	mkdir -p "$dir" /run/sshd || die "$dir: cannot make it"
	tag=sr$$
	echo "$tag" > "$dir/tag"
	: > "$dir/hosts"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/id" || die "ssh-keygen failed"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/hostkey" || die "ssh-keygen failed"
	cp "$dir/id.pub" "$dir/authorized_keys"
	cat > "$dir/ssh_config" <<EOF
Host *
	IdentityFile $dir/id
	IdentitiesOnly yes
	UserKnownHostsFile /dev/null
	StrictHostKeyChecking no
	BatchMode yes
	LogLevel ERROR
	ConnectTimeout 5
EOF
	net=$(( $$ % 200 + 1 ))
	i=1
	while [ "$i" -le "$count" ]; do
		net=$(free_net "$net") || die "no free 10.200.x.0/24"
		ns=$tag-$i
		ip netns add "$ns" || die "ip netns add $ns failed: no network namespaces here"
		echo "$ns" >> "$dir/namespaces"
		if ! { ip link add "$ns-h" type veth peer name eth0 netns "$ns" &&
		    ip addr add "10.200.$net.1/24" dev "$ns-h" && ip link set "$ns-h" up &&
		    ip -n "$ns" addr add "10.200.$net.2/24" dev eth0 && ip -n "$ns" link set eth0 up &&
		    ip -n "$ns" link set lo up; }; then
			die "cannot link $ns to this namespace"
		fi
		cat > "$dir/sshd_config.$i" <<EOF
ListenAddress 10.200.$net.2
HostKey $dir/hostkey
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.$i.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100
MaxSessions 100
LogLevel ERROR
EOF
		ip netns exec "$ns" /usr/sbin/sshd -f "$dir/sshd_config.$i" -E "$dir/sshd.$i.log" ||
		    die "sshd in $ns did not start: $(cat "$dir/sshd.$i.log")"
		echo "10.200.$net.2" >> "$dir/hosts"
		net=$((net + 1))
		i=$((i + 1))
	done
	# Wait until every host answers.
	while read -r h; do
		t=0
		until ssh -F "$dir/ssh_config" "$h" true 2> "$dir/ssh.err"; do
			t=$((t + 1))
			[ "$t" -le 150 ] || die "$h does not answer: $(cat "$dir/ssh.err")"
			sleep 0.1
		done < /dev/null
	done < "$dir/hosts"
}

stop() {
	dir=$1
	for p in "$dir"/sshd.*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2> /dev/null
	done
	[ -f "$dir/namespaces" ] || return 0
	while read -r ns; do
		# What is still running there (sessions of the sshd) goes with it.
		for pid in $(ip netns pids "$ns" 2> /dev/null); do
			kill "$pid" 2> /dev/null
		done
		ip netns del "$ns" 2> /dev/null
	done < "$dir/namespaces"
	rm -f "$dir/namespaces"
}

case ${1-} in
start) [ "$#" -eq 3 ] || die "usage: hosts.sh start dir n"; start "$2" "$3" ;;
stop) [ "$#" -eq 2 ] || die "usage: hosts.sh stop dir"; stop "$2" ;;
*) die "usage: hosts.sh start dir n | stop dir" ;;
esac
