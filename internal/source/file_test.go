package source_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/logenc"
	"github.com/wardenipd/warden/internal/source"
)

func head(pattern string) []source.FilePath {
	return []source.FilePath{{Pattern: pattern, Start: source.StartHead}}
}

func TestFilesAppend(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "auth.log")
		writeFile(t, p, "one\ntwo\n")
		h := start(t, mode, source.FileConfig{Paths: head(p)})
		got := h.expect("one", "two")
		if got[0].Source != p || !got[0].Time.IsZero() {
			t.Errorf("line = %+v, want Source %q and no time", got[0], p)
		}
		appendFile(t, p, "three\nfour\n")
		h.expect("three", "four")
		h.end(p)
		if got, want := h.files.Paths(), []string{p}; !slices.Equal(got, want) {
			t.Errorf("Paths() = %q, want %q", got, want)
		}
		if got := h.files.Stats().Lines; got != 5 {
			t.Errorf("Stats().Lines = %d, want 5", got)
		}
	})
}

func TestFilesHeadTail(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		dir := t.TempDir()
		ph, pt := filepath.Join(dir, "head.log"), filepath.Join(dir, "tail.log")
		writeFile(t, ph, "old1\nold2\n")
		// A tail start falls after the last whole line: the unfinished
		// one is read once finished.
		writeFile(t, pt, "old1\nold2\npar")
		h := start(t, mode, source.FileConfig{Paths: []source.FilePath{
			{Pattern: ph, Start: source.StartHead},
			{Pattern: pt, Start: source.StartTail},
		}})
		h.expect("old1", "old2")
		appendFile(t, pt, "tial\nnew\n")
		h.expect("partial", "new")
		h.end(pt)
	})
}

func TestFilesTailMidLongLine(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		// No line end in the last block: reading starts after the next
		// one, the rest of that line is dropped (not counted).
		p := logPath(t, "x.log")
		writeFile(t, p, "old\n"+strings.Repeat("y", 200<<10))
		h := start(t, mode, source.FileConfig{Paths: []source.FilePath{{Pattern: p}}})
		appendFile(t, p, "yyy\nnew\n")
		h.expect("new")
		h.end(p)
		if s := h.files.Stats().Skipped; s != 0 {
			t.Errorf("Skipped = %d, want 0", s)
		}
	})
}

func TestFilesPartialLine(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "x.log")
		writeFile(t, p, "")
		h := start(t, mode, source.FileConfig{Paths: head(p)})
		appendFile(t, p, "first\nsec")
		h.expect("first")
		appendFile(t, p, "o")
		h.changed()
		appendFile(t, p, "nd\r\n")
		h.expect("second")
		h.end(p)
	})
}

func TestFilesGlobNewFile(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		dir := t.TempDir()
		a := filepath.Join(dir, "a.log")
		writeFile(t, a, "old\n")
		h := start(t, mode, source.FileConfig{Paths: []source.FilePath{{Pattern: filepath.Join(dir, "*.log")}}})
		// A file appearing later is read from its start.
		b := filepath.Join(dir, "b.log")
		writeFile(t, b, "b1\nb2\n")
		writeFile(t, filepath.Join(dir, "c.txt"), "not matched\n")
		got := h.expect("b1", "b2")
		if got[0].Source != b {
			t.Errorf("Source = %q, want %q", got[0].Source, b)
		}
		appendFile(t, a, "a1\n")
		h.expect("a1")
		if got, want := h.files.Paths(), []string{a, b}; !slices.Equal(got, want) {
			t.Errorf("Paths() = %q, want %q", got, want)
		}
		h.end(b)
	})
}

func TestFilesGlobNewDirectory(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		dir := t.TempDir()
		h := start(t, mode, source.FileConfig{Paths: []source.FilePath{{Pattern: filepath.Join(dir, "*", "*.log")}}})
		sub := filepath.Join(dir, "nginx")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(sub, "access.log")
		writeFile(t, p, "1\n")
		h.tick() // a new directory is found by the scan, then watched
		h.expect("1")
		appendFile(t, p, "2\n")
		h.expect("2")
		h.end(p)
	})
}

func TestFilesRotateRename(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "auth.log")
		writeFile(t, p, "1\n")
		h := start(t, mode, source.FileConfig{Paths: head(p)})
		h.expect("1")
		// The writer keeps its file open across the rename.
		w, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		w.WriteString("2\n")
		h.expect("2")
		w.WriteString("3\n")
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
		w.WriteString("4\n") // written before the writer reopens its log
		writeFile(t, p, "5\n")
		h.changed()
		got := h.take(2) // 3 and 5, or 3 and 4 then 5
		if got[0].Text != "3" {
			t.Fatalf("first line after rotation %q, want 3", got[0].Text)
		}
		// The old file is read until the poll after next.
		h.tick()
		w.WriteString("6 unfinished")
		h.tick()
		h.tick()
		h.tick()
		h.tick()
		h.tick() // its time is up: closed, its unfinished line sent
		got = append(got, h.take(len(h.lines))...)
		var texts []string
		for _, l := range got[1:] {
			texts = append(texts, l.Text)
		}
		slices.Sort(texts)
		if want := []string{"4", "5", "6 unfinished"}; !slices.Equal(texts, want) {
			t.Fatalf("lines after rotation %q, want %q (in any order)", texts, want)
		}
		appendFile(t, p, "7\n")
		h.expect("7")
		h.end(p)
		if r := h.files.Stats().Rotations; r != 1 {
			t.Errorf("Rotations = %d, want 1", r)
		}
	})
}

