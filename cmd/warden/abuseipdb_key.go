package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/abuseipdb"
	"github.com/wardenipd/warden/internal/config"
)

// officialAPIURL is AbuseIPDB's API v2, used when neither --url nor the
// configuration's abuseipdb_url says otherwise.
const officialAPIURL = abuseipdb.DefaultBaseURL

// apiFlags are the options of the commands that call the API: where the
// key and the URL come from.
type apiFlags struct {
	dir     string
	jail    string
	keyFile string
	url     string
	timeout time.Duration
}

func (f *apiFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.dir, "config", "c", "", "configuration directory whose abuseipdb action gives the key and URL (default $WARDEN_CONFIG, else "+defaultConfigDir+")")
	fl.StringVar(&f.jail, "jail", "", "take the key and URL from this jail's abuseipdb action")
	fl.StringVar(&f.keyFile, "key-file", "", "file holding the API key (instead of the configuration's)")
	fl.StringVar(&f.url, "url", "", "API base URL (default the configuration's abuseipdb_url, else "+officialAPIURL+")")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up on a request after this long")
	_ = cmd.MarkFlagDirname("config")
	_ = cmd.MarkFlagFilename("key-file")
}

// apiSettings say how to reach the API. The key is never printed: from
// says where it was found, for messages.
type apiSettings struct {
	key  string
	from string // "--key-file /etc/warden/abuseipdb.key", "jail [sshd] (abuseipdb_apikey)", ...
	url  string
}

// abuseAction is the abuseipdb action found in the configuration: its
// parameters and where they are.
type abuseAction struct {
	params map[string]any
	where  string // "jail [sshd]" or "action.d/abuseipdb [Init]"
}

// resolve finds the key and the URL: the key from --key-file, else from the
// abuseipdb action of the configuration (the first enabled jail using it,
// or --jail's; without one, action.d/abuseipdb.conf and .local's [Init]),
// its abuseipdb_apikey_file before its abuseipdb_apikey; the URL from --url,
// else that action's abuseipdb_url, else the official one.
func (f *apiFlags) resolve(s settings, stderr io.Writer) (apiSettings, error) {
	var a apiSettings
	var act *abuseAction
	var confDir string
	if f.keyFile == "" || f.url == "" || f.jail != "" {
		var err error
		act, confDir, err = f.findAction(s, stderr)
		if err != nil {
			return a, err
		}
	}
	switch {
	case f.keyFile != "":
		key, err := readKeyFile(f.keyFile, stderr)
		if err != nil {
			return a, err
		}
		a.key, a.from = key, "--key-file "+f.keyFile
	case act == nil && os.Getenv(abuseipdb.KeyEnv) != "":
		a.key, a.from = strings.TrimSpace(os.Getenv(abuseipdb.KeyEnv)), "$"+abuseipdb.KeyEnv
	case act == nil:
		return a, errors.New("no AbuseIPDB key: give --key-file FILE, or --config DIR with the abuseipdb action configured, or set $" + abuseipdb.KeyEnv)
	default:
		if p := param(act.params, "abuseipdb_apikey_file"); p != "" {
			if !filepath.IsAbs(p) && confDir != "" {
				p = filepath.Join(confDir, p)
			}
			key, err := readKeyFile(p, stderr)
			if err != nil {
				return a, fmt.Errorf("%s abuseipdb_apikey_file: %w", act.where, err)
			}
			a.key, a.from = key, act.where+" (abuseipdb_apikey_file "+p+")"
		} else if k := strings.TrimSpace(param(act.params, "abuseipdb_apikey")); k != "" {
			a.key, a.from = k, act.where+" (abuseipdb_apikey)"
		} else if k := strings.TrimSpace(os.Getenv(abuseipdb.KeyEnv)); k != "" {
			// As the daemon: the environment when the action names no key.
			a.key, a.from = k, "$"+abuseipdb.KeyEnv
		} else {
			return a, fmt.Errorf("no AbuseIPDB key: %s sets neither abuseipdb_apikey_file nor abuseipdb_apikey (or give --key-file FILE)", act.where)
		}
	}
	if err := abuseipdb.CheckKey(a.key); err != nil {
		return a, fmt.Errorf("the AbuseIPDB key from %s: %w", a.from, err)
	}
	a.url = officialAPIURL
	urlFrom := ""
	switch {
	case f.url != "":
		a.url, urlFrom = f.url, "--url"
	case act != nil && strings.TrimSpace(param(act.params, "abuseipdb_url")) != "":
		a.url, urlFrom = strings.TrimSpace(param(act.params, "abuseipdb_url")), act.where+" abuseipdb_url"
	}
	if err := checkURL(a.url); err != nil {
		// The URL is the user's own text; should it hold the key (a
		// ?key= query), the caller's redaction hides it.
		return a, fmt.Errorf("%s %q: %w", urlFrom, a.url, err)
	}
	return a, nil
}

