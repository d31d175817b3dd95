package backoffice

import (
	"context"
	"errors"
	"time"
)

// Inquiry is one message a shopper left at a store's inquiry desk (問い合わせ窓口) on its public page. It is
// personal data the shopper chose to give, so it is kept only until Expires and then deleted like tracks.
type Inquiry struct {
	ID    int64
	Store string
	// Received is when the office received it.
	Received time.Time
	Message  string
	// ReplyTo is the address the shopper asked to be answered at, given with their consent; "" means none.
	ReplyTo string
	// Answered is when an operator first marked it answered; zero while it is open.
	Answered time.Time
	// Expires is when it must be gone.
	Expires time.Time
}

// FirstAnswer is how long the inquiry waited for its first answer, or 0 while it is open.
func (q Inquiry) FirstAnswer() time.Duration {
	if q.Answered.IsZero() {
		return 0
	}
	return q.Answered.Sub(q.Received)
}

// InquiryStore keeps the inquiry desk's messages. It is separate from Store because the desk is optional
// (off by default); a store that has one implements both. Methods are safe for concurrent use.
type InquiryStore interface {
	// AddInquiry stores q (its ID is ignored) and returns its ID. The write is durable when it returns nil.
	AddInquiry(ctx context.Context, q Inquiry) (int64, error)
	// Inquiries returns the kept inquiries of store ("" means every store), newest first.
	Inquiries(ctx context.Context, store string) ([]Inquiry, error)
	// MarkAnswered records that inquiry id was answered at at. Only the first answer counts: marking it
	// again changes nothing. An unknown id gives an error wrapping ErrNotFound.
	MarkAnswered(ctx context.Context, id int64, at time.Time) error
	// PurgeInquiries deletes every inquiry whose Expires is not after now, makes the deleted rows
	// unrecoverable from the store's files as Purge does, and returns how many it deleted.
	PurgeInquiries(ctx context.Context, now time.Time) (int, error)
}

// ErrNotFound is wrapped by errors about a record that does not exist.
var ErrNotFound = errors.New("not found")
