package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/filter"
)

const regexUsage = `Usage: warden regex [options] LOG FILTER [IGNOREREGEX]

Tests a filter against a log, as fail2ban-regex does.
  LOG     a log file, - for standard input, or a log line itself
  FILTER  a filter name with options (sshd[mode=aggressive]), a filter file,
          or a failregex itself
  IGNOREREGEX  an ignoreregex

Options:
  -c, --config DIR        configuration directory (default /etc/warden over the built-in defaults)
  --json                  print each failure as a JSON object, one per line
  -d, --datepattern PAT   date pattern, instead of the filter's
  -L, --maxlines N        lines in the multi-line buffer, instead of the filter's
  --timezone, --TZ ZONE   time zone of dates without one (e.g. UTC, +0200)
  -e, --encoding ENC      log encoding: utf-8 (default), latin-1, ascii
  -r, --raw               report host names as written, never resolve them
  --usedns MODE           yes, warn, no or raw; with yes or warn, host names are resolved with DNS
  --no-check-all          stop at the first failregex that matches a line
  --print-all-matched, --print-all-missed, --print-all-ignored
  --print-no-missed, --print-no-ignored
  --no-progress           no progress bar on a terminal
  -o, --out TOKEN         print only each failure's TOKEN: row, id, ip, msg, or a field name (user, ip4 ...)
  -v, --verbose           list every regex and the failures each found (repeat for more)
  -D, --debuggex          list missed, ignored or matched lines with debuggex.com links for each regex
  -l, --log-level LEVEL   fail2ban's log level (critical by default); debug adds nothing yet
`

type regexOpts struct {
	config, datePattern, timezone, encoding, usedns string
	maxLines                                        int
	asJSON, raw, noCheckAll, noProgress             bool
	printAllMatched, printAllMissed, printAllIgn    bool
	printNoMissed, printNoIgnored                   bool
	args                                            []string

	// out is -o/--out: print only this of each failure (outputToken).
	out string
	// verbose is -v/--verbose, counted.
	verbose int
	// debuggex is -D/--debuggex.
	debuggex bool
	// logLevel is -l/--log-level (checked by checkLogLevel).
	logLevel string
}

// parseRegexArgs accepts options anywhere among the arguments, as
// fail2ban-regex does.
func parseRegexArgs(args []string) (*regexOpts, error) {
	o := &regexOpts{encoding: defaultEncoding, logLevel: "critical"}
	strOpts := map[string]*string{"-c": &o.config, "--config": &o.config, "-d": &o.datePattern, "--datepattern": &o.datePattern,
		"--timezone": &o.timezone, "--TZ": &o.timezone, "-e": &o.encoding, "--encoding": &o.encoding, "--usedns": &o.usedns,
		"-o": &o.out, "--out": &o.out, "-l": &o.logLevel, "--log-level": &o.logLevel}
	boolOpts := map[string]*bool{"--json": &o.asJSON, "-r": &o.raw, "--raw": &o.raw, "--no-check-all": &o.noCheckAll,
		"-D": &o.debuggex, "--debuggex": &o.debuggex,
		"--no-progress": &o.noProgress, "--print-all-matched": &o.printAllMatched, "--print-all-missed": &o.printAllMissed,
		"--print-all-ignored": &o.printAllIgn, "--print-no-missed": &o.printNoMissed, "--print-no-ignored": &o.printNoIgnored}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			o.args = append(o.args, args[i+1:]...)
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			o.args = append(o.args, a)
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if p, ok := boolOpts[name]; ok && !hasVal {
			*p = true
			continue
		}
		if n := verboseCount(a); n > 0 {
			o.verbose += n
			continue
		}
		if name == "-L" || name == "--maxlines" || strOpts[name] != nil {
			if !hasVal {
				if i+1 >= len(args) {
					return nil, &usageError{msg: fmt.Sprintf("regex: option %s needs a value", name)}
				}
				i++
				val = args[i]
			}
			if name == "-L" || name == "--maxlines" {
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 {
					return nil, &usageError{msg: fmt.Sprintf("regex: %s wants a whole number, got %q", name, val)}
				}
				o.maxLines = n
				continue
			}
			*strOpts[name] = val
			continue
		}
		if name == "-h" || name == "--help" {
			return nil, flagHelp
		}
		return nil, &usageError{msg: fmt.Sprintf("regex: unknown option %s", a)}
	}
	if len(o.args) < 2 || len(o.args) > 3 {
		return nil, &usageError{msg: "regex: give LOG and FILTER (and optionally IGNOREREGEX)"}
	}
	switch o.usedns {
	case "", "yes", "warn", "no", "raw":
	default:
		return nil, &usageError{msg: fmt.Sprintf("regex: --usedns %q: use yes, warn, no or raw", o.usedns)}
	}
	if err := checkLogLevel(o.logLevel); err != nil {
		return nil, &usageError{msg: "regex: " + err.Error()}
	}
	if o.out != "" && o.asJSON {
		return nil, &usageError{msg: "regex: give --json or -o, not both"}
	}
	return o, nil
}

