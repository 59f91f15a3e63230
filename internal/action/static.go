package action

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// maxTagReplace bounds the interpolation of tags within tags, as
// fail2ban's MAX_TAG_REPLACE_COUNT does.
const maxTagReplace = 25

// ErrRecursion is returned when the action's tags refer to themselves, or
// nest deeper than fail2ban allows.
var ErrRecursion = errors.New("self-referencing or too deeply nested tags")

// escapedTags are the tags fail2ban never interpolates recursively and
// escapes when they come from the action's own parameters.
var escapedTags = map[string]bool{"matches": true, "ipmatches": true, "ipjailmatches": true}

// findTag finds the first tag at or after from in s as fail2ban's TAG_CRE
// (<([^ <>]+)>) does: it returns the positions of '<' and of the closing
// '>', or -1.
func findTag(s string, from int) (start, end int) {
	for i := from; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != ' ' && s[j] != '<' && s[j] != '>' {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '>' {
			return i, j
		}
		// A '<' ends the run: the next try starts there.
		i = j - 1
	}
	return -1, -1
}

// subTags replaces every tag of s, left to right and without looking at
// what a replacement brings, by what repl returns for its name (ok false:
// the tag stays).
func subTags(s string, repl func(tag string, start int) (string, bool)) string {
	var b strings.Builder
	last := 0
	for pos := 0; ; {
		st, en := findTag(s, pos)
		if st < 0 {
			break
		}
		if v, ok := repl(s[st+1:en], st); ok {
			b.WriteString(s[last:st])
			b.WriteString(v)
			last = en + 1
		}
		pos = en + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// lookupCond returns tags[tag+"?"+cond] when cond is set and that key
// exists, else tags[tag].
func lookupCond(tags map[string]string, tag, cond string) (string, bool) {
	if cond != "" {
		if v, ok := tags[tag+"?"+cond]; ok {
			return v, true
		}
	}
	v, ok := tags[tag]
	return v, ok
}

// substituteRecursive interpolates the tags of the values of tags with the
// other values, as fail2ban's substituteRecursiveTags does (conditional
// keys such as "blocktype?family=inet6" first, tags in ignore and unknown
// tags left alone). It returns a new map.
func substituteRecursive(in map[string]string, cond string) (map[string]string, error) {
	tags := make(map[string]string, len(in))
	keys := make([]string, 0, len(in))
	for k, v := range in {
		tags[k] = v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	done := map[string]bool{}
	counts := map[string]map[string]int{}
	for {
		again := false
		for _, tag := range keys {
			if escapedTags[tag] || done[tag] {
				continue
			}
			value := tags[tag]
			orig := value
			rplc := counts[tag]
			if rplc == nil {
				rplc = map[string]int{}
			}
			st, en := findTag(value, 0)
			for st >= 0 {
				rtag := value[st+1 : en]
				if escapedTags[rtag] {
					st, en = findTag(value, en+1)
					continue
				}
				n, seen := rplc[rtag]
				if !seen {
					n = 1
				}
				if rtag == tag || n > maxTagReplace {
					return nil, fmt.Errorf("tag %q refers to %q: %w", tag, rtag, ErrRecursion)
				}
				repl, ok := lookupCond(tags, rtag, cond)
				if !ok {
					st, en = findTag(value, en+1)
					continue
				}
				value = strings.ReplaceAll(value, "<"+rtag+">", repl)
				rplc[rtag]++
				st, en = findTag(value, st)
			}
			if value != orig {
				if s, _ := findTag(value, 0); s >= 0 {
					counts[tag] = rplc
					again = true
				}
				tags[tag] = value
			}
			if !strings.Contains(value, "<") {
				done[tag] = true
			}
		}
		if !again {
			return tags, nil
		}
	}
}

// escapeTag backslash-escapes the characters fail2ban's escapeTag does
// (a newline becomes \n, a carriage return \r).
func escapeTag(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\\', '#', '&', ';', '`', '|', '*', '?', '~', '<', '>', '^', '(', ')', '[', ']', '{', '}', '$', '\'', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// replaceStatic interpolates query with the action's parameters as
// fail2ban's CommandAction.replaceTag does: the parameters are first
// interpolated among themselves (sub, from substituteRecursive), then the
// query's tags are replaced until nothing changes; tags no parameter
// names fall back to extra (br, sp, the host names) or stay as they are.
func replaceStatic(query string, sub map[string]string, cond string, extra func(string) (string, bool)) (string, error) {
	if !strings.Contains(query, "<") {
		return query, nil
	}
	for count := maxTagReplace + 1; ; {
		value := subTags(query, func(tag string, _ int) (string, bool) {
			v, ok := lookupCond(sub, tag, cond)
			if !ok {
				return extra(tag)
			}
			if escapedTags[tag] {
				v = escapeTag(v)
			}
			return v, true
		})
		if value == query || !strings.Contains(value, "<") {
			return value, nil
		}
		query = value
		count--
		if count <= 0 {
			return "", fmt.Errorf("interpolating %q: %w", query, ErrRecursion)
		}
	}
}
