package hostile

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"syscall"
	"testing"
)

// cliResult is a finished braid run.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runBraid runs the binary to completion (or until ctx ends, which kills it).
func runBraid(ctx context.Context, t *testing.T, bin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("braid %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("braid %v: did not finish in time; stderr:\n%s", args, res.stderr)
	}
	return res
}
