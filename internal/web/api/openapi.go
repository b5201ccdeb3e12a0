package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"

	"github.com/meshgate/meshgate/internal/web"
)

// The OpenAPI document is kept in openapi/ as one base document and one
// fragment per area ("paths" and "components.schemas" are merged), so each
// area documents its routes beside its handlers.
//
//go:embed openapi/*.json
var openapiFS embed.FS

// OpenAPI returns the merged OpenAPI 3 document.
func OpenAPI() (map[string]any, error) {
	base, err := readJSON("openapi/base.json")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	paths := base["paths"].(map[string]any)
	schemas := base["components"].(map[string]any)["schemas"].(map[string]any)
	for _, n := range names {
		if path.Base(n) == "base.json" {
			continue
		}
		frag, err := readJSON(n)
		if err != nil {
			return nil, err
		}
		if err := mergeInto(paths, frag["paths"], n, "path"); err != nil {
			return nil, err
		}
		if c, ok := frag["components"].(map[string]any); ok {
			if err := mergeInto(schemas, c["schemas"], n, "schema"); err != nil {
				return nil, err
			}
		}
	}
	return base, nil
}

func readJSON(name string) (map[string]any, error) {
	b, err := openapiFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func mergeInto(dst map[string]any, src any, file, kind string) error {
	m, _ := src.(map[string]any)
	for k, v := range m {
		if _, dup := dst[k]; dup {
			return fmt.Errorf("%s: %s %q is defined twice", file, kind, k)
		}
		dst[k] = v
	}
	return nil
}

func registerOpenAPI(rt *web.Router, d *Deps) {
	doc, err := OpenAPI()
	if err != nil {
		panic("openapi document: " + err.Error()) // embedded at build time; TestOpenAPI guards it
	}
	b, _ := json.Marshal(doc)
	rt.Handle("GET", "/api/v1/openapi.json", web.Authenticated, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		_, err := w.Write(b)
		return err
	})
}
