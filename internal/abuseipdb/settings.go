package abuseipdb

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// KeyEnv is the environment variable the key is read from when the
// action's parameters give neither abuseipdb_apikey_file nor
// abuseipdb_apikey.
const KeyEnv = "WARDEN_ABUSEIPDB_KEY"

// maxKeyFile bounds what is read of a key file.
const maxKeyFile = 4096

// Settings are a native abuseipdb action's parameters, as the daemon and
// the command line read them from the configuration.
type Settings struct {
	Key     string // never to be shown
	KeyFrom string // where the key came from, for messages: "abuseipdb_apikey_file /etc/warden/abuseipdb.key"...
	// KeyFileReadableByAll warns of a key file every user may read.
	KeyFileReadableByAll bool
	URL                  string // the API's base URL (abuseipdb_url; default DefaultBaseURL)
	Categories           []int  // abuseipdb_category: numbers or names
	HideUsers            bool   // abuseipdb_hide_users: user names in comments replaced
	// BanScore, when above 0, bans an address at its first failure when
	// its abuseConfidenceScore reaches it (abuseipdb_ban_score).
	BanScore int
	// CheckDays is the maxAgeInDays of those checks (abuseipdb_check_days,
	// default 30).
	CheckDays int
	// BlacklistScore, when above 0, imports AbuseIPDB's blacklist of
	// addresses scoring at least this (abuseipdb_blacklist_score, 25-100;
	// only subscribers get below 100) into a firewall set of its own,
	// every BlacklistInterval (abuseipdb_blacklist_interval, default 1d),
	// for IPv4, IPv6 or both (abuseipdb_blacklist_ipversion: 4, 6, "").
	BlacklistScore     int
	BlacklistIPVersion int
	BlacklistInterval  time.Duration
}

// SettingsFromParams reads the parameters of an abuseipdb action. The key
// comes from abuseipdb_apikey_file (relative to configDir), else
// abuseipdb_apikey, else the environment variable KeyEnv (getenv; nil:
// none). A missing key is ErrNoKey. No error holds the key.
func SettingsFromParams(params map[string]string, configDir string, getenv func(string) string) (Settings, error) {
	var s Settings
	get := func(k string) string { return strings.TrimSpace(params[k]) }
	switch {
	case get("abuseipdb_apikey_file") != "":
		p := get("abuseipdb_apikey_file")
		if !filepath.IsAbs(p) && configDir != "" {
			p = filepath.Join(configDir, p)
		}
		k, all, err := ReadKeyFile(p)
		if err != nil {
			return s, fmt.Errorf("abuseipdb_apikey_file: %w", err)
		}
		s.Key, s.KeyFrom, s.KeyFileReadableByAll = k, "abuseipdb_apikey_file "+p, all
	case get("abuseipdb_apikey") != "":
		s.Key, s.KeyFrom = get("abuseipdb_apikey"), "abuseipdb_apikey"
	case getenv != nil && strings.TrimSpace(getenv(KeyEnv)) != "":
		s.Key, s.KeyFrom = strings.TrimSpace(getenv(KeyEnv)), "$"+KeyEnv
	default:
		return s, ErrNoKey
	}
	if err := CheckKey(s.Key); err != nil {
		return s, fmt.Errorf("%s: %w", s.KeyFrom, err)
	}
	s.URL = get("abuseipdb_url")
	if s.URL == "" {
		s.URL = DefaultBaseURL
	}
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return s, fmt.Errorf("abuseipdb_url %q: not an http or https URL", s.URL)
	}
	if c := get("abuseipdb_category"); c != "" {
		cats, err := ParseCategories(c)
		if err != nil {
			return s, fmt.Errorf("abuseipdb_category: %w", err)
		}
		s.Categories = cats
	}
	if len(s.Categories) == 0 {
		return s, errors.New("abuseipdb_category: no category (e.g. 18,22: brute force, SSH)")
	}
	var err error
	if s.HideUsers, err = boolParam(get("abuseipdb_hide_users")); err != nil {
		return s, fmt.Errorf("abuseipdb_hide_users: %w", err)
	}
	for _, p := range []struct {
		name string
		to   *int
		def  int
		max  int
	}{{"abuseipdb_ban_score", &s.BanScore, 0, 100}, {"abuseipdb_check_days", &s.CheckDays, 30, 365}} {
		*p.to = p.def
		v := get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > p.max {
			return s, fmt.Errorf("%s = %q: want a whole number from 0 to %d", p.name, v, p.max)
		}
		*p.to = n
	}
	if v := get("abuseipdb_blacklist_score"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n != 0 && (n < 25 || n > 100) {
			return s, fmt.Errorf("abuseipdb_blacklist_score = %q: want 0 (off) or 25 to 100", v)
		}
		s.BlacklistScore = n
	}
	switch v := get("abuseipdb_blacklist_ipversion"); v {
	case "":
	case "4", "6":
		s.BlacklistIPVersion = int(v[0] - '0')
	default:
		return s, fmt.Errorf("abuseipdb_blacklist_ipversion = %q: want 4, 6 or nothing (both)", v)
	}
	s.BlacklistInterval = 24 * time.Hour
	if v := get("abuseipdb_blacklist_interval"); v != "" {
		d, err := parseInterval(v)
		if err != nil || d < time.Hour {
			return s, fmt.Errorf("abuseipdb_blacklist_interval = %q: want a time of at least 1h (the blacklist endpoint allows 5 calls a day on the free plan)", v)
		}
		s.BlacklistInterval = d
	}
	return s, nil
}

// parseInterval reads a Go duration ("12h") or fail2ban's seconds and
// simple units ("86400", "1d", "12h").
func parseInterval(v string) (time.Duration, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return d, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	if n, err := strconv.Atoi(strings.TrimSuffix(v, "d")); err == nil && strings.HasSuffix(v, "d") {
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("%q is not a time", v)
}

// ErrNoKey is returned when an abuseipdb action has no key.
var ErrNoKey = errors.New("no AbuseIPDB key: set abuseipdb_apikey_file (a file holding the key) or abuseipdb_apikey, or $" + KeyEnv)

func boolParam(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false", "no", "off", "0":
		return false, nil
	case "true", "yes", "on", "1":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a boolean", v)
}

// ReadKeyFile reads an API key from the first line of a file that is not
// blank, and tells
// whether every user may read the file (worth a warning). No error holds
// the key.
func ReadKeyFile(path string) (key string, readableByAll bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o004 != 0 {
		readableByAll = true
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return "", readableByAll, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return "", readableByAll, fmt.Errorf("%s: larger than %d bytes: not a key", path, maxKeyFile)
	}
	for line := range strings.Lines(string(b)) {
		if key = strings.TrimSpace(line); key != "" {
			break
		}
	}
	if key == "" {
		return "", readableByAll, fmt.Errorf("%s is empty", path)
	}
	return key, readableByAll, nil
}

// CheckKey refuses a key that cannot be sent as a header value, without
// saying what it is.
func CheckKey(key string) error {
	for _, r := range key {
		if r <= ' ' || r >= 0x7f {
			return errors.New("not a key: it holds white space, a control or a non-ASCII character")
		}
	}
	return nil
}
