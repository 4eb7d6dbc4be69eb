package app

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"shop/docs"
)

func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", docs.OpenAPI)
}
