#!/bin/sh
# Builds the Debian packages with nfpm (a Go tool pinned in go.mod: `go tool nfpm`), so nothing but Go is
# needed. Run from the repository root (make deb does):
#
#   deploy/debian/build.sh OUTDIR VERSION [PACKAGE:ARCH ...]
#
# PACKAGE is ashiato or ashiato-office, ARCH a Debian architecture (amd64, arm64, armhf; armhf is built
# with GOARM=6, which every Raspberry Pi and Raspberry Pi OS's 32-bit armhf run). Without PACKAGE:ARCH it
# builds the released set: ashiato for arm64, armhf and amd64, ashiato-office for amd64 and arm64.
# ashiato-office is skipped, with a message, while its main package (backoffice/cmd/ashiato-office) is
# not in the tree.
set -eu

out=${1:?usage: build.sh OUTDIR VERSION [PACKAGE:ARCH ...]}
version=${2:?usage: build.sh OUTDIR VERSION [PACKAGE:ARCH ...]}
shift 2
if [ $# -eq 0 ]; then
	set -- ashiato:arm64 ashiato:armhf ashiato:amd64 ashiato-office:amd64 ashiato-office:arm64
fi
case $version in
[0-9]*) ;;
*)
	echo "build.sh: version '$version' must start with a digit (Debian policy 5.6.12)" >&2
	exit 2
	;;
esac
go=${GO:-go}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for target; do
	pkg=${target%%:*}
	arch=${target#*:}
	case $pkg in
	ashiato) main=./agent/cmd/ashiato ;;
	ashiato-office) main=./backoffice/cmd/ashiato-office ;;
	*)
		echo "build.sh: unknown package '$pkg'" >&2
		exit 2
		;;
	esac
	if [ ! -d "$main" ]; then
		echo "build.sh: $pkg skipped: $main is not in this tree yet"
		continue
	fi
	case $arch in
	amd64) goarch=amd64 goarm= ;;
	arm64) goarch=arm64 goarm= ;;
	armhf) goarch=arm goarm=6 ;;
	*)
		echo "build.sh: unknown architecture '$arch'" >&2
		exit 2
		;;
	esac
	dir=$work/$pkg-$arch
	mkdir -p "$dir"
	CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm "$go" build -trimpath \
		-ldflags "-s -w -X main.version=$version" -o "$dir/$pkg" "$main"

	# changelog.Debian.gz: one entry naming the version; gzip -n keeps the package reproducible.
	date=$(git log -1 --format=%cD 2>/dev/null || date -R)
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	printf '%s (%s-1) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
		"$pkg" "$version" "$commit" "Ashiato maintainers <maintainers@ashiato.invalid>" "$date" |
		gzip -9n >"$dir/changelog.Debian.gz"

	# copyright: this project, then the licence of every module linked into the binary, verbatim.
	{
		cat deploy/debian/copyright
		# Licences kept beside code of this repository that the binary embeds (fonts).
		"$go" list -deps -f '{{with .Module}}{{if .Main}}{{$.Dir}}{{end}}{{end}}' "$main" |
			while read -r pdir; do
			find "$pdir" -maxdepth 1 -type f -iname 'LICEN[CS]E*' | sort | while read -r lic; do
				printf '\nFiles: embedded in /usr/bin/%s from %s\nLicense: see below\n' "$pkg" "${lic#"$PWD"/}"
				sed -e 's/^$/./' -e 's/^/ /' "$lic"
			done
		done
		"$go" list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}' "$main" |
			sort -u | while read -r mod ver mdir; do
			lic=$(find "$mdir" -maxdepth 1 -type f \( -iname 'LICEN[CS]E*' -o -iname 'COPYING*' \) | sort | head -n 1)
			if [ -z "$lic" ]; then
				echo "build.sh: $mod $ver has no licence file" >&2
				exit 1
			fi
			printf '\nFiles: linked into /usr/bin/%s\nModule: %s %s\nLicense: see below (%s)\n' \
				"$pkg" "$mod" "$ver" "$(basename "$lic")"
			if grep -q 'Apache License' "$lic" && grep -q 'Version 2.0' "$lic"; then
				echo " Apache-2.0: on Debian systems its full text is in /usr/share/common-licenses/Apache-2.0."
			else
				sed -e 's/^$/./' -e 's/^/ /' "$lic"
			fi
		done
	} >"$dir/copyright"

	DEB_ARCH=$arch DEB_VERSION=$version DEB_WORK=$dir \
		"$go" tool nfpm package --config "deploy/debian/$pkg.yaml" --packager deb --target "$out/"
done
