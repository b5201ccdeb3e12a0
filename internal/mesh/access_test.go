package mesh

import "testing"

func TestPermissionsWithout(t *testing.T) {
	set := PermissionsOf
	tests := []struct {
		name string
		s, o Permissions
		want Permissions
	}{
		{"one of two", set(PermSelect, PermInsert), set(PermSelect), set(PermInsert)},
		{"one not held", set(PermSelect), set(PermInsert), set(PermSelect)},
		{"nothing", set(PermAll), 0, set(PermAll)},
		{"ALL from ALL", set(PermAll), set(PermAll), 0},
		{"ALL from explicit", set(PermSelect, PermDescribe), set(PermAll, PermSelect), 0},
		{"one from ALL", set(PermAll), set(PermSelect),
			set(PermDescribe, PermInsert, PermDelete, PermAlter, PermDrop, PermCreateTable)},
		{"two from ALL and more", set(PermAll, PermSelect), set(PermSelect, PermDrop),
			set(PermDescribe, PermInsert, PermDelete, PermAlter, PermCreateTable)},
	}
	for _, tt := range tests {
		if got := tt.s.Without(tt.o); got != tt.want {
			t.Errorf("%s: %s without %s: got %s, want %s", tt.name, tt.s, tt.o, got, tt.want)
		}
	}
}

func TestPermissionsExplicit(t *testing.T) {
	if got, want := PermissionsOf(PermSelect).Explicit(), PermissionsOf(PermSelect); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	got := PermissionsOf(PermAll).Explicit()
	if got.Has(PermAll) || len(got.List()) != len(AllPermissions)-1 {
		t.Errorf("got %s, want every permission but ALL", got)
	}
}
