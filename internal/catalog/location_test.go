package catalog_test

import (
	"errors"
	"testing"

	"github.com/meshgate/meshgate/internal/catalog"
	"github.com/meshgate/meshgate/internal/mesh"
)

// TestLocationOverlapIsMatched: the refusal of a location overlapping
// another owner's data matches catalog.ErrLocationOverlap, which a caller
// importing many resources (a platform's sync) reports and goes on; the
// refusals of the caller, also EFORBIDDEN, do not.
func TestLocationOverlapIsMatched(t *testing.T) {
	otherDB := func(loc string) *mesh.Database {
		return &mesh.Database{Name: "mkt", LocationURI: loc, Parameters: map[string]string{mesh.ParamDataOwner: other}}
	}
	tests := []struct {
		name    string
		do      func(s *catalog.Service) error
		overlap bool
	}{
		{"a database inside another owner's", func(s *catalog.Service) error {
			_, err := s.CreateDatabase(as(otherAdmin), otherDB("s3://sales-data/mkt/"))
			return err
		}, true},
		{"a mesh admin's table in a batch at another owner's", func(s *catalog.Service) error {
			if _, err := s.CreateDatabase(as(meshAdmin), otherDB("s3://mkt/")); err != nil {
				return err
			}
			_, err := s.CreateTables(as(meshAdmin), "mkt", []*mesh.Table{
				{DatabaseName: "mkt", Name: "a", Location: "s3://mkt/a/"},
				{DatabaseName: "mkt", Name: "b", Location: "s3://sales-data/"},
			})
			return err
		}, true},
		{"an account admin allowing an overlap", func(s *catalog.Service) error {
			_, err := s.CreateDatabase(as(otherAdmin), otherDB("s3://sales-data/mkt/"), catalog.WriteOptions{AllowLocationOverlap: true})
			return err
		}, false},
		{"another account's admin creating a table of the database", func(s *catalog.Service) error {
			_, err := s.CreateTable(as(otherAdmin), &mesh.Table{DatabaseName: "sales", Name: "t", Location: "s3://elsewhere/"})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newService(t)
			sales := salesDB()
			sales.Name, sales.LocationURI = "sales-s3", "s3://sales-data/"
			if _, err := s.CreateDatabase(as(meshAdmin), sales); err != nil {
				t.Fatal(err)
			}
			err := tt.do(s)
			if got := code(err); got != mesh.EFORBIDDEN {
				t.Fatalf("got %q (%v), want %q", got, err, mesh.EFORBIDDEN)
			}
			if got := errors.Is(err, catalog.ErrLocationOverlap); got != tt.overlap {
				t.Errorf("errors.Is(%v, ErrLocationOverlap): got %v, want %v", err, got, tt.overlap)
			}
		})
	}
}
