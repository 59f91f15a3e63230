package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"time"
	"unsafe"
)

// tracked is a file being followed.
type tracked struct {
	path string
	file *os.File
	id   fileID
	size int64 // the size at the last look
	pos  int64 // just after the last whole line: where a restart resumes
	off  int64 // the next byte to read
	// carry holds the bytes read past pos that make no whole line yet;
	// while discarding, only the last bytes of an incomplete code unit.
	carry []byte
	// discard drops the bytes up to the next line end: a line longer than
	// MaxLine (long), or the rest of a line a tail start fell into.
	discard, long bool
	// fp is the fingerprint of the file's start (its first line), fpLen
	// the bytes it covers; "" while the first line is incomplete. prevFP
	// is the one before the file was truncated.
	fp, prevFP string
	fpLen      int
	dirty      bool      // pos or fp changed since the last save
	until      time.Time // retired: read until then
}

// fpMax bounds the bytes of a fingerprint: a first line longer than that
// is fingerprinted by its first fpMax bytes.
const fpMax = 4096

// open opens path, a file met for the first time, and sets where to read
// it from.
func (r *runner) open(path string, start Start, initial bool) (*tracked, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	id, _ := identity(fi)
	t := &tracked{path: path, file: file, id: id, size: fi.Size(), dirty: true}
	r.fingerprint(t)
	switch {
	case initial:
		r.startInitial(t, start)
	case t.fp != "" && r.isCopy(t):
		// copytruncate's copy of a file followed here, under a name a
		// glob matches: its lines were read from the original.
		r.f.cfg.Logger.Info("log file is a copy of a followed one, reading new lines only", "path", path)
		r.startTail(t)
	}
	return t, nil
}

// startInitial sets where a file met when Run starts is read from.
func (r *runner) startInitial(t *tracked, start Start) {
	if p := r.f.cfg.Positions; p != nil {
		pos, fp, ok, err := p.Position(t.path)
		switch {
		case err != nil:
			r.f.cfg.Logger.Warn("read saved log position", "path", t.path, "err", err)
		case ok && pos >= 0 && pos <= t.size && pos%int64(r.nl) == 0 && (fp == "" || fp == t.fp):
			t.pos, t.off, t.dirty = pos, pos, fp != t.fp
			return
		case ok:
			r.f.cfg.Logger.Info("log file replaced while stopped, reading it from its start", "path", t.path)
			return
		}
	}
	if start == StartTail {
		r.startTail(t)
	}
}

// startTail starts t after its last whole line. A last line without its
// line end is read when it is finished; when no line end is found in
// the last block, reading starts at the next line end.
func (r *runner) startTail(t *tracked) {
	size := t.size
	n := min(size, int64(len(r.buf)))
	from := size - n
	from += (int64(r.nl) - from%int64(r.nl)) % int64(r.nl)
	k, _ := t.file.ReadAt(r.buf[:size-from], from)
	if end := r.f.enc.LastLineEnd(r.buf[:k], 0); end > 0 {
		t.pos, t.off = from+int64(end), from+int64(end)
		return
	}
	if from == 0 {
		return // one line, not yet finished
	}
	t.off = size - size%int64(r.nl)
	t.pos, t.discard, t.dirty = t.off, true, false
}

// isCopy tells whether t has the fingerprint of another file followed,
// or of what it held before it was truncated, under another name.
func (r *runner) isCopy(t *tracked) bool {
	for _, o := range r.byID {
		if o != t && o.path != t.path && (o.fp == t.fp || o.prevFP == t.fp) {
			return true
		}
	}
	return false
}

// follow reads what was appended to t, whose file now has size bytes,
// starting over when the file was truncated (copytruncate).
func (r *runner) follow(ctx context.Context, t *tracked, size int64) error {
	if size == t.size && size <= t.off {
		return nil
	}
	t.size = size
	if size < t.off || (t.fp != "" && !r.sameStart(t)) {
		r.f.cfg.Logger.Info("log file truncated (rotated), reading it from its start", "path", t.path)
		r.f.rotations.Add(1)
		if t.fp != "" {
			t.prevFP = t.fp
		}
		t.pos, t.off, t.carry = 0, 0, t.carry[:0]
		t.discard, t.long = false, false
		t.fp, t.fpLen, t.dirty = "", 0, true
	}
	if t.fp == "" {
		if r.fingerprint(t); t.fp != "" {
			t.dirty = true
		}
	}
	return r.read(ctx, t)
}

