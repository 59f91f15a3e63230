// Package nft is the nftables firewall.Backend. It speaks netlink to the
// kernel (github.com/google/nftables); it never runs the nft program.
//
// Everything lives in one table, "inet warden". Each Rule has five sets,
// named after it: NAME-a4 and NAME-a6 hold banned addresses (hash sets),
// NAME-n4 and NAME-n6 banned subnets (interval sets), all with the
// timeout flag, so the kernel ends a ban on time; NAME-p holds the
// rule's ports. The base chains "input" and "forward" (priority -1, as
// fail2ban's nftables actions) hold, per rule, hook and protocol, one
// rule per address set: "meta nfproto ipv4 meta l4proto tcp th dport
// @NAME-p ip saddr @NAME-a4 counter reject with tcp reset".
package nft

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/wardenipd/warden/internal/firewall"
)

// TableName is the name of Warden's table, of the inet family.
const TableName = "warden"

// Set name suffixes.
const (
	sufAddr4 = "-a4"
	sufNet4  = "-n4"
	sufAddr6 = "-a6"
	sufNet6  = "-n6"
	sufPorts = "-p"
)

// Batch limits. A message's element list is one netlink attribute, whose
// length is 16 bits: at most msgElems elements (48 bytes at most each,
// 56 with the message's share) in one message. A batch is one sendmsg,
// which must fit the socket's send buffer: 212992 bytes by default, more
// when root can force it (SO_SNDBUFFORCE) to sendBuf. Fewer, larger
// transactions matter for interval sets, which the kernel walks at each
// commit.
const (
	msgElems     = 1024
	elemBytes    = 56
	sendBuf      = 8 << 20
	minBatchElem = 3072
)

// Backend is the nftables Backend. It is safe for concurrent use; its
// calls are serialized.
type Backend struct {
	mu   sync.Mutex
	conn *nftables.Conn
	dl   time.Time // the deadline of the current call's sockets
	// batchElems is how many elements a batch holds, set from the send
	// buffer of the last socket opened.
	batchElems int
	// probed: readd was set by the first Setup. readd: the kernel does
	// not update the timeout of an element added again (before about
	// Linux 6.10), so an add is sent as add, delete, add.
	probed, readd bool
	table         *nftables.Table
	rules         map[string]*ruleSets // the rules set up, by name
}

// ruleSets are a rule's sets.
type ruleSets struct {
	rule                     firewall.Rule
	addr4, net4, addr6, net6 *nftables.Set
	ports                    *nftables.Set
}

var _ firewall.Backend = (*Backend)(nil)

// New returns the Backend of the nftables of the current network
// namespace. Each call opens its own netlink sockets (a socket left out
// of step by an error is not reused).
func New() (*Backend, error) {
	b := &Backend{
		table:      &nftables.Table{Name: TableName, Family: nftables.TableFamilyINet},
		rules:      map[string]*ruleSets{},
		batchElems: minBatchElem,
	}
	conn, err := nftables.New(nftables.WithSockOptions(b.sockOptions))
	if err != nil {
		return nil, fmt.Errorf("open nftables netlink: %w", err)
	}
	b.conn = conn
	return b, nil
}

// sockOptions sets up each netlink socket: errors without the request
// echoed (a failed batch of thousands of elements would overflow the
// receive buffer), a larger receive buffer, and the call's deadline.
func (b *Backend) sockOptions(c *netlink.Conn) error {
	if err := c.SetOption(netlink.CapAcknowledge, true); err != nil {
		return fmt.Errorf("netlink cap ack: %w", err)
	}
	_ = c.SetOption(netlink.ExtendedAcknowledge, true) // better errors where the kernel has them
	if err := c.SetReadBuffer(1 << 20); err != nil {
		return fmt.Errorf("netlink read buffer: %w", err)
	}
	b.batchElems = minBatchElem
	if raw, err := c.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) {
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, sendBuf) != nil {
				return
			}
			// The kernel doubles the value asked for, and reports that.
			if n, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF); err == nil {
				b.batchElems = max(minBatchElem, n/2*3/4/elemBytes)
			}
		})
	}
	if !b.dl.IsZero() {
		if err := c.SetDeadline(b.dl); err != nil {
			return fmt.Errorf("netlink deadline: %w", err)
		}
	}
	return nil
}

