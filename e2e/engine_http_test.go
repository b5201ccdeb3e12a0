package e2e

import "net/http"

// httpClientNoKeepAlive opens a connection per request, so a killed
// server's dead connections are never reused.
var httpClientNoKeepAlive = http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
