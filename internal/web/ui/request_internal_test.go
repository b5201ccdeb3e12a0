package ui

import (
	"testing"
	"time"

	"github.com/meshgate/meshgate/internal/mesh"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		invalid bool
	}{
		{"", 0, false},
		{" 30d ", 30 * 24 * time.Hour, false},
		{"12h", 12 * time.Hour, false},
		{"1h30m", 90 * time.Minute, false},
		{"0d", 0, true},
		{"xd", 0, true},
		{"213504d", 0, true}, // would wrap around to 25 minutes
		{"soon", 0, true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if tt.invalid {
			if !mesh.IsCode(err, mesh.EINVALID) {
				t.Errorf("parseDuration(%q): got %v, want EINVALID", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDuration(%q): got %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestLinkify(t *testing.T) {
	got := linkify("Confirm: https://x.example/c?t=1. Then <b>go</b> http://y.example/a")
	want := []TextPart{{Text: "Confirm: "}, {Text: "https://x.example/c?t=1", URL: "https://x.example/c?t=1"},
		{Text: ". Then <b>go</b> "}, {Text: "http://y.example/a", URL: "http://y.example/a"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("part %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if got := linkify("javascript:alert(1)"); len(got) != 1 || got[0].URL != "" {
		t.Errorf("a javascript: URL: got %v, want plain text", got)
	}
}

func TestFormatsForPeople(t *testing.T) {
	for in, want := range map[string]string{"*": "the whole database", "orders.*": "table orders", "orders.email": "orders.email"} {
		if got := flaggedLabel(in); got != want {
			t.Errorf("flaggedLabel(%q): got %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{720 * time.Hour: "30 days", 24 * time.Hour: "1 day", 90 * time.Minute: "1h30m0s"} {
		if got := formatDuration(mesh.Duration(in)); got != want {
			t.Errorf("formatDuration(%v): got %q, want %q", in, got, want)
		}
	}
}
