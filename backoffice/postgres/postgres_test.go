package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/backoffice/storetest"
	"github.com/ashiato/ashiato/internal/pgtest"
)

// cluster is one server for the tests of this package that need no server of their own; each test gets a
// database of its own.
var cluster struct {
	once sync.Once
	c    *pgtest.Cluster
}

func openEmpty(t *testing.T, o postgres.Options) (*postgres.DB, *pgtest.Cluster, string) {
	t.Helper()
	c := pgtest.Start(t, pgtest.Options{})
	return openIn(t, c, o), c, ""
}

// openIn opens a store on a new database of c.
func openIn(t *testing.T, c *pgtest.Cluster, o postgres.Options) *postgres.DB {
	t.Helper()
	name := c.NewDatabase(t)
	o.Password = c.Password()
	db, err := postgres.Open(context.Background(), c.DSN(name), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	storetest.Run(t, func(t *testing.T) backoffice.Store { return openIn(t, c, postgres.Options{}) })
}

func TestInquiries(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	storetest.RunInquiries(t, func(t *testing.T) backoffice.InquiryStore { return openIn(t, c, postgres.Options{}) })
}

var _ = time.Now
