package config

import (
	"reflect"
	"testing"
)

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		name string
		args []Arg
	}{
		{"sshd", "sshd", nil},
		{"sshd[mode=aggressive]", "sshd", []Arg{{"mode", "aggressive"}}},
		{`abuseipdb[abuseipdb_apikey="K", abuseipdb_category="18,21"]`, "abuseipdb", []Arg{{"abuseipdb_apikey", "K"}, {"abuseipdb_category", "18,21"}}},
		{`a[x='q, ]', y=bare value ][z=1]`, "a", []Arg{{"x", "q, ]"}, {"y", "bare value"}, {"z", "1"}}},
		{"a[x=1,]", "a", []Arg{{"x", "1"}}},
		{"a[]", "a", nil},
	} {
		r, err := ParseRef(tc.in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tc.in, err)
			continue
		}
		if r.Name != tc.name || !reflect.DeepEqual(r.Args, tc.args) {
			t.Errorf("ParseRef(%q) = %q %v, want %q %v", tc.in, r.Name, r.Args, tc.name, tc.args)
		}
	}
	for _, bad := range []string{"a[x=1", `a[x="1" y=2]`, "[x=1]", "a[x=1]junk", "a[novalue]"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) succeeded, want an error", bad)
		}
	}
}

func TestSplitRefs(t *testing.T) {
	in := "iptables[name=a, port=\"1 2\"]\n  abuseipdb[k=\"x y\"] mail\nsendmail [dest=\"a b\"]"
	want := []string{`iptables[name=a, port="1 2"]`, `abuseipdb[k="x y"]`, "mail", `sendmail [dest="a b"]`}
	if got := SplitRefs(in); !reflect.DeepEqual(got, want) {
		t.Errorf("SplitRefs = %q, want %q", got, want)
	}
}
