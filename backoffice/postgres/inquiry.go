package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ashiato/ashiato/backoffice"
)

// AddInquiry implements backoffice.InquiryStore.
func (db *DB) AddInquiry(ctx context.Context, q backoffice.Inquiry) (int64, error) {
	var id int64
	if err := db.pool.QueryRow(ctx, `INSERT INTO inquiries (store, received_ms, message, reply_to, expires_ms)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, q.Store, ms(q.Received), q.Message, q.ReplyTo, ms(q.Expires)).Scan(&id); err != nil {
		return 0, fmt.Errorf("postgres: inquiry: %w", err)
	}
	return id, nil
}

// Inquiries implements backoffice.InquiryStore.
func (db *DB) Inquiries(ctx context.Context, store string) ([]backoffice.Inquiry, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, store, received_ms, message, reply_to, answered_ms, expires_ms
		FROM inquiries WHERE $1 = '' OR store = $1 ORDER BY received_ms DESC, id DESC`, store)
	if err != nil {
		return nil, fmt.Errorf("postgres: inquiries: %w", err)
	}
	var out []backoffice.Inquiry
	var q backoffice.Inquiry
	var received, expires int64
	var answered *int64
	if _, err := pgx.ForEachRow(rows, []any{&q.ID, &q.Store, &received, &q.Message, &q.ReplyTo, &answered, &expires}, func() error {
		q.Received, q.Answered, q.Expires = fromMS(received), nullMS(answered), fromMS(expires)
		out = append(out, q)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("postgres: inquiries: %w", err)
	}
	return out, nil
}

// MarkAnswered implements backoffice.InquiryStore.
func (db *DB) MarkAnswered(ctx context.Context, id int64, at time.Time) error {
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM inquiries WHERE id = $1", id).Scan(&n); err != nil {
		return fmt.Errorf("postgres: inquiry %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: inquiry %d: %w", id, backoffice.ErrNotFound)
	}
	if _, err := db.pool.Exec(ctx, "UPDATE inquiries SET answered_ms = $1 WHERE id = $2 AND answered_ms IS NULL", ms(at), id); err != nil {
		return fmt.Errorf("postgres: inquiry %d: %w", id, err)
	}
	return nil
}

// PurgeInquiries implements backoffice.InquiryStore: the DELETE, then VACUUM FULL, which writes the table
// and its indexes into new files; the old ones (which still hold the deleted messages) are truncated at
// commit and unlinked at the next checkpoint.
func (db *DB) PurgeInquiries(ctx context.Context, now time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, "DELETE FROM inquiries WHERE expires_ms <= $1", ms(now))
	if err != nil {
		return 0, fmt.Errorf("postgres: purge inquiries: %w", err)
	}
	n := int(tag.RowsAffected())
	if n == 0 {
		return 0, nil
	}
	if _, err := db.pool.Exec(ctx, "VACUUM (FULL) inquiries"); err != nil {
		return n, fmt.Errorf("postgres: purge inquiries: %w: VACUUM FULL: %w", backoffice.ErrErasurePending, err)
	}
	return n, nil
}
