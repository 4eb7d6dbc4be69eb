// Package docs embeds the OpenAPI document so the binary serves it and the
// end-to-end tests validate every exchange against the same bytes.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
