package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/daemon"
	"github.com/wardenipd/warden/internal/filter"
)

const (
	defaultConfigDir = "/etc/warden"
	compatVersion    = config.CompatVersion
)

// configFlags are the options of the config subcommands.
type configFlags struct {
	dir    string
	jail   string
	asJSON bool
}

func (f *configFlags) register(cmd *cobra.Command, jsonHelp string) {
	cmd.Flags().StringVarP(&f.dir, "config", "c", "", "configuration directory (default $WARDEN_CONFIG, else "+defaultConfigDir+", over the built-in defaults)")
	cmd.Flags().StringVar(&f.jail, "jail", "", "resolve only this jail, as if it were enabled")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, jsonHelp)
	_ = cmd.MarkFlagDirname("config")
}

func newConfigCmd(s settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check or print the configuration",
		Long: `Check or print the configuration: the directory given with --config
(default /etc/warden) laid over Warden's built-in defaults, in fail2ban's
configuration dialect (see warden-jail.conf(5)).`,
		Args: noSubcommandArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(newConfigCheckCmd(s), newConfigDumpCmd(s))
	return cmd
}

func newConfigCheckCmd(s settings) *cobra.Command {
	var f configFlags
	cmd := &cobra.Command{
		Use:   "check [--config DIR] [--json]",
		Short: "Check the configuration; list problems as FILE:LINE: message",
		Long: `Load the configuration as the daemon would, compile every enabled jail's
filter, and report each problem as FILE:LINE: message on standard error, at
the place where it was written. Exits 0 when the configuration loads, 1 when
there is a problem. Log paths that match no file are warnings.

With --json, the report is one JSON object on standard output:
{"ok", "dir", "jails": [names], "problems": [{"file", "line", "jail",
"message", "error"}], "warnings": [...]}.`,
		Example: `  warden config check
  warden config check --config /etc/fail2ban
  warden config check --json | jq .problems`,
		Args: argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			oneShotGC()
			cfg, dir, err := loadConfig(s, f.dir, f.jail, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return configCheck(cfg, dir, f.asJSON, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.register(cmd, "print the report as JSON on standard output")
	return cmd
}

func newConfigDumpCmd(s settings) *cobra.Command {
	var f configFlags
	cmd := &cobra.Command{
		Use:   "dump [--config DIR] [--jail NAME]",
		Short: "Print the resolved enabled jails as JSON",
		Long: `Print the enabled jails, fully resolved, as JSON:
{"jails": [{"name", "filter", "failregex", "ignoreregex", "logpath",
"backend", "maxretry", "findtime", "bantime" (seconds), "ignoreip",
"actions": [{"name", "file", "native", "params"}], ...}]}.
failregex is as fail2ban-client -d prints it: after interpolation, before
<HOST> expansion. A jail with a problem is left out, never printed with
made-up values: its problems go to standard error and the exit status is 1.
JSON is the only format so far; --json is accepted for clarity.`,
		Example: `  warden config dump --config /etc/fail2ban --jail sshd`,
		Args:    argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			oneShotGC()
			cfg, dir, err := loadConfig(s, f.dir, f.jail, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return configDump(cfg, dir, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.register(cmd, "print JSON (the only format so far)")
	return cmd
}

// hideSecrets returns j with the values of its actions' secret
// parameters (an API key, a token, a password: not the files holding
// them) replaced by "[hidden]" wherever they appear, in commands too.
func hideSecrets(j *config.Jail) *config.Jail {
	c := *j
	c.Actions = make([]config.Action, len(j.Actions))
	for i, a := range j.Actions {
		var secrets []string
		for k, v := range a.Params {
			lk := strings.ToLower(k)
			if s, ok := v.(string); ok && strings.TrimSpace(s) != "" && !strings.HasSuffix(lk, "_file") &&
				(strings.Contains(lk, "apikey") || strings.Contains(lk, "token") || strings.Contains(lk, "password") || strings.Contains(lk, "secret")) {
				secrets = append(secrets, s)
			}
		}
		a.Params = maps.Clone(a.Params)
		for k, v := range a.Params {
			if s, ok := v.(string); ok {
				for _, sec := range secrets {
					s = strings.ReplaceAll(s, sec, "[hidden]")
				}
				a.Params[k] = s
			}
		}
		c.Actions[i] = a
	}
	return &c
}

// configDump prints the valid enabled jails; problems go to stderr.
func configDump(cfg *config.Config, dir string, stdout, stderr io.Writer) error {
	problems := allProblems(cfg, dir)
	for _, p := range problems {
		fmt.Fprintln(stderr, p.Error())
	}
	invalid := map[string]bool{}
	for _, p := range problems {
		if p.Jail != "" {
			invalid[p.Jail] = true
		}
	}
	jails := []*config.Jail{}
	for _, j := range cfg.Jails {
		if !invalid[j.Name] {
			jails = append(jails, hideSecrets(j))
		}
	}
	if err := printJSON(stdout, struct {
		Jails []*config.Jail `json:"jails"`
	}{Jails: jails}); err != nil {
		return err
	}
	if len(problems) > 0 {
		return &exitError{code: exitFailure}
	}
	return nil
}

// loadConfig loads dir, or the default directory of s, which may be
// absent: then the built-in defaults alone are used, and a warning says so.
// It returns the directory used ("" for the built-in defaults alone).
func loadConfig(s settings, dir, jail string, stderr io.Writer) (*config.Config, string, error) {
	explicit := dir != ""
	if !explicit {
		dir = s.configDir
	}
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return nil, "", fmt.Errorf("configuration directory %s is not a directory", dir)
	case errors.Is(err, fs.ErrNotExist) && explicit:
		return nil, "", fmt.Errorf("configuration directory %s does not exist", dir)
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stderr, "warning: configuration directory %s does not exist: using the built-in defaults alone (create it, or give --config DIR)\n", dir)
		dir = ""
	case err != nil:
		return nil, "", fmt.Errorf("read configuration directory: %w", err)
	}
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
	}
	cfg, err := config.Load(config.Options{Dir: dir, OnlyJail: jail})
	if err != nil {
		return nil, "", fmt.Errorf("load configuration: %w", err)
	}
	return cfg, dir, nil
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
		e := &config.Error{Msg: fmt.Sprintf("jail [%s]: %v", j.Name, err), Jail: j.Name}
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

// actionProblems are the enabled jails' actions that cannot run as
// configured, at the jail's section.
func actionProblems(cfg *config.Config, dir string) config.Errors {
	var out config.Errors
	for _, j := range cfg.Jails {
		for _, err := range daemon.CheckActions(j, dir) {
			e := &config.Error{Msg: err.Error(), Jail: j.Name}
			if i := strings.LastIndexByte(j.Source, ':'); i > 0 {
				e.File = j.Source[:i]
				e.Line, _ = strconv.Atoi(j.Source[i+1:])
			}
			out = append(out, e)
		}
	}
	return out
}

// allProblems are the configuration's problems, its filters' and its
// actions'.
func allProblems(cfg *config.Config, dir string) config.Errors {
	return append(append(append(config.Errors{}, cfg.Problems...), filterProblems(cfg)...), actionProblems(cfg, dir)...)
}

// checkReport is what config check --json prints.
type checkReport struct {
	OK       bool           `json:"ok"`
	Dir      string         `json:"dir"`     // "" for the built-in defaults alone
	Jails    []string       `json:"jails"`   // enabled jails without problems
	Invalid  []string       `json:"invalid"` // jails with problems
	Problems []checkProblem `json:"problems"`
	Warnings []string       `json:"warnings"`
}

type checkProblem struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Jail    string `json:"jail,omitempty"`
	Message string `json:"message"`
	Error   string `json:"error"` // FILE:LINE: message, as printed without --json
}

func configCheck(cfg *config.Config, dir string, asJSON bool, stdout, stderr io.Writer) error {
	problems := allProblems(cfg, dir)
	names := make([]string, len(cfg.Jails))
	for i, j := range cfg.Jails {
		names[i] = j.Name
	}
	sort.Strings(names)
	if asJSON {
		rep := checkReport{OK: len(problems) == 0, Dir: dir, Jails: []string{}, Invalid: append([]string{}, cfg.Invalid...),
			Problems: []checkProblem{}, Warnings: append([]string{}, cfg.Warnings...)}
		for _, p := range problems {
			if p.Jail != "" && !slices.Contains(rep.Invalid, p.Jail) {
				rep.Invalid = append(rep.Invalid, p.Jail)
			}
			msg := p.Msg
			if p.Err != nil {
				msg += ": " + p.Err.Error()
			}
			rep.Problems = append(rep.Problems, checkProblem{File: p.File, Line: p.Line, Jail: p.Jail, Message: msg, Error: p.Error()})
		}
		for _, n := range names {
			if !slices.Contains(rep.Invalid, n) {
				rep.Jails = append(rep.Jails, n)
			}
		}
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
		if !rep.OK {
			return &exitError{code: exitFailure}
		}
		return nil
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p.Error())
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "%d problem(s) found\n", len(problems))
		return &exitError{code: exitFailure}
	}
	where := "built-in defaults"
	if dir != "" {
		where = dir + " over the built-in defaults"
	}
	_, err := fmt.Fprintf(stdout, "configuration OK (%s): %d jail(s) enabled%s\n", where, len(names), listSuffix(names))
	return err
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
