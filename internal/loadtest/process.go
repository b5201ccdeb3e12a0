package loadtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// serverProcess is a `meshgate serve` child process.
type serverProcess struct {
	cmd    *exec.Cmd
	addr   string
	pinned bool // server on core 0, load generator on core 1
}

// startServerProcess runs `exe serve` on the store in dataDir (or at
// databaseURL) on a free loopback port and waits until it is ready.
// With pin, on a machine of two or more cores, the server is bound to core 0
// and this process to core 1.
// env adds NAME=value settings to the child's environment.
func startServerProcess(ctx context.Context, exe, dataDir, databaseURL string, pin bool, env ...string) (*serverProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	// With pin, the server gets core 0 to itself and the load generator
	// core 1, so the two do not take time slices from each other: the child
	// inherits the binding of the thread that starts it.
	pinned := pin && runtime.NumCPU() >= 2 && pinSelf(0)
	cmd := exec.CommandContext(ctx, exe, "serve", "--addr", addr, "--data", dataDir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), env...)
	if databaseURL != "" {
		cmd.Env = append(cmd.Env, "MESHGATE_DATABASE="+databaseURL)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server process: %w", err)
	}
	pinned = pinned && pinSelf(1) && onlyOn(cmd.Process.Pid, 0)
	p := &serverProcess{cmd: cmd, addr: addr, pinned: pinned}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("server process on %s not ready after 2 minutes", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpu returns the CPU time the process has used (0 where /proc is missing).
func (p *serverProcess) cpu() time.Duration {
	d, _ := ProcessCPU(p.cmd.Process.Pid)
	return d
}

// stop ends the process gracefully and waits for it.
func (p *serverProcess) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}
