package attachment

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxNameBytes bounds a sanitised name: file systems take 255 bytes, and
// a name is shown on receipts and in tables where a paragraph would not do.
const maxNameBytes = 150

// maxExtBytes is the longest extension kept when a name is shortened.
const maxExtBytes = 16

// fallbackName is the stem given to a file whose name has nothing left.
const fallbackName = "allegato"

// reserved are the device names Windows will not open as files, whatever
// their extension: a citizen who downloads "CON.pdf" could not save it.
var reserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM0": true, "COM1": true, "COM2": true, "COM3": true, "COM4": true,
	"COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT0": true, "LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true,
	"LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// SanitizeName turns the name a browser sent into one that is safe to keep,
// show and offer as a download on any system: the last path element only
// (old browsers send "C:\Users\…\file.pdf"), NFC, no control or format
// characters (a right-to-left override makes "fdp.exe" read as "exe.pdf"),
// no characters Windows forbids, no leading dots (hidden files), no
// reserved device names, at most maxNameBytes with the extension kept, and
// never empty: "allegato" stands for a missing stem.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(name)
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r): // tabs and newlines too: one plain space
			space = true
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			continue
		case strings.ContainsRune(`<>:"|?*`, r):
			r = '_'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	name = strings.TrimRight(b.String(), ". ")

	ext := path.Ext(name)
	if len(ext) > maxExtBytes || ext == "." {
		ext = ""
	}
	// Leading dots go (".pdf" becomes "allegato.pdf", a hidden file a
	// visible one), and so do trailing ones, which Windows drops.
	stem := strings.Trim(strings.TrimSuffix(name, ext), ". ")
	if base, _, _ := strings.Cut(stem, "."); reserved[strings.ToUpper(strings.TrimSpace(base))] {
		stem = "_" + stem
	}
	if stem == "" {
		stem = fallbackName
	}
	if len(stem)+len(ext) > maxNameBytes {
		stem = truncate(stem, maxNameBytes-len(ext))
		stem = strings.TrimRight(stem, ". ")
		if stem == "" {
			stem = fallbackName
		}
	}
	return norm.NFC.String(stem + ext)
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// traverses reports whether a name has a ".." path element: no browser
// sends one, so it is an attempt to write outside a directory, refused
// rather than silently cleaned.
func traverses(name string) bool {
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if strings.TrimSpace(part) == ".." {
			return true
		}
	}
	return false
}
