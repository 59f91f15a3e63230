// Package control is the daemon's control plane: HTTP+JSON over a unix
// socket (mode 0600). The server serves a Daemon; the Client is what the
// command-line tools (warden status, ban, unban, ...) call it with.
package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Daemon is what the control socket serves: the running daemon, seen from
// the commands. Its methods may be called concurrently.
//
// Errors: wrap ErrUnknownJail for a jail that does not exist (404) and
// ErrBadValue for a value, key or address the daemon refuses (400); any
// other error is the daemon's own failure (500). The error's text reaches
// the user as it is.
type Daemon interface {
	// Status: the jails, as "warden status" lists them.
	Status() (Overview, error)
	// JailStatus: one jail's counters, files and bans.
	JailStatus(jail string) (JailStatus, error)
	// Ban bans the addresses in jail and returns how many were not banned
	// there yet (fail2ban's "set JAIL banip" count).
	Ban(jail string, ips []string) (int, error)
	// Unban lifts the bans of ips, or every ban when all is true (ips is
	// then empty), in jail or, when jail is "", in every jail. It returns
	// how many bans were lifted; an address that is not banned is no error.
	Unban(jail string, ips []string, all bool) (int, error)
	// Banned returns, for each jail in the daemon's order, its banned
	// addresses among ips, or all of them when ips is empty.
	Banned(ips []string) ([]JailBans, error)
	// Reload parses and validates the configuration, then applies it; an
	// invalid configuration keeps the running one and the error says why.
	// jail "" reloads every jail; unban lifts the bans of the reloaded jails.
	Reload(jail string, unban bool) error
	// Get returns a jail setting (see Value for its kinds per key).
	Get(jail, key string) (Value, error)
	// Set changes a jail setting and returns its new value, as Get would.
	Set(jail, key, value string) (Value, error)
	// Ping answers when the daemon is up.
	Ping() error
	// Stop begins the daemon's shutdown and returns at once: the reply is
	// sent before the control server itself is shut down, so Stop must not
	// wait for that.
	Stop() error
}

// Errors a Daemon wraps so that the client sees the right kind; the Client
// returns an *Error for which errors.Is matches them too.
var (
	ErrUnknownJail = errors.New("unknown jail")
	ErrBadValue    = errors.New("bad value")
	// ErrNotRunning: nothing answers on the socket (it is missing, or
	// refuses connections). Returned (wrapped) by the Client.
	ErrNotRunning = errors.New("daemon not running")
)

// Overview is the answer of "status" without a jail.
type Overview struct {
	Jails []string `json:"jails"` // the jail names, sorted
	// Actions are the counters of the daemon's actions (the firewall,
	// mail, shell actions), with their last error: a failure is retried
	// and shown here, never silently dropped. JSON only.
	Actions []ActionStatus `json:"actions,omitempty"`
}

// ActionStatus is one action's counters.
type ActionStatus struct {
	Name          string    `json:"name"`
	Queued        int       `json:"queued"`  // events waiting or being handled
	Handled       uint64    `json:"handled"` // events done
	Errors        uint64    `json:"errors"`  // failed attempts, each retried with back-off
	Failed        uint64    `json:"failed"`  // events given up after the last attempt
	Dropped       uint64    `json:"dropped"` // events dropped from a full queue
	LastError     string    `json:"last_error,omitempty"`
	LastErrorTime time.Time `json:"last_error_time,omitzero"`
}

// JailStatus is one jail's status, as "status JAIL" prints it.
type JailStatus struct {
	Name            string `json:"name"`
	CurrentlyFailed int    `json:"currently_failed"`
	TotalFailed     int    `json:"total_failed"`
	// Evicted counts the addresses dropped by the cap on tracked failures
	// (JSON only: fail2ban's text has no such line).
	Evicted int `json:"evicted"`
	// FileList: the watched files; when Journal is true the jail reads
	// the systemd journal and JournalMatches are shown instead, each one
	// group of terms ("_SYSTEMD_UNIT=sshd.service _COMM=sshd").
	FileList        []string `json:"file_list"`
	Journal         bool     `json:"journal,omitempty"`
	JournalMatches  []string `json:"journal_matches,omitempty"`
	CurrentlyBanned int      `json:"currently_banned"`
	TotalBanned     int      `json:"total_banned"`
	BannedIPs       []string `json:"banned_ip_list"`
}

// JailBans is a jail's banned addresses, for "banned".
type JailBans struct {
	Jail string   `json:"jail"`
	IPs  []string `json:"ips"`
}

// Kind is the kind of a Value.
type Kind int

// The kinds of values.
const (
	None Kind = iota // not set (fail2ban's None)
	String
	Int
	Bool
	List
)

// Value is a jail setting as get and set return it. In JSON it is a plain
// value: null, a string, a whole number, true/false, or a list of strings.
//
// The kinds fail2ban uses, which the CLI formats as fail2ban-client does:
// Int for maxretry, findtime, bantime (seconds), maxmatches, maxlines;
// Bool for ignoreself; String for usedns, logencoding, ignorecommand,
// prefregex, logtimezone (None when unset) and the bantime.* options;
// List for ignoreip (and addignoreip, delignoreip), logpath, failregex,
// ignoreregex, actions, banip and journalmatch (one string per group).
type Value struct {
	Kind Kind
	Str  string
	Int  int64
	Bool bool
	List []string
}

// StringValue, IntValue, BoolValue and ListValue make values.
func StringValue(s string) Value { return Value{Kind: String, Str: s} }

// IntValue makes an Int value.
func IntValue(n int64) Value { return Value{Kind: Int, Int: n} }

// BoolValue makes a Bool value.
func BoolValue(b bool) Value { return Value{Kind: Bool, Bool: b} }

// ListValue makes a List value.
func ListValue(l []string) Value { return Value{Kind: List, List: l} }

// MarshalJSON writes the plain JSON value.
func (v Value) MarshalJSON() ([]byte, error) {
	switch v.Kind {
	case None:
		return []byte("null"), nil
	case String:
		return json.Marshal(v.Str)
	case Int:
		return []byte(strconv.FormatInt(v.Int, 10)), nil
	case Bool:
		return json.Marshal(v.Bool)
	case List:
		if v.List == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(v.List)
	}
	return nil, fmt.Errorf("marshal value: unknown kind %d", v.Kind)
}

// UnmarshalJSON reads a plain JSON value; a number must be whole.
func (v *Value) UnmarshalJSON(b []byte) error {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("decode value: %w", err)
	}
	switch x := raw.(type) {
	case nil:
		*v = Value{}
	case string:
		*v = StringValue(x)
	case bool:
		*v = BoolValue(x)
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return fmt.Errorf("decode value: %s is not a whole number", x)
		}
		*v = IntValue(n)
	case []any:
		l := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("decode value: a list holds strings, not %T", e)
			}
			l = append(l, s)
		}
		*v = ListValue(l)
	default:
		return fmt.Errorf("decode value: unexpected %T", raw)
	}
	return nil
}
