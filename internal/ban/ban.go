// Package ban is Warden's ban manager: it keeps the active bans of every
// jail, records them in the store, lifts them when their time is up, and
// tells its subscribers (the firewall, AbuseIPDB, mail and shell actions)
// about every change as a plain Event, in order.
//
// The flow of a ban: Ban applies it to the in-memory state at once (so
// Banned and Stats show it when Ban returns) and queues its event; the Run
// loop writes the queued changes to the store, all that arrived since its
// last write in one AddBans transaction, and only then hands the events to
// the actions. Each action has its own goroutine and queue, so a slow or
// failing action (a mail server that is down) never delays the store or
// the other actions; its failures are logged, counted and retried with
// back-off.
//
// Expiry uses one timer for the earliest end among all bans (a heap by end
// time), not a timer or goroutine per ban.
//
// The Event's Kind tells a subscriber what happened: KindRestore marks the
// bans loaded from the store when Run starts, which actions marked
// norestored in fail2ban's sense (the AbuseIPDB reporter, mail reports)
// ignore, while the firewall applies them like KindBan.
package ban

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wardenipd/warden/internal/clock"
)

// Ban is one ban of an address in a jail, as the store records it.
type Ban struct {
	Jail     string
	IP       string        // an address, or a prefix in CIDR form
	Time     time.Time     // when the ban started
	BanTime  time.Duration // < 0: permanent
	Count    int           // bans of this address in this jail, this one included
	Failures int           // failures that led to it
	Matches  []string      // the matched log lines; never modified in place
	// User is F-USER of the failure that decided the ban, when known; for
	// the actions' <F-USER> tag. The store does not keep it: a restored
	// ban has none.
	User string
}

// Permanent reports whether the ban never ends.
func (b Ban) Permanent() bool { return b.BanTime < 0 }

// End is when the ban ends; zero for a permanent ban.
func (b Ban) End() time.Time {
	if b.Permanent() {
		return time.Time{}
	}
	return b.Time.Add(b.BanTime)
}

// Kind is what happened to a ban.
type Kind int

const (
	// KindBan is a new ban.
	KindBan Kind = iota + 1
	// KindUnban is the end of a ban: its time is up, or Unban lifted it.
	KindUnban
	// KindRestore is an active ban loaded from the store when Run starts.
	// Actions that must not run again for a ban they already handled before
	// a restart (fail2ban's norestored: reporting, mail) ignore it; the
	// firewall applies it as a KindBan.
	KindRestore
	// KindProlong is a ban of an address already banned in the jail that
	// ends later than the current one (fail2ban's prolong): the Event's Ban
	// keeps the first ban's Time and carries the later end (End, or a
	// permanent BanTime). A firewall with kernel timeouts updates its
	// element; reporting actions ignore it.
	KindProlong
)

