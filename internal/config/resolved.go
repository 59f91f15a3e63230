package config

import (
	"fmt"
	"strconv"
)

// Jail is a jail as fail2ban's server would hold it once configured.
type Jail struct {
	Name         string            `json:"name"`
	Source       string            `json:"source,omitempty"` // FILE:LINE of its section
	Filter       string            `json:"filter"`
	FilterArgs   map[string]string `json:"filter_args,omitempty"`
	Backend      string            `json:"backend"`
	FailRegex    []string          `json:"failregex"`
	IgnoreRegex  []string          `json:"ignoreregex"`
	PrefRegex    string            `json:"prefregex,omitempty"`
	DatePattern  string            `json:"datepattern,omitempty"`
	MaxLines     int               `json:"maxlines,omitempty"`
	UseDNS       string            `json:"usedns,omitempty"`
	JournalMatch [][]string        `json:"journalmatch,omitempty"`
	LogPath      []string          `json:"logpath"`
	LogPathTail  []bool            `json:"logpath_tail,omitempty"` // per logpath: start reading at the end
	LogEncoding  string            `json:"logencoding,omitempty"`
	LogTimezone  string            `json:"logtimezone,omitempty"`
	MaxRetry     int               `json:"maxretry"`
	MaxMatches   int               `json:"maxmatches,omitempty"`
	FindTime     float64           `json:"findtime"`
	BanTime      float64           `json:"bantime"`
	IgnoreIP     []string          `json:"ignoreip"`
	IgnoreSelf   *bool             `json:"ignoreself,omitempty"`
	IgnoreCmd    string            `json:"ignorecommand,omitempty"`
	Port         string            `json:"port,omitempty"`
	Protocol     string            `json:"protocol,omitempty"`
	// Other holds every other option set on the jail (bantime.increment,
	// bantime.maxtime, ignorecache, ...), as fail2ban passes it on.
	Other   map[string]any `json:"options,omitempty"`
	Actions []Action       `json:"actions"`

	// Where tells, for the filter options (failregex, ignoreregex,
	// prefregex, datepattern), the FILE:LINE their value was written at.
	Where map[string]string `json:"-"`
}

// Action is one action of a jail.
type Action struct {
	Name   string         `json:"name"`             // the action's name in the jail
	File   string         `json:"file"`             // the action.d file it comes from
	Native string         `json:"native,omitempty"` // Warden's in-process implementation, if any
	Python bool           `json:"python,omitempty"`
	Params map[string]any `json:"params"`
}

type foldErr struct{ opt, msg string }

// fold applies a command stream to an empty jail, as fail2ban's server
// would: "set" replaces, "add*" appends.
func fold(stream []cmd) (*Jail, []foldErr) {
	j := &Jail{FailRegex: []string{}, IgnoreRegex: []string{}, LogPath: []string{}, IgnoreIP: []string{}, Actions: []Action{}, Other: map[string]any{}}
	var errs []foldErr
	actIdx := map[string]int{}
	str := func(x any) string {
		switch v := x.(type) {
		case string:
			return v
		case int64:
			return strconv.FormatInt(v, 10)
		case bool:
			if v {
				return "true"
			}
			return "false"
		}
		return fmt.Sprint(x)
	}
	for _, c := range stream {
		if len(c) < 2 {
			continue
		}
		switch c[0] {
		case "add":
			j.Name = str(c[1])
			if len(c) > 2 {
				j.Backend = str(c[2])
			}
			continue
		case "set", "multi-set":
		default:
			continue
		}
		if len(c) < 4 {
			continue
		}
		op := str(c[2])
		args := c[3:]
		switch op {
		case "addfailregex", "addignoreregex":
			var list []string
			if l, ok := args[0].([]any); ok {
				for _, x := range l {
					list = append(list, str(x))
				}
			} else {
				list = []string{str(args[0])}
			}
			if op == "addfailregex" {
				j.FailRegex = append(j.FailRegex, list...)
			} else {
				j.IgnoreRegex = append(j.IgnoreRegex, list...)
			}
		case "addjournalmatch":
			var m []string
			for _, x := range args {
				m = append(m, str(x))
			}
			j.JournalMatch = append(j.JournalMatch, m)
		case "addignoreip":
			for _, x := range args {
				j.IgnoreIP = append(j.IgnoreIP, str(x))
			}
		case "addlogpath":
			j.LogPath = append(j.LogPath, str(args[0]))
			j.LogPathTail = append(j.LogPathTail, len(args) > 1 && str(args[1]) == "tail")
		case "addaction":
			name := str(args[0])
			a := Action{Name: name, Params: map[string]any{}}
			if len(args) >= 3 {
				a.Params["path"] = str(args[1])
				a.Params["args"] = str(args[2])
			}
			actIdx[name] = len(j.Actions)
			j.Actions = append(j.Actions, a)
		case "action":
			i, ok := actIdx[str(args[0])]
			if !ok || len(args) < 2 {
				continue
			}
			if multi, ok := args[1].([]any); ok {
				for _, kv := range multi {
					if p, ok := kv.([]any); ok && len(p) == 2 {
						j.Actions[i].Params[str(p[0])] = p[1]
					}
				}
			} else if len(args) >= 3 {
				j.Actions[i].Params[str(args[1])] = args[2]
			}
		case "prefregex":
			j.PrefRegex = str(args[0])
		case "datepattern":
			j.DatePattern = str(args[0])
		case "usedns":
			j.UseDNS = str(args[0])
		case "maxlines", "maxretry", "maxmatches":
			n, ok := args[0].(int64)
			if !ok {
				errs = append(errs, foldErr{op, fmt.Sprintf("%s must be a whole number", op)})
				continue
			}
			switch op {
			case "maxlines":
				j.MaxLines = int(n)
			case "maxretry":
				j.MaxRetry = int(n)
			default:
				j.MaxMatches = int(n)
			}
		case "findtime", "bantime":
			t, err := ParseTime(str(args[0]))
			if err != nil {
				errs = append(errs, foldErr{op, fmt.Sprintf("%s: %v", op, err)})
				continue
			}
			if op == "findtime" {
				j.FindTime = t
			} else {
				j.BanTime = t
			}
		case "logencoding":
			j.LogEncoding = str(args[0])
		case "logtimezone":
			j.LogTimezone = str(args[0])
		case "ignoreself":
			b, _ := args[0].(bool)
			j.IgnoreSelf = &b
		case "ignorecommand":
			j.IgnoreCmd = str(args[0])
		default:
			if op == "bantime.maxtime" || op == "bantime.rndtime" {
				if _, err := ParseTime(str(args[0])); err != nil {
					errs = append(errs, foldErr{op, fmt.Sprintf("%s: %v", op, err)})
				}
			}
			j.Other[op] = args[0]
		}
	}
	if len(j.Other) == 0 {
		j.Other = nil
	}
	return j, errs
}