var flagHelp = errors.New("help")

// filterNameRE tells a filter reference from a literal regex, as
// fail2ban-regex does.
var filterNameRE = regexp.MustCompile(`(?s)^/{0,3}[\w/_\-.]+(?:\[.*\])?$`)

// resolveFilterArg returns the filter named by arg, or nil when arg is a
// literal failregex, with the line fail2ban-regex prints about it.
func resolveFilterArg(arg, cfgDir string) (*config.FilterDef, []config.Arg, string, error) {
	if !filterNameRE.MatchString(arg) {
		return nil, nil, "", nil
	}
	ref, err := config.ParseRef(arg)
	if err != nil {
		return nil, nil, "", fmt.Errorf("wrong filter name or options %q: %w", arg, err)
	}
	name := ref.Name
	opts := config.FilterOptions{Options: config.Options{Dir: cfgDir}, Args: ref.Args, Backend: "auto"}
	if !strings.Contains(name, "/") {
		// A filter of the configuration: filter.d/NAME.conf and its .local.
		def, err := config.LoadFilter(strings.TrimSuffix(strings.TrimSuffix(name, ".conf"), ".local"), opts)
		if errors.Is(err, config.ErrNotFound) {
			return nil, nil, "", nil // not a filter: a regex
		}
		if def == nil {
			return nil, nil, "", err
		}
		return def, ref.Args, fmt.Sprintf("Use   failregex filter file : %s, basedir: %s", def.Name, displayDir(cfgDir)), err
	}
	// A filter file: as named, or with .conf or .local added.
	tries := []string{name, name + ".conf", name + ".local"}
	if tail := name[max(len(name)-6, 0):]; strings.Contains(tail, ".") {
		tries = tries[:1]
	}
	for _, try := range tries {
		if st, err := os.Stat(try); err == nil && st.Mode().IsRegular() {
			def, err := config.LoadFilter(try, opts)
			if def == nil {
				return nil, nil, "", err
			}
			// As fail2ban-regex: a file of a filter.d directory is read
			// with its configuration tree, whose directory it names;
			// another file is read alone.
			head := fmt.Sprintf("Use   failregex file : %s", name)
			if dir := pyDirname(try); path.Base(dir) == "filter.d" {
				head = fmt.Sprintf("Use   failregex filter file : %s, basedir: %s", def.Name, pyDirname(dir))
			}
			return def, ref.Args, head, err
		}
	}
	return nil, nil, "", nil
}

