#!/bin/sh
# The repository stands on its own. A fresh clone of HEAD into an empty temporary directory (so nothing
# sits next to it) must
#   1. cite no document outside itself, no issue number (issue, Issue #, issues or a bracketed #, then a
#      number) and no team convention by name: the grep below finds nothing;
#   2. contain no relative path that climbs out of the repository ("../" one level too many for the
#      file it is in, or filepath.Join("..", …) likewise);
#   3. resolve its Go module and every package with nothing but the clone (go list).
# Run from anywhere inside the repository. Uncommitted changes are not seen: it tests HEAD.
set -eu

root=$(git rev-parse --show-toplevel)
head=$(git -C "$root" rev-parse HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-checkout "$root" "$tmp/repo"
git -C "$tmp/repo" checkout -q "$head"
cd "$tmp/repo"
fail=0

# 1. The pattern is assembled from parts so that this file does not match itself.
s=shared
pattern="\.\./$s|$s/docs|$s/data|work""place|[Ii]ssues? #?[0-9]|\\(#[0-9]+\\)|style"" guide"
# The pattern must catch what it is for (the numbers are filled in, so that this file does not match).
for cite in "issue %s" "Issue #%s" "issues %s and 11" "see issue #%s" "library bug (#%s)"; do
	# shellcheck disable=SC2059
	if ! printf "$cite\n" 70 | grep -qE "$pattern"; then
		echo "FAIL: selfcontained: the citation check does not flag \"$(printf "$cite" 70)\"" >&2
		fail=1
	fi
done
if git grep -nE "$pattern"; then
	echo "FAIL: selfcontained: the lines above cite documents outside the repository or an issue number;" >&2
	echo "      state the fact, or cite a public source (a datasheet, a kernel doc, a vendor driver's file)" >&2
	fail=1
fi

# 2. A path climbs out when it has more ".." steps than the file has directories above it.
escapes() {
	awk '
	{
		file = $0; sub(/:.*/, "", file)
		text = $0; sub(/^[^:]*:[0-9]+:/, "", text)
		depth = gsub(/\//, "/", file)
		up = 0; t = text
		while (match(t, /(\.\.\/)+/)) { n = RLENGTH / 3; if (n > up) up = n; t = substr(t, RSTART + RLENGTH) }
		t = text
		while (match(t, /("\.\."(, *)?)+/)) { m = substr(t, RSTART, RLENGTH); n = gsub(/"\.\."/, "", m); if (n > up) up = n; t = substr(t, RSTART + RLENGTH) }
		if (up > depth) { print; bad = 1 }
	}
	END { exit bad }'
}
if ! git grep -nIE '\.\./|"\.\."' | escapes; then
	echo "FAIL: selfcontained: the lines above reach outside the repository" >&2
	fail=1
fi
# The check itself must be able to fail (the dots are filled in, so that this line does not match itself).
up=..
if printf 'Makefile:1:cat %s/x\nagent/a_test.go:9:filepath.Join("%s", "%s", "x")\n' "$up" "$up" "$up" | escapes >/dev/null; then
	echo "FAIL: selfcontained: the ../ check does not flag a path that leaves the repository" >&2
	fail=1
fi

# 3. The module builds its package graph from the clone alone.
if ! go list -deps ./... >/dev/null; then
	echo "FAIL: selfcontained: go list ./... fails in a fresh clone" >&2
	fail=1
fi

[ "$fail" = 0 ] && echo "selfcontained: a fresh clone of $head cites nothing outside itself and reaches no path outside itself"
exit "$fail"
