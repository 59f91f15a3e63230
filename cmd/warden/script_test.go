package main

import (
	"errors"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the warden command (and as
// fail2ban-regex, the same program under another name) in the scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"warden":          main,
		"fail2ban-regex":  main,
		"fail2ban-client": main,
	})
}

// TestScripts runs testdata/script/*.txtar: the command line's behaviour
// as terminal sessions. A new command gets a new script.
//
// Besides testscript's own commands, a script may use
// "status N PROG ARGS...", which runs PROG and requires exit status N
// (stdout and stderr are kept for the next stdout/stderr checks), and
// "abuseipdb-fake", a fake AbuseIPDB for the script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Nothing of the host's /etc/warden leaks into the scripts.
			env.Setenv("WARDEN_CONFIG", env.WorkDir+"/etc/warden")
			// Nor its daemon: no script reaches a running warden.
			env.Setenv("WARDEN_SOCKET", env.WorkDir+"/warden.sock")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"abuseipdb-fake": newAbuseFakeCmd(), // abuseipdb_script_test.go
			"status": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: status N PROG ARGS...")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("status: %v", err)
				}
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("status: %v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("exit status %d, want %d", got, want)
				}
			},
		},
		RequireExplicitExec: true,
	})
}
