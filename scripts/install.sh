#!/bin/sh
# crabllm installer: downloads the release archive for this machine, checks its SHA-256 against the
# release's SHA256SUMS before unpacking anything, and installs the one binary, atomically.
#
#   curl -fsSL https://raw.githubusercontent.com/crabllm/crabllm/main/scripts/install.sh | sh
#   sh install.sh --help
#
# POSIX sh (dash, bash --posix, busybox ash). Everything is in functions and `main` is called on the last
# line, so a download cut short runs nothing. Errors start with `crabllm install: `, go to stderr, exit 1.
set -eu

RELEASES=https://github.com/crabllm/crabllm/releases
TARGETS='linux-x64 linux-x64-baseline linux-x64-musl linux-arm64 linux-arm64-musl darwin-x64 darwin-arm64'

TMP_DIR=
PARTIAL=
DOWNLOADER=
SHA_TOOL=

usage() {
	cat <<EOF
crabllm installer: downloads the crabllm release for this machine, verifies its
SHA-256 against the release's SHA256SUMS, and installs the binary.

usage: sh install.sh [--help]
       curl -fsSL https://raw.githubusercontent.com/crabllm/crabllm/main/scripts/install.sh | sh

environment:
  CRABLLM_VERSION      release to install, e.g. 0.1.0 (default: latest)
  CRABLLM_DOWNLOAD_URL URL of the directory holding the archives and SHA256SUMS;
                       overrides the GitHub release URL (mirrors, tests)
  CRABLLM_INSTALL_DIR  where to put crabllm (default: /usr/local/bin when writable
                       or when root, else \$HOME/.local/bin)
  CRABLLM_TARGET       platform to install, skipping detection; one of:
                       $TARGETS
  CRABLLM_LIBC         musl or glibc: overrides libc detection on Linux
  CRABLLM_ALLOW_HTTP   1 to allow a plain-http URL that is not 127.0.0.1/localhost
  TMPDIR               where the private download folder is made (default: /tmp)

Nothing is unpacked before its checksum matches; the download folder is removed on exit.
EOF
}

die() {
	printf 'crabllm install: %s\n' "$*" >&2
	exit 1
}

say() {
	printf '%s\n' "$*"
}

cleanup() {
	if [ -n "$PARTIAL" ]; then rm -f "$PARTIAL"; fi
	if [ -n "$TMP_DIR" ]; then rm -rf "$TMP_DIR"; fi
}

has() {
	command -v "$1" >/dev/null 2>&1
}

# ---- platform ----------------------------------------------------------------------------------------

detect_target() {
	kernel=$(uname -s) || die 'uname -s failed'
	case $kernel in
	Linux) os=linux ;;
	Darwin) os=darwin ;;
	*) die "unsupported OS: $kernel (releases exist for Linux and macOS; on Windows download the .zip from $RELEASES)" ;;
	esac
	machine=$(uname -m) || die 'uname -m failed'
	case $machine in
	x86_64 | amd64) arch=x64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) die "unsupported CPU architecture: $machine (releases exist for x86_64 and arm64)" ;;
	esac
	# A shell running under Rosetta on Apple silicon reports x86_64; the native build is the right one.
	if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
		arch=arm64
	fi
	if [ "$os" = darwin ]; then
		printf '%s\n' "$os-$arch"
		return
	fi
	case ${CRABLLM_LIBC:-} in
	musl | glibc) libc=$CRABLLM_LIBC ;;
	'') if is_musl; then libc=musl; else libc=glibc; fi ;;
	*) die "CRABLLM_LIBC must be musl or glibc, not: $CRABLLM_LIBC" ;;
	esac
	if [ "$libc" = musl ]; then
		printf '%s\n' "$os-$arch-musl"
	elif [ "$arch" = x64 ] && ! has_avx2; then
		printf '%s\n' "$os-$arch-baseline"
	else
		printf '%s\n' "$os-$arch"
	fi
}

# `ldd --version` is decisive (musl's names musl, glibc's names GLIBC or GNU libc). Without an answer from
# it, a glibc loader wins over /lib/ld-musl-*: Debian's musl package puts one on glibc systems.
is_musl() {
	if has ldd; then
		ldd_says=$(ldd --version 2>&1 || true)
		case $ldd_says in
		*musl* | *MUSL* | *Musl*) return 0 ;;
		*GLIBC* | *glibc* | *'GNU libc'* | *'GNU C Library'*) return 1 ;;
		esac
	fi
	if has getconf && getconf GNU_LIBC_VERSION >/dev/null 2>&1; then return 1; fi
	for loader in /lib64/ld-linux-*.so.* /lib/ld-linux-*.so.*; do
		if [ -e "$loader" ]; then return 1; fi
	done
	for loader in /lib/ld-musl-*; do
		if [ -e "$loader" ]; then return 0; fi
	done
	return 1
}

# The default x64 build needs AVX2; without it (or without /proc/cpuinfo to tell) the baseline build is safe.
has_avx2() {
	[ -r /proc/cpuinfo ] && grep -qw avx2 /proc/cpuinfo
}