// pyDirname is Python's os.path.dirname.
func pyDirname(p string) string {
	head := p[:strings.LastIndexByte(p, '/')+1]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

type regexStat struct {
	re    string
	hits  int
	found []foundFailure // with -v
}

type regexRun struct {
	o          *regexOpts
	f          *filter.Filter
	fail, ign  []regexStat
	prefHits   int
	templates  map[string]int
	tested     int
	matched    int
	ignored    int
	missed     int
	skipped    int
	incomplete bool
	matchedL   []string
	missedL    []string
	ignoredL   []string
	out        *bufio.Writer
	limit      int
	buf        []byte
	fields     []filter.Field   // scratch for emit
	ret        []filter.Failure // scratch for line
	clock      *lineClock
	emitOut    func([]filter.Failure) // with -o
	prefGroups []string               // with -v: the prefregex's groups, line by line
}

// quiet reports whether only failures are printed (--json, -o): no
// header, no summary.
func (r *regexRun) quiet() bool { return r.o.asJSON || r.o.out != "" }

func runRegex(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parseRegexArgs(args)
	if errors.Is(err, flagHelp) {
		fmt.Fprint(stdout, regexUsage)
		return nil
	}
	if err != nil {
		return err
	}
	// Little stays alive while lines stream through: collect less often.
	debug.SetGCPercent(400)
	cfgDir := o.config
	if cfgDir == "" {
		if st, err := os.Stat(defaultConfigDir); err == nil && st.IsDir() {
			cfgDir = defaultConfigDir
		}
	}
	logArg, fltArg := o.args[0], o.args[1]
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer w.Flush()
	say := func(format string, a ...any) {
		if !o.asJSON && o.out == "" {
			fmt.Fprintf(w, format+"\n", a...)
		}
	}
	say("\nRunning tests\n=============\n")
	clock := &lineClock{}
	quiet := o.asJSON || o.out != ""
	fo := filter.Options{UseDNS: "warn", CheckAllRegex: !quiet && !o.noCheckAll, IgnorePending: quiet,
		ReturnRawHost: o.raw, Location: time.Local, Now: clock.now}
	def, fargs, fltHead, err := resolveFilterArg(fltArg, cfgDir)
	if err != nil {
		return err
	}
	// The header, as fail2ban-regex prints it: the options of the command
	// line first, then what the filter sets that they leave.
	var head []string
	datePatternAt := -1 // the line naming the date pattern, completed once the filter is built
	if o.maxLines > 0 {
		fo.MaxLines = o.maxLines
		head = append(head, fmt.Sprintf("Use         maxlines : %d", max(o.maxLines, 1)))
	}
	if o.datePattern != "" {
		fo.DatePattern = o.datePattern
		datePatternAt = len(head)
		head = append(head, "Use      datepattern : "+o.datePattern)
	}
	if def != nil {
		head = append(head, fltHead)
		if len(fargs) > 0 {
			head = append(head, "Use   filter options : "+pyArgsRepr(fargs))
		}
		if o.verbose > 1 || logLevelDebug(o.logLevel) {
			head = append(head, "Real  filter options : "+realOptionsRepr(def, fargs))
		}
		fo.PrefRegex, fo.FailRegex, fo.IgnoreRegex = def.PrefRegex, def.FailRegex, def.IgnoreRegex
		if o.maxLines == 0 && def.MaxLines > 0 {
			fo.MaxLines = def.MaxLines
			head = append(head, fmt.Sprintf("Use         maxlines : %d", def.MaxLines))
		}
		if o.datePattern == "" && def.DatePattern != "" {
			fo.DatePattern = def.DatePattern
			datePatternAt = len(head)
			head = append(head, "Use      datepattern : "+def.DatePattern)
		}
	} else {
		head = append(head, "Use   failregex line : "+shortstr(fltArg, 53))
		fo.FailRegex = []string{fltArg}
	}
	if len(o.args) == 3 {
		head = append(head, "Use ignoreregex line : "+shortstr(o.args[2], 53))
		fo.IgnoreRegex = []string{o.args[2]}
	}
	if o.timezone != "" {
		fo.LogTimeZone = o.timezone
	}
	if o.usedns != "" {
		fo.UseDNS = o.usedns
		if o.usedns == "yes" || o.usedns == "warn" {
			fo.Resolve = resolveHost
		}
	}
	f, err := filter.New(fo)
	if err != nil {
		if def == nil && filterNameRE.MatchString(fltArg) {
			return fmt.Errorf("%q is neither a filter (no filter.d/%s.conf in %s) nor a usable failregex: %w", fltArg, fltArg, displayDir(cfgDir), err)
		}
		return fmt.Errorf("filter: %w", err)
	}
	if datePatternAt >= 0 {
		head[datePatternAt] += " : " + datePatternName(f.DateTemplates())
	}
	for _, l := range head {
		say("%s", l)
	}
	// fail2ban-regex lists at most 20 lines of a kind, or as many as -L.
	r := &regexRun{o: o, f: f, clock: clock, templates: map[string]int{}, out: w, limit: 20}
	if o.maxLines > 0 {
		r.limit = o.maxLines
	}
	for _, s := range f.FailRegexAsWritten() {
		r.fail = append(r.fail, regexStat{re: s})
	}
	for _, s := range f.IgnoreRegexAsWritten() {
		r.ign = append(r.ign, regexStat{re: s})
	}
	if o.out != "" {
		r.emitOut = outputFunc(o.out, f, w)
	}
	src, size, closeFn, err := openLog(logArg, stdin, f.MaxLines())
	if err != nil {
		return err
	}
	defer closeFn()
	var lines []string
	switch {
	case src == nil && f.MaxLines() <= 1 && !strings.Contains(logArg, "\n"):
		say("Use      single line : %s", shortstr(logArg, 53))
		lines = []string{logArg}
	case src == nil:
		lines = strings.Split(logArg, "\n")
		say("Use      multi line : %d line(s)", len(lines))
		for i, l := range lines {
			if i >= 5 {
				say("| ...")
				break
			}
			say("| %2.2s: %s", strconv.Itoa(i+1), shortstr(l, 53))
		}
		say("`-")
	case logArg == "-":
		say("Use         log file : standard input")
	default:
		say("Use         log file : %s", logArg)
	}
	if src != nil {
		say("Use         encoding : %s", o.encoding)
	}
	say("")
	var prog *progress
	if !o.noProgress && size > 1<<20 && isTerminal(stderr) {
		prog = newProgress(stderr, size)
	}
	start := time.Now()
	if src == nil {
		for _, l := range lines {
			r.line(l)
		}
	} else if err := r.read(ctx, src, logArg == "-", prog); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if prog != nil {
		prog.done()
	}
	if !o.asJSON && o.out == "" {
		r.summary(elapsed)
	}
	return nil
}

func displayDir(d string) string {
	if d == "" {
		return "built-in defaults"
	}
	return d
}

func resolveHost(host string) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil {
		return nil
	}
	return addrs
}

