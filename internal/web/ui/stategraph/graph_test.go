package stategraph_test

import (
	"strings"
	"testing"

	"github.com/meshgate/meshgate/internal/mesh"
	"github.com/meshgate/meshgate/internal/sharing"
	"github.com/meshgate/meshgate/internal/web/ui/stategraph"
)

func TestBuildLayersTheDataSharingMachine(t *testing.T) {
	g, err := stategraph.Build(sharing.Definition)
	if err != nil {
		t.Fatal(err)
	}
	layers := map[string]int{
		"Start": 0, "GetCatalogTableDetails": 1, "DoesItHavePIIColumns": 2,
		"NoPIIShareCatalogItem": 3, "SendAndWaitPIIColumnApproval": 3,
		"ApprovedPIIShareCatalogItem": 4, "AccessDenied": 4, "ApprovalExpired": 4, "End": 5,
	}
	for name, want := range layers {
		n := g.State(name)
		if n == nil {
			t.Fatalf("no node %s", name)
		}
		if n.Layer != want {
			t.Errorf("%s: got layer %d, want %d", name, n.Layer, want)
		}
	}
	// Nodes of one layer do not overlap.
	byLayer := map[int][]*stategraph.Node{}
	for _, n := range g.Nodes {
		byLayer[n.Layer] = append(byLayer[n.Layer], n)
	}
	for l, ns := range byLayer {
		for i, a := range ns {
			for _, b := range ns[i+1:] {
				if a.X-a.W/2 < b.X+b.W/2 && b.X-b.W/2 < a.X+a.W/2 {
					t.Errorf("layer %d: %s and %s overlap", l, a.Name, b.Name)
				}
			}
		}
	}
	edges := map[string]string{}
	for _, e := range g.Edges {
		edges[e.From+">"+e.To] = e.Kind + ":" + e.Label
	}
	want := map[string]string{
		"Start>GetCatalogTableDetails":                      "next:",
		"DoesItHavePIIColumns>SendAndWaitPIIColumnApproval": "choice:details.has_pii = true",
		"DoesItHavePIIColumns>NoPIIShareCatalogItem":        "default:Default",
		"SendAndWaitPIIColumnApproval>AccessDenied":         "catch:catch AccessDenied",
		"SendAndWaitPIIColumnApproval>ApprovalExpired":      "catch:catch States.Timeout",
		"NoPIIShareCatalogItem>End":                         "next:",
		"AccessDenied>End":                                  "next:",
	}
	for k, v := range want {
		if edges[k] != v {
			t.Errorf("edge %s: got %q, want %q", k, edges[k], v)
		}
	}
	// The long edge NoPII → End passes through a placeholder point.
	for _, e := range g.Edges {
		if e.From == "NoPIIShareCatalogItem" && e.To == "End" && len(e.Points) != 3 {
			t.Errorf("NoPII → End: got %d points, want 3", len(e.Points))
		}
	}
}

