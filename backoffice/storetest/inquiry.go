package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

// OpenInquiries returns a new, empty inquiry store; the test's cleanup closes it.
type OpenInquiries func(t *testing.T) backoffice.InquiryStore

// RunInquiries runs the inquiry desk's tests against stores from open.
func RunInquiries(t *testing.T, open OpenInquiries) {
	t.Run("InquiryRoundTrip", func(t *testing.T) { testInquiryRoundTrip(t, open(t)) })
	t.Run("InquiryAnswered", func(t *testing.T) { testInquiryAnswered(t, open(t)) })
	t.Run("InquiryPurge", func(t *testing.T) { testInquiryPurge(t, open(t)) })
}

func inquiry(store, msg string, at time.Time, days int) backoffice.Inquiry {
	return backoffice.Inquiry{Store: store, Message: msg, Received: at, Expires: at.Add(time.Duration(days) * 24 * time.Hour)}
}

func add(t *testing.T, s backoffice.InquiryStore, q backoffice.Inquiry) int64 {
	t.Helper()
	id, err := s.AddInquiry(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func list(t *testing.T, s backoffice.InquiryStore, store string) []backoffice.Inquiry {
	t.Helper()
	qs, err := s.Inquiries(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

func testInquiryRoundTrip(t *testing.T, s backoffice.InquiryStore) {
	a := inquiry("store-a", "カメラは録画していますか？", T0, 30)
	a.ReplyTo = "shopper@example.com"
	idA := add(t, s, a)
	idB := add(t, s, inquiry("store-a", "second", T0.Add(time.Minute), 30))
	add(t, s, inquiry("store-b", "other store", T0.Add(2*time.Minute), 30))
	if idA == idB {
		t.Fatalf("two inquiries got the same id %d", idA)
	}
	got := list(t, s, "store-a")
	if len(got) != 2 || got[0].ID != idB || got[1].ID != idA {
		t.Fatalf("store-a: %+v, want ids %d then %d (newest first)", got, idB, idA)
	}
	want := a
	want.ID = idA
	if g := got[1]; !g.Received.Equal(want.Received) || !g.Expires.Equal(want.Expires) || g.Message != want.Message ||
		g.ReplyTo != want.ReplyTo || g.Store != want.Store || !g.Answered.IsZero() {
		t.Errorf("round trip: %+v, want %+v", g, want)
	}
	if all := list(t, s, ""); len(all) != 3 || all[0].Store != "store-b" {
		t.Errorf("every store: %+v", all)
	}
}

func testInquiryAnswered(t *testing.T, s backoffice.InquiryStore) {
	id := add(t, s, inquiry("store-a", "hello", T0, 30))
	if err := s.MarkAnswered(ctx, id, T0.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAnswered(ctx, id, T0.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	q := list(t, s, "store-a")[0]
	if q.FirstAnswer() != 90*time.Minute {
		t.Errorf("time to first answer %v, want 1h30m (a second answer does not move it)", q.FirstAnswer())
	}
	if err := s.MarkAnswered(ctx, id+100, T0); !errors.Is(err, backoffice.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
}

func testInquiryPurge(t *testing.T, s backoffice.InquiryStore) {
	add(t, s, inquiry("store-a", "old", T0, 7))
	add(t, s, inquiry("store-a", "exactly due", T0.Add(24*time.Hour), 6))
	keep := add(t, s, inquiry("store-a", "new", T0.Add(48*time.Hour), 7))
	n, err := s.PurgeInquiries(ctx, T0.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, ""); n != 2 || len(got) != 1 || got[0].ID != keep {
		t.Errorf("purge removed %d, kept %+v; want 2 removed and only id %d kept", n, got, keep)
	}
	if n, err := s.PurgeInquiries(ctx, T0.Add(7*24*time.Hour)); n != 0 || err != nil {
		t.Errorf("second purge: %d %v", n, err)
	}
}