// batch returns a connection to queue one batch on: one that is dropped
// unflushed when queueing fails (a Conn can only send what it queued).
func (b *Backend) batch() (*nftables.Conn, error) {
	c, err := nftables.New(nftables.WithSockOptions(b.sockOptions))
	if err != nil {
		return nil, fmt.Errorf("open nftables netlink: %w", err)
	}
	return c, nil
}

// Close releases the Backend; the kernel keeps the rules.
func (b *Backend) Close() error { return nil }

func (b *Backend) Name() string { return "nftables" }

// deadline makes the sockets of the call end at ctx's deadline; the
// returned func clears it. b.mu is held.
func (b *Backend) deadline(ctx context.Context) func() {
	b.dl, _ = ctx.Deadline()
	return func() { b.dl = time.Time{} }
}

func (b *Backend) newSets(r firewall.Rule) *ruleSets {
	set := func(suffix string, key nftables.SetDatatype, interval, timeout bool) *nftables.Set {
		return &nftables.Set{Table: b.table, Name: r.Name + suffix, KeyType: key,
			Interval: interval, HasTimeout: timeout}
	}
	return &ruleSets{
		rule:  r,
		addr4: set(sufAddr4, nftables.TypeIPAddr, false, true),
		net4:  set(sufNet4, nftables.TypeIPAddr, true, true),
		addr6: set(sufAddr6, nftables.TypeIP6Addr, false, true),
		net6:  set(sufNet6, nftables.TypeIP6Addr, true, true),
		ports: set(sufPorts, nftables.TypeInetService, true, false),
	}
}

func (rs *ruleSets) all() []*nftables.Set {
	return []*nftables.Set{rs.addr4, rs.net4, rs.addr6, rs.net6, rs.ports}
}

// tableExists tells whether Warden's table is in the kernel.
func (b *Backend) tableExists() (bool, error) {
	tables, err := b.conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, fmt.Errorf("list tables: %w", err)
	}
	for _, t := range tables {
		if t.Name == TableName {
			return true, nil
		}
	}
	return false, nil
}