// findAction loads the configuration and returns the abuseipdb action whose
// parameters give the key and URL, or nil when the default configuration
// directory does not exist and --key-file makes it unneeded. It also
// returns the configuration directory ("" for the built-in defaults).
func (f *apiFlags) findAction(s settings, stderr io.Writer) (*abuseAction, string, error) {
	dir := f.dir
	if dir == "" {
		dir = s.configDir
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && f.jail == "" {
			if f.keyFile != "" {
				return nil, "", nil
			}
			return nil, "", fmt.Errorf("no AbuseIPDB key: the configuration directory %s does not exist; give --key-file FILE or --config DIR", dir)
		}
	}
	cfg, dir, err := loadConfig(s, dir, f.jail, stderr)
	if err != nil {
		return nil, "", err
	}
	var found []abuseAction
	for _, j := range cfg.Jails {
		for _, a := range j.Actions {
			if a.Native == "abuseipdb" {
				found = append(found, abuseAction{params: a.Params, where: "jail [" + j.Name + "]"})
				break
			}
		}
	}
	if f.jail != "" && len(found) == 0 {
		for _, inv := range cfg.Invalid {
			if inv == f.jail {
				return nil, "", fmt.Errorf("jail [%s] has configuration problems (warden config check --jail %s)", f.jail, f.jail)
			}
		}
		return nil, "", fmt.Errorf("jail [%s] has no abuseipdb action", f.jail)
	}
	if len(found) > 0 {
		for _, o := range found[1:] {
			if !sameAPI(found[0].params, o.params) {
				fmt.Fprintf(stderr, "warning: %s and %s give different AbuseIPDB keys or URLs: using %s's (choose with --jail)\n", found[0].where, o.where, found[0].where)
				break
			}
		}
		return &found[0], dir, nil
	}
	act, err := initAction(dir)
	if err != nil {
		return nil, "", err
	}
	return act, dir, nil
}

// probeJail is the name of the jail initAction adds to read the abuseipdb
// action's [Init] as the configuration resolves it.
const probeJail = "warden-abuseipdb-cli"

// initAction resolves the abuseipdb action as a jail using it without
// arguments would see it: action.d/abuseipdb.conf, .local and
// abuseipdb.d/, over the built-in defaults. It does so by loading dir with
// one more jail, in a layer of its own under the user's files.
func initAction(dir string) (*abuseAction, error) {
	probe := fstest.MapFS{"jail.d/" + probeJail + ".conf": {
		Data: []byte("[" + probeJail + "]\nfilter =\nlogpath = /dev/null\naction = abuseipdb\n"),
		Mode: 0o644,
	}}
	cfg, err := config.Load(config.Options{Dir: dir, Builtin: overlayFS{base: config.Builtin(), top: probe}, OnlyJail: probeJail})
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	for _, j := range cfg.Jails {
		for _, a := range j.Actions {
			if a.Native == "abuseipdb" {
				return &abuseAction{params: a.Params, where: "action.d/abuseipdb [Init]"}, nil
			}
		}
	}
	if len(cfg.Problems) > 0 {
		return nil, fmt.Errorf("cannot read the abuseipdb action: %w", cfg.Problems[0])
	}
	return nil, errors.New("no abuseipdb action in the configuration")
}

// overlayFS is base with the files of top added.
type overlayFS struct {
	base fs.FS
	top  fstest.MapFS
}

func (o overlayFS) Open(name string) (fs.File, error) {
	if _, ok := o.top[name]; ok {
		return o.top.Open(name)
	}
	return o.base.Open(name)
}

// ReadDir lists a directory of either, as one.
func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	base, berr := fs.ReadDir(o.base, name)
	top, terr := fs.ReadDir(o.top, name)
	if berr != nil && terr != nil {
		return nil, berr
	}
	seen := map[string]bool{}
	var out []fs.DirEntry
	for _, e := range append(top, base...) {
		if !seen[e.Name()] {
			seen[e.Name()] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// param is an action parameter as text.
func param(p map[string]any, name string) string {
	switch v := p[name].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// sameAPI tells whether two actions send with the same key and URL.
func sameAPI(a, b map[string]any) bool {
	for _, k := range []string{"abuseipdb_apikey", "abuseipdb_apikey_file", "abuseipdb_url"} {
		if strings.TrimSpace(param(a, k)) != strings.TrimSpace(param(b, k)) {
			return false
		}
	}
	return true
}

// readKeyFile reads a key file: one line, surrounding white space ignored.
// Its content is never part of an error. A file every user may read is
// worth a warning: the point of a key file is to keep the key from them.
func readKeyFile(path string, stderr io.Writer) (string, error) {
	key, all, err := abuseipdb.ReadKeyFile(path)
	if all {
		fmt.Fprintf(stderr, "warning: the key file %s is readable by every user (chmod o-r %s)\n", path, path)
	}
	if errors.Is(err, fs.ErrPermission) {
		return "", fmt.Errorf("read key file (run as root, or give --key-file FILE): %w", err)
	}
	if err != nil {
		return "", fmt.Errorf("read key file: %w", err)
	}
	return key, nil
}

// checkURL accepts an absolute http or https URL.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http:// or https:// URL")
	}
	return nil
}

// redactKey hides the key in an error's text, should it be there: errors
// pass on what servers, proxies and the user's own URL said.
func redactKey(err error, key string) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	var ue *usageError
	var ee *exitError
	if errors.As(err, &ue) || errors.As(err, &ee) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), key, "[key]"))
}
