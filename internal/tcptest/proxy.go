// Package tcptest stands a TCP proxy between a test's client and a server
// (a data platform, the store's PostgreSQL) that the test can make behave
// as a host that hangs or one that is down, connections open or not.
package tcptest

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy stands between meshgate and a server, and can make either look to
// the other as a host that hangs (Frozen: no byte passes, in either way,
// and connections stay open, new ones too; a server sending finds the
// window closed, as a stalled client's kernel closes it) or one that is
// down (Down: open connections are cut and new ones closed at once). It
// counts the connections it accepts, so a test can tell how often meshgate
// dialed.
type Proxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int64

	mu    sync.Mutex
	cond  *sync.Cond
	state State
	conns map[net.Conn]bool
}

// State is what a Proxy does with its connections.
type State int

// The states of a Proxy.
const (
	Forwarding State = iota
	Frozen
	Down
)

// NewProxy listens on a loopback port and forwards to target (host:port)
// until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Set(Down)
	})
	return p
}

// ProxyURL is a proxy to the host of rawURL (a PostgreSQL server's, say),
// and rawURL through it.
func ProxyURL(t testing.TB, rawURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	return p, u.String()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		go p.forward(c)
	}
}

func (p *Proxy) forward(c net.Conn) {
	p.mu.Lock()
	st := p.state
	p.mu.Unlock()
	if st == Down {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.state == Down {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go p.pipe(up, c)
	go p.pipe(c, up)
}

// pipe copies src to dst while the proxy forwards; frozen, it holds what
// it read until the proxy forwards again.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
		dst.Close()
		src.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.state == Frozen {
				p.cond.Wait()
			}
			st := p.state
			p.mu.Unlock()
			if st == Down {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Accepted returns how many connections the proxy accepted.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Set changes what the proxy does; Down cuts the open connections.
func (p *Proxy) Set(st State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = st
	if st == Down {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
	p.cond.Broadcast()
}