// Setup makes table inet warden hold exactly these rules, in one
// transaction: the chains' rules are written anew, the sets of kept
// rules keep their entries, the sets of rules not listed are deleted.
// With no rules, the table is deleted.
func (b *Backend) Setup(ctx context.Context, rules []firewall.Rule) error {
	if err := firewall.ValidateRules(rules); err != nil {
		return fmt.Errorf("nftables setup: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.deadline(ctx)()
	if len(rules) == 0 {
		if err := b.teardown(); err != nil {
			return fmt.Errorf("nftables setup: %w", err)
		}
		return nil
	}
	exists, err := b.tableExists()
	if err != nil {
		return fmt.Errorf("nftables setup: %w", err)
	}
	var old []*nftables.Set
	if exists {
		old, err = b.conn.GetSets(b.table)
		if err != nil {
			return fmt.Errorf("nftables setup: list sets: %w", err)
		}
	}

	oldByName := map[string]*nftables.Set{}
	for _, s := range old {
		oldByName[s.Name] = s
	}
	c, err := b.batch()
	if err != nil {
		return fmt.Errorf("nftables setup: %w", err)
	}
	c.AddTable(b.table)
	chains := map[firewall.Hook]*nftables.Chain{}
	for _, h := range []firewall.Hook{firewall.Input, firewall.Forward} {
		ch := &nftables.Chain{Name: chainName(h), Table: b.table, Type: nftables.ChainTypeFilter,
			Hooknum: hookNum(h), Priority: nftables.ChainPriorityRef(-1)}
		c.AddChain(ch)
		c.FlushChain(ch)
		chains[h] = ch
	}
	next := map[string]*ruleSets{}
	keep := map[string]bool{}
	for _, r := range rules {
		rs := b.newSets(r)
		for _, s := range rs.all() {
			if o, ok := oldByName[s.Name]; ok && !sameKind(o, s) {
				// Made otherwise (by another version): made anew, empty.
				c.DelSet(&nftables.Set{Table: b.table, Name: s.Name})
			}
			if err := c.AddSet(s, nil); err != nil {
				return fmt.Errorf("nftables setup: set %s: %w", s.Name, err)
			}
			keep[s.Name] = true
		}
		c.FlushSet(rs.ports)
		if len(r.Ports) > 0 {
			if err := c.SetAddElements(rs.ports, portElements(r.Ports)); err != nil {
				return fmt.Errorf("nftables setup: ports of %s: %w", r.Name, err)
			}
		}
		hooks := r.Hooks
		if len(hooks) == 0 {
			hooks = []firewall.Hook{firewall.Input}
		}
		for _, h := range hooks {
			for _, exprs := range ruleExprs(rs) {
				c.AddRule(&nftables.Rule{Table: b.table, Chain: chains[h], Exprs: exprs})
			}
		}
		next[r.Name] = rs
	}
	for _, s := range old {
		if !keep[s.Name] {
			c.DelSet(&nftables.Set{Table: b.table, Name: s.Name})
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("nftables setup: %w", err)
	}
	b.rules = next
	if !b.probed {
		updates, err := b.probeUpdate()
		if err != nil {
			return fmt.Errorf("nftables setup: %w", err)
		}
		b.probed, b.readd = true, !updates
	}
	return nil
}

// probeSet is the set probeUpdate makes and deletes; no rule's set has
// its name (theirs end in a suffix).
const probeSet = "probe"

// probeUpdate tells whether the kernel updates the timeout of an element
// added again: it adds one with a timeout of an hour, then two hours, and
// reads it back.
func (b *Backend) probeUpdate() (bool, error) {
	c, err := b.batch()
	if err != nil {
		return false, err
	}
	set := &nftables.Set{Table: b.table, Name: probeSet, KeyType: nftables.TypeIPAddr, HasTimeout: true}
	key := []byte{127, 0, 0, 1}
	defer func() {
		c.DelSet(set)
		_ = c.Flush()
	}()
	if err := c.AddSet(set, []nftables.SetElement{{Key: key, Timeout: time.Hour}}); err != nil {
		return false, fmt.Errorf("probe set: %w", err)
	}
	if err := c.Flush(); err != nil {
		return false, fmt.Errorf("probe set: %w", err)
	}
	if err := c.SetAddElements(set, []nftables.SetElement{{Key: key, Timeout: 2 * time.Hour}}); err != nil {
		return false, fmt.Errorf("probe set: %w", err)
	}
	if err := c.Flush(); err != nil {
		return false, fmt.Errorf("probe set: %w", err)
	}
	els, err := c.GetSetElements(set)
	if err != nil {
		return false, fmt.Errorf("probe set: %w", err)
	}
	if len(els) != 1 {
		return false, fmt.Errorf("probe set: %d elements, want 1", len(els))
	}
	return els[0].Timeout == 2*time.Hour, nil
}

// sameKind tells whether a set in the kernel is of the kind Setup makes.
func sameKind(old, s *nftables.Set) bool {
	return old.KeyType.Name == s.KeyType.Name && old.Interval == s.Interval &&
		old.HasTimeout == s.HasTimeout && !old.IsMap && !old.Constant
}

func chainName(h firewall.Hook) string {
	if h == firewall.Forward {
		return "forward"
	}
	return "input"
}

func hookNum(h firewall.Hook) *nftables.ChainHook {
	if h == firewall.Forward {
		return nftables.ChainHookForward
	}
	return nftables.ChainHookInput
}

func protoNum(proto string) byte {
	switch proto {
	case "udp":
		return unix.IPPROTO_UDP
	case "sctp":
		return unix.IPPROTO_SCTP
	case "udplite":
		return unix.IPPROTO_UDPLITE
	}
	return unix.IPPROTO_TCP
}

// ruleExprs returns the expressions of a rule's chain rules for one hook.
func ruleExprs(rs *ruleSets) [][]expr.Any {
	r := rs.rule
	protos := r.Protocols
	if len(protos) == 0 {
		protos = []string{""}
	}
	var out [][]expr.Any
	for _, proto := range protos {
		for _, set := range []*nftables.Set{rs.addr4, rs.net4, rs.addr6, rs.net6} {
			v6 := set == rs.addr6 || set == rs.net6
			nfproto, off, n := byte(unix.NFPROTO_IPV4), uint32(12), uint32(4)
			if v6 {
				nfproto, off, n = unix.NFPROTO_IPV6, 8, 16
			}
			e := []expr.Any{
				&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{nfproto}},
			}
			if proto != "" {
				e = append(e,
					&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{protoNum(proto)}})
				if len(r.Ports) > 0 {
					e = append(e,
						&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
						&expr.Lookup{SourceRegister: 1, SetName: rs.ports.Name, SetID: rs.ports.ID})
				}
			}
			e = append(e,
				&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
				&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID},
				&expr.Counter{})
			switch {
			case r.Block == firewall.Drop:
				e = append(e, &expr.Verdict{Kind: expr.VerdictDrop})
			case proto == "tcp":
				e = append(e, &expr.Reject{Type: unix.NFT_REJECT_TCP_RST})
			default:
				e = append(e, &expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_PORT_UNREACH})
			}
			out = append(out, e)
		}
	}
	return out
}