check_target() {
	for t in $TARGETS; do
		if [ "$t" = "$1" ]; then return 0; fi
	done
	die "unsupported target: $1 (expected one of: $TARGETS)"
}

# ---- where from --------------------------------------------------------------------------------------

# http://127.0.0.1[:port], http://localhost[:port], http://[::1][:port], nothing else (no userinfo tricks).
is_loopback_http() {
	rest=${1#http://}
	authority=${rest%%/*}
	authority=${authority%%\?*}
	authority=${authority%%#*}
	case $authority in
	127.0.0.1 | localhost | '[::1]') return 0 ;;
	127.0.0.1:*) port=${authority#127.0.0.1:} ;;
	localhost:*) port=${authority#localhost:} ;;
	'[::1]':*) port=${authority#\[::1\]:} ;;
	*) return 1 ;;
	esac
	case $port in
	'' | *[!0-9]*) return 1 ;;
	esac
	return 0
}

check_url() {
	case $1 in
	https://*) ;;
	http://*)
		if ! is_loopback_http "$1" && [ "${CRABLLM_ALLOW_HTTP:-}" != 1 ]; then
			die "refusing plain-http URL $1: use https, or set CRABLLM_ALLOW_HTTP=1 to allow it"
		fi
		;;
	*) die "unsupported download URL: $1 (expected https://…)" ;;
	esac
}

# ---- tools -------------------------------------------------------------------------------------------

pick_tools() {
	if has curl; then
		DOWNLOADER=curl
	elif has wget; then
		DOWNLOADER=wget
	else
		die 'curl or wget is required to download the release'
	fi
	if has sha256sum; then
		SHA_TOOL=sha256sum
	elif has shasum; then
		SHA_TOOL=shasum
	else
		die 'sha256sum or shasum is required to verify the download'
	fi
	for tool in uname mktemp tar; do
		has "$tool" || die "$tool is required"
	done
}

# download URL FILE: curl refuses to leave https (redirects included) when the URL is https.
download() {
	say "downloading $1"
	if [ "$DOWNLOADER" = curl ]; then
		case $1 in
		https://*) protos='=https' ;;
		*) protos='=http,https' ;;
		esac
		if ! curl --fail --silent --show-error --location --proto "$protos" --proto-redir "$protos" \
			--connect-timeout 30 --retry 2 --output "$2" "$1" 2>"$TMP_DIR/download.err"; then
			die "could not download $1 ($(tail -n 1 "$TMP_DIR/download.err"))"
		fi
	else
		if ! wget --no-verbose --output-document="$2" "$1" 2>"$TMP_DIR/download.err"; then
			die "could not download $1 ($(tail -n 1 "$TMP_DIR/download.err"))"
		fi
	fi
}

sha256_of() {
	if [ "$SHA_TOOL" = sha256sum ]; then
		out=$(sha256sum "$1") || return 1
	else
		out=$(shasum -a 256 "$1") || return 1
	fi
	printf '%s\n' "${out%% *}" | tr 'ABCDEF' 'abcdef'
}

# ---- which archive -----------------------------------------------------------------------------------

# pick_archive SUMS TARGET VERSION SUMS_URL: sets ARCHIVE and EXPECTED from the one line that fits; a pinned
# VERSION names the archive exactly, `latest` takes whichever crabllm-*-TARGET.tar.gz is listed.
pick_archive() {
	cr=$(printf '\r')
	count=0
	names=
	ARCHIVE=
	EXPECTED=
	while read -r h n _ || [ -n "${h:-}" ]; do
		n=${n%"$cr"}
		n=${n#\*}
		# A name that could leave the download folder, or an odd one, is never a release archive.
		case $n in
		'' | *[!A-Za-z0-9._+-]* | .*) continue ;;
		esac
		if [ "$3" = latest ]; then
			case $n in
			crabllm-*-"$2".tar.gz) ;;
			*) continue ;;
			esac
		elif [ "$n" != "crabllm-$3-$2.tar.gz" ]; then
			continue
		fi
		count=$((count + 1))
		names="$names $n"
		ARCHIVE=$n
		EXPECTED=$h
	done <"$1"
	if [ "$count" -eq 0 ]; then
		if [ "$3" = latest ]; then
			die "no archive for $2 in $4 (looked for crabllm-*-$2.tar.gz)"
		fi
		die "no line for crabllm-$3-$2.tar.gz in $4; is $3 released for $2?"
	fi
	if [ "$count" -gt 1 ]; then
		die "several archives for $2 in $4:$names; set CRABLLM_VERSION to pick one"
	fi
	EXPECTED=$(printf '%s\n' "$EXPECTED" | tr 'ABCDEF' 'abcdef')
	case $EXPECTED in
	*[!0-9a-f]*) die "malformed SHA-256 for $ARCHIVE in $4: $EXPECTED" ;;
	esac
	[ "${#EXPECTED}" -eq 64 ] || die "malformed SHA-256 for $ARCHIVE in $4: $EXPECTED"
}

# ---- where to --------------------------------------------------------------------------------------------

pick_install_dir() {
	if [ -n "${CRABLLM_INSTALL_DIR:-}" ]; then
		dir=$CRABLLM_INSTALL_DIR
	elif [ "$(id -u)" = 0 ] || { [ -d /usr/local/bin ] && [ -w /usr/local/bin ]; }; then
		dir=/usr/local/bin
	else
		[ -n "${HOME:-}" ] || die 'HOME is not set: set CRABLLM_INSTALL_DIR to choose where crabllm goes'
		dir=$HOME/.local/bin
	fi
	mkdir -p "$dir" 2>/dev/null || die "cannot create $dir (set CRABLLM_INSTALL_DIR to another folder)"
	dir=$(cd "$dir" && pwd -P) || die "cannot enter $dir"
	[ -w "$dir" ] || die "cannot write to $dir (run as root, or set CRABLLM_INSTALL_DIR to another folder)"
	printf '%s\n' "$dir"
}

# ---- main --------------------------------------------------------------------------------------------

main() {
	for arg in "$@"; do
		case $arg in
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown argument: $arg (see --help)" ;;
		esac
	done

	if [ -n "${CRABLLM_TARGET:-}" ]; then
		target=$CRABLLM_TARGET
	else
		target=$(detect_target)
	fi
	check_target "$target"

	version=${CRABLLM_VERSION:-latest}
	version=${version#v}
	case $version in
	'' | *[!A-Za-z0-9._+-]*) die "CRABLLM_VERSION is not a version: ${CRABLLM_VERSION:-}" ;;
	esac
	if [ -n "${CRABLLM_DOWNLOAD_URL:-}" ]; then
		base=$CRABLLM_DOWNLOAD_URL
	elif [ "$version" = latest ]; then
		base=$RELEASES/latest/download
	else
		base=$RELEASES/download/v$version
	fi
	while [ "${base%/}" != "$base" ]; do base=${base%/}; done
	check_url "$base"

	pick_tools
	dir=$(pick_install_dir)

	trap cleanup EXIT
	trap 'exit 1' HUP INT TERM
	TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crabllm-install.XXXXXX") || die 'cannot make a temporary folder (is TMPDIR writable?)'

	say "installing crabllm ($version) for $target into $dir"
	download "$base/SHA256SUMS" "$TMP_DIR/SHA256SUMS"
	pick_archive "$TMP_DIR/SHA256SUMS" "$target" "$version" "$base/SHA256SUMS"
	download "$base/$ARCHIVE" "$TMP_DIR/$ARCHIVE"

	# The checksum is checked before anything in the archive is unpacked or run.
	actual=$(sha256_of "$TMP_DIR/$ARCHIVE") || die "cannot compute the SHA-256 of $ARCHIVE"
	if [ "$actual" != "$EXPECTED" ]; then
		die "checksum mismatch for $ARCHIVE: SHA256SUMS says $EXPECTED, the download is $actual; nothing was installed"
	fi
	say "verified $ARCHIVE (sha256 $actual)"

	folder=${ARCHIVE%.tar.gz}
	mkdir "$TMP_DIR/unpack"
	if ! tar -xzf "$TMP_DIR/$ARCHIVE" -C "$TMP_DIR/unpack" 2>"$TMP_DIR/tar.err"; then
		die "cannot unpack $ARCHIVE ($(tail -n 1 "$TMP_DIR/tar.err"))"
	fi
	bin=$TMP_DIR/unpack/$folder/crabllm
	if [ ! -f "$bin" ] || [ -L "$bin" ]; then
		die "$ARCHIVE holds no $folder/crabllm"
	fi

	# Atomic: a temporary name in the target folder, checked to run, then renamed over any crabllm there.
	PARTIAL=$dir/.crabllm.install.$$
	cp "$bin" "$PARTIAL" || die "cannot write $PARTIAL"
	chmod 0755 "$PARTIAL" || die "cannot chmod $PARTIAL"
	if ! installed=$("$PARTIAL" version 2>&1); then
		die "the $target build does not run here ($(printf '%s\n' "$installed" | tail -n 1)); nothing was installed (set CRABLLM_TARGET to pick another build)"
	fi
	mv -f "$PARTIAL" "$dir/crabllm" || die "cannot move crabllm into $dir"
	PARTIAL=

	say "installed $dir/crabllm"
	say "$installed"
	case ":${PATH:-}:" in
	*":$dir:"*)
		found=$(command -v crabllm 2>/dev/null || true)
		if [ -n "$found" ] && [ "$found" != "$dir/crabllm" ]; then
			say "note: \`crabllm\` on your PATH is $found, which comes before $dir"
		fi
		;;
	*)
		say "note: $dir is not on your PATH; add it, e.g. in your shell profile:"
		say "  export PATH=\"$dir:\$PATH\""
		;;
	esac
}

main "$@"
