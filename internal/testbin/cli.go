package testbin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// commandTimeout bounds one CLI command or one Run of the binary.
const commandTimeout = 60 * time.Second

// ExitError is a command that exited with a non-zero code.
type ExitError struct {
	Args   []string // the arguments after the binary's name
	Code   int      // the exit code (-1 when killed)
	Stderr string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("meshgate %s: exit code %d: %s", strings.Join(e.Args, " "), e.Code, strings.TrimSpace(e.Stderr))
}

// CLIOptions adjust one CLI command.
type CLIOptions struct {
	// Dir is the working directory (default the server's WorkDir).
	Dir string
	// Token replaces the server's bootstrap token as --token.
	Token string
	// NoToken runs the command without --token (as a signed-out user).
	NoToken bool
	// Stdin is the command's standard input (for inputs given as -).
	Stdin io.Reader
	// Env are extra environment variables ("KEY=value").
	Env []string
}

// CLI runs `meshgate --endpoint URL --token TOKEN args...` in s.WorkDir and
// returns its standard output. A non-zero exit is an *ExitError holding the
// exit code and standard error; the test is not failed, so tests can check
// rejections. For example:
//
//	out, err := srv.CLI(t, "-o", "json", "catalog", "get-database", "--name", "sales")
func (s *Server) CLI(t testing.TB, args ...string) (string, error) {
	t.Helper()
	return s.CLIWith(t, CLIOptions{}, args...)
}

// CLIWith is CLI with options: another token, no token, a working directory
// or standard input.
func (s *Server) CLIWith(t testing.TB, opts CLIOptions, args ...string) (string, error) {
	t.Helper()
	full := []string{"--endpoint", s.URL}
	token := s.Token
	if opts.Token != "" {
		token = opts.Token
	}
	if !opts.NoToken {
		full = append(full, "--token", token)
	}
	full = append(full, args...)
	dir := opts.Dir
	if dir == "" {
		dir = s.WorkDir
	}
	res := Run(t, RunOptions{Dir: dir, Stdin: opts.Stdin, Env: opts.Env}, full...)
	if res.Code != 0 {
		return res.Stdout, &ExitError{Args: args, Code: res.Code, Stderr: res.Stderr}
	}
	return res.Stdout, nil
}

// RunOptions adjust Run.
type RunOptions struct {
	// Dir is the working directory (default the test process's).
	Dir string
	// Stdin is the command's standard input (default empty).
	Stdin io.Reader
	// Env are extra environment variables ("KEY=value"), added to this
	// process's environment without its MESHGATE_ variables.
	Env []string
	// Timeout bounds the command (default 60s); it is killed after that and
	// the test fails.
	Timeout time.Duration
}

// Result is what a command printed and how it exited.
type Result struct {
	Stdout, Stderr string
	Code           int // exit code; -1 when killed
}

// Command returns the meshgate binary's command with args, ready to start,
// in this process's environment without its MESHGATE_ variables: for tests
// that read the output while the process runs, which Run cannot. The test
// starts, signals and waits for it.
func Command(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(Build(t), args...)
	cmd.Env = cleanEnv()
	return cmd
}

// Run runs the meshgate binary with args and no server of its own: for
// commands such as `migrate`, `version`, or a `serve` that must refuse to
// start. It fails the test only if the binary cannot be run or times out.
func Run(t testing.TB, opts RunOptions, args ...string) Result {
	t.Helper()
	bin := Build(t)
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = commandTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = opts.Dir
	cmd.Env = append(cleanEnv(), opts.Env...)
	cmd.Stdin = opts.Stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("meshgate %s: no exit within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, res.Stdout, res.Stderr)
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run meshgate %s: %v", strings.Join(args, " "), err)
	}
	return res
}
