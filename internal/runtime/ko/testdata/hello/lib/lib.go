// Package lib is not a main package, which ko cannot build into an image.
package lib

// X exists so that the package has something in it.
const X = 1
