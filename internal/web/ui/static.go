package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// asset is one static file, served under a name carrying its content hash
// (app.3f2a9c1b.css) so that it may be cached for a year: a changed file
// gets a new name.
type asset struct {
	body        []byte
	contentType string
}

// assets are the embedded static files by hashed name, and the hashed name
// of each file by its plain name (for templates).
type assets struct {
	byHashed map[string]*asset
	hashed   map[string]string
}

func loadAssets() (*assets, error) {
	a := &assets{byHashed: map[string]*asset{}, hashed: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.byHashed[hashed] = &asset{body: b, contentType: ct}
		a.hashed[name] = hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	return a, nil
}

// url returns the path a template links a static file with; an unknown
// name fails the template, so a typo shows at start-up's check.
func (a *assets) url(name string) (string, error) {
	h, ok := a.hashed[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + h, nil
}

// ServeHTTP serves a static file by its hashed name, cacheable for a year.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.byHashed[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	w.Write(f.body)
}
