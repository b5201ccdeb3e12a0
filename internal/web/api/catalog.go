package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

// The catalog routes. Every signed-in user reaches them; the catalog service
// decides who may change what (catalog.authorizeEdit).
//
// Bodies and responses come in two shapes. By default meshgate's own
// (snake_case, as mesh.Database and mesh.Table). With ?shape=glue the body of
// a create or PUT is Glue's DatabaseInput or TableInput itself (what the
// seed's --database-input and --table-input files hold) and responses are
// Glue's: {"Database": ...}, {"DatabaseList": [...], "NextToken"},
// {"Table": ...}, {"TableList": [...], "NextToken"}. PUT replaces the whole
// definition (as Glue's Update* calls do); PATCH, in meshgate's shape only,
// changes the fields it names. Updates carry the version they read, in an
// If-Match header or a "version" field.
func registerCatalog(rt *web.Router, d *Deps) {
	h := &catalogHandlers{svc: d.Catalog, pages: d.Pages, catalogID: d.CentralAccountID}
	const db = "/api/v1/catalog/databases/{name}"
	rt.Handle("GET", "/api/v1/catalog/databases", web.Authenticated, h.listDatabases)
	rt.Handle("POST", "/api/v1/catalog/databases", web.Authenticated, h.createDatabase)
	rt.Handle("GET", db, web.Authenticated, h.getDatabase)
	rt.Handle("PUT", db, web.Authenticated, h.updateDatabase)
	rt.Handle("PATCH", db, web.Authenticated, h.updateDatabase)
	rt.Handle("DELETE", db, web.Authenticated, h.deleteDatabase)
	rt.Handle("GET", db+"/tables", web.Authenticated, h.listTables)
	rt.Handle("POST", db+"/tables", web.Authenticated, h.createTable)
	rt.Handle("POST", db+"/tables:batch", web.Authenticated, h.createTables)
	rt.Handle("GET", db+"/tables/{table}", web.Authenticated, h.getTable)
	rt.Handle("PUT", db+"/tables/{table}", web.Authenticated, h.updateTable)
	rt.Handle("PATCH", db+"/tables/{table}", web.Authenticated, h.updateTable)
	rt.Handle("DELETE", db+"/tables/{table}", web.Authenticated, h.deleteTable)
	rt.Handle("GET", "/api/v1/catalog/tables", web.Authenticated, h.listTables)
	rt.Handle("GET", "/api/v1/catalog/search", web.Authenticated, h.search)
}

type catalogHandlers struct {
	svc       *catalog.Service
	pages     *web.PageTokens
	catalogID string
}

// catalogWriteOptions reads a write's query options:
// allow_location_overlap=true, which only mesh admins may set (the catalog
// service decides), lets a location overlap another owner's.
func catalogWriteOptions(r *http.Request) (catalog.WriteOptions, error) {
	allow, err := identBool(r, "allow_location_overlap")
	return catalog.WriteOptions{AllowLocationOverlap: allow}, err
}

// glueShape reports whether the request asks for Glue's shapes.
func glueShape(r *http.Request) (bool, error) {
	switch s := r.URL.Query().Get("shape"); s {
	case "", "meshgate":
		return false, nil
	case "glue":
		return true, nil
	default:
		return false, mesh.Invalid("shape", "must be glue or meshgate, not %q", s)
	}
}

// renameForGlue renames the field of a validation error to Glue's path when
// the request is in Glue's shape; otherwise it returns err as it is.
func renameForGlue(glue bool, err error, prefix, batchPrefix string) error {
	var me *mesh.Error
	if glue && errors.As(err, &me) && me.Code == mesh.EINVALID && me.Field != "" && me.Field != "version" {
		cp := *me
		cp.Field = catalog.GlueField(me.Field, prefix, batchPrefix)
		return &cp
	}
	return err
}

// updateVersion checks that an update's body names the resource its path
// names (databases and tables cannot be renamed) and returns the version the
// update was made from (see expectedVersion).
func updateVersion(r *http.Request, kind, pathName, nameField, inputName string, bodyVersion int64) (int64, error) {
	if inputName != "" && inputName != pathName {
		return 0, mesh.Invalid(nameField, "is %q but the path names %q: %s cannot be renamed", inputName, pathName, kind)
	}
	return expectedVersion(r, bodyVersion)
}

