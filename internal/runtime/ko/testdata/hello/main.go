// Command hello is the tiny program the ko build tests build.
package main

import "fmt"

func main() { fmt.Println("hello from a ko build") }