// fingerprint sets t's fingerprint from its first line.
func (r *runner) fingerprint(t *tracked) {
	k, _ := t.file.ReadAt(r.fpBuf, 0)
	b := r.fpBuf[:k]
	n := 0
	if k > 0 {
		n = r.f.enc.LineLen(unsafe.String(&b[0], k))
	}
	if n == 0 && k == fpMax {
		n = k
	}
	if n == 0 {
		t.fp, t.fpLen = "", 0
		return
	}
	t.fp, t.fpLen = hashStart(b[:n]), n
}

// sameStart tells whether t's file still starts as it did.
func (r *runner) sameStart(t *tracked) bool {
	k, _ := t.file.ReadAt(r.fpBuf[:t.fpLen], 0)
	return k == t.fpLen && hashStart(r.fpBuf[:k]) == t.fp
}

func hashStart(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// read reads t from its offset to the end of its file in blocks and sends
// its whole lines.
func (r *runner) read(ctx context.Context, t *tracked) error {
	buf := r.buf
	defer func() {
		if len(buf) > readBlock {
			r.buf = make([]byte, readBlock) // let a long line's buffer go
		} else {
			r.buf = buf
		}
	}()
	if len(t.carry) >= len(buf) {
		buf = make([]byte, min(max(2*len(buf), len(t.carry)+readBlock), r.maxBuf))
	}
	have := copy(buf, t.carry)
	t.carry = t.carry[:0]
	for {
		if have == len(buf) {
			if len(buf) < r.maxBuf {
				b := make([]byte, min(2*len(buf), r.maxBuf))
				copy(b, buf[:have])
				buf = b
			} else {
				// A line longer than MaxLine: drop what is held of it.
				if !t.discard {
					t.discard, t.long = true, true
				}
				have = copy(buf, buf[have-have%r.nl:have])
			}
		}
		k, err := t.file.ReadAt(buf[have:], t.off)
		from := have
		have += k
		t.off += int64(k)
		if k > 0 {
			if end := r.f.enc.LastLineEnd(buf[:have], from); end > 0 {
				if err := r.emit(ctx, t, buf[:end], t.off-int64(have)); err != nil {
					// Stopped: what was not sent is read again later.
					t.off, t.carry, t.discard, t.long = t.pos, t.carry[:0], false, false
					return err
				}
				have = copy(buf, buf[end:have])
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.logOnce(t.path, "read log file", err)
			}
			break
		}
	}
	if t.discard {
		have = copy(buf, buf[have-have%r.nl:have])
	}
	t.carry = append(t.carry, buf[:have]...)
	return nil
}

// emit sends the lines of block, which starts at offset start of t's
// file and ends with a line end.
func (r *runner) emit(ctx context.Context, t *tracked, block []byte, start int64) error {
	enc := r.f.enc
	s := unsafe.String(&block[0], len(block))
	verbatim := enc.Verbatim(s)
	end := start + int64(len(block))
	for s != "" {
		i := enc.LineLen(s)
		raw := s[:i-r.nl]
		s = s[i:]
		if t.discard {
			if t.long {
				r.f.skipped.Add(1)
				r.f.cfg.Logger.Warn("log line too long, skipped", "path", t.path,
					"offset", t.pos, "max", r.f.cfg.MaxLine)
			}
			t.discard, t.long = false, false
			t.pos, t.dirty = end-int64(len(s)), true
			continue
		}
		text := r.text(raw, verbatim, block)
		r.f.lines.Add(1) // counted before it is sent, seen after
		select {
		case r.out <- Line{Text: text, Source: t.path}:
		case <-ctx.Done():
			r.f.lines.Add(-1)
			return ctx.Err()
		}
		t.pos, t.dirty = end-int64(len(s)), true
	}
	return nil
}

// text decodes a line whose bytes lie in buf into a string of its own,
// without trailing "\r" (fail2ban strips "\r\n" at the end of a line).
func (r *runner) text(raw string, verbatim bool, buf []byte) string {
	if verbatim {
		return strings.Clone(strings.TrimRight(raw, "\r\n"))
	}
	d := strings.TrimRight(r.f.enc.Decode(raw), "\r\n")
	if within(d, buf) {
		d = strings.Clone(d)
	}
	return d
}

// within tells whether s's bytes lie in b.
func within(s string, b []byte) bool {
	if s == "" || len(b) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p < lo+uintptr(len(b))
}

// flush sends the last line of a retired file, left without its line end.
func (r *runner) flush(ctx context.Context, t *tracked) error {
	if t.discard || len(t.carry) == 0 {
		return nil
	}
	text := r.text(unsafe.String(&t.carry[0], len(t.carry)), false, t.carry)
	r.f.lines.Add(1)
	select {
	case r.out <- Line{Text: text, Source: t.path}:
		t.carry = t.carry[:0]
		return nil
	case <-ctx.Done():
		r.f.lines.Add(-1)
		return ctx.Err()
	}
}
