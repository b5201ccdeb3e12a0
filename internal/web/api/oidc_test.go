package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/server/servertest"
)

// PUT /api/v1/settings/password-sign-in documents "enabled" as required: a
// body without it is refused naming enabled (a null body naming the body) and
// leaves password sign-in on, where before it switched it off.
func TestPasswordSignInSettingRequiresEnabled(t *testing.T) {
	ctx := context.Background()
	_, admin := servertest.New(t, servertest.Options{})
	for _, tt := range []struct{ body, field string }{{`{}`, "enabled"}, {`null`, "body"}} {
		body := tt.body
		err := admin.Do(ctx, "PUT", "/api/v1/settings/password-sign-in", nil, json.RawMessage(body), nil)
		wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, tt.field)
		var got struct {
			Enabled bool `json:"enabled"`
		}
		if err := admin.Do(ctx, "GET", "/api/v1/settings/password-sign-in", nil, nil, &got); err != nil || !got.Enabled {
			t.Errorf("after PUT %s: got enabled %v (%v), want password sign-in still on", body, got.Enabled, err)
		}
	}
}
