// Package layers holds no code: its test checks the import rules that keep
// skiff's layers honest (the API types import nothing else of skiff, the
// data planes never import reconcilers, only the command imports the wiring).
package layers
