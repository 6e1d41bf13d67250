// Package e2e holds end-to-end tests: they build the real skiff binary,
// start `skiff server` on free ports with a temporary data dir, and use it
// as a user would, over HTTP and with the real kubectl.
package e2e
