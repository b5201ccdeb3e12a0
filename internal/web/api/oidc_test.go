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
// body without it is refused naming enabled and leaves password sign-in on,
// where before it switched it off.
func TestPasswordSignInSettingRequiresEnabled(t *testing.T) {
	ctx := context.Background()
	_, admin := servertest.New(t, servertest.Options{})
	for _, body := range []string{`{}`, `null`} {
		err := admin.Do(ctx, "PUT", "/api/v1/settings/password-sign-in", nil, json.RawMessage(body), nil)
		wantAPIError(t, err, http.StatusBadRequest, mesh.EINVALID, "enabled")
		var got struct {
			Enabled bool `json:"enabled"`
		}
		if err := admin.Do(ctx, "GET", "/api/v1/settings/password-sign-in", nil, nil, &got); err != nil || !got.Enabled {
			t.Errorf("after PUT %s: got enabled %v (%v), want password sign-in still on", body, got.Enabled, err)
		}
	}
}
