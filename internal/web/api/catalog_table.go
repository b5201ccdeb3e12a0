package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/web"
)

// tableBody is a table in meshgate's shape, as created or updated.
type tableBody struct {
	Name          string              `json:"name"`
	DatabaseName  string              `json:"database_name"`
	Description   *string             `json:"description"`
	TableType     *string             `json:"table_type"`
	Location      *string             `json:"location"`
	Format        *mesh.StorageFormat `json:"format"`
	Parameters    map[string]string   `json:"parameters"`
	Columns       []mesh.Column       `json:"columns"`
	PartitionKeys []mesh.Column       `json:"partition_keys"`
	Version       int64               `json:"version"`
}

// table is b as a table of database, or of the database b's database_name
// names, which CreateTables and updateTable refuse when it is not database.
func (b *tableBody) table(database string) *mesh.Table {
	t := &mesh.Table{DatabaseName: database, Name: b.Name, Parameters: b.Parameters, Columns: b.Columns, PartitionKeys: b.PartitionKeys}
	if b.DatabaseName != "" {
		t.DatabaseName = b.DatabaseName
	}
	if b.Description != nil {
		t.Description = *b.Description
	}
	if b.TableType != nil {
		t.TableType = *b.TableType
	}
	if b.Location != nil {
		t.Location = *b.Location
	}
	if b.Format != nil {
		t.Format = *b.Format
	}
	return t
}

func (h *catalogHandlers) writeTable(w http.ResponseWriter, status int, glue bool, t *mesh.Table) {
	setETag(w, t.Version)
	if glue {
		web.WriteJSON(w, status, map[string]any{"Table": catalog.ToGlueTable(t, h.catalogID)})
		return
	}
	web.WriteJSON(w, status, tableAnswer{t, catalog.LegacyTableFlags(t)})
}

// tableAnswer is a table as meshgate's own shape answers it, with the
// pii_flags an older version stored that the catalog refuses now, for the
// caller to correct (catalog.LegacyFlag).
type tableAnswer struct {
	*mesh.Table
	LegacyPIIFlags []catalog.LegacyFlag `json:"legacy_pii_flags,omitempty"`
}

// listTables serves both /catalog/databases/{name}/tables and /catalog/tables
// (?database= there).
func (h *catalogHandlers) listTables(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	limit, pii, err := listParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := catalog.TableFilter{Database: r.PathValue("name"), Owner: q.Get("owner"), PII: pii, Limit: limit}
	if f.Database == "" {
		f.Database = q.Get("database")
	}
	if field, tok := nextToken(r); tok != "" {
		var c tableCursor
		if err := h.pages.Decode(field, tok, &c); err != nil {
			return err
		}
		if f.Database != "" && c.Database != f.Database {
			return mesh.Invalid(field, "belongs to another listing")
		}
		f.AfterDatabase, f.AfterName = c.Database, c.After
	}
	ts, err := h.svc.FindTables(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if fullPage(len(ts), limit) {
		last := ts[len(ts)-1]
		next = h.pages.Encode(tableCursor{Database: last.DatabaseName, After: last.Name})
	}
	writePage(w, glue, ts, "tables", "TableList", next, func(t *mesh.Table) catalog.GlueTable {
		return catalog.ToGlueTable(t, h.catalogID)
	})
	return nil
}

// decodeTable reads one table to create in either shape.
func decodeTable(w http.ResponseWriter, r *http.Request, database string, glue bool) (*mesh.Table, error) {
	if glue {
		var in catalog.GlueTableInput
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return nil, err
		}
		return in.Table(database, "table_input.")
	}
	var in tableBody
	if err := web.DecodeJSON(w, r, &in); err != nil {
		return nil, err
	}
	if in.Version != 0 {
		return nil, mesh.Invalid("version", "is set by the server")
	}
	return in.table(database), nil
}

func (h *catalogHandlers) createTable(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	database := r.PathValue("name")
	t, err := decodeTable(w, r, database, glue)
	if err != nil {
		return err
	}
	opts, err := catalogWriteOptions(r)
	if err != nil {
		return err
	}
	// The path names the database: CreateTables refuses a body's
	// database_name that names another, where CreateTable would obey it.
	created, err := h.svc.CreateTables(r.Context(), database, []*mesh.Table{t}, opts)
	if err != nil {
		return renameForGlue(glue, err, "table_input.", "")
	}
	w.Header().Set("Location", "/api/v1/catalog/databases/"+database+"/tables/"+created[0].Name)
	h.writeTable(w, http.StatusCreated, glue, created[0])
	return nil
}

