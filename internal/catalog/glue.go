package catalog

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Glue's shapes. meshgate accepts AWS Glue's DatabaseInput and TableInput
// JSON as they are, and renders Get* responses as Glue does, so the seed's
// files and scripts work unchanged.
//
// Input fields are of three kinds:
//   - modelled: Name, Description, LocationUri, Parameters (databases);
//     Name, Description, TableType, Parameters, PartitionKeys, and
//     StorageDescriptor's Columns, Location, InputFormat, OutputFormat and
//     SerdeInfo (tables);
//   - defined by Glue but not modelled, accepted and ignored: they describe
//     Lake Formation defaults, statistics or physical layout meshgate does not
//     manage (CreateTableDefaultPermissions, Owner, Retention,
//     LastAccessTime, LastAnalyzedTime, ViewOriginalText, ViewExpandedText,
//     and StorageDescriptor's AdditionalLocations, Compressed,
//     NumberOfBuckets, BucketColumns, SortColumns, Parameters, SkewedInfo,
//     StoredAsSubDirectories);
//   - defined by Glue but changing what the resource is, rejected with
//     EINVALID naming them: TargetDatabase, FederatedDatabase, TargetTable,
//     ViewDefinition, StorageDescriptor.SchemaReference (resource links are
//     made by accepting shares, not by writing catalog entries).
//
// Anything else is an unknown field and rejected by the strict decoder.

// GlueDatabaseInput is Glue's DatabaseInput.
type GlueDatabaseInput struct {
	Name        string            `json:"Name"`
	Description string            `json:"Description,omitempty"`
	LocationUri string            `json:"LocationUri,omitempty"`
	Parameters  map[string]string `json:"Parameters,omitempty"`

	CreateTableDefaultPermissions json.RawMessage `json:"CreateTableDefaultPermissions,omitempty"` // ignored
	TargetDatabase                json.RawMessage `json:"TargetDatabase,omitempty"`                // rejected
	FederatedDatabase             json.RawMessage `json:"FederatedDatabase,omitempty"`             // rejected
}

// GlueColumn is Glue's Column.
type GlueColumn struct {
	Name       string            `json:"Name"`
	Type       string            `json:"Type,omitempty"`
	Comment    string            `json:"Comment,omitempty"`
	Parameters map[string]string `json:"Parameters,omitempty"`
}

// GlueSerDeInfo is Glue's SerDeInfo.
type GlueSerDeInfo struct {
	Name                 string            `json:"Name,omitempty"`
	SerializationLibrary string            `json:"SerializationLibrary,omitempty"`
	Parameters           map[string]string `json:"Parameters,omitempty"`
}

// GlueStorageDescriptor is Glue's StorageDescriptor.
type GlueStorageDescriptor struct {
	Columns      []GlueColumn   `json:"Columns"`
	Location     string         `json:"Location,omitempty"`
	InputFormat  string         `json:"InputFormat,omitempty"`
	OutputFormat string         `json:"OutputFormat,omitempty"`
	SerdeInfo    *GlueSerDeInfo `json:"SerdeInfo,omitempty"`

	AdditionalLocations    json.RawMessage `json:"AdditionalLocations,omitempty"`    // ignored
	Compressed             json.RawMessage `json:"Compressed,omitempty"`             // ignored
	NumberOfBuckets        json.RawMessage `json:"NumberOfBuckets,omitempty"`        // ignored
	BucketColumns          json.RawMessage `json:"BucketColumns,omitempty"`          // ignored
	SortColumns            json.RawMessage `json:"SortColumns,omitempty"`            // ignored
	Parameters             json.RawMessage `json:"Parameters,omitempty"`             // ignored
	SkewedInfo             json.RawMessage `json:"SkewedInfo,omitempty"`             // ignored
	StoredAsSubDirectories json.RawMessage `json:"StoredAsSubDirectories,omitempty"` // ignored
	SchemaReference        json.RawMessage `json:"SchemaReference,omitempty"`        // rejected
}

// GlueTableInput is Glue's TableInput.
type GlueTableInput struct {
	Name              string                 `json:"Name"`
	Description       string                 `json:"Description,omitempty"`
	TableType         string                 `json:"TableType,omitempty"`
	Parameters        map[string]string      `json:"Parameters,omitempty"`
	PartitionKeys     []GlueColumn           `json:"PartitionKeys,omitempty"`
	StorageDescriptor *GlueStorageDescriptor `json:"StorageDescriptor,omitempty"`

	Owner            json.RawMessage `json:"Owner,omitempty"`            // ignored
	LastAccessTime   json.RawMessage `json:"LastAccessTime,omitempty"`   // ignored
	LastAnalyzedTime json.RawMessage `json:"LastAnalyzedTime,omitempty"` // ignored
	Retention        json.RawMessage `json:"Retention,omitempty"`        // ignored
	ViewOriginalText json.RawMessage `json:"ViewOriginalText,omitempty"` // ignored
	ViewExpandedText json.RawMessage `json:"ViewExpandedText,omitempty"` // ignored
	TargetTable      json.RawMessage `json:"TargetTable,omitempty"`      // rejected
	ViewDefinition   json.RawMessage `json:"ViewDefinition,omitempty"`   // rejected
}

