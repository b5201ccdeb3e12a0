package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/meshgate/meshgate/client"
	"github.com/meshgate/meshgate/internal/mesh"
)

var (
	approvalIDRe = regexp.MustCompile(`<li class="card approval" id="approval-(\d+)">`)
	nextRe       = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// TestApprovalsPages: an approver with more pending approvals than one
// page lists reaches every one through the "next" links, none twice.
func TestApprovalsPages(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	const n = 201 // more than the 200 the page once listed, with no way to the rest
	e.piiRequests(n)
	e.user(producerID, "pat", "pat@example.com", mesh.RoleApprover)
	cookie := sessionOf(t, e, "pat")
	seen := map[string]int{}
	pages := 0
	for next := "/approvals"; next != ""; pages++ {
		if pages > n {
			t.Fatalf("more pages than approvals: stopped at %s", next)
		}
		resp, page := do(t, "GET", e.srv.URL+next, nil, nil, cookie)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: got %d, want 200", next, resp.StatusCode)
		}
		for _, m := range approvalIDRe.FindAllStringSubmatch(page, -1) {
			seen[m[1]]++
		}
		next = ""
		if m := nextRe.FindStringSubmatch(page); m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	if len(seen) != n {
		t.Errorf("approvals reached: got %d on %d page(s), want %d", len(seen), pages, n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("approval %s: shown %d times, want once", id, k)
		}
	}

	// a refused decision on the oldest approval, on the last page, is
	// shown beside it with the comment as typed
	oldest := int64(0)
	for id := range seen {
		if v, _ := strconv.ParseInt(id, 10, 64); oldest == 0 || v < oldest {
			oldest = v
		}
	}
	// the request's page leads to the page of the approvals listing it
	_, page := do(t, "GET", fmt.Sprintf("%s/requests/%d", e.srv.URL, oldest), nil, nil, cookie)
	decide := regexp.MustCompile(`<a class="button" href="([^"]+)">Decide on the Approvals page</a>`).FindStringSubmatch(page)
	if decide == nil {
		t.Fatalf("request %d: no link to decide it", oldest)
	}
	if _, page := do(t, "GET", e.srv.URL+html.UnescapeString(decide[1]), nil, nil, cookie); !strings.Contains(page, fmt.Sprintf(`id="approval-%d"`, oldest)) {
		t.Errorf("request %d's link %s: the page does not list its approval", oldest, decide[1])
	}

	_, page = do(t, "GET", e.srv.URL+"/approvals", nil, nil, cookie)
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}, "comment": {"fine\x01"}}
	resp, page := do(t, "POST", fmt.Sprintf("%s/approvals/%d/approve", e.srv.URL, oldest), form,
		map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, cookie)
	if want := fmt.Sprintf(`id="comment-%d-error"`, oldest); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, want) ||
		!strings.Contains(page, "fine\x01</textarea>") {
		t.Errorf("refused decision on approval %d: got %d, want 400 with %s and the comment kept", oldest, resp.StatusCode, want)
	}
}

// TestRefusalsOfItemsNotShown: a refused decision or invitation answer
// about an item the page does not show with its form (one that does not
// exist, a request of one's own) says why on the page, where the message
// was kept for a form that was not there.
func TestRefusalsOfItemsNotShown(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	e.user(producerID, "pat", "pat@example.com", mesh.RoleApprover)
	me, err := e.admin.Me(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// a mesh admin sees every approval, and may not decide one they asked for
	mia := e.user(me.User.AccountID, "mia", "mia@example.com", mesh.RoleAdmin)
	own, _, err := mia.CreateRequest(e.ctx, client.RequestInput{Database: "sales", Table: "orders", TargetAccount: consumerID, Justification: "my own"})
	if err != nil {
		t.Fatal(err)
	}
	alert := func(text string) *regexp.Regexp {
		return regexp.MustCompile(`<p class="alert" role="alert">[^<]*` + regexp.QuoteMeta(text))
	}
	post := func(who, path string) (*http.Response, string) {
		t.Helper()
		cookie := sessionOf(t, e, who)
		_, page := do(t, "GET", e.srv.URL+"/invitations", nil, nil, cookie)
		form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}}
		return do(t, "POST", e.srv.URL+path, form, map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, cookie)
	}
	for _, c := range []struct {
		who, path string
		status    int
		want      *regexp.Regexp
	}{
		{"pat", "/approvals/99999/approve", http.StatusNotFound, alert("Request #99999: ")},
		{"mia", fmt.Sprintf("/approvals/%d/deny", own.ID), http.StatusForbidden, alert(fmt.Sprintf("Request #%d: ", own.ID))},
		{"cadmin", "/invitations/99999/accept", http.StatusNotFound, alert("Invitation 99999: ")},
	} {
		resp, page := post(c.who, c.path)
		if resp.StatusCode != c.status || !c.want.MatchString(page) {
			t.Errorf("POST %s as %s: got %d, want %d and a message matching %s", c.path, c.who, resp.StatusCode, c.status, c.want)
		}
	}
	if st := e.status(own.ID); st.Status != mesh.RequestPendingApproval {
		t.Errorf("pat's own request: got %s, want it still pending", st.Status)
	}
}

// TestLateDecisionNamesTheRequestsStatus: a decision on the Approvals page
// that comes after the approval ended says how the request stands now, not
// only how its approval ended: approved, and revoked since.
func TestLateDecisionNamesTheRequestsStatus(t *testing.T) {
	e := newLinkEnv(t, "sqlite", nil)
	r := e.request("orders")
	if _, err := e.admin.Decide(e.ctx, r.ID, true, "fine", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RevokeRequest(e.ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	e.user(producerID, "pat", "pat@example.com", mesh.RoleApprover)
	cookie := sessionOf(t, e, "pat")
	_, page := do(t, "GET", e.srv.URL+"/approvals", nil, nil, cookie)
	form := url.Values{"csrf": {csrfRe.FindStringSubmatch(page)[1]}, "comment": {"late"}}
	resp, page := do(t, "POST", fmt.Sprintf("%s/approvals/%d/approve", e.srv.URL, r.ID), form,
		map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}, cookie)
	want := fmt.Sprintf("Request %d was approved already by", r.ID)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, want) || !strings.Contains(page, "The request is REVOKED now.") {
		t.Errorf("late decision: got %d, want 409 saying %q and that the request is REVOKED now; page:\n%s", resp.StatusCode, want, page)
	}
}
