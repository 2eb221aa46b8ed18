// Package ui embeds the user interface: HTML templates, static files
// (vendored Bootstrap Italia, fonts, our CSS and JS) and the locale files.
// axe-core, vendored beside them for the browser tests, is not embedded.
package ui

import "embed"

// Templates holds templates/{layout,partials,public,errors,…}/*.html.
//
//go:embed templates
var Templates embed.FS

// Static holds the files served under /static/.
//
//go:embed static/css static/js static/img static/vendor/bootstrap-italia
var Static embed.FS

// Locales holds locales/{it,en}.json.
//
//go:embed locales
var Locales embed.FS
