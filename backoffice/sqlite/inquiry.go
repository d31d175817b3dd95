package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ashiato/ashiato/backoffice"
)

var _ backoffice.InquiryStore = (*DB)(nil)

// AddInquiry implements backoffice.InquiryStore.
func (db *DB) AddInquiry(ctx context.Context, q backoffice.Inquiry) (int64, error) {
	res, err := db.w.ExecContext(ctx, `INSERT INTO inquiries (store, received_ms, message, reply_to, expires_ms)
		VALUES (?, ?, ?, ?, ?)`, q.Store, ms(q.Received), q.Message, q.ReplyTo, ms(q.Expires))
	if err != nil {
		return 0, fmt.Errorf("sqlite: inquiry: %w", err)
	}
	return res.LastInsertId()
}

// Inquiries implements backoffice.InquiryStore.
func (db *DB) Inquiries(ctx context.Context, store string) ([]backoffice.Inquiry, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, store, received_ms, message, reply_to, answered_ms, expires_ms
		FROM inquiries WHERE ? = '' OR store = ? ORDER BY received_ms DESC, id DESC`, store, store)
	if err != nil {
		return nil, fmt.Errorf("sqlite: inquiries: %w", err)
	}
	defer rows.Close()
	var out []backoffice.Inquiry
	for rows.Next() {
		var q backoffice.Inquiry
		var received, expires int64
		var answered sql.NullInt64
		if err := rows.Scan(&q.ID, &q.Store, &received, &q.Message, &q.ReplyTo, &answered, &expires); err != nil {
			return nil, fmt.Errorf("sqlite: inquiries: %w", err)
		}
		q.Received, q.Answered, q.Expires = fromMS(received), nullMS(answered), fromMS(expires)
		out = append(out, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: inquiries: %w", err)
	}
	return out, nil
}

// MarkAnswered implements backoffice.InquiryStore.
func (db *DB) MarkAnswered(ctx context.Context, id int64, at time.Time) error {
	var n int
	if err := db.w.QueryRowContext(ctx, "SELECT count(*) FROM inquiries WHERE id = ?", id).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: inquiry %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: inquiry %d: %w", id, backoffice.ErrNotFound)
	}
	if _, err := db.w.ExecContext(ctx, "UPDATE inquiries SET answered_ms = ? WHERE id = ? AND answered_ms IS NULL", ms(at), id); err != nil {
		return fmt.Errorf("sqlite: inquiry %d: %w", id, err)
	}
	return nil
}

// PurgeInquiries implements backoffice.InquiryStore: the DELETE, then the same erasure as Purge.
func (db *DB) PurgeInquiries(ctx context.Context, now time.Time) (int, error) {
	res, err := db.w.ExecContext(ctx, "DELETE FROM inquiries WHERE expires_ms <= ?", ms(now))
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge inquiries: %w", err)
	}
	n, _ := res.RowsAffected()
	if !db.erasure || n == 0 {
		return int(n), nil
	}
	if _, err := db.erase(ctx, true); err != nil {
		return int(n), fmt.Errorf("sqlite: purge inquiries: %w: %w", backoffice.ErrErasurePending, err)
	}
	return int(n), nil
}
