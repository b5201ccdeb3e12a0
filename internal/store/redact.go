package store

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/meshgate/meshgate/internal/mesh"
)

// Webhook URLs in rows written before meshgate named them by scheme, host
// and digest (mesh.RedactURL): audit entries and deliveries' last errors
// held a webhook's whole URL, whose path or query may be its secret. Each
// store's migration (SQLite 0027, PostgreSQL 0029) rewrites those rows
// with the functions below, in Go: SQLite's SQL has no SHA-256, and Go
// parses the URL as the code that writes new rows does, so an old row
// reads as new code writes it.
//
// The audit log is otherwise append-only. This one rewrite is allowed
// because it takes out only what should never have been written, a
// secret that the entry's readers were never meant to hold; the entry's
// time, actor, action, resource and result stay, and its detail keeps
// everything else it said, the URL's scheme and host among it, with the
// digest new entries carry in the URL's place. Entries and errors that
// were cut at their length limit inside the URL cannot give its digest:
// the cut URL is named by its scheme and host alone.

// SubscribeRoutes are the routes whose refusals, which the audit log keeps
// with the error's message, named a webhook URL.
var SubscribeRoutes = []string{"POST /api/v1/subscriptions", "POST /admin/notifications"}

// cutMark ends an audit detail cut at its length limit (web.MaxAuditField).
const cutMark = "…"

// notConfirmed ends the detail of an unsubscription that a new
// subscription of the same endpoint made.
const notConfirmed = ": not confirmed in time, subscribed again"

// redactedName matches what mesh.RedactURL returns.
var redactedName = regexp.MustCompile(`^([a-z][a-z0-9+.-]*://[^ ]* )?\(sha256:[0-9a-f]{8}\)$`)

// RedactedAuditDetail returns the detail of an audit entry (its action and
// result) as meshgate writes it now, with no webhook URL an older version
// wrote there whole, and whether it differs from detail.
func RedactedAuditDetail(action, result, detail string) (string, bool) {
	var out string
	switch {
	case action == "notify.subscribe":
		out = redactSubscribed(detail)
	case action == "notify.confirm" || action == "notify.unsubscribe":
		out = redactProtocolEndpoint(detail)
	case result != "ok" && slices.Contains(SubscribeRoutes, action):
		out = redactRefusal(detail)
	default:
		return detail, false
	}
	return out, out != detail
}

func isWebhook(protocol string) bool { return protocol == "http" || protocol == "https" }

// redactSubscribed rewrites "account=A protocol=P endpoint=E".
func redactSubscribed(detail string) string {
	head, endpoint, ok := strings.Cut(detail, " endpoint=")
	_, protocol, _ := strings.Cut(head, " protocol=")
	if !ok || !isWebhook(protocol) || redactedName.MatchString(endpoint) {
		return detail
	}
	return head + " endpoint=" + mesh.RedactURL(endpoint)
}

// redactProtocolEndpoint rewrites "P E", and "P E: not confirmed in time,
// subscribed again".
func redactProtocolEndpoint(detail string) string {
	protocol, endpoint, ok := strings.Cut(detail, " ")
	if !ok || !isWebhook(protocol) {
		return detail
	}
	endpoint, confirmed := strings.CutSuffix(endpoint, notConfirmed)
	if redactedName.MatchString(endpoint) {
		return detail
	}
	out := protocol + " " + mesh.RedactURL(endpoint)
	if confirmed {
		out += notConfirmed
	}
	return out
}

// alreadySubscribed matches the end of a conflict's message.
var alreadySubscribed = regexp.MustCompile(` is subscribed already( \(subscription \d+, [a-z-]+\))?$`)

// Refusals of a subscription whose messages quoted the URL given.
const (
	notAURL     = "is not a URL: parse "
	notHTTP     = "must be an http or https URL, not "
	noHost      = " has no host"
	otherScheme = " URL, not " // "a subscription of protocol P needs an P:// URL, not "
)