// createdTable is what a batch create answers for each table.
type createdTable struct {
	DatabaseName string    `json:"database_name"`
	Name         string    `json:"name"`
	Version      int64     `json:"version"`
	CreatedAt    time.Time `json:"created_at"`
}

// createTables creates up to catalog.MaxBatch tables in one transaction:
// {"tables": [...]} in meshgate's shape, {"TableInputs": [...]} with ?shape=glue.
func (h *catalogHandlers) createTables(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	database := r.PathValue("name")
	var tables []*mesh.Table
	if glue {
		var in struct {
			TableInputs []catalog.GlueTableInput `json:"TableInputs"`
		}
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		for i := range in.TableInputs {
			t, err := in.TableInputs[i].Table(database, "TableInputs["+strconv.Itoa(i)+"].")
			if err != nil {
				return err
			}
			tables = append(tables, t)
		}
	} else {
		var in struct {
			Tables []tableBody `json:"tables"`
		}
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		for i := range in.Tables {
			if in.Tables[i].Version != 0 {
				return mesh.Invalid("tables["+strconv.Itoa(i)+"].version", "is set by the server")
			}
			tables = append(tables, in.Tables[i].table(database))
		}
	}
	opts, err := catalogWriteOptions(r)
	if err != nil {
		return err
	}
	created, err := h.svc.CreateTables(r.Context(), database, tables, opts)
	if err != nil {
		prefix := "" // the service names a lone table's fields without tables[0].
		if len(tables) == 1 {
			prefix = "TableInputs[0]."
		}
		return renameForGlue(glue, err, prefix, "TableInputs")
	}
	out := make([]createdTable, len(created))
	for i, t := range created {
		out[i] = createdTable{DatabaseName: t.DatabaseName, Name: t.Name, Version: t.Version, CreatedAt: t.CreatedAt}
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"tables": out})
	return nil
}

func (h *catalogHandlers) getTable(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	t, err := h.svc.FindTable(r.Context(), r.PathValue("name"), r.PathValue("table"))
	if err != nil {
		return err
	}
	h.writeTable(w, http.StatusOK, glue, t)
	return nil
}

func (h *catalogHandlers) updateTable(w http.ResponseWriter, r *http.Request) error {
	glue, err := glueShape(r)
	if err != nil {
		return err
	}
	database, name := r.PathValue("name"), r.PathValue("table")
	var upd catalog.TableUpdate
	var bodyVersion int64
	nameField, inputName := "name", ""
	switch {
	case glue && r.Method == http.MethodPatch:
		return mesh.Invalid("shape", "Glue's input replaces the whole table: use PUT")
	case glue:
		var in catalog.GlueTableInput
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		t, err := in.Table(database, "table_input.")
		if err != nil {
			return err
		}
		nameField, inputName = "table_input.Name", in.Name
		upd = catalog.TableReplace(t)
	default:
		var in tableBody
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		if in.DatabaseName != "" && in.DatabaseName != database {
			return mesh.Invalid("database_name", "is %q but the path names %q: tables cannot move", in.DatabaseName, database)
		}
		inputName, bodyVersion = in.Name, in.Version
		if r.Method == http.MethodPut {
			upd = catalog.TableReplace(in.table(database))
		} else {
			upd = catalog.TableUpdate{Description: in.Description, TableType: in.TableType, Location: in.Location,
				Format: in.Format, Parameters: in.Parameters, Columns: in.Columns, PartitionKeys: in.PartitionKeys}
		}
	}
	version, err := updateVersion(r, "tables", name, nameField, inputName, bodyVersion)
	if err != nil {
		return err
	}
	opts, err := catalogWriteOptions(r)
	if err != nil {
		return err
	}
	upd.AllowLocationOverlap = opts.AllowLocationOverlap
	t, err := h.svc.UpdateTable(r.Context(), database, name, upd, version)
	if err != nil {
		return renameForGlue(glue, err, "table_input.", "")
	}
	h.writeTable(w, http.StatusOK, glue, t)
	return nil
}

func (h *catalogHandlers) deleteTable(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.DeleteTable(r.Context(), r.PathValue("name"), r.PathValue("table")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
