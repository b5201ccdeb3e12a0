package loadtest

import (
	"context"
	"os"
	"testing"

	"github.com/meshgate/meshgate/internal/store/storetest"
	"github.com/meshgate/meshgate/internal/testbin"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// TestRunAuthLag runs the replica measurement briefly: it ends only when
// replica B refused every credential replica A ended.
func TestRunAuthLag(t *testing.T) {
	url := storetest.PostgresURL(t)
	res, err := RunAuthLag(context.Background(), AuthLagOptions{DatabaseURL: url, ServerExecutable: testbin.Build(t), Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kinds) != 3 {
		t.Fatalf("got %d kinds of change, want 3", len(res.Kinds))
	}
	for _, k := range res.Kinds {
		if k.Rounds != 2 {
			t.Errorf("%s: got %d rounds, want 2", k.Kind, k.Rounds)
		}
	}
}
