package admin

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"

	"shop/internal/apperr"
)

// assetFS holds GraphiQL, React and ReactDOM: the npm packages' production
// builds at the versions in graphiql/VERSIONS, vendored by
// `make vendor-graphiql`. Serving them from the binary makes the page work
// without internet access and pins exactly what runs in an admin's browser.
//
//go:embed graphiql/*.js graphiql/*.css
var assetFS embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body      []byte
	mediaType string
	version   string // a short content hash: the URL's ?v=, the ETag
	integrity string // Subresource Integrity (sha384) for the page's tags
}

var (
	assets      = loadAssets()
	graphiqlDoc = renderPage()
)

func loadAssets() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(assetFS, "graphiql", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		sri := sha512.Sum384(body)
		out[path.Base(p)] = asset{
			body:      body,
			mediaType: mime.TypeByExtension(path.Ext(p)),
			version:   hex.EncodeToString(sum[:6]),
			integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
		}
		return nil
	})
	if err != nil {
		panic("admin: embedded GraphiQL assets: " + err.Error()) // a build defect, caught by any test
	}
	return out
}

// GraphiQL answers the GraphiQL page (public: its queries need an admin's
// token); its assets are embedded in the binary (ServeAsset).
func GraphiQL(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.HTMLBlob(http.StatusOK, graphiqlDoc)
}

// ServeAsset answers the page's asset named by the path's :name. A URL carrying the
// asset's current version may be cached for good (a new build changes the
// URL); any other gets revalidated by ETag.
func ServeAsset(c echo.Context) error {
	a, ok := assets[c.Param("name")]
	if !ok {
		return apperr.New(apperr.NotFound, "no such asset")
	}
	h := c.Response().Header()
	h.Set("Content-Type", a.mediaType)
	h.Set("ETag", `"`+a.version+`"`)
	if c.QueryParam("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(c.Response(), c.Request(), c.Param("name"), time.Time{}, bytes.NewReader(a.body))
	return nil
}

// src is the URL and integrity of an asset, for the page template.
func src(name string) map[string]string {
	a := assets[name]
	return map[string]string{"URL": "/admin/graphiql/assets/" + name + "?v=" + a.version, "Integrity": a.integrity}
}

func renderPage() []byte {
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, map[string]any{
		"CSS":      src("graphiql.min.css"),
		"React":    src("react.production.min.js"),
		"ReactDOM": src("react-dom.production.min.js"),
		"GraphiQL": src("graphiql.min.js"),
	})
	if err != nil {
		panic("admin: GraphiQL page: " + err.Error())
	}
	return b.Bytes()
}

// pageTemplate is the shop's GraphiQL page. It holds no data: the admin
// pastes a token (kept in sessionStorage), which the page sends as a bearer
// header with every query; changing it reloads the schema.
var pageTemplate = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>shop admin · GraphiQL</title>
  <link rel="stylesheet" href="{{.CSS.URL}}" integrity="{{.CSS.Integrity}}">
  <style>
    body { margin: 0; height: 100vh; display: flex; flex-direction: column; font-family: system-ui, sans-serif; }
    header { padding: 8px 12px; display: flex; gap: 8px; align-items: center; border-bottom: 1px solid #ddd; }
    header input { flex: 1; font-family: monospace; }
    #graphiql { flex: 1; min-height: 0; }
  </style>
</head>
<body>
  <header>
    <strong>shop admin</strong>
    <label for="token">Admin token</label>
    <input id="token" type="password" placeholder="paste the token from POST /api/v1/auth/login, then press Enter" autocomplete="off">
  </header>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{{.React.URL}}" integrity="{{.React.Integrity}}"></script>
  <script src="{{.ReactDOM.URL}}" integrity="{{.ReactDOM.Integrity}}"></script>
  <script src="{{.GraphiQL.URL}}" integrity="{{.GraphiQL.Integrity}}"></script>
  <script>
    const input = document.getElementById('token');
    input.value = sessionStorage.getItem('shop-admin-token') || '';
    const fetcher = async (params) => {
      const res = await fetch('/admin/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + input.value.trim() },
        body: JSON.stringify(params),
      });
      return res.json();
    };
    const root = ReactDOM.createRoot(document.getElementById('graphiql'));
    const render = () => root.render(React.createElement(GraphiQL, {
      key: input.value.trim(), // a new token loads the schema again
      fetcher,
      defaultQuery: [
        '# The five most expensive products. Paste an admin token above first;',
        '# the docs explorer (top left) shows the whole schema.',
        '{',
        '  products(first: 5, orderBy: {field: PRICE, direction: DESC}) {',
        '    totalCount',
        '    edges { node { id name price currency stock isActive } }',
        '  }',
        '}',
        '',
      ].join('\n'),
    }));
    input.addEventListener('change', () => {
      sessionStorage.setItem('shop-admin-token', input.value.trim());
      render();
    });
    render();
  </script>
</body>
</html>
`))