func TestFilesRotateRenameGlob(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		// auth.log* also matches the rotated file: it is followed under
		// its new name, not read again.
		p := logPath(t, "auth.log")
		writeFile(t, p, "1\n2\n")
		h := start(t, mode, source.FileConfig{Paths: head(p + "*")})
		h.expect("1", "2")
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
		appendFile(t, p+".1", "3\n")
		writeFile(t, p, "4\n")
		h.changed()
		got := h.take(2)
		texts := []string{got[0].Text, got[1].Text}
		slices.Sort(texts)
		if !slices.Equal(texts, []string{"3", "4"}) {
			t.Fatalf("lines %q, want 3 and 4", texts)
		}
		h.end(p)
		if got, want := h.files.Paths(), []string{p, p + ".1"}; !slices.Equal(got, want) {
			t.Errorf("Paths() = %q, want %q", got, want)
		}
	})
}

func TestFilesCopyTruncate(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "auth.log")
		writeFile(t, p, "1\n2\n")
		h := start(t, mode, source.FileConfig{Paths: head(p)})
		h.expect("1", "2")
		copyFile(t, p, p+".1")
		if err := os.Truncate(p, 0); err != nil {
			t.Fatal(err)
		}
		h.changed()
		appendFile(t, p, "3\n")
		h.expect("3")
		// Truncated and already longer than the old offset when looked
		// at: the first line tells.
		copyFile(t, p, p+".1")
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("a longer first line\n")
		f.Close()
		h.expect("a longer first line")
		h.end(p)
		if r := h.files.Stats().Rotations; r != 2 {
			t.Errorf("Rotations = %d, want 2", r)
		}
	})
}

func TestFilesCopyTruncateGlob(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		// auth.log* matches the copy: its lines were read already.
		p := logPath(t, "auth.log")
		writeFile(t, p, "1\n2\n")
		h := start(t, mode, source.FileConfig{Paths: head(p + "*")})
		h.expect("1", "2")
		copyFile(t, p, p+".1")
		if err := os.Truncate(p, 0); err != nil {
			t.Fatal(err)
		}
		appendFile(t, p, "3\n")
		h.expect("3")
		h.end(p)
	})
}

// copyFile copies src to dst as one rename, as a new file appears whole.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(dst), ".tmp")
	writeFile(t, tmp, string(b))
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func TestFilesDeleteRecreate(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "auth.log")
		writeFile(t, p, "1\n")
		h := start(t, mode, source.FileConfig{Paths: head(p)})
		h.expect("1")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		h.changed()
		if got := h.files.Paths(); mode == source.ModePolling && len(got) != 0 {
			t.Errorf("Paths() = %q after removal, want none", got)
		}
		writeFile(t, p, "2\n3\n")
		h.expect("2", "3")
		h.end(p)
	})
}

func TestFilesRestart(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "auth.log")
		pos := newPositions()
		writeFile(t, p, "1\n2\n")
		cfg := source.FileConfig{Paths: head(p), Positions: pos}
		h := start(t, mode, cfg)
		h.expect("1", "2")
		appendFile(t, p, "3\npar")
		h.expect("3")
		h.stop()
		s, ok := pos.get(p)
		if !ok || s.pos != 6 || s.fp == "" {
			t.Fatalf("saved %+v %v, want position 6 and a fingerprint", s, ok)
		}
		// Lines written while stopped are read, none again; the
		// logpath's tail does not apply to a known file.
		appendFile(t, p, "tial\n4\n")
		cfg.Paths = []source.FilePath{{Pattern: p, Start: source.StartTail}}
		h = start(t, mode, cfg)
		h.expect("partial", "4")
		h.end(p)
		h.stop()

		// Replaced while stopped: read from its start.
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, "new1\nnew2\n")
		h = start(t, mode, cfg)
		h.expect("new1", "new2")
		h.end(p)
		h.stop()

		// Truncated while stopped below the saved position, with the
		// same first line: read from its start.
		writeFile(t, p, "new1\n")
		h = start(t, mode, cfg)
		h.expect("new1")
		h.end(p)
	})
}

func TestFilesSavePeriodically(t *testing.T) {
	p := logPath(t, "auth.log")
	pos := newPositions()
	writeFile(t, p, "1\n")
	h := start(t, source.ModePolling, source.FileConfig{Paths: head(p), Positions: pos, SaveInterval: 3 * poll})
	h.expect("1")
	if _, ok := pos.get(p); ok {
		t.Fatal("position saved before the save interval")
	}
	appendFile(t, p, "2\n")
	h.tick()
	h.tick()
	if s, ok := pos.get(p); !ok || s.pos != 4 {
		t.Fatalf("saved %+v %v, want position 4", s, ok)
	}
	h.tick()
	h.tick()
	h.tick()
	if pos.sets != 1 {
		t.Errorf("%d saves, want 1: an unchanged position is not saved again", pos.sets)
	}
}