// redactRefusal rewrites the message of a refused subscription.
func redactRefusal(detail string) string {
	if protocol, rest, ok := strings.Cut(detail, " "); ok && isWebhook(protocol) {
		// "P E is subscribed already (subscription N, S)", or its store's
		// shorter message
		if loc := alreadySubscribed.FindStringIndex(rest); loc != nil {
			if redactedName.MatchString(rest[:loc[0]]) {
				return detail
			}
			return protocol + " " + mesh.RedactURL(rest[:loc[0]]) + rest[loc[0]:]
		}
		if cut, ok := strings.CutSuffix(rest, cutMark); ok {
			return protocol + " " + cutURLName(cut) + cutMark
		}
		return detail
	}
	if rest, ok := strings.CutPrefix(detail, notAURL); ok {
		// parse "RAW": REASON, the text of a *url.Error
		if _, reason, ok := quoted(rest); ok {
			if reason, ok := strings.CutPrefix(reason, ": "); ok {
				return "is not a URL: " + reason
			}
			return "is not a URL" + reason
		}
		return "is not a URL: parse " + cutQuoted(rest)
	}
	if rest, ok := strings.CutPrefix(detail, notHTTP); ok {
		raw, _, ok := quoted(rest)
		if !ok {
			raw = strings.TrimSuffix(strings.TrimPrefix(rest, `"`), cutMark)
		}
		if scheme := urlScheme(strings.TrimSpace(raw)); scheme != "" {
			return notHTTP + scheme + "://"
		}
		return notHTTP + "one without a scheme"
	}
	if _, tail, ok := quoted(detail); ok && tail == noHost {
		return "has no host"
	}
	if i := strings.LastIndex(detail, otherScheme); i >= 0 && strings.HasPrefix(detail, "a subscription of protocol ") {
		head, rest := detail[:i+len(otherScheme)], detail[i+len(otherScheme):]
		if raw, tail, ok := quoted(rest); ok && tail == "" {
			return head + mesh.RedactURL(raw)
		}
		if strings.HasPrefix(rest, `"`) {
			return head + cutQuoted(rest)
		}
		return detail
	}
	if strings.HasPrefix(detail, `"`) && strings.HasSuffix(detail, cutMark) && strings.Contains(detail, "/") {
		if _, _, ok := quoted(detail); !ok {
			return cutQuoted(detail) // "RAW" has no host, cut inside RAW
		}
	}
	return detail
}

// quoted splits s, which starts with a Go-quoted string (%q), into the
// string unquoted and what follows it; ok is false when s does not start
// with a whole one (its end was cut).
func quoted(s string) (raw, tail string, ok bool) {
	lit, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", false
	}
	raw, err = strconv.Unquote(lit)
	return raw, s[len(lit):], err == nil
}

// cutQuoted names a quoted URL whose end, and the closing quote, were cut:
// by scheme and host, where it has them, and a path or query no more.
func cutQuoted(s string) string {
	return `"` + cutURLName(strings.TrimSuffix(strings.TrimPrefix(s, `"`), cutMark)) + cutMark
}

// cutURLName names a URL whose end was cut, whose digest cannot be
// known: by its scheme and host alone, or by nothing when it has none.
func cutURLName(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || urlScheme(s) == "" {
		return ""
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = host[at+1:] // a user and password are no host
	}
	return strings.ToLower(scheme) + "://" + host
}

// urlScheme returns s's scheme as url.Parse reads it (lower-cased), or ""
// when s starts with none.
func urlScheme(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return ""
			}
		case c == ':' && i > 0:
			return strings.ToLower(s[:i])
		default:
			return ""
		}
	}
	return ""
}

// Shapes of a webhook delivery's error that older versions wrote.
const (
	oldRequest  = `webhook request: parse `
	oldDo       = `webhook: Post `
	oldInternal = `Post `
	oldStatus   = `webhook: `
)

// RedactedDeliveryError returns the last error of a delivery of protocol
// to endpoint as meshgate writes it now (a webhook named by
// mesh.RedactURL, without the *url.Error's whole URL), and whether it
// differs from lastError. An error cut at its 1000 bytes inside the URL
// keeps the endpoint's name: the delivery holds the whole URL.
func RedactedDeliveryError(protocol, endpoint, lastError string) (string, bool) {
	if !isWebhook(protocol) || endpoint == "" || lastError == "" {
		return lastError, false
	}
	name := mesh.RedactURL(endpoint)
	out := lastError
	// webhook request: parse "E": REASON → webhook request to NAME: REASON
	if rest, ok := strings.CutPrefix(lastError, oldRequest); ok && strings.HasPrefix(rest, `"`) {
		out = "webhook request to " + name + afterQuoted(rest)
	} else if rest, ok := strings.CutPrefix(lastError, oldDo); ok && strings.HasPrefix(rest, `"`) {
		// webhook: Post "E": REASON → webhook: NAME: REASON
		out = "webhook: " + name + afterQuoted(rest)
	} else if rest, ok := strings.CutPrefix(lastError, oldInternal); ok && strings.HasPrefix(rest, `"`) {
		// an address webhooks may not reach: Post "E": REASON, unprefixed
		out = "webhook: " + name + afterQuoted(rest)
	} else if rest, ok := strings.CutPrefix(lastError, oldStatus); ok {
		// webhook: E answered STATUS → webhook: NAME answered STATUS
		if status, ok := strings.CutPrefix(rest, endpoint+" answered "); ok {
			out = "webhook: " + name + " answered " + status
		} else if rest != "" && strings.HasPrefix(endpoint, rest) {
			out = "webhook: " + name // cut inside the URL
		}
	}
	// whatever other text repeats the URL names it; a URL that its name
	// holds whole (scheme and host alone) has nothing to hide
	if !strings.Contains(name, endpoint) {
		out = strings.ReplaceAll(out, strconv.Quote(endpoint), name)
		out = strings.ReplaceAll(out, endpoint, name)
	}
	return out, out != lastError
}

// afterQuoted returns what follows the quoted string s starts with, or ""
// when its end was cut.
func afterQuoted(s string) string {
	if _, tail, ok := quoted(s); ok {
		return tail
	}
	return ""
}
