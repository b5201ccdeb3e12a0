package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/meshgate/meshgate/internal/mesh"
)

// MaxBodyBytes is the default request body limit (1 MiB).
const MaxBodyBytes = 1 << 20

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	if v == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// WriteJSONBytes writes b, a JSON value a route encoded itself (ending in a
// newline, as WriteJSON's are), with the given status and WriteJSON's headers.
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	w.Write(b)
}

// DecodeJSON reads the request body into v. It rejects bodies over the
// limit (ETOOLARGE), unknown fields (EINVALID naming the field), trailing data
// and malformed JSON, so a bad request changes nothing.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := checkJSONType(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	return decodeStrict(r.Body, v)
}

// DecodeJSONFunc is DecodeJSON for a route's hot request body: it reads the
// whole body (within the same limit) and gives it to parse, a hand-written
// parser for the body's common shape that fills v and reports true, or
// reports false, leaving v as it found it, for anything it does not handle.
// The body then goes through the strict decoding DecodeJSON applies, which
// alone decides what is rejected and how. parse must not keep b.
func DecodeJSONFunc(w http.ResponseWriter, r *http.Request, v any, parse func(b []byte) bool) error {
	if err := checkJSONType(r); err != nil {
		return err
	}
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer putBodyBuffer(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBodyBytes)); err != nil {
		return jsonError(err, nil)
	}
	if parse(buf.Bytes()) {
		return nil
	}
	return decodeStrict(bytes.NewReader(buf.Bytes()), v)
}

// checkJSONType refuses a body declared as anything but application/json
// (parameters such as charset aside): a form or text/plain body is what
// another site's page can send without asking, and is not what the route
// reads. A body without a Content-Type is read as JSON, as scripts send it.
func checkJSONType(r *http.Request) error {
	if r.ContentLength == 0 {
		return nil // no body: decoding says it is required
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" || ct == "application/json" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return &mesh.Error{Code: mesh.EUNSUPPORTED, Field: "Content-Type",
		Message: fmt.Sprintf("the body must be application/json, not %.80s", ct)}
}

// bodyBuffers holds request body buffers for DecodeJSONFunc.
var bodyBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 4096)) }}

// maxPooledBody bounds the buffers kept for reuse: a rare large body does not
// stay in memory.
const maxPooledBody = 64 << 10

func putBodyBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		bodyBuffers.Put(b)
	}
}

func decodeStrict(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return jsonError(err, reflect.TypeOf(v))
	}
	// null would decode into v as nothing at all: a request that names
	// nothing, which no route reads
	if string(raw) == "null" {
		return mesh.Invalid("body", "must be %s, not null", jsonKind(reflect.TypeOf(v)))
	}
	if err := strictUnmarshal(raw, v); err != nil {
		return jsonError(err, reflect.TypeOf(v))
	}
	if dec.More() {
		return mesh.Invalid("body", "unexpected data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return mesh.Invalid("body", "unexpected data after the JSON value")
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// strictUnmarshal decodes one JSON value into v, refusing unknown fields.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// jsonKind names, in the body's terms, the JSON value that t is decoded
// from: the server's type names mean nothing to a client.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return "a base64 string"
		}
		return "a JSON array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a JSON value"
}

// jsonError turns a decoding error into a mesh error naming the field; t is
// the type decoded into.
func jsonError(err error, t reflect.Type) error {
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return &mesh.Error{Code: mesh.ETOOLARGE, Message: fmt.Sprintf("request body is larger than %d bytes", maxErr.Limit)}
	case errors.Is(err, io.EOF):
		return mesh.Invalid("body", "a JSON body is required")
	case errors.As(err, &syntaxErr):
		return mesh.Invalid("body", "malformed JSON at byte %d: %v", syntaxErr.Offset, err)
	case errors.As(err, &typeErr) && reflect.PointerTo(typeErr.Type).Implements(unmarshalerType):
		// the type's own UnmarshalJSON refused the value, its reason in
		// Value (mesh.ValueError); the decoder put the field's path
		return mesh.Invalid(cmp.Or(bodyPath(t, typeErr.Field), "body"), "%s", typeErr.Value)
	case errors.As(err, &typeErr):
		return mesh.Invalid(cmp.Or(bodyPath(t, typeErr.Field), "body"), "must be %s, not %s", jsonKind(typeErr.Type), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return mesh.Invalid(cmp.Or(field, "body"), "unknown field %q", field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return mesh.Invalid("body", "truncated JSON")
	}
	return mesh.Invalid("body", "malformed JSON: %v", err)
}

// bodyPath is the decoder's path of a field of t ("AuthorizeRequest.principal")
// as the body spells it ("principal"): the decoder names, by their Go names,
// the embedded structs a field was promoted from, which the body does not
// show. Segments it cannot follow in t stay as they are.
func bodyPath(t reflect.Type, path string) string {
	var out []string
	for seg := range strings.SplitSeq(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			out, t = append(out, seg), nil
			continue
		}
		if f, ok := t.FieldByName(seg); ok && f.Anonymous && f.Tag.Get("json") == "" {
			t = f.Type // promoted from there: not in the body
			continue
		}
		out = append(out, seg)
		t = jsonFieldType(t, seg)
	}
	return strings.Join(out, ".")
}

// jsonFieldType is the type of struct t's field the decoder fills from
// JSON name name (nil when none).
func jsonFieldType(t reflect.Type, name string) reflect.Type {
	for _, f := range reflect.VisibleFields(t) {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && !f.Anonymous && strings.EqualFold(cmp.Or(tag, f.Name), name) {
			return f.Type
		}
	}
	return nil
}
