package datedetect

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// civil is a naive (zone-less) date and time, like Python's naive
// datetime with second precision.
type civil struct {
	year, month, day, hour, min, sec int
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func (c civil) valid() bool {
	return c.year >= 1 && c.year <= 9999 && c.month >= 1 && c.month <= 12 &&
		c.day >= 1 && c.day <= daysIn(c.year, c.month) &&
		c.hour >= 0 && c.hour <= 23 && c.min >= 0 && c.min <= 59 && c.sec >= 0 && c.sec <= 59
}

// seconds counts seconds of c on a proleptic calendar treated as UTC
// (Unix time if c were in UTC). Fields must be in range.
func (c civil) seconds() int64 {
	return daysFromCivil(c.year, c.month, c.day)*86400 + int64(c.hour*3600+c.min*60+c.sec)
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian
// date.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromSeconds inverts seconds; ok is false outside years 1..9999.
func civilFromSeconds(s int64) (civil, bool) {
	t := time.Unix(s, 0).UTC()
	c := civil{t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()}
	return c, c.year >= 1 && c.year <= 9999
}

// pyInt parses text like Python's int(str): surrounding whitespace,
// optional sign, decimal digits of any script, single underscores
// between digits.
func pyInt(s string) (int, bool) {
	// common case: ASCII spaces, then one to nine ASCII digits
	i := 0
	for i < len(s) && isSpaceByte(s[i]) {
		i++
	}
	if n := len(s) - i; n > 0 && n <= 9 {
		v := 0
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				v = -1
				break
			}
			v = v*10 + int(c-'0')
		}
		if v >= 0 {
			return v, true
		}
	}
	s = strings.TrimFunc(s, func(r rune) bool { return isPySpace(r) })
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	v, n := 0, 0
	prevUnderscore := true
	for _, r := range s {
		if r == '_' {
			if prevUnderscore {
				return 0, false
			}
			prevUnderscore = true
			continue
		}
		d := digitValue(r)
		if d < 0 {
			return 0, false
		}
		prevUnderscore = false
		n++
		if n > 15 {
			return 0, false
		}
		v = v*10 + d
	}
	if prevUnderscore {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// digitValue returns the value of a decimal digit of any script, or -1.
// Every range of Unicode category Nd is a run of whole 0..9 sequences.
func digitValue(r rune) int {
	if r < utf8.RuneSelf {
		if '0' <= r && r <= '9' {
			return int(r - '0')
		}
		return -1
	}
	if !unicode.IsDigit(r) {
		return -1
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return -1
}

// asciiDigits rewrites decimal digits of any script to ASCII.
func asciiDigits(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			var b strings.Builder
			for _, r := range s {
				if d := digitValue(r); d >= 0 {
					b.WriteByte(byte('0' + d))
				} else {
					b.WriteRune(r)
				}
			}
			return b.String()
		}
	}
	return s
}

// zoneOffset converts a zone spec such as "CEST", "+0200", "UTC-04:30"
// or "CET+01" to minutes east of UTC. errUnknownZone is returned for a
// well-formed but unknown abbreviation.
func zoneOffset(z string, caps *[]int) (int, error) {
	if off, ok := numericZone(z); ok {
		return off, nil
	}
	c, _ := reZoneSpec.re().AppendSearch(*caps, z)
	if c == nil {
		return 0, errBadZone
	}
	*caps = c
	abbr := groupText(z, c, 1)
	off := groupText(z, c, 2)
	base, ok := zoneOffsets[abbr]
	if !ok && abbr != "" {
		return 0, errUnknownZone
	}
	if off == "" {
		return base, nil
	}
	return base + offsetMinutes(off), nil
}

// offsetMinutes converts the offset group of reZoneSpec ("+02", "-0430",
// "+04:30") to minutes east of UTC.
func offsetMinutes(off string) int {
	sign := 1
	if off[0] == '-' {
		sign = -1
	}
	rs := []rune(off)
	num := func(a, b int) int {
		v, _ := pyInt(string(rs[a:b]))
		return v
	}
	switch {
	case len(rs) <= 3:
		v, _ := pyInt(off)
		return v * 60
	case rs[3] != ':':
		return sign * (num(1, 3)*60 + num(3, 5))
	default:
		return sign * (num(1, 3)*60 + num(4, 6))
	}
}

// numericZone is zoneOffset for the common ASCII forms +hh, +hhmm and
// +hh:mm (hh from 00 to 19, as reZoneSpec allows); ok is false for
// anything else, which zoneOffset then parses in full.
func numericZone(z string) (int, bool) {
	n := len(z)
	if (n != 3 && n != 5 && n != 6) || (z[0] != '+' && z[0] != '-') || (z[1] != '0' && z[1] != '1') || !isDigitByte(z[2]) {
		return 0, false
	}
	h, mins := int(z[1]-'0')*10+int(z[2]-'0'), 0
	switch {
	case n == 5 && isDigitByte(z[3]) && isDigitByte(z[4]):
		mins = int(z[3]-'0')*10 + int(z[4]-'0')
	case n == 6 && z[3] == ':' && isDigitByte(z[4]) && isDigitByte(z[5]):
		mins = int(z[4]-'0')*10 + int(z[5]-'0')
	case n != 3:
		return 0, false
	}
	off := h*60 + mins
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// clock captures "now" for one conversion, as fail2ban's MyTime does.
type clock struct {
	now   time.Time
	sec   int64 // now rounded to microseconds, in Unix seconds (floor)
	naive int64 // now as naive local wall-clock seconds (floor)
	year  int
	month int
	day   int
}

// roundedUnix is now.Round(time.Microsecond).Unix(); ok is false where
// the shortcut is not known to agree (times before 1970).
func roundedUnix(now time.Time) (sec int64, ok bool) {
	sec = now.Unix()
	if sec < 0 {
		return 0, false
	}
	// Round keeps the second unless the nanoseconds round up to the
	// next one (halfway values round up)
	if now.Nanosecond() >= 1e9-500 {
		sec++
	}
	return sec, true
}

// set makes c the clock for now. Its fields other than now depend only
// on now rounded to whole seconds, so they are kept within the same
// second.
func (c *clock) set(now time.Time, loc *time.Location) {
	if sec, ok := roundedUnix(now); ok && c.year != 0 && c.sec == sec {
		c.now = now
		return
	}
	r := now.Round(time.Microsecond)
	l := r.In(loc)
	*c = clock{
		now:   now,
		sec:   r.Unix(),
		naive: civil{l.Year(), int(l.Month()), l.Day(), l.Hour(), l.Minute(), l.Second()}.seconds(),
		year:  l.Year(),
		month: int(l.Month()),
		day:   l.Day(),
	}
}

func unixFloat(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// dateFields are the values strptime reads from a match, before
// defaults and zones are applied.
type dateFields struct {
	year, month, day, tzoff              int
	hour, minute, second                 int
	weekday, julian, week, weekKey       int
	haveYear, haveMonth, haveDay, haveTZ bool
	haveJulian, haveWeek, haveWeekday    bool
}

// strptime converts the fields of a pattern template match to Unix time,
// following fail2ban's rules: missing year means this year (or last year
// if that lies more than a day ahead), missing date means today (or
// yesterday), an explicit zone wins over the default one, fractional
// seconds are dropped.
func (d *Detector) strptime(line string, t *template, caps []int, clk *clock) (float64, error) {
	var v dateFields
	if err := d.parseFields(line, t, caps, &v); err != nil {
		return 0, err
	}
	return d.resolve(&v, clk)
}

// parseFields reads the strptime fields of a match into v.
func (d *Detector) parseFields(line string, t *template, caps []int, v *dateFields) error {
	for _, f := range t.fields {
		s, e := caps[2*f.group], caps[2*f.group+1]
		if s < 0 || e < 0 {
			continue
		}
		val := line[s:e]
		var ok bool
		switch f.key {
		case 'y':
			if v.year, ok = pyInt(val); ok && v.year <= 2000 {
				v.year += 2000
			}
			v.haveYear = true
		case 'Y':
			v.year, ok = pyInt(val)
			v.haveYear = true
		case 'm':
			v.month, ok = pyInt(val)
			v.haveMonth = true
		case 'B', 'b':
			names := monthAbbr
			if f.key == 'B' {
				names = monthFull
			}
			v.month, ok = nameIndex(names, val)
			v.month++
			v.haveMonth = true
		case 'd':
			v.day, ok = pyInt(val)
			v.haveDay = true
		case 'H':
			v.hour, ok = pyInt(val)
		case 'I':
			if v.hour, ok = pyInt(val); ok {
				ampm := ""
				if g := t.re.SubexpIndex("p"); g > 0 {
					ps, pe := caps[2*g], caps[2*g+1]
					if ps < 0 || pe < 0 {
						// fail2ban calls .lower() on None here
						return ErrLineRejected
					}
					ampm = strings.ToLower(line[ps:pe])
				}
				switch ampm {
				case "", "am":
					if v.hour == 12 {
						v.hour = 0
					}
				case "pm":
					if v.hour != 12 {
						v.hour += 12
					}
				}
			}
		case 'M':
			v.minute, ok = pyInt(val)
		case 'S':
			v.second, ok = pyInt(val)
		case 'f', 'p':
			ok = true
		case 'A', 'a':
			names := dayAbbr
			if f.key == 'A' {
				names = dayFull
			}
			v.weekday, ok = nameIndex(names, val)
			v.haveWeekday = true
		case 'w':
			if v.weekday, ok = pyInt(val); ok {
				v.weekday--
				if v.weekday < 0 {
					v.weekday = 6
				}
			}
			v.haveWeekday = true
		case 'j':
			v.julian, ok = pyInt(val)
			v.haveJulian = true
		case 'U', 'W':
			v.week, ok = pyInt(val)
			v.weekKey = int(f.key)
			v.haveWeek = true
		case 'z', 'Z':
			if val == "Z" || val == "UTC" || val == "GMT" {
				v.tzoff, ok = 0, true
			} else {
				off, err := zoneOffset(val, &d.zcaps)
				if err == errUnknownZone {
					return ErrLineRejected
				}
				v.tzoff, ok = off, err == nil
			}
			v.haveTZ = true
		default:
			ok = true
		}
		if !ok {
			return ErrInvalidDate
		}
	}
	return nil
}

// resolve is the second half of strptime: it fills in what v lacks and
// converts the date to Unix time.
func (d *Detector) resolve(v *dateFields, clk *clock) (float64, error) {
	assumeYear := false
	if !v.haveYear {
		v.year = clk.year
		assumeYear = true
	}
	if !v.haveMonth || !v.haveDay {
		if !v.haveJulian && v.haveWeek && v.haveWeekday {
			v.julian = julianFromWeek(v.year, v.week, v.weekday, v.weekKey == 'W')
			v.haveJulian = true
		}
		if v.haveJulian {
			if v.year < 1 || v.year > 9999 {
				return 0, ErrInvalidDate
			}
			base := civil{v.year, 1, 1, 0, 0, 0}.seconds()
			c, ok := civilFromSeconds(base + int64(v.julian-1)*86400)
			if !ok {
				return 0, ErrInvalidDate
			}
			v.year, v.month, v.day = c.year, c.month, c.day
			v.haveMonth, v.haveDay = true, true
		}
	}
	assumeToday := false
	if !v.haveMonth && !v.haveDay {
		v.month, v.day = clk.month, clk.day
		assumeToday = true
	} else if !v.haveMonth || !v.haveDay {
		// fail2ban passes None to datetime() and raises TypeError
		return 0, ErrLineRejected
	}

	c := civil{v.year, v.month, v.day, v.hour, v.minute, v.second}
	if !c.valid() {
		return 0, ErrInvalidDate
	}
	if !v.haveTZ && d.defaultTZ != nil {
		v.tzoff, v.haveTZ = *d.defaultTZ, true
	}
	secs := d.monthStart(v.year, v.month) + int64((v.day-1)*86400+v.hour*3600+v.minute*60+v.second)
	if v.haveTZ {
		secs -= int64(v.tzoff) * 60
		if !inCivilRange(secs) {
			return 0, ErrLineRejected // OverflowError in fail2ban
		}
	}
	if assumeToday && secs > clk.naive {
		secs -= 86400
		if !inCivilRange(secs) {
			return 0, ErrLineRejected
		}
	}
	if assumeYear && secs > clk.naive+86400 {
		var ok bool
		if secs, ok = d.lastYear(secs, v.year, v.month, v.day); !ok {
			return 0, ErrInvalidDate
		}
	}
	if v.haveTZ {
		return float64(secs), nil
	}
	return float64(d.localUnix(secs)), nil
}

// lastYear moves secs, the seconds of a date in year, month and day (a
// valid date) more than a day ahead of the time now, to the year before,
// as fail2ban does: it keeps the time of day of secs (shifted by a zone
// offset, if any) but puts back the original month and day. ok is false
// when that date does not exist.
func (d *Detector) lastYear(secs int64, year, month, day int) (int64, bool) {
	if year <= 1 || day > daysIn(year-1, month) {
		return 0, false
	}
	tod := secs % 86400 // the time of day of civilFromSeconds(secs)
	if tod < 0 {
		tod += 86400
	}
	return d.prevMonth.start(year-1, month) + int64(day-1)*86400 + tod, true
}

// monthStart is civil{year, month, 1, 0, 0, 0}.seconds() for a month
// from 1 to 12, remembered for the months of the last year asked (log
// lines come in date order, but a log such as bench/regex.sh's mixes
// months).
func (d *Detector) monthStart(year, month int) int64 { return d.month.start(year, month) }

// start is monthStart with c as the memory.
func (c *monthCache) start(year, month int) int64 {
	if c.year != year || c.have == 0 {
		c.year, c.have = year, 0
	}
	if c.have&(1<<month) == 0 {
		c.secs[month] = daysFromCivil(year, month, 1) * 86400
		c.have |= 1 << month
	}
	return c.secs[month]
}

// monthCache holds the results of monthStart for year: secs[m] is
// known when bit m of have is set.
type monthCache struct {
	year int
	have uint16
	secs [13]int64
}

// Years 1 to 9999 in the seconds of civil.seconds.
var (
	minCivilSeconds = daysFromCivil(1, 1, 1) * 86400
	endCivilSeconds = daysFromCivil(10000, 1, 1) * 86400
)

// inCivilRange reports whether civilFromSeconds(s) succeeds.
func inCivilRange(s int64) bool { return minCivilSeconds <= s && s < endCivilSeconds }

// zoneSpan is the result of the location lookup time.Date does first:
// the offset of the zone in effect at a Unix time and the interval
// [start, end) of Unix times it covers.
type zoneSpan struct {
	valid      bool
	off        int64
	start, end int64
}

// localUnix is time.Date(civil of naive, d.loc).Unix() for naive seconds
// as returned by civil.seconds. It repeats time.Date's algorithm (look up
// the zone at naive as if it were UTC, subtract its offset, and look up
// again if that leaves the zone), but keeps the first lookup, so that
// lines from the same zone period skip both lookups.
func (d *Detector) localUnix(naive int64) int64 {
	z := &d.zone
	if !z.valid || naive < z.start || naive >= z.end {
		t := time.Unix(naive, 0).In(d.loc)
		_, off := t.Zone()
		s, e := t.ZoneBounds()
		*z = zoneSpan{valid: true, off: int64(off), start: math.MinInt64, end: math.MaxInt64}
		if !s.IsZero() {
			z.start = s.Unix()
		}
		if !e.IsZero() {
			z.end = e.Unix()
		}
	}
	if z.off == 0 {
		return naive
	}
	utc := naive - z.off
	if utc >= z.start && utc < z.end {
		return utc
	}
	_, off := time.Unix(utc, 0).In(d.loc).Zone()
	return naive - int64(off)
}

// nameIndex finds the lower-cased val in names (Python's list.index of
// str.lower()).
func nameIndex(names []string, val string) (int, bool) {
	if asciiOnly(val) {
		// names are lower-case ASCII: compare ignoring ASCII case
	next:
		for i, n := range names {
			if len(n) != len(val) {
				continue
			}
			for k := 0; k < len(n); k++ {
				if lowerByte(val[k]) != n[k] {
					continue next
				}
			}
			return i, true
		}
		return 0, false
	}
	val = strings.ToLower(val)
	for i, n := range names {
		if len(n) == len(val) && strings.EqualFold(n, val) && asciiOnly(val) {
			return i, true
		}
	}
	return 0, false
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// julianFromWeek is the day of the year for a week number (%U: weeks
// start on Sunday, %W: on Monday) and a weekday (0 = Monday).
func julianFromWeek(year, week, weekday int, mondayFirst bool) int {
	first := (int(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Weekday()) + 6) % 7
	if !mondayFirst {
		first = (first + 1) % 7
		weekday = (weekday + 1) % 7
	}
	week0 := (7 - first) % 7
	if week == 0 {
		return 1 + weekday - first
	}
	return 1 + week0 + 7*(week-1) + weekday
}

// epochValue converts the text of an Epoch template match.
func epochValue(v string, long bool) (float64, error) {
	v = asciiDigits(v)
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, ErrInvalidDate
	}
	if long && utf8.RuneCountInString(v) >= 13 {
		if utf8.RuneCountInString(v) >= 16 && !strings.Contains(v, ".") {
			f /= 1000000
		} else {
			f /= 1000
		}
	}
	return f, nil
}

// tai64nValue converts "@4000000037c219bf2ef02e94" to Unix seconds the
// way fail2ban does: the hex digits 2..16 of the label, no leap seconds.
func tai64nValue(v string) (float64, error) {
	if len(v) < 17 {
		return 0, ErrInvalidDate
	}
	n, err := strconv.ParseInt(v[2:17], 16, 64)
	if err != nil {
		return 0, ErrInvalidDate
	}
	return float64(n), nil
}

// isPySpace is Python's str.isspace for one character (what str.strip
// removes).
func isPySpace(r rune) bool {
	if r < utf8.RuneSelf {
		return isSpaceByte(byte(r))
	}
	return unicode.IsSpace(r)
}
