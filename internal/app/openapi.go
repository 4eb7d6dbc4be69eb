package app

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"shop/docs"
)

// serveOpenAPI serves docs/openapi.yaml as YAML. Its length is known, so a
// HEAD answers with the same Content-Length as the GET.
func serveOpenAPI(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(docs.OpenAPI)))
	return c.Blob(http.StatusOK, "application/yaml", docs.OpenAPI)
}
