// Package attacks builds the GraphQL operations of issue 10's cost attacks,
// shared by the admin module's limit tests and benchmarks and the
// end-to-end tests that send them to the real server.
package attacks

import (
	"fmt"
	"strings"
)

// Fanout is the fragment fan-out: each of n fragments spreads the next one
// twice, so the operation expands to 2^(n-1) fields from ~40 bytes per
// level.
func Fanout(n int) string {
	var b strings.Builder
	b.WriteString("query { ...F0 }\n")
	for i := range n - 1 {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n-1)
	return b.String()
}

// Repeated writes field n times inside one operation; with alias, each copy
// gets its own alias (a0: ..., a1: ...).
func Repeated(field string, n int, alias bool) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		if alias {
			fmt.Fprintf(&b, "a%d: ", i)
		}
		b.WriteString(field)
		b.WriteString(" ")
	}
	b.WriteString("}")
	return b.String()
}
