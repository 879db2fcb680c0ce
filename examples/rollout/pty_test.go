//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the controller side the test writes
// answers to (and reads the screen from), and the terminal the command
// gets as a standard stream, on which term.IsTerminal is true.
func openPTY(t *testing.T) (controller, terminal *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	controller = os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { controller.Close() })
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pseudo-terminal: %v", err)
	}
	terminal, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { terminal.Close() })
	return controller, terminal
}

// screen reads what the command wrote to its terminal until the command
// closed it; a closed pseudo-terminal reads as EIO.
func screen(controller *os.File) <-chan string {
	ch := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, err := io.Copy(&b, controller)
		if err != nil && !errors.Is(err, syscall.EIO) {
			b.WriteString("\nreading the terminal: " + err.Error())
		}
		ch <- b.String()
	}()
	return ch
}

// TestConfirm: on a terminal, apply shows the plan and asks; only "yes"
// applies it.
func TestConfirm(t *testing.T) {
	needCorpus(t)
	tests := []struct {
		answer string
		exit   int
		reason string
	}{
		{"yes", 0, "yes applies the plan"},
		{"no", 1, "no cancels"},
		{"y", 1, "only yes is accepted, as terraform does"},
		{"", 1, "an empty answer cancels"},
	}
	for _, tt := range tests {
		t.Run("answer="+tt.answer, func(t *testing.T) {
			controller, terminal := openPTY(t)
			p := start(t, terminal, nil, append([]string{"apply", "--from", flow("3-create-green"), "--to", flow("4-flight-green")}, fast...)...)
			p.stderr.await(t, "Do you want to perform these actions?")
			// The plan goes to stdout and the question to stderr, two pipes
			// copied apart: the plan may reach the test after the question.
			p.stdout.await(t, "live traffic = blue 100 → 90, green 0 → 10")
			if strings.Contains(p.stdout.String(), "step started") {
				t.Fatalf("a step started before the answer:\n%s", p.stdout)
			}
			if _, err := controller.Write([]byte(tt.answer + "\n")); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t); code != tt.exit {
				t.Errorf("exit status %d, want %d (%s)\nstdout:\n%s\nstderr:\n%s", code, tt.exit, tt.reason, p.stdout, p.stderr)
			}
			applied := strings.Contains(p.stdout.String(), "Apply complete")
			if applied != (tt.exit == 0) || strings.Contains(p.stdout.String(), "step started") != applied {
				t.Errorf("applied = %v, want %v (%s)\nstdout:\n%s", applied, tt.exit == 0, tt.reason, p.stdout)
			}
			if tt.exit != 0 && !strings.Contains(p.stderr.String(), "Apply cancelled") {
				t.Errorf("the refusal does not say the apply was cancelled:\n%s", p.stderr)
			}
		})
	}
}

// TestConfirmFlags: --auto-approve skips the question but not an approval
// gate, which still asks on the terminal; a saved plan is applied without
// the question, since it was reviewed when saved.
func TestConfirmFlags(t *testing.T) {
	needCorpus(t)
	t.Run("auto-approve", func(t *testing.T) {
		controller, terminal := openPTY(t)
		p := start(t, terminal, nil, append([]string{"apply", "--auto-approve", "--strategy", "canary:10:approval", "--from", flow("3-create-green"), "--to", flow("5-full-green")}, fast...)...)
		p.stderr.await(t, "Approve approval on my-endpoint?")
		if _, err := controller.Write([]byte("yes\n")); err != nil {
			t.Fatal(err)
		}
		if code := p.wait(t); code != 0 {
			t.Errorf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, p.stdout, p.stderr)
		}
		if strings.Contains(p.stderr.String(), "Do you want") {
			t.Errorf("--auto-approve still asked to confirm the plan:\n%s", p.stderr)
		}
	})
	t.Run("saved-plan", func(t *testing.T) {
		planFile := filepath.Join(t.TempDir(), "plan.json")
		var stdout, stderr bytes.Buffer
		if code := run([]string{"plan", "--from", flow("3-create-green"), "--to", flow("4-flight-green"), "--out", planFile}, &stdout, &stderr); code != 0 {
			t.Fatalf("plan: exit %d: %s", code, stderr.String())
		}
		_, terminal := openPTY(t)
		p := start(t, terminal, nil, append([]string{"apply", "--from", flow("3-create-green"), planFile}, fast...)...)
		if code := p.wait(t); code != 0 {
			t.Errorf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, p.stdout, p.stderr)
		}
		if strings.Contains(p.stderr.String(), "Do you want") {
			t.Errorf("a saved plan was not applied without asking:\n%s", p.stderr)
		}
	})
}

// TestColor: the plan is coloured on a terminal, and not with --no-color,
// NO_COLOR set, or output to a pipe.
func TestColor(t *testing.T) {
	needCorpus(t)
	args := []string{"plan", "--from", flow("3-create-green"), "--to", flow("4-flight-green")}
	tests := []struct {
		name     string
		flags    []string
		env      []string
		terminal bool
		color    bool
	}{
		{"terminal", nil, nil, true, true},
		{"no-color", []string{"--no-color"}, nil, true, false},
		{"NO_COLOR", nil, []string{"NO_COLOR=1"}, true, false},
		{"pipe", nil, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out string
			if tt.terminal {
				controller, terminal := openPTY(t)
				read := screen(controller)
				p := startTo(t, nil, terminal, tt.env, append(args, tt.flags...)...)
				code := p.wait(t)
				terminal.Close() // the command's copy is closed: the screen ends
				out = <-read
				if code != 0 {
					t.Fatalf("exit status %d: %s", code, p.stderr)
				}
			} else {
				p := start(t, nil, tt.env, append(args, tt.flags...)...)
				if code := p.wait(t); code != 0 {
					t.Fatalf("exit status %d: %s", code, p.stderr)
				}
				out = p.stdout.String()
			}
			if !strings.Contains(out, "blue 100 → 90") {
				t.Fatalf("no plan on the screen:\n%s", out)
			}
			if got := strings.Contains(out, "\x1b["); got != tt.color {
				t.Errorf("coloured = %v, want %v:\n%q", got, tt.color, out)
			}
		})
	}
}