func unsupported(field string, v json.RawMessage) error {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return mesh.Invalid(field, "is defined by Glue but not supported by meshgate")
}

// Database converts the input to a database; prefix starts field paths in
// errors (such as "database_input.").
func (in *GlueDatabaseInput) Database(prefix string) (*mesh.Database, error) {
	if err := unsupported(prefix+"TargetDatabase", in.TargetDatabase); err != nil {
		return nil, err
	}
	if err := unsupported(prefix+"FederatedDatabase", in.FederatedDatabase); err != nil {
		return nil, err
	}
	return &mesh.Database{Name: in.Name, Description: in.Description, LocationURI: in.LocationUri, Parameters: in.Parameters}, nil
}

func fromGlueColumns(cs []GlueColumn) []mesh.Column {
	out := make([]mesh.Column, len(cs))
	for i, c := range cs {
		out[i] = mesh.Column{Name: c.Name, Type: c.Type, Comment: c.Comment, Parameters: c.Parameters}
	}
	return out
}

// Table converts the input to a table of database; prefix starts field
// paths in errors (such as "table_input.").
func (in *GlueTableInput) Table(database, prefix string) (*mesh.Table, error) {
	if err := unsupported(prefix+"TargetTable", in.TargetTable); err != nil {
		return nil, err
	}
	if err := unsupported(prefix+"ViewDefinition", in.ViewDefinition); err != nil {
		return nil, err
	}
	t := &mesh.Table{DatabaseName: database, Name: in.Name, Description: in.Description, TableType: in.TableType,
		Parameters: in.Parameters, PartitionKeys: fromGlueColumns(in.PartitionKeys), Columns: []mesh.Column{}}
	if sd := in.StorageDescriptor; sd != nil {
		if err := unsupported(prefix+"StorageDescriptor.SchemaReference", sd.SchemaReference); err != nil {
			return nil, err
		}
		t.Columns = fromGlueColumns(sd.Columns)
		t.Location = sd.Location
		t.Format.InputFormat, t.Format.OutputFormat = sd.InputFormat, sd.OutputFormat
		if sd.SerdeInfo != nil {
			t.Format.SerDe = mesh.SerDe{Name: sd.SerdeInfo.Name, SerializationLibrary: sd.SerdeInfo.SerializationLibrary, Parameters: sd.SerdeInfo.Parameters}
		}
	}
	return t, nil
}

// TableReplace is the update that makes a table what t says, as Glue's
// UpdateTable replaces the whole definition.
func TableReplace(t *mesh.Table) TableUpdate {
	cols, parts := t.Columns, t.PartitionKeys
	if cols == nil {
		cols = []mesh.Column{}
	}
	if parts == nil {
		parts = []mesh.Column{}
	}
	params := t.Parameters
	if params == nil {
		params = map[string]string{}
	}
	format := t.Format
	return TableUpdate{Description: &t.Description, TableType: &t.TableType, Location: &t.Location, Format: &format,
		Parameters: params, Columns: cols, PartitionKeys: parts}
}

// DatabaseReplace is the update that makes a database what d says, as Glue's
// UpdateDatabase replaces the whole definition.
func DatabaseReplace(d *mesh.Database) DatabaseUpdate {
	params := d.Parameters
	if params == nil {
		params = map[string]string{}
	}
	return DatabaseUpdate{Description: &d.Description, LocationURI: &d.LocationURI, Parameters: params}
}

// GlueDatabase is a database in Glue's GetDatabase response shape.
type GlueDatabase struct {
	Name                          string            `json:"Name"`
	Description                   string            `json:"Description,omitempty"`
	LocationUri                   string            `json:"LocationUri,omitempty"`
	Parameters                    map[string]string `json:"Parameters,omitempty"`
	CreateTime                    string            `json:"CreateTime"`
	CreateTableDefaultPermissions []any             `json:"CreateTableDefaultPermissions"`
	CatalogId                     string            `json:"CatalogId"`
}

