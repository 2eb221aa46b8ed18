#!/usr/bin/env bash
# Vendor the front-end assets that the Go server embeds.
#
# Installs the exact versions pinned in ui/package-lock.json with `npm ci`
# in a throw-away temporary directory (so no node_modules ever appears in the
# work tree), then copies only the files the site needs into
# ui/static/vendor/. The result is committed, so `go run`/`go build` need no
# Node. Rerunning the script produces byte-identical files.
#
# Usage: scripts/vendor-assets.sh
# Needs: node + npm (only when re-vendoring).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UI="$ROOT/ui"
VENDOR="$UI/static/vendor"
FONTS_CSS="$UI/static/css/fonts.css"

BI_VERSION="2.18.3"
AXE_VERSION="4.14.1"

die() { echo "vendor-assets: $*" >&2; exit 1; }

command -v npm >/dev/null || die "npm not found"
[ -f "$UI/package.json" ] && [ -f "$UI/package-lock.json" ] || die "ui/package.json or ui/package-lock.json missing"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

cp "$UI/package.json" "$UI/package-lock.json" "$TMP/"
# --ignore-scripts: no dependency gets to run (or download) anything.
(cd "$TMP" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

NM="$TMP/node_modules"
BI="$NM/bootstrap-italia"
AXE="$NM/axe-core"

pkgver() { node -p "require(process.argv[1]).version" "$1/package.json"; }
[ "$(pkgver "$BI")" = "$BI_VERSION" ] || die "bootstrap-italia is $(pkgver "$BI"), want $BI_VERSION"
[ "$(pkgver "$AXE")" = "$AXE_VERSION" ] || die "axe-core is $(pkgver "$AXE"), want $AXE_VERSION"

# put SRC DST: copy one file with fixed mode (no timestamps/ownership carried).
put() {
	[ -f "$1" ] || die "missing in package: ${1#"$NM"/}"
	install -D -m 0644 "$1" "$2"
}

# Start from scratch so files dropped upstream don't linger.
rm -rf "$VENDOR/bootstrap-italia" "$VENDOR/axe-core"

# --- Bootstrap Italia -------------------------------------------------------
D="$VENDOR/bootstrap-italia"
put "$BI/LICENSE"                                 "$D/LICENSE"
put "$BI/dist/css/bootstrap-italia.min.css"       "$D/css/bootstrap-italia.min.css"
put "$BI/dist/js/bootstrap-italia.bundle.min.js"  "$D/js/bootstrap-italia.bundle.min.js"
put "$BI/dist/svg/sprites.svg"                    "$D/svg/sprites.svg"

# Fonts: woff2 files and licence texts only (no eot/svg/ttf/woff).
# dist/fonts/{Titillium_Web,Lora,Roboto_Mono}/ -> fonts/<same>/
for fam in Titillium_Web Lora Roboto_Mono; do
	src="$BI/dist/fonts/$fam"
	[ -d "$src" ] || die "missing font folder dist/fonts/$fam"
	n=0
	while IFS= read -r f; do
		put "$f" "$D/fonts/$fam/$(basename "$f")"
		n=$((n + 1))
	done < <(find "$src" -maxdepth 1 -type f \( -name '*.woff2' -o -iname 'OFL*.txt' -o -iname 'LICEN[CS]E*' \) | LC_ALL=C sort)
	[ "$n" -gt 1 ] || die "no fonts copied for $fam"
	ls "$D/fonts/$fam" | grep -qiE '^(OFL|LICEN[CS]E)' || die "no licence file for $fam"
done

# --- axe-core (used only by accessibility tests) ----------------------------
D="$VENDOR/axe-core"
put "$AXE/axe.min.js"              "$D/axe.min.js"
put "$AXE/LICENSE"                 "$D/LICENSE"
put "$AXE/LICENSE-3RD-PARTY.txt"   "$D/LICENSE-3RD-PARTY.txt"

# --- check: every url() in ui/static/css/fonts.css resolves -----------------
if [ -f "$FONTS_CSS" ]; then
	missing=0
	count=0
	while IFS= read -r u; do
		count=$((count + 1))
		if [ ! -f "$(dirname "$FONTS_CSS")/$u" ]; then
			echo "vendor-assets: fonts.css references missing file: $u" >&2
			missing=1
		fi
	done < <(grep -oE "url\([^)]*\)" "$FONTS_CSS" | sed -E "s/^url\(['\"]?//; s/['\"]?\)$//")
	[ "$missing" -eq 0 ] || die "fonts.css has broken references"
	[ "$count" -gt 0 ] || die "fonts.css has no url() references"
	echo "vendor-assets: fonts.css: all $count referenced font files present"
else
	echo "vendor-assets: warning: $FONTS_CSS not found, skipped font reference check" >&2
fi

echo "vendor-assets: bootstrap-italia $BI_VERSION, axe-core $AXE_VERSION -> ${VENDOR#"$ROOT"/}"
(cd "$VENDOR" && find . -type f | LC_ALL=C sort | sed 's|^\./|  |')
du -sh "$VENDOR" | awk '{print "vendor-assets: total " $1}'
