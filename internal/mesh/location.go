package mesh

import (
	"path"
	"strings"
)

// LocationKey normalizes a storage location (a database's location_uri or a
// table's location) for comparing locations on path-segment boundaries, the
// way data engines resolve them: the scheme and the bucket or host are
// lowercased, Hadoop's s3a:// and s3n:// name the same buckets as s3://,
// repeated slashes collapse and "." and ".." segments resolve, and the key
// ends in "/". So s3://Sales-Data and S3A://sales-data//x/../ have the key
// s3://sales-data/, which is a prefix of the key of every location inside
// it, and s3://sales-data-2/ is not inside it. A whole scheme ("s3://") has
// the key "s3://", a prefix of every location of that scheme. An empty
// location has the empty key (no location, nothing to compare).
func LocationKey(loc string) string {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return ""
	}
	head, p := "", loc
	if scheme, rest, ok := strings.Cut(loc, "://"); ok {
		scheme = strings.ToLower(scheme)
		switch scheme {
		case "s3a", "s3n":
			scheme = "s3"
		}
		authority, tail, _ := strings.Cut(rest, "/")
		head, p = scheme+"://"+strings.ToLower(authority), "/"+tail
	}
	p = path.Clean("/" + p)
	if p == "/" && strings.HasSuffix(head, "://") {
		return head // a whole scheme ("s3://"): it contains every bucket
	}
	if p != "/" {
		p += "/"
	}
	return head + p
}

// LocationOverlaps reports whether two location keys (see LocationKey) name
// overlapping storage: equal, or one inside the other.
func LocationOverlaps(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// LocationAncestors returns the keys of key and of every location that
// contains it ("s3://a/b/" → "s3://", "s3://a/", "s3://a/b/"), for finding
// them with equality lookups.
func LocationAncestors(key string) []string {
	var out []string
	start := strings.Index(key, "://")
	if start < 0 {
		start = 0
	} else {
		out = append(out, key[:start+3])
		start += 3
	}
	for i := start; i < len(key); i++ {
		if key[i] == '/' {
			out = append(out, key[:i+1])
		}
	}
	return out
}

// LocationDescendantsEnd is the least string greater than every key inside
// key (key ends in "/", as every key does): keys k with
// key < k < LocationDescendantsEnd(key) are the locations strictly inside it.
func LocationDescendantsEnd(key string) string {
	return key[:len(key)-1] + "0" // '0' follows '/'
}