func (k Kind) String() string {
	switch k {
	case KindBan:
		return "ban"
	case KindUnban:
		return "unban"
	case KindRestore:
		return "restore"
	case KindProlong:
		return "prolong"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Event is what subscribers receive.
type Event struct {
	Kind Kind
	Ban  Ban
}

// Store is where bans are kept across restarts.
type Store interface {
	// AddBans records bans in one transaction; an active ban of the same
	// jail and address is replaced.
	AddBans(bans []Ban) error
	// RemoveBan ends the active ban of ip in jail.
	RemoveBan(jail, ip string) error
	// ActiveBans returns the bans not yet ended at now, permanent ones
	// included.
	ActiveBans(now time.Time) ([]Ban, error)
}

// Action reacts to bans: the firewall, AbuseIPDB, mail and shell actions.
// Each subscribed action receives every event of every jail, in order;
// an action that serves one jail ignores the others' events.
//
// Handle runs in the action's own goroutine; ctx is cancelled when the
// manager stops. An error is logged and counted and the same event is
// retried with back-off, up to the manager's attempts limit; an error
// wrapped with Permanent is not retried.
type Action interface {
	Name() string
	Handle(ctx context.Context, e Event) error
}

// BatchAction is an Action that takes several events at once (the
// firewall, which applies thousands of bans in one netlink batch). When
// an action implements it, HandleBatch is called instead of Handle with
// the events queued so far, in order, at most the batch size at a time;
// on error the whole batch is retried. The slice is shared with the other
// actions: HandleBatch must neither modify it nor keep it after returning.
type BatchAction interface {
	Action
	HandleBatch(ctx context.Context, events []Event) error
}

// Permanent marks an action's error as one that retrying cannot fix: the
// event is given up at once (logged and counted as failed).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

var (
	// ErrClosed is returned once Run has stopped.
	ErrClosed = errors.New("ban manager stopped")
	// ErrExpired is returned by Ban for a ban whose end has already passed;
	// nothing is recorded (fail2ban ignores such tickets too).
	ErrExpired = errors.New("ban time already over")
	// ErrNotBanned is returned by Unban when no matching ban is active.
	ErrNotBanned = errors.New("not banned")
	// ErrInvalid is returned for a ban without a jail or with an address
	// that is neither an IP address nor a CIDR prefix.
	ErrInvalid = errors.New("invalid ban")
)

// Option tunes a Manager.
type Option func(*options)

type options struct {
	pendingLimit int
	queueLimit   int
	maxAttempts  int
	batchSize    int
}

// WithPendingLimit sets how many events may wait for the Run loop before
// Ban blocks (back-pressure); default 65536.
func WithPendingLimit(n int) Option { return func(o *options) { o.pendingLimit = max(n, 1) } }

// WithQueueLimit sets how many ban and prolong events may wait in each
// action's queue; beyond it such an event is dropped for that action,
// logged and counted. Unban and restore events are never dropped: there is
// at most one of each per active ban. Default 65536, as the pending limit,
// so that a healthy action never drops a batch of the Run loop.
func WithQueueLimit(n int) Option { return func(o *options) { o.queueLimit = max(n, 1) } }

// WithMaxAttempts sets how many times an event is handed to a failing
// action before it is given up, logged and counted; default 10 (back-off of 1 s doubling to 1 min between
// attempts: about four minutes in all).
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = max(n, 1) } }

// WithBatchSize sets the most events passed to one HandleBatch call;
// default 4096.
func WithBatchSize(n int) Option { return func(o *options) { o.batchSize = max(n, 1) } }

// Manager keeps the active bans. Its methods are safe for concurrent use.
type Manager struct {
	store Store
	clock clock.Clock
	log   *slog.Logger
	opt   options

	started atomic.Bool
	ready   chan struct{} // closed once Run has made its first restore attempt
	done    chan struct{} // closed when Run stops
	wake    chan struct{} // tells the Run loop there is work
	syncReq chan chan error

	workers []*worker // fixed once Run starts

	mu     sync.Mutex
	bans   map[key]*entry
	expiry expiryHeap
	jails  map[string]*jailCount
	dirty  map[key]struct{} // changes not yet written to the store
	outbox []Event          // events waiting for the Run loop
	space  chan struct{}    // closed and replaced when the Run loop takes the outbox

	storeErrors    uint64
	storeFails     int // consecutive failures, for the back-off
	storeRetryAt   time.Time
	restored       bool
	restoreFails   int
	restoreRetryAt time.Time
	throttled      uint64
}

type key struct{ jail, ip string }

type entry struct {
	ban Ban
	idx int // index in the expiry heap; -1 when permanent
}

type jailCount struct {
	name          string
	banned, total int
}

// New returns a Manager that keeps its bans in st. log may be nil.
func New(st Store, c clock.Clock, log *slog.Logger, opts ...Option) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		store:   st,
		clock:   c,
		log:     log,
		opt:     options{pendingLimit: 65536, queueLimit: 65536, maxAttempts: 10, batchSize: 4096},
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		syncReq: make(chan chan error),
		bans:    make(map[key]*entry),
		jails:   make(map[string]*jailCount),
		dirty:   make(map[key]struct{}),
		space:   make(chan struct{}),
	}
	for _, o := range opts {
		o(&m.opt)
	}
	return m
}

