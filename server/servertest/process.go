package servertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is a `yigong serve` child process, for tests that must kill the
// hub (kill -9) and start it again on the same data folder.
type Process struct {
	Cmd   *exec.Cmd
	addrs map[string]string // listener name ("http", "mllp", "dicom") → address
}

// Build compiles yigong into a temporary folder and returns the binary.
func Build(t testing.TB, ctx context.Context) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "yigong")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "yigong/cmd/yigong").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// listening matches the log line of a listener: msg="mllp listening" ... addr=….
var listening = regexp.MustCompile(`msg="(\w+) listening" .*?\baddr=(\S+)`)

// StartProcess runs bin serve on data with HTTP, MLLP and DICOM on
// loopback port 0 (development security mode) and waits until every
// listener in wait ("http", "mllp", "dicom") has logged its address. The
// child's log goes to a file in data; when the test fails, its warnings,
// errors and (after SIGQUIT, see Stop) the goroutines in the hub's own
// packages are printed.
func StartProcess(t testing.TB, ctx context.Context, bin, data string, wait ...string) *Process {
	t.Helper()
	logFile, err := os.CreateTemp(data, "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logFile.Close()
		if t.Failed() {
			printProblems(t, logFile.Name())
		}
	})
	cmd := exec.CommandContext(ctx, bin, "serve", "--http", "127.0.0.1:0", "--data", data)
	cmd.Env = append(os.Environ(), "YIGONG_MLLP_ADDR=127.0.0.1:0", "YIGONG_DICOM_ADDR=127.0.0.1:0",
		"YIGONG_LOG_LEVEL=info", "YIGONG_SECURITY_MODE=dev")
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, addrs: map[string]string{}}
	deadline := time.Now().Add(time.Minute)
	for !p.has(wait) {
		b, _ := os.ReadFile(logFile.Name())
		for _, m := range listening.FindAllSubmatch(b, -1) {
			p.addrs[string(m[1])] = string(m[2])
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("serve did not report the addresses of %v within a minute (it did: %v)", wait, p.addrs)
		}
		time.Sleep(20 * time.Millisecond) // polling the log file
	}
	return p
}

func (p *Process) has(names []string) bool {
	for _, n := range names {
		if p.addrs[n] == "" {
			return false
		}
	}
	return true
}

// Addr returns the address a listener logged ("http", "mllp", "dicom").
func (p *Process) Addr(name string) string { return p.addrs[name] }

// Kill ends the process at once (SIGKILL) and waits for it.
func (p *Process) Kill() {
	p.Cmd.Process.Signal(syscall.SIGKILL)
	p.Cmd.Wait()
}

// Stop ends the process with SIGTERM, or SIGQUIT when t has failed (the
// Go runtime then writes every goroutine's stack to the log, which the
// cleanup prints), and waits for it.
func (p *Process) Stop(t testing.TB) {
	sig := syscall.SIGTERM
	if t.Failed() {
		sig = syscall.SIGQUIT
	}
	p.Cmd.Process.Signal(sig)
	p.Cmd.Wait()
}

// printProblems logs the WARN and ERROR lines of a child's log (the last
// 40 of them), and the goroutine stacks of a dump that pass through the
// hub's own packages, where a stall would show.
func printProblems(t testing.TB, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Logf("server log: %v", err)
		return
	}
	var problems []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			problems = append(problems, l)
		}
	}
	t.Logf("%s: %d warnings and errors, the last ones:", filepath.Base(path), len(problems))
	for _, l := range problems[max(0, len(problems)-40):] {
		t.Log(l)
	}
	for _, g := range strings.Split(string(b), "\n\n") {
		if strings.HasPrefix(g, "goroutine ") && strings.Contains(g, "yigong/") {
			t.Log(g)
		}
	}
}