func TestFilesBinary(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "auth.log")
		writeFile(t, p, "")
		h := start(t, mode, source.FileConfig{Paths: head(p)})
		appendFile(t, p, "a\x00b\xff\xfe\xc3(z\n\x00\x00\n\r\n")
		got := h.expect("a\x00b\uFFFD\uFFFD\uFFFD(z", "\x00\x00", "")
		for _, l := range got {
			if !utf8.ValidString(l.Text) {
				t.Errorf("invalid UTF-8 %q", l.Text)
			}
		}
		h.end(p)
	})
}

func TestFilesEncoding(t *testing.T) {
	for _, c := range []struct {
		enc, in string
		want    []string
	}{
		{"latin-1", "caf\xe9\n\xff\n", []string{"café", "ÿ"}},
		// U+0A41 is 41 0A in UTF-16LE: its 0x0A ends no line.
		{"utf-16-le", "a\x00\x41\x0a\n\x00b\x00\r\x00\n\x00", []string{"a\u0a41", "b"}},
	} {
		t.Run(c.enc, func(t *testing.T) {
			eachMode(t, func(t *testing.T, mode source.Mode) {
				enc, err := logenc.Lookup(c.enc)
				if err != nil {
					t.Fatal(err)
				}
				p := logPath(t, "x.log")
				writeFile(t, p, "")
				h := start(t, mode, source.FileConfig{Paths: head(p), Encoding: enc})
				// In two parts: the line end is cut in the middle for UTF-16.
				appendFile(t, p, c.in[:len(c.in)-1])
				h.changed()
				appendFile(t, p, c.in[len(c.in)-1:])
				h.expect(c.want...)
			})
		})
	}
}

func TestFilesLongLine(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		p := logPath(t, "x.log")
		writeFile(t, p, "")
		h := start(t, mode, source.FileConfig{Paths: head(p), MaxLine: 1000})
		appendFile(t, p, "short\n"+strings.Repeat("x", 1000)+"\n"+strings.Repeat("y", 10_000)+"\nafter\n")
		h.expect("short", strings.Repeat("x", 1000), "after")
		// A long line written in parts.
		appendFile(t, p, strings.Repeat("z", 700))
		h.changed()
		appendFile(t, p, strings.Repeat("z", 700))
		h.changed()
		appendFile(t, p, "zz\nafter2\n")
		h.expect("after2")
		h.end(p)
		if s := h.files.Stats().Skipped; s != 2 {
			t.Errorf("Skipped = %d, want 2", s)
		}
	})
}

func TestFilesHugeLineDefaultCap(t *testing.T) {
	p := logPath(t, "x.log")
	writeFile(t, p, "")
	h := start(t, source.ModePolling, source.FileConfig{Paths: head(p)})
	appendFile(t, p, strings.Repeat("\xff", 3<<20)+"\nafter\n")
	h.expect("after")
	if s := h.files.Stats().Skipped; s != 1 {
		t.Errorf("Skipped = %d, want 1", s)
	}
}

func TestNewFilesErrors(t *testing.T) {
	for _, c := range []source.FileConfig{
		{},
		{Paths: []source.FilePath{{Pattern: ""}}},
		{Paths: []source.FilePath{{Pattern: "/var/log/[a.log"}}},
		{Paths: []source.FilePath{{Pattern: "/var/log/a.log", Start: 7}}},
		{Paths: []source.FilePath{{Pattern: "/var/log/a.log"}}, Mode: 9},
	} {
		if _, err := source.NewFiles(c); err == nil {
			t.Errorf("NewFiles(%+v) succeeded", c)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, c := range []struct {
		in   string
		want source.Mode
		ok   bool
	}{
		{"auto", source.ModeInotify, true},
		{"pyinotify", source.ModeInotify, true},
		{"polling", source.ModePolling, true},
		{"systemd", 0, false},
		{"gamin", 0, false},
	} {
		if m, ok := source.ParseMode(c.in); m != c.want || ok != c.ok {
			t.Errorf("ParseMode(%q) = %v, %v; want %v, %v", c.in, m, ok, c.want, c.ok)
		}
	}
}

func TestFilesRunOnce(t *testing.T) {
	p := logPath(t, "x.log")
	h := start(t, source.ModePolling, source.FileConfig{Paths: head(p)})
	if err := h.files.Run(t.Context(), h.lines); err == nil {
		t.Error("a second Run at the same time succeeded")
	}
}

func TestFilesMissingFile(t *testing.T) {
	eachMode(t, func(t *testing.T, mode source.Mode) {
		// A logpath with no file yet: read from its start once created.
		p := logPath(t, "later.log")
		h := start(t, mode, source.FileConfig{Paths: []source.FilePath{{Pattern: p}}})
		if got := h.files.Paths(); len(got) != 0 {
			t.Errorf("Paths() = %q, want none", got)
		}
		writeFile(t, p, "1\n")
		h.expect("1")
		h.end(p)
	})
}