// openLog opens LOG: standard input, a file, or (nil reader) a literal line.
func openLog(arg string, stdin io.Reader, maxLines int) (io.Reader, int64, func(), error) {
	if arg == "-" {
		return stdin, 0, func() {}, nil
	}
	// Like fail2ban-regex: what is not a file is a log line.
	st, err := os.Stat(arg)
	if err != nil || !st.Mode().IsRegular() {
		return nil, 0, func() {}, nil
	}
	fh, err := os.Open(arg)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("open log: %w", err)
	}
	return fh, st.Size(), func() { fh.Close() }, nil
}

// readBlock is the size of the reads of the log. The lines of a read are
// cut from one string made of it: no copy per line. A line the filter
// keeps (a multi-line buffer, a connection's earlier lines: at most a
// hundred or so) holds its whole block in memory, so blocks are small.
const readBlock = 16 << 10

// logReader cuts a log into lines.
type logReader struct {
	latin1 bool
	// line gets each line with its "\n" (the last one may lack it),
	// decoded by decodeLine.
	line func(string)
	// wait is called before a read that may wait for the writer.
	wait func()
	// progress is called every 65,536 lines with the bytes and lines so
	// far; nil for none.
	progress func(bytes int64, lines int)
}

// run reads src to its end. A last line without "\n" is given to line
// when complete is set, else left out and reported by incomplete (a file
// still being written).
func (lr *logReader) run(ctx context.Context, src io.Reader, complete bool) (incomplete bool, err error) {
	var (
		buf   = make([]byte, readBlock)
		have  int // bytes in buf
		n     int64
		count int
	)
	for {
		k, err := src.Read(buf[have:])
		have += k
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			return false, fmt.Errorf("read log: %w", err)
		}
		// buf[:have-k] holds no line end: it is the start of a line.
		if end := bytes.LastIndexByte(buf[have-k:have], '\n') + 1; end > 0 {
			end += have - k
			block := string(buf[:end])
			valid := !lr.latin1 && utf8.ValidString(block)
			for len(block) > 0 {
				i := strings.IndexByte(block, '\n') + 1
				line := block[:i]
				block = block[i:]
				n += int64(len(line))
				if !valid {
					line = decodeLine(line, lr.latin1)
				}
				lr.line(line)
				if count++; count&0xffff == 0 {
					if ctx.Err() != nil {
						return false, ctx.Err()
					}
					if lr.progress != nil {
						lr.progress(n, count)
					}
				}
			}
			have = copy(buf, buf[end:have])
		}
		if eof {
			if have == 0 {
				return false, nil
			}
			if !complete {
				return true, nil
			}
			lr.line(decodeLine(string(buf[:have]), lr.latin1))
			return false, nil
		}
		if have == len(buf) { // a line longer than the buffer
			buf = append(buf, make([]byte, len(buf))...)
		}
		lr.wait()
	}
}

