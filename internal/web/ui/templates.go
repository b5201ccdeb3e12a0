package ui

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

//go:embed templates
var templateFS embed.FS

// engine holds every page's template, each the layout plus the page's own
// file, parsed once at start-up.
type engine struct {
	pages map[string]*template.Template
}

// parseTemplates parses templates/layout.html with each page file. A page
// that does not parse, or that lacks its "content" block, is an error here
// rather than on first request.
func parseTemplates(st *assets) (*engine, error) {
	funcs := template.FuncMap{
		"static":   st.url,
		"time":     formatTime,
		"owner":    ownerLabel,
		"join":     strings.Join,
		"params":   sortedParams,
		"add":      func(a, b int) int { return a + b },
		"duration": formatDuration,
		"linkify":  linkify,
		"flagged":  flaggedLabel,
		"fieldOf":  fieldOf,
		"labelled": func(label string, items []mesh.Column) Labelled { return Labelled{label, items} },
		"requestForm": func(csrf, database, table string, sensitive bool, f RequestForm) RequestFormArgs {
			return RequestFormArgs{CSRF: csrf, Database: database, Table: table, Sensitive: sensitive, Form: f}
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, fmt.Errorf("ui: layout: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	e := &engine{pages: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("ui: template %s defines no content block", name)
		}
		e.pages[name] = t
	}
	return e, nil
}

func (e *engine) execute(w io.Writer, name string, data any) error {
	t, ok := e.pages[name]
	if !ok {
		return fmt.Errorf("ui: no page template %q", name)
	}
	return t.ExecuteTemplate(w, "layout.html", data)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ownerLabel shows a database's owner as "name (id)", or the id alone.
func ownerLabel(params map[string]string) string {
	id, name := params[mesh.ParamDataOwner], params[mesh.ParamDataOwnerName]
	switch {
	case id == "":
		return "no owner"
	case name == "":
		return id
	}
	return name + " (" + id + ")"
}

// Param is one catalog parameter, for listing in name order.
type Param struct{ Key, Value string }

func sortedParams(m map[string]string) []Param {
	out := make([]Param, 0, len(m))
	for k, v := range m {
		out = append(out, Param{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Field is one labelled text input with its hint and error.
type Field struct {
	Name, Label, Value, Hint, Error, Type string
}

// fieldOf builds a text field for the "field" template; its error is the
// form's error for that name.
func fieldOf(name, label, value, hint string, errs FieldErrors) Field {
	return Field{Name: name, Label: label, Value: value, Hint: hint, Error: errs[name], Type: "text"}
}

// Labelled is a list of columns with the name a screen reader announces.
type Labelled struct {
	Label string
	Items []mesh.Column
}

// RequestFormArgs is what the "request-form" template shows.
type RequestFormArgs struct {
	CSRF, Database, Table string
	Sensitive             bool
	Form                  RequestForm
}

// formatDuration shows a request's duration in days when it is whole days.
func formatDuration(d mesh.Duration) string {
	td := time.Duration(d)
	if td > 0 && td%(24*time.Hour) == 0 {
		if n := td / (24 * time.Hour); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return td.String()
}

// TextPart is a piece of plain text, or a link when URL is set.
type TextPart struct{ Text, URL string }

var urlPattern = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)]`)

// linkify splits text into plain parts and http(s) links, so that a
// message's links can be followed; the template escapes every part.
func linkify(text string) []TextPart {
	var out []TextPart
	last := 0
	for _, m := range urlPattern.FindAllStringIndex(text, -1) {
		if m[0] > last {
			out = append(out, TextPart{Text: text[last:m[0]]})
		}
		out = append(out, TextPart{Text: text[m[0]:m[1]], URL: text[m[0]:m[1]]})
		last = m[1]
	}
	if last < len(text) {
		out = append(out, TextPart{Text: text[last:]})
	}
	return out
}

// flaggedLabel names one entry of a request's pii_columns for people: "*"
// is the database's own flag, "t.*" a table's.
func flaggedLabel(s string) string {
	switch {
	case s == mesh.AllTables:
		return "the whole database"
	case strings.HasSuffix(s, ".*"):
		return "table " + strings.TrimSuffix(s, ".*")
	}
	return s
}
