package daemon

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/logenc"
	"github.com/wardenipd/warden/internal/source"
)

// newSource builds a jail's log source from its backend.
func newSource(j *config.Jail, pos source.Positions, o Options) (lineSource, error) {
	enc := "utf-8"
	if j.LogEncoding != "" && !strings.EqualFold(j.LogEncoding, "auto") {
		enc = j.LogEncoding
	}
	e, err := logenc.Lookup(enc)
	if err != nil {
		return nil, fmt.Errorf("jail [%s]: logencoding: %w", j.Name, err)
	}
	backend := j.Backend
	if mode, ok := source.ParseMode(backend); ok {
		paths := make([]source.FilePath, len(j.LogPath))
		for i, p := range j.LogPath {
			paths[i] = source.FilePath{Pattern: p, Start: source.StartTail}
			if i < len(j.LogPathTail) && !j.LogPathTail[i] {
				// fail2ban reads a logpath from its head unless it says tail;
				// positions kept in the store avoid replays across restarts.
				paths[i].Start = source.StartHead
			}
		}
		f, err := source.NewFiles(source.FileConfig{Paths: paths, Encoding: e, Positions: pos, Clock: o.Clock, Mode: mode,
			Logger: o.Log.With("jail", j.Name)})
		if err != nil {
			return nil, fmt.Errorf("jail [%s]: %w", j.Name, err)
		}
		return f, nil
	}
	if cmd, ok := strings.CutPrefix(backend, "command:"); ok {
		c, err := source.NewCommand(source.CommandConfig{Command: strings.TrimSpace(cmd), Encoding: e, Clock: o.Clock,
			Log: o.Log.With("jail", j.Name)})
		if err != nil {
			return nil, fmt.Errorf("jail [%s]: %w", j.Name, err)
		}
		return c, nil
	}
	if backend == "gamin" {
		// fail2ban's gamin backend is gone from its own releases: inotify.
		return newSource(withBackend(j, "auto"), pos, o)
	}
	ref, err := config.ParseRef(backend)
	if err != nil || ref.Name != "systemd" {
		return nil, fmt.Errorf("jail [%s]: backend %q is not supported", j.Name, backend)
	}
	jc := source.JournalConfig{Matches: j.JournalMatch, Lookback: seconds(j.FindTime), Encoding: e, Positions: pos,
		Clock: o.Clock, Log: o.Log.With("jail", j.Name)}
	for _, a := range ref.Args {
		switch a.Key {
		case "journalflags":
			n, err := strconv.Atoi(strings.TrimSpace(a.Value))
			if err != nil {
				return nil, fmt.Errorf("jail [%s]: backend journalflags %q: not a number", j.Name, a.Value)
			}
			jc.Flags = &n
		case "journalpath":
			jc.Directory = a.Value
		case "journalfiles":
			for _, pat := range strings.Fields(a.Value) {
				m, err := filepath.Glob(pat)
				if err != nil {
					return nil, fmt.Errorf("jail [%s]: backend journalfiles %q: %w", j.Name, pat, err)
				}
				jc.Files = append(jc.Files, m...)
			}
		case "namespace":
			jc.Namespace = a.Value
		default:
			return nil, fmt.Errorf("jail [%s]: backend option %q is not known (journalflags, journalpath, journalfiles, namespace)", j.Name, a.Key)
		}
	}
	jr, err := source.NewJournal(jc)
	if err != nil {
		return nil, fmt.Errorf("jail [%s]: %w", j.Name, err)
	}
	return jr, nil
}

func withBackend(j *config.Jail, b string) *config.Jail {
	c := *j
	c.Backend = b
	return &c
}