// read processes the lines of src. When complete is false, a last line
// without a line end is left out, as fail2ban does with files (it waits
// for the line to be finished).
func (r *regexRun) read(ctx context.Context, src io.Reader, complete bool, prog *progress) error {
	lr := &logReader{line: r.line, wait: r.clock.stale}
	switch strings.ToLower(strings.ReplaceAll(r.o.encoding, "_", "-")) {
	case "utf-8", "utf8":
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1":
		lr.latin1 = true
	case "ascii", "us-ascii":
	default:
		return fmt.Errorf("unsupported encoding %q (use utf-8, latin-1 or ascii)", r.o.encoding)
	}
	if prog != nil {
		lr.progress = prog.update
	}
	incomplete, err := lr.run(ctx, src, complete)
	r.incomplete = incomplete
	return err
}

// lineClock is the time the filter sees. Reading the wall clock costs
// about as much as examining a short line, so it is read once every
// clockLines lines, and again whenever reading may have waited for input.
// A line's "now" is thus the time at most clockLines lines earlier: tens
// of microseconds on ordinary lines, more on lines that drive the regexes
// to their step budgets. fail2ban-regex's own clock reading drifts as much
// between lines; only dateless lines and year inference use it.
type lineClock struct {
	t    time.Time
	left int
}

const clockLines = 64

func (c *lineClock) now() time.Time {
	if c.left <= 0 {
		c.t, c.left = time.Now(), clockLines
	}
	c.left--
	return c.t
}

func (c *lineClock) stale() { c.left = 0 }

// decodeLine makes text of a raw line: latin-1 bytes become their code
// points; in UTF-8, each maximal invalid subsequence (a stray byte, or
// the start of a sequence cut short) becomes one U+FFFD, as Python's
// "replace" decoding (fail2ban's fallback) does.
func decodeLine(b string, latin1 bool) string {
	if latin1 {
		rs := make([]rune, len(b))
		for i := 0; i < len(b); i++ {
			rs[i] = rune(b[i])
		}
		return string(rs)
	}
	if utf8.ValidString(b) {
		return b
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRuneInString(b)
		if r == utf8.RuneError && size == 1 {
			size = invalidRun(b)
		}
		sb.WriteRune(r)
		b = b[size:]
	}
	return sb.String()
}

// invalidRun returns the length of the maximal subpart of an ill-formed
// sequence at the start of b (Unicode 15, section 3.9): a lead byte and
// the continuation bytes that can follow it, or the one byte that cannot
// start a sequence.
func invalidRun(b string) int {
	lo, hi, n := byte(0x80), byte(0xBF), 0
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		n = 1
	case c == 0xE0:
		lo, n = 0xA0, 2
	case c == 0xED:
		hi, n = 0x9F, 2
	case c >= 0xE1 && c <= 0xEF:
		n = 2
	case c == 0xF0:
		lo, n = 0x90, 3
	case c == 0xF4:
		hi, n = 0x8F, 3
	case c >= 0xF1 && c <= 0xF3:
		n = 3
	}
	i := 1
	for ; i <= n && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

