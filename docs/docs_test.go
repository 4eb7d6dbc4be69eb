package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository, seen from this package's directory (where go
// test runs).
const repoRoot = ".."

var (
	backticked  = regexp.MustCompile("`([^`\n]+)`")
	placeholder = regexp.MustCompile(`<[^<>/]+>`)
	braces      = regexp.MustCompile(`\{([^{}]*)\}`)
	fileExt     = regexp.MustCompile(`\.(go|md|ya?ml|sql|sum|mod|graphql|hcl|json|sh)$`)
)

// repoPaths returns the spans in backticks that name a repository path: a
// relative path with a slash (from the repository root), or a file name
// with a known extension (anywhere in the repository). Commands, code,
// URLs, HTTP paths and paths outside the repository (../) are not paths.
// Placeholders like <version> become globs; {a,b} is expanded.
func repoPaths(doc string) []string {
	var out []string
	for _, m := range backticked.FindAllStringSubmatch(doc, -1) {
		s := m[1]
		if strings.ContainsAny(s, " \t()=:;'\"") ||
			strings.HasPrefix(s, "/") || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "-") {
			continue
		}
		if !strings.Contains(s, "/") && !fileExt.MatchString(s) {
			continue
		}
		out = append(out, expand(placeholder.ReplaceAllString(s, "*"))...)
	}
	return out
}

// expand expands the first {a,b} of s, recursively.
func expand(s string) []string {
	loc := braces.FindStringSubmatchIndex(s)
	if loc == nil {
		return []string{s}
	}
	var out []string
	for _, alt := range strings.Split(s[loc[2]:loc[3]], ",") {
		out = append(out, expand(s[:loc[0]]+alt+s[loc[1]:])...)
	}
	return out
}

// exists reports whether p names something in the repository at root: a
// path (or glob) from the root, or a bare file name (or glob) anywhere.
func exists(root, p string) bool {
	if strings.Contains(p, "/") {
		m, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(strings.TrimSuffix(p, "/"))))
		return err == nil && len(m) > 0
	}
	found := false
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipDir
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "ent") && path != root {
			return filepath.SkipDir
		}
		if ok, _ := filepath.Match(p, d.Name()); ok {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// missing returns the repository paths named in doc that don't exist.
func missing(root, doc string) []string {
	var out []string
	for _, p := range repoPaths(doc) {
		if !exists(root, p) {
			out = append(out, p)
		}
	}
	return out
}

// TestArchitecturePathsExist keeps docs/architecture.md true: every file or
// directory it names in backticks is in the repository.
func TestArchitecturePathsExist(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	paths := repoPaths(string(b))
	if len(paths) < 20 {
		t.Fatalf("found only %d paths in architecture.md (%v): is the extraction broken?", len(paths), paths)
	}
	for _, p := range missing(repoRoot, string(b)) {
		t.Errorf("docs/architecture.md names `%s`, which is not in the repository", p)
	}
}

// TestRepoPaths pins what counts as a path, and that a missing one is
// reported (so the test above can fail).
func TestRepoPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want []string
	}{
		{"`cmd/shop/services.go`", []string{"cmd/shop/services.go"}},
		{"`schema/` and `schema/*_hooks.go`", []string{"schema/", "schema/*_hooks.go"}},
		{"`migrations/{postgres,sqlite}/down`", []string{"migrations/postgres/down", "migrations/sqlite/down"}},
		{"`<version>_<name>.down.sql`", []string{"*_*.down.sql"}},
		{"`atlas.sum`, `mixin.go`", []string{"atlas.sum", "mixin.go"}},
		{"`catalog.Stock`, `schema.SkipSoftDelete(ctx)`, `If-Match`, `/healthz`", nil},
		{"`../shared/docs/DESIGN.md`, `shop migrate up/down`, `UPDATE … WHERE stock >= q`", nil},
		{"`run.Tx(ctx, func(ctx context.Context, tx *ent.Tx) error {...})`", nil},
		{"`-- atlas:nolint DS103`, `go run ./internal/tools/migratediff -rehash`", nil},
	}
	for _, tt := range tests {
		if got := repoPaths(tt.doc); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("repoPaths(%q) = %q, want %q", tt.doc, got, tt.want)
		}
	}

	doc := "`cmd/shop/services.go`, `cmd/shop/main.go`, `schema/*_hooks.go`, `schema/*_nothing.go`, `nosuchfile.go`, `atlas.sum`, `migrations/{postgres,sqlite}/down`"
	got := missing(repoRoot, doc)
	want := []string{"cmd/shop/services.go", "schema/*_nothing.go", "nosuchfile.go"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("missing = %q, want %q", got, want)
	}
}
