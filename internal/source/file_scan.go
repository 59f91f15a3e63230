package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// runner is the state of one Run: the files followed, by path and by
// identity, and those retired (replaced or removed under their name) that
// are still read for a while, for the lines their writer adds before it
// reopens its log.
type runner struct {
	f       *Files
	out     chan<- Line
	watcher *fsnotify.Watcher
	watched map[string]bool // directories watched

	files   map[string]*tracked
	byID    map[fileID]*tracked // files and retired
	retired []*tracked
	// failed holds the last error logged per path, to log each once.
	failed map[string]string
	dirty  map[string]bool // event scratch

	buf     []byte // read buffer, grown up to maxBuf for a long line
	fpBuf   []byte
	nl      int // length of the encoding's line end
	maxBuf  int
	changed bool // the set of paths changed: publish it
}

// fileID identifies a file across names.
type fileID struct{ dev, ino uint64 }

func identity(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true
}

const (
	readBlock = 64 << 10
	// maxEvents bounds the events taken at once before the files they
	// name are read.
	maxEvents = 1024
)

func newRunner(f *Files, out chan<- Line) *runner {
	nl := len(f.enc.Newline())
	maxBuf := f.cfg.MaxLine + nl
	maxBuf += (nl - maxBuf%nl) % nl
	return &runner{
		f: f, out: out,
		watched: map[string]bool{},
		files:   map[string]*tracked{},
		byID:    map[fileID]*tracked{},
		failed:  map[string]string{},
		dirty:   map[string]bool{},
		buf:     make([]byte, min(readBlock, maxBuf)),
		fpBuf:   make([]byte, fpMax),
		nl:      nl,
		maxBuf:  maxBuf,
	}
}

// scan globs the logpaths and looks at every file, new, known or retired.
func (r *runner) scan(ctx context.Context, initial bool) error {
	if r.watcher != nil {
		r.watch()
	}
	var paths []string
	starts := map[string]Start{}
	for _, p := range r.f.cfg.Paths {
		m, _ := filepath.Glob(p.Pattern) // the pattern was checked
		for _, path := range m {
			if _, ok := starts[path]; !ok {
				starts[path] = p.Start
				paths = append(paths, path)
			}
		}
	}
	for path := range r.files {
		if _, ok := starts[path]; !ok {
			paths = append(paths, path)
		}
	}
	for _, path := range paths {
		if err := r.check(ctx, path, starts[path], initial); err != nil {
			return err
		}
	}
	if err := r.readRetired(ctx); err != nil {
		return err
	}
	r.publish()
	return nil
}

// handleEvents takes ev and the events already waiting, then looks at
// each file they name.
func (r *runner) handleEvents(ctx context.Context, ev fsnotify.Event, events <-chan fsnotify.Event) error {
	clear(r.dirty)
	r.event(ev)
more:
	for range maxEvents {
		select {
		case ev, ok := <-events:
			if !ok {
				break more
			}
			r.event(ev)
		default:
			break more
		}
	}
	for path := range r.dirty {
		if err := r.check(ctx, path, StartHead, false); err != nil {
			return err
		}
	}
	r.publish()
	return nil
}

func (r *runner) event(ev fsnotify.Event) {
	if r.watched[ev.Name] && ev.Has(fsnotify.Remove|fsnotify.Rename) {
		// The directory went away; the next scan watches it again
		// once it is back.
		delete(r.watched, ev.Name)
		return
	}
	if r.files[ev.Name] != nil || r.matches(ev.Name) {
		r.dirty[ev.Name] = true
	}
}

func (r *runner) matches(path string) bool {
	for _, p := range r.f.cfg.Paths {
		if ok, _ := filepath.Match(p.Pattern, path); ok {
			return true
		}
	}
	return false
}

// watch adds an inotify watch on each directory that may hold a logpath's
// files. A directory that cannot be watched (missing, or no watches
// left) is polled meanwhile, as every file is at each scan.
func (r *runner) watch() {
	for _, p := range r.f.cfg.Paths {
		dir := filepath.Dir(p.Pattern)
		dirs := []string{dir}
		if hasMeta(dir) {
			dirs, _ = filepath.Glob(dir)
		}
		for _, d := range dirs {
			if r.watched[d] {
				continue
			}
			if err := r.watcher.Add(d); err != nil {
				r.logOnce(d, "watch directory", err)
				continue
			}
			delete(r.failed, d)
			r.watched[d] = true
		}
	}
}