// Subscribe adds an action. It must be called before Run; it panics
// afterwards.
func (m *Manager) Subscribe(a Action) {
	if m.started.Load() {
		panic("ban: Subscribe after Run")
	}
	w := &worker{m: m, a: a, name: a.Name(), wake: make(chan struct{}, 1)}
	if b, ok := a.(BatchAction); ok {
		w.batch = b
	}
	m.workers = append(m.workers, w)
}

// Ban bans b.IP in b.Jail. A zero b.Time means now; b.IP is stored in
// canonical form. When the address is already banned in the jail, a ban
// that ends later prolongs it (KindProlong: the first ban's start is kept,
// the end moves, the other fields are b's) and one that does not is
// ignored, as fail2ban does; a ban already over returns ErrExpired.
//
// The ban is in Banned and Stats when Ban returns; the Run loop then
// records it in the store and emits its event. Ban waits until Run has
// restored the stored bans, and blocks while the events not yet taken by
// the Run loop reach the pending limit (during a long store write), which
// slows the caller down instead of growing memory without bound. It
// returns ErrClosed once Run has stopped.
func (m *Manager) Ban(b Ban) error {
	b, err := m.normalize(b)
	if err != nil {
		return err
	}
	if err := m.waitReady(); err != nil {
		return err
	}
	m.mu.Lock()
	counted := false
	for len(m.outbox) >= m.opt.pendingLimit {
		ch := m.space
		if !counted {
			m.throttled++
			counted = true
		}
		m.mu.Unlock()
		select {
		case <-ch:
		case <-m.done:
			return ErrClosed
		}
		m.mu.Lock()
	}
	if m.isDone() {
		m.mu.Unlock()
		return ErrClosed
	}
	err = m.applyLocked(b, KindBan, m.clock.Now())
	m.mu.Unlock()
	m.signal()
	if err != nil {
		return fmt.Errorf("ban %s in %s: %w", b.IP, b.Jail, err)
	}
	return nil
}

// Unban lifts the ban of ip in jail, or in every jail when jail is "".
// It returns ErrNotBanned when ip is not banned there.
func (m *Manager) Unban(jail, ip string) error {
	canon, err := canonicalIP(ip)
	if err != nil {
		return fmt.Errorf("unban: %w", err)
	}
	if err := m.waitReady(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.isDone() {
		m.mu.Unlock()
		return ErrClosed
	}
	n := 0
	if jail != "" {
		if e, ok := m.bans[key{jail, canon}]; ok {
			m.removeLocked(e)
			n++
		}
	} else {
		var found []*entry
		for _, js := range m.jails {
			if e, ok := m.bans[key{js.name, canon}]; ok {
				found = append(found, e)
			}
		}
		slices.SortFunc(found, func(a, b *entry) int { return cmp.Compare(a.ban.Jail, b.ban.Jail) })
		for _, e := range found {
			m.removeLocked(e)
		}
		n = len(found)
	}
	m.mu.Unlock()
	if n == 0 {
		return fmt.Errorf("unban %s: %w", canon, ErrNotBanned)
	}
	m.signal()
	return nil
}

// UnbanAll lifts every ban of jail, or of every jail when jail is "", and
// returns how many it lifted.
func (m *Manager) UnbanAll(jail string) (int, error) {
	if err := m.waitReady(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	if m.isDone() {
		m.mu.Unlock()
		return 0, ErrClosed
	}
	var found []*entry
	for _, e := range m.bans {
		if jail == "" || e.ban.Jail == jail {
			found = append(found, e)
		}
	}
	slices.SortFunc(found, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(a.ban.Jail, b.ban.Jail), cmp.Compare(a.ban.IP, b.ban.IP))
	})
	for _, e := range found {
		m.removeLocked(e)
	}
	m.mu.Unlock()
	if len(found) > 0 {
		m.signal()
	}
	return len(found), nil
}

