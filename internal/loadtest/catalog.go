// Package loadtest drives a meshgate server with load and measures it: a
// running server through its API (catalog, workflow), or one it starts on a
// store it seeds (authorize). Each area's load lives in the file named after it.
package loadtest

// The catalog load: a synthetic but realistic catalog (a vocabulary of names,
// descriptions and columns), loaded through the REST API, then read and
// searched with latencies reported as percentiles. The load command and the
// store benchmarks share this generator, so their figures describe the same data.

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// CatalogSpec describes a synthetic catalog. Table i is always the same for
// the same spec, so readers can pick tables at random without listing them.
type CatalogSpec struct {
	Tables            int    // how many tables (default 1000)
	Columns           int    // columns per table, including id and created_at (default 20)
	TablesPerDatabase int    // default 1000
	Prefix            string // database name prefix (default "load")
	Seed              uint64
}

// WithDefaults fills the zero fields.
func (s CatalogSpec) WithDefaults() CatalogSpec {
	if s.Tables <= 0 {
		s.Tables = 1000
	}
	if s.Columns <= 0 {
		s.Columns = 20
	}
	if s.TablesPerDatabase <= 0 {
		s.TablesPerDatabase = 1000
	}
	if s.Prefix == "" {
		s.Prefix = "load"
	}
	return s
}

// Databases returns how many databases hold the tables.
func (s CatalogSpec) Databases() int {
	return (s.Tables + s.TablesPerDatabase - 1) / s.TablesPerDatabase
}

// Owners are the producer accounts the databases are spread over.
var Owners = []string{"111122223333", "222233334444", "333344445555", "444455556666", "555566667777",
	"666677778888", "777788889999", "888899990000", "999900001111", "123412341234"}

// syllables build the vocabulary: 16^3 = 4096 pronounceable words.
var syllables = []string{"ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "ve", "zu", "ba", "de", "fi", "go", "hu", "ja"}

// VocabularySize is the number of distinct generated words.
const VocabularySize = 4096

// Word returns the vocabulary's word i (mod VocabularySize).
func Word(i int) string {
	i %= VocabularySize
	return syllables[i/256] + syllables[i/16%16] + syllables[i%16]
}

var columnTypes = []string{"bigint", "int", "string", "double", "decimal(12,2)", "timestamp", "date", "boolean", "array<string>", "struct<a:int,b:string>"}

func (s CatalogSpec) rng(kind, i int) *rand.Rand {
	return rand.New(rand.NewPCG(s.Seed^uint64(kind)<<56, uint64(i)))
}

func words(r *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = Word(r.IntN(VocabularySize))
	}
	return strings.Join(ws, " ")
}

// DatabaseName returns database i's name.
func (s CatalogSpec) DatabaseName(i int) string { return fmt.Sprintf("%s_%04d", s.Prefix, i) }

// Database returns database i: owned by one of Owners, every third flagged pii.
func (s CatalogSpec) Database(i int) *mesh.Database {
	r := s.rng(1, i)
	owner := Owners[i%len(Owners)]
	return &mesh.Database{
		Name:        s.DatabaseName(i),
		Description: "The " + words(r, 2) + " domain: " + words(r, 8),
		LocationURI: "s3://" + s.DatabaseName(i) + "/",
		Parameters: map[string]string{
			mesh.ParamDataOwner: owner, mesh.ParamDataOwnerName: "Producer " + owner[:4],
			mesh.ParamPIIFlag: fmt.Sprint(i%3 == 0),
		},
	}
}

// TableName returns table i's name (unique within its database).
func (s CatalogSpec) TableName(i int) string {
	r := s.rng(2, i)
	return fmt.Sprintf("%s_%s_%d", Word(r.IntN(VocabularySize)), Word(r.IntN(VocabularySize)), i)
}

// TableDatabase returns the name of table i's database.
func (s CatalogSpec) TableDatabase(i int) string { return s.DatabaseName(i / s.TablesPerDatabase) }

// Table returns table i: columns id and created_at, then columns named after
// two vocabulary words, half of them commented, about one in twenty flagged
// pii_flag=true; Parquet storage; partitioned by dt.
func (s CatalogSpec) Table(i int) *mesh.Table {
	name := s.TableName(i)
	r := s.rng(3, i)
	cols := []mesh.Column{{Name: "id", Type: "bigint", Comment: "primary key"}, {Name: "created_at", Type: "timestamp"}}
	seen := map[string]bool{"id": true, "created_at": true, "dt": true}
	for len(cols) < s.Columns {
		c := mesh.Column{Name: Word(r.IntN(VocabularySize)) + "_" + Word(r.IntN(VocabularySize)), Type: columnTypes[r.IntN(len(columnTypes))]}
		if seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		if r.IntN(2) == 0 {
			c.Comment = words(r, 4)
		}
		if r.IntN(20) == 0 {
			c.Parameters = map[string]string{mesh.ParamPIIFlag: "true"}
		}
		cols = append(cols, c)
	}
	if len(cols) > s.Columns {
		cols = cols[:s.Columns]
	}
	db := s.TableDatabase(i)
	return &mesh.Table{
		DatabaseName: db, Name: name, Description: words(r, 10), TableType: "EXTERNAL_TABLE",
		Location: "s3://" + db + "/" + name + "/",
		Format: mesh.StorageFormat{
			InputFormat:  "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
			OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
			SerDe:        mesh.SerDe{SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", Parameters: map[string]string{"serialization.format": "1"}},
		},
		Parameters:    map[string]string{"classification": "parquet", "compressionType": "snappy"},
		Columns:       cols,
		PartitionKeys: []mesh.Column{{Name: "dt", Type: "string"}},
	}
}

// SearchQuery returns a search a catalog user might type: one vocabulary
// word (half the time) or two, or, with commonTerms, sometimes a word that is
// in every table ("id", "created").
func SearchQuery(r *rand.Rand, commonTerms bool) string {
	if commonTerms && r.IntN(10) == 0 {
		return []string{"id", "created", "primary key"}[r.IntN(3)]
	}
	if r.IntN(2) == 0 {
		return Word(r.IntN(VocabularySize))
	}
	return Word(r.IntN(VocabularySize)) + " " + Word(r.IntN(VocabularySize))
}