func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[\`) }

// check looks at path: it reads what was appended to its file, follows
// the file that replaced it, or retires it when it is gone. start and
// initial decide where a file met for the first time is read from.
func (r *runner) check(ctx context.Context, path string, start Start, initial bool) error {
	t := r.files[path]
	fi, err := os.Stat(path)
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist) && fi == nil:
		// Not known to be gone (a directory's permissions...): an open
		// file is still read.
		r.logOnce(path, "stat log file", err)
		if t != nil {
			return r.read(ctx, t)
		}
		return nil
	case err != nil:
		if t != nil {
			r.f.cfg.Logger.Info("log file gone (rotated?)", "path", path)
			return r.retire(ctx, t)
		}
		return nil
	}
	id, _ := identity(fi)
	if t != nil && t.id == id {
		return r.follow(ctx, t, fi.Size())
	}
	if t != nil {
		r.f.cfg.Logger.Info("log file replaced (rotated)", "path", path)
		if err := r.retire(ctx, t); err != nil {
			return err
		}
	}
	if o := r.byID[id]; o != nil {
		return r.adopt(ctx, o, path, fi.Size())
	}
	t, err = r.open(path, start, initial)
	if err != nil {
		r.logOnce(path, "open log file", err)
		return nil
	}
	delete(r.failed, path)
	r.files[path] = t
	r.byID[t.id] = t
	r.changed = true
	return r.read(ctx, t)
}

// adopt follows under path the file o that was followed under another
// name (renamed: x.log became x.log.1 and both match a glob).
func (r *runner) adopt(ctx context.Context, o *tracked, path string, size int64) error {
	if cur := r.files[o.path]; cur == o {
		if fi, err := os.Stat(o.path); err == nil {
			if id, _ := identity(fi); id == o.id {
				return nil // one file under two names: followed once
			}
		}
		delete(r.files, o.path)
	} else {
		r.retired = slices.DeleteFunc(r.retired, func(x *tracked) bool { return x == o })
	}
	o.path, o.dirty = path, true
	r.files[path] = o
	r.changed = true
	return r.follow(ctx, o, size)
}

// retire reads t to its end and keeps it open a while, for the lines its
// writer adds before reopening its log by name.
func (r *runner) retire(ctx context.Context, t *tracked) error {
	r.f.rotations.Add(1)
	delete(r.files, t.path)
	r.changed = true
	t.until = r.f.cfg.Clock.Now().Add(retireFor(r.f.cfg.PollInterval))
	r.retired = append(r.retired, t)
	return r.read(ctx, t)
}

// retireFor is how long a retired file is still read.
func retireFor(poll time.Duration) time.Duration { return max(2*poll, 5*time.Second) }

// readRetired reads the retired files and closes those whose time is
// up, sending a last line left without its line end.
func (r *runner) readRetired(ctx context.Context) error {
	now := r.f.cfg.Clock.Now()
	keep := r.retired[:0]
	for i, t := range r.retired {
		if err := r.read(ctx, t); err != nil {
			keep = append(keep, r.retired[i:]...)
			r.retired = keep
			return err
		}
		if now.Before(t.until) {
			keep = append(keep, t)
			continue
		}
		if err := r.flush(ctx, t); err != nil {
			keep = append(keep, r.retired[i:]...)
			r.retired = keep
			return err
		}
		r.closeFile(t)
	}
	clear(r.retired[len(keep):])
	r.retired = keep
	return nil
}

func (r *runner) closeFile(t *tracked) {
	t.file.Close()
	if r.byID[t.id] == t {
		delete(r.byID, t.id)
	}
}

func (r *runner) publish() {
	if !r.changed {
		return
	}
	r.changed = false
	paths := make([]string, 0, len(r.files))
	for p := range r.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	r.f.setPaths(paths)
}

func (r *runner) logOnce(path, what string, err error) {
	msg := err.Error()
	if r.failed[path] == msg {
		return
	}
	r.failed[path] = msg
	r.f.cfg.Logger.Warn(what, "path", path, "err", err)
}

// save records the positions of the files that moved.
func (r *runner) save() {
	p := r.f.cfg.Positions
	if p == nil {
		return
	}
	for _, t := range r.files {
		if !t.dirty {
			continue
		}
		if err := p.SetPosition(t.path, t.pos, t.fp); err != nil {
			r.f.cfg.Logger.Warn("save log position", "path", t.path, "err", err)
			continue
		}
		t.dirty = false
	}
}

// stop saves the positions; Run returns its result.
func (r *runner) stop() error {
	r.save()
	return nil
}

func (r *runner) close() {
	if r.watcher != nil {
		r.watcher.Close()
	}
	for _, t := range r.files {
		t.file.Close()
	}
	for _, t := range r.retired {
		t.file.Close()
	}
	r.f.setPaths(nil)
}
