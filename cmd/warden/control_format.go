package main

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/wardenipd/warden/internal/control"
)

// The text of the control commands is fail2ban-client's, line for line,
// because monitoring plugins and scripts parse it; control_format_test.go
// compares it with fail2ban 1.0.2's own formatting code.

// formatOverview is "fail2ban-client status".
func formatOverview(o control.Overview) string {
	jails := slices.Clone(o.Jails)
	slices.Sort(jails)
	return fmt.Sprintf("Status\n|- Number of jail:\t%d\n`- Jail list:\t%s\n", len(jails), strings.Join(jails, ", "))
}

// formatJailStatus is "fail2ban-client status JAIL".
func formatJailStatus(st control.JailStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Status for the jail: %s\n", st.Name)
	b.WriteString("|- Filter\n")
	fmt.Fprintf(&b, "|  |- Currently failed:\t%d\n", st.CurrentlyFailed)
	fmt.Fprintf(&b, "|  |- Total failed:\t%d\n", st.TotalFailed)
	if st.Journal {
		fmt.Fprintf(&b, "|  `- Journal matches:\t%s\n", strings.Join(st.JournalMatches, " + "))
	} else {
		fmt.Fprintf(&b, "|  `- File list:\t%s\n", strings.Join(st.FileList, " "))
	}
	b.WriteString("`- Actions\n")
	fmt.Fprintf(&b, "   |- Currently banned:\t%d\n", st.CurrentlyBanned)
	fmt.Fprintf(&b, "   |- Total banned:\t%d\n", st.TotalBanned)
	fmt.Fprintf(&b, "   `- Banned IP list:\t%s\n", strings.Join(st.BannedIPs, " "))
	return b.String()
}

// formatBanned is "fail2ban-client banned" (ips empty: each jail with its
// banned addresses) or "fail2ban-client banned IP..." (for each address,
// the jails that ban it), printed as Python prints the lists.
func formatBanned(jb []control.JailBans, ips []string) string {
	var b strings.Builder
	b.WriteByte('[')
	if len(ips) == 0 {
		for i, j := range jb {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "{%s: %s}", pyStrRepr(j.Jail), pyList(j.IPs))
		}
	} else {
		for i, ip := range ips {
			if i > 0 {
				b.WriteString(", ")
			}
			// The daemon answers with addresses in their standard form.
			if a, err := netip.ParseAddr(ip); err == nil {
				ip = a.Unmap().String()
			}
			var jails []string
			for _, j := range jb {
				if slices.Contains(j.IPs, ip) {
					jails = append(jails, j.Jail)
				}
			}
			b.WriteString(pyList(jails))
		}
	}
	b.WriteString("]\n")
	return b.String()
}

// formatValue is what fail2ban-client prints for "get JAIL KEY" and
// "set JAIL KEY VALUE": its list keys have their own text, the rest is
// printed as Python prints the value.
func formatValue(jail, key string, v control.Value) string {
	if v.Kind == control.List {
		l := v.List
		switch key {
		case "logpath", "addlogpath", "dellogpath":
			return tree(l, "No file is currently monitored", "Current monitored log file(s):", "") + "\n"
		case "ignoreip", "addignoreip", "delignoreip":
			return tree(l, "No IP address/network is ignored", "These IP addresses/networks are ignored:", "") + "\n"
		case "failregex", "addfailregex", "delfailregex", "ignoreregex", "addignoreregex", "delignoreregex":
			return tree(l, "No regular expression is defined", "The following regular expression are defined:", "[]") + "\n"
		case "journalmatch", "addjournalmatch", "deljournalmatch":
			if len(l) == 0 {
				return "No journal match filter set\n"
			}
			return "Current match filter:\n" + strings.Join(l, " + ") + "\n"
		case "actions":
			if len(l) == 0 {
				return fmt.Sprintf("No actions for jail %s\n", jail)
			}
			return fmt.Sprintf("The jail %s has the following actions:\n%s\n", jail, strings.Join(l, ", "))
		case "banip":
			return strings.Join(l, " ") + "\n"
		}
		return pyList(l) + "\n"
	}
	if key == "logencoding" && v.Kind == control.String {
		return "Current log encoding is set to:\n" + v.Str + "\n"
	}
	return valueStr(v) + "\n"
}

// tree lists l as "|- a" ... "`- z" under head, or says empty; numbered
// ("[]") puts each entry's index before it.
func tree(l []string, empty, head, numbered string) string {
	if len(l) == 0 {
		return empty
	}
	var b strings.Builder
	b.WriteString(head)
	for i, e := range l {
		b.WriteString("\n")
		if i == len(l)-1 {
			b.WriteString("`- ")
		} else {
			b.WriteString("|- ")
		}
		if numbered != "" {
			fmt.Fprintf(&b, "[%d]: ", i)
		}
		b.WriteString(e)
	}
	return b.String()
}

// valueStr is Python's str() of a value.
func valueStr(v control.Value) string {
	switch v.Kind {
	case control.String:
		return v.Str
	case control.Int:
		return strconv.FormatInt(v.Int, 10)
	case control.Bool:
		if v.Bool {
			return "True"
		}
		return "False"
	case control.List:
		return pyList(v.List)
	}
	return "None"
}

// pyList is Python's repr() of a list of strings.
func pyList(l []string) string {
	r := make([]string, len(l))
	for i, s := range l {
		r[i] = pyStrRepr(s)
	}
	return "[" + strings.Join(r, ", ") + "]"
}
