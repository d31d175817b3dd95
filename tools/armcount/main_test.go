package main

import (
	"reflect"
	"testing"
)

func TestParseCounts(t *testing.T) {
	got, err := parseCounts([]byte("3 100\n3 1100\n3 1350\n"))
	if err != nil || !reflect.DeepEqual(got, []uint64{1000, 250}) {
		t.Errorf("parseCounts = %v, %v; want [1000 250]", got, err)
	}
	for _, bad := range []string{"3 100\n4 200\n", "3 100\n3 50\n", "3\n", "3 x\n", "3 100\n\n3 200\n"} {
		if got, err := parseCounts([]byte(bad)); err == nil {
			t.Errorf("parseCounts(%q) = %v, want an error", bad, got)
		}
	}
}
