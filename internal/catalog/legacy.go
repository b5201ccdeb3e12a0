package catalog

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// LegacyFlag is a pii_flag that an older version of meshgate stored and
// the catalog refuses now: a value other than true and false ("yes", "1",
// ""), or the key spelled another way ("PII_FLAG"). The catalog keeps it
// as it is, and the workflow reads it as it always did: as not personal
// data. Rewriting it to "false" would hide that a producer meant "yes";
// to "true" would ask for approvals no one asked for. The catalog's
// answers and pages show it instead, so that someone sets true or false.
type LegacyFlag struct {
	// Field is the flag's path, as the catalog's errors name fields
	// ("columns[1].parameters.pii_flag").
	Field string `json:"field"`
	Value string `json:"value"`
}

// LegacyDatabaseFlags returns d's legacy pii_flag, if it has one.
func LegacyDatabaseFlags(d *mesh.Database) []LegacyFlag {
	return legacyFlags(nil, "parameters", d.Parameters)
}

// LegacyTableFlags returns the legacy pii_flags of t, its columns and its
// partition keys, in that order.
func LegacyTableFlags(t *mesh.Table) []LegacyFlag {
	out := legacyFlags(nil, "parameters", t.Parameters)
	for _, group := range []struct {
		field string
		cols  []mesh.Column
	}{{"columns", t.Columns}, {"partition_keys", t.PartitionKeys}} {
		for i := range group.cols {
			if len(group.cols[i].Parameters) > 0 {
				out = legacyFlags(out, fmt.Sprintf("%s[%d].parameters", group.field, i), group.cols[i].Parameters)
			}
		}
	}
	return out
}

// legacyFlags appends to out the legacy pii_flags of the parameters p,
// whose path is field.
func legacyFlags(out []LegacyFlag, field string, p map[string]string) []LegacyFlag {
	var keys []string
	for k, v := range p {
		spelled := k != mesh.ParamPIIFlag && strings.EqualFold(strings.TrimSpace(k), mesh.ParamPIIFlag)
		if spelled || k == mesh.ParamPIIFlag && !isFlag(v) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, LegacyFlag{Field: field + "." + k, Value: p[k]})
	}
	return out
}
