package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/wardenipd/warden/internal/store"
)

func queue(t *testing.T, s *store.Store, r store.Report) int64 {
	t.Helper()
	id, added, err := s.QueueReport(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if !added {
		t.Fatalf("report of %s not added", r.IP)
	}
	return id
}

func due(t *testing.T, s *store.Store, now time.Time) []store.Report {
	t.Helper()
	rs, err := s.DueReports(context.Background(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func stats(t *testing.T, s *store.Store) store.ReportStats {
	t.Helper()
	st, err := s.ReportStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestOutboxRoundTripAndIdempotentQueue(t *testing.T) {
	ctx := context.Background()
	s, _ := open(t)
	r := store.Report{IP: "192.0.2.1", Jail: "sshd", Categories: []int{18, 22}, Comment: "line 1\nline 2",
		Attack: t0.Add(-time.Minute), Enqueued: t0}
	id := queue(t, s, r)
	again, added, err := s.QueueReport(ctx, r)
	if err != nil || added || again != id {
		t.Fatalf("same report queued again: id %d added %v err %v, want %d false nil", again, added, err, id)
	}
	if got := due(t, s, t0.Add(-time.Nanosecond)); len(got) != 0 {
		t.Fatalf("due before its time: %v", got)
	}
	got := due(t, s, t0)
	if len(got) != 1 {
		t.Fatalf("due: %v", got)
	}
	want := r
	want.ID, want.NextTry = id, t0
	if g := got[0]; g.ID != want.ID || g.IP != want.IP || g.Jail != want.Jail || !reflect.DeepEqual(g.Categories, want.Categories) ||
		g.Comment != want.Comment || !g.Attack.Equal(want.Attack) || !g.Enqueued.Equal(want.Enqueued) || !g.NextTry.Equal(want.NextTry) ||
		g.State != store.ReportQueued {
		t.Fatalf("got %+v, want %+v", g, want)
	}
	if st := stats(t, s); st != (store.ReportStats{Queued: 1}) {
		t.Fatalf("stats %+v", st)
	}
}

func TestOutboxOrderRetrySentAndLastReported(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	a := queue(t, s, store.Report{IP: "192.0.2.1", Jail: "sshd", Categories: []int{18}, Attack: t0, Enqueued: t0})
	b := queue(t, s, store.Report{IP: "192.0.2.2", Jail: "sshd", Categories: []int{18}, Comment: "x", Attack: t0, Enqueued: t0.Add(time.Second)})
	c := queue(t, s, store.Report{IP: "192.0.2.1", Jail: "web", Categories: []int{21}, Attack: t0, Enqueued: t0.Add(2 * time.Second)})
	now := t0.Add(time.Minute)
	if got := due(t, s, now); len(got) != 3 || got[0].ID != a || got[1].ID != b || got[2].ID != c {
		t.Fatalf("due order: %+v", got)
	}
	if err := s.RetryReport(ctx, a, now.Add(time.Hour), "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	if got := due(t, s, now); len(got) != 2 || got[0].ID != b {
		t.Fatalf("due after retry: %+v", got)
	}
	next, ok, err := s.NextReportDue(ctx)
	if err != nil || !ok || !next.Equal(t0.Add(time.Second)) {
		t.Fatalf("next due %v %v %v", next, ok, err)
	}
	if _, ok, _ := s.LastReported(ctx, "192.0.2.2"); ok {
		t.Fatal("reported before being sent")
	}
	if err := s.MarkReportsSent(ctx, []int64{b, b, 999}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishReport(ctx, c, store.ReportDuplicate, "already reported", now); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LastReported(ctx, "192.0.2.1"); ok {
		t.Fatal("a duplicate recorded a report")
	}
	if err := s.RecordReported(ctx, "192.0.2.1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordReported(ctx, "192.0.2.1", now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := due(t, s, now.Add(2*time.Hour)); len(got) != 1 || got[0].ID != a || !got[0].LastReported.Equal(now) {
		t.Fatalf("due with the last report time: %+v", got)
	}
	if last, ok, err := s.LastReported(ctx, "192.0.2.2"); err != nil || !ok || !last.Equal(now) {
		t.Fatalf("last reported %v %v %v", last, ok, err)
	}
	if last, ok, err := s.LastReported(ctx, "192.0.2.1"); err != nil || !ok || !last.Equal(now) {
		t.Fatalf("duplicate not recorded as reported: %v %v %v", last, ok, err)
	}
	if st := stats(t, s); st != (store.ReportStats{Queued: 1, Sent: 1, Duplicates: 1, Addresses: 1}) {
		t.Fatalf("stats %+v", st)
	}
	if rs, err := s.Reports(ctx, "192.0.2.2"); err != nil || len(rs) != 1 || rs[0].State != store.ReportSent || rs[0].Comment != "" {
		t.Fatalf("sent report %+v %v", rs, err)
	}
	rs, err := s.Reports(ctx, "192.0.2.1")
	if err != nil || len(rs) != 2 || rs[0].Tries != 1 || rs[0].Reason != "503 Service Unavailable" || rs[1].State != store.ReportDuplicate {
		t.Fatalf("reports %+v %v", rs, err)
	}
	if err := s.FinishReport(ctx, a, store.ReportQueued, "", now); err == nil {
		t.Fatal("FinishReport accepted state queued")
	}
	if err := s.FinishReport(ctx, a, store.ReportRejected, "The categories field is required.", now); err != nil {
		t.Fatal(err)
	}

	// All of it survives a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if st := stats(t, s2); st != (store.ReportStats{Sent: 1, Rejected: 1, Duplicates: 1, Addresses: 1}) {
		t.Fatalf("stats after restart %+v", st)
	}
	if _, ok, err := s2.NextReportDue(ctx); ok || err != nil {
		t.Fatalf("something due after restart: %v %v", ok, err)
	}
}

func TestOutboxQuota(t *testing.T) {
	ctx := context.Background()
	s, path := open(t)
	if _, ok, err := s.Quota(ctx, "report"); ok || err != nil {
		t.Fatalf("quota before any: %v %v", ok, err)
	}
	q := store.Quota{Limit: 1000, Remaining: 0, Reset: t0.Add(8 * time.Hour)}
	if err := s.SetQuota(ctx, "report", q); err != nil {
		t.Fatal(err)
	}
	if err := s.SetQuota(ctx, "bulk-report", store.Quota{Limit: 5, Remaining: 4}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got, ok, err := s2.Quota(ctx, "report")
	if err != nil || !ok || got.Limit != 1000 || got.Remaining != 0 || !got.Reset.Equal(q.Reset) {
		t.Fatalf("quota after restart %+v %v %v", got, ok, err)
	}
	all, err := s2.Quotas(ctx)
	if err != nil || len(all) != 2 || all["bulk-report"].Remaining != 4 || !all["bulk-report"].Reset.IsZero() {
		t.Fatalf("quotas %+v %v", all, err)
	}
}
