package catalog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Limits on catalog input beyond the shared name and parameter limits.
const (
	MaxLocationLen = 2056 // as Glue's Location and LocationUri
	MaxTypeLen     = 32768
	MaxCommentLen  = mesh.MaxDescriptionLen
	MaxShortLen    = 1024 // table type, input/output format, serde names
	MaxColumns     = 1000
	MaxBatch       = 1000
)

// Field paths in errors follow the JSON names of meshgate's own shape
// ("columns[3].name"); the API renames them for Glue-shaped input
// ("table_input.StorageDescriptor.Columns[3].Name").

// checkText checks a one-line text field of at most max bytes.
func checkText(field, s string, max int) error {
	if len(s) > max {
		return mesh.Invalid(field, "is longer than %d bytes", max)
	}
	if !utf8.ValidString(s) {
		return mesh.Invalid(field, "is not valid UTF-8")
	}
	// Glue's text fields are single-line; a CR, LF or NUL in a type or a
	// description breaks the engines and tools that read them back.
	return mesh.CheckSingleLine(field, s)
}

// checkSet is checkText for a field an update may keep: a value equal to
// stored, the field as stored ("" for a new resource), is not checked
// again. Versions before the catalog refused control characters stored
// line breaks in descriptions, types and comments; such text stays until
// someone sets the field, and an update that leaves it out, or sends it
// back as it read it, is not refused for what its caller did not set. The
// lengths and UTF-8 it checks were checked when it was stored.
func checkSet(field, s, stored string, max int) error {
	if s == stored {
		return nil
	}
	return checkText(field, s, max)
}

// validateParameters checks a parameter map (field names it, each value is
// field.KEY): its size, UTF-8, and control characters. Keys and values are
// one line, as the catalog's other text fields (mesh.CheckSingleLine):
// PostgreSQL's jsonb refuses NUL outright, and a line break in a value
// breaks the tools that read parameters back. A SerDe's values (delimiters
// true) are the exception: Hive's delimiters are control characters
// (field.delim \u0001 by default, line.delim \n), so they keep every
// control character but NUL. pii_flag, where it is set, is true or false
// (any case, spaces around), and neither it nor data_owner may be spelled
// another way (checkFlagKey). An entry that kept (the parameters stored at
// the same place, nil for new ones) holds with the same value is not
// checked again: older versions stored what these checks refuse now (a
// pii_flag "yes", "1" or "", a line break in a value), which stays until
// someone sets the entry, and an update that leaves such an entry as it
// is, or sends it back as it read it, is not refused for what its caller
// did not set (legacyFlags shows the pii_flags). The map's size, its
// entries' lengths and data_owner's account-id form, checked alike since
// the first version, apply to every entry.
func validateParameters(field string, p, kept map[string]string, delimiters bool) error {
	if err := mesh.ValidateParameters(field, p); err != nil {
		return err
	}
	for k, v := range p {
		if isKept(kept, k, v) {
			continue
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return mesh.Invalid(field+"."+k, "is not valid UTF-8")
		}
		if mesh.CheckSingleLine(field, k) != nil {
			return mesh.Invalid(field, "key %q must not hold control characters such as NUL, CR or LF", k)
		}
		if delimiters {
			if strings.IndexByte(v, 0) >= 0 {
				return mesh.Invalid(field+"."+k, "must not hold NUL")
			}
			continue
		}
		if err := mesh.CheckSingleLine(field+"."+k, v); err != nil {
			return err
		}
		if err := checkFlagKey(field, k); err != nil {
			return err
		}
	}
	if v, ok := p[mesh.ParamPIIFlag]; ok && !isFlag(v) && !isKept(kept, mesh.ParamPIIFlag, v) {
		// Any other value would be stored and read as not flagged, and the
		// data shared without its owner's approval.
		return mesh.Invalid(field+"."+mesh.ParamPIIFlag, "must be true or false, not %q", v)
	}
	if owner, ok := p[mesh.ParamDataOwner]; ok && owner != "" {
		if err := mesh.ValidateAccountID(field+"."+mesh.ParamDataOwner, owner); err != nil {
			return err
		}
	}
	return nil
}

// isFlag reports whether v is a pii_flag value the catalog accepts: true
// or false, in any case, with spaces around.
func isFlag(v string) bool {
	return mesh.ParseBool(v) || strings.EqualFold(strings.TrimSpace(v), "false")
}

// isKept reports whether kept holds k with the value v.
func isKept(kept map[string]string, k, v string) bool {
	old, ok := kept[k]
	return ok && old == v
}

// checkFlagKey refuses a key that the workflow would take for pii_flag or
// data_owner but does not read: the key spelled in another case or with
// spaces around it ("PII_FLAG"), so that what looks flagged or owned is.
func checkFlagKey(field, k string) error {
	if k == mesh.ParamPIIFlag || k == mesh.ParamDataOwner {
		return nil
	}
	for _, name := range []string{mesh.ParamPIIFlag, mesh.ParamDataOwner} {
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return mesh.Invalid(field, "key %q must be spelled %s: the workflow reads that key alone", k, name)
		}
	}
	return nil
}

