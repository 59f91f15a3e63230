package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/spf13/cobra"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/daemon"
	"github.com/wardenipd/warden/internal/datedetect"
	"github.com/wardenipd/warden/internal/filter"
	"github.com/wardenipd/warden/internal/hugeheap"
	"github.com/wardenipd/warden/internal/logenc"
)

const regexLong = `Test a filter against a log, as fail2ban-regex does, and print a summary:
the hits of each regex, the date templates used, and the lines matched,
ignored and missed.

  LOG          a log file, - for standard input, or a log line itself
  FILTER       a filter name with options (sshd[mode=aggressive]), a filter
               file (filter.d/sshd.conf), or a failregex itself
  IGNOREREGEX  an ignoreregex, or a filter file whose ignoreregex to use

Options may stand before or after the arguments; fail2ban-regex's options
are accepted, and so are its command lines when this program is invoked
through a link named fail2ban-regex.

With --json, each failure is printed as one JSON object a line:
  {"ip": "192.0.2.7", "time": 1765349746, "line": "...",
   "fields": {"user": "root", "ip4": "192.0.2.7", ...}}
"fields" holds every named group that matched (F-* groups by their lower-case
name, "ip4"/"ip6"/"dns" for the host), plus "users" when a multi-line
connection gathered several user names; "time" is in Unix seconds. Host names are never looked up in DNS unless --usedns yes or warn is
given; a failure whose host is a name is reported only with -r.`

// regexOpts are warden regex's options.
type regexOpts struct {
	config, datePattern, timezone, encoding, usedns string
	maxLines                                        int
	enc                                             *logenc.Encoding // from encoding, by validate
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
	// shortVersion is -V; verboseDate, traceback and journalMatch are
	// fail2ban-regex options accepted for its command lines.
	shortVersion, verboseDate, traceback bool
	journalMatch                         string
}

