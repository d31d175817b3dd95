package sqlite

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/storetest"
)

// TestPurgeInquiriesLeavesNoTrace plants random markers in the messages and reply addresses of inquiries
// that expire and of ones that do not, with a restart between two batches, purges while the database is
// open, and searches every file of the data directory: none of the purged markers is left, every kept one
// is. Inquiries are what a shopper wrote, so their deletion must be as final as that of tracks.
func TestPurgeInquiriesLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Date(2030, 3, 4, 10, 0, 0, 0, time.UTC)
	marker := func() string {
		b := make([]byte, 12)
		crand.Read(b)
		return "m" + hex.EncodeToString(b)
	}
	var expired, kept [][]byte
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for batch := range 2 {
		for i := range 40 {
			msg, addr := marker(), marker()
			exp := now.Add(-time.Hour)
			if i%4 == 0 {
				exp = now.Add(24 * time.Hour)
				kept = append(kept, []byte(msg), []byte(addr))
			} else {
				expired = append(expired, []byte(msg), []byte(addr))
			}
			if _, err := db.AddInquiry(ctx, backoffice.Inquiry{Store: "s", Received: now.Add(-48 * time.Hour), Message: "問い合わせ " + msg,
				ReplyTo: addr + "@example.com", Expires: exp}); err != nil {
				t.Fatal(err)
			}
		}
		if batch == 0 {
			db.Close()
			if db, err = Open(ctx, dir, Options{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer db.Close()
	if n, err := db.PurgeInquiries(ctx, now); err != nil || n != 60 {
		t.Fatalf("purged %d, %v; want 60", n, err)
	}
	if n := storetest.Found(t, dir, expired); n != 0 {
		t.Errorf("%d of %d markers of purged inquiries are still in the files", n, len(expired))
	}
	if n := storetest.Found(t, dir, kept); n != len(kept) {
		t.Errorf("only %d of %d markers of kept inquiries found: the search does not see the data", n, len(kept))
	}
}