// expectedVersion reads the version an update was made from: the If-Match
// header ("3", W/"3" or 3) or the body's version field; both must agree.
func expectedVersion(r *http.Request, body int64) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return body, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil || v <= 0 {
		return 0, mesh.Invalid("If-Match", "must be the version you read, such as \"3\"")
	}
	if body != 0 && body != v {
		return 0, mesh.Invalid("version", "is %d but If-Match says %d", body, v)
	}
	return v, nil
}

func setETag(w http.ResponseWriter, version int64) {
	w.Header().Set("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}

// listParams reads limit and pii.
func listParams(r *http.Request) (limit int, pii *bool, err error) {
	q := r.URL.Query()
	if limit, err = identLimit(q.Get("limit"), 0, catalog.MaxListLimit); err != nil {
		return 0, nil, err
	}
	switch s := strings.ToLower(q.Get("pii")); s {
	case "":
	case "true", "false":
		b := s == "true"
		pii = &b
	default:
		return 0, nil, mesh.Invalid("pii", "must be true or false")
	}
	return limit, pii, nil
}

// databaseCursor and tableCursor are the keys a page ended at, sealed in next_token.
type databaseCursor struct {
	After string `json:"a"`
}

type tableCursor struct {
	Database string `json:"d"`
	After    string `json:"a"`
}

// nextToken reads next_token (or Glue's NextToken spelling).
func nextToken(r *http.Request) (string, string) {
	q := r.URL.Query()
	if t := q.Get("next_token"); t != "" {
		return "next_token", t
	}
	return "NextToken", q.Get("NextToken")
}

func (h *catalogHandlers) listDatabases(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	limit, pii, err := listParams(r)
	if err != nil {
		return err
	}
	f := catalog.DatabaseFilter{Owner: r.URL.Query().Get("owner"), PII: pii, Limit: limit}
	if field, tok := nextToken(r); tok != "" {
		var c databaseCursor
		if err := h.pages.Decode(field, tok, &c); err != nil {
			return err
		}
		f.After = c.After
	}
	ds, err := h.svc.FindDatabases(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if fullPage(len(ds), limit) {
		next = h.pages.Encode(databaseCursor{After: ds[len(ds)-1].Name})
	}
	writePage(w, glue, ds, "databases", "DatabaseList", next, func(d *mesh.Database) catalog.GlueDatabase {
		return catalog.ToGlueDatabase(d, h.catalogID)
	})
	return nil
}

// fullPage reports whether a listing that returned n items with the limit
// asked for (0: the default) may have more to show.
func fullPage(n, limit int) bool {
	if limit <= 0 {
		limit = 100
	}
	return n > 0 && n == limit
}

// writePage answers one page of a listing: {key: [...], "next_token"} in
// meshgate's shape, {glueKey: [...], "NextToken"} in Glue's, which leaves
// NextToken out on the last page as Glue does.
func writePage[T, G any](w http.ResponseWriter, glue bool, items []T, key, glueKey, next string, toGlue func(T) G) {
	if glue {
		list := make([]G, len(items))
		for i, it := range items {
			list[i] = toGlue(it)
		}
		out := map[string]any{glueKey: list}
		if next != "" {
			out["NextToken"] = next
		}
		web.WriteJSON(w, http.StatusOK, out)
		return
	}
	if items == nil {
		items = []T{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{key: items, "next_token": next})
}

// databaseBody is a database in meshgate's shape, as created or updated.
type databaseBody struct {
	Name        string            `json:"name"`
	Description *string           `json:"description"`
	LocationURI *string           `json:"location_uri"`
	Parameters  map[string]string `json:"parameters"`
	Version     int64             `json:"version"`
}

func (b *databaseBody) database() *mesh.Database {
	d := &mesh.Database{Name: b.Name, Parameters: b.Parameters}
	if b.Description != nil {
		d.Description = *b.Description
	}
	if b.LocationURI != nil {
		d.LocationURI = *b.LocationURI
	}
	return d
}

func (h *catalogHandlers) writeDatabase(w http.ResponseWriter, status int, glue bool, d *mesh.Database) {
	setETag(w, d.Version)
	if glue {
		web.WriteJSON(w, status, map[string]any{"Database": catalog.ToGlueDatabase(d, h.catalogID)})
		return
	}
	web.WriteJSON(w, status, databaseAnswer{d, catalog.LegacyDatabaseFlags(d)})
}

// databaseAnswer is a database as meshgate's own shape answers it, with
// its legacy pii_flag, as tableAnswer.
type databaseAnswer struct {
	*mesh.Database
	LegacyPIIFlags []catalog.LegacyFlag `json:"legacy_pii_flags,omitempty"`
}

// decodeDatabase reads one database to create in either shape.
func decodeDatabase(w http.ResponseWriter, r *http.Request, glue bool) (*mesh.Database, error) {
	if glue {
		var in catalog.GlueDatabaseInput
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return nil, err
		}
		return in.Database("database_input.")
	}
	var in databaseBody
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return nil, err
	}
	if in.Version != 0 {
		return nil, mesh.Invalid("version", "is set by the server")
	}
	return in.database(), nil
}

func (h *catalogHandlers) createDatabase(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	d, err := decodeDatabase(w, r, glue)
	if err != nil {
		return err
	}
	opts, err := catalogWriteOptions(r)
	if err != nil {
		return err
	}
	created, err := h.svc.CreateDatabase(r.Context(), d, opts)
	if err != nil {
		return renameForGlue(glue, err, "database_input.", "")
	}
	w.Header().Set("Location", "/api/v1/catalog/databases/"+created.Name)
	h.writeDatabase(w, http.StatusCreated, glue, created)
	return nil
}

func (h *catalogHandlers) getDatabase(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	d, err := h.svc.FindDatabase(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	h.writeDatabase(w, http.StatusOK, glue, d)
	return nil
}

func (h *catalogHandlers) updateDatabase(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	var upd catalog.DatabaseUpdate
	var bodyVersion int64
	nameField, inputName := "name", ""
	switch {
	case glue && r.Method == http.MethodPatch:
		return mesh.Invalid("shape", "Glue's input replaces the whole database: use PUT")
	case glue:
		var in catalog.GlueDatabaseInput
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		d, err := in.Database("database_input.")
		if err != nil {
			return err
		}
		nameField, inputName = "database_input.Name", in.Name
		upd = catalog.DatabaseReplace(d)
	default:
		var in databaseBody
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		inputName, bodyVersion = in.Name, in.Version
		if r.Method == http.MethodPut {
			upd = catalog.DatabaseReplace(in.database())
		} else {
			upd = catalog.DatabaseUpdate{Description: in.Description, LocationURI: in.LocationURI, Parameters: in.Parameters}
		}
	}
	version, err := updateVersion(r, "databases", name, nameField, inputName, bodyVersion)
	if err != nil {
		return err
	}
	opts, err := catalogWriteOptions(r)
	if err != nil {
		return err
	}
	upd.AllowLocationOverlap = opts.AllowLocationOverlap
	d, err := h.svc.UpdateDatabase(r.Context(), name, upd, version)
	if err != nil {
		return renameForGlue(glue, err, "database_input.", "")
	}
	h.writeDatabase(w, http.StatusOK, glue, d)
	return nil
}

func (h *catalogHandlers) deleteDatabase(w http.ResponseWriter, r *http.Request) error {
	force, err := identBool(r, "force")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteDatabase(r.Context(), r.PathValue("name"), catalog.DeleteOptions{Force: force}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *catalogHandlers) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		return mesh.Invalid("q", "is required")
	}
	limit, err := identLimit(r.URL.Query().Get("limit"), 0, 100)
	if err != nil {
		return err
	}
	hits, err := h.svc.Search(r.Context(), catalog.SearchQuery{Text: q, Limit: limit})
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []catalog.SearchHit{}
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"hits": hits})
	return nil
}
