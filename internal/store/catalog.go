package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/meshgate/meshgate/internal/mesh"
)

// DatabaseFilter selects databases, in name order. Zero fields match everything.
type DatabaseFilter struct {
	// Owner matches the data_owner parameter exactly.
	Owner string
	// PII, when set, keeps only databases that hold personal data (true) or
	// hold none (false), counting the database's, its tables' and its
	// columns' pii_flag.
	PII *bool
	// After continues a listing: only names greater than After.
	After string
	// Limit bounds the result (default 100).
	Limit int
}

// TableFilter selects tables, in (database, name) order. Zero fields match everything.
type TableFilter struct {
	// Database keeps the tables of one database.
	Database string
	// Owner matches the data_owner of the table's database (ownership is the database's).
	Owner string
	// PII, when set, keeps tables that hold personal data (the table's or any
	// column's pii_flag) or hold none.
	PII *bool
	// AfterDatabase and AfterName continue a listing: only keys greater than them.
	AfterDatabase, AfterName string
	// Limit bounds the result (default 100).
	Limit int
}

// Search hit kinds.
const (
	HitDatabase = "database"
	HitTable    = "table"
	HitColumn   = "column"
)

// SearchHit is one search result. Higher scores rank first.
type SearchHit struct {
	Kind     string  `json:"kind"`
	Database string  `json:"database"`
	Table    string  `json:"table,omitempty"`
	Column   string  `json:"column,omitempty"`
	Matched  string  `json:"matched"` // the text that matched (a name, a description, a parameter value)
	Score    float64 `json:"score"`
}

// CatalogTx is the catalog part of a transaction. Names are keys; the store
// checks no permissions and validates nothing beyond uniqueness.
type CatalogTx interface {
	// FindDatabase returns the database, or ENOTFOUND.
	FindDatabase(ctx context.Context, name string) (*mesh.Database, error)
	// LockDatabase returns the database as committed, not as the
	// transaction's earlier reads saw it, and holds it until the
	// transaction ends: a change of it (a new owner) or its deletion by
	// another transaction waits (PostgreSQL's FOR SHARE; SQLite's writer
	// holds everything). ENOTFOUND if missing.
	LockDatabase(ctx context.Context, name string) (*mesh.Database, error)
	// FindDatabases returns the databases matching f, in name order.
	FindDatabases(ctx context.Context, f DatabaseFilter) ([]*mesh.Database, error)
	// CreateDatabase inserts d with version 1 and both times set to now
	// (it sets them on d), or returns ECONFLICT if the name is taken.
	CreateDatabase(ctx context.Context, d *mesh.Database) error
	// UpdateDatabase replaces d's description, location and parameters if its
	// stored version is expectedVersion, then sets d's new version and times.
	// ENOTFOUND if missing; ECONFLICT (Details: the current version) if stale.
	UpdateDatabase(ctx context.Context, d *mesh.Database, expectedVersion int64) error
	// DeleteDatabase removes the database and all its tables, or ENOTFOUND.
	DeleteDatabase(ctx context.Context, name string) error
	// CountTables returns how many tables the database has.
	CountTables(ctx context.Context, database string) (int, error)
	// TablesHavePII reports whether any table of the database, or any column
	// of one, is flagged pii_flag=true.
	TablesHavePII(ctx context.Context, database string) (bool, error)

	// FindTable returns the table, or ENOTFOUND.
	FindTable(ctx context.Context, database, name string) (*mesh.Table, error)
	// FindTables returns the tables matching f, in (database, name) order.
	FindTables(ctx context.Context, f TableFilter) ([]*mesh.Table, error)
	// CreateTable inserts t with version 1 and both times set to now, or
	// returns ECONFLICT if the name is taken, ENOTFOUND if its database is missing.
	CreateTable(ctx context.Context, t *mesh.Table) error
	// CreateTables inserts tables of one database (up to 1000) as
	// CreateTable does, in as few statements as the store can; on ECONFLICT
	// the message names a taken table.
	CreateTables(ctx context.Context, database string, tables []*mesh.Table) error
	// UpdateTable replaces everything but the keys and the creation time if
	// the stored version is expectedVersion. ENOTFOUND; ECONFLICT if stale.
	UpdateTable(ctx context.Context, t *mesh.Table, expectedVersion int64) error
	// DeleteTable removes the table, or returns ENOTFOUND.
	DeleteTable(ctx context.Context, database, name string) error

	// FindLocationOverlaps returns the databases and tables whose location
	// overlaps one of the locations with keys f.Keys (mesh.LocationKey):
	// equal to it, inside it, or containing it, leaving out f.ExceptOwner's
	// and f.ExceptDatabase's. One query for all keys, with indexed lookups
	// (equality for the containing ones, a range for those inside), never a
	// scan of the catalog.
	FindLocationOverlaps(ctx context.Context, f LocationFilter) ([]LocationUse, error)

	// SearchCatalog runs a full-text search over database, table and column
	// names, descriptions, comments and parameter values, best hits first.
	SearchCatalog(ctx context.Context, q SearchQuery) ([]SearchHit, error)
}