// validateDatabase checks a database's input fields; cur is the database
// as stored, nil for a new one.
func validateDatabase(prefix string, d, cur *mesh.Database) error {
	if err := validateName(prefix+"name", d.Name); err != nil {
		return err
	}
	var was mesh.Database
	if cur != nil {
		was = *cur
	}
	if err := checkSet(prefix+"description", d.Description, was.Description, mesh.MaxDescriptionLen); err != nil {
		return err
	}
	if err := checkSet(prefix+"location_uri", d.LocationURI, was.LocationURI, MaxLocationLen); err != nil {
		return err
	}
	return validateParameters(prefix+"parameters", d.Parameters, was.Parameters, false)
}

// validateTable checks a table's input fields; prefix starts every field
// path. cur is the table as stored, nil for a new one.
func validateTable(prefix string, t, cur *mesh.Table) error {
	if err := validateName(prefix+"name", t.Name); err != nil {
		return err
	}
	var was mesh.Table
	if cur != nil {
		was = *cur
	}
	checks := []struct {
		field         string
		value, stored string
		max           int
	}{
		{"description", t.Description, was.Description, mesh.MaxDescriptionLen},
		{"table_type", t.TableType, was.TableType, MaxShortLen},
		{"location", t.Location, was.Location, MaxLocationLen},
		{"format.input_format", t.Format.InputFormat, was.Format.InputFormat, MaxShortLen},
		{"format.output_format", t.Format.OutputFormat, was.Format.OutputFormat, MaxShortLen},
		{"format.serde.name", t.Format.SerDe.Name, was.Format.SerDe.Name, MaxShortLen},
		{"format.serde.serialization_library", t.Format.SerDe.SerializationLibrary, was.Format.SerDe.SerializationLibrary, MaxShortLen},
	}
	for _, c := range checks {
		if err := checkSet(prefix+c.field, c.value, c.stored, c.max); err != nil {
			return err
		}
	}
	if err := validateParameters(prefix+"format.serde.parameters", t.Format.SerDe.Parameters, was.Format.SerDe.Parameters, true); err != nil {
		return err
	}
	if err := validateParameters(prefix+"parameters", t.Parameters, was.Parameters, false); err != nil {
		return err
	}
	if n := len(t.Columns) + len(t.PartitionKeys); n > MaxColumns {
		return mesh.Invalid(prefix+"columns", "has %d columns and partition keys, more than %d", n, MaxColumns)
	}
	seen := make(map[string]string, len(t.Columns)+len(t.PartitionKeys))
	var curCols, curKeys []mesh.Column
	if cur != nil {
		curCols, curKeys = cur.Columns, cur.PartitionKeys
	}
	for _, group := range []struct {
		field string
		cols  []mesh.Column
		cur   []mesh.Column
	}{{"columns", t.Columns, curCols}, {"partition_keys", t.PartitionKeys, curKeys}} {
		for i := range group.cols {
			c := &group.cols[i]
			// Field paths are built only on error: a table has many columns.
			if err := validateColumn(c, storedColumn(group.cur, i, c.Name)); err != nil {
				err.Field = fmt.Sprintf("%s%s[%d].%s", prefix, group.field, i, err.Field)
				return err
			}
			if other, dup := seen[c.Name]; dup {
				return mesh.Invalid(fmt.Sprintf("%s%s[%d].name", prefix, group.field, i), "column %q is already named at %s", c.Name, other)
			}
			seen[c.Name] = group.field + "[" + strconv.Itoa(i) + "]"
		}
	}
	return nil
}

// storedColumn returns the column of cur named name, looked for at index i
// first (where it usually stays), or nil.
func storedColumn(cur []mesh.Column, i int, name string) *mesh.Column {
	if i < len(cur) && cur[i].Name == name {
		return &cur[i]
	}
	for j := range cur {
		if cur[j].Name == name {
			return &cur[j]
		}
	}
	return nil
}

// validateColumn checks a column; the error's field is relative to the
// column. old is the column of the same name as stored, or nil.
func validateColumn(c, old *mesh.Column) *mesh.Error {
	if err := validateName("name", c.Name); err != nil {
		return asMeshError(err)
	}
	if c.Type == "" {
		return mesh.Invalid("type", "is required")
	}
	var was mesh.Column
	if old != nil {
		was = *old
	}
	if err := checkSet("type", c.Type, was.Type, MaxTypeLen); err != nil {
		return asMeshError(err)
	}
	if err := checkSet("comment", c.Comment, was.Comment, MaxCommentLen); err != nil {
		return asMeshError(err)
	}
	if len(c.Parameters) > 0 {
		if err := validateParameters("parameters", c.Parameters, was.Parameters, false); err != nil {
			return asMeshError(err)
		}
	}
	return nil
}

func asMeshError(err error) *mesh.Error {
	var me *mesh.Error
	if errors.As(err, &me) {
		cp := *me
		return &cp
	}
	return &mesh.Error{Code: mesh.EINTERNAL, Message: err.Error()}
}

// validateName is mesh.ValidateName with a fast path for the common case
// (checking every column of large batches with a regular expression shows).
func validateName(field, name string) error {
	if n := len(name); n > 0 && n <= mesh.MaxNameLen && name[0] != '-' {
		ok := true
		for i := 0; i < n; i++ {
			b := name[i]
			if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
				ok = false
				break
			}
		}
		if ok {
			return nil
		}
	}
	return mesh.ValidateName(field, name)
}