// GlueTable is a table in Glue's GetTable response shape.
type GlueTable struct {
	Name                          string                `json:"Name"`
	DatabaseName                  string                `json:"DatabaseName"`
	Description                   string                `json:"Description,omitempty"`
	CreateTime                    string                `json:"CreateTime"`
	UpdateTime                    string                `json:"UpdateTime"`
	Retention                     int                   `json:"Retention"`
	StorageDescriptor             GlueStorageDescriptor `json:"StorageDescriptor"`
	PartitionKeys                 []GlueColumn          `json:"PartitionKeys"`
	TableType                     string                `json:"TableType,omitempty"`
	Parameters                    map[string]string     `json:"Parameters,omitempty"`
	IsRegisteredWithLakeFormation bool                  `json:"IsRegisteredWithLakeFormation"`
	CatalogId                     string                `json:"CatalogId"`
	VersionId                     string                `json:"VersionId"`
}

// glueTime renders a time as the AWS CLI prints Glue's timestamps.
func glueTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

// ToGlueDatabase renders d in Glue's shape; catalogID is the central account's id.
func ToGlueDatabase(d *mesh.Database, catalogID string) GlueDatabase {
	return GlueDatabase{Name: d.Name, Description: d.Description, LocationUri: d.LocationURI, Parameters: d.Parameters,
		CreateTime: glueTime(d.CreatedAt), CreateTableDefaultPermissions: []any{}, CatalogId: catalogID}
}

func toGlueColumns(cs []mesh.Column) []GlueColumn {
	out := make([]GlueColumn, len(cs))
	for i, c := range cs {
		out[i] = GlueColumn{Name: c.Name, Type: c.Type, Comment: c.Comment, Parameters: c.Parameters}
	}
	return out
}

// ToGlueTable renders t in Glue's shape; catalogID is the central account's id.
func ToGlueTable(t *mesh.Table, catalogID string) GlueTable {
	sd := GlueStorageDescriptor{Columns: toGlueColumns(t.Columns), Location: t.Location,
		InputFormat: t.Format.InputFormat, OutputFormat: t.Format.OutputFormat}
	if s := t.Format.SerDe; s.Name != "" || s.SerializationLibrary != "" || len(s.Parameters) > 0 {
		sd.SerdeInfo = &GlueSerDeInfo{Name: s.Name, SerializationLibrary: s.SerializationLibrary, Parameters: s.Parameters}
	}
	return GlueTable{Name: t.Name, DatabaseName: t.DatabaseName, Description: t.Description,
		CreateTime: glueTime(t.CreatedAt), UpdateTime: glueTime(t.UpdatedAt), StorageDescriptor: sd,
		PartitionKeys: toGlueColumns(t.PartitionKeys), TableType: t.TableType, Parameters: t.Parameters,
		CatalogId: catalogID, VersionId: strconv.FormatInt(t.Version, 10)}
}

var (
	columnPathRe = regexp.MustCompile(`^(columns|partition_keys)\[(\d+)\](?:\.(\w+))?(.*)$`)
	tablePathRe  = regexp.MustCompile(`^tables\[(\d+)\]\.(.*)$`)
	fieldToGlue  = map[string]string{
		"name": "Name", "description": "Description", "location_uri": "LocationUri", "parameters": "Parameters",
		"table_type": "TableType", "location": "StorageDescriptor.Location",
		"format.input_format": "StorageDescriptor.InputFormat", "format.output_format": "StorageDescriptor.OutputFormat",
		"format.serde.name":                  "StorageDescriptor.SerdeInfo.Name",
		"format.serde.serialization_library": "StorageDescriptor.SerdeInfo.SerializationLibrary",
		"format.serde.parameters":            "StorageDescriptor.SerdeInfo.Parameters",
		"type":                               "Type", "comment": "Comment",
	}
)

// GlueField renames a field path of meshgate's shape ("columns[3].name")
// to Glue's ("StorageDescriptor.Columns[3].Name") under prefix (such as
// "table_input."); batchPrefix replaces "tables[i]." (such as "TableInputs").
// Paths it does not know keep their name.
func GlueField(path, prefix, batchPrefix string) string {
	if m := tablePathRe.FindStringSubmatch(path); m != nil {
		return batchPrefix + "[" + m[1] + "]." + GlueField(m[2], "", "")
	}
	if m := columnPathRe.FindStringSubmatch(path); m != nil {
		group := "StorageDescriptor.Columns"
		if m[1] == "partition_keys" {
			group = "PartitionKeys"
		}
		out := prefix + group + "[" + m[2] + "]"
		if m[3] != "" {
			out += "." + glueKey(m[3]) + m[4]
		}
		return out
	}
	// Longest known prefix wins: parameters.<key> keeps its key.
	best := ""
	for k := range fieldToGlue {
		if (path == k || strings.HasPrefix(path, k+".")) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return path
	}
	return prefix + fieldToGlue[best] + path[len(best):]
}

func glueKey(k string) string {
	if g, ok := fieldToGlue[k]; ok {
		return g
	}
	return k
}
