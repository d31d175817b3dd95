package postgres_test

import (
	"context"
	"testing"

	"github.com/ashiato/ashiato/backoffice"
	"github.com/ashiato/ashiato/backoffice/postgres"
	"github.com/ashiato/ashiato/backoffice/storetest"
	"github.com/ashiato/ashiato/internal/pgtest"
)

// openIn opens a store on a new database of c.
func openIn(t *testing.T, c *pgtest.Cluster, o postgres.Options) *postgres.DB {
	t.Helper()
	db, _ := openNamed(t, c, o)
	return db
}

// openNamed opens a store on a new database of c and returns the database's name too.
func openNamed(t *testing.T, c *pgtest.Cluster, o postgres.Options) (*postgres.DB, string) {
	t.Helper()
	name := c.NewDatabase(t)
	o.Password = c.Password()
	db, err := postgres.Open(context.Background(), c.DSN(name), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, name
}

func TestStore(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	storetest.Run(t, func(t *testing.T) backoffice.Store { return openIn(t, c, postgres.Options{}) })
}

func TestInquiries(t *testing.T) {
	c := pgtest.Start(t, pgtest.Options{})
	storetest.RunInquiries(t, func(t *testing.T) backoffice.InquiryStore { return openIn(t, c, postgres.Options{}) })
}
