// Package e2e holds the browser tests: they start the real server on a test
// database seeded with the demo comune and drive Debian's headless Chromium
// through it, checking what only a browser can — accessibility with axe-core,
// the Content Security Policy, web fonts, the page-clarity rating with and
// without JavaScript, and the language switcher.
//
// The tests skip when Chromium is missing, unless SPORTELLO_TEST_BROWSER=1
// (as in CI) makes that a failure; .ci/browser.sh installs it.
// SPORTELLO_CHROMIUM names another browser binary, and
// SPORTELLO_E2E_ARTIFACTS a directory that keeps the screenshots.
package e2e
