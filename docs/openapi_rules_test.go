package docs

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPI_EveryOperationDeclares holds every operation of openapi.yaml,
// the ones added later included, to the rules Redocly's recommended set
// checks in `make lint-openapi`, so `go test` catches a miss without npm:
// an explicit security (`security: []` for a public one), at least one 4xx
// answer and every 4xx a shared problem response of components.responses,
// and a 2xx/3xx success. The document declares a license.
func TestOpenAPI_EveryOperationDeclares(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if doc.Info.License == nil || doc.Info.License.Name == "" {
		t.Error("info.license is missing")
	}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		for method, op := range doc.Paths.Value(path).Operations() {
			name := method + " " + path
			if op.Security == nil {
				t.Errorf("%s declares no security (say `security: []` if it is public)", name)
			}
			var fourxx, success int
			for code, ref := range op.Responses.Map() {
				switch {
				case strings.HasPrefix(code, "4"):
					fourxx++
					if !strings.HasPrefix(ref.Ref, "#/components/responses/") {
						t.Errorf("%s answers %s inline, not with a shared problem response", name, code)
					}
				case strings.HasPrefix(code, "2"), strings.HasPrefix(code, "3"):
					success++
				}
			}
			if fourxx == 0 {
				t.Errorf("%s documents no 4xx answer", name)
			}
			if success == 0 {
				t.Errorf("%s documents no success answer", name)
			}
		}
	}
}
