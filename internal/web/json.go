package web

import (
	"bytes"
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
	return DecodeJSONFunc(w, r, v, func([]byte) bool { return false })
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
		return jsonError(err)
	}
	if parse(buf.Bytes()) {
		return nil
	}
	return decodeStrict(buf.Bytes(), v)
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

// decodeStrict decodes body, the whole request body, into v. It keeps body
// whole (the decoder would buffer it anyway) so that an error of a type's own
// UnmarshalJSON can be placed: see unmarshalerField.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if !decoderError(err) {
			if field := unmarshalerField(body, reflect.TypeOf(v), ""); field != "" {
				return fieldError(field, err)
			}
		}
		return jsonError(err)
	}
	if dec.More() {
		return mesh.Invalid("body", "unexpected data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return mesh.Invalid("body", "unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a mesh error naming the field.
func jsonError(err error) error {
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
	case errors.As(err, &typeErr):
		return mesh.Invalid(typeErr.Field, "must be %s, not %s", typeErr.Type, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return mesh.Invalid(field, "unknown field %q", field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return mesh.Invalid("body", "truncated JSON")
	}
	return mesh.Invalid("body", "malformed JSON: %v", err)
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decoderError tells the decoder's own errors, which jsonError places, from
// those a type's UnmarshalJSON returned, which the decoder passes on as they
// are (a wrapped decoder error among them).
func decoderError(err error) bool {
	switch err.(type) {
	case *json.SyntaxError, *json.UnmarshalTypeError, *json.InvalidUnmarshalError:
		return true
	}
	return err == io.EOF || err == io.ErrUnexpectedEOF || strings.HasPrefix(err.Error(), "json: ")
}

// unmarshalerField returns the path ("grantable", "resource.columns") of the
// first value in body, in the body's order, that a type's own UnmarshalJSON
// refuses (mesh.Permissions, mesh.Duration), or "" when none does.
// encoding/json gives the path of its own type errors only, and an
// UnmarshalJSON cannot know under which field it was called; the field
// would otherwise be "body", or the type's guess. Values are matched to
// fields as the decoder matches them (json tags, names folding case,
// embedded structs); list items take their list's path, as the decoder's
// type errors do.
func unmarshalerField(raw []byte, t reflect.Type, path string) string {
	pointer := false
	for t.Kind() == reflect.Pointer {
		t, pointer = t.Elem(), true
	}
	if pointer && bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "" // the decoder sets a nil pointer
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil && path != "" {
			return path
		}
		return ""
	}
	switch t.Kind() {
	case reflect.Struct:
		return objectField(raw, func(key string) (reflect.Type, string) {
			f, ok := jsonField(t, key)
			if !ok {
				return nil, ""
			}
			return f.Type, joinPath(path, jsonName(f))
		})
	case reflect.Map:
		return objectField(raw, func(key string) (reflect.Type, string) { return t.Elem(), joinPath(path, key) })
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		for _, item := range items {
			if f := unmarshalerField(item, t.Elem(), path); f != "" {
				return f
			}
		}
	}
	return ""
}

// objectField is unmarshalerField over raw's members in order, each of the
// type and path field gives for its key (nil for a member the type has not).
func objectField(raw []byte, field func(key string) (reflect.Type, string)) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return ""
		}
		if t, path := field(key); t != nil {
			if f := unmarshalerField(val, t, path); f != "" {
				return f
			}
		}
	}
	return ""
}

// jsonField finds the field of struct t that the decoder fills from key:
// its JSON name, else one equal to key but for case; fields of embedded
// structs without a name of their own count as t's.
func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct || !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		name := jsonName(f)
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

// jsonName is a field's name in JSON.
func jsonName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" {
		return name
	}
	return f.Name
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// fieldError is err, an UnmarshalJSON's refusal, as an EINVALID error of
// field: a mesh error keeps its message, with the field it is about.
func fieldError(field string, err error) error {
	var e *mesh.Error
	if errors.As(err, &e) {
		out := *e
		out.Code, out.Field = mesh.EINVALID, field
		return &out
	}
	return mesh.Invalid(field, "%v", err)
}
