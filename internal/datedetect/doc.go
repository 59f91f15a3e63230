// Package datedetect finds and parses the timestamp of a log line exactly
// as fail2ban 1.0.2's DateDetector does: the same default templates in the
// same order, the same "last used template first" shortcut and hit-based
// template reordering, the same anchoring rules ({^LN-BEG}, {DATE},
// {UNB}, "**" markers), the special templates {NONE}, EPOCH, LEPOCH and
// TAI64N, custom datepatterns with fail2ban's strptime directives
// (including the %Ex… extensions), year and day inference relative to
// "now", and logtimezone handling.
//
// Templates are Python regular expressions (look-arounds,
// back-references, conditionals, Unicode \d \w \s and Python's case
// folding), compiled and run by package pyre, whose searches skip the
// start positions where a template cannot match (a template's ':' and the
// digits around it, its first characters): their cost grows with the
// length of the line on any input. A search that runs out of pyre's step
// budget is reported as a *StepLimitError.
//
// The fast paths: the lane (lane.go): when the template that dated the
// previous line is one of the syslog, ISO 8601 or Apache defaults and a
// straight-line matcher finds its date in the same place, Detect takes
// that match and reads the fields directly, as the general path would;
// the same straight-line matchers answer the line-begin variants of these
// templates in matchTime before pyre does; and the needs (needs.go): one
// pass over an ASCII line tells which default templates cannot match it
// (no "d:d" time, no month word, no long enough digit run), which are
// then skipped without being built or run.
//
// Each Detector builds the default templates (compiles their regexes)
// only when it first tries them, so New is cheap.
//
// Time is injected (Options.Now, Options.Location); the package never
// reads the wall clock itself except as the default of Options.Now.
//
// Known differences from fail2ban, all outside what real logs contain:
// fail2ban shares template hit counters between all detectors of a
// process (here each Detector counts alone); local times inside a
// daylight-saving transition are resolved by Go's time.Date rather than
// the C library's mktime; a datepattern containing a stray %s or %r is
// rejected (fail2ban inserts a dictionary dump into the regex); the
// templates' Unicode classes follow pyre's tables (Python's), while the
// str.isalnum test of the "last place" shortcut and digit values follow
// Go's.
package datedetect
