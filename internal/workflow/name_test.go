package workflow_test

import (
	"encoding/json"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/workflow"
)

// TestExecutionNamesRefuseInvisibleCharacters checks that an execution
// name, shown in listings, cannot hold characters that hide or reorder text.
func TestExecutionNamesRefuseInvisibleCharacters(t *testing.T) {
	ev := newEnv(t, storetest.OpenSQLite(t, nil))
	ev.create("sm", `{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`)
	tests := []struct {
		name, exec string
		valid      bool
	}{
		{"plain", "req-1", true},
		{"unicode letters", "demande-été", true},
		{"right-to-left override", "req\u202E1-", false},
		{"zero-width space", "req\u200B1", false},
		{"C1 control", "req\u00851", false},
		{"space", "req 1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ev.engine.StartExecution(ev.ctx, workflow.StartInput{StateMachine: "sm", Name: tt.exec, Input: json.RawMessage(`{}`)})
			if tt.valid && err != nil {
				t.Errorf("got %v, want started", err)
			}
			if !tt.valid && !mesh.IsCode(err, mesh.EINVALID) {
				t.Errorf("got %v, want invalid name", err)
			}
		})
	}
}