func TestMarkAndRender(t *testing.T) {
	tests := []struct {
		name     string
		path     []string
		status   string
		current  string
		taken    []string
		notTaken []string
	}{
		{"waiting for approval", []string{"GetCatalogTableDetails", "DoesItHavePIIColumns", "SendAndWaitPIIColumnApproval"},
			mesh.ExecutionRunning, "SendAndWaitPIIColumnApproval",
			[]string{"Start>GetCatalogTableDetails", "DoesItHavePIIColumns>SendAndWaitPIIColumnApproval"},
			[]string{"DoesItHavePIIColumns>NoPIIShareCatalogItem", "SendAndWaitPIIColumnApproval>ApprovedPIIShareCatalogItem"}},
		{"approved and shared", []string{"GetCatalogTableDetails", "DoesItHavePIIColumns", "SendAndWaitPIIColumnApproval", "ApprovedPIIShareCatalogItem"},
			mesh.ExecutionSucceeded, "",
			[]string{"SendAndWaitPIIColumnApproval>ApprovedPIIShareCatalogItem", "ApprovedPIIShareCatalogItem>End"},
			[]string{"SendAndWaitPIIColumnApproval>AccessDenied"}},
		{"denied", []string{"GetCatalogTableDetails", "DoesItHavePIIColumns", "SendAndWaitPIIColumnApproval", "AccessDenied"},
			mesh.ExecutionFailed, "AccessDenied",
			[]string{"SendAndWaitPIIColumnApproval>AccessDenied"},
			[]string{"AccessDenied>End"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := stategraph.Build(sharing.Definition)
			if err != nil {
				t.Fatal(err)
			}
			g.Mark(tt.path, tt.status)
			got := ""
			if c := g.Current(); c != nil {
				got = c.Name
			}
			if got != tt.current {
				t.Errorf("current: got %q, want %q", got, tt.current)
			}
			taken := map[string]bool{}
			for _, e := range g.Edges {
				taken[e.From+">"+e.To] = e.Taken
			}
			for _, k := range tt.taken {
				if !taken[k] {
					t.Errorf("edge %s: got not taken, want taken", k)
				}
			}
			for _, k := range tt.notTaken {
				if taken[k] {
					t.Errorf("edge %s: got taken, want not taken", k)
				}
			}
			svg := string(g.SVG("g1", "Workflow <of> request", "desc"))
			for _, s := range []string{`role="img"`, `aria-labelledby="g1-title g1-desc"`, `<title id="g1-title">Workflow &lt;of&gt; request</title>`,
				`data-state="GetCatalogTableDetails"`, `class="edge edge-next taken" data-from="Start"`} {
				if !strings.Contains(svg, s) {
					t.Errorf("svg: want %s in it", s)
				}
			}
			if strings.Contains(svg, "style=") {
				t.Errorf("svg: got an inline style, which the page's policy blocks")
			}
		})
	}
}

func TestLoopsAndPaths(t *testing.T) {
	def := `{"StartAt": "Poll", "States": {
		"Poll": {"Type": "Task", "Resource": "x", "Next": "Done?"},
		"Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Ok"}], "Default": "Wait"},
		"Wait": {"Type": "Wait", "Seconds": 1, "Next": "Poll"},
		"Ok": {"Type": "Succeed"}}}`
	g, err := stategraph.Build([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	var back []string
	for _, e := range g.Edges {
		if e.Back {
			back = append(back, e.From+">"+e.To)
		}
		if e.From == "Done?" && e.To == "Ok" && e.Label != "n > 3" {
			t.Errorf("choice label: got %q, want %q", e.Label, "n > 3")
		}
	}
	if len(back) != 1 || back[0] != "Wait>Poll" {
		t.Errorf("loops: got %v, want [Wait>Poll]", back)
	}
	events := []*mesh.HistoryEvent{
		{Type: "ExecutionStarted"},
		{Type: "TaskStateEntered", Details: []byte(`{"name":"Poll"}`)},
		{Type: "ChoiceStateEntered", Details: []byte(`{"name":"Done?"}`)},
		{Type: "WaitStateEntered", Details: []byte(`{"name":"Wait"}`)},
		{Type: "TaskStateEntered", Details: []byte(`{"name":"Poll"}`)},
	}
	path := stategraph.PathFromHistory(events)
	if got := strings.Join(path, ","); got != "Poll,Done?,Wait,Poll" {
		t.Fatalf("path: got %s, want Poll,Done?,Wait,Poll", got)
	}
	g.Mark(path, mesh.ExecutionRunning)
	if n := g.State("Poll"); n.Visits != 2 || n.Status != stategraph.StatusCurrent {
		t.Errorf("Poll: got %d visits, %q, want 2, current", n.Visits, n.Status)
	}
	if !strings.Contains(string(g.SVG("x", "t", "d")), "Task · 2×") {
		t.Errorf("svg: want the visits of a state entered twice")
	}
}

func TestBuildRefusesBadDefinitions(t *testing.T) {
	for _, def := range []string{`{`, `{"StartAt": "A", "States": {}}`, `{"StartAt": "Start", "States": {"Start": {"Type": "Pass", "End": true}}}`} {
		if _, err := stategraph.Build([]byte(def)); err == nil {
			t.Errorf("Build(%s): got no error", def)
		}
	}
}
