// Package notifytest holds real protocol peers for notification tests and
// benchmarks: an SMTP server (github.com/emersion/go-smtp) that keeps what it
// receives, and a webhook receiver that checks signatures.
package notifytest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one email the SMTP server received, decoded.
type Mail struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

// MessageID returns the meshgate message id header.
func (m *Mail) MessageID() string { return m.Header.Get("X-Meshgate-Message-Id") }

// SMTPServer is an in-process SMTP server on loopback.
type SMTPServer struct {
	Addr string

	mu       sync.Mutex
	srv      *smtp.Server
	ln       net.Listener
	received []*Mail
	notify   chan struct{}
	// Refuse, while positive, answers that many DATA commands with a
	// temporary failure (451) instead of taking the message.
	Refuse atomic.Int32
	// Discard keeps only a count of what arrives (for benchmarks).
	Discard bool
	count   atomic.Int64
	// OnReceive, when set, is called with each message's meshgate id.
	OnReceive func(id string)
}

// StartSMTP starts a server on a free loopback port; it stops with the test.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{notify: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *SMTPServer) serve(ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the server: connections are refused until Start.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		// the listener first: Serve may not have taken it yet, and then
		// the server's Close would not know it
		ln.Close()
		srv.Close()
	}
}

// Start listens again on the same address after Stop.
func (s *SMTPServer) Start(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	s.serve(ln)
}

// Received returns what arrived so far.
func (s *SMTPServer) Received() []*Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Mail(nil), s.received...)
}

// Count returns how many messages arrived.
func (s *SMTPServer) Count() int64 { return s.count.Load() }

// WaitFor waits until n messages arrived or timeout passes, and returns them.
func (s *SMTPServer) WaitFor(n int, timeout time.Duration) []*Mail {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if got := s.Received(); len(got) >= n {
			return got
		}
		select {
		case <-s.notify:
		case <-deadline.C:
			return s.Received()
		}
	}
}

type session struct {
	s    *SMTPServer
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }
func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	if s.Refuse.Load() > 0 {
		s.Refuse.Add(-1)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.count.Add(1)
	if s.Discard && s.OnReceive == nil {
		return nil
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	m.From, m.To = ss.from, ss.to
	if s.OnReceive != nil {
		s.OnReceive(m.MessageID())
	}
	if s.Discard {
		return nil
	}
	s.mu.Lock()
	s.received = append(s.received, m)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	return nil
}

// Parse decodes a message with a plain-text and an HTML part.
func Parse(raw []byte) (*Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	m := &Mail{Header: msg.Header, Subject: subject}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, m)
	return m, err
}

func walk(ctype, encoding string, body io.Reader, m *Mail) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}
