package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/filter"
)

const (
	defaultConfigDir = "/etc/warden"
	compatVersion    = config.CompatVersion
)

func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{msg: "config: expected 'check' or 'dump'"}
	}
	fset := flag.NewFlagSet("config "+args[0], flag.ContinueOnError)
	fset.SetOutput(stderr)
	dir := fset.String("config", "", "configuration directory (default "+defaultConfigDir+")")
	fset.StringVar(dir, "c", "", "short for --config")
	asJSON := fset.Bool("json", false, "print JSON")
	jail := fset.String("jail", "", "resolve only this jail, as if enabled")
	switch args[0] {
	case "check", "dump":
	default:
		return &usageError{msg: fmt.Sprintf("config: unknown subcommand %q", args[0])}
	}
	if err := fset.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{msg: err.Error()}
	}
	if fset.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("config %s: unexpected argument %q", args[0], fset.Arg(0))}
	}
	oneShotGC()
	cfg, err := loadConfig(*dir, *jail, stderr)
	if err != nil {
		return err
	}
	switch args[0] {
	case "check":
		return configCheck(cfg, stdout, stderr)
	default:
		if !*asJSON {
			return &usageError{msg: "config dump: only --json output exists so far"}
		}
		for _, p := range cfg.Problems {
			fmt.Fprintln(stderr, p.Error())
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Jails []*config.Jail `json:"jails"`
		}{Jails: nonNil(cfg.Jails)}); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		if len(cfg.Problems) > 0 {
			return &exitError{code: exitFailure}
		}
		return nil
	}
}

func nonNil(j []*config.Jail) []*config.Jail {
	if j == nil {
		return []*config.Jail{}
	}
	return j
}

// loadConfig loads dir (or the default directory, which may be absent: then
// the built-in defaults alone are used).
func loadConfig(dir, jail string, stderr io.Writer) (*config.Config, error) {
	explicit := dir != ""
	if !explicit {
		dir = defaultConfigDir
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, fmt.Errorf("configuration directory %s is not a directory", dir)
	case errors.Is(err, fs.ErrNotExist) && explicit:
		return nil, fmt.Errorf("configuration directory %s does not exist", dir)
	case errors.Is(err, fs.ErrNotExist):
		dir = ""
	case err != nil:
		return nil, fmt.Errorf("read configuration directory: %w", err)
	}
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	cfg, err := config.Load(config.Options{Dir: dir, OnlyJail: jail})
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	return cfg, nil
}

// filterProblems compiles each jail's filter as the daemon would and
// reports regexes and date patterns that do not compile, at their place.
func filterProblems(cfg *config.Config) config.Errors {
	var out config.Errors
	for _, j := range cfg.Jails {
		_, err := filter.New(filter.Options{PrefRegex: j.PrefRegex, FailRegex: j.FailRegex, IgnoreRegex: j.IgnoreRegex,
			MaxLines: j.MaxLines, DatePattern: j.DatePattern, LogTimeZone: j.LogTimezone, UseDNS: j.UseDNS})
		if err == nil {
			continue
		}
		e := &config.Error{Msg: fmt.Sprintf("jail [%s]: %v", j.Name, err)}
		var oe *filter.OptionError
		if errors.As(err, &oe) {
			if at, ok := j.Where[oe.Option]; ok {
				if i := strings.LastIndexByte(at, ':'); i > 0 {
					e.File = at[:i]
					e.Line, _ = strconv.Atoi(at[i+1:])
				}
			}
		}
		out = append(out, e)
	}
	return out
}

func configCheck(cfg *config.Config, stdout, stderr io.Writer) error {
	problems := append(config.Errors{}, cfg.Problems...)
	problems = append(problems, filterProblems(cfg)...)
	warnings := append([]string{}, cfg.Warnings...)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p.Error())
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "%d problem(s) found\n", len(problems))
		return &exitError{code: exitFailure}
	}
	names := make([]string, len(cfg.Jails))
	for i, j := range cfg.Jails {
		names[i] = j.Name
	}
	sort.Strings(names)
	fmt.Fprintf(stdout, "configuration OK: %d jail(s) enabled%s\n", len(names), listSuffix(names))
	return nil
}

func listSuffix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}

// oneShotGC tunes the garbage collector for a short command: no collection
// until the heap reaches a soft limit far above what the command needs
// (tens of megabytes), which makes it markedly faster.
func oneShotGC() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(1 << 30)
}