func portElements(ports []firewall.PortRange) []nftables.SetElement {
	var out []nftables.SetElement
	for _, p := range ports {
		out = append(out, nftables.SetElement{Key: binary.BigEndian.AppendUint16(nil, p.From)})
		if p.To < 65535 {
			out = append(out, nftables.SetElement{Key: binary.BigEndian.AppendUint16(nil, p.To+1), IntervalEnd: true})
		}
	}
	return out
}

// op is one change's set elements.
type op struct {
	set   *nftables.Set
	del   bool
	elems []nftables.SetElement
	index int // of the change
}

// elements returns a prefix's set and elements: one key in a hash set for
// an address, a start and an end in an interval set for a subnet.
func elements(rs *ruleSets, p netip.Prefix, timeout time.Duration) (*nftables.Set, []nftables.SetElement) {
	start := p.Addr().AsSlice()
	if firewall.IsHost(p) {
		set := rs.addr4
		if p.Addr().Is6() {
			set = rs.addr6
		}
		return set, []nftables.SetElement{{Key: start, Timeout: timeout}}
	}
	set := rs.net4
	if p.Addr().Is6() {
		set = rs.net6
	}
	els := []nftables.SetElement{{Key: start, Timeout: timeout}}
	if end, ok := after(p); ok {
		els = append(els, nftables.SetElement{Key: end.AsSlice(), IntervalEnd: true})
	}
	return set, els
}

// after returns the first address after a prefix, false past the end of
// the address space.
func after(p netip.Prefix) (netip.Addr, bool) {
	b := p.Addr().AsSlice()
	host := len(b)*8 - p.Bits()
	// Set the host bits, then add one.
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		b[i] |= byte(1<<n - 1)
		host -= n
	}
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			a, _ := netip.AddrFromSlice(b)
			return a, true
		}
	}
	return netip.Addr{}, false
}

// Apply applies the changes in batches of a few thousand elements.
// Adding an entry that is present replaces its timeout (the kernel
// updates an element's timeout when it is added again; where the first
// Setup found it does not, an add is sent as add, delete, add). A delete is sent
// as an add then a delete, so that deleting an absent entry is not an
// error. If a batch fails (an interval that overlaps a subnet in the
// set), its changes are applied one by one, and the error tells those
// that failed.
func (b *Backend) Apply(ctx context.Context, changes []firewall.Change) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.deadline(ctx)()
	ops := make([]op, 0, len(changes))
	for i, c := range changes {
		rs, ok := b.rules[c.Rule]
		if !ok {
			return fmt.Errorf("nftables apply: rule %q not set up", c.Rule)
		}
		p, err := firewall.Normalize(c.Entry.Prefix)
		if err != nil {
			return fmt.Errorf("nftables apply: %w", err)
		}
		if c.Entry.Timeout < 0 {
			return fmt.Errorf("nftables apply: %s: negative timeout", p)
		}
		timeout := c.Entry.Timeout
		if c.Delete {
			timeout = 0
		}
		set, els := elements(rs, p, timeout)
		ops = append(ops, op{set: set, del: c.Delete, elems: els, index: i})
	}
	var failed []error
	for len(ops) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("nftables apply: %w", err)
		}
		n, size := 0, 0
		for n < len(ops) && size < b.batchElems {
			// Elements sent: twice for a delete, thrice for an add
			// where the kernel does not update timeouts.
			switch {
			case ops[n].del:
				size += 2 * len(ops[n].elems)
			case b.readd:
				size += 3 * len(ops[n].elems)
			default:
				size += len(ops[n].elems)
			}
			n++
		}
		if err := b.send(ops[:n]); err != nil {
			if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOBUFS) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				return fmt.Errorf("nftables apply: %w", err)
			}
			failed = append(failed, b.oneByOne(ops[:n], changes)...)
		}
		ops = ops[n:]
	}
	if len(failed) > 0 {
		return fmt.Errorf("nftables apply: %d of %d changes failed: %w", len(failed), len(changes), errors.Join(failed[:min(len(failed), 5)]...))
	}
	return nil
}

