package mesh

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

// RedactURL names a URL for records others read (the audit log, logs, a
// delivery's or a task's last error, an approval decision's recipient):
// its scheme, host and port, and the first 8 hex digits of the SHA-256 of
// the whole URL, which tells two URLs of one host apart without giving
// away the rest. Its user info, path and query never appear: a webhook's
// path may be its bearer secret (Slack's are), and a query may carry a
// token. A value that is not an absolute URL is named by its digest alone.
//
//	https://hooks.example.com (sha256:1a2b3c4d)
func RedactURL(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	digest := "sha256:" + hex.EncodeToString(sum[:4])
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(" + digest + ")"
	}
	return u.Scheme + "://" + u.Host + " (" + digest + ")"
}
