#!/bin/sh
# iptables-wrapper: makes iptables, ip6tables and their -save/-restore use the
# back end the host uses (legacy or nf_tables), as kube-proxy's image does. The
# back end with more rules in the host's tables wins (kubelet and kube-proxy
# keep rules in the one they use); with no rules anywhere, nf_tables (Debian
# 12's default). As root, the choice is recorded with update-alternatives so
# later calls go straight to the real binary; otherwise each call decides.
# IPTABLES_WRAPPER_SBIN (default /usr/sbin) is where the real binaries live.
set -eu
sbin="${IPTABLES_WRAPPER_SBIN:-/usr/sbin}"

rules() {
  # Rules (-A lines) in both families of one back end; a missing or failing
  # back end counts as empty.
  { "${sbin}/iptables-$1-save" 2>/dev/null || true; "${sbin}/ip6tables-$1-save" 2>/dev/null || true; } | grep -c '^-A' || true
}

legacy="$(rules legacy)"
nft="$(rules nft)"
mode=nft
if [ "${legacy}" -gt "${nft}" ]; then mode=legacy; fi

prog="$(basename "$0")"
case "${prog}" in
  ip6tables*) family=ip6tables ;;
  iptables*) family=iptables ;;
  *) echo "iptables-wrapper: called as ${prog}: expected iptables, ip6tables or their -save/-restore" >&2; exit 2 ;;
esac
rest="${prog#"${family}"}"

if [ "${sbin}" = /usr/sbin ] && [ "$(id -u)" = 0 ] && command -v update-alternatives >/dev/null 2>&1; then
  update-alternatives --set iptables "/usr/sbin/iptables-${mode}" >/dev/null 2>&1 || true
  update-alternatives --set ip6tables "/usr/sbin/ip6tables-${mode}" >/dev/null 2>&1 || true
fi
exec "${sbin}/${family}-${mode}${rest}" "$@"
