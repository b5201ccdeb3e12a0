package mesh

import (
	"slices"
	"testing"
)

func TestLocationKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  ", ""},
		{"s3://sales-data", "s3://sales-data/"},
		{"s3://sales-data/", "s3://sales-data/"},
		{"S3://Sales-Data/Orders", "s3://sales-data/Orders/"},
		{"s3a://sales-data/orders/", "s3://sales-data/orders/"},
		{"s3n://sales-data//orders//", "s3://sales-data/orders/"},
		{"s3://sales-data/x/../orders/./", "s3://sales-data/orders/"},
		{"s3://sales-data/../../etc", "s3://sales-data/etc/"},
		{"hdfs://NameNode:8020/warehouse", "hdfs://namenode:8020/warehouse/"},
		{"/data/sales", "/data/sales/"},
		{"s3://", "s3://"},
		{"S3A://", "s3://"},
	}
	for _, tt := range tests {
		if got := LocationKey(tt.in); got != tt.want {
			t.Errorf("LocationKey(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLocationOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"s3://sales-data", "s3://sales-data/", true},
		{"s3://sales-data/orders/", "s3://sales-data", true},
		{"s3://sales-data", "s3://sales-data/orders", true},
		{"s3://sales-data-2/", "s3://sales-data/", false},
		{"s3://sales-data/orders-2", "s3://sales-data/orders", false},
		{"s3a://sales-data/x", "s3://sales-data/", true},
		{"gs://sales-data/", "s3://sales-data/", false},
		{"", "s3://sales-data/", false},
		{"s3://", "s3://sales-data/", true},
	}
	for _, tt := range tests {
		if got := LocationOverlaps(LocationKey(tt.a), LocationKey(tt.b)); got != tt.want {
			t.Errorf("LocationOverlaps(%q, %q): got %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestLocationAncestors(t *testing.T) {
	got := LocationAncestors("s3://sales-data/orders/")
	want := []string{"s3://", "s3://sales-data/", "s3://sales-data/orders/"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// Every ancestor is a prefix; every key inside sorts between key and its end.
	key := "s3://sales-data/"
	for _, k := range []string{"s3://sales-data/orders/", "s3://sales-data/a/b/"} {
		if !(k > key && k < LocationDescendantsEnd(key)) {
			t.Errorf("%q: got outside the range of %q", k, key)
		}
	}
	if k := "s3://sales-data-2/"; k > key && k < LocationDescendantsEnd(key) {
		t.Errorf("%q: got inside the range of %q, want outside", k, key)
	}
}