func newRegexCmd(s settings) *cobra.Command {
	o := &regexOpts{}
	cmd := &cobra.Command{
		Use:   "regex [options] LOG FILTER [IGNOREREGEX]",
		Short: "Test a filter against a log, like fail2ban-regex",
		Long:  regexLong,
		Example: `  warden regex --config /etc/fail2ban /var/log/auth.log sshd
  warden regex --json /var/log/auth.log 'sshd[mode=aggressive]'
  warden regex 'Jan 23 21:59:59 pve pvedaemon[1]: authentication failure; rhost=192.0.2.7 user=root@pam msg=x' 'rhost=<HOST>'
  warden regex - 'Failed login from <HOST>' < some.log`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.shortVersion {
				return nil
			}
			return argsBetween(2, 3, "LOG and FILTER")(cmd, args)
		},
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.shortVersion {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), readBuildInfo().Version)
				return err
			}
			o.args = args
			if err := o.validate(cmd); err != nil {
				return err
			}
			return runRegex(cmd.Context(), s, o, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVarP(&o.config, "config", "c", "", "configuration directory (default $WARDEN_CONFIG, else "+defaultConfigDir+", over the built-in defaults)")
	fl.BoolVar(&o.asJSON, "json", false, "print each failure as a JSON object, one a line")
	fl.StringVarP(&o.datePattern, "datepattern", "d", "", "date pattern, instead of the filter's")
	fl.IntVarP(&o.maxLines, "maxlines", "L", 0, "lines in the multi-line buffer, instead of the filter's")
	fl.StringVar(&o.timezone, "timezone", "", "time zone of dates without one (UTC, +0200, CET...); also --TZ")
	fl.StringVar(&o.timezone, "TZ", "", "same as --timezone")
	_ = fl.MarkHidden("TZ")
	fl.StringVarP(&o.encoding, "encoding", "e", defaultEncoding, "log encoding, by Python's codec names (utf-8, latin-1, cp1252, shift_jis...)")
	fl.BoolVarP(&o.raw, "raw", "r", false, "report host names as written, never resolve them")
	fl.StringVar(&o.usedns, "usedns", "", "yes, warn, no or raw; with yes or warn, host names are resolved with DNS")
	fl.BoolVar(&o.noCheckAll, "no-check-all", false, "stop at the first failregex that matches a line")
	fl.BoolVar(&o.printNoMissed, "print-no-missed", false, "do not print any missed lines")
	fl.BoolVar(&o.printNoIgnored, "print-no-ignored", false, "do not print any ignored lines")
	fl.BoolVar(&o.printAllMatched, "print-all-matched", false, "print all matched lines")
	fl.BoolVar(&o.printAllMissed, "print-all-missed", false, "print all missed lines, however many")
	fl.BoolVar(&o.printAllIgn, "print-all-ignored", false, "print all ignored lines, however many")
	fl.BoolVar(&o.noProgress, "no-progress", false, "no progress bar on a terminal")
	fl.StringVarP(&o.out, "out", "o", "", "print only this of each failure: row, id, ip, msg, a field name (user, ip4...) or a template ('<ip> <F-USER>')")
	fl.CountVarP(&o.verbose, "verbose", "v", "list every regex and the failures each found (repeat for more)")
	fl.IntVar(&o.verbose, "verbosity", 0, "set the verbosity level (0..4) instead of counting -v")
	fl.BoolVarP(&o.debuggex, "debuggex", "D", false, "pair the listed lines with each regex as debuggex.com links")
	fl.StringVarP(&o.logLevel, "log-level", "l", "critical", "fail2ban's log level (a name or a number); Warden's filter logs nothing, debug levels add the filter options")
	fl.BoolVarP(&o.shortVersion, "short-version", "V", false, "print the version in machine-readable short form and exit")
	fl.BoolVar(&o.verboseDate, "verbose-date", false, "accepted for fail2ban-regex compatibility; date templates are listed with -v")
	fl.BoolVar(&o.verboseDate, "VD", false, "same as --verbose-date")
	fl.BoolVarP(&o.traceback, "log-traceback", "t", false, "accepted for fail2ban-regex compatibility (no effect)")
	fl.BoolVar(&o.traceback, "full-traceback", false, "accepted for fail2ban-regex compatibility (no effect)")
	fl.StringVarP(&o.journalMatch, "journalmatch", "m", "", "journalctl-style matches, for a systemd-journal LOG (not supported yet)")
	_ = fl.MarkHidden("VD")
	_ = fl.MarkHidden("full-traceback")
	_ = cmd.RegisterFlagCompletionFunc("out", cobra.FixedCompletions([]string{"row", "id", "ip", "msg", "user", "F-USER"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagDirname("config")
	_ = cmd.RegisterFlagCompletionFunc("usedns", cobra.FixedCompletions([]string{"yes", "warn", "no", "raw"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validate checks the option values: a bad one is wrong usage.
func (o *regexOpts) validate(cmd *cobra.Command) error {
	bad := func(format string, a ...any) error { return usageErrorf(cmd, format, a...) }
	switch o.usedns {
	case "", "yes", "warn", "no", "raw":
	default:
		return bad("--usedns %q: use yes, warn, no or raw", o.usedns)
	}
	if o.timezone != "" {
		var ze *datedetect.ZoneError
		if err := datedetect.CheckZone(o.timezone); errors.As(err, &ze) {
			return bad("--timezone %q: %v", o.timezone, ze.Err)
		}
	}
	if o.maxLines < 0 {
		return bad("--maxlines %d: want a whole number", o.maxLines)
	}
	enc, err := logenc.Lookup(o.encoding)
	if err != nil {
		return bad("--encoding: %v", err)
	}
	o.enc = enc
	if err := checkLogLevel(o.logLevel); err != nil {
		return bad("--log-level: %v", err)
	}
	if o.out != "" && o.asJSON {
		return bad("give --json or -o, not both")
	}
	if o.args[0] == "systemd-journal" || strings.HasPrefix(o.args[0], "systemd-journal[") || o.journalMatch != "" {
		return bad("reading the systemd journal is not supported yet: export it first (journalctl -u UNIT > FILE) and give the file")
	}
	return nil
}

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
	skippedL   []string // "line N: why: text", the first maxSkipList
	lineNo     int      // lines read, comments and blank ones included
	warn       io.Writer
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
	lines      lineMode               // how the log's lines are handed out
	prefGroups []string               // with -v: the prefregex's groups, line by line
}

// quiet reports whether only failures are printed (--json, -o): no
// header, no summary.
func (o *regexOpts) quiet() bool { return o.asJSON || o.out != "" }

func (r *regexRun) quiet() bool { return r.o.quiet() }

// regexGCPercent is the garbage collector's pace during warden regex (see
// runRegex).
const regexGCPercent = 200

// compileRoom is the heap warden regex makes room for in huge pages
// before it compiles its filter (hugeheap.Grow): the stock sshd filter's
// 23 regexes allocate 1.72 MB (BenchmarkCompileStockSSHD).
const compileRoom = 3 << 20

func runRegex(ctx context.Context, s settings, o *regexOpts, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	// A run's live heap is small (the compiled filter, the connections'
	// cache), but compiling the regexes leaves garbage that brings the
	// heap close to the collector's first goal at Go's default pace (4 MB
	// at GOGC=100): a log with many connections then paid for a
	// collection, the sweeps' zeroing of reused memory and their page
	// faults. Twice the headroom avoids it (bench/regex.sh's log: 236
	// fewer page faults, 7% less time); a log without it is unchanged.
	// A GOGC of the user's own is kept.
	if prev := debug.SetGCPercent(regexGCPercent); prev != 100 {
		debug.SetGCPercent(prev)
	} else {
		defer debug.SetGCPercent(prev)
	}
	if s.hugeHeap {
		// Much of a run's time on a log of some megabytes went to
		// first touches of the heap's pages: huge pages for the chunk
		// in use now, and room in huge pages for compiling the filter
		// (about 2 MB for sshd's), and below for the chunk the filter
		// ends in (the lines' work allocates there). See
		// bench/regex.sh and the hugeheap package.
		hugeheap.Advise(nil)
		hugeheap.Grow(compileRoom)
	}
	cfgDir := o.config
	if cfgDir == "" {
		if st, err := os.Stat(s.configDir); err == nil && st.IsDir() {
			cfgDir = s.configDir
		}
	}
	logArg, fltArg := o.args[0], o.args[1]
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer func() {
		if ferr := w.Flush(); err == nil && ferr != nil {
			err = fmt.Errorf("write output: %w", ferr)
		}
	}()
	say := func(format string, a ...any) {
		if !o.quiet() {
			fmt.Fprintf(w, format+"\n", a...)
		}
	}
	say("\nRunning tests\n=============\n")
	clock := &lineClock{src: s.now}
	quiet := o.quiet()
	fo := filter.Options{UseDNS: "warn", CheckAllRegex: !quiet && !o.noCheckAll, IgnorePending: quiet,
		ReturnRawHost: o.raw, Location: time.Local, Now: clock.now, ReusedLines: s.lines != linesCopied,
		TransientFailures: s.lines != linesCopied}
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
			fo.Resolve = daemon.LookupHost
		}
	}
	f, err := filter.New(fo)
	if err != nil {
		var oe *filter.OptionError
		if errors.As(err, &oe) && oe.Option == "datepattern" && o.datePattern != "" {
			return &usageError{msg: "warden regex: --datepattern: " + oe.Err.Error(), hint: "warden regex"}
		}
		if def == nil && filterNameRE.MatchString(fltArg) {
			name := fltArg
			if ref, rerr := config.ParseRef(fltArg); rerr == nil {
				name = ref.Name
			}
			return fmt.Errorf("%q is neither a filter (no filter.d/%s.conf in %s) nor a usable failregex: %w", fltArg, name, displayDir(cfgDir), err)
		}
		return fmt.Errorf("filter: %w", err)
	}
	if datePatternAt >= 0 {
		head[datePatternAt] += " : " + datePatternName(f)
	}
	for _, l := range head {
		say("%s", l)
	}
	// fail2ban-regex lists at most 20 lines of a kind, or as many as -L.
	r := &regexRun{o: o, f: f, clock: clock, templates: map[string]int{}, out: w, warn: stderr, limit: 20, lines: s.lines}
	if s.hugeHeap {
		hugeheap.Advise(r)
	}
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
	src, size, closeFn, err := openLog(logArg, stdin, stderr)
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
	if !o.quiet() {
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

// openLog opens LOG: standard input, a file, or (nil reader) a literal
// line. Like fail2ban-regex, what is not a file is a log line; when it
// names something (a directory, a device) or looks like a path, a warning
// on warn says it was taken as a line.
func openLog(arg string, stdin io.Reader, warn io.Writer) (io.Reader, int64, func(), error) {
	if arg == "-" {
		return stdin, 0, func() {}, nil
	}
	st, err := os.Stat(arg)
	if err != nil || !st.Mode().IsRegular() {
		// Something that exists, or a word that looks like a path.
		if err == nil || looksLikePath(arg) {
			why := "is not a regular file"
			switch {
			case errors.Is(err, fs.ErrNotExist):
				why = "does not exist"
			case err != nil:
				why = err.Error()
			case st.IsDir():
				why = "is a directory"
			}
			fmt.Fprintf(warn, "warning: %s %s: taken as a log line itself\n", arg, why)
		}
		return nil, 0, func() {}, nil
	}
	fh, err := os.Open(arg)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("open log: %w", err)
	}
	return fh, st.Size(), func() { fh.Close() }, nil
}

// looksLikePath tells a LOG argument meant as a file name from a log line:
// one word with a slash, or ending in .log.
func looksLikePath(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n") && (strings.ContainsRune(s, '/') || strings.HasSuffix(s, ".log"))
}

// readBlock is the size of the reads of the log. A read costs a system
// call and a page-cache lookup besides its copy: 128 KiB takes 8 times
// fewer than 16 KiB for 28 more page faults, 10% less CPU time on the
// floor row of bench/regex.sh at 1M lines (the buffer is reused: lines
// are views of it, see linesReused).
const readBlock = 128 << 10

// How logReader hands out lines.
type lineMode uint8

const (
	// linesReused: a line is a view of the read buffer, which the next
	// read overwrites: no copy at all. Whoever keeps part of a line past
	// the lines of its read copies it: the filter does
	// (filter.Options.ReusedLines), and so does regexRun.line.
	linesReused lineMode = iota
	// linesCopied: the lines of a read are cut from a copy of it, which
	// they keep alive; nothing needs copying (the filter may keep
	// substrings). Tests compare the other modes with it.
	linesCopied
	// linesPoisoned is linesReused where the bytes of each line are
	// overwritten as soon as it has been examined: tests check that
	// nothing read a line afterwards.
	linesPoisoned
)

// logReader cuts a log into lines.
type logReader struct {
	enc  *logenc.Encoding
	mode lineMode
	// line gets each line with its "\n" (the last one may lack it),
	// decoded.
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
		if end := lr.enc.LastLineEnd(buf[:have], have-k); end > 0 {
			var block string
			if lr.mode == linesCopied {
				block = string(buf[:end])
			} else {
				// The lines are views of buf, whose bytes the copy
				// below and the next read overwrite. Invariant: no
				// string of this block is read once the loop below is
				// done with it, unless copied (see linesReused).
				// TestRegexReusedLines runs the stock sample logs and
				// FuzzRegexReusedLines random ones with linesPoisoned,
				// and compares the output with linesCopied's.
				block = unsafe.String(&buf[0], end)
			}
			verbatim := lr.enc.Verbatim(block)
			at := 0
			for len(block) > 0 {
				i := lr.enc.LineLen(block)
				line := block[:i]
				block = block[i:]
				n += int64(len(line))
				if !verbatim {
					line = lr.enc.Decode(line)
				}
				lr.line(line)
				if lr.mode == linesPoisoned {
					for j := at; j < at+i; j++ {
						buf[j] = poisonByte(j)
					}
				}
				at += i
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
			lr.line(lr.enc.Decode(string(buf[:have])))
			return false, nil
		}
		if have == len(buf) { // a line longer than the buffer
			buf = append(buf, make([]byte, len(buf))...)
		}
		lr.wait()
	}
}

// poisonByte is what linesPoisoned writes over byte j of the buffer:
// bytes that could still make a line, a date or an address, so that a
// line read after its time is read wrong rather than rejected.
func poisonByte(j int) byte { return "1:9 .a\n"[j%7] }

// read processes the lines of src. When complete is false, a last line
// without a line end is left out, as fail2ban does with files (it waits
// for the line to be finished).
func (r *regexRun) read(ctx context.Context, src io.Reader, complete bool, prog *progress) error {
	lr := &logReader{enc: r.o.enc, mode: r.lines, line: r.line, wait: r.clock.stale}
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
	src  func() time.Time // nil: time.Now
}

const clockLines = 64

func (c *lineClock) now() time.Time {
	if c.left <= 0 {
		c.t, c.left = time.Now(), clockLines
		if c.src != nil {
			c.t = c.src()
		}
	}
	c.left--
	return c.t
}

func (c *lineClock) stale() { c.left = 0 }

// skip counts a line the filter could not examine (a regex ran out of
// steps on it) and says which: in the summary, or on stderr when only
// failures are printed.
func (r *regexRun) skip(line string, err error) {
	r.skipped++
	r.tested++
	why := err.Error()
	var se *filter.StepLimitError
	if errors.As(err, &se) {
		switch se.Kind {
		case "failregex", "ignoreregex":
			re, list := se.Regex, r.fail // as written, when known
			if se.Kind == "ignoreregex" {
				list = r.ign
			}
			if se.Index < len(list) {
				re = list[se.Index].re
			}
			why = fmt.Sprintf("%s %d ran out of steps (budget %d): %s", se.Kind, se.Index+1, se.Budget, shortstr(re, 60))
		case "date":
			why = fmt.Sprintf("date template %s ran out of steps (budget %d)", shortstr(se.Regex, 60), se.Budget)
		default:
			why = fmt.Sprintf("%s ran out of steps (budget %d)", se.Kind, se.Budget)
		}
	}
	if r.quiet() {
		fmt.Fprintf(r.warn, "warning: line %d skipped: %s\n", r.lineNo, why)
		return
	}
	if len(r.skippedL) < maxSkipList {
		r.skippedL = append(r.skippedL, fmt.Sprintf("line %d: %s: %s", r.lineNo, why, shortstr(line, 80)))
	}
}

// maxSkipList bounds the skipped lines the summary lists.
const maxSkipList = 100

func (r *regexRun) line(raw string) {
	r.lineNo++
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
		r.skip(line, err)
		return
	}
	info := &r.f.Last // not a copy: the struct is wide and was just written field by field
	ret := r.ret[:0]
	isIgnored := len(info.Ignored) > 0
	for _, m := range found {
		if !r.quiet() && m.Regex < len(r.fail) {
			r.fail[m.Regex].hits++
			if r.o.verbose > 0 {
				r.fail[m.Regex].found = append(r.fail[m.Regex].found, foundFailure{id: r.keep(m.ID), hasID: m.HasID, time: m.Time, noTime: m.NoTime, multi: len(ret) > 1})
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
			r.ignoredL = append(r.ignoredL, r.keep(line))
		}
	case len(ret) > 0:
		r.matched++
		if r.o.printAllMatched {
			r.matchedL = append(r.matchedL, r.keep(line))
		}
	default:
		r.missed++
		if !r.o.printNoMissed && (r.o.printAllMissed || r.missed <= r.limit+1) {
			r.missedL = append(r.missedL, r.keep(line))
		}
	}
	r.tested++
}

// keep returns s, a part of the line being examined, to be kept past
// it: a copy unless lines are copies already (see lineMode).
func (r *regexRun) keep(s string) string {
	if r.lines == linesCopied {
		return s
	}
	return strings.Clone(s)
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
	if m.NoTime {
		b = append(b, "null"...) // fail2ban-regex -o row: None
	} else {
		b = appendTime(b, m.Time)
	}
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
		// a name needs no escape (filter.Field)
		b = append(b, '"')
		b = append(b, fl.Name...)
		b = append(b, '"', ':')
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
	for {
		k := plainJSONLen(s)
		b = append(b, s[:k]...)
		if k == len(s) {
			break
		}
		switch c := s[k]; c {
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
		s = s[k+1:]
	}
	return append(b, '"')
}

// plainJSONLen returns the length of the longest prefix of s that a JSON
// string holds as it is: no byte below 0x20, '"', '\\' or DEL, sixteen
// bytes at a time, the last few in one word that overlaps the ones before.
func plainJSONLen(s string) int {
	i := 0
	for ; i+16 <= len(s); i += 16 {
		if a, b := jsonEscapes(load64(s, i)), jsonEscapes(load64(s, i+8)); a|b != 0 {
			if a != 0 {
				return i + bits.TrailingZeros64(a)>>3
			}
			return i + 8 + bits.TrailingZeros64(b)>>3
		}
	}
	for ; i+8 <= len(s); i += 8 {
		if t := jsonEscapes(load64(s, i)); t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	if i == len(s) {
		return i
	}
	if k := len(s) - 8; k >= 0 {
		// the last word, whose bytes before i are plain: none is
		// flagged, nor borrows from the one above
		if t := jsonEscapes(load64(s, k)) >> (8 * (i - k)); t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
		return len(s)
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			break
		}
	}
	return i
}

// load64 returns the eight bytes of s from i, the first in the low byte.
func load64(s string, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// jsonEscapes flags (0x80) the bytes of x a JSON string needs escaped:
// below 0x20, '"', '\\' or DEL. The lowest flag is exact (a borrow runs
// only up from a flagged byte), the ones above it may not be. '"' is
// 0x22: with bit 1 flipped it is 0x20, and the bytes below 0x20 stay
// below it, so one test finds both.
func jsonEscapes(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v & highs }
	q := x ^ (0x02 * ones)
	return (q-0x21*ones)&^q&highs | zero(x^('\\'*ones)) | zero(x^(0x7f*ones))
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
	// the time of listing, read once, from the run's clock (fixed in tests)
	listNow := time.Now()
	if r.clock.src != nil {
		listNow = r.clock.src()
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
				out = append(out, f.format(listNow))
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
	fmt.Fprintf(w, "\nLines: %d lines, %d ignored, %d matched, %d missed", r.tested, r.ignored, r.matched, r.missed)
	if r.skipped > 0 {
		fmt.Fprintf(w, ", %d skipped", r.skipped)
	}
	fmt.Fprintln(w)
	if r.incomplete {
		fmt.Fprint(w, "Note: the last line has no line end and was not processed (fail2ban waits for it to be finished)\n")
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
	if r.skipped > 0 {
		header := "Skipped line(s): a regex ran out of steps on them (a hostile line against a backtracking-prone regex)"
		if r.skipped > len(r.skippedL) {
			header += fmt.Sprintf("; the first %d of %d", len(r.skippedL), r.skipped)
		}
		r.printList(r.skippedL, header)
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
