package platform_test

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy stands between meshgate and a platform, and can make the platform
// behave as a host that hangs (freeze: no byte passes, in either way, and
// connections stay open, new ones too) or one that is down (down: open
// connections are cut and new ones closed at once). It counts the
// connections it accepts, so a test can tell how often meshgate dialed.
type proxy struct {
	ln       net.Listener
	target   string
	accepted atomic.Int64

	mu    sync.Mutex
	cond  *sync.Cond
	state proxyState
	conns map[net.Conn]bool
}

type proxyState int

const (
	forwarding proxyState = iota
	frozen
	down
)

// newProxy listens on a loopback port and forwards to target (host:port)
// until the test ends.
func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.set(down)
	})
	return p
}

// pgProxy is a proxy to the PostgreSQL server of dsn, and dsn through it.
func pgProxy(t testing.TB, dsn string) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	return p, u.String()
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	p.mu.Lock()
	st := p.state
	p.mu.Unlock()
	if st == down {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.state == down {
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
func (p *proxy) pipe(dst, src net.Conn) {
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
			for p.state == frozen {
				p.cond.Wait()
			}
			st := p.state
			p.mu.Unlock()
			if st == down {
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

// set changes what the proxy does; down cuts the open connections.
func (p *proxy) set(st proxyState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = st
	if st == down {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
	p.cond.Broadcast()
}