func (r *regexRun) line(raw string) {
	line := raw
	for line != "" && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	if line == "" || line[0] == '#' {
		return
	}
	var before []filter.LineKey
	multi := r.f.MaxLines() > 1
	if multi && !r.quiet() {
		before = r.f.Buffered()
	}
	fullBuffer := len(before) >= r.f.MaxLines()
	var (
		found []filter.Failure
		err   error
	)
	if len(raw) == len(line)+1 && raw[len(line)] == '\n' {
		found, err = r.f.ProcessLineNL(raw)
	} else {
		found, err = r.f.ProcessLine(line)
	}
	if err != nil {
		// A regex ran out of steps on this line, or its date could not be read.
		r.skipped++
		return
	}
	info := r.f.Last
	ret := r.ret[:0]
	isIgnored := len(info.Ignored) > 0
	for _, m := range found {
		if !r.quiet() && m.Regex < len(r.fail) {
			r.fail[m.Regex].hits++
			if r.o.verbose > 0 {
				r.fail[m.Regex].found = append(r.fail[m.Regex].found, foundFailure{id: m.ID, hasID: m.HasID, time: m.Time, multi: len(ret) > 1})
			}
		}
		if !m.NoFail() {
			ret = append(ret, m)
		} else {
			isIgnored = true
		}
	}
	r.ret = ret[:0]
	if r.o.asJSON {
		if len(ret) > 0 && !isIgnored {
			for _, m := range ret {
				r.emit(m, line)
			}
		}
		return
	}
	if r.emitOut != nil {
		if len(ret) > 0 && !isIgnored {
			r.emitOut(ret)
		}
		return
	}
	if info.PrefMatched {
		r.prefHits++
		if r.o.verbose > 0 {
			switch {
			case len(r.prefGroups) < r.limit:
				r.prefGroups = append(r.prefGroups, pyDictRepr(r.f.PrefGroups()))
			case len(r.prefGroups) == r.limit:
				r.prefGroups = append(r.prefGroups, "...")
			}
		}
	}
	for _, i := range info.Ignored {
		if i < len(r.ign) {
			r.ign[i].hits++
		}
	}
	if info.Template != "" {
		r.templates[info.Template]++
	}
	if multi {
		after := r.f.Buffered()
		from := 0
		if fullBuffer {
			from = 1
		}
		for _, b := range before[min(from, len(before)):] {
			if containsKey(after, b) {
				continue
			}
			for i, l := range r.missedL {
				if l == b.Text() {
					r.missedL = append(r.missedL[:i], r.missedL[i+1:]...)
					break
				}
			}
			if r.o.printAllMatched {
				r.matchedL = append(r.matchedL, b.Text())
			}
			r.matched++
			r.missed--
		}
	}
	switch {
	case isIgnored:
		r.ignored++
		if !r.o.printNoIgnored && (r.o.printAllIgn || r.ignored <= r.limit+1) {
			r.ignoredL = append(r.ignoredL, line)
		}
	case len(ret) > 0:
		r.matched++
		if r.o.printAllMatched {
			r.matchedL = append(r.matchedL, line)
		}
	default:
		r.missed++
		if !r.o.printNoMissed && (r.o.printAllMissed || r.missed <= r.limit+1) {
			r.missedL = append(r.missedL, line)
		}
	}
	r.tested++
}

func containsKey(list []filter.LineKey, k filter.LineKey) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

// emit writes one failure as a line of JSON:
// {"ip": ..., "time": ..., "line": ..., "fields": {...}}.
func (r *regexRun) emit(m filter.Failure, line string) {
	b := r.buf[:0]
	b = append(b, `{"ip":`...)
	b = appendJSONString(b, m.ID)
	b = append(b, `,"time":`...)
	b = appendTime(b, m.Time)
	b = append(b, `,"line":`...)
	b = appendJSONString(b, line)
	b = append(b, `,"fields":{`...)
	r.fields = m.AppendPublic(r.fields[:0])
	n := 0
	for _, fl := range r.fields {
		switch fl.Name {
		case "nofail", "mlfforget", "mlfgained":
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendJSONString(b, fl.Name)
		b = append(b, ':')
		b = appendJSONString(b, fl.Value)
	}
	if u := m.Users(); len(u) > 0 {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, `"users":[`...)
		for i, x := range u {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, x)
		}
		b = append(b, ']')
	}
	b = append(b, "}}\n"...)
	r.out.Write(b)
	r.buf = b
}

// appendTime appends Unix seconds as strconv.AppendFloat(b, t, 'f', -1,
// 64) does, quicker for whole seconds.
func appendTime(b []byte, t float64) []byte {
	// -0 prints as "-0".
	if n := int64(t); float64(n) == t && n > -1e15 && n < 1e15 && (n != 0 || !math.Signbit(t)) {
		return strconv.AppendInt(b, n, 10)
	}
	return strconv.AppendFloat(b, t, 'f', -1, 64)
}

// appendJSONString appends s as a JSON string (valid UTF-8 assumed, as
// lines are decoded before).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		// Skip eight plain bytes at a time.
		for i+8 <= len(s) && plainJSON8(binary.LittleEndian.Uint64([]byte(s[i:i+8]))) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainJSON8 reports whether none of the eight bytes in x needs escaping
// in a JSON string: none is below 0x20, '"', '\\' or DEL.
func plainJSON8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v & highs }
	less20 := (x - 0x20*ones) &^ x & highs
	return less20|zero(x^('"'*ones))|zero(x^('\\'*ones))|zero(x^(0x7f*ones)) == 0
}