// send queues ops in one batch and flushes it. The ops of each set keep
// their order (sets are independent of each other); a run of adds is sent
// as add messages, a run of deletes as add messages then delete messages
// of the same elements (each once).
func (b *Backend) send(ops []op) error {
	c, err := b.batch()
	if err != nil {
		return err
	}
	var sets []*nftables.Set
	bySet := map[*nftables.Set][]op{}
	for _, o := range ops {
		if _, ok := bySet[o.set]; !ok {
			sets = append(sets, o.set)
		}
		bySet[o.set] = append(bySet[o.set], o)
	}
	for _, set := range sets {
		sops := bySet[set]
		for i := 0; i < len(sops); {
			j := i
			for j < len(sops) && sops[j].del == sops[i].del {
				j++
			}
			if err := queueRun(c, set, sops[i:j], b.readd); err != nil {
				return err // c, and what it queued, is dropped
			}
			i = j
		}
	}
	return c.Flush()
}

// queueRun queues a run of adds or of deletes on one set. A prefix listed
// twice is sent once (the last add's timeout). Deletes are sent as adds
// then deletes; adds, on a kernel that does not update the timeout of an
// element added again, as adds, deletes and adds.
func queueRun(c *nftables.Conn, set *nftables.Set, run []op, readd bool) error {
	index := map[string]int{}
	var uniq [][]nftables.SetElement
	for _, o := range run {
		var key string
		for _, e := range o.elems {
			key += string(e.Key) + "|"
		}
		if i, dup := index[key]; dup {
			uniq[i] = o.elems
			continue
		}
		index[key] = len(uniq)
		uniq = append(uniq, o.elems)
	}
	var els []nftables.SetElement
	for _, u := range uniq {
		els = append(els, u...)
	}
	switch {
	case run[0].del:
		if err := queue(c, set, false, els); err != nil {
			return err
		}
		return queue(c, set, true, els)
	case readd:
		noTimeout := slices.Clone(els)
		for i := range noTimeout {
			noTimeout[i].Timeout = 0
		}
		if err := queue(c, set, false, noTimeout); err != nil {
			return err
		}
		if err := queue(c, set, true, noTimeout); err != nil {
			return err
		}
	}
	return queue(c, set, false, els)
}

// queue queues elements to add or delete, in messages of at most msgElems
// (an interval's start and end in one message).
func queue(c *nftables.Conn, set *nftables.Set, del bool, els []nftables.SetElement) error {
	for len(els) > 0 {
		n := min(len(els), msgElems)
		if n < len(els) && els[n].IntervalEnd {
			n++
		}
		var err error
		if del {
			err = c.SetDeleteElements(set, els[:n])
		} else {
			err = c.SetAddElements(set, els[:n])
		}
		if err != nil {
			return fmt.Errorf("set %s: %w", set.Name, err)
		}
		els = els[n:]
	}
	return nil
}

// oneByOne applies each change of a failed batch in its own transaction
// and returns the errors of the adds that fail. A delete that fails (its
// add overlapped a subnet in the set) had nothing to delete.
func (b *Backend) oneByOne(ops []op, changes []firewall.Change) []error {
	var errs []error
	for i := range ops {
		c := changes[ops[i].index]
		if err := b.send(ops[i : i+1]); err != nil && !c.Delete {
			errs = append(errs, fmt.Errorf("add %s to %s: %w", c.Entry.Prefix, c.Rule, err))
		}
	}
	return errs
}

