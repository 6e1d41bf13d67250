// Command broken does not compile, for the test of a failing build.
package main

func main() { undefinedFunction() }