func shortstr(s string, l int) string {
	if utf8.RuneCountInString(s) > l {
		return string([]rune(s)[:l-3]) + "..."
	}
	return s
}

func (r *regexRun) printList(items []string, header string) {
	if len(items) == 0 {
		return
	}
	if header != "" {
		fmt.Fprintf(r.out, "|- %s\n", header)
	}
	fmt.Fprintf(r.out, "|  %s\n`-\n", strings.Join(items, "\n|  "))
}

func (r *regexRun) summary(elapsed time.Duration) {
	w := r.out
	fmt.Fprint(w, "\nResults\n=======\n")
	if p := r.f.PrefRegex(); p != "" {
		fmt.Fprintf(w, "\nPrefregex: %d total\n", r.prefHits)
		out := []string{p}
		for _, g := range r.prefGroups {
			out = append(out, "    "+g)
		}
		r.printList(out, "")
	}
	regexes := func(title string, list []regexStat) {
		total := 0
		var out []string
		for i, s := range list {
			total += s.hits
			if s.hits > 0 || r.o.verbose > 0 {
				out = append(out, fmt.Sprintf("%2d) [%d] %s", i+1, s.hits, s.re))
			}
			for _, f := range s.found {
				out = append(out, f.String())
			}
		}
		fmt.Fprintf(w, "\n%s: %d total\n", title, total)
		r.printList(out, " #) [# of hits] regular expression")
	}
	regexes("Failregex", r.fail)
	regexes("Ignoreregex", r.ign)
	// The templates in the detector's order (it moves those that hit to
	// the front), as fail2ban-regex lists them.
	fmt.Fprint(w, "\nDate template hits:\n")
	var out []string
	seen := map[string]bool{}
	for _, name := range r.f.DateTemplates() {
		if seen[name] {
			continue
		}
		seen[name] = true
		if h := r.templates[name]; h > 0 || r.o.verbose > 0 {
			out = append(out, fmt.Sprintf("[%d] %s", h, name))
		}
	}
	r.printList(out, "[# of hits] date format")
	fmt.Fprintf(w, "\nLines: %d lines, %d ignored, %d matched, %d missed\n", r.tested, r.ignored, r.matched, r.missed)
	if r.incomplete {
		fmt.Fprint(w, "Note: the last line has no line end and was not processed (fail2ban waits for it to be finished)\n")
	}
	if r.skipped > 0 {
		fmt.Fprintf(w, "Skipped: %d line(s) could not be examined (regex time bound or unreadable date)\n", r.skipped)
	}
	fmt.Fprintf(w, "[processed in %.2f sec]\n\n", elapsed.Seconds())
	lines := func(kind string, l []string, count int, all bool) {
		if count == 0 {
			return
		}
		header := fmt.Sprintf("%s line(s):", strings.ToUpper(kind[:1])+kind[1:])
		if count >= r.limit && !all {
			fmt.Fprintf(w, "%s too many to print.  Use --print-all-%s to print all %d lines\n", header, kind, count)
			return
		}
		if r.o.debuggex {
			regexes := r.fail
			if kind == "ignored" {
				regexes = r.ign
			}
			r.printList(r.debuggexLines(l, regexes), header)
			return
		}
		trimmed := make([]string, len(l))
		for i, s := range l {
			trimmed[i] = pyRstrip(s)
		}
		r.printList(trimmed, header)
	}
	if r.o.printAllMatched {
		lines("matched", r.matchedL, r.matched, true)
	}
	if !r.o.printNoIgnored {
		lines("ignored", r.ignoredL, r.ignored, r.o.printAllIgn)
	}
	if !r.o.printNoMissed {
		lines("missed", r.missedL, r.missed, r.o.printAllMissed)
	}
}

// progress draws a progress bar on a terminal.
type progress struct {
	w     io.Writer
	total int64
	last  time.Time
	start time.Time
}

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, total: total, start: time.Now()}
}

func (p *progress) update(done int64, lines int) {
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	frac := float64(done) / float64(p.total)
	if frac > 1 {
		frac = 1
	}
	const width = 30
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %d lines", strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, lines)
}

func (p *progress) done() { fmt.Fprint(p.w, "\r\033[K") }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