// LocationFilter selects the catalog resources whose storage location
// overlaps one location.
type LocationFilter struct {
	// Keys are the locations' mesh.LocationKey values (empty ones are ignored).
	Keys []string
	// ExceptOwner leaves out the resources of databases this account owns
	// ("" leaves out those without an owner).
	ExceptOwner string
	// ExceptDatabase leaves out a database and its tables.
	ExceptDatabase string
	// Limit bounds the result (default 100).
	Limit int
}

// LocationUse is a database (Table empty) or table whose storage location
// overlaps another, with its database's owner.
type LocationUse struct {
	Database string
	Table    string
	Owner    string
	Location string
}

// VersionConflict is the ECONFLICT error of an update made from a stale
// version; its Details carry the current version for the caller to retry from.
func VersionConflict(kind, key string, current, expected int64) error {
	return &mesh.Error{Code: mesh.ECONFLICT,
		Message: fmt.Sprintf("%s %q changed: it is at version %d, the update was made from version %d; read it again", kind, key, current, expected),
		Details: map[string]int64{"current_version": current}}
}

// SearchQuery is a full-text search.
type SearchQuery struct {
	// Text is free text; every word must match (a word may be a prefix when it ends in '*').
	Text string
	// Limit bounds the hits (default 20, at most 100).
	Limit int
}

// SearchTerms splits free text into search terms the way both stores index
// text: lowercase runs of letters and digits (so "customer_email" is the two
// terms "customer" and "email"). A trailing '*' on a word marks a prefix term.
// Both stores build their queries from these terms, never from raw input.
func SearchTerms(text string) []SearchTerm {
	var out []SearchTerm
	for _, word := range strings.Fields(text) {
		prefix := strings.HasSuffix(word, "*")
		toks := Tokens(word)
		for i, tok := range toks {
			out = append(out, SearchTerm{Text: tok, Prefix: prefix && i == len(toks)-1})
		}
	}
	if len(out) > 16 {
		out = out[:16]
	}
	return out
}

// SearchTerm is one token of a search.
type SearchTerm struct {
	Text   string
	Prefix bool
}