// Banned returns the active bans of jail, or of every jail when jail is
// "", ordered by jail, start time and address. Matches are kept in memory
// only until the ban is in the store, so they are usually nil here.
func (m *Manager) Banned(jail string) []Ban {
	m.mu.Lock()
	var out []Ban
	if js, ok := m.jails[jail]; ok {
		out = make([]Ban, 0, js.banned)
	}
	for _, e := range m.bans {
		if jail == "" || e.ban.Jail == jail {
			out = append(out, e.ban)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Ban) int {
		return cmp.Or(cmp.Compare(a.Jail, b.Jail), a.Time.Compare(b.Time), cmp.Compare(a.IP, b.IP))
	})
	return out
}

// JailStats are a jail's counters, as fail2ban-client status shows them.
type JailStats struct {
	Banned int // currently banned
	Total  int // banned since start, restored bans included; a prolong is not a new ban
}

// ActionStats are the counters of one subscribed action.
type ActionStats struct {
	Name    string
	Queued  int    // events waiting or being handled
	Handled uint64 // events handled successfully
	Errors  uint64 // failed attempts (each one logged)
	Failed  uint64 // events given up after the attempts limit or a Permanent error
	Dropped uint64 // events dropped because the queue was full
	// LastError is the error of the last failed attempt, and
	// LastErrorTime when it happened; empty when none failed.
	LastError     string
	LastErrorTime time.Time
}

// Stats are the manager's counters.
type Stats struct {
	Jails        map[string]JailStats
	Actions      []ActionStats
	StoreErrors  uint64 // failed store reads and writes (each one logged, then retried)
	StorePending int    // bans and unbans not yet written to the store
	Restored     bool   // the stored bans have been loaded
	Throttled    uint64 // Ban calls that waited on the pending limit
}

// JailStats returns the counters of jail (zero for an unknown jail).
func (m *Manager) JailStats(jail string) JailStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	if js, ok := m.jails[jail]; ok {
		return JailStats{Banned: js.banned, Total: js.total}
	}
	return JailStats{}
}

// Stats returns all the counters.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	s := Stats{
		Jails:        make(map[string]JailStats, len(m.jails)),
		StoreErrors:  m.storeErrors,
		StorePending: len(m.dirty),
		Restored:     m.restored,
		Throttled:    m.throttled,
	}
	for name, js := range m.jails {
		s.Jails[name] = JailStats{Banned: js.banned, Total: js.total}
	}
	m.mu.Unlock()
	for _, w := range m.workers {
		s.Actions = append(s.Actions, w.stats())
	}
	return s
}

// Sync waits until every change made before the call has been written to
// the store (even during a store back-off, one attempt is made) and its
// events handed to the actions' queues. It returns the store's error if
// that write failed: the bans stay in memory and the write is retried.
func (m *Manager) Sync(ctx context.Context) error {
	r := make(chan error, 1)
	select {
	case m.syncReq <- r:
	case <-m.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r:
		return err
	case <-m.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Manager) waitReady() error {
	select {
	case <-m.ready:
		return nil
	case <-m.done:
		return ErrClosed
	}
}

func (m *Manager) isDone() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

func (m *Manager) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) normalize(b Ban) (Ban, error) {
	if b.Jail == "" {
		return b, fmt.Errorf("ban without a jail: %w", ErrInvalid)
	}
	ip, err := canonicalIP(b.IP)
	if err != nil {
		return b, fmt.Errorf("ban in %s: %w", b.Jail, err)
	}
	b.IP = ip
	if b.Time.IsZero() {
		b.Time = m.clock.Now()
	}
	return b, nil
}

// canonicalIP returns ip as netip writes it: an address, or a masked
// prefix.
func canonicalIP(ip string) (string, error) {
	var buf [64]byte
	if a, err := netip.ParseAddr(ip); err == nil {
		if b := a.AppendTo(buf[:0]); string(b) != ip {
			return string(b), nil
		}
		return ip, nil // the usual case: no allocation
	}
	if p, err := netip.ParsePrefix(ip); err == nil {
		if b := p.Masked().AppendTo(buf[:0]); string(b) != ip {
			return string(b), nil
		}
		return ip, nil
	}
	return "", fmt.Errorf("address %q: %w", ip, ErrInvalid)
}
