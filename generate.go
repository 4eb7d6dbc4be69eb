// Package shop is the root of the shop module; it holds the code-generation
// directives run by `make generate`.
package shop

//go:generate go run -mod=mod entc.go
//go:generate go tool gqlgen generate --config gqlgen.yml