// Tokens splits s into lowercase runs of letters and digits (of any script),
// with diacritics folded (see foldDiacritics): "Café" is "cafe". Both
// stores read text alike through it: PostgreSQL indexes its tokens, and
// SQLite's FTS5 index (tokenize unicode61) folds the same way on its own.
func Tokens(s string) []string {
	return strings.FieldsFunc(foldDiacritics(strings.ToLower(s)), func(r rune) bool {
		if r < utf8.RuneSelf {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// foldDiacritics folds diacritics as SQLite's FTS5 tokenizer unicode61
// does by default (remove_diacritics 1), so that the stores find the same
// words: a Latin letter with one diacritic is its ASCII letter ("é" is
// "e"), and a combining diacritic (U+0300 to U+036F, as in "e\u0301") is
// dropped. Letters with two diacritics ("ắ") and letters of other scripts
// ("й") are kept, as unicode61 keeps them.
func foldDiacritics(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r >= 0x300 && r <= 0x36f:
		default:
			b.WriteRune(foldLetter(r))
		}
	}
	return b.String()
}

// foldLetter returns the ASCII letter of a letter with one diacritic, or r.
func foldLetter(r rune) rune {
	if r < 0xc0 || r > 0x24f && (r < 0x1e00 || r > 0x1eff) {
		return r // outside the Latin blocks with such letters
	}
	d := norm.NFD.String(string(r))
	base, n := utf8.DecodeRuneInString(d)
	if base >= utf8.RuneSelf || !unicode.IsLetter(base) {
		return r
	}
	if mark, m := utf8.DecodeRuneInString(d[n:]); m == 0 || n+m != len(d) || !unicode.Is(unicode.Mn, mark) {
		return r
	}
	return base
}

// Matches reports whether text holds every term (as a token, or a token
// prefix for prefix terms). Stores use it to tell which field or column of
// a hit matched.
func Matches(text string, terms []SearchTerm) bool {
	toks := Tokens(text)
	if len(toks) == 0 {
		return false
	}
	for _, term := range terms {
		if !term.in(toks) {
			return false
		}
	}
	return true
}

// MatchesAny reports whether text holds at least one of the terms.
func MatchesAny(text string, terms []SearchTerm) bool {
	toks := Tokens(text)
	for _, term := range terms {
		if term.in(toks) {
			return true
		}
	}
	return false
}

// in reports whether one of toks is the term, or starts with it for a prefix term.
func (t SearchTerm) in(toks []string) bool {
	for _, tok := range toks {
		if tok == t.Text || t.Prefix && strings.HasPrefix(tok, t.Text) {
			return true
		}
	}
	return false
}

// SearchDoc is the text a store indexes for one database or table, in four
// weighted fields: names, descriptions, parameter values, and (for tables) columns.
type SearchDoc struct {
	Name, Description, Parameters, Columns string
}

// DatabaseDoc returns the search document of a database.
func DatabaseDoc(d *mesh.Database) SearchDoc {
	return SearchDoc{Name: d.Name, Description: d.Description, Parameters: paramText(d.Parameters)}
}

// TableDoc returns the search document of a table: its columns field holds
// one line per column and partition key (name, comment, parameter values).
func TableDoc(t *mesh.Table) SearchDoc {
	var b strings.Builder
	for _, cs := range [][]mesh.Column{t.Columns, t.PartitionKeys} {
		for i := range cs {
			b.WriteString(ColumnText(&cs[i]))
			b.WriteByte('\n')
		}
	}
	return SearchDoc{Name: t.Name, Description: t.Description, Parameters: paramText(t.Parameters), Columns: b.String()}
}

// ColumnText is the searchable text of one column.
func ColumnText(c *mesh.Column) string {
	s := c.Name
	if c.Comment != "" {
		s += " " + c.Comment
	}
	if p := paramText(c.Parameters); p != "" {
		s += " " + p
	}
	return s
}

// paramText joins parameter values in key order. Keys are not indexed: they
// repeat on every row (data_owner, pii_flag) and would only add noise.
func paramText(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, 0, len(keys))
	for _, k := range keys {
		vals = append(vals, p[k])
	}
	return strings.Join(vals, " ")
}

// MatchedText returns the first field of doc (name, description, parameter
// values) that holds one of the terms, for showing why a hit matched.
func MatchedText(terms []SearchTerm, fields ...string) string {
	for _, f := range fields {
		if f != "" && MatchesAny(f, terms) {
			return Excerpt(f, 160)
		}
	}
	return ""
}

// Excerpt shortens s to at most n bytes on a rune boundary, adding "…".
func Excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// SearchLimit applies the search limit's default (20) and bound (100).
func SearchLimit(n int) int {
	switch {
	case n <= 0:
		return 20
	case n > 100:
		return 100
	}
	return n
}

// DatabaseHits returns the hit for a database the index matched.
func DatabaseHits(d *mesh.Database, score float64, terms []SearchTerm) []SearchHit {
	doc := DatabaseDoc(d)
	m := MatchedText(terms, doc.Name, doc.Description, doc.Parameters)
	if m == "" {
		m = d.Name
	}
	return []SearchHit{{Kind: HitDatabase, Database: d.Name, Matched: m, Score: score}}
}

// TableHits returns the hits for a table the index matched: the table when
// its name, description or parameter values match, and each column whose
// name, comment or parameter values match. Column hits rank just below their
// table, in column order.
func TableHits(t *mesh.Table, score float64, terms []SearchTerm) []SearchHit {
	doc := TableDoc(t)
	var hits []SearchHit
	if m := MatchedText(terms, doc.Name, doc.Description, doc.Parameters); m != "" {
		hits = append(hits, SearchHit{Kind: HitTable, Database: t.DatabaseName, Table: t.Name, Matched: m, Score: score})
	}
	n := 0
	for _, cs := range [][]mesh.Column{t.Columns, t.PartitionKeys} {
		for i := range cs {
			text := ColumnText(&cs[i])
			if !MatchesAny(text, terms) {
				continue
			}
			n++
			hits = append(hits, SearchHit{Kind: HitColumn, Database: t.DatabaseName, Table: t.Name, Column: cs[i].Name,
				Matched: Excerpt(text, 160), Score: score * (1 - 0.001*float64(n))})
		}
	}
	if len(hits) == 0 { // the index matched on text our tokenizer reads differently
		hits = append(hits, SearchHit{Kind: HitTable, Database: t.DatabaseName, Table: t.Name, Matched: t.Name, Score: score})
	}
	return hits
}
