package filter

import (
	"reflect"
	"testing"
	"time"
)

func TestReportAPI(t *testing.T) {
	f, err := New(Options{
		PrefRegex:   `^<F-MLFID>\S+ app\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$`,
		FailRegex:   []string{`^login failed for <F-USER>\S+</F-USER> from <HOST>$`},
		IgnoreRegex: []string{`from 10\.`},
		UseDNS:      "no",
		Now:         func() time.Time { return time.Unix(1700000000, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.FailRegexAsWritten(), []string{`^login failed for <F-USER>\S+</F-USER> from <HOST>$`}; !reflect.DeepEqual(got, want) {
		t.Errorf("FailRegexAsWritten = %q, want %q", got, want)
	}
	if got, want := f.IgnoreRegexAsWritten(), []string{`from 10\.`}; !reflect.DeepEqual(got, want) {
		t.Errorf("IgnoreRegexAsWritten = %q, want %q", got, want)
	}
	if len(f.DateTemplates()) < 3 {
		t.Errorf("DateTemplates = %q, want the default set", f.DateTemplates())
	}
	found, err := f.ProcessLine("host app[1]: login failed for bob from 192.0.2.1")
	if err != nil || len(found) != 1 {
		t.Fatalf("ProcessLine = %v, %v; want one failure", found, err)
	}
	if got, want := f.PrefGroups(), []KeyValue{{"mlfid", "host app[1]:"}, {"content", "login failed for bob from 192.0.2.1"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("PrefGroups = %v, want %v", got, want)
	}
	var keys []string
	for _, kv := range f.Dict(found[0]) {
		keys = append(keys, kv.Key)
	}
	// The prefregex's groups (but content), the failregex's in their order.
	if want := []string{"mlfid", "user", "ip4", "ip6", "users"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("Dict keys = %q, want %q", keys, want)
	}
	if m := found[0].MatchTuples(); len(m) != 1 || m[0][0]+m[0][1]+m[0][2] != "host app[1]: login failed for bob from 192.0.2.1" {
		t.Errorf("MatchTuples = %q", m)
	}
}
