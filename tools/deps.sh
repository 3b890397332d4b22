#!/bin/sh
# Install the Debian packages a make target needs, and nothing when all are
# present. Usage: tools/deps.sh demo|test|check|fuzz|bench
# Not root and no password-less sudo: print the exact apt-get line and stop.
set -u
profile=${1:-test}

demo="make gcc pkg-config lua5.4 liblua5.4-dev libuv1-dev"
test="$demo lua-busted lua-compat53-dev tshark python3-scapy tcpdump curl iproute2 lua-luv neovim tmux"
check="$test lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev luajit libluajit-5.1-dev lua-check clang clang-format"
fuzz="$demo clang libclang-rt-dev"
bench="$demo iperf3 python3-scapy valgrind lua-system"

case $profile in
  demo) want=$demo ;;
  test) want=$test ;;
  check) want=$check ;;
  fuzz) want=$fuzz ;;
  bench) want=$bench ;;
  *) echo "deps: unknown profile '$profile' (demo, test, check, fuzz, bench)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
  case $status in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo"
else
  echo "deps: these Debian packages are missing:$missing" >&2
  echo "deps: install them as root, then run make again:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || exit 1
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
  echo "deps: apt-get failed; install by hand:$missing" >&2
  exit 1
}