// Entries lists a rule's entries: addresses, and subnets rebuilt from
// their intervals, with the time they have left.
func (b *Backend) Entries(ctx context.Context, rule string) ([]firewall.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.deadline(ctx)()
	rs, ok := b.rules[rule]
	if !ok {
		return nil, fmt.Errorf("nftables entries: rule %q not set up", rule)
	}
	var out []firewall.Entry
	for _, set := range []*nftables.Set{rs.addr4, rs.addr6} {
		els, err := b.conn.GetSetElements(set)
		if err != nil {
			return nil, fmt.Errorf("nftables entries: set %s: %w", set.Name, err)
		}
		for _, e := range els {
			a, ok := netip.AddrFromSlice(e.Key)
			if !ok {
				return nil, fmt.Errorf("nftables entries: set %s: key of %d bytes", set.Name, len(e.Key))
			}
			out = append(out, firewall.Entry{Prefix: netip.PrefixFrom(a, a.BitLen()), Timeout: left(e)})
		}
	}
	for _, set := range []*nftables.Set{rs.net4, rs.net6} {
		els, err := b.conn.GetSetElements(set)
		if err != nil {
			return nil, fmt.Errorf("nftables entries: set %s: %w", set.Name, err)
		}
		es, err := intervals(els)
		if err != nil {
			return nil, fmt.Errorf("nftables entries: set %s: %w", set.Name, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// left is an element's time left; zero for an element without timeout.
func left(e nftables.SetElement) time.Duration {
	if e.Timeout == 0 {
		return 0
	}
	if e.Expires <= 0 {
		return time.Millisecond // about to go
	}
	return e.Expires
}

// intervals rebuilds the prefixes of an interval set's elements: each
// start is followed, in address order, by the end one past its last
// address (none for a range that reaches the end of the address space).
func intervals(els []nftables.SetElement) ([]firewall.Entry, error) {
	type bound struct {
		addr netip.Addr
		end  bool
		left time.Duration
	}
	bs := make([]bound, 0, len(els))
	for _, e := range els {
		a, ok := netip.AddrFromSlice(e.Key)
		if !ok {
			return nil, fmt.Errorf("key of %d bytes", len(e.Key))
		}
		bs = append(bs, bound{a, e.IntervalEnd, left(e)})
	}
	// By address; at one address an end (of the range before) first.
	slices.SortFunc(bs, func(x, y bound) int {
		if c := x.addr.Compare(y.addr); c != 0 {
			return c
		}
		switch {
		case x.end == y.end:
			return 0
		case x.end:
			return -1
		}
		return 1
	})
	var out []firewall.Entry
	for i := 0; i < len(bs); i++ {
		s := bs[i]
		if s.end {
			continue // the kernel's leading end element, or one without a start
		}
		var p netip.Prefix
		if i+1 < len(bs) && bs[i+1].end {
			p = rangePrefix(s.addr, bs[i+1].addr.Prev())
			i++
		} else {
			p = rangePrefix(s.addr, lastAddr(s.addr))
		}
		if !p.IsValid() {
			return nil, fmt.Errorf("interval from %s is not a prefix", s.addr)
		}
		out = append(out, firewall.Entry{Prefix: p, Timeout: s.left})
	}
	return out, nil
}

func lastAddr(a netip.Addr) netip.Addr {
	b := a.AsSlice()
	for i := range b {
		b[i] = 0xff
	}
	l, _ := netip.AddrFromSlice(b)
	return l
}

// rangePrefix returns the prefix that is exactly [from, to], or an
// invalid prefix.
func rangePrefix(from, to netip.Addr) netip.Prefix {
	for bits := 0; bits <= from.BitLen(); bits++ {
		p := netip.PrefixFrom(from, bits)
		if p.Masked().Addr() != from {
			continue
		}
		if last, ok := after(p); (ok && last.Prev() == to) || (!ok && to == lastAddr(from)) {
			return p
		}
	}
	return netip.Prefix{}
}

// Teardown deletes table inet warden.
func (b *Backend) Teardown(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.deadline(ctx)()
	if err := b.teardown(); err != nil {
		return fmt.Errorf("nftables teardown: %w", err)
	}
	return nil
}

func (b *Backend) teardown() error {
	exists, err := b.tableExists()
	if err != nil {
		return err
	}
	if exists {
		c, err := b.batch()
		if err != nil {
			return err
		}
		c.DelTable(b.table)
		if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("delete table: %w", err)
		}
	}
	b.rules = map[string]*ruleSets{}
	return nil
}
